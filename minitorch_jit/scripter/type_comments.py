"""Python 2 style signature comments, which TorchScript reads as annotations::

    def f(x, y):
        # type: (int, List[int]) -> Tuple[int, int]

The comment may follow the ``def`` line or sit on the lines before the first statement; a
method's comment leaves out ``self``. It is parsed with ``ast.parse(..., mode="func_type")``
(never run) and its types become the ``def``'s annotations, positioned on the comment so that
errors point at it. A function with annotations of its own keeps them: TorchScript refuses
both at once, and so do we.
"""
from __future__ import annotations

import ast
import re
from typing import List, Optional, Tuple

from .errors import ScriptError, SourceRange

_COMMENT = re.compile(r"#\s*type:\s*(\(.*)$")


def _find(tree: ast.FunctionDef, lines: List[str]) -> Optional[Tuple[int, int, str]]:
    """(line number in ``lines``, column, text) of the signature comment, if any."""
    first_stmt = tree.body[0].lineno if tree.body else tree.lineno + 1
    for lineno in range(tree.lineno, min(first_stmt, len(lines)) + 1):
        line = lines[lineno - 1] if lineno <= len(lines) else ""
        m = _COMMENT.search(line)
        if m is not None and (lineno < first_stmt or line.lstrip().startswith("#")):
            text = m.group(1)
            # a comment after the signature (a linter's pragma after "-> int") is not part of it
            arrow = text.find("->")
            if arrow >= 0 and "#" in text[arrow:]:
                text = text[:arrow + text[arrow:].index("#")]
            return lineno, m.start(1), text.strip()
    return None


def apply_type_comment(tree: ast.FunctionDef, lines: List[str], indent: int, where: SourceRange) -> None:
    """Give ``tree`` the annotations its ``# type:`` comments declare (``lines`` are the
    function's lines as in its file; ``indent`` the columns removed to parse them): the
    signature's, and one per parameter line (``x,  # type: int``, with a ``(...) -> T``
    signature)."""
    found = _find(tree, lines)
    if found is not None:
        _apply_signature(tree, found, indent, where)
    for a in list(tree.args.posonlyargs) + list(tree.args.args) + list(tree.args.kwonlyargs):
        text = getattr(a, "type_comment", None)
        if text and a.annotation is None:
            a.annotation = comment_annotation(text, lines, indent, a.lineno, where)


def _apply_signature(tree: ast.FunctionDef, found: Tuple[int, int, str], indent: int, where: SourceRange) -> None:
    lineno, col, text = found
    try:
        signature = ast.parse(text, mode="func_type")
    except SyntaxError as e:
        raise ScriptError(f"cannot parse the type comment `# type: {text}`: {e.msg}", where) from None
    args = list(tree.args.posonlyargs) + list(tree.args.args)
    if any(a.annotation is not None for a in args) or tree.returns is not None:
        raise ScriptError("a function with a type comment cannot also have annotations", where,
                          fix="keep one of them")
    types = list(signature.argtypes)
    if len(types) == 1 and isinstance(types[0], ast.Constant) and types[0].value is Ellipsis:
        types, args = [], []  # `(...) -> T`: the parameters' types are on their own lines
    if len(types) == len(args) - 1 and args and args[0].arg == "self":
        args = args[1:]
    if len(types) != len(args):
        raise ScriptError(f"the type comment gives {len(types)} argument types, but {tree.name} takes "
                          f"{len(args)} arguments", where)
    _place([*types, signature.returns], lineno, max(0, col - indent), len(text))
    for a, t in zip(args, types):
        a.annotation = t
    tree.returns = signature.returns


def comment_annotation(text: str, lines: List[str], indent: int, lineno: int, where: SourceRange) -> ast.expr:
    """The annotation a ``# type: T`` comment of the statement (or parameter) at ``lineno``
    gives, parsed (never run) and placed on the comment."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise ScriptError(f"cannot parse the type comment `# type: {text}`: {e.msg}", where) from None
    at, col = lineno, 0
    for i in range(lineno - 1, len(lines)):
        found = lines[i].find(text, lines[i].find("# type:"))
        if "# type:" in lines[i] and found >= 0:
            at, col = i + 1, max(0, found - indent)
            break
    _place([node], at, col, len(text))
    return node


def _place(nodes: List[ast.AST], lineno: int, col: int, length: int) -> None:
    """Errors in a comment's types point at the comment."""
    for node in nodes:
        for n in ast.walk(node):
            n.lineno = n.end_lineno = lineno  # type: ignore[attr-defined]
            n.col_offset, n.end_col_offset = col, col + length  # type: ignore[attr-defined]

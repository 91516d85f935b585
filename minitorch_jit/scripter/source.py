"""A Python function's source as the scripter sees it: its AST, positions in its file, and
the Python names it can see (closure cells, globals, builtins).

A definition may also come from TorchScript source given as a string
(``torch.jit.CompilationUnit``, ``ScriptModule.define``): then there is no Python function,
the signature is read from the ``def`` (defaults must be literals: the text is never run),
and names are looked up in the scope the definer gives.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from typing import Any, Callable, Dict, List, Optional, Tuple

from .errors import ScriptError, SourceRange, UnsupportedNodeError
from .type_comments import apply_type_comment

_MISSING = object()

Scope = Callable[[str], Tuple[bool, Any]]
"""What a name means outside a function's locals: (found, the Python object)."""


class FunctionSource:
    """The parsed ``def`` of a Python function, and how to point into its file."""

    def __init__(self, fn: Optional[Callable[..., Any]], tree: ast.FunctionDef, filename: str, first_line: int,
                 lines: List[str], indent: int, scope: Optional[Scope] = None, name: Optional[str] = None):
        self.fn = fn                  # None for a definition given as text
        self.tree = tree
        self.filename = filename
        self.first_line = first_line  # file line of the first line of ``lines``
        self.lines = lines            # the function's lines as they are in the file
        self.indent = indent          # columns removed to dedent them
        self.scope = scope            # the names a definition given as text sees
        self.name: str = name or str(getattr(fn, "__qualname__", getattr(fn, "__name__", "?")))
        apply_type_comment(tree, lines, indent, self.range(tree))

    @classmethod
    def of(cls, fn: Callable[..., Any]) -> "FunctionSource":
        name = getattr(fn, "__qualname__", repr(fn))
        filename = getattr(getattr(fn, "__code__", None), "co_filename", "<unknown>")
        line = getattr(getattr(fn, "__code__", None), "co_firstlineno", 0)
        if getattr(fn, "__name__", "") == "<lambda>":
            raise UnsupportedNodeError(
                "lambda functions cannot be scripted", _whole_line(filename, line, name),
                fix="define the function with `def`")
        try:
            lines, first = inspect.getsourcelines(fn)
        except (OSError, TypeError) as e:
            raise ScriptError(f"cannot get the source code of {name}: {e}", _whole_line(filename, line, name),
                              fix="script functions must be defined in a file (not typed at the prompt "
                                  "or built with exec)") from None
        indent = len(lines[0]) - len(lines[0].lstrip())
        text = textwrap.dedent("".join(lines))
        try:
            module = _parse(text)
        except SyntaxError as e:
            raise ScriptError(f"cannot parse the source of {name}: {e.msg}", _whole_line(filename, first, name)) \
                from None
        tree = module.body[0] if module.body else None
        if isinstance(tree, ast.AsyncFunctionDef):
            src = cls(fn, tree, filename, first, lines, indent)  # type: ignore[arg-type]
            raise UnsupportedNodeError("async functions are not supported in script functions", src.range(tree))
        if not isinstance(tree, ast.FunctionDef):
            raise ScriptError(f"the source of {name} is not a function definition", _whole_line(filename, first, name))
        return cls(fn, tree, filename, first, lines, indent)

    @classmethod
    def of_text(cls, tree: ast.FunctionDef, filename: str, lines: List[str], scope: Scope,
                qualified_name: str) -> "FunctionSource":
        """A ``def`` parsed from TorchScript source text: ``lines`` are the whole text's lines
        and ``tree``'s positions count from its first line."""
        return cls(None, tree, filename, 1, lines, 0, scope, qualified_name)

    def signature(self) -> inspect.Signature:
        """The function's calling convention; for a definition given as text, read from its
        ``def`` (a default that is not a literal is an error: the text is never run)."""
        if self.fn is not None:
            return inspect.signature(self.fn)
        args = self.tree.args
        params = []
        positional = list(args.posonlyargs) + list(args.args)
        defaults: List[Any] = [inspect.Parameter.empty] * (len(positional) - len(args.defaults)) + \
            [self._literal(d) for d in args.defaults]
        for i, (a, d) in enumerate(zip(positional, defaults)):
            kind = inspect.Parameter.POSITIONAL_ONLY if i < len(args.posonlyargs) else \
                inspect.Parameter.POSITIONAL_OR_KEYWORD
            params.append(inspect.Parameter(a.arg, kind, default=d))
        if args.vararg is not None:
            params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            params.append(inspect.Parameter(a.arg, inspect.Parameter.KEYWORD_ONLY,
                                            default=inspect.Parameter.empty if d is None else self._literal(d)))
        if args.kwarg is not None:
            params.append(inspect.Parameter(args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
        return inspect.Signature(params)

    def _literal(self, node: ast.expr) -> Any:
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise ScriptError("a default value in TorchScript source must be a literal (a number, string, None, "
                              "or a tuple or list of them)", self.range(node)) from None

    def def_line(self) -> Tuple[int, str]:
        """The file line of the ``def`` and its text (the context of a call stack's frames)."""
        return self.first_line + self.tree.lineno - 1, self._line(self.tree.lineno)

    def range(self, node: ast.AST) -> SourceRange:
        """Where ``node`` is in the file (columns in characters, counting the indentation that
        was removed to parse the function)."""
        lineno = getattr(node, "lineno", 1)
        end_lineno = getattr(node, "end_lineno", None) or lineno
        col = self._chars(lineno, getattr(node, "col_offset", 0))
        end_col = self._chars(end_lineno, getattr(node, "end_col_offset", None) or 0)
        def_lineno, def_text = self.def_line()
        return SourceRange(self.filename, self.first_line + lineno - 1, col, self.first_line + end_lineno - 1,
                           end_col, self._line(lineno), self.name, def_lineno, def_text)

    def _line(self, lineno: int) -> str:
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def _chars(self, lineno: int, byte_col: int) -> int:
        """AST columns count UTF-8 bytes of the dedented line; ranges count characters of the
        file's line."""
        line = self._line(lineno)[self.indent:]
        return self.indent + len(line.encode()[:byte_col].decode(errors="replace"))

    def evaluated_annotation(self, node: ast.AST) -> Tuple[bool, Any]:
        """(True, the object) Python evaluated for ``node`` when it is a whole annotation of a
        parameter or of the return: a name the function cannot see when it runs (a local of
        the function that defined it) is still known there. (False, None) otherwise."""
        tree = self.tree
        params = list(tree.args.posonlyargs) + list(tree.args.args) + list(tree.args.kwonlyargs)
        key = next((p.arg for p in params if p.annotation is node), "return" if tree.returns is node else None)
        annotations = getattr(self.fn, "__annotations__", {})
        if key is None or key not in annotations or isinstance(annotations[key], str):
            return False, None
        return True, annotations[key]

    # -- Python names ---------------------------------------------------------------------------
    def python_value(self, name: str) -> Tuple[bool, Any]:
        """What ``name`` means to the function outside its own locals: a closure cell, a global,
        or a builtin; (False, None) when it is not defined."""
        if self.scope is not None:
            return self.scope(name)
        code = getattr(self.fn, "__code__", None)
        closure = getattr(self.fn, "__closure__", None) or ()
        if code is not None and name in code.co_freevars:
            cell = closure[code.co_freevars.index(name)]
            try:
                return True, cell.cell_contents
            except ValueError:  # an empty cell: assigned later in the enclosing function
                return False, None
        globals_: Dict[str, Any] = getattr(self.fn, "__globals__", {})
        if name in globals_:
            return True, globals_[name]
        value = getattr(builtins, name, _MISSING)
        return (False, None) if value is _MISSING else (True, value)


def _parse(text: str) -> ast.Module:
    """Parse keeping type comments (``# type: (int) -> int``); a comment that looks like one
    but is not where Python allows one is left a comment."""
    try:
        return ast.parse(text, type_comments=True)
    except SyntaxError:
        return ast.parse(text)
class Definition:
    """A ``def`` given as TorchScript source text, not compiled yet: what a name of a
    ``CompilationUnit`` means until it is (calls between its functions compile the callee
    first, so they may come in any order)."""

    def __init__(self, source: FunctionSource):
        self.source = source
        self.__name__ = source.tree.name
        self.__qualname__ = source.name


DEFINED = "_defined"  # a ScriptModule's methods given as text (ScriptModule.define): {name: FunctionSource}


def defined_method(module: Any, name: str) -> Optional[FunctionSource]:
    """The source of ``module``'s method ``name`` when it was given as text."""
    return module.__dict__.get(DEFINED, {}).get(name)


def _whole_line(filename: str, line: int, name: str) -> SourceRange:
    import linecache
    text = linecache.getline(filename, line) if line else ""
    start = len(text) - len(text.lstrip())
    return SourceRange(filename, line, start, line, len(text.rstrip()), text, name)

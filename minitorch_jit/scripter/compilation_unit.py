"""TorchScript source given as text: ``torch.jit.CompilationUnit`` and ``ScriptModule.define``.

    cu = torch.jit.CompilationUnit('''
        def add(a, b):
            return a + b
        def twice(x):
            return add(x, x)
    ''')
    cu.twice(t)

The text is data: it is parsed with ``ast.parse`` and compiled by the scripter, never run by
Python (defaults must be literals). Its errors point into the text (file ``<string>``, the
line within it) with the caret, like every ScriptError. A name in it means, in order:

1. a function of the same unit (they may call each other in any order: a callee is compiled
   when its caller is);
2. a local or global variable of the code that made the unit (or called ``define``), as it
   was then;
3. a name the script language knows without Python: ``torch``, ``math``, ``Tensor``,
   ``List``, ``Tuple``, ``Optional``, ``Dict``, ``Any``;
4. a Python builtin.

``ScriptModule.define(src)`` compiles the ``def`` s as methods of the module (``self`` first),
which its other methods may call; in the constructor of a ``ScriptModule`` subclass they are
compiled with the ``@script_method`` s, when the constructor returns.
"""
from __future__ import annotations

import ast
import builtins
import sys
import textwrap
from typing import Any, Dict, List, Optional, Tuple

from ..runtime import compiled
from ..runtime.compiled import ScriptFunction, ScriptModule
from .api import _compiler, compile_defined_methods
from .errors import ScriptError, SourceRange
from .source import DEFINED, Definition, FunctionSource, Scope
from .types import language_names

FILENAME = "<string>"

# Python's tokenizer errors; TorchScript's lexer calls them all "expected a valid token"
_TOKEN_ERRORS = ("unterminated", "EOL", "EOF", "invalid character", "unexpected character", "invalid decimal",
                 "unindent does not match", "unexpected indent", "expected an indented block")


def caller_scope(depth: int) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The local and global variables of the frame ``depth`` levels above the caller of this
    function (locals copied: they are read as they are now)."""
    frame = sys._getframe(depth + 1)
    try:
        return dict(frame.f_locals), frame.f_globals
    finally:
        del frame


def make_scope(own: Dict[str, Any], locals_: Dict[str, Any], globals_: Dict[str, Any]) -> Scope:
    language = language_names()

    def lookup(name: str) -> Tuple[bool, Any]:
        for table in (own, locals_, globals_, language):
            if name in table:
                return True, table[name]
        value = getattr(builtins, name, lookup)
        return (False, None) if value is lookup else (True, value)
    return lookup


def parse_definitions(src: str) -> Tuple[List[ast.FunctionDef], List[str]]:
    """The ``def`` s of TorchScript source text and its lines (it is dedented first)."""
    if not isinstance(src, str):
        raise TypeError(f"TorchScript source must be a str, not {type(src).__name__}")
    text = textwrap.dedent(src)
    lines = text.splitlines(keepends=True)
    try:
        module = ast.parse(text, FILENAME)
    except SyntaxError as e:
        line = e.lineno or 1
        source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        col = max(0, (e.offset or 1) - 1)
        lexical = any(k in (e.msg or "") for k in _TOKEN_ERRORS)
        message = f"expected a valid token: {e.msg}" if lexical else f"invalid syntax: {e.msg}"
        raise ScriptError(message, SourceRange(FILENAME, line, col, line, col + 1, source_line)) from None
    trees = []
    for stmt in module.body:
        if not isinstance(stmt, ast.FunctionDef):
            line = getattr(stmt, "lineno", 1)
            where = SourceRange(FILENAME, line, stmt.col_offset, line, len(lines[line - 1].rstrip()),
                                lines[line - 1])
            raise ScriptError("TorchScript source given as text may only define functions (def)", where)
        trees.append(stmt)
    return trees, lines


def _duplicate(tree: ast.FunctionDef, source: FunctionSource) -> ScriptError:
    return ScriptError(f"Method '{tree.name}' already defined", source.range(tree))


class CompilationUnit:
    """Functions compiled from TorchScript source text: ``cu.name(...)`` calls one."""

    def __init__(self, lang: Optional[str] = None, optimize: bool = True, _frames_up: int = 0):
        self._functions: Dict[str, ScriptFunction] = {}
        self._definitions: Dict[str, Any] = {}  # name -> Definition, then ScriptFunction
        if lang is not None:
            self.define(lang, _frames_up=_frames_up + 1)

    def define(self, src: str, rcb: Any = None, _frames_up: int = 0) -> None:
        """Compile the functions ``src`` defines into this unit."""
        if rcb is not None:
            raise TypeError("CompilationUnit.define: a resolution callback is not supported; names resolve in "
                            "the caller's scope")
        locals_, globals_ = caller_scope(_frames_up + 1)
        scope = make_scope(self._definitions, locals_, globals_)
        trees, lines = parse_definitions(src)
        new = []
        for tree in trees:
            source = FunctionSource.of_text(tree, FILENAME, lines, scope, tree.name)
            if tree.name in self._definitions:
                raise _duplicate(tree, source)
            self._definitions[tree.name] = Definition(source)
            new.append(tree.name)
        for name in new:
            fn = _compiler.function(self._definitions[name])
            self._functions[name] = fn
        for name in new:  # later calls to them reuse the compiled functions
            self._definitions[name] = self._functions[name]

    def find_function(self, name: str) -> Optional[ScriptFunction]:
        return self._functions.get(name)

    def get_function(self, name: str) -> ScriptFunction:
        fn = self._functions.get(name)
        if fn is None:
            raise AttributeError(f"'CompilationUnit' has no function '{name}'")
        return fn

    def get_functions(self) -> List[ScriptFunction]:
        return list(self._functions.values())

    def __getattr__(self, name: str) -> ScriptFunction:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get_function(name)

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._functions))

    def __repr__(self) -> str:
        return f"<CompilationUnit {', '.join(self._functions) or '(empty)'}>"


def define_methods(module: ScriptModule, src: str, frames_up: int) -> None:
    """``module.define(src)``: its ``def`` s become methods of ``module``."""
    locals_, globals_ = caller_scope(frames_up + 1)
    scope = make_scope({}, locals_, globals_)
    trees, lines = parse_definitions(src)
    defined = module.__dict__.setdefault(DEFINED, {})
    owner = type(module).__name__ if type(module) is not ScriptModule else module.original_name
    names = []
    for tree in trees:
        source = FunctionSource.of_text(tree, FILENAME, lines, scope, f"{owner}.{tree.name}")
        if tree.name in defined or tree.name in module.__dict__.get("_methods", {}):
            raise _duplicate(tree, source)
        if not tree.args.args and not tree.args.posonlyargs:
            raise ScriptError("methods must have a self argument", source.range(tree))
        defined[tree.name] = source
        names.append(tree.name)
    compile_defined_methods(module, names)


compiled.defines_methods(define_methods)

__all__ = ["CompilationUnit", "define_methods", "parse_definitions"]

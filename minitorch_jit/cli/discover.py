"""What ``show FILE.py`` shows when the file has no ``@script`` function at module level: what
the file itself compiles or looks at, found in its source (nothing of it is run beyond the
import ``show`` does).

A file's functions usually script or trace inside ``main()`` (the shipped examples do):
``fused = torch.jit.script(lstm_cell)``, ``traced = torch.jit.trace(net, images)`` with
``net = LeNet().eval()``, ``print(rnn.graph)`` with ``rnn = make_rnn()``. Each first argument of
a ``script``/``trace`` call, and each value whose ``.graph``, ``.code``, ``graph_for``... is
read, is followed back through the file's assignments (and ``for`` loops over literal tuples)
to a module-level name: a function, a module class, or a function that the file calls with no
arguments to build what it compiles (called once, as the file calls it). A module class
whose constructor needs arguments cannot be made here: it is reported, not guessed.
"""
from __future__ import annotations

import ast
import types
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

from ..nn import Module

# what a file reads off a compiled object to show it
_VIEWS = {"graph", "code", "graph_for", "code_for", "explain", "inlined_graph"}
# module methods that return the module itself (net = LeNet().eval())
_SAME_MODULE = {"eval", "train", "float", "double", "to", "cpu", "requires_grad_"}


@dataclass
class Found:
    """One thing to show: ``name`` as the file says it; ``obj`` the function or module."""
    name: str
    obj: Any


@dataclass
class Skipped:
    name: str
    reason: str


def _assignments(tree: ast.AST) -> Dict[str, List[ast.expr]]:
    """Every value each plain name is given in the file: ``x = e`` (and ``x, y = e1, e2``),
    and ``for x in (a, b)`` / ``for x, y in ((a, 1), (b, 2))`` (each element's item)."""
    found: Dict[str, List[ast.expr]] = {}

    def bind(target: ast.expr, value: Optional[ast.expr]) -> None:
        if isinstance(target, ast.Name) and value is not None:
            found.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.elts if isinstance(value, (ast.Tuple, ast.List)) and \
                len(value.elts) == len(target.elts) else [None] * len(target.elts)
            for t, v in zip(target.elts, items):
                bind(t, v)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, node.value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)):
            for element in node.iter.elts:
                bind(node.target, element)
    return found


def _is_jit_call(node: ast.AST) -> bool:
    """``torch.jit.script(...)``, ``torch.jit.trace(...)``, ``script(...)``, ``trace(...)``."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in ("script", "trace")


def _roots(tree: ast.AST) -> List[ast.expr]:
    """The expressions the file compiles or shows, in source order."""
    roots: List[ast.expr] = []
    for node in ast.walk(tree):
        if _is_jit_call(node):
            roots.append(node.args[0])  # type: ignore[attr-defined]
        elif isinstance(node, ast.Attribute) and node.attr in _VIEWS:
            roots.append(node.value)
    return sorted(roots, key=lambda e: (e.lineno, e.col_offset))


def discover(module: types.ModuleType, source: str) -> Tuple[List[Found], List[Skipped]]:
    """The functions and modules the file compiles or shows, and what could not be made."""
    tree = ast.parse(source)
    values = _assignments(tree)
    found: List[Found] = []
    skipped: List[Skipped] = []
    seen: Set[str] = set()
    made: Dict[str, Any] = {}  # factories called once, however many roots lead to them

    def resolve(expr: ast.expr, depth: int = 0, evaluating: bool = False) -> None:
        if depth > 20:
            return
        if isinstance(expr, ast.Name):
            obj = vars(module).get(expr.id)
            if obj is not None and _showable(obj):
                take(expr.id, obj)
                return
            for value in values.get(expr.id, []):
                resolve(value, depth + 1, evaluating)
        elif _is_jit_call(expr):
            resolve(expr.args[0], depth + 1, evaluating)  # type: ignore[attr-defined]
        elif isinstance(expr, ast.Call):
            f = expr.func
            if isinstance(f, ast.Attribute) and f.attr in _SAME_MODULE:
                resolve(f.value, depth + 1, evaluating or f.attr == "eval")
            elif isinstance(f, ast.Name):
                build(f.id, expr, evaluating)

    def build(name: str, call: ast.Call, evaluating: bool) -> None:
        """A module class or factory function the file calls: made when it takes no arguments."""
        obj = vars(module).get(name)
        if not (isinstance(obj, type) and issubclass(obj, Module) or isinstance(obj, types.FunctionType)):
            return
        label = f"{name}()"
        if label in seen:
            return
        if call.args or call.keywords:
            seen.add(label)
            what = "module class" if isinstance(obj, type) else "function"
            skipped.append(Skipped(name, f"a {what} the file calls with arguments (line {call.lineno}): make an "
                                         f"instance at module level (model = {name}(...)) and name that"))
            return
        if label not in made:
            try:
                made[label] = obj()
            except Exception as e:  # noqa: BLE001 - the file's own code: say what it raised
                seen.add(label)
                skipped.append(Skipped(name, f"calling {label} raised {type(e).__name__}: {e}"))
                return
        result = made[label]
        if isinstance(result, Module):
            take(label, result.eval() if evaluating else result)
        else:
            seen.add(label)

    def take(name: str, obj: Any) -> None:
        if name not in seen:
            seen.add(name)
            found.append(Found(name, obj))

    for root in _roots(tree):
        resolve(root)
    return found, skipped


def _showable(obj: Any) -> bool:
    from ..jit import ScriptFunction, ScriptModule
    return isinstance(obj, (types.FunctionType, ScriptFunction, ScriptModule, Module)) or \
        isinstance(obj, type) and issubclass(obj, Module)

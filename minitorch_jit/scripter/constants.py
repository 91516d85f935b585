"""A module's constants, as TorchScript has them: attributes annotated ``torch.jit.Final[T]``
(``typing.Final``, which ``torch.jit.Final`` is) and names listed in the class's
``__constants__``. A script bakes their values in and may not assign them.

Annotations are read from each class of the module's MRO, as objects or as strings
(``from __future__ import annotations``); a string's head (``Final``, ``torch.jit.Final``,
``typing.Final``) is looked up in the class's module without evaluating anything else.
"""
from __future__ import annotations

import ast
import sys
import typing
from typing import Any, Dict, Optional, Set

from .errors import ScriptError, SourceRange
from .types import python_type

Final = typing.Final


def constant_names(cls: type) -> Set[str]:
    """The names ``cls`` declares constant: ``Final`` annotations and ``__constants__``."""
    names: Set[str] = set()
    for base in cls.__mro__:
        declared = vars(base).get("__constants__", ())
        names.update(declared if not isinstance(declared, str) else (declared,))
        namespace = vars(sys.modules[base.__module__]) if base.__module__ in sys.modules else {}
        for name, annotation in vars(base).get("__annotations__", {}).items():
            if _is_final(annotation, namespace):
                names.add(name)
    return names


def _is_final(annotation: Any, namespace: Dict[str, Any]) -> bool:
    if isinstance(annotation, str):
        try:
            node = ast.parse(annotation, mode="eval").body
        except SyntaxError:
            return False
        annotation = _lookup(node.value if isinstance(node, ast.Subscript) else node, namespace)
    return annotation is Final or typing.get_origin(annotation) is Final


def _lookup(node: ast.AST, namespace: Dict[str, Any]) -> Optional[Any]:
    """The object a dotted name denotes in ``namespace`` (None if it denotes nothing)."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _lookup(node.value, namespace)
        return None if base is None else getattr(base, node.attr, None)
    return None


def constant_value(module: Any, name: str, where: Optional[SourceRange]) -> Any:
    """The value of constant ``name`` of ``module`` as the script bakes it in: lists become
    tuples (as in TorchScript). ScriptError when it is unset or not a valid constant."""
    what = f"'{name}' of module '{type(module).__name__}'"
    if not hasattr(module, name):
        raise ScriptError(f"{what} is declared a constant (torch.jit.Final or __constants__) but is not set",
                          where, fix=f"assign self.{name} in __init__")
    value = _as_constant(getattr(module, name))
    if value is _INVALID:
        raise ScriptError(f"{what} is a constant (torch.jit.Final or __constants__) but its value, a "
                          f"{type(getattr(module, name)).__name__}, is not a valid constant", where,
                          fix="a constant must be None, bool, int, float, str, or a tuple or list of them")
    return value


_INVALID = object()


def _as_constant(value: Any) -> Any:
    """``value`` as a script constant, or _INVALID."""
    if isinstance(value, (list, tuple)):
        items = tuple(_as_constant(v) for v in value)
        return _INVALID if any(i is _INVALID for i in items) else items
    return value if python_type(value)[0] else _INVALID


__all__ = ["Final", "constant_names", "constant_value"]

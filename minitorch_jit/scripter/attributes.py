"""A module's state as its scripted methods see it: attributes read at each call and written
back when a method assigns them (``self.count += 1``, ``self.x = t``).

Which plain attributes are state (the rest of a module's plain attributes are baked into the
graphs as constants, as numbers and strings that no method assigns can be):

- those a method of the class other than ``__init__`` assigns;
- tensors (they can change without being assigned, and they are values a graph takes, not
  constants; lists and dicts no method assigns are shared ScriptLists/ScriptDicts instead);
- those the class body annotates (``x: List[int]``, not ``Final``), and those set to a
  ``torch.jit.Attribute(value, type)``.

Their types, as TorchScript finds them: the ``torch.jit.Attribute``'s, else the class body's
annotation, else the value's (``[]`` and ``None`` say too little: an annotation in ``__init__``
on such a value is not read, as TorchScript does not read it, with its warning).
"""
from __future__ import annotations

import ast
import inspect
import sys
import textwrap
import types as pytypes
import warnings
from typing import Any, Dict, FrozenSet, Optional, Set

from minitorch_jit.ir.types import NONE, TENSOR, ListType, Type

from ..nn.module import Module
from ..runtime.compiled import Attribute
from ..tensor import Tensor
from .constants import constant_names
from .errors import ScriptError, SourceRange
from .types import python_type, type_name, typing_type

_ASSIGNED: Dict[type, FrozenSet[str]] = {}
_INIT_ANNOTATED: Dict[type, FrozenSet[str]] = {}


def _methods(cls: type) -> Any:
    """The functions the module's own classes define (not nn.Module's)."""
    for base in cls.__mro__:
        if base.__module__.startswith(_PACKAGE):
            continue
        for name, fn in vars(base).items():
            fn = getattr(fn, "fn", fn)  # a @script_method stub holds the function
            if isinstance(fn, pytypes.FunctionType):
                yield name, fn
            elif isinstance(fn, property):  # its getter and setter compile as methods
                yield from ((name, f) for f in (fn.fget, fn.fset) if isinstance(f, pytypes.FunctionType))


_PACKAGE = __name__.split(".")[0] + "."


def _tree(fn: pytypes.FunctionType) -> Optional[ast.AST]:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None


def _self_targets(tree: ast.AST) -> Any:
    """The (statement, attribute name) of each ``self.NAME = ...``, ``self.NAME += ...`` and
    ``self.NAME: T = ...`` in a method's tree."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self" \
                        and isinstance(sub.ctx, ast.Store):
                    yield node, sub.attr


def assigned_attributes(cls: type) -> FrozenSet[str]:
    """The attribute names the class's methods other than ``__init__`` assign on ``self``."""
    found = _ASSIGNED.get(cls)
    if found is None:
        names: Set[str] = set()
        for name, fn in _methods(cls):
            tree = _tree(fn) if name != "__init__" else None
            if tree is not None:
                names.update(attr for _, attr in _self_targets(tree))
        found = _ASSIGNED[cls] = frozenset(names)
    return found


def _init_annotated(cls: type) -> FrozenSet[str]:
    """Attributes ``__init__`` annotates (``self.x: List[int] = []``, or
    ``self.x = torch.jit.annotate(List[int], [])``)."""
    found = _INIT_ANNOTATED.get(cls)
    if found is None:
        names: Set[str] = set()
        for name, fn in _methods(cls):
            tree = _tree(fn) if name == "__init__" else None
            for node, attr in _self_targets(tree) if tree is not None else ():
                value = getattr(node, "value", None)
                if isinstance(node, ast.AnnAssign) or (
                        isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)) and
                        (getattr(value.func, "attr", None) or getattr(value.func, "id", None)) == "annotate"):
                    names.add(attr)
        found = _INIT_ANNOTATED[cls] = frozenset(names)
    return found


def class_annotation(cls: type, name: str) -> Any:
    """The class body's annotation of ``name`` (the nearest class's), and the namespace its
    names are read in; None when there is none."""
    for base in cls.__mro__:
        annotations = vars(base).get("__annotations__", {})
        if name in annotations:
            module = sys.modules.get(base.__module__)
            return annotations[name], dict(vars(module)) if module is not None else {}
    return None


def is_state(module: Module, name: str) -> bool:
    """Is the plain attribute ``name`` read at each call rather than baked in?"""
    cls = type(module)
    if name in constant_names(cls):
        return False
    value = module.__dict__.get(name, getattr(cls, name, None))
    if isinstance(value, Attribute) or name in module.__dict__.get("_attribute_types", {}) or \
            name in assigned_attributes(cls):
        return True
    if isinstance(value, (list, dict)):
        return False  # shared with the ScriptModule as a ScriptList/ScriptDict (see .containers)
    return isinstance(value, Tensor) or class_annotation(cls, name) is not None


def state_value(module: Module, name: str) -> Any:
    """The value of state attribute ``name`` (a ``torch.jit.Attribute`` unwrapped)."""
    value = module.__dict__[name] if name in module.__dict__ else getattr(type(module), name)
    return value.value if isinstance(value, Attribute) else value


def state_type(module: Module, name: str, where: Optional[SourceRange]) -> Optional[Type]:
    """The type of state attribute ``name``; None when it has none TorchScript would give it
    (an empty list or None with no annotation it reads)."""
    cls = type(module)
    value = module.__dict__.get(name, getattr(cls, name, None))
    if isinstance(value, Attribute):
        return typing_type(value.type, {}, where)
    if name in module.__dict__.get("_attribute_types", {}):  # a ScriptModule subclass unwrapped it
        return typing_type(module.__dict__["_attribute_types"][name], {}, where)
    found = class_annotation(cls, name)
    if found is not None:
        return typing_type(found[0], found[1], where)
    inferred = infer_type(value)
    if (inferred is None or inferred == NONE) and name in _init_annotated(cls):
        warnings.warn("The TorchScript type system doesn't support instance-level annotations on empty non-base "
                      f"types in `__init__`. Instead, either 1) use a type annotation in the class body, or 2) wrap "
                      f"the type in `torch.jit.Attribute`. (attribute '{name}' of {cls.__name__})", UserWarning,
                      stacklevel=2)
    return inferred


def infer_type(value: Any) -> Optional[Type]:
    """The type of an attribute's value: None for an empty list (or a list of values that
    have different types), whose element type it does not say."""
    if isinstance(value, Tensor):
        return TENSOR
    if isinstance(value, list):
        elems = [infer_type(v) for v in value]
        if not elems or any(e is None or e != elems[0] for e in elems):
            return None
        return ListType(elems[0])  # type: ignore[arg-type]
    ok, t = python_type(value)
    return t if ok else None


def nonexistent(name: str, where: SourceRange) -> ScriptError:
    return ScriptError(f"Tried to set nonexistent attribute: {name}. Did you forget to initialize it in __init__()?",
                       where)


def wrong_type(expected: Type, got: Type, where: SourceRange) -> ScriptError:
    return ScriptError(f"Wrong type for attribute assignment. Expected {type_name(expected)} but got "
                       f"{type_name(got)}", where)


__all__ = ["Attribute", "assigned_attributes", "is_state", "state_type", "state_value", "infer_type"]

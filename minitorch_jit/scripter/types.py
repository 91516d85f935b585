"""Type annotations to IR types, and how the scripter writes types in messages.

Annotations are read from the AST and their names resolved in the function's scope, so
``List[int]``, ``list[int]``, ``typing.List[int]``, ``Dict[str, Tensor]``, ``dict[str, int]``,
``Optional[Tensor]``, ``Tensor | None`` and string annotations (``from __future__ import
annotations``) all work.
"""
from __future__ import annotations

import ast
import builtins
import collections
import math
import sys
import types as pytypes
import typing
from typing import Any, Callable, Dict, Optional, Tuple

from minitorch_jit.ir.types import (
    ANY,
    BOOL,
    DEVICE,
    FLOAT,
    INT,
    NONE,
    STR,
    TENSOR,
    AnyType,
    BoolType,
    DictType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    NumberType,
    OptionalType,
    ScalarTypeType,
    StrType,
    TensorType,
    TupleType,
    Type,
    UnionType,
    union_of,
)

from ..devices import device
from ..runtime.broadcasting_list import BroadcastingList, BroadcastList
from ..tensor import Tensor
from .errors import ScriptError, SourceRange, UnknownTypeError

Resolve = Callable[[ast.AST], Any]
"""Evaluates a Name/Attribute annotation node to the Python object it names."""

_GENERICS = (((typing.List, list), "List"), ((typing.Tuple, tuple), "Tuple"), ((typing.Optional,), "Optional"),
             ((typing.Union,), "Union"))
# The type a user-defined class, enum, interface or NamedTuple named in an annotation means
# (set by the compiler, which compiles the class): ``user_types(obj, where)``, None for others.
user_types: Optional[Callable[[Any, Any], Optional[Type]]] = None
_SCALARS = {int: INT, float: FLOAT, bool: BOOL, str: STR, type(None): NONE, Tensor: TENSOR, device: DEVICE}
_DICTS = (typing.Dict, dict, collections.OrderedDict, typing.OrderedDict)
_ANNOTATE = "annotate with int, float, bool, str, Tensor, List[T], Dict[K, V], Tuple[...] or Optional[T]"
DICT_KEYS = (StrType, IntType, FloatType, BoolType, TensorType)
"""The kinds of dict keys (tensors are hashed by identity, as in Python)."""


def language_names() -> Dict[str, Any]:
    """Names the script language knows without Python: in type comments, TorchScript source
    given as text, and annotations naming what the function's module did not import."""
    root = sys.modules[__name__.split(".")[0]]
    return {"torch": root, "math": math, "Tensor": Tensor, "List": typing.List, "Tuple": typing.Tuple,
            "Optional": typing.Optional, "Dict": typing.Dict, "Any": typing.Any}


def annotation_type(node: ast.AST, resolve: Resolve, where: Callable[[ast.AST], Any]) -> Type:
    """The IR type an annotation expression denotes; ScriptError (at ``where(node)``) when it
    is not a type the script language has."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return NONE
        if isinstance(node.value, str):
            try:
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                raise ScriptError(f"cannot parse the annotation {node.value!r}", where(node)) from None
            for n in ast.walk(inner):  # errors point at the string
                ast.copy_location(n, node)
                n.end_lineno, n.end_col_offset = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
            return annotation_type(inner, resolve, where)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # PEP 604: T | U
        return union_of([annotation_type(node.left, resolve, where), annotation_type(node.right, resolve, where)])
    if isinstance(node, ast.Subscript):
        base = resolve(node.value)
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, BroadcastingList):  # a list (that a call may give one number for)
            return ListType(annotation_type(args[0], resolve, where))
        if base in (typing.List, list):
            if len(args) != 1:
                raise ScriptError("List[...] takes one element type", where(node))
            return ListType(annotation_type(args[0], resolve, where))
        if base in _DICTS:
            if len(args) != 2:
                raise ScriptError("Dict[...] takes a key type and a value type", where(node))
            key = annotation_type(args[0], resolve, where)
            if not isinstance(key, DICT_KEYS):
                raise ScriptError(f"Dict keys must be str, int, float, bool or Tensor, not {type_name(key)} "
                                  "(TorchScript: only int, float, complex, Tensor, device and string keys are "
                                  "supported)", where(args[0]))
            return DictType(key, annotation_type(args[1], resolve, where))
        if base in (typing.Tuple, tuple):
            if any(isinstance(a, ast.Constant) and a.value is Ellipsis for a in args):
                raise ScriptError("variable-length tuples (Tuple[T, ...]) are not supported", where(node),
                                  fix="give every element's type, or use List[T]")
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
                return TupleType([])
            return TupleType([annotation_type(a, resolve, where) for a in args])
        if base is typing.Optional:
            return union_of([annotation_type(args[0], resolve, where), NONE])
        if base is typing.Union:
            return union_of([annotation_type(a, resolve, where) for a in args])
        raise ScriptError(f"unsupported type annotation {_text(node)}", where(node),
                          fix=_ANNOTATE)
    obj = resolve(node)
    if obj in _SCALARS:
        return _SCALARS[obj]
    user = user_types(obj, where(node)) if user_types is not None else None
    if user is not None:
        return user
    if obj is typing.Any:
        return ANY
    for generic, name in _GENERICS:  # TorchScript's words
        if obj in generic:
            raise ScriptError(f"Attempted to use {name} without a contained type. Please add a contained type, "
                              f"e.g. {name}[int]", where(node))
    if obj in _DICTS:
        raise ScriptError("Attempted to use Dict without contained types. Please add contained type, e.g. "
                          "Dict[int, int]", where(node), fix="write Dict[str, Tensor], Dict[int, int], ...")
    raise UnknownTypeError(f"Unknown type annotation: {_text(node)} is not a type of the script language", where(node),
                           fix=_ANNOTATE)


def annotation_type_of_object(hint: Any, where: Any) -> Optional[Type]:
    """The IR type of a Python type hint object (``typing.get_type_hints`` of a NamedTuple),
    None when the script language has no such type."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        elem = annotation_type_of_object(args[0], where)
        return None if elem is None else ListType(elem)
    if origin is dict and len(args) == 2:
        key, value = annotation_type_of_object(args[0], where), annotation_type_of_object(args[1], where)
        return None if key is None or value is None else DictType(key, value)
    if origin is tuple and Ellipsis not in args:
        elems = [annotation_type_of_object(a, where) for a in args]
        return None if any(e is None for e in elems) else TupleType([e for e in elems if e is not None])
    if origin is typing.Union:
        members = [annotation_type_of_object(a, where) for a in args]
        return None if any(m is None for m in members) else union_of([m for m in members if m is not None])
    if hint is typing.Any:
        return ANY
    return user_types(hint, where) if user_types is not None else None


def _text(node: ast.AST) -> str:
    try:
        return f"`{ast.unparse(node)}`"
    except Exception:
        return "here"


def erase(t: Type) -> Type:
    """Forget tensor refinements: script graphs type tensors ``Tensor``, as TorchScript's do;
    dtypes and sizes come from specializing on the inputs."""
    if isinstance(t, TensorType):
        return TENSOR
    if isinstance(t, ListType):
        return ListType(erase(t.elem))
    if isinstance(t, OptionalType):
        return OptionalType(erase(t.elem))
    if isinstance(t, TupleType):  # (a named tuple stays named: its fields are read by name)
        return t.with_elems([erase(e) for e in t.elems])
    if isinstance(t, DictType):
        return DictType(t.key, erase(t.value))
    if isinstance(t, UnionType):
        return union_of([erase(m) for m in t.types])
    return t


def type_name(t: Type) -> str:
    """A type as Python code writes it: ``List[int]``, ``Optional[Tensor]``, ``Tuple[int, str]``."""
    if isinstance(t, TensorType):
        return "Tensor"
    if isinstance(t, ListType):
        return f"List[{type_name(t.elem)}]"
    if isinstance(t, OptionalType):
        return f"Optional[{type_name(t.elem)}]"
    if isinstance(t, DictType):
        return f"Dict[{type_name(t.key)}, {type_name(t.value)}]"
    if isinstance(t, TupleType):
        return "Tuple[" + ", ".join(type_name(e) for e in t.elems) + "]" if t.elems else "Tuple[()]"
    if isinstance(t, UnionType):
        return "Union[" + ", ".join("NoneType" if isinstance(m, NoneType) else type_name(m) for m in t.types) + "]"
    if isinstance(t, NoneType):
        return "None"
    if isinstance(t, NumberType):
        return "number"
    if isinstance(t, ScalarTypeType):
        return "dtype"
    if isinstance(t, AnyType):
        return "Any"
    return str(t)


def is_number(t: Type) -> bool:
    return isinstance(t, (IntType, FloatType, BoolType, NumberType))


def is_tensor(t: Type) -> bool:
    return isinstance(t, TensorType)


def python_type(value: Any) -> Tuple[bool, Type]:
    """The IR type of a Python constant that may be baked into a graph, as (ok, type)."""
    if value is None:
        return True, NONE
    if isinstance(value, bool):
        return True, BOOL
    if isinstance(value, int):
        return True, INT
    if isinstance(value, float):
        return True, FLOAT
    if isinstance(value, str):
        return True, STR
    if isinstance(value, tuple):
        elems = [python_type(v) for v in value]
        if all(ok for ok, _ in elems):
            return True, TupleType([t for _, t in elems])
    return False, NONE



def typing_type(obj: Any, namespace: Dict[str, Any], where: Optional[SourceRange]) -> Type:
    """The IR type of an annotation given as a Python object (``List[int]``, ``Optional[str]``,
    a class body's ``__annotations__`` entry) or as a string (read in ``namespace``)."""
    if isinstance(obj, str):
        try:
            node = ast.parse(obj, mode="eval").body
        except SyntaxError:
            raise ScriptError(f"cannot parse the annotation {obj!r}", where) from None

        def resolve(n: ast.AST) -> Any:
            if isinstance(n, ast.Name):
                if n.id in namespace:
                    return namespace[n.id]
                if hasattr(builtins, n.id):
                    return getattr(builtins, n.id)
                raise ScriptError(f"unknown type '{n.id}' in the annotation {obj!r}", where)
            if isinstance(n, ast.Attribute):
                base = resolve(n.value)
                if not hasattr(base, n.attr):
                    raise ScriptError(f"unknown type '{ast.unparse(n)}' in the annotation {obj!r}", where)
                return getattr(base, n.attr)
            raise ScriptError(f"unsupported type annotation {obj!r}", where)

        return annotation_type(node, resolve, lambda n: where)
    if obj in _SCALARS:
        return _SCALARS[obj]
    if isinstance(obj, BroadcastList):
        return ListType(typing_type(obj.elem, namespace, where))
    if obj is None:
        return NONE
    if obj is typing.Any:
        return ANY
    origin, args = typing.get_origin(obj), typing.get_args(obj)
    if origin is list and len(args) == 1:
        return ListType(typing_type(args[0], namespace, where))
    if origin is tuple:
        if args == ((),):
            return TupleType([])
        return TupleType([typing_type(a, namespace, where) for a in args])
    if origin is typing.Union or (origin is not None and origin is getattr(pytypes, "UnionType", None)):
        return union_of([typing_type(a, namespace, where) for a in args])
    if origin in (dict, collections.OrderedDict) and len(args) == 2:
        return DictType(typing_type(args[0], namespace, where), typing_type(args[1], namespace, where))
    user = user_types(obj, where) if user_types is not None else None
    if user is not None:
        return user
    raise ScriptError(f"unsupported type annotation {obj!r}", where,
                      fix="annotate with int, float, bool, str, Tensor, List[T], Dict[K, V], Tuple[...], Optional[T], "
                          "Union or a scripted class")

"""Type annotations to IR types, and how the scripter writes types in messages.

Annotations are read from the AST and their names resolved in the function's scope, so
``List[int]``, ``list[int]``, ``typing.List[int]``, ``Dict[str, Tensor]``, ``dict[str, int]``,
``Optional[Tensor]``, ``Tensor | None`` and string annotations (``from __future__ import
annotations``) all work.
"""
from __future__ import annotations

import ast
import collections
import typing
from typing import Any, Callable, Tuple

from minitorch_jit.ir.types import (
    BOOL,
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
)

from ..tensor import Tensor
from .errors import ScriptError

Resolve = Callable[[ast.AST], Any]
"""Evaluates a Name/Attribute annotation node to the Python object it names."""

_SCALARS = {int: INT, float: FLOAT, bool: BOOL, str: STR, type(None): NONE, Tensor: TENSOR}
_DICTS = (typing.Dict, dict, collections.OrderedDict, typing.OrderedDict)
_ANNOTATE = "annotate with int, float, bool, str, Tensor, List[T], Dict[K, V], Tuple[...] or Optional[T]"
DICT_KEYS = (StrType, IntType, FloatType, BoolType, TensorType)
"""The kinds of dict keys (tensors are hashed by identity, as in Python)."""


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
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # PEP 604: T | None
        left, right = annotation_type(node.left, resolve, where), annotation_type(node.right, resolve, where)
        return _optional(left, right, node, where)
    if isinstance(node, ast.Subscript):
        base = resolve(node.value)
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base in (typing.List, list):
            if len(args) != 1:
                raise ScriptError("List[...] takes one element type", where(node))
            return ListType(annotation_type(args[0], resolve, where))
        if base in _DICTS:
            if len(args) != 2:
                raise ScriptError("Dict[...] takes a key type and a value type", where(node))
            key = annotation_type(args[0], resolve, where)
            if not isinstance(key, DICT_KEYS):
                raise ScriptError(f"Dict keys must be str, int, float, bool or Tensor, not {type_name(key)}",
                                  where(args[0]))
            return DictType(key, annotation_type(args[1], resolve, where))
        if base in (typing.Tuple, tuple):
            if any(isinstance(a, ast.Constant) and a.value is Ellipsis for a in args):
                raise ScriptError("variable-length tuples (Tuple[T, ...]) are not supported", where(node),
                                  fix="give every element's type, or use List[T]")
            if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
                return TupleType([])
            return TupleType([annotation_type(a, resolve, where) for a in args])
        if base is typing.Optional:
            return OptionalType(annotation_type(args[0], resolve, where))
        if base is typing.Union:
            types = [annotation_type(a, resolve, where) for a in args]
            if len(types) == 2:
                return _optional(types[0], types[1], node, where)
            raise ScriptError("Union types are not supported, except Union[T, None]", where(node),
                              fix="use Optional[T]")
        raise ScriptError(f"unsupported type annotation {_text(node)}", where(node),
                          fix=_ANNOTATE)
    obj = resolve(node)
    if obj in _SCALARS:
        return _SCALARS[obj]
    if obj in (typing.List, list):
        raise ScriptError("Attempted to use List without a contained type", where(node),
                          fix="write List[int], List[Tensor], ...")
    if obj in _DICTS:
        raise ScriptError("Attempted to use Dict without contained types", where(node),
                          fix="write Dict[str, Tensor], Dict[int, int], ...")
    if obj in (typing.Tuple, tuple):
        raise ScriptError("Tuple needs element types", where(node), fix="write Tuple[Tensor, int], ...")
    raise ScriptError(f"unsupported type annotation {_text(node)}", where(node),
                      fix=_ANNOTATE)


def _optional(a: Type, b: Type, node: ast.AST, where: Callable[[ast.AST], Any]) -> Type:
    if isinstance(b, NoneType) and not isinstance(a, NoneType):
        return OptionalType(a)
    if isinstance(a, NoneType) and not isinstance(b, NoneType):
        return OptionalType(b)
    raise ScriptError("Union types are not supported, except T | None", where(node), fix="use Optional[T]")


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
    if isinstance(t, TupleType):
        return TupleType([erase(e) for e in t.elems])
    if isinstance(t, DictType):
        return DictType(t.key, erase(t.value))
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


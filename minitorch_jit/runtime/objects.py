"""Values of user-defined types crossing between Python and compiled code.

- A :class:`~minitorch_jit.codegen.objects.ScriptObject` passes as it is (both sides share
  it); a plain Python instance of a compiled class is converted into one, its fields read
  by name and checked against the field types (``missing attribute``, ``Could not cast
  attribute``), as TorchScript converts it.
- An enum member passes as it is, when it is a member of the parameter's enum.
- A value of an interface type is an object whose class has the interface's methods.
"""
from __future__ import annotations

import enum
from typing import Any, Callable

from minitorch_jit.codegen import objects
from minitorch_jit.codegen.objects import ScriptObject
from minitorch_jit.ir import Type
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType
from minitorch_jit.ir.types import DEVICE, ListType, OptionalType, TupleType

from ..devices import device
from ..ops import dispatch
from ..ops.dispatch import _NOFIT, convert, unwrap
from .executor import wrap


def _holds(t: Type, leaf: Callable[[Type], bool]) -> bool:
    """Does a value of type ``t`` hold a ``leaf`` type, in lists, optionals or tuples?"""
    if leaf(t):
        return True
    if isinstance(t, (ListType, OptionalType)):
        return _holds(t.elem, leaf)
    if isinstance(t, TupleType):
        return any(_holds(e, leaf) for e in t.elems)
    return False


def holds_objects(t: Type) -> bool:
    """Does a value of type ``t`` hold objects, enums or named tuples (whose conversion makes
    a new value rather than only checking it)?"""
    return _holds(t, lambda e: isinstance(e, (ClassType, EnumType, InterfaceType, NamedTupleType)))


def holds_named_tuples(t: Type) -> bool:
    """Does a result of type ``t`` hold values that Python gets as other objects than graphs
    hold them: NamedTuples (graphs hold plain tuples) and devices (graphs hold "cpu")?"""
    return _holds(t, lambda e: isinstance(e, NamedTupleType) or e == DEVICE)


def named_tuples(value: Any, t: Type) -> Any:
    """A result as Python gets it: tuples of a NamedTuple type are that NamedTuple's class
    (graphs run on plain tuples, whatever the passes made of the types)."""
    if value is None:
        return None
    if t == DEVICE and isinstance(value, str):
        return device(value)
    if isinstance(t, OptionalType):
        return named_tuples(value, t.elem)
    if isinstance(t, ListType) and isinstance(value, list):
        return [named_tuples(v, t.elem) for v in value]
    if isinstance(t, TupleType) and isinstance(value, tuple):
        items = [named_tuples(v, e) for v, e in zip(value, t.elems)]
        if isinstance(t, NamedTupleType) and t.py_class is not None:
            return t.py_class(*items)
        return tuple(items)
    return value


def object_of(value: Any, t: ClassType) -> Any:
    """``value`` as an object of class ``t``: itself when it is one, a ScriptObject with its
    fields when it is a Python object (an error naming what is missing or wrong)."""
    if isinstance(value, ScriptObject):
        return value if value._mtj_type.is_subtype_of(t) else _NOFIT
    if value is None or isinstance(value, (int, float, str, list, tuple, dict)):
        return _NOFIT
    fields = {}
    for name, ft in t.fields.items():
        if not hasattr(value, name):
            raise RuntimeError(f"Tried to cast object to type {t.name} but object was missing attribute {name}")
        c = convert(getattr(value, name), ft)
        if c is _NOFIT:
            got = dispatch.describe(getattr(value, name))
            raise RuntimeError(f"Could not cast attribute '{name}' to type {ft}: it is a {got}")
        fields[name] = unwrap(c)
    return ScriptObject(t, fields)


def _enum_member(value: Any, t: EnumType) -> Any:
    return value if isinstance(value, enum.Enum) and t.py_class is not None and type(value) is t.py_class else _NOFIT


def _interface_value(value: Any, t: InterfaceType) -> Any:
    if isinstance(value, ScriptObject) and value._mtj_type.is_subtype_of(t):
        return value
    return _NOFIT


dispatch.register_object_converter(ClassType, object_of)
dispatch.register_object_converter(EnumType, _enum_member)
dispatch.register_object_converter(InterfaceType, _interface_value)
objects.set_boundary(lambda v: wrap(v, {}), unwrap)

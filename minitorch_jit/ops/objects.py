"""Ops on values of user-defined types (``ir.class_types``): an enum's name and value, and
equality of enums; lists of objects of different classes that are one interface.

As TorchScript's, ``aten::eq.enum(AnyEnumType a, AnyEnumType b)`` takes two enums of any
(even different) enum classes."""
from __future__ import annotations

import enum
from typing import Any, List, Sequence

from minitorch_jit.ir.class_types import EnumType
from minitorch_jit.ir.types import ANY, Type

from .declare import op
from .prims import _list_rule


@op("prim::EnumName(AnyEnumType enum) -> str", total=True)
def enum_name(e: enum.Enum) -> str:
    return e.name


def _value_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = types[0]
    return [t.value_type if isinstance(t, EnumType) else ANY]


@op("prim::EnumValue(AnyEnumType enum) -> Any", type_rule=_value_rule, total=True)
def enum_value(e: enum.Enum) -> Any:
    return e.value


@op("aten::eq.enum(AnyEnumType a, AnyEnumType b) -> bool", total=True)
def enum_eq(a: enum.Enum, b: enum.Enum) -> bool:
    return a is b


@op("aten::ne.enum(AnyEnumType a, AnyEnumType b) -> bool", total=True)
def enum_ne(a: enum.Enum, b: enum.Enum) -> bool:
    return a is not b


@op("prim::ListConstruct.objects(Any... elems) -> Any[]", type_rule=_list_rule, total=True)
def list_of_objects(*elems: Any) -> List[Any]:
    """A list whose elements have types that no one type variable binds: objects of classes
    that implement the list's interface (``torch.jit.annotate(List[OneTwo], [a, b])``). Its
    type rule is ListConstruct's (their join, else Any)."""
    return list(elems)

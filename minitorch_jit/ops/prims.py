"""Ops on non-tensor values that graphs need: printing and raising, list and tuple
construction, conversions between tensors and Python numbers, and unary number ops."""
from __future__ import annotations

import builtins
import math
from typing import Any, Dict, List, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    NUMBER,
    ListType,
    TensorType,
    TupleType,
    Type,
    is_float,
    tensor_type,
)

from .._format import tensor_repr
from .declare import num_rule, op

_EXCEPTIONS = {c.__name__: c for c in (Exception, ValueError, RuntimeError, AssertionError, TypeError, IndexError,
                                         KeyError, NotImplementedError, ZeroDivisionError)}


def _show(v: Any, nested: bool = False) -> str:
    """``str(v)`` as Python shows the value (elements of containers by their repr)."""
    if isinstance(v, np.ndarray):
        return tensor_repr(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_show(x, True) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_show(k, True)}: {_show(x, True)}" for k, x in v.items()) + "}"
    return repr(v) if nested else str(v)


@op("prim::Print(Any... args) -> ()", names=("builtins.print",), side_effects=True)
def print_(*args: Any) -> None:
    """print() of graph values: tensors are shown as PyTorch shows them."""
    builtins.print(*[_show(a) for a in args])


class Error(Exception):
    """``torch.jit.Error``: what a ``raise`` (or a failed ``assert``) in compiled code raises."""


_RAISED: Dict[type, type] = {}


def raised_class(cls: type) -> type:
    """The class of what ``raise cls(...)`` raises from compiled code: ``torch.jit.Error``, as
    TorchScript raises, and still ``cls`` (``ValueError``), as the same code raises in Python."""
    if cls not in _RAISED:
        bases = (Error,) if cls is Exception else (Error, cls)
        _RAISED[cls] = type(cls.__name__, bases, {"__module__": cls.__module__})
    return _RAISED[cls]


@op("prim::RaiseException(str msg, str cls=\"Exception\") -> ()", side_effects=True)
def raise_exception(msg: str, cls: str = "Exception") -> None:
    """``raise Cls(msg)`` and a failed ``assert`` in a scripted function."""
    raise raised_class(_EXCEPTIONS.get(cls, Exception))(msg)


def _list_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    from minitorch_jit.ir.types import unify
    elem = types[0] if types else ANY
    for t in types[1:]:
        elem = unify(elem, t) or ANY
    return [ListType(elem)]


@op("prim::ListConstruct(t... elems) -> t[]", type_rule=_list_rule, total=True)
def list_construct(*elems: Any) -> List[Any]:
    return list(elems)


@op("prim::TupleConstruct(Any... elems) -> Any", type_rule=lambda types, consts: [TupleType(types)], total=True)
def tuple_construct(*elems: Any) -> tuple:
    return elems


def _tuple_index_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, i = types[0], consts[1]
    if isinstance(t, TupleType) and i is not UNKNOWN and -len(t.elems) <= i < len(t.elems):
        return [t.elems[i]]
    return [ANY]


@op("prim::TupleIndex(Any tup, int i) -> Any", type_rule=_tuple_index_rule)
def tuple_index(tup: tuple, i: int) -> Any:
    return tup[i]


# -- tensors to Python numbers and back ---------------------------------------------------------


def _one(a: np.ndarray, what: str) -> Any:
    if a.size != 1:
        raise RuntimeError(f"{what}: a Tensor with {a.size} elements cannot be converted to Scalar")
    return a.reshape(()).item()


@op("prim::Bool.Tensor(Tensor a) -> bool", names=("builtins.bool",))
def bool_tensor(a: np.ndarray) -> bool:
    return bool(_one(a, "bool"))


@op("aten::Int.Tensor(Tensor a) -> int", names=("builtins.int",))
def int_tensor(a: np.ndarray) -> int:
    return int(_one(a, "int"))


@op("aten::Float.Tensor(Tensor a) -> float", names=("builtins.float",))
def float_tensor(a: np.ndarray) -> float:
    return float(_one(a, "float"))


def _item_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    d = tensor_type(types[0]).dtype
    if d is None:
        return [NUMBER]
    return [FLOAT if is_float(d) else (BOOL if d == "bool" else INT)]


@op("aten::item(Tensor self) -> Scalar", names=("Tensor.item",), type_rule=_item_rule)
def item(a: np.ndarray) -> Any:
    return _one(a, "item")


@op("prim::NumToTensor(Scalar a) -> Tensor",
    type_rule=lambda types, consts: [TensorType({INT: "int64", FLOAT: "float64", BOOL: "bool"}.get(types[0]), ())])
def num_to_tensor(a: Any) -> np.ndarray:
    """A Python number as a 0-d tensor (ints int64, floats float64: no wrapped-number rules)."""
    return np.array(a, dtype=np.float64 if isinstance(a, float) else None)


# -- numbers --------------------------------------------------------------------------------

op("prim::Bool.num(Scalar a) -> bool", names=("builtins.bool",))(builtins.bool)
op("aten::Int.num(Scalar a) -> int", names=("builtins.int",))(builtins.int)
op("aten::Float.num(Scalar a) -> float", names=("builtins.float",))(builtins.float)
op("aten::neg.num(Scalar a) -> Scalar", names=("operator.__neg__",), type_rule=num_rule("arith"))(
    lambda a: -a)
op("aten::abs.num(Scalar a) -> Scalar", names=("builtins.abs",), type_rule=num_rule("arith"))(builtins.abs)
op("aten::__not__(bool self) -> bool", names=("operator.__not__",), total=True)(lambda b: not b)
op("aten::floor.float(float a) -> int", names=("math.floor",))(math.floor)
op("aten::ceil.float(float a) -> int", names=("math.ceil",))(math.ceil)

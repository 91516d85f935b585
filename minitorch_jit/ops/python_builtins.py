"""Python builtins on values that scripted code calls (``ord``, ``chr``, ``divmod``, ``hex``,
``bin``, ``oct``, ``abs``...), and the tensor queries behind attributes that are not methods
(``x.device``, ``x.is_cuda``). Kernels compute what Python computes, with Python's errors."""
from __future__ import annotations

import builtins
import math
from typing import Any, List, Sequence

import numpy as np

from minitorch_jit.ir.types import BOOL, FLOAT, INT, NUMBER, SHORT_NAME, Type, is_float, tensor_type

from .declare import op


@op("prim::device(Tensor a) -> Device", total=True)
def device(a: np.ndarray) -> str:
    """``x.device``: every tensor here is on the CPU."""
    return "cpu"


@op("prim::is_cuda(Tensor a) -> bool", total=True)
def is_cuda(a: np.ndarray) -> bool:
    return False


# -- tensors passed where numbers are expected ------------------------------------------------------


def _implicit(a: np.ndarray) -> Any:
    if a.ndim != 0:
        raise RuntimeError("Cannot input a tensor of dimension other than 0 as a scalar argument")
    return a.item()


@op("aten::IntImplicit(Tensor a) -> int")
def int_implicit(a: np.ndarray) -> int:
    """A tensor passed to an ``int`` parameter of an op, as TorchScript converts it: only a
    0-dim tensor of an integer type."""
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"Cannot input a tensor of type {SHORT_NAME.get(a.dtype.name, a.dtype.name)} as an "
                           "integral argument")
    return int(_implicit(a))


@op("aten::FloatImplicit(Tensor a) -> float")
def float_implicit(a: np.ndarray) -> float:
    return float(_implicit(a))


def _scalar_implicit_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    d = tensor_type(types[0]).dtype
    return [NUMBER if d is None else FLOAT if is_float(d) else BOOL if d == "bool" else INT]


@op("aten::ScalarImplicit(Tensor a) -> Scalar", type_rule=_scalar_implicit_rule)
def scalar_implicit(a: np.ndarray) -> Any:
    return _implicit(a)



# -- numbers --------------------------------------------------------------------------------------

for _overload, _ta, _tb, _tr in (("int", "int", "int", "int"), ("float", "float", "float", "float"),
                                 ("int_float", "int", "float", "float"), ("float_int", "float", "int", "float")):
    op(f"aten::divmod.{_overload}({_ta} x, {_tb} y) -> ({_tr}, {_tr})", names=("builtins.divmod",))(builtins.divmod)

for _elem in ("int", "float", "bool", "str"):
    op(f"aten::any.{_elem}({_elem}[] self) -> bool", names=("builtins.any",), total=True)(builtins.any)
    op(f"aten::all.{_elem}({_elem}[] self) -> bool", names=("builtins.all",), total=True)(builtins.all)


# -- the math module beyond the one-number functions ------------------------------------------------

op("aten::modf(float a) -> (float, float)", names=("math.modf",), total=True)(math.modf)
op("aten::frexp(float a) -> (float, int)", names=("math.frexp",))(math.frexp)
op("aten::ldexp(float x, int i) -> float", names=("math.ldexp",))(math.ldexp)
op("aten::mathremainder.float(float a, float b) -> float", names=("math.remainder",))(math.remainder)
op("aten::isclose.float(float a, float b, *, float rel_tol=1e-09, float abs_tol=0.0) -> bool",
   names=("math.isclose",))(lambda a, b, rel_tol=1e-09, abs_tol=0.0: math.isclose(a, b, rel_tol=rel_tol,
                                                                                   abs_tol=abs_tol))

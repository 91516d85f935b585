"""Ops on Python values that scripted functions need: int/float/bool/str arithmetic beyond
the ``.num`` overloads of the pointwise families, lists, strings and f-strings, the ``math``
module, ``min``/``max``/``round``/``len``, ``range`` loops, identity tests against None, and
the structural casts the scripter's SSA conversion emits.

Kernels keep Python's semantics (``//`` and ``%`` floor, ``round`` rounds half to even and
returns an int, lists are mutable and shared by reference). Names follow TorchScript's where
it has them; where its semantics differ from Python's the schema says what this one does.
"""
from __future__ import annotations

import builtins
import math
from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.types import ANY, STR, OptionalType, Type

from ..tensor import Tensor
from .declare import op
from .prims import _show

# -- numbers ------------------------------------------------------------------------------------


@op("aten::pow.int_to_int(int a, int b) -> int", names=("operator.__pow__", "builtins.pow"))
def pow_int(a: int, b: int) -> int:
    """``int ** int`` is an int in Python when the exponent is not negative; a negative one
    would make the type depend on the value, so it is refused rather than computed."""
    if b < 0:
        raise RuntimeError(f"{a} ** {b}: integers to negative integer powers are not supported in script "
                           "functions (the result type would depend on the value); write float(a) ** b")
    return a ** b


for _dunder, _f in (("__and__", lambda a, b: a & b), ("__or__", lambda a, b: a | b),
                    ("__xor__", lambda a, b: a ^ b)):
    op(f"aten::{_dunder}.int(int a, int b) -> int", names=(f"operator.{_dunder}",))(_f)
    op(f"aten::{_dunder}.bool(bool a, bool b) -> bool", names=(f"operator.{_dunder}",))(_f)


@op("aten::__lshift__.int(int a, int b) -> int", names=("operator.__lshift__",))
def lshift(a: int, b: int) -> int:
    return a << b


@op("aten::__rshift__.int(int a, int b) -> int", names=("operator.__rshift__",))
def rshift(a: int, b: int) -> int:
    return a >> b


@op("aten::__invert__.int(int a) -> int", names=("operator.__invert__",))
def invert(a: int) -> int:
    return ~a


for _name, _pick in (("min", builtins.min), ("max", builtins.max)):
    op(f"prim::{_name}.int(int a, int b) -> int", names=(f"builtins.{_name}",))(_pick)
    op(f"prim::{_name}.float(float a, float b) -> float", names=(f"builtins.{_name}",))(
        lambda a, b, _pick=_pick: float(_pick(a, b)))
    op(f"prim::{_name}.int_list(int[] l) -> int", names=(f"builtins.{_name}",))(_pick)
    op(f"prim::{_name}.float_list(float[] l) -> float", names=(f"builtins.{_name}",))(
        lambda l, _pick=_pick: float(_pick(l)))


@op("aten::round.float(float a) -> int", names=("builtins.round",))
def round_float(a: float) -> int:
    """Python's ``round(x)``: half to even, an int (TorchScript's returns a float)."""
    return builtins.round(a)


@op("aten::round.float_ndigits(float a, int ndigits) -> float", names=("builtins.round",))
def round_ndigits(a: float, ndigits: int) -> float:
    return float(builtins.round(a, ndigits))


class ConversionError(RuntimeError, ValueError):
    """Text that is not a number: a RuntimeError as TorchScript raises it, and the ValueError
    Python raises, with Python's message."""


@op("aten::Int.str(str a) -> int", names=("builtins.int",))
def int_str(a: str) -> int:
    try:
        return int(a)
    except ValueError as e:
        raise ConversionError(str(e)) from None


@op("aten::Float.str(str a) -> float", names=("builtins.float",))
def float_str(a: str) -> float:
    try:
        return float(a)
    except ValueError as e:
        raise ConversionError(str(e)) from None


# -- the math module ------------------------------------------------------------------------------

for _name in ("sqrt", "exp", "log", "log10", "log2", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos",
              "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "fabs", "erf", "erfc", "gamma",
              "lgamma", "degrees", "radians"):
    op(f"aten::{_name}.float(float a) -> float", names=(f"math.{_name}",))(getattr(math, _name))
for _name in ("atan2", "fmod", "copysign", "hypot"):
    op(f"aten::{_name}.float_float(float a, float b) -> float", names=(f"math.{_name}",))(getattr(math, _name))
for _name in ("isnan", "isinf", "isfinite"):
    op(f"aten::{_name}.float(float a) -> bool", names=(f"math.{_name}",))(getattr(math, _name))


@op("aten::pow.float_float(float a, float b) -> float", names=("math.pow", "operator.__pow__", "builtins.pow"))
def pow_float(a: float, b: float) -> float:
    """``a ** b`` and ``math.pow(a, b)`` on floats: one op, as in TorchScript. Where Python's
    ``**`` would make a complex number (a negative base to a fractional power) it raises
    ValueError, as ``math.pow`` does; 0.0 to a negative power raises ZeroDivisionError, as
    ``**`` does (``math.pow`` raises ValueError)."""
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError("0.0 cannot be raised to a negative power")
    return math.pow(a, b)


op("aten::log.float_base(float a, float base) -> float", names=("math.log",))(math.log)
op("aten::trunc.float(float a) -> int", names=("math.trunc",))(math.trunc)
op("aten::gcd.int(int a, int b) -> int", names=("math.gcd",))(math.gcd)
op("aten::factorial.int(int a) -> int", names=("math.factorial",))(math.factorial)


# -- identity tests against None -----------------------------------------------------------------


@op("aten::__is__(t1 self, t2 obj) -> bool", names=("operator.is_",))
def is_(a: Any, b: Any) -> bool:
    return a is b


@op("aten::__isnot__(t1 self, t2 obj) -> bool", names=("operator.is_not",))
def is_not(a: Any, b: Any) -> bool:
    return a is not b


# -- lists ----------------------------------------------------------------------------------------


@op("aten::len.t(t[] a) -> int", names=("builtins.len",), total=True)
def len_list(a: List[Any]) -> int:
    return len(a)


@op("aten::len.Tensor(Tensor t) -> int", names=("builtins.len",))
def len_tensor(a: np.ndarray) -> int:
    if a.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return a.shape[0]


@op("aten::len.str(str s) -> int", names=("builtins.len",), total=True)
def len_str(s: str) -> int:
    return len(s)


@op("aten::__getitem__.t(t[] list, int idx) -> t", names=("list.__getitem__",))
def getitem(a: List[Any], i: int) -> Any:
    return a[i]


@op("aten::slice.t(t[] l, int? start=None, int? end=None, int step=1) -> t[]", names=("list.__getitem__",))
def slice_list(a: List[Any], start: Optional[int] = None, end: Optional[int] = None, step: int = 1) -> List[Any]:
    return a[start:end:step]


@op("aten::_set_item.t(t[](a!) l, int idx, t el) -> ()", names=("list.__setitem__",))
def set_item(a: List[Any], i: int, v: Any) -> None:
    a[i] = v


@op("aten::append.t(t[](a!) self, t el) -> ()", names=("list.append",))
def append(a: List[Any], v: Any) -> None:
    a.append(v)


@op("aten::extend.t(t[](a!) self, t[] other) -> ()", names=("list.extend",))
def extend(a: List[Any], b: List[Any]) -> None:
    a.extend(b)


@op("aten::insert.t(t[](a!) self, int idx, t el) -> ()", names=("list.insert",))
def insert(a: List[Any], i: int, v: Any) -> None:
    a.insert(i, v)


@op("aten::pop.t(t[](a!) self, int idx=-1) -> t", names=("list.pop",))
def pop(a: List[Any], i: int = -1) -> Any:
    if not a:
        raise RuntimeError("pop from empty list")  # TorchScript's error (Python's is an IndexError)
    if not -len(a) <= i < len(a):
        raise RuntimeError("pop index out of range")
    return a.pop(i)


@op("aten::add.t(t[] a, t[] b) -> t[]", names=("list.__add__",))
def add_list(a: List[Any], b: List[Any]) -> List[Any]:
    return a + b


@op("aten::add_.t(t[](a!) self, t[] b) -> t[](a!)", names=("list.__iadd__",))
def iadd_list(a: List[Any], b: List[Any]) -> List[Any]:
    a += b
    return a


@op("aten::list.t(t[] l) -> t[]", names=("builtins.list",))
def copy_list(a: List[Any]) -> List[Any]:
    return list(a)


for _elem in ("int", "float", "str", "bool"):
    op(f"aten::__contains__.{_elem}_list({_elem}[] l, {_elem} item) -> bool", names=("list.__contains__",))(
        lambda a, v: v in a)
    op(f"aten::eq.{_elem}_list({_elem}[] a, {_elem}[] b) -> bool", names=("list.__eq__",))(
        lambda a, b: a == b)
    op(f"aten::ne.{_elem}_list({_elem}[] a, {_elem}[] b) -> bool", names=("list.__ne__",))(
        lambda a, b: a != b)


# -- strings --------------------------------------------------------------------------------------


@op("aten::add.str(str a, str b) -> str", names=("str.__add__",))
def add_str(a: str, b: str) -> str:
    return a + b


# dtypes compare (``x.dtype == torch.uint8``); TorchScript's dtypes are ints, compared by aten::eq.int
op("aten::eq.ScalarType(ScalarType a, ScalarType b) -> bool", names=("operator.__eq__",))(
    lambda a, b: np.dtype(a) == np.dtype(b))
op("aten::ne.ScalarType(ScalarType a, ScalarType b) -> bool", names=("operator.__ne__",))(
    lambda a, b: np.dtype(a) != np.dtype(b))
op("aten::eq.str(str a, str b) -> bool", names=("str.__eq__",))(lambda a, b: a == b)
op("aten::ne.str(str a, str b) -> bool", names=("str.__ne__",))(lambda a, b: a != b)
op("aten::__contains__.str(str self, str key) -> bool", names=("str.__contains__",))(lambda s, k: k in s)


def _python_value(v: Any) -> Any:
    """A graph value as the Python code it came from sees it (arrays are Tensors)."""
    if isinstance(v, np.ndarray):
        return Tensor._wrap(v)
    if isinstance(v, list):
        return [_python_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_python_value(x) for x in v)
    return v


def format_pieces(fmt: str) -> List[str]:
    """The text between the placeholders of a format string in TorchScript's grammar: each
    ``{}`` is a placeholder (filled with ``str`` of the next argument) and no other brace may
    appear, so no field names, indexes, attributes, conversions, format specs or ``{{``
    escapes. In that grammar Python's ``str.format`` and TorchScript's ``aten::format`` agree;
    outside it Python's would read attributes of its arguments (``{0.__class__}``) or pad to
    any width (``{:>2500000000}``) while TorchScript's copies the text, so it is refused.

    Given ``"x={}, y={}"``: ``["x=", ", y=", ""]``."""
    pieces = fmt.split("{}")
    if any("{" in p or "}" in p for p in pieces):
        shown = fmt if len(fmt) <= 60 else fmt[:57] + "..."
        raise ValueError(f"format string {shown!r}: only '{{}}' placeholders are supported (no field names, "
                         "indexes, attributes, conversions, format specs or escaped braces)")
    return pieces


def _format_rule(types: Any, consts: Any) -> List[Type]:
    if isinstance(consts[0], str):
        format_pieces(consts[0])
    return [STR]


@op("aten::format(str self, Any... args) -> str", names=("str.format",), type_rule=_format_rule)
def format_(fmt: str, *args: Any) -> str:
    """``fmt.format(*args)`` and f-strings, for format strings in TorchScript's grammar
    (:func:`format_pieces`), formatting tensors as Python code does. Extra arguments are
    ignored, as by both Python and TorchScript."""
    pieces = format_pieces(fmt)
    if len(pieces) - 1 > len(args):
        raise IndexError(f"format string {fmt[:60]!r} has {len(pieces) - 1} placeholders but {len(args)} arguments")
    out = [pieces[0]]
    for arg, piece in zip(args, pieces[1:]):
        out += [format(_python_value(arg)), piece]
    return "".join(out)


@op("aten::str(t elem) -> str", names=("builtins.str",))
def str_(v: Any) -> str:
    return _show(v)


# -- range loops ---------------------------------------------------------------------------------


@op("aten::__range_length(int lo, int hi, int step) -> int")
def range_length(lo: int, hi: int, step: int) -> int:
    """The trip count of ``for i in range(lo, hi, step)``."""
    if step == 0:
        raise ValueError("range() arg 3 must not be zero")
    return len(range(lo, hi, step))


@op("aten::__derive_index(int index, int start, int step) -> int")
def derive_index(index: int, start: int, step: int) -> int:
    """The loop variable of iteration ``index`` of ``range(start, _, step)``."""
    return start + index * step


# -- structural: what the scripter's SSA conversion and Optional refinement emit -----------------


@op("prim::Uninitialized() -> Any", total=True)
def uninitialized() -> None:
    """A placeholder for a variable on a path that has already returned: typed by its node,
    never read."""
    return None


def _cast_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    """What the cast value is known to be: an optional's element (the cast is made where it
    is not None)."""
    t = types[0]
    if isinstance(t, OptionalType):
        return [t.elem]
    # otherwise the cast's own type says it (a branch isinstance decides may not run at all:
    # its cast need not fit the input); peephole drops casts whose input already fits
    return [ANY]


@op("prim::unchecked_cast(t x) -> Any", type_rule=_cast_rule, total=True)
def unchecked_cast(x: Any) -> Any:
    """``x`` typed more precisely (an ``Optional[T]`` known not to be None is a ``T``)."""
    return x


@op("aten::_unwrap_optional(t? x) -> t", names=("jit._unwrap_optional",))
def unwrap_optional(x: Any) -> Any:
    """``torch.jit._unwrap_optional(x)``: ``x``, known not to be None (an AssertionError if it is)."""
    if x is None:
        raise AssertionError("Unwrapping null optional")
    return x


@op("prim::dtype(Tensor a) -> ScalarType")
def dtype(a: np.ndarray) -> np.dtype:
    """``x.dtype``."""
    return a.dtype

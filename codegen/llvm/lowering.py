"""The scalar lowering of every pointwise op: LLVM IR for one element, keyed by the op's
qualified name in the registry.

A lowering gets the element values of the node's inputs as :class:`Operand` s and the
node's output dtype, and returns the output element. It computes what the op's eager kernel
computes, operation by operation and in the same dtype, so integer and boolean results are
exact and float results round the same way; only the transcendentals (exp, tanh, ...) come
from :mod:`.mathlib` and differ from numpy within their stated error.

Errors that depend on dtypes (``-`` on bools, bitwise ops on floats) never reach a lowering:
the launcher runs the eager kernels on empty inputs of the specialized dtypes first, which
raises exactly what eager raises. Errors that depend on values (integer division by zero,
integers to negative powers, an addcmul ``value`` that does not fit the integer dtype) set a
status bit; the launcher then runs the group's eager kernels on the same inputs, so the
error raised is the one of the first failing op, exactly as eager. The kernel itself never
divides by zero or traps.

Python numbers that are constants of the group are converted at compile time as numpy
converts them for the eager kernels (an int to float32 goes through double, as numpy's
does), and a comparison with an int constant beyond the range of the compared dtype is
decided at compile time (``int32 < 2**31`` is all true), as numpy's exact comparison gives.
Runtime int scalars reach a kernel only within int32's range: the launcher runs the eager
kernels for others.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
from llvmlite import ir

from minitorch_jit.ir.types import DEFAULT_FLOAT, is_float, result_type

from . import mathlib
from .builder import I1, I32, REGISTER, Builder, V

NOT_CONSTANT = object()

# Status bits a kernel reports: an element hit a value error of the eager kernels.
ZERO_DIVISION = 1
NEGATIVE_POWER = 2
OUT_OF_RANGE = 4


@dataclass
class Operand:
    """One input of a node, per element. ``kind`` is "dim" or "zerodim" for tensors,
    "scalar" for Python numbers (whose ``dtype`` is the register dtype: int64, float64 or
    bool) and "none"/"str" for the non-numeric constants some ops take."""
    value: Optional[V]
    dtype: Optional[str]
    kind: str
    const: Any = NOT_CONSTANT

    @property
    def is_none(self) -> bool:
        return self.kind == "none"

    @property
    def promotion_dtype(self) -> str:
        """The dtype this operand counts as in PyTorch's promotion (a Python float is a
        'scalar' of the default float dtype)."""
        if self.kind == "scalar" and self.dtype == "float64":
            return DEFAULT_FLOAT
        return self.dtype  # type: ignore[return-value]


def python_number(c: Any, dtype: str) -> Any:
    """Python number ``c`` as numpy converts it to ``dtype`` for an eager kernel (ints that
    do not fit an integer dtype wrap, as the eager arithmetic takes them)."""
    if dtype == "bool":
        return bool(c)
    if is_float(dtype):
        with np.errstate(over="ignore"):  # 1e40 is inf in float32, silently as in the eager kernels
            return float(np.dtype(dtype).type(c))
    bits = 32 if dtype == "int32" else 64
    half = 1 << (bits - 1)
    return (int(c) + half) % (1 << bits) - half


def int_range(dtype: str) -> tuple:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


class Context:
    """What a lowering emits with: the builder, casts, promotion, math functions and the
    status bits of value errors.

    A kernel computes each element twice over at most: in its fast loop, and, for the blocks
    of elements that loop cannot vouch for, again in a loop emitted with ``exact``. The fast
    loop learns which blocks those are in two ways: math functions whose IR algorithm does
    not cover an argument (sin and cos of huge ones) mark the element in ``beyond`` (the
    exact loop calls libm for it); and lowerings that are exact except for NaN operands
    (max and min, see _extremum) hand those operands to :meth:`watch_nan`, whose NaN the
    loop notices once per block, by a sum (NaN absorbs every addition)."""

    def __init__(self, b: Builder, exact: bool = False):
        self.b = b
        self.exact = exact
        self.status: V = b.c(I32, 0)
        self.beyond: V = b.c(I1, 0)
        self.watched: List[V] = []
        self.math_calls = 0

    def watch_nan(self, x: V) -> None:
        """The fast loop's result is exact unless float ``x`` is NaN."""
        self.watched.append(x)

    @property
    def needs_exact(self) -> bool:
        """Whether some element may need the exact loop."""
        return bool(self.watched) or not isinstance(self.beyond.v, ir.Constant)

    def promote(self, *ops: Operand) -> str:
        return result_type([(o.kind, o.promotion_dtype) for o in ops if o.kind in ("dim", "zerodim", "scalar")])

    def cast(self, op: Operand, to: str) -> V:
        """The operand's value converted to ``to`` as numpy's unsafe cast does (the only
        float-to-integer conversion pointwise ops need is addcmul's, see there). A constant
        is converted here, as numpy converts the Python number for an eager kernel."""
        b, v, frm = self.b, op.value, op.dtype
        assert v is not None and frm is not None, "casting a non-numeric operand"
        if op.const is not NOT_CONSTANT and op.kind == "scalar":
            return b.c(REGISTER[to], python_number(op.const, to))
        if frm == to:
            return v
        t = REGISTER[to]
        if to == "bool":
            return v.ne(0.0 if v.is_float else 0)
        if frm == "bool":
            return b.uitofp(v, t) if is_float(to) else b.zext(v, t)
        if is_float(frm) and is_float(to):
            return b.fpext(v, t) if to == "float64" else b.fptrunc(v, t)
        if is_float(to):
            return b.sitofp(v, t)
        if is_float(frm):
            raise NotImplementedError(f"no pointwise op casts {frm} to {to}")
        return b.sext(v, t) if to == "int64" else b.itrunc(v, t)

    def truth(self, op: Operand) -> V:
        return self.cast(op, "bool")

    def fail_if(self, cond: V, bit: int) -> None:
        """Record that an element hit value error ``bit``."""
        self.status = self.status | self.b.select(cond, self.b.c(I32, bit), self.b.c(I32, 0))

    def math(self, name: str, *args: V) -> V:
        self.math_calls += 1
        value = mathlib.call(self.b, name, *args)
        beyond = mathlib.beyond_reach(self.b, name, *args)
        if beyond is None:
            return value
        if self.exact:
            return self.b.select(beyond, mathlib.libm(self.b, name, *args), value)
        self.beyond = self.beyond | beyond
        return value


Lowering = Callable[[Context, List[Operand], str], V]
LOWERINGS: Dict[str, Lowering] = {}


def lowering(*qualified_names: str) -> Callable[[Lowering], Lowering]:
    def deco(fn: Lowering) -> Lowering:
        for n in qualified_names:
            LOWERINGS[n] = fn
        return fn
    return deco


def _overloads(name: str, *overloads: str) -> List[str]:
    return [f"aten::{name}.{o}" for o in overloads]


BINARY = ("Tensor", "Scalar", "Scalar_Tensor")


# ---------------------------------------------------------------------------------------------
# unary


def _float_unary(name: str, fn: Callable[[Context, V], V]) -> None:
    LOWERINGS[f"aten::{name}"] = lambda cx, ops, out: fn(cx, cx.cast(ops[0], out))


# The smallest floats whose e^x overflows (numpy's exp and the correctly rounded one agree).
EXP_OVERFLOW = {"float32": float.fromhex("0x1.62e43p+6"), "float64": float.fromhex("0x1.62e42fefa39f0p+9")}


def _sigmoid(cx: Context, x: V) -> V:
    """sigmoid as the eager kernel defines it, 1 / (e^-x + 1): 0 where e^-x overflows.
    The math library's is more accurate there (subnormals down to about -104 in float32),
    but a zero and a subnormal differ in every discrete use (x != 0, 0 / y), so the fused
    result is the eager (and PyTorch's) 0."""
    limit = EXP_OVERFLOW["float32" if x.type == REGISTER["float32"] else "float64"]
    return cx.b.select(x.le(-limit), cx.b.c(x.type, 0.0), cx.math("sigmoid", x))


for _name in ("exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "erf"):
    _float_unary(_name, lambda cx, x, _n=_name: cx.math(_n, x))
_float_unary("sigmoid", _sigmoid)
_float_unary("sqrt", lambda cx, x: cx.b.sqrt(x))
_float_unary("rsqrt", lambda cx, x: 1.0 / cx.b.sqrt(x))
_float_unary("reciprocal", lambda cx, x: 1.0 / x)
_float_unary("silu", lambda cx, x: x * _sigmoid(cx, x))


@lowering("aten::neg")
def _neg(cx: Context, ops: List[Operand], out: str) -> V:
    return -cx.cast(ops[0], out)


@lowering("aten::abs")
def _abs(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    return cx.b.fabs(x) if x.is_float else cx.b.select(x.lt(0), -x, x)


@lowering("aten::relu")
def _relu(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    zero = cx.b.c(x.type, 0)
    return cx.b.select(x.lt(zero), zero, x)  # PyTorch's x < 0 ? 0 : x keeps -0.0 and NaN


def _rounding(name: str) -> Lowering:
    def lower(cx: Context, ops: List[Operand], out: str) -> V:
        x = cx.cast(ops[0], out)
        return getattr(cx.b, name)(x) if x.is_float else x  # integers are already whole
    return lower


LOWERINGS["aten::floor"] = _rounding("floor")
LOWERINGS["aten::ceil"] = _rounding("ceil")
LOWERINGS["aten::round"] = _rounding("rint")  # half to even, as numpy and PyTorch
LOWERINGS["aten::trunc"] = _rounding("trunc")


@lowering("aten::round.decimals")
def _round_decimals(cx: Context, ops: List[Operand], out: str) -> V:
    """As the eager kernel: ``rint(x * p) / p``, or ``rint(x / p) * p`` for negative decimals,
    with ``p = 10^|decimals|`` taken in double and rounded to the dtype (only float dtypes
    reach here: the launcher's eager check refuses the others)."""
    b, x, d = cx.b, cx.cast(ops[0], out), ops[1]
    if d.const is not NOT_CONSTANT:
        with np.errstate(over="ignore"):
            p = b.c(x.type, float(np.dtype(out).type(np.power(10.0, float(abs(d.const))))))
        return b.rint(x / p) * p if d.const < 0 else b.rint(x * p) / p
    exponent = b.sitofp(d.value, REGISTER["float64"])
    p = b.intrinsic("pow", b.c(exponent.type, 10.0), b.fabs(exponent))
    p = p if out == "float64" else b.fptrunc(p, x.type)
    return b.select(d.value.lt(0), b.rint(x / p) * p, b.rint(x * p) / p)


@lowering("aten::sign")
def _sign(cx: Context, ops: List[Operand], out: str) -> V:
    b, x = cx.b, cx.cast(ops[0], out)
    if out == "bool":
        return x
    # PyTorch's (0 < x) - (x < 0): the sign of NaN is 0 (ordered comparisons are false)
    return b.select(x.gt(0), b.c(x.type, 1), b.select(x.lt(0), b.c(x.type, -1), b.c(x.type, 0)))


@lowering("aten::logical_not")
def _logical_not(cx: Context, ops: List[Operand], out: str) -> V:
    return ~cx.truth(ops[0])


@lowering("aten::gelu")
def _gelu(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    approximate = ops[1].const if len(ops) > 1 else "none"
    half_x = 0.5 * x
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return half_x * (1.0 + cx.math("tanh", inner))
    return half_x * (1.0 + cx.math("erf", x * (1 / math.sqrt(2.0))))


# ---------------------------------------------------------------------------------------------
# activations (ops/activations.py); only float dtypes reach these: the eager dry run refuses
# the others


def _scalar_arg(cx: Context, ops: List[Operand], i: int, default: float, out: str) -> V:
    """Argument ``i`` in the output's dtype, or its default when the node omits it."""
    if len(ops) > i:
        return cx.cast(ops[i], out)
    return cx.b.c(REGISTER[out], default)


def _elu_values(cx: Context, x: V, alpha: V, scale: Optional[float]) -> V:
    neg = cx.math("expm1", x) * alpha
    if scale is not None:
        return cx.b.select(x.gt(0.0), x * scale, neg * scale)
    return cx.b.select(x.gt(0.0), x, neg)


@lowering("aten::elu")
def _elu(cx: Context, ops: List[Operand], out: str) -> V:
    return _elu_values(cx, cx.cast(ops[0], out), _scalar_arg(cx, ops, 1, 1.0, out), None)


# PyTorch's SELU constants (Klambauer et al.); the eager kernel (ops/activations.py) reads them here
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@lowering("aten::selu")
def _selu(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    # the constants rounded to the dtype first, as the eager kernel's t(alpha) * t(scale)
    alpha, scale = (float(np.dtype(out).type(c)) for c in (SELU_ALPHA, SELU_SCALE))
    return _elu_values(cx, x, cx.b.c(x.type, alpha), scale)


@lowering("aten::leaky_relu")
def _leaky_relu(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    return cx.b.select(x.gt(0.0), x, x * _scalar_arg(cx, ops, 1, 0.01, out))


@lowering("aten::hardswish")
def _hardswish(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    zero, six = cx.b.c(x.type, 0.0), cx.b.c(x.type, 6.0)
    clipped = _minimum_values(cx, _maximum_values(cx, x + 3.0, zero, out), six, out)
    return x * clipped / 6.0


@lowering("aten::mish")
def _mish(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    return x * cx.math("tanh", cx.math("log1p", cx.math("exp", x)))


@lowering("aten::softplus")
def _softplus(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    beta, threshold = _scalar_arg(cx, ops, 1, 1.0, out), _scalar_arg(cx, ops, 2, 20.0, out)
    bx = x * beta
    return cx.b.select(bx.gt(threshold), x, cx.math("log1p", cx.math("exp", bx)) / beta)


# ---------------------------------------------------------------------------------------------
# arithmetic


def _alpha(cx: Context, ops: List[Operand], y: V, out: str) -> V:
    """``other * alpha`` as the eager kernel computes it (skipped when alpha is the
    constant 1, which changes nothing)."""
    if len(ops) < 3 or ops[2].const == 1:
        return y
    a = cx.cast(ops[2], out)
    return y & a if out == "bool" else y * a


@lowering(*_overloads("add", *BINARY))
def _add(cx: Context, ops: List[Operand], out: str) -> V:
    x, y = cx.cast(ops[0], out), _alpha(cx, ops, cx.cast(ops[1], out), out)
    return x | y if out == "bool" else x + y


@lowering(*_overloads("sub", *BINARY))
def _sub(cx: Context, ops: List[Operand], out: str) -> V:
    return cx.cast(ops[0], out) - _alpha(cx, ops, cx.cast(ops[1], out), out)


@lowering(*_overloads("mul", *BINARY))
def _mul(cx: Context, ops: List[Operand], out: str) -> V:
    x, y = cx.cast(ops[0], out), cx.cast(ops[1], out)
    return x & y if out == "bool" else x * y


@lowering(*_overloads("div", *BINARY))
def _div(cx: Context, ops: List[Operand], out: str) -> V:
    return cx.cast(ops[0], out) / cx.cast(ops[1], out)


def _int_divisor(cx: Context, y: V) -> V:
    """The divisor with 0 and -1 replaced by 1: x86 traps on both (x / 0, MIN / -1), so the
    kernel never divides by them; callers fix the results up."""
    cx.fail_if(y.eq(0), ZERO_DIVISION)
    return cx.b.select(y.eq(0) | y.eq(-1), cx.b.c(y.type, 1), y)


def _float_divmod(cx: Context, x: V, y: V) -> tuple:
    """numpy's npy_divmod for floats (also PyTorch's): the floor quotient and the remainder
    with the divisor's sign, from fmod."""
    b = cx.b
    mod = x.frem(y)
    div = (x - mod) / y
    fix = mod.ne(0.0) & (y.lt(0.0) ^ mod.lt(0.0))
    mod = b.select(fix, mod + y, b.select(mod.ne(0.0), mod, b.copysign(b.c(x.type, 0.0), y)))
    div = b.select(fix, div - 1.0, div)
    floordiv = b.floor(div)
    floordiv = b.select((div - floordiv).gt(0.5), floordiv + 1.0, floordiv)
    floordiv = b.select(div.ne(0.0), floordiv, b.copysign(b.c(x.type, 0.0), x / y))
    by_zero = y.eq(0.0)
    return b.select(by_zero, x / y, floordiv), b.select(by_zero, x.frem(y), mod)


@lowering(*_overloads("floor_divide", *BINARY))
def _floor_divide(cx: Context, ops: List[Operand], out: str) -> V:
    b, x, y = cx.b, cx.cast(ops[0], out), cx.cast(ops[1], out)
    if x.is_float:
        return _float_divmod(cx, x, y)[0]
    d = _int_divisor(cx, y)
    q = x / d
    q = q - b.zext((x.srem(d).ne(0)) & (x.lt(0) ^ d.lt(0)), x.type)
    return b.select(y.eq(-1), -x, q)  # MIN // -1 wraps to MIN, as numpy gives


@lowering(*_overloads("remainder", *BINARY))
def _remainder(cx: Context, ops: List[Operand], out: str) -> V:
    b, x, y = cx.b, cx.cast(ops[0], out), cx.cast(ops[1], out)
    if x.is_float:
        r = _float_divmod(cx, x, y)[1]
        return b.select(r.eq(0.0), b.copysign(r, x), r)  # PyTorch's zero has the dividend's sign
    r = x.srem(_int_divisor(cx, y))  # x % -1 is 0 like x % 1
    return b.select(r.ne(0) & (r.lt(0) ^ y.lt(0)), r + y, r)


@lowering(*_overloads("pow", *BINARY))
def _pow(cx: Context, ops: List[Operand], out: str) -> V:
    x, y = cx.cast(ops[0], out), cx.cast(ops[1], out)
    if out == "bool":  # x ** True is x, x ** False is True (i1 1 would read as -1 below)
        return x | (y ^ cx.b.c(y.type, 1))
    if not x.is_float:
        p = mathlib.int_pow(cx.b, x, y)
        if ops[1].kind == "scalar":  # a negative Python exponent is an error, as in PyTorch
            cx.fail_if(y.lt(0), NEGATIVE_POWER)
            return p
        # a negative exponent in a tensor: 1 and -1 keep their magnitude, the rest round to 0
        b, one = cx.b, cx.b.c(x.type, 1)
        odd = (y & 1).ne(0)
        special = b.select(x.eq(1), one, b.select(x.eq(-1), b.select(odd, -one, one), b.c(x.type, 0)))
        return b.select(y.lt(0), special, p)
    k = ops[1].const
    # PyTorch computes these exponents of a scalar by multiplication and roots
    if k == 2:
        return x * x
    if k == 3:
        return x * x * x
    if k == 0.5:
        return cx.b.sqrt(x)
    if k == -1:
        return 1.0 / x
    return cx.math("pow", x, y)


def _maximum_values(cx: Context, x: V, y: V, dtype: str) -> V:
    """numpy's maximum: NaN from either side propagates, and ties give the second operand."""
    return x | y if dtype == "bool" else _extremum(cx, x, y, ">")


def _minimum_values(cx: Context, x: V, y: V, dtype: str) -> V:
    return x & y if dtype == "bool" else _extremum(cx, x, y, "<")


def _extremum(cx: Context, x: V, y: V, wins: str) -> V:
    """x where it compares ``wins`` to y or is NaN, else y: numpy's maximum (">") and minimum
    ("<"), whose NaN from either side propagates and whose ties give y.

    The ordered comparison alone is the CPU's max/min instruction, which already gives y when
    either side is NaN; the exact form adds a NaN test of x and an or, twice the cost (ratio_iou's
    kernel took 1.3x the time of a plain-max loop). It is needed only where x may be NaN: not
    for a constant x; for a constant y the one unordered comparison says it all; in a fast loop
    x goes to the NaN watch instead, and the blocks where it was NaN compute again exactly."""
    if not x.is_float or _not_nan(x):
        return cx.b.select(x.compare(wins, y), x, y)
    if _not_nan(y):
        return cx.b.select(x.compare(wins, y, unordered=True), x, y)
    if cx.exact:
        return cx.b.select(x.compare(wins, y) | x.isnan(), x, y)
    cx.watch_nan(x)
    return cx.b.select(x.compare(wins, y), x, y)


def _not_nan(x: V) -> bool:
    """Whether ``x`` is a constant other than NaN."""
    return isinstance(x.v, ir.Constant) and not math.isnan(x.v.constant)


@lowering("aten::maximum.Tensor", "aten::maximum.Scalar", "aten::max.other")
def _maximum(cx: Context, ops: List[Operand], out: str) -> V:
    return _maximum_values(cx, cx.cast(ops[0], out), cx.cast(ops[1], out), out)


@lowering("aten::minimum.Tensor", "aten::minimum.Scalar", "aten::min.other")
def _minimum(cx: Context, ops: List[Operand], out: str) -> V:
    return _minimum_values(cx, cx.cast(ops[0], out), cx.cast(ops[1], out), out)


# ---------------------------------------------------------------------------------------------
# comparisons, logical and bitwise ops


_MIRRORED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _comparison(method: str) -> Lowering:
    def lower(cx: Context, ops: List[Operand], out: str) -> V:
        ct = cx.promote(ops[0], ops[1])
        if ct == "bool":  # False < True: compare as small integers
            ct = "int32"
        for k, m in ((1, method), (0, _MIRRORED[method])):
            c = ops[k].const
            if ct in ("int32", "int64") and type(c) is int and not int_range(ct)[0] <= c <= int_range(ct)[1]:
                return cx.b.c(I1, _beyond_range(m, c > 0))
        return getattr(cx.cast(ops[0], ct), method)(cx.cast(ops[1], ct))
    return lower


def _beyond_range(method: str, above: bool) -> bool:
    """``x <method> c`` for every x of an integer dtype, ``c`` above (or below) its range."""
    return {"eq": False, "ne": True, "lt": above, "le": above, "gt": not above, "ge": not above}[method]


for _name, _method in (("eq", "eq"), ("ne", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge")):
    for _q in _overloads(_name, "Tensor", "Scalar"):
        LOWERINGS[_q] = _comparison(_method)


def _logical(fn: Callable[[V, V], V]) -> Lowering:
    return lambda cx, ops, out: fn(cx.truth(ops[0]), cx.truth(ops[1]))


for _name, _fn in (("logical_and", lambda a, b: a & b), ("logical_or", lambda a, b: a | b),
                   ("logical_xor", lambda a, b: a ^ b)):
    for _q in _overloads(_name, "Tensor", "Scalar"):
        LOWERINGS[_q] = _logical(_fn)


def _bitwise(fn: Callable[[V, V], V]) -> Lowering:
    return lambda cx, ops, out: fn(cx.cast(ops[0], out), cx.cast(ops[1], out))


for _name, _fn in (("bitwise_and", lambda a, b: a & b), ("bitwise_or", lambda a, b: a | b),
                   ("bitwise_xor", lambda a, b: a ^ b)):
    for _q in _overloads(_name, *BINARY):
        LOWERINGS[_q] = _bitwise(_fn)


@lowering("aten::bitwise_not")
def _bitwise_not(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)  # floats were refused by the eager dry run
    return x ^ cx.b.c(x.type, 1 if out == "bool" else -1)


# ---------------------------------------------------------------------------------------------
# clamp, where, lerp, addcmul


@lowering("aten::clamp", "aten::clamp.Tensor")
def _clamp(cx: Context, ops: List[Operand], out: str) -> V:
    x = cx.cast(ops[0], out)
    lo = ops[1] if len(ops) > 1 and not ops[1].is_none else None
    hi = ops[2] if len(ops) > 2 and not ops[2].is_none else None
    if lo is not None:
        x = _maximum_values(cx, x, cx.cast(lo, out), out)
    if hi is not None:
        x = _minimum_values(cx, x, cx.cast(hi, out), out)
    return x


@lowering("aten::where.self", "aten::where.ScalarOther", "aten::where.ScalarSelf", "aten::where.Scalar")
def _where(cx: Context, ops: List[Operand], out: str) -> V:
    return cx.b.select(cx.truth(ops[0]), cx.cast(ops[1], out), cx.cast(ops[2], out))


@lowering("aten::lerp.Scalar", "aten::lerp.Tensor")
def _lerp(cx: Context, ops: List[Operand], out: str) -> V:
    a, end, w = cx.cast(ops[0], out), cx.cast(ops[1], out), cx.cast(ops[2], out)
    diff = end - a
    # PyTorch's formula: exact at both ends, from whichever end is closer
    return cx.b.select(cx.b.fabs(w).lt(0.5), a + w * diff, end - diff * (1.0 - w))


@lowering("aten::addcmul")
def _addcmul(cx: Context, ops: List[Operand], out: str) -> V:
    b = cx.b
    if len(ops) < 4:
        value = b.c(REGISTER[out], 1)
    elif is_float(out) or ops[3].dtype != "float64":
        value = cx.cast(ops[3], out)
    elif ops[3].const is not NOT_CONSTANT:  # the eager kernel truncates value (and checked its range)
        value = b.c(REGISTER[out], int(ops[3].const))
    else:
        # truncated as the eager kernel does; out of range (or NaN) is its error
        lo, hi = int_range(out)
        v = ops[3].value
        # what truncates into [lo, hi]: (lo - 1, hi + 1) for int32; [-2**63, 2**63) for int64,
        # whose bounds are the doubles nearest to lo - 1 and hi + 1
        fits = (v.gt(lo - 1.0) if out == "int32" else v.ge(float(lo))) & v.lt(hi + 1.0)
        cx.fail_if(~fits, OUT_OF_RANGE)
        value = b.fptosi(b.select(fits, v, b.c(v.type, 0.0)), REGISTER[out])
    product = value * cx.cast(ops[1], out) * cx.cast(ops[2], out)
    return cx.cast(ops[0], out) + product


def lower_node(cx: Context, qualified_name: str, ops: Sequence[Operand], out: str) -> V:
    fn = LOWERINGS.get(qualified_name)
    if fn is None:
        raise NotImplementedError(f"no LLVM lowering for {qualified_name}")
    return fn(cx, list(ops), out)

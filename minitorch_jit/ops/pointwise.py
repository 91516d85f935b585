"""Pointwise ops: unary math, binary arithmetic and comparisons, clamp, where, lerp, addcmul.

Each kernel computes in the dtype PyTorch's promotion gives (numpy's own promotion differs:
int64 + 2.5 is float64 there, float32 here). Kernels run under ``rules.quiet()`` (the kernel
wrapper of declare.py), so inf and nan come out without numpy's warnings, as in PyTorch.
"""
from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from minitorch_jit.ir.types import SHORT_NAME, is_float, tensor_type

from . import rules
from .declare import binary, check_broadcast_into, check_inplace, derivative, not_implemented, op, unary
from .dispatch import call
from .erf import erf as erf_f64


def _cast(x: Any, dtype: str) -> Any:
    return x.astype(dtype, copy=False) if isinstance(x, np.ndarray) else x


def _no_bool(what: str, a: np.ndarray) -> None:
    if a.dtype == np.bool_:
        raise not_implemented(what, "bool")


def _float_only(what: str, a: np.ndarray) -> None:
    if not is_float(a.dtype.name):
        raise not_implemented(what, a.dtype.name)


# ---------------------------------------------------------------------------------------------
# unary


def _ufunc(f: Any) -> Any:
    def fn(a: np.ndarray, dt: str) -> np.ndarray:
        return f(a, dtype=dt)  # the kernel wrapper runs it quietly (inf and nan, no warnings)
    return fn


def _neg(a: np.ndarray, dt: str) -> np.ndarray:
    if a.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return np.negative(a)


def _abs(a: np.ndarray, dt: str) -> np.ndarray:
    _no_bool("abs", a)
    return np.abs(a)


def _rounding(f: Any, what: str) -> Any:
    def fn(a: np.ndarray, dt: str) -> np.ndarray:
        _no_bool(what, a)
        return f(a) if is_float(dt) else a.copy()  # integers are already whole
    return fn


def _rsqrt(a: np.ndarray, dt: str) -> np.ndarray:
    return np.reciprocal(np.sqrt(a, dtype=dt))


def _reciprocal(a: np.ndarray, dt: str) -> np.ndarray:
    return np.reciprocal(a, dtype=dt)


def _sigmoid(a: np.ndarray, dt: str) -> np.ndarray:
    x = a.astype(dt, copy=False)
    return np.reciprocal(np.exp(-x) + x.dtype.type(1))


def _silu(a: np.ndarray, dt: str) -> np.ndarray:
    _float_only("silu", a)
    return a * _sigmoid(a, dt)


def _erf(x: np.ndarray, dt: str) -> np.ndarray:
    """erf in double precision (about 1 ulp, see ops/erf.py), rounded to ``dt``."""
    return erf_f64(x).astype(dt, copy=False)


def _relu(a: np.ndarray, dt: str) -> np.ndarray:
    if a.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    # PyTorch's x < 0 ? 0 : x, which keeps -0.0 and NaN (numpy's maximum gives 0.0 for -0.0)
    return np.where(a < 0, a.dtype.type(0), a)


def _sign(a: np.ndarray, dt: str) -> np.ndarray:
    if a.dtype == np.bool_:
        return a.copy()
    # PyTorch's (0 < x) - (x < 0): the sign of NaN is 0
    return (a > 0).astype(dt) - (a < 0).astype(dt)


def _bitwise_not(a: np.ndarray, dt: str) -> np.ndarray:
    if is_float(dt):
        raise not_implemented("bitwise_not", dt)
    return np.invert(a)


unary("neg", _neg, also=("Tensor.__neg__", "torch.negative"))
unary("abs", _abs, also=("Tensor.__abs__", "builtins.abs"))
unary("exp", _ufunc(np.exp), "float")
unary("log", _ufunc(np.log), "float")
unary("log1p", _ufunc(np.log1p), "float")
unary("expm1", _ufunc(np.expm1), "float")
unary("sqrt", _ufunc(np.sqrt), "float")
unary("rsqrt", _rsqrt, "float")
unary("reciprocal", _reciprocal, "float")
unary("sin", _ufunc(np.sin), "float")
unary("cos", _ufunc(np.cos), "float")
unary("tanh", _ufunc(np.tanh), "float", also=("functional.tanh",))
unary("sigmoid", _sigmoid, "float", also=("functional.sigmoid",))
unary("silu", _silu, "float", also=("functional.silu",))
unary("erf", _erf, "float")
unary("relu", _relu, also=("functional.relu",))
unary("floor", _rounding(np.floor, "floor"))
unary("ceil", _rounding(np.ceil, "ceil"))
unary("round", _rounding(np.rint, "round"))   # half to even, as PyTorch
unary("trunc", _rounding(np.trunc, "trunc"))
unary("sign", _sign)
unary("logical_not", lambda a, dt: np.logical_not(a), "bool")
unary("bitwise_not", _bitwise_not, also=("Tensor.__invert__",))


def _round_decimals(a: np.ndarray, decimals: int) -> np.ndarray:
    """PyTorch's rounding to ``decimals`` places, operation by operation in the tensor's dtype:
    ``rint(x * 10^d) / 10^d``, or ``rint(x / 10^-d) * 10^-d`` for negative ``d``. The power is
    taken in double and rounded to the dtype, so ``10^40`` is inf in float32 and every
    element becomes nan, as in PyTorch."""
    if not is_float(a.dtype.name):
        raise not_implemented("round_cpu" if decimals else "round_vml_cpu", a.dtype.name)
    ten = a.dtype.type(np.power(10.0, float(abs(decimals))))
    return np.rint(a / ten) * ten if decimals < 0 else np.rint(a * ten) / ten


def _round_decimals_(a: np.ndarray, decimals: int) -> np.ndarray:
    out = _round_decimals(a, decimals)
    check_inplace(a, out.dtype.name)
    np.copyto(a, out)
    return a


op("aten::round.decimals(Tensor self, *, int decimals) -> Tensor", names=("torch.round", "Tensor.round"),
   type_rule=rules.pointwise("first", args=(0,)), pointwise=True)(_round_decimals)
op("aten::round_.decimals(Tensor(a!) self, *, int decimals) -> Tensor(a!)", names=("Tensor.round_", "torch.round_"),
   type_rule=rules.same_as_input(0))(_round_decimals_)


@op("aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor",
    names=("torch.gelu", "Tensor.gelu", "functional.gelu"), type_rule=rules.pointwise("first", args=(0,)),
    pointwise=True)
def gelu(a: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU: ``0.5 x (1 + erf(x / sqrt 2))``, or with ``approximate="tanh"``
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    _float_only("gelu", a)
    dt, x = a.dtype.name, a
    one, half = x.dtype.type(1), x.dtype.type(0.5)
    if approximate == "tanh":
        k = x.dtype.type(math.sqrt(2.0 / math.pi))
        return half * x * (one + np.tanh(k * (x + x.dtype.type(0.044715) * x * x * x)))
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return half * x * (one + _erf(x * x.dtype.type(1 / math.sqrt(2.0)), dt))


# ---------------------------------------------------------------------------------------------
# binary


def _is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_)) or (isinstance(v, np.ndarray) and v.dtype == np.bool_)


def _sub_check(a: Any, b: Any) -> None:
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _check_int_divisor(what: str, a: Any, b: Any, dt: str) -> None:
    if dt == "bool":
        raise not_implemented(what, dt)
    # an empty result divides nothing, whatever the divisor holds (as in PyTorch)
    if not is_float(dt) and np.any(np.asarray(b) == 0) and 0 not in rules.broadcast_sizes(np.shape(a), np.shape(b)):
        raise RuntimeError("ZeroDivisionError")


def _floor_divide(a: Any, b: Any, dt: str) -> Any:
    _check_int_divisor("floor_divide", a, b, dt)
    return np.floor_divide(a, b, dtype=dt)


def _remainder(a: Any, b: Any, dt: str) -> Any:
    _check_int_divisor("remainder", a, b, dt)
    out = np.remainder(a, b, dtype=dt)
    if is_float(dt):
        # PyTorch's remainder is fmod's, moved into the divisor's sign when nonzero: a zero
        # keeps the dividend's sign (numpy gives it the divisor's)
        out = np.where(out == 0, np.copysign(out, a, dtype=dt), out)
    return out


def _pow(a: Any, b: Any, dt: str) -> Any:
    if dt == "bool":
        if not isinstance(b, bool):
            raise not_implemented("pow", dt)
        return np.asarray(a) if b else np.ones_like(a)  # x ** True is x, x ** False is 1
    if is_float(dt):
        if isinstance(b, float) and dt == "float32":
            # PyTorch raises float tensors to a Python float exponent in double precision
            return np.power(a, b, dtype="float64").astype(dt)
        return np.power(a, b, dtype=dt)
    if not isinstance(b, np.ndarray):
        if b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(a, b, dtype=dt)
    # a negative exponent in an integer tensor: 1 and -1 keep their magnitude, the rest round
    # to 0 (numpy refuses negative exponents, and the magnitude of INT_MIN is negative too)
    neg = b < 0
    out = np.power(a, np.where(neg, b.dtype.type(0), b), dtype=dt)
    if np.any(neg):
        a = np.asarray(a)
        out = np.where(neg, np.where(np.abs(a) == 1, np.where(a < 0, 1 - 2 * (b % 2), 1), 0), out).astype(dt)
    return out


def _maximum(a: Any, b: Any, dt: str) -> Any:
    return np.maximum(a, b, dtype=dt)


def _minimum(a: Any, b: Any, dt: str) -> Any:
    return np.minimum(a, b, dtype=dt)


def _compare(f: Any) -> Any:
    def fn(a: Any, b: Any, dt: str) -> Any:
        return f(_cast(a, dt), _cast(b, dt))
    return fn


def _logical(f: Any) -> Any:
    def fn(a: Any, b: Any, dt: str) -> Any:
        return f(a, b)
    return fn


def _bitwise(f: Any) -> Any:
    def fn(a: Any, b: Any, dt: str) -> Any:
        if is_float(dt):
            rules.broadcast_sizes(np.shape(a), np.shape(b))  # PyTorch checks the shapes first
            raise not_implemented(f.__name__, dt)
        return f(a, b, dtype=dt)
    return fn


def _num_truediv(a: Any, b: Any) -> float:
    return a / b


def _num_pow(a: Any, b: Any) -> float:
    return float(a ** b)


binary("add", np.add, dunder="add", alpha=True, num=operator.add, wrap_ints=True)
binary("sub", np.subtract, dunder="sub", alpha=True, num=operator.sub, wrap_ints=True, also=("torch.subtract",),
       check=_sub_check)
binary("mul", np.multiply, dunder="mul", num=operator.mul, wrap_ints=True, also=("torch.multiply",))
binary("div", np.true_divide, "float", dunder="truediv", num=_num_truediv, num_result="float", wrap_ints=True,
       also=("torch.true_divide", "torch.divide"))
class DivisionByZero(ZeroDivisionError, RuntimeError):
    """``a // 0`` of ints: TorchScript's RuntimeError, and Python's ZeroDivisionError (floats
    keep Python's own error)."""


def _num_floordiv(a: Any, b: Any) -> Any:
    if b == 0 and isinstance(a, int) and isinstance(b, int):
        raise DivisionByZero("division by 0")
    return a // b


binary("floor_divide", _floor_divide, dunder="floordiv", num=_num_floordiv, wrap_ints=True, value_errors="other")
binary("remainder", _remainder, dunder="mod", torch_reflected=True, num=operator.mod, wrap_ints=True,
       value_errors="other")
binary("pow", _pow, dunder="pow", torch_reflected=True, num=_num_pow, num_result="float", value_errors="other")
binary("maximum", _maximum, reflected=False, scalar=False)
binary("minimum", _minimum, reflected=False, scalar=False)
for _name, _f, _num in (("eq", np.equal, operator.eq), ("ne", np.not_equal, operator.ne),
                        ("lt", np.less, operator.lt), ("le", np.less_equal, operator.le),
                        ("gt", np.greater, operator.gt), ("ge", np.greater_equal, operator.ge)):
    binary(_name, _compare(_f), "bool", dunder=_name, reflected=False, num=_num, num_result="bool")
binary("logical_and", _logical(np.logical_and), "bool", reflected=False, scalar=False)
binary("logical_or", _logical(np.logical_or), "bool", reflected=False, scalar=False)
binary("logical_xor", _logical(np.logical_xor), "bool", reflected=False, scalar=False)
binary("bitwise_and", _bitwise(np.bitwise_and), dunder="and", wrap_ints=True)
binary("bitwise_or", _bitwise(np.bitwise_or), dunder="or", wrap_ints=True)
binary("bitwise_xor", _bitwise(np.bitwise_xor), dunder="xor", wrap_ints=True)


@op("aten::max.other(Tensor self, Tensor other) -> Tensor", names=("torch.max", "Tensor.max"),
    type_rule=rules.pointwise(), pointwise=True)
def max_other(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch.max(a, b): the elementwise maximum (NaN propagates)."""
    return _maximum(a, b, rules.result_dtype(a, b))


@op("aten::min.other(Tensor self, Tensor other) -> Tensor", names=("torch.min", "Tensor.min"),
    type_rule=rules.pointwise(), pointwise=True)
def min_other(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """torch.min(a, b): the elementwise minimum (NaN propagates)."""
    return _minimum(a, b, rules.result_dtype(a, b))


# ---------------------------------------------------------------------------------------------
# clamp, where, lerp, addcmul


def _clamp(a: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = rules.result_dtype(*[v for v in (a, lo, hi) if v is not None])
    if dt == "bool":
        _clamp_bool_check(lo, hi)
    x = a.astype(dt, copy=False)
    if lo is not None:
        x = np.maximum(x, lo, dtype=dt)
    if hi is not None:
        x = np.minimum(x, hi, dtype=dt)
    return x


def _clamp_bool_check(lo: Any, hi: Any) -> None:
    """PyTorch clamps bools only between one tensor bound (its clamp_min/clamp_max kernels)."""
    arrays = [isinstance(v, np.ndarray) for v in (lo, hi) if v is not None]
    if all(arrays) and len(arrays) == 1:
        return
    if all(arrays):
        raise not_implemented("clamp_cpu", "bool")
    raise not_implemented("clamp_scalar_cpu" if len(arrays) == 2 else
                          "clamp_min_scalar_cpu" if lo is not None else "clamp_max_scalar_cpu", "bool")


def _clamp_(a: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    out = _clamp(a, lo, hi)
    check_inplace(a, out.dtype.name)
    check_broadcast_into(a, out)
    np.copyto(a, out, casting="unsafe")
    return a


_clamp_names = ("torch.clamp", "Tensor.clamp", "torch.clip", "Tensor.clip")
op("aten::clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", names=_clamp_names,
   type_rule=rules.pointwise(), pointwise=True)(_clamp)
op("aten::clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor", names=_clamp_names,
   type_rule=rules.pointwise(), pointwise=True)(_clamp)
op("aten::clamp_(Tensor(a!) self, Scalar? min=None, Scalar? max=None) -> Tensor(a!)",
   names=("Tensor.clamp_", "Tensor.clip_", "torch.clamp_"), type_rule=rules.same_as_input(0))(_clamp_)
op("aten::clamp_.Tensor(Tensor(a!) self, Tensor? min=None, Tensor? max=None) -> Tensor(a!)",
   names=("Tensor.clamp_", "Tensor.clip_", "torch.clamp_"), type_rule=rules.same_as_input(0))(_clamp_)


def _where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{SHORT_NAME[cond.dtype.name]}")
    dt = rules.result_dtype(a, b)
    out = np.where(cond, _cast(a, dt), _cast(b, dt))
    return out.astype(dt, copy=False)


for _overload, _ta, _tb in (("self", "Tensor", "Tensor"), ("ScalarOther", "Tensor", "Scalar"),
                            ("ScalarSelf", "Scalar", "Tensor"), ("Scalar", "Scalar", "Scalar")):
    op(f"aten::where.{_overload}(Tensor condition, {_ta} self, {_tb} other) -> Tensor",
       names=("torch.where",), pointwise=True,
       type_rule=lambda types, consts: [tensor_type(rules.pointwise(args=(1, 2))(types, consts)[0]).with_sizes(
           rules.tensor_sizes(types))])(_where)


def _lerp(a: np.ndarray, end: np.ndarray, w: Any) -> np.ndarray:
    if a.dtype != end.dtype:
        raise RuntimeError(f"expected dtype {a.dtype.name} for `end` but got dtype {end.dtype.name}")
    _float_only("lerp", a)
    t = a.dtype.type
    w = _cast(w, a.dtype.name) if isinstance(w, np.ndarray) else t(w)
    diff = end - a
    # PyTorch's formula: exact at both ends, from whichever end is closer
    out = np.where(np.abs(w) < t(0.5), a + w * diff, end - diff * (t(1) - w))
    return out.astype(a.dtype, copy=False)


_lerp_rule = rules.pointwise("first")
op("aten::lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor", names=("torch.lerp", "Tensor.lerp"),
   type_rule=_lerp_rule, pointwise=True)(_lerp)
op("aten::lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor", names=("torch.lerp", "Tensor.lerp"),
   type_rule=_lerp_rule, pointwise=True)(_lerp)


_C_NAMES = {"int32": "int", "int64": "int64_t"}


@op("aten::addcmul(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor",
    names=("torch.addcmul", "Tensor.addcmul"), type_rule=rules.pointwise(args=(0, 1, 2)), pointwise=True)
def addcmul(a: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: Any = 1) -> np.ndarray:
    """``self + value * tensor1 * tensor2``, multiplied left to right as PyTorch does."""
    dt = rules.result_dtype(a, t1, t2)
    if dt == "bool":
        raise not_implemented("addcmul_cpu_out", dt)
    if not is_float(dt):
        # PyTorch converts value to the integral dtype, truncating, and refuses what does not fit
        info = np.iinfo(dt)
        if not (math.isfinite(value) and info.min <= int(value) <= info.max):
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt]} without overflow")
        value = int(value)
    return np.add(a, np.multiply(np.multiply(value, t1, dtype=dt), t2, dtype=dt), dtype=dt)


# ---------------------------------------------------------------------------------------------
# gradient formulas (see declare.derivative): written with the registry's own ops, on Tensors


def where(cond: Any, a: Any, b: Any) -> Any:
    """``torch.where`` for formulas."""
    return call("torch", "where", (cond, a, b))


def zeros_grad(ctx: Any, g: Any) -> tuple:
    """Piecewise constant ops (floor, round, sign...): the gradient is zero, as in PyTorch."""
    return (g * 0,)


@derivative("aten::add.Tensor", "aten::add.Scalar", "aten::add_.Tensor", "aten::add_.Scalar")
def _add_grad(ctx: Any, g: Any) -> tuple:
    alpha = ctx[2]
    return g, (g if alpha == 1 else g * alpha) if ctx.needs(1) else None


@derivative("aten::sub.Tensor", "aten::sub.Scalar", "aten::sub_.Tensor", "aten::sub_.Scalar")
def _sub_grad(ctx: Any, g: Any) -> tuple:
    alpha = ctx[2]
    return g, (-g if alpha == 1 else g * -alpha) if ctx.needs(1) else None


@derivative("aten::add.Scalar_Tensor")
def _radd_grad(ctx: Any, g: Any) -> tuple:
    return None, g


@derivative("aten::sub.Scalar_Tensor")
def _rsub_grad(ctx: Any, g: Any) -> tuple:
    return None, -g


@derivative("aten::mul.Tensor", "aten::mul.Scalar", "aten::mul_.Scalar")
def _mul_grad(ctx: Any, g: Any) -> tuple:
    return (g * ctx[1] if ctx.needs(0) else None), (g * ctx[0] if ctx.needs(1) else None)


derivative("aten::mul_.Tensor", reads_self=True)(_mul_grad)


@derivative("aten::mul.Scalar_Tensor")
def _rmul_grad(ctx: Any, g: Any) -> tuple:
    return None, g * ctx[0]


@derivative("aten::div.Tensor", "aten::div.Scalar", "aten::div_.Tensor", "aten::div_.Scalar")
def _div_grad(ctx: Any, g: Any) -> tuple:
    other = ctx[1]
    return (g / other if ctx.needs(0) else None), (-g * ctx.out / other if ctx.needs(1) else None)


@derivative("aten::div.Scalar_Tensor")
def _rdiv_grad(ctx: Any, g: Any) -> tuple:
    return None, -g * ctx.out / ctx[1]


@derivative("aten::pow.Scalar", "aten::pow_.Scalar", reads_self=True)
def _pow_scalar_grad(ctx: Any, g: Any) -> tuple:
    x, e = ctx[0], ctx[1]
    if e == 0:
        return (g * 0,)
    return (g * e * x ** (e - 1),)


@derivative("aten::pow.Tensor", "aten::pow_.Tensor", reads_self=True)
def _pow_grad(ctx: Any, g: Any) -> tuple:
    x, e = ctx[0], ctx[1]
    gx = where(e == 0, 0.0, g * e * x ** (e - 1)) if ctx.needs(0) else None
    # PyTorch's convention: no gradient to the exponent where the base is 0 and the exponent >= 0
    ge = where((x == 0) & (e >= 0), 0.0, g * ctx.out * x.log()) if ctx.needs(1) else None
    return gx, ge


@derivative("aten::pow.Scalar_Tensor")
def _rpow_grad(ctx: Any, g: Any) -> tuple:
    base = ctx[0]
    return None, (g * 0 if base == 0 else g * ctx.out * math.log(base))


@derivative("aten::neg", "aten::neg_")
def _neg_grad(ctx: Any, g: Any) -> tuple:
    return (-g,)


@derivative("aten::abs", "aten::abs_", reads_self=True)
def _abs_grad(ctx: Any, g: Any) -> tuple:
    return (g * ctx[0].sign(),)


@derivative("aten::exp", "aten::exp_")
def _exp_grad(ctx: Any, g: Any) -> tuple:
    return (g * ctx.out,)


@derivative("aten::log", "aten::log_", reads_self=True)
def _log_grad(ctx: Any, g: Any) -> tuple:
    return (g / ctx[0],)


@derivative("aten::log1p", "aten::log1p_", reads_self=True)
def _log1p_grad(ctx: Any, g: Any) -> tuple:
    return (g / (ctx[0] + 1),)


@derivative("aten::expm1", "aten::expm1_")
def _expm1_grad(ctx: Any, g: Any) -> tuple:
    return (g * (ctx.out + 1),)


@derivative("aten::sqrt", "aten::sqrt_")
def _sqrt_grad(ctx: Any, g: Any) -> tuple:
    return (g / (ctx.out * 2),)


@derivative("aten::rsqrt", "aten::rsqrt_")
def _rsqrt_grad(ctx: Any, g: Any) -> tuple:
    return (g * ctx.out ** 3 * -0.5,)


@derivative("aten::reciprocal", "aten::reciprocal_")
def _reciprocal_grad(ctx: Any, g: Any) -> tuple:
    out = ctx.out
    return (-g * out * out,)


@derivative("aten::sin", "aten::sin_", reads_self=True)
def _sin_grad(ctx: Any, g: Any) -> tuple:
    return (g * ctx[0].cos(),)


@derivative("aten::cos", "aten::cos_", reads_self=True)
def _cos_grad(ctx: Any, g: Any) -> tuple:
    return (-g * ctx[0].sin(),)


@derivative("aten::tanh", "aten::tanh_")
def _tanh_grad(ctx: Any, g: Any) -> tuple:
    out = ctx.out
    return (g * (1 - out * out),)


@derivative("aten::sigmoid", "aten::sigmoid_")
def _sigmoid_grad(ctx: Any, g: Any) -> tuple:
    out = ctx.out
    return (g * out * (1 - out),)


@derivative("aten::silu", "aten::silu_", reads_self=True)
def _silu_grad(ctx: Any, g: Any) -> tuple:
    x = ctx[0]
    s = x.sigmoid()
    return (g * s * (1 + x * (1 - s)),)


@derivative("aten::erf", "aten::erf_", reads_self=True)
def _erf_grad(ctx: Any, g: Any) -> tuple:
    x = ctx[0]
    return (g * (-x * x).exp() * (2 / math.sqrt(math.pi)),)


@derivative("aten::relu", "aten::relu_")
def _relu_grad(ctx: Any, g: Any) -> tuple:
    return (where(ctx.out > 0, g, 0.0),)


@derivative("aten::gelu")
def _gelu_grad(ctx: Any, g: Any) -> tuple:
    x, approximate = ctx[0], ctx[1]
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = (x + x * x * x * 0.044715) * k
        t = inner.tanh()
        d_inner = (1 + x * x * (3 * 0.044715)) * k
        return (g * (0.5 * (1 + t) + x * 0.5 * (1 - t * t) * d_inner),)
    cdf = ((x * (1 / math.sqrt(2))).erf() + 1) * 0.5
    pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
    return (g * (cdf + x * pdf),)


derivative("aten::floor", "aten::floor_", "aten::ceil", "aten::ceil_", "aten::round", "aten::round.decimals",
           "aten::round_", "aten::round_.decimals", "aten::trunc", "aten::trunc_", "aten::sign",
           "aten::sign_")(zeros_grad)


def _max_min_grad(ctx: Any, g: Any) -> tuple:
    """maximum/minimum: the gradient goes to the chosen operand, half to each on ties."""
    a, b, out = ctx[0], ctx[1], ctx.out
    tie = a == b
    half = g * 0.5
    ga = where(tie, half, where(a == out, g, 0.0)) if ctx.needs(0) else None
    gb = where(tie, half, where(b == out, g, 0.0)) if ctx.needs(1) else None
    return ga, gb


derivative("aten::maximum.Tensor", "aten::max.other", "aten::minimum.Tensor", "aten::min.other",
           "aten::maximum_.Tensor", "aten::minimum_.Tensor", reads_self=True)(_max_min_grad)


def _clamp_input_grad(x: Any, lo: Any, hi: Any, g: Any) -> Any:
    """The gradient to clamp's input: ``g`` where ``x`` is within its bounds (inclusive)."""
    keep = None
    if lo is not None:
        keep = x >= lo
    if hi is not None:
        keep = (x <= hi) if keep is None else keep & (x <= hi)
    return g if keep is None else where(keep, g, 0.0)


@derivative("aten::clamp", "aten::clamp_", reads_self=True)
def _clamp_grad(ctx: Any, g: Any) -> tuple:
    return (_clamp_input_grad(ctx[0], ctx[1], ctx[2], g),)


@derivative("aten::clamp.Tensor", "aten::clamp_.Tensor", reads_self=True)
def _clamp_tensor_grad(ctx: Any, g: Any) -> tuple:
    x, lo, hi = ctx[0], ctx[1], ctx[2]
    gx = _clamp_input_grad(x, lo, hi, g)
    glo = where(x < lo, g, 0.0) if lo is not None and ctx.needs(1) else None
    ghi = where(x > hi, g, 0.0) if hi is not None and ctx.needs(2) else None
    return gx, glo, ghi


@derivative("aten::where.self", "aten::where.ScalarOther", "aten::where.ScalarSelf")
def _where_grad(ctx: Any, g: Any) -> tuple:
    cond = ctx[0]
    return (None, where(cond, g, 0.0) if ctx.needs(1) else None, where(cond, 0.0, g) if ctx.needs(2) else None)


@derivative("aten::lerp.Scalar")
def _lerp_grad(ctx: Any, g: Any) -> tuple:
    w = ctx[2]
    return g * (1 - w), g * w


@derivative("aten::lerp.Tensor")
def _lerp_tensor_grad(ctx: Any, g: Any) -> tuple:
    start, end, w = ctx[0], ctx[1], ctx[2]
    return (g * (1 - w), g * w, g * (end - start) if ctx.needs(2) else None)


@derivative("aten::addcmul")
def _addcmul_grad(ctx: Any, g: Any) -> tuple:
    t1, t2, value = ctx[1], ctx[2], ctx[3]
    return (g, g * t2 * value if ctx.needs(1) else None, g * t1 * value if ctx.needs(2) else None)


@derivative("aten::remainder.Tensor", "aten::remainder.Scalar", "aten::remainder_.Tensor", "aten::remainder_.Scalar",
            reads_self=True)
def _remainder_grad(ctx: Any, g: Any) -> tuple:
    return g, (-g * (ctx[0] / ctx[1]).floor() if ctx.needs(1) else None)


@derivative("aten::remainder.Scalar_Tensor")
def _rremainder_grad(ctx: Any, g: Any) -> tuple:
    return None, -g * (ctx[0] / ctx[1]).floor()

"""Activation functions behind ``nn.functional``: elu, selu, leaky_relu, hardswish, mish,
softplus (pointwise, each with an LLVM lowering in codegen/llvm/lowering.py) and prelu (not
pointwise: its weight runs along the channel dim, not by broadcasting from the right).

Each kernel follows PyTorch's formula operation by operation in the input's dtype, and, as
PyTorch, refuses integer and bool tensors.
"""
from __future__ import annotations

from typing import Any, List, Sequence

import numpy as np

from minitorch_jit.codegen.llvm.lowering import SELU_ALPHA, SELU_SCALE  # beside the fused kernel's lowering
from minitorch_jit.ir.types import SHORT_NAME, TensorType, Type, is_float, tensor_type

from . import rules
from .declare import check_inplace, derivative, not_implemented, op
from .dispatch import call
from .pointwise import where


def _float_only(what: str, a: np.ndarray) -> None:
    if not is_float(a.dtype.name):
        raise not_implemented(what, a.dtype.name)


def _elu(x: np.ndarray, alpha: Any, scale: Any = 1.0) -> np.ndarray:
    t = x.dtype.type
    neg = np.expm1(x) * t(alpha) * t(scale)
    pos = x * t(scale) if scale != 1.0 else x
    return np.where(x > 0, pos, neg).astype(x.dtype, copy=False)


_SAME_DTYPE = rules.pointwise("first", args=(0,))


@op("aten::elu(Tensor self, Scalar alpha=1) -> Tensor", names=("functional.elu",),
    type_rule=_SAME_DTYPE, pointwise=True)
def elu(x: np.ndarray, alpha: Any = 1) -> np.ndarray:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    _float_only("elu_cpu", x)
    return _elu(x, alpha)


@op("aten::selu(Tensor self) -> Tensor", names=("torch.selu", "functional.selu"),
    type_rule=_SAME_DTYPE, pointwise=True)
def selu(x: np.ndarray) -> np.ndarray:
    """``scale * elu(x, alpha)`` with SELU's fixed constants."""
    _float_only("elu_cpu", x)  # PyTorch's selu is its elu kernel, and says so in the error
    return _elu(x, SELU_ALPHA, SELU_SCALE)


@op("aten::leaky_relu(Tensor self, Scalar negative_slope=0.01) -> Tensor", names=("functional.leaky_relu",),
    type_rule=_SAME_DTYPE, pointwise=True)
def leaky_relu(x: np.ndarray, negative_slope: Any = 0.01) -> np.ndarray:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    _float_only("leaky_relu_cpu", x)
    return np.where(x > 0, x, x * x.dtype.type(negative_slope)).astype(x.dtype, copy=False)


@op("aten::hardswish(Tensor self) -> Tensor", names=("functional.hardswish",),
    type_rule=_SAME_DTYPE, pointwise=True)
def hardswish(x: np.ndarray) -> np.ndarray:
    """``x * min(max(x + 3, 0), 6) / 6``."""
    _float_only("hardswish_cpu", x)
    t = x.dtype.type
    return x * np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)


@op("aten::mish(Tensor self) -> Tensor", names=("functional.mish",),
    type_rule=_SAME_DTYPE, pointwise=True)
def mish(x: np.ndarray) -> np.ndarray:
    """``x * tanh(log1p(exp(x)))``."""
    _float_only("mish_cpu", x)
    return x * np.tanh(np.log1p(np.exp(x)))


@op("aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor", names=("functional.softplus",),
    type_rule=_SAME_DTYPE, pointwise=True)
def softplus(x: np.ndarray, beta: Any = 1, threshold: Any = 20) -> np.ndarray:
    """``log1p(exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    _float_only("softplus_cpu", x)
    t = x.dtype.type
    bx = x * t(beta)
    return np.where(bx > t(threshold), x, np.log1p(np.exp(bx)) / t(beta)).astype(x.dtype, copy=False)


def _prelu_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[0]), tensor_type(types[1])
    return [TensorType(x.dtype if x.dtype == w.dtype else None, x.sizes)]


@op("aten::prelu(Tensor self, Tensor weight) -> Tensor", names=("torch.prelu", "Tensor.prelu", "functional.prelu"),
    type_rule=_prelu_rule)
def prelu(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x`` where positive, ``weight * x`` elsewhere; a weight of C elements runs along dim
    1 (the channels), a single one applies everywhere."""
    _float_only("prelu_cpu", x)
    if w.dtype != x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {SHORT_NAME[x.dtype.name]} and "
                           f"{SHORT_NAME[w.dtype.name]}")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    n = w.size
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {channels}.")
        w = w.reshape((n,) + (1,) * (x.ndim - 2))
    else:
        w = w.reshape(())
    return np.where(x > 0, x, w * x).astype(x.dtype, copy=False)


def _threshold(x: np.ndarray, threshold: Any, value: Any) -> np.ndarray:
    return np.where(x > threshold, x, np.asarray(value).astype(x.dtype)).astype(x.dtype, copy=False)


@op("aten::threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor",
    names=("torch.threshold", "functional.threshold"), type_rule=_SAME_DTYPE)
def threshold(x: np.ndarray, threshold: Any, value: Any) -> np.ndarray:
    """``x`` where greater than ``threshold``, ``value`` elsewhere (in ``x``'s dtype)."""
    return _threshold(x, threshold, value)


@op("aten::threshold_(Tensor(a!) self, Scalar threshold, Scalar value) -> Tensor(a!)",
    names=("torch.threshold_", "Tensor.threshold_"), type_rule=rules.same_as_input(0))
def threshold_(x: np.ndarray, threshold: Any, value: Any) -> np.ndarray:
    """:func:`threshold` written into ``x``."""
    check_inplace(x, x.dtype.name)
    np.copyto(x, _threshold(x, threshold, value))
    return x


# ---------------------------------------------------------------------------------------------
# gradient formulas


@derivative("aten::threshold", "aten::threshold_", reads_self=True)
def _threshold_grad(ctx: Any, g: Any) -> tuple:
    return (where(ctx[0] > ctx[1], g, 0.0),)


@derivative("aten::elu")
def _elu_grad(ctx: Any, g: Any) -> tuple:
    x, alpha = ctx[0], ctx[1]
    return (where(x > 0, g, g * (ctx.out + alpha)),)


@derivative("aten::selu")
def _selu_grad(ctx: Any, g: Any) -> tuple:
    return (where(ctx[0] > 0, g * SELU_SCALE, g * (ctx.out + SELU_SCALE * SELU_ALPHA)),)


@derivative("aten::leaky_relu")
def _leaky_relu_grad(ctx: Any, g: Any) -> tuple:
    return (where(ctx[0] > 0, g, g * ctx[1]),)


@derivative("aten::hardswish")
def _hardswish_grad(ctx: Any, g: Any) -> tuple:
    x = ctx[0]
    return (where(x < -3, 0.0, where(x <= 3, g * (x * 2 + 3) / 6, g)),)


@derivative("aten::mish")
def _mish_grad(ctx: Any, g: Any) -> tuple:
    x = ctx[0]
    t = call("functional", "softplus", (x,)).tanh()
    return (g * (t + x * x.sigmoid() * (1 - t * t)),)


@derivative("aten::softplus")
def _softplus_grad(ctx: Any, g: Any) -> tuple:
    x, beta, threshold = ctx[0], ctx[1], ctx[2]
    z = x * beta
    return (where(z > threshold, g, g * z.sigmoid()),)


@derivative("aten::prelu")
def _prelu_grad(ctx: Any, g: Any) -> tuple:
    x, w = ctx[0], ctx[1]
    wb = w.reshape([-1] + [1] * (x.dim() - 2)) if x.dim() >= 2 and w.numel() > 1 else w
    gx = where(x > 0, g, g * wb) if ctx.needs(0) else None
    gw = None
    if ctx.needs(1):
        gw = where(x > 0, 0.0, g * x)
        gw = gw.sum([d for d in range(x.dim()) if d != 1]) if x.dim() >= 2 and w.numel() > 1 else gw.sum()
        gw = gw.reshape(list(ctx.shape(1)))
    return gx, gw

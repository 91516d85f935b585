"""Normalization ops behind ``nn.functional``: batch_norm, instance_norm and group_norm.

Schemas follow ``nn.functional``'s argument order (aten's puts weight and bias before the
running statistics). batch_norm and instance_norm update their running statistics in place
while they use the input's statistics, as PyTorch does: ``running = (1 - momentum) * running
+ momentum * batch`` with the unbiased variance, so their schemas mark those arguments
written (``Tensor(a!)?``). Statistics are taken in double precision and the result is
rounded to the input's dtype.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from minitorch_jit.ir.types import is_float

from . import rules
from .declare import derivative, not_implemented, op


def _channel_shape(x: np.ndarray) -> tuple:
    """How a per-channel vector broadcasts against (N, C, *) input."""
    return (1, -1) + (1,) * (x.ndim - 2)


def _check_channel_vector(what: str, t: Optional[np.ndarray], c: int) -> None:
    if t is not None and t.size != c:
        raise RuntimeError(f"{what} should contain {c} elements not {t.size}")


def _affine(out: np.ndarray, x: np.ndarray, w: Optional[np.ndarray], b: Optional[np.ndarray]) -> np.ndarray:
    shape = _channel_shape(x)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out.astype(x.dtype, copy=False)


def _update(running: Optional[np.ndarray], batch: np.ndarray, momentum: float) -> None:
    if running is not None:
        np.copyto(running, (1.0 - momentum) * running + momentum * batch, casting="unsafe")


def _normalize(x: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
    return (x - mean) / np.sqrt(var + eps)


@op("aten::batch_norm(Tensor input, Tensor(a!)? running_mean, Tensor(b!)? running_var, Tensor? weight=None, "
    "Tensor? bias=None, bool training=False, float momentum=0.1, float eps=1e-05) -> Tensor",
    names=("functional.batch_norm",), type_rule=rules.same_as_input(0), writes_if="training")
def batch_norm(x: np.ndarray, running_mean: Optional[np.ndarray], running_var: Optional[np.ndarray],
               w: Optional[np.ndarray] = None, b: Optional[np.ndarray] = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    """Normalize each channel (dim 1) of (N, C, *) input by the batch's statistics when
    training (updating the running ones), else by the running statistics."""
    if x.ndim < 2:
        raise RuntimeError(f"batch_norm expects an input of at least 2 dims (N, C, *), got {x.ndim}D input")
    if not is_float(x.dtype.name):
        raise not_implemented("batch_norm", x.dtype.name)
    c = x.shape[1]
    for what, t in (("weight", w), ("bias", b), ("running_mean", running_mean), ("running_var", running_var)):
        _check_channel_vector(what, t, c)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = _channel_shape(x)
    xd = x.astype(np.float64)
    if training:
        n = x.size // c if c else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size({list(x.shape)})")
        mean, var = xd.mean(axis=axes), xd.var(axis=axes)
        _update(running_mean, mean, momentum)
        _update(running_var, var * n / (n - 1), momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
    return _affine(_normalize(xd, mean.reshape(shape), var.reshape(shape), eps), x, w, b)


@op("aten::instance_norm(Tensor input, Tensor(a!)? running_mean=None, Tensor(b!)? running_var=None, "
    "Tensor? weight=None, Tensor? bias=None, bool use_input_stats=True, float momentum=0.1, float eps=1e-05) -> Tensor",
    names=("functional.instance_norm",), type_rule=rules.same_as_input(0), writes_if="use_input_stats")
def instance_norm(x: np.ndarray, running_mean: Optional[np.ndarray] = None, running_var: Optional[np.ndarray] = None,
                  w: Optional[np.ndarray] = None, b: Optional[np.ndarray] = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
    """Normalize each (sample, channel) of (N, C, *) input over its own spatial dims; the
    running statistics get the batch's average of them (or are used instead, without
    ``use_input_stats``)."""
    if x.ndim < 2:
        raise RuntimeError(f"instance_norm expects an input of at least 2 dims (N, C, *), got {x.ndim}D input")
    if not is_float(x.dtype.name):
        raise not_implemented("instance_norm", x.dtype.name)
    c = x.shape[1]
    for what, t in (("weight", w), ("bias", b), ("running_mean", running_mean), ("running_var", running_var)):
        _check_channel_vector(what, t, c)
    xd = x.astype(np.float64)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        shape = _channel_shape(x)
        return _affine(_normalize(xd, running_mean.reshape(shape), running_var.reshape(shape), eps), x, w, b)
    axes = tuple(range(2, x.ndim))
    n = int(np.prod(x.shape[2:]))
    if n <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"torch.Size({list(x.shape)})")
    mean, var = xd.mean(axis=axes, keepdims=True), xd.var(axis=axes, keepdims=True)
    _update(running_mean, mean.reshape(x.shape[:2]).mean(axis=0), momentum)
    _update(running_var, (var * n / (n - 1)).reshape(x.shape[:2]).mean(axis=0), momentum)
    return _affine(_normalize(xd, mean, var, eps), x, w, b)


@op("aten::group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05) "
    "-> Tensor", names=("functional.group_norm", "torch.group_norm"), type_rule=rules.same_as_input(0))
def group_norm(x: np.ndarray, num_groups: int, w: Optional[np.ndarray] = None, b: Optional[np.ndarray] = None,
               eps: float = 1e-5) -> np.ndarray:
    """Normalize each group of ``C / num_groups`` channels of each sample, then scale and
    shift per channel."""
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    if not is_float(x.dtype.name):
        raise not_implemented("group_norm", x.dtype.name)
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    for what, t in (("weight", w), ("bias", b)):
        if t is not None and (t.ndim != 1 or t.size != c):
            raise RuntimeError(f"Expected {what} to be a vector of size equal to the number of channels in input, "
                               f"but got {what} of shape {list(t.shape)} and input of shape {list(x.shape)}")
    groups = x.astype(np.float64).reshape(n, num_groups, -1)
    mean, var = groups.mean(axis=2, keepdims=True), groups.var(axis=2, keepdims=True)
    return _affine(_normalize(groups, mean, var, eps).reshape(x.shape), x, w, b)


# ---------------------------------------------------------------------------------------------
# gradient formulas: all three normalize over some dims and scale per channel


def normalized_grad(x: Any, gxhat: Any, dims: List[int], eps: float) -> Tuple[Any, Any]:
    """(d loss / d x, x normalized) for ``xhat = (x - mean) / sqrt(var + eps)`` over ``dims``
    (biased variance), given ``gxhat``, the gradient with respect to ``xhat``."""
    xc = x - x.mean(dims, True)
    rstd = ((xc * xc).mean(dims, True) + eps).rsqrt()
    xhat = xc * rstd
    return rstd * (gxhat - gxhat.mean(dims, True) - xhat * (gxhat * xhat).mean(dims, True)), xhat


def _per_channel(t: Any, ndim: int) -> Any:
    return t.reshape([1, -1] + [1] * (ndim - 2))


@derivative("aten::batch_norm")
def _batch_norm_grad(ctx: Any, g: Any) -> tuple:
    x, w, training, eps = ctx[0], ctx[3], ctx[5], ctx[7]
    dims = [0] + list(range(2, x.dim()))
    gxhat = g * _per_channel(w, x.dim()) if w is not None else g
    gx, xhat = normalized_grad(x, gxhat, dims, eps) if training else _running_stats_grad(ctx, x, gxhat, eps)
    return (gx if ctx.needs(0) else None, None, None, (g * xhat).sum(dims) if ctx.needs(3) else None,
            g.sum(dims) if ctx.needs(4) else None)


def _running_stats_grad(ctx: Any, x: Any, gxhat: Any, eps: float) -> Tuple[Any, Any]:
    """(d input, x-hat) of a normalization by running statistics (arguments 1 and 2), which
    are constants of the forward: a per-channel affine map."""
    rstd = _per_channel((ctx[2] + eps).rsqrt(), x.dim())
    return gxhat * rstd, (x - _per_channel(ctx[1], x.dim())) * rstd


@derivative("aten::instance_norm")
def _instance_norm_grad(ctx: Any, g: Any) -> tuple:
    x, w, use_input_stats, eps = ctx[0], ctx[3], ctx[5], ctx[7]
    gxhat = g * _per_channel(w, x.dim()) if w is not None else g
    gx, xhat = normalized_grad(x, gxhat, list(range(2, x.dim())), eps) if use_input_stats else \
        _running_stats_grad(ctx, x, gxhat, eps)
    dims = [0] + list(range(2, x.dim()))
    return (gx if ctx.needs(0) else None, None, None, (g * xhat).sum(dims) if ctx.needs(3) else None,
            g.sum(dims) if ctx.needs(4) else None)


@derivative("aten::group_norm")
def _group_norm_grad(ctx: Any, g: Any) -> tuple:
    x, groups, w, eps = ctx[0], ctx[1], ctx[2], ctx[4]
    n = x.shape[0]
    gxhat = g * _per_channel(w, x.dim()) if w is not None else g
    gx, xhat = normalized_grad(x.reshape([n, groups, -1]), gxhat.reshape([n, groups, -1]), [2], eps)
    xhat = xhat.reshape(list(x.shape))
    dims = [0] + list(range(2, x.dim()))
    return (gx.reshape(list(x.shape)) if ctx.needs(0) else None, None,
            (g * xhat).sum(dims) if ctx.needs(2) else None, g.sum(dims) if ctx.needs(3) else None)

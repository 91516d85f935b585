"""Average pooling behind ``nn.functional``: avg_pool2d (with PyTorch's divisor rules for
padded and ceil-mode windows) and adaptive_avg_pool2d. (max_pool2d lives beside conv2d in
ops/nn.py.)"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from .declare import derivative, not_implemented, op
from .dispatch import call_op
from .nn import _pair, _pool_out


def _unknown_sizes(x: Type) -> List[Type]:
    return [tensor_type(x).dimensioned()]


def _avg_pool_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x = tensor_type(types[0])
    if x.sizes is None or len(x.sizes) < 2 or UNKNOWN in consts[1:5]:
        return _unknown_sizes(x)
    k = _pair(consts[1], "kernel_size")
    s = _pair(consts[2], "stride") if consts[2] else k
    p = _pair(consts[3], "padding")
    *lead, h, w = x.sizes
    return [TensorType(x.dtype, tuple(lead) + (_pool_out(h, k[0], s[0], p[0], 1, consts[4]),
                                               _pool_out(w, k[1], s[1], p[1], 1, consts[4])))]


def _divisors(n: int, out: int, k: int, s: int, p: int, count_include_pad: bool) -> np.ndarray:
    """Per output position along one dim: how many elements its window counts, as PyTorch
    counts them (the window clipped to the padded input, or to the input itself)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


@op("aten::avg_pool2d(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0, bool ceil_mode=False, "
    "bool count_include_pad=True, int? divisor_override=None) -> Tensor",
    names=("functional.avg_pool2d",), type_rule=_avg_pool_rule)
def avg_pool2d(x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int] = (), padding: Sequence[int] = (0, 0),
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None) -> np.ndarray:
    """Mean over windows of (N, C, H, W) or (C, H, W) input; padding counts as zeros."""
    if x.ndim not in (3, 4):
        raise RuntimeError(f"non-empty 3D or 4D (batch mode) tensor expected for input, got {list(x.shape)}")
    if x.dtype.kind not in "f":
        raise not_implemented("avg_pool2d", x.dtype.name)
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if len(stride) else k
    p = _pair(padding, "padding")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[0]}, "
                           f"kernel_size={k[0]} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    h, w = x.shape[-2:]
    oh, ow = _pool_out(h, k[0], s[0], p[0], 1, ceil_mode), _pool_out(w, k[1], s[1], p[1], 1, ceil_mode)
    assert oh is not None and ow is not None  # known input sizes give known output sizes
    # pad enough on the right for ceil_mode's last partial window
    rh, rw = max(0, (oh - 1) * s[0] + k[0] - h - p[0]), max(0, (ow - 1) * s[1] + k[1] - w - p[1])
    xp = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 2) + [(p[0], rh), (p[1], rw)])
    win = sliding_window_view(xp, tuple(k), axis=(-2, -1))[..., ::s[0], ::s[1], :, :][..., :oh, :ow, :, :]
    sums = win.sum(axis=(-2, -1))
    if divisor_override is not None:
        div: Any = divisor_override
    else:
        div = np.outer(_divisors(h, oh, k[0], s[0], p[0], count_include_pad),
                       _divisors(w, ow, k[1], s[1], p[1], count_include_pad))
    return (sums / div).astype(x.dtype)


def _adaptive_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x = tensor_type(types[0])
    if x.sizes is None or len(x.sizes) < 2 or consts[1] is UNKNOWN:
        return _unknown_sizes(x)
    return [TensorType(x.dtype, tuple(x.sizes[:-2]) + tuple(_pair(consts[1], "output_size")))]


def _bounds(n: int, out: int) -> tuple:
    """PyTorch's adaptive windows along one dim: [floor(i n / out), ceil((i + 1) n / out))."""
    i = np.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


@op("aten::adaptive_avg_pool2d(Tensor self, int[2] output_size) -> Tensor",
    names=("functional.adaptive_avg_pool2d",), type_rule=_adaptive_rule)
def adaptive_avg_pool2d(x: np.ndarray, output_size: Sequence[int]) -> np.ndarray:
    """Mean over the windows that split H and W into ``output_size`` nearly equal parts."""
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(x.shape)}")
    if x.dtype.kind not in "f":
        raise not_implemented("adaptive_avg_pool2d", x.dtype.name)
    oh, ow = _pair(output_size, "output_size")
    if oh < 0 or ow < 0:
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {[oh, ow]}")
    h, w = x.shape[-2:]
    # sums of any window from the table of prefix sums (one leading zero row and column)
    table = np.zeros(x.shape[:-2] + (h + 1, w + 1))
    table[..., 1:, 1:] = x.astype(np.float64).cumsum(-2).cumsum(-1)
    (hs, he), (ws, we) = _bounds(h, oh), _bounds(w, ow)
    sums = (table[..., he[:, None], we[None, :]] - table[..., hs[:, None], we[None, :]]
            - table[..., he[:, None], ws[None, :]] + table[..., hs[:, None], ws[None, :]])
    return (sums / np.outer(he - hs, we - ws)).astype(x.dtype)


# ---------------------------------------------------------------------------------------------
# gradients: each output's gradient goes back over its window (to the window's maximum for
# max pooling, shared evenly for average pooling); ops of their own, as in PyTorch


def _windows(x: np.ndarray, k: Sequence[int], s: Sequence[int], p: Sequence[int], d: Sequence[int], ceil_mode: bool,
             fill: float) -> tuple:
    """The padded input and its (…, oh, ow, kh, kw) windows, as the forward pools them."""
    h, w = x.shape[-2:]
    oh, ow = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode), _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    assert oh is not None and ow is not None
    ext_h, ext_w = d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1
    rh, rw = max(0, (oh - 1) * s[0] + ext_h - h - p[0]), max(0, (ow - 1) * s[1] + ext_w - w - p[1])
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(p[0], rh), (p[1], rw)], constant_values=fill)
    win = sliding_window_view(xp, (ext_h, ext_w), axis=(-2, -1))
    return xp, win[..., ::s[0], ::s[1], :, :][..., :oh, :ow, ::d[0], ::d[1]]


def _scatter(shape: tuple, per_tap: Any, k: Sequence[int], s: Sequence[int], d: Sequence[int],
             out: tuple) -> np.ndarray:
    """Sum, into zeros of the padded input's ``shape``, each tap's (…, oh, ow) contribution."""
    gp = np.zeros(shape, np.float64)
    oh, ow = out
    for i in range(k[0]):
        for j in range(k[1]):
            gp[..., i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]] += \
                per_tap(i, j)
    return gp


@op("aten::max_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, int[2] padding, "
    "int[2] dilation, bool ceil_mode) -> Tensor", type_rule=lambda types, consts: [tensor_type(types[1])])
def max_pool2d_backward(g: np.ndarray, x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int],
                        padding: Sequence[int], dilation: Sequence[int], ceil_mode: bool) -> np.ndarray:
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if len(stride) else k
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    xp, win = _windows(x, k, s, p, d, ceil_mode, -np.inf)
    flat = win.reshape(win.shape[:-2] + (-1,))
    arg = np.where(np.isnan(flat).any(-1), np.isnan(flat).argmax(-1), flat.argmax(-1))  # NaN wins, as forward
    gp = _scatter(xp.shape, lambda i, j: g * (arg == i * k[1] + j), k, s, d, g.shape[-2:])
    h, w = x.shape[-2:]
    return np.ascontiguousarray(gp[..., p[0]:p[0] + h, p[1]:p[1] + w], dtype=x.dtype)


@op("aten::avg_pool2d_backward(Tensor grad_output, Tensor self, int[2] kernel_size, int[2] stride, int[2] padding, "
    "bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
    type_rule=lambda types, consts: [tensor_type(types[1])])
def avg_pool2d_backward(g: np.ndarray, x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int],
                        padding: Sequence[int], ceil_mode: bool, count_include_pad: bool,
                        divisor_override: Optional[int]) -> np.ndarray:
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if len(stride) else k
    p = _pair(padding, "padding")
    xp, _ = _windows(x, k, s, p, (1, 1), ceil_mode, 0.0)
    h, w = x.shape[-2:]
    oh, ow = g.shape[-2:]
    div: Any = divisor_override if divisor_override is not None else np.outer(
        _divisors(h, oh, k[0], s[0], p[0], count_include_pad), _divisors(w, ow, k[1], s[1], p[1], count_include_pad))
    share = g / div
    gp = _scatter(xp.shape, lambda i, j: share, k, s, (1, 1), (oh, ow))
    return np.ascontiguousarray(gp[..., p[0]:p[0] + h, p[1]:p[1] + w], dtype=x.dtype)


@op("aten::adaptive_avg_pool2d_backward(Tensor grad_output, Tensor self) -> Tensor",
    type_rule=lambda types, consts: [tensor_type(types[1])])
def adaptive_avg_pool2d_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    h, w = x.shape[-2:]
    oh, ow = g.shape[-2:]
    (hs, he), (ws, we) = _bounds(h, oh), _bounds(w, ow)
    out = np.zeros(x.shape, np.float64)
    for i in range(oh):
        for j in range(ow):
            area = (he[i] - hs[i]) * (we[j] - ws[j])
            out[..., hs[i]:he[i], ws[j]:we[j]] += (g[..., i, j] / area)[..., None, None]
    return out.astype(x.dtype)


@derivative("aten::max_pool2d")
def _max_pool2d_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::max_pool2d_backward", g, ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5]),)


@derivative("aten::avg_pool2d")
def _avg_pool2d_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::avg_pool2d_backward", g, ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], ctx[5], ctx[6]),)


@derivative("aten::adaptive_avg_pool2d")
def _adaptive_avg_pool2d_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::adaptive_avg_pool2d_backward", g, ctx[0]),)


@derivative("aten::avg_pool2d_backward", "aten::adaptive_avg_pool2d_backward")
def _avg_pool_backward_grad(ctx: Any, g: Any) -> tuple:
    """Average pooling is linear: the gradient of its gradient is the pooling again."""
    if ctx.node.op.name == "aten::adaptive_avg_pool2d_backward":
        return (call_op("aten::adaptive_avg_pool2d", g, list(ctx.shape(0)[-2:])),)
    return (call_op("aten::avg_pool2d", g, ctx[2], ctx[3], ctx[4], ctx[5], ctx[6], ctx[7]),)

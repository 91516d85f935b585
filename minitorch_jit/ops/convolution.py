"""conv1d and conv3d (the N-d convolution of ops/nn.py, which conv2d is too, over one and
three dims) and conv_transpose2d (the gradient of conv2d with respect to its input: each
input element scatters the kernel, scaled, into the output)."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from .declare import derivative, op
from .dispatch import call_op
from .nn import _ints, _pair, conv, conv_padding, conv_rule


def _conv1d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1,),
            padding: Any = (0,), dilation: Sequence[int] = (1,), groups: int = 1) -> np.ndarray:
    """1-D convolution (cross-correlation) of (N, C, L) or (C, L) input."""
    if w.ndim != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(x.shape)}")
    return conv(x, w, b, stride, padding, dilation, groups)


op("aten::conv1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, int[1] padding=0, "
   "int[1] dilation=1, int groups=1) -> Tensor", names=("torch.conv1d", "functional.conv1d"),
   type_rule=conv_rule(1))(_conv1d)
op("aten::conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, str padding=\"valid\", "
   "int[1] dilation=1, int groups=1) -> Tensor", names=("torch.conv1d", "functional.conv1d"),
   type_rule=conv_rule(1))(_conv1d)


def _conv3d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1, 1, 1),
            padding: Any = 0, dilation: Sequence[int] = (1, 1, 1), groups: int = 1) -> np.ndarray:
    """3-D convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) input."""
    if w.ndim != 5:
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: "
                           f"{list(x.shape)}")
    return conv(x, w, b, stride, padding, dilation, groups)


op("aten::conv3d(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, "
   "int[3] dilation=1, int groups=1) -> Tensor", names=("torch.conv3d", "functional.conv3d"),
   type_rule=conv_rule(3))(_conv3d)
op("aten::conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, str padding=\"valid\", "
   "int[3] dilation=1, int groups=1) -> Tensor", names=("torch.conv3d", "functional.conv3d"),
   type_rule=conv_rule(3))(_conv3d)


def _unknown(x: Type, w: Type) -> List[Type]:
    dtype = x.dtype if x.dtype == w.dtype else None
    return [TensorType(dtype, None if x.sizes is None else (None,) * len(x.sizes))]


def _transposed_size(n: Optional[int], k: int, s: int, p: int, op_: int, d: int) -> Optional[int]:
    return None if n is None else (n - 1) * s - 2 * p + d * (k - 1) + op_ + 1


def _conv_transpose_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = types[0], types[1]
    if (x.sizes is None or w.sizes is None or UNKNOWN in consts[3:8] or len(w.sizes) != 4 or None in w.sizes[1:]
            or len(x.sizes) not in (3, 4)):
        return _unknown(x, w)
    (sh, sw), (ph, pw), (oh, ow) = (_pair(consts[i], n) for i, n in ((3, "stride"), (4, "padding"),
                                                                    (5, "output_padding")))
    dh, dw = _pair(consts[7], "dilation")
    *lead, h, wd = x.sizes
    return [TensorType(x.dtype if x.dtype == w.dtype else None,
                       tuple(lead[:-1]) + (w.sizes[1] * consts[6], _transposed_size(h, w.sizes[2], sh, ph, oh, dh),
                                           _transposed_size(wd, w.sizes[3], sw, pw, ow, dw)))]


@op("aten::conv_transpose2d.input(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, "
    "int[2] padding=0, int[2] output_padding=0, int groups=1, int[2] dilation=1) -> Tensor",
    names=("torch.conv_transpose2d", "functional.conv_transpose2d"), type_rule=_conv_transpose_rule)
def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1, 1),
                     padding: Sequence[int] = (0, 0), output_padding: Sequence[int] = (0, 0), groups: int = 1,
                     dilation: Sequence[int] = (1, 1)) -> np.ndarray:
    """Transposed 2-D convolution of (N, C_in, H, W) or (C_in, H, W) input with a
    (C_in, C_out / groups, kH, kW) weight."""
    if x.ndim not in (3, 4) or w.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of "
                           f"size: {list(x.shape)}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({x.dtype.name}) and weight type ({w.dtype.name}) should be the same")
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    (oph, opw), (dh, dw) = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    if sh <= 0 or sw <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if ph < 0 or pw < 0:
        raise RuntimeError("negative padding is not supported")
    if not (oph < max(sh, dh) and opw < max(sw, dw)):
        raise RuntimeError("output padding must be smaller than either stride or dilation")
    n, c, h, wd = x.shape
    cin, og, kh, kw = w.shape
    if c != cin or c % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                           f"have {cin} channels, but got {c} channels instead")
    if b is not None and b.shape != (og * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be 1-dimensional "
                           f"with {og * groups} elements, but got bias of size {list(b.shape)} instead")
    full_h, full_w = (h - 1) * sh + dh * (kh - 1) + 1 + oph, (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    out_h, out_w = full_h - 2 * ph, full_w - 2 * pw
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"Given input size per channel: ({h} x {wd}). Calculated output size per channel: "
                           f"({out_h} x {out_w}). Output size is too small")
    full = np.zeros((n, og * groups, full_h, full_w), np.result_type(x.dtype, np.float32))
    cg = c // groups
    for g in range(groups):
        # every input element times every kernel tap: N, H, W, C_out/groups, kH, kW
        taps = np.tensordot(x[:, g * cg:(g + 1) * cg], w[g * cg:(g + 1) * cg], axes=([1], [0]))
        for i in range(kh):
            for j in range(kw):
                full[:, g * og:(g + 1) * og, i * dh:i * dh + (h - 1) * sh + 1:sh,
                     j * dw:j * dw + (wd - 1) * sw + 1:sw] += taps[..., i, j].transpose(0, 3, 1, 2)
    out = full[:, :, ph:ph + out_h, pw:pw + out_w]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    out = np.ascontiguousarray(out, dtype=x.dtype)
    return out[0] if unbatched else out


# ---------------------------------------------------------------------------------------------
# the gradient of a convolution (any number of spatial dims): an op of its own, as PyTorch's
# convolution_backward, so the formula stays one call of a registry op


def _conv_backward_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[1]), tensor_type(types[2])
    bias = TensorType(w.dtype, None if w.sizes is None else (w.sizes[0],))
    return [TensorType(x.dtype, x.sizes), TensorType(w.dtype, w.sizes), bias]


@op("aten::convolution_backward(Tensor grad_output, Tensor input, Tensor weight, int[] stride, int[] padding, "
    "int[] dilation, int groups) -> (Tensor, Tensor, Tensor)", type_rule=_conv_backward_rule)
def convolution_backward(g: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Sequence[int], padding: Sequence[int],
                         dilation: Sequence[int], groups: int) -> tuple:
    """(grad_input, grad_weight, grad_bias) of ``conv(x, w)`` for ``padding`` given as
    (before, after) per spatial dim, flattened: each output gradient scatters the kernel back
    over its window, and correlates with the window for the weight."""
    spatial = w.ndim - 2
    unbatched = x.ndim == spatial + 1
    if unbatched:
        x, g = x[None], g[None]
    pads = [(padding[2 * i], padding[2 * i + 1]) for i in range(spatial)]
    kernel = w.shape[2:]
    out_sizes = g.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    win = sliding_window_view(xp, tuple(di * (k - 1) + 1 for k, di in zip(kernel, dilation)),
                              axis=tuple(range(2, 2 + spatial)))
    win = win[(slice(None), slice(None)) + tuple(slice(None, n * si, si) for n, si in zip(out_sizes, stride))
              + tuple(slice(None, None, di) for di in dilation)]          # N, C, *out, *kernel
    o, cg = w.shape[:2]
    og = o // groups
    space = list(range(2, 2 + spatial))
    gw = np.empty_like(w)
    gxp = np.zeros(xp.shape, np.result_type(x.dtype, np.float32))
    for gi in range(groups):
        go = g[:, gi * og:(gi + 1) * og]
        gw[gi * og:(gi + 1) * og] = np.tensordot(go, win[:, gi * cg:(gi + 1) * cg], axes=([0] + space, [0] + space))
        cols = np.tensordot(go, w[gi * og:(gi + 1) * og], axes=([1], [0]))  # N, *out, C/groups, *kernel
        for tap in np.ndindex(*kernel):
            region = (slice(None), slice(gi * cg, (gi + 1) * cg)) + tuple(
                slice(t * di, t * di + si * (n - 1) + 1, si) for t, di, si, n in zip(tap, dilation, stride, out_sizes))
            gxp[region] += np.moveaxis(cols[(Ellipsis,) + tap], -1, 1)
    crop = (slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape[2:]))
    gx = np.ascontiguousarray(gxp[crop], dtype=x.dtype)
    gb = g.sum(axis=tuple([0] + space)).astype(w.dtype)
    return (gx[0] if unbatched else gx), gw, gb


@derivative("aten::conv1d", "aten::conv1d.padding", "aten::conv2d", "aten::conv2d.padding", "aten::conv3d",
            "aten::conv3d.padding")
def _conv_grad(ctx: Any, g: Any) -> tuple:
    x, w = ctx[0], ctx[1]
    spatial = len(ctx.shape(1)) - 2
    stride, dilation = _ints(ctx[3], spatial, "stride"), _ints(ctx[5], spatial, "dilation")
    pads = [p for pair in conv_padding(ctx[4], ctx.shape(1)[2:], stride, dilation) for p in pair]
    gx, gw, gb = call_op("aten::convolution_backward", g, x, w, stride, pads, dilation, ctx[6])
    return gx, gw, (gb if ctx.needs(2) else None)


@derivative("aten::conv_transpose2d.input")
def _conv_transpose_grad(ctx: Any, g: Any) -> tuple:
    """A transposed convolution is the adjoint of conv2d's input map: its input's gradient is
    conv2d of the output's gradient, its weight's that of conv2d(g, w) against the input."""
    x, w, groups = ctx[0], ctx[1], ctx[6]
    stride, padding, dilation = list(_pair(ctx[3], "stride")), list(_pair(ctx[4], "padding")), \
        list(_pair(ctx[7], "dilation"))
    gx = call_op("aten::conv2d", g, w, None, stride, padding, dilation, groups) if ctx.needs(0) else None
    gw = None
    if ctx.needs(1):
        pads = [padding[0], padding[0], padding[1], padding[1]]
        gw = call_op("aten::convolution_backward", x, g, w, stride, pads, dilation, groups)[1]
    gb = g.sum([0, 2, 3] if len(ctx.shape(0)) == 4 else [1, 2]) if ctx.needs(2) else None
    return gx, gw, gb

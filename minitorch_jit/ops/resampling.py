"""Padding and resampling behind ``nn.functional``: pad (constant, reflect, replicate and
circular modes) and interpolate (nearest and bilinear, with align_corners), with PyTorch's
index arithmetic so that sizes and sampled positions agree with it exactly."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Literal, Optional, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from .declare import derivative, not_implemented, op
from .dispatch import call_op

# np.pad's names for PyTorch's modes (PyTorch's reflect is numpy's: the edge is not repeated)
_NUMPY_MODES: Dict[str, Literal["reflect", "edge", "wrap"]] = {"reflect": "reflect", "replicate": "edge",
                                                              "circular": "wrap"}


def _padded_sizes(shape: Sequence[Optional[int]], pad: Sequence[int]) -> tuple:
    out = list(shape)
    for i in range(len(pad) // 2):
        d = len(shape) - 1 - i
        n = out[d]
        if n is not None:
            out[d] = n + pad[2 * i] + pad[2 * i + 1]
    return tuple(out)


def _pad_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x = tensor_type(types[0])
    if x.sizes is None or consts[1] is UNKNOWN or len(consts[1]) // 2 > len(x.sizes):
        return [TensorType(x.dtype, None if x.sizes is None else (None,) * len(x.sizes))]
    return [TensorType(x.dtype, _padded_sizes(x.sizes, consts[1]))]


@op("aten::pad(Tensor input, int[] pad, str mode=\"constant\", float? value=None) -> Tensor",
    names=("functional.pad",), type_rule=_pad_rule)
def pad(x: np.ndarray, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> np.ndarray:
    """Pad the last ``len(pad) / 2`` dims, the last dim first: (left, right, top, bottom, ...).
    Constant padding may be negative (it crops)."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    pairs = _pad_pairs(x.ndim, pad)
    if mode == "constant":
        crop = tuple(slice(-b if b < 0 else 0, n + a if a < 0 else n) for (b, a), n in zip(pairs, x.shape))
        fill = 0 if value is None else value
        return np.pad(x[crop], [(max(b, 0), max(a, 0)) for b, a in pairs], constant_values=fill)
    if mode not in _NUMPY_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0.0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pad) // 2
    if not (1 <= k <= 3 and k + 1 <= x.ndim <= k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"negative padding is not supported in mode {mode}")
    for d, (b, a) in enumerate(pairs):
        limit = x.shape[d] if mode != "replicate" else math.inf
        if mode == "reflect" and (b >= limit or a >= limit):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({b}, {a}) at dimension {d} of input {list(x.shape)}")
        if mode == "circular" and (b > limit or a > limit):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    if x.dtype.kind != "f" and mode == "reflect":
        raise not_implemented("reflection_pad", x.dtype.name)
    return np.pad(x, pairs, mode=_NUMPY_MODES[mode])


def _pad_pairs(ndim: int, pad: Sequence[int]) -> List[Any]:
    return [(0, 0)] * (ndim - len(pad) // 2) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]


def _input_size_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    """A backward op's result: the gradient's dtype, the forward input's sizes (argument 1)."""
    g = tensor_type(types[0])
    sizes = consts[1]
    return [TensorType(g.dtype, None if sizes is UNKNOWN else tuple(sizes))]


@op("aten::_pad_backward(Tensor grad_output, int[] input_size, int[] pad, str mode) -> Tensor",
    type_rule=_input_size_rule)
def pad_backward(g: np.ndarray, input_size: Sequence[int], pad: Sequence[int], mode: str) -> np.ndarray:
    """The gradient of reflect/replicate/circular ``pad``: each padded element's gradient
    added to the input element it copies. The copy map is the forward's own: the padding of
    an array of the input's element numbers, then summed by number."""
    k = len(pad) // 2
    spatial = tuple(input_size[len(input_size) - k:])
    numbers = np.pad(np.arange(int(np.prod(spatial))).reshape(spatial), _pad_pairs(k, pad), mode=_NUMPY_MODES[mode])
    rows = g.reshape(-1, numbers.size)
    n = int(np.prod(spatial))
    flat = (np.arange(rows.shape[0])[:, None] * n + numbers.reshape(1, -1)).ravel()
    sums = np.bincount(flat, weights=rows.ravel(), minlength=rows.shape[0] * n)
    return sums.astype(g.dtype).reshape(tuple(input_size))


@derivative("aten::pad")
def _pad_grad(ctx: Any, g: Any) -> tuple:
    pad, mode = ctx[1], ctx[2]
    if mode == "constant":  # cropped where it padded, padded with zeros where it cropped
        return (call_op("aten::pad", g, [-p for p in pad], "constant", None),)
    return (call_op("aten::_pad_backward", g, list(ctx.shape(0)), list(pad), mode),)


@derivative("aten::_pad_backward")
def _pad_backward_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::pad", g, list(ctx[2]), ctx[3], None),)


# -- interpolate -------------------------------------------------------------------------------

_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def _output_sizes(in_sizes: Sequence[int], size: Optional[Sequence[int]],
                  scale_factor: Optional[Sequence[float]]) -> List[int]:
    if size is not None:
        return list(size)
    assert scale_factor is not None
    return [int(math.floor(n * s)) for n, s in zip(in_sizes, scale_factor)]


def _scale_pair(scale_factor: Any) -> Optional[List[float]]:
    if isinstance(scale_factor, (int, float)):
        return [float(scale_factor)] * 2
    return scale_factor


def _interpolate_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x = tensor_type(types[0])
    unknown: List[Type] = [TensorType(x.dtype, None if x.sizes is None else (None,) * len(x.sizes))]
    if x.sizes is None or len(x.sizes) != 4 or consts[1] is UNKNOWN or consts[2] is UNKNOWN:
        return unknown
    if consts[1] is None and (consts[2] is None or None in x.sizes[2:]):
        return unknown
    sizes = _output_sizes(x.sizes[2:], consts[1], _scale_pair(consts[2]))
    return [TensorType(x.dtype, tuple(x.sizes[:2]) + tuple(sizes))]


def _source_scale(n_in: int, n_out: int, align_corners: bool, scale: Optional[float]) -> float:
    """PyTorch's ratio of source to output positions (area_pixel_compute_scale)."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest_indices(n_in: int, n_out: int, scale: Optional[float]) -> np.ndarray:
    s = np.float32(1.0 / scale if scale is not None and scale > 0 else n_in / n_out)
    return np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64), n_in - 1)


def _linear_weights(n_in: int, n_out: int, align_corners: bool, scale: Optional[float]) -> tuple:
    """For each output position: the two source indices and the weight of the second."""
    ratio = np.float32(_source_scale(n_in, n_out, align_corners, scale))
    dst = np.arange(n_out, dtype=np.float32)
    src = dst * ratio if align_corners else np.maximum((dst + np.float32(0.5)) * ratio - np.float32(0.5), 0)
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def interpolate(x: np.ndarray, size: Optional[Sequence[int]] = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: Optional[bool] = None,
                recompute_scale_factor: Optional[bool] = None, antialias: bool = False) -> np.ndarray:
    """Resize the H and W of (N, C, H, W) input to ``size``, or by ``scale_factor`` (one
    number, or one per dim), in mode ``nearest`` or ``bilinear``."""
    scale_factor = _scale_pair(scale_factor)
    if mode not in ("nearest", *_INTERPOLATING):
        raise NotImplementedError(f"Input Error: interpolate does not support mode {mode}")
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if x.ndim != 4 or mode not in ("nearest", "bilinear"):
        raise NotImplementedError(f"interpolate supports 4-D input in modes nearest and bilinear, got {x.ndim}-D input "
                                  f"in mode {mode}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    out_h, out_w = _output_sizes(x.shape[2:], size, scale_factor)
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input (H: {x.shape[2]}, "
                           f"W: {x.shape[3]}) output (H: {out_h}, W: {out_w})")
    scales = _sample_scales(scale_factor, recompute_scale_factor)
    (_, _, h, w) = x.shape
    if mode == "nearest":
        return np.ascontiguousarray(x[:, :, _nearest_indices(h, out_h, scales[0])][..., _nearest_indices(w, out_w,
                                                                                                          scales[1])])
    if x.dtype.kind != "f":
        raise not_implemented("upsample_bilinear2d_out_frame", x.dtype.name)
    corners = bool(align_corners)
    h0, h1, lh = _linear_weights(h, out_h, corners, scales[0])
    w0, w1, lw = _linear_weights(w, out_w, corners, scales[1])
    t = x.dtype.type
    lh, lw = lh.astype(x.dtype)[:, None], lw.astype(x.dtype)
    top = x[:, :, h0][..., w0] * (t(1) - lw) + x[:, :, h0][..., w1] * lw
    bottom = x[:, :, h1][..., w0] * (t(1) - lw) + x[:, :, h1][..., w1] * lw
    return (top * (t(1) - lh) + bottom * lh).astype(x.dtype, copy=False)


def _sample_scales(scale_factor: Any, recompute: Optional[bool]) -> List[Optional[float]]:
    """The scale factor itself places the samples, unless recomputed from the sizes."""
    scale_factor = _scale_pair(scale_factor)
    return [None, None] if scale_factor is None or recompute else list(scale_factor)


# scale_factor as one number or one per dim, as PyTorch's upsample ops have a .vec overload
for _overload, _scale in (("", "float[2]?"), (".scalar", "float?")):
    op(f"aten::interpolate{_overload}(Tensor input, int[2]? size=None, {_scale} scale_factor=None, "
       "str mode=\"nearest\", bool? align_corners=None, bool? recompute_scale_factor=None, bool antialias=False) "
       "-> Tensor", names=("functional.interpolate",), type_rule=_interpolate_rule)(interpolate)


def _resampling(n_in: int, n_out: int, mode: str, corners: bool, scale: Optional[float], dtype: Any) -> np.ndarray:
    """The (n_out, n_in) matrix of one dim of the resampling: interpolate is ``A_h @ x @ A_w.T``
    per (sample, channel), with the forward's own indices and weights."""
    m = np.zeros((n_out, n_in), dtype)
    rows = np.arange(n_out)
    if mode == "nearest":
        m[rows, _nearest_indices(n_in, n_out, scale)] = 1
    else:
        i0, i1, l1 = _linear_weights(n_in, n_out, corners, scale)
        np.add.at(m, (rows, i0), 1 - l1.astype(dtype))
        np.add.at(m, (rows, i1), l1.astype(dtype))
    return m


@op("aten::_interpolate_backward(Tensor grad_output, int[] input_size, str mode, bool align_corners, "
    "float?[] scales) -> Tensor", type_rule=_input_size_rule)
def interpolate_backward(g: np.ndarray, input_size: Sequence[int], mode: str, align_corners: bool,
                         scales: Sequence[Optional[float]]) -> np.ndarray:
    """The gradient of interpolate: ``A_h.T @ g @ A_w`` (each output's gradient back to the
    inputs it was sampled from, by their weights)."""
    (h, w), (oh, ow) = input_size[2:], g.shape[2:]
    a_h = _resampling(h, oh, mode, align_corners, scales[0], g.dtype)
    a_w = _resampling(w, ow, mode, align_corners, scales[1], g.dtype)
    return np.ascontiguousarray(a_h.T @ g @ a_w)


@derivative("aten::interpolate", "aten::interpolate.scalar")
def _interpolate_grad(ctx: Any, g: Any) -> tuple:
    scales = _sample_scales(ctx[2], ctx[5])
    return (call_op("aten::_interpolate_backward", g, list(ctx.shape(0)), ctx[3], bool(ctx[4]), scales),)


@derivative("aten::_interpolate_backward")
def _interpolate_backward_grad(ctx: Any, g: Any) -> tuple:
    mode, scales = ctx[2], ctx[4]
    sizes = None if scales[0] is not None else list(ctx.shape(0)[2:])
    return (call_op("aten::interpolate", g, sizes, None if sizes else scales, mode,
                    ctx[3] if mode != "nearest" else None, None, False),)

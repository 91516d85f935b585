"""conv1d (conv2d over a height of one), conv3d (windows over three dims, as conv2d takes
them over two) and conv_transpose2d (the gradient of conv2d with respect to its input: each
input element scatters the kernel, scaled, into the output). conv2d itself lives in
ops/nn.py."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from .declare import op
from .nn import _check_conv_args, _conv2d, _padding_pairs, _pair, _pool_out, _same_padding


def _unknown(x_type: Type, w_type: Type) -> List[Type]:
    x, w = tensor_type(x_type), tensor_type(w_type)
    dtype = x.dtype if x.dtype == w.dtype else None
    return [TensorType(dtype, None if x.sizes is None else (None,) * len(x.sizes))]


def _one(v: Any) -> int:
    if isinstance(v, int):
        return v
    if len(v) != 1:
        raise RuntimeError(f"expected one int, got {list(v)}")
    return v[0]


def _conv1d_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[0]), tensor_type(types[1])
    if x.sizes is None or w.sizes is None or UNKNOWN in consts[3:6] or len(w.sizes) != 3 or w.sizes[2] is None:
        return _unknown(x, w)
    stride, dilation = _one(consts[3]), _one(consts[5])
    padding = consts[4] if isinstance(consts[4], str) else [0, _one(consts[4])]
    (_, pads) = _padding_pairs(padding, (w.sizes[0], w.sizes[1], 1, w.sizes[2]), (1, stride), (1, dilation))
    length = _pool_out(x.sizes[-1], w.sizes[2], stride, pads, dilation)
    return [TensorType(x.dtype if x.dtype == w.dtype else None, tuple(x.sizes[:-2]) + (w.sizes[0], length))]


def _conv1d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1,),
            padding: Any = (0,), dilation: Sequence[int] = (1,), groups: int = 1) -> np.ndarray:
    """1-D convolution (cross-correlation) of (N, C, L) or (C, L) input."""
    if x.ndim not in (2, 3) or w.ndim != 3:
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                           f"{list(x.shape)}")
    pad2 = padding if isinstance(padding, str) else [0, _one(padding)]
    out = _conv2d(x[..., None, :], w[:, :, None, :], b, [1, _one(stride)], pad2, [1, _one(dilation)], groups)
    return np.ascontiguousarray(out[..., 0, :])


op("aten::conv1d(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, int[1] padding=0, "
   "int[1] dilation=1, int groups=1) -> Tensor", names=("torch.conv1d", "functional.conv1d"),
   type_rule=_conv1d_rule)(_conv1d)
op("aten::conv1d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[1] stride=1, str padding=\"valid\", "
   "int[1] dilation=1, int groups=1) -> Tensor", names=("torch.conv1d", "functional.conv1d"),
   type_rule=_conv1d_rule)(_conv1d)


def _triple(v: Sequence[int], name: str) -> List[int]:
    if len(v) == 1:
        return [v[0]] * 3
    if len(v) != 3:
        raise RuntimeError(f"{name} must be one int or three ints, got {list(v)}")
    return list(v)


def _padding_triples(padding: Any, kernel: Sequence[int], stride: Sequence[int],
                     dilation: Sequence[int]) -> List[tuple]:
    """(before, after) padding of D, H and W from ints or PyTorch's "valid" / "same"."""
    if not isinstance(padding, str):
        return [(p, p) for p in _triple(padding, "padding")]
    if padding == "valid":
        return [(0, 0)] * 3
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    return [_same_padding(k, d) for k, d in zip(kernel, dilation)]


def _conv3d_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[0]), tensor_type(types[1])
    if x.sizes is None or w.sizes is None or UNKNOWN in consts[3:6] or len(w.sizes) != 5 or None in w.sizes[2:]:
        return _unknown(x, w)
    stride, dilation = _triple(consts[3], "stride"), _triple(consts[5], "dilation")
    kernel = w.sizes[2:]
    pads = _padding_triples(consts[4], kernel, stride, dilation)
    spatial = tuple(_pool_out(n, k, s, p, d) for n, k, s, p, d in zip(x.sizes[-3:], kernel, stride, pads, dilation))
    return [TensorType(x.dtype if x.dtype == w.dtype else None, tuple(x.sizes[:-4]) + (w.sizes[0],) + spatial)]


def _conv3d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1, 1, 1),
            padding: Any = 0, dilation: Sequence[int] = (1, 1, 1), groups: int = 1) -> np.ndarray:
    """3-D convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) input."""
    if x.ndim not in (4, 5) or w.ndim != 5:
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: "
                           f"{list(x.shape)}")
    unbatched = x.ndim == 4
    if unbatched:
        x = x[None]
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({x.dtype.name}) and weight type ({w.dtype.name}) should be the same")
    s, d = _triple(stride, "stride"), _triple(dilation, "dilation")
    _check_conv_args(s, [] if isinstance(padding, str) else _triple(padding, "padding"))
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    pads = _padding_triples(padding, kernel, s, d)
    n, c = x.shape[:2]
    if c != cg * groups or o % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} "
                           f"to have {cg * groups} channels, but got {c} channels instead")
    if b is not None and b.shape != (o,):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {o} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    out_sizes = [_pool_out(m, k, si, p, di) for m, k, si, p, di in zip(x.shape[2:], kernel, s, pads, d)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    win = sliding_window_view(xp, tuple(di * (k - 1) + 1 for k, di in zip(kernel, d)), axis=(2, 3, 4))
    win = win[:, :, ::s[0], ::s[1], ::s[2], ::d[0], ::d[1], ::d[2]]
    win = win[:, :, :out_sizes[0], :out_sizes[1], :out_sizes[2]]        # N, C, OD, OH, OW, KD, KH, KW
    og = o // groups
    parts = [np.tensordot(win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og], axes=([1, 5, 6, 7], [1, 2, 3, 4]))
             for g in range(groups)]                                      # each N, OD, OH, OW, O/groups
    out = np.concatenate(parts, axis=4).transpose(0, 4, 1, 2, 3)
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1, 1)
    out = np.ascontiguousarray(out, dtype=x.dtype)
    return out[0] if unbatched else out


op("aten::conv3d(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, int[3] padding=0, "
   "int[3] dilation=1, int groups=1) -> Tensor", names=("torch.conv3d", "functional.conv3d"),
   type_rule=_conv3d_rule)(_conv3d)
op("aten::conv3d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[3] stride=1, str padding=\"valid\", "
   "int[3] dilation=1, int groups=1) -> Tensor", names=("torch.conv3d", "functional.conv3d"),
   type_rule=_conv3d_rule)(_conv3d)


def _transposed_size(n: Optional[int], k: int, s: int, p: int, op_: int, d: int) -> Optional[int]:
    return None if n is None else (n - 1) * s - 2 * p + d * (k - 1) + op_ + 1


def _conv_transpose_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[0]), tensor_type(types[1])
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

"""conv1d and conv3d (the N-d convolution of ops/nn.py, which conv2d is too, over one and
three dims) and conv_transpose2d (the gradient of conv2d with respect to its input: each
input element scatters the kernel, scaled, into the output)."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type

from .declare import op
from .nn import _pair, conv, conv_rule


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

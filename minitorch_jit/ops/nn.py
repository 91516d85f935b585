"""Neural-network ops behind ``nn.functional``: conv2d (im2col through numpy strides),
max_pool2d, layer_norm, embedding, dropout and the losses.

Schemas follow ``nn.functional``'s argument names and order (where aten's differ, as for
``embedding(input, weight)``), so the functional names bind directly to them.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minitorch_jit.ir import registry
from minitorch_jit.ir.registry import UNKNOWN, RowForm
from minitorch_jit.ir.types import SHORT_NAME, TensorType, Type, is_float, tensor_type

from ..tensor import Tensor
from . import creation, rules
from .declare import check_inplace, derivative, not_implemented, op
from .dispatch import call, call_op


def _pool_out(n: Optional[int], k: int, s: int, p: Any, d: int, ceil_mode: bool = False) -> Optional[int]:
    """Output size of a window sliding over ``n`` (padding ``p`` on each side, or a (before,
    after) pair)."""
    if n is None:
        return None
    before, after = (p, p) if isinstance(p, int) else p
    span = n + before + after - d * (k - 1) - 1
    if span < 0:
        raise RuntimeError(f"Output size is too small (input {n}, kernel {k}, padding {p}, dilation {d})")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + before:
        out -= 1  # the last window must start inside the input or its left padding
    return out


def _ints(v: Sequence[int], n: int, name: str) -> List[int]:
    """One int for every one of ``n`` spatial dims, or ``n`` ints, as PyTorch's int[n] arguments."""
    if isinstance(v, int):
        return [v] * n
    if len(v) == 1:
        return [v[0]] * n
    if len(v) != n:
        what = "a pair of ints" if n == 2 else f"{n} ints" if n > 3 else "three ints"
        raise RuntimeError(f"{name} must be one int or {what}, got {list(v)}")
    return list(v)


def _pair(v: Sequence[int], name: str) -> List[int]:
    return _ints(v, 2, name)


# -- conv1d/2d/3d: one N-d convolution ----------------------------------------------------------


def _check_conv_args(stride: Sequence[int], padding: Sequence[int]) -> None:
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v < 0 for v in padding):
        raise RuntimeError("negative padding is not supported")


def _same_padding(k: int, d: int) -> tuple:
    """padding="same": the total padding d*(k-1), the odd one on the right, as PyTorch does."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def conv_padding(padding: Any, kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int]) -> List[tuple]:
    """(before, after) padding of each spatial dim from ints or PyTorch's "valid" / "same"."""
    if not isinstance(padding, str):
        return [(p, p) for p in _ints(padding, len(kernel), "padding")]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    return [_same_padding(k, d) for k, d in zip(kernel, dilation)]


def conv_rule(spatial: int) -> Callable[[Sequence[Type], Sequence[Any]], List[Type]]:
    """The type rule of a convolution over ``spatial`` dims: (N, C, *S) or (C, *S) input."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        x, w = types[0], types[1]
        dtype = x.dtype if x.dtype == w.dtype else None
        if x.sizes is None or w.sizes is None or UNKNOWN in consts[3:6] or len(w.sizes) != spatial + 2 \
                or None in w.sizes[2:]:
            return [TensorType(dtype, None if x.sizes is None else (None,) * len(x.sizes))]
        stride, dilation = _ints(consts[3], spatial, "stride"), _ints(consts[5], spatial, "dilation")
        kernel = w.sizes[2:]
        pads = conv_padding(consts[4], kernel, stride, dilation)
        out = tuple(_pool_out(n, k, s, p, d)
                    for n, k, s, p, d in zip(x.sizes[-spatial:], kernel, stride, pads, dilation))
        return [TensorType(dtype, tuple(x.sizes[:-spatial - 1]) + (w.sizes[0],) + out)]
    return rule


def conv(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray], stride: Sequence[int], padding: Any,
         dilation: Sequence[int], groups: int) -> np.ndarray:
    """Convolution (cross-correlation, as in PyTorch) over the spatial dims of ``w`` (its dims
    after the two channel dims), of (N, C, *S) or (C, *S) input: windows of the padded input,
    strided and dilated views, contracted with the kernel per group."""
    spatial = w.ndim - 2
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to "
                           f"conv{spatial}d, but got input of size: {list(x.shape)}")
    unbatched = x.ndim == spatial + 1
    if unbatched:
        x = x[None]
    if x.dtype != w.dtype:
        raise RuntimeError(f"Input type ({x.dtype.name}) and weight type ({w.dtype.name}) should be the same")
    s, d = _ints(stride, spatial, "stride"), _ints(dilation, spatial, "dilation")
    _check_conv_args(s, [] if isinstance(padding, str) else _ints(padding, spatial, "padding"))
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    pads = conv_padding(padding, kernel, s, d)
    c = x.shape[1]
    if c != cg * groups or o % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} "
                           f"to have {cg * groups} channels, but got {c} channels instead")
    if b is not None and b.shape != (o,):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {o} "
                           f"elements, but got bias of size {list(b.shape)} instead")
    out_sizes = [_pool_out(m, k, si, p, di) for m, k, si, p, di in zip(x.shape[2:], kernel, s, pads, d)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    win = sliding_window_view(xp, tuple(di * (k - 1) + 1 for k, di in zip(kernel, d)),
                              axis=tuple(range(2, 2 + spatial)))
    win = win[(slice(None), slice(None)) + tuple(slice(None, n * si, si) for n, si in zip(out_sizes, s))
              + tuple(slice(None, None, di) for di in d)]              # N, C, *out, *kernel
    og = o // groups
    # contract C and the kernel dims of the windows with the weight's C/groups and kernel dims
    axes = ([1] + [2 + spatial + i for i in range(spatial)], list(range(1, spatial + 2)))
    parts = [np.tensordot(win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og], axes=axes)
             for g in range(groups)]                                      # each N, *out, O/groups
    out = np.moveaxis(np.concatenate(parts, axis=1 + spatial), 1 + spatial, 1)
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * spatial)
    out = np.ascontiguousarray(out, dtype=x.dtype)
    return out[0] if unbatched else out


def _conv2d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Sequence[int] = (1, 1),
            padding: Any = 0, dilation: Sequence[int] = (1, 1), groups: int = 1) -> np.ndarray:
    """2-D convolution of (N, C, H, W) or (C, H, W) input."""
    if w.ndim != 4:
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                           f"{list(x.shape)}")
    return conv(x, w, b, stride, padding, dilation, groups)  # (which checks the input's rank)


_conv_rule = conv_rule(2)


op("aten::conv2d(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, int[2] padding=0, "
   "int[2] dilation=1, int groups=1) -> Tensor", names=("torch.conv2d", "functional.conv2d"),
   type_rule=_conv_rule)(_conv2d)
op("aten::conv2d.padding(Tensor input, Tensor weight, Tensor? bias=None, int[2] stride=1, str padding=\"valid\", "
   "int[2] dilation=1, int groups=1) -> Tensor", names=("torch.conv2d", "functional.conv2d"),
   type_rule=_conv_rule)(_conv2d)


# -- max_pool2d -------------------------------------------------------------------------------


def _pool_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x = types[0]
    if x.sizes is None or UNKNOWN in consts[1:6]:
        return [TensorType(x.dtype, None if x.sizes is None else (None,) * len(x.sizes))]
    k = _pair(consts[1], "kernel_size")
    s = _pair(consts[2], "stride") if consts[2] else k
    p, d = _pair(consts[3], "padding"), _pair(consts[4], "dilation")
    *lead, h, w = x.sizes
    return [TensorType(x.dtype, tuple(lead) + (_pool_out(h, k[0], s[0], p[0], d[0], consts[5]),
                                               _pool_out(w, k[1], s[1], p[1], d[1], consts[5])))]


@op("aten::max_pool2d(Tensor input, int[2] kernel_size, int[2] stride=[], int[2] padding=0, int[2] dilation=1, "
    "bool ceil_mode=False) -> Tensor", names=("torch.max_pool2d", "functional.max_pool2d"), type_rule=_pool_rule)
def max_pool2d(x: np.ndarray, kernel_size: Sequence[int], stride: Sequence[int] = (), padding: Sequence[int] = (0, 0),
               dilation: Sequence[int] = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    """Max over windows of (N, C, H, W) or (C, H, W) input; NaN propagates; padding is -inf."""
    if x.ndim not in (3, 4):
        raise RuntimeError(f"max_pool2d: Expected 3D or 4D input, got {list(x.shape)}")
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if len(stride) else k
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero" if 0 in s else f"stride must be positive, got {s}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[0]}, "
                           f"kernel_size={k[0]} and dilation={d[0]}")
    h, w = x.shape[-2:]
    oh, ow = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode), _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    ext_h, ext_w = d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1
    # pad enough on the right for ceil_mode's last partial window
    rh = max(0, (oh - 1) * s[0] + ext_h - h - p[0])
    rw = max(0, (ow - 1) * s[1] + ext_w - w - p[1])
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    pad = [(0, 0)] * (x.ndim - 2) + [(p[0], rh), (p[1], rw)]
    xp = np.pad(x, pad, constant_values=fill)
    win = sliding_window_view(xp, (ext_h, ext_w), axis=(-2, -1))
    win = win[..., ::s[0], ::s[1], :, :][..., :oh, :ow, ::d[0], ::d[1]]
    return np.ascontiguousarray(win.max(axis=(-2, -1)))


# -- layer_norm, embedding, dropout -------------------------------------------------------------


@op("aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, "
    "float eps=1e-05) -> Tensor", names=("torch.layer_norm", "functional.layer_norm"),
    type_rule=rules.same_as_input(0), row=RowForm(dim=1, keepdim=None, floats=True))
def layer_norm(x: np.ndarray, normalized_shape: Sequence[int], w: Optional[np.ndarray] = None,
               b: Optional[np.ndarray] = None, eps: float = 1e-5) -> np.ndarray:
    """Normalize over the last ``len(normalized_shape)`` dims (biased variance)."""
    k = len(normalized_shape)
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and tuple(t.shape) != tuple(normalized_shape):
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(normalized_shape)}")
    if k > x.ndim or tuple(x.shape[x.ndim - k:]) != tuple(normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(x.shape)}")
    if not is_float(x.dtype.name):
        raise not_implemented("layer_norm", x.dtype.name)
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    if w is not None:
        out = out * w
    if b is not None:
        out = out + b
    return out.astype(x.dtype, copy=False)


def _embedding_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    idx, w = types[0], types[1]
    sizes = None if idx.sizes is None or w.sizes is None else idx.sizes + w.sizes[1:]
    return [TensorType(w.dtype, sizes)]


# only F.embedding's name: torch.embedding takes (weight, indices) in PyTorch, the other order
@op("aten::embedding(Tensor input, Tensor weight, int? padding_idx=None) -> Tensor",
    names=("functional.embedding",), type_rule=_embedding_rule)
def embedding(idx: np.ndarray, w: np.ndarray, padding_idx: Optional[int] = None) -> np.ndarray:
    """Rows of ``weight`` picked by integer ``input``."""
    if padding_idx is not None and not -w.shape[0] <= padding_idx < w.shape[0]:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {idx.dtype.name} instead")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError(f"index out of range in self (indices must be in [0, {w.shape[0]}))")
    return w[idx]


@op("aten::dropout(Tensor(a) input, float p=0.5, bool training=True, bool inplace=False) -> Tensor(a)",
    names=("functional.dropout", "torch.dropout"), type_rule=rules.same_as_input(0), random=True,
    keyword_aliases=(("train", "training"),))
def dropout(x: np.ndarray, p: float = 0.5, training: bool = True, inplace: bool = False) -> np.ndarray:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p); the input
    itself when not training."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    check_inplace(x, rules.float_dtype(x.dtype.name))
    if p == 1.0:
        out = np.zeros_like(x)
    else:
        keep = creation.generator().random(x.shape) >= p
        out = (x * keep * x.dtype.type(1.0 / (1.0 - p))).astype(x.dtype, copy=False)
    if inplace:
        np.copyto(x, out)
        return x
    return out


def _drops_features(x: np.ndarray, p: float, training: bool) -> bool:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return False
    if x.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got {x.ndim}")
    return True


def _feature_mask(x: np.ndarray, p: float) -> np.ndarray:
    """0 for a dropped (sample, channel), 1/(1-p) for a kept one, shaped (N, C, 1, ...)."""
    mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)
    keep = creation.generator().random(mask_shape) >= p if p < 1.0 else np.zeros(mask_shape, bool)
    return (keep * (x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else x.dtype.type(0))).astype(x.dtype)


@op("aten::feature_dropout(Tensor(a) input, float p=0.5, bool training=True, bool inplace=False) -> Tensor(a)",
    names=("functional.dropout2d",), type_rule=rules.same_as_input(0), random=True)
def feature_dropout(x: np.ndarray, p: float = 0.5, training: bool = True, inplace: bool = False) -> np.ndarray:
    """Dropout of whole channels: each (sample, channel) of (N, C, *) input is zeroed with
    probability ``p`` (the rest scaled by 1/(1-p)); the input itself when not training."""
    if not _drops_features(x, p, training):
        return x
    check_inplace(x, rules.float_dtype(x.dtype.name))
    out = (x * _feature_mask(x, p)).astype(x.dtype, copy=False)
    if inplace:
        np.copyto(x, out)
        return x
    return out


# -- losses ---------------------------------------------------------------------------------


def _reduce(loss: np.ndarray, reduction: str, denominator: Optional[Any] = None) -> np.ndarray:
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.asarray(loss.sum(), loss.dtype)
    if reduction == "mean":
        d = loss.size if denominator is None else denominator
        return np.asarray(loss.sum() / loss.dtype.type(d), loss.dtype)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _loss_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    reduction = consts[-1]
    x = types[0]
    if reduction is UNKNOWN:
        return [TensorType(x.dtype)]
    if reduction != "none":
        return [TensorType(x.dtype, ())]
    return [TensorType(x.dtype, rules.broadcast_sizes(x.sizes, types[1].sizes) if len(types) == 3 else None)]


@op("aten::mse_loss(Tensor input, Tensor target, *, str reduction=\"mean\") -> Tensor",
    names=("functional.mse_loss", "torch.mse_loss"), type_rule=_loss_rule)
def mse_loss(x: np.ndarray, t: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """``(input - target) ** 2``, broadcast, reduced."""
    d = _difference("mse_loss", x, t)
    return _reduce(d * d, reduction)


def _difference(name: str, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``input - target`` of a pointwise loss: broadcast, floating (as PyTorch's losses)."""
    rules.broadcast_sizes(x.shape, t.shape)
    dt = rules.result_dtype(x, t)
    if not is_float(dt):
        raise not_implemented(name, dt)
    return np.subtract(x, t, dtype=dt)


def _class_rows(logp: np.ndarray, target: np.ndarray) -> tuple:
    """(N, C, d1, ...) scores and (N, d1, ...) class targets as (rows, C) and (rows,), the
    layout of (1-d or) K-dimensional losses, checked as PyTorch checks them."""
    if logp.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError("1D target tensor expected, multi-target not supported")
        return logp[None], target.reshape(1)
    if logp.ndim == 0:
        raise RuntimeError("input tensor should be 1D or 2D")
    if target.dtype != np.int64:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {SHORT_NAME[target.dtype.name]}")
    n, c = logp.shape[:2]
    if target.ndim == 0 or target.shape[0] != n:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    if target.shape != logp.shape[:1] + logp.shape[2:]:
        raise RuntimeError(f"Expected target size {list(logp.shape[:1] + logp.shape[2:])}, got {list(target.shape)}")
    return np.moveaxis(logp, 1, -1).reshape(-1, c), target.reshape(-1)


def _valid_targets(flat: np.ndarray, c: int, ignore_index: int) -> tuple:
    """Which class targets count (not ``ignore_index``), and the targets with the others as
    class 0; raises PyTorch's error for a counted target that is not a class."""
    valid = flat != ignore_index
    safe = np.where(valid, flat, 0)
    bad = valid & ((safe < 0) | (safe >= c))
    if np.any(bad):
        raise IndexError(f"Target {int(flat[bad][0])} is out of bounds.")
    return valid, safe


def _nll(logp: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray], ignore_index: int,
         reduction: str, smoothing: float = 0.0) -> np.ndarray:
    """nll_loss, and cross_entropy's label smoothing, term by term as PyTorch computes them:
    the smoothing term is reduced on its own and mixed in after the reduction."""
    if target.dtype != np.int64:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {SHORT_NAME[target.dtype.name]}")
    rows, flat = _class_rows(logp, target)
    c = rows.shape[1]
    valid, safe = _valid_targets(flat, c, ignore_index)
    w = np.ones(c, logp.dtype) if weight is None else weight.astype(logp.dtype)
    wt = np.where(valid, w[safe], 0).astype(logp.dtype)
    # an ignored row is 0 whatever its value (PyTorch skips it: a -inf there is not 0 * inf)
    picked = np.where(valid, -rows[np.arange(rows.shape[0]), safe] * wt, 0)
    shape = target.shape if logp.ndim > 1 else ()
    loss = _reduce(picked.reshape(shape).astype(logp.dtype, copy=False), reduction, wt.sum())
    if not smoothing:
        return loss
    smooth = np.where(valid, -(rows * w).sum(axis=1), 0).astype(logp.dtype)
    smooth = _reduce(smooth.reshape(shape), reduction, wt.sum() if weight is not None else valid.sum())
    t = logp.dtype.type
    return (t(1 - smoothing) * loss + smooth * t(smoothing / c)).astype(logp.dtype, copy=False)


@op("aten::nll_loss(Tensor input, Tensor target, Tensor? weight=None, *, int ignore_index=-100, "
    "str reduction=\"mean\") -> Tensor", names=("functional.nll_loss",),
    type_rule=lambda types, consts: _loss_rule(types[:1], consts[-1:]))
def nll_loss(x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray] = None, ignore_index: int = -100,
             reduction: str = "mean") -> np.ndarray:
    """Negative log likelihood of (N, C, ...) log-probabilities at integer targets."""
    return _nll(x, target, weight, ignore_index, reduction)


# nll_loss(log_softmax(x, 1), target) with no weight, as passes/decomposition.py splits it for
# the reduction fuser: the targets checked and viewed (N, 1) (so they broadcast as one per row),
# then each row's loss as a row kernel computes it, without the (N, C) log-probabilities.


def _column_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = types[0]
    sizes = t.sizes if isinstance(t, TensorType) else None
    return [TensorType("int64", None if sizes is None else (*sizes, 1))]


@op("prim::nll_targets(Tensor target, Tensor input, int ignore_index) -> Tensor", type_rule=_column_rule)
def nll_targets(target: np.ndarray, x: np.ndarray, ignore_index: int) -> np.ndarray:
    """``target`` as an (N, 1) column, once checked as nll_loss checks it against (N, C) ``x``:
    its dtype, its size, and every target not ``ignore_index`` a class."""
    if target.dtype != np.int64:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {SHORT_NAME[target.dtype.name]}")
    if x.ndim != 2:
        raise RuntimeError(f"internal error: nll_targets of a rank-{x.ndim} input")
    _, flat = _class_rows(x, target)
    _valid_targets(flat, x.shape[1], ignore_index)
    return flat.reshape(-1, 1)


@op("prim::nll_rows(Tensor self, int[1] dim, bool keepdim, Tensor target, int ignore_index) -> Tensor",
    type_rule=rules.reduction(lambda d, e: d), reduction=True,
    row=RowForm(dim=1, keepdim=2, floats=True, constants=((4, None),)))
def nll_rows(x: np.ndarray, dim: List[int], keepdim: bool, target: np.ndarray, ignore_index: int) -> np.ndarray:
    """Each row's negative log-softmax at its target (0 where the target is ``ignore_index``):
    ``nll_loss(log_softmax(x, 1), target, reduction="none")`` for 2-d ``x`` and (N, 1)
    ``target``, the losses along dim 1 (kept as size 1 with ``keepdim``)."""
    if x.ndim != 2 or list(dim) not in ([1], [-1]) or target.shape != (x.shape[0], 1):
        raise RuntimeError(f"internal error: nll_rows of sizes {list(x.shape)} and {list(target.shape)} over {dim}")
    from .reduction import log_softmax
    valid, safe = _valid_targets(target[:, 0], x.shape[1], ignore_index)
    logp = log_softmax(x, 1)
    loss = np.where(valid, -logp[np.arange(x.shape[0]), safe], 0).astype(x.dtype)
    return loss[:, None] if keepdim else loss


@op("aten::cross_entropy(Tensor input, Tensor target, Tensor? weight=None, *, int ignore_index=-100, "
    "str reduction=\"mean\", float label_smoothing=0.0) -> Tensor", names=("functional.cross_entropy",),
    type_rule=lambda types, consts: _loss_rule(types[:1], consts[4:5]))
def cross_entropy(x: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray] = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    """log_softmax over the class dim (1, or 0 for 1-d input), then nll_loss; a target of the
    input's shape holds class probabilities."""
    from .reduction import log_softmax
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if x.ndim > 1 else 0
    logp = log_softmax(x, class_dim)
    if target.shape != x.shape:
        return _nll(logp, target, weight, ignore_index, reduction, label_smoothing)
    if not is_float(target.dtype.name):
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{SHORT_NAME[target.dtype.name]}")
    c = x.shape[class_dim]
    t = target * (1 - label_smoothing) + label_smoothing / c
    w = 1 if weight is None else weight.reshape((-1,) + (1,) * (x.ndim - 1 - class_dim))
    loss = np.asarray(-(logp * t * w).sum(axis=class_dim), x.dtype)
    return _reduce(loss, reduction, x.size // c if c else 0)


# ---------------------------------------------------------------------------------------------
# gradient formulas


@op("aten::native_dropout(Tensor input, float p, bool? train) -> (Tensor, Tensor)",
    type_rule=lambda types, consts: [types[0], TensorType("bool", tensor_type(types[0]).sizes)], random=True)
def native_dropout(x: np.ndarray, p: float, train: Optional[bool]) -> tuple:
    """Dropout that also returns its mask (True where kept): what a recorded dropout runs, so
    that its backward scales the gradient by the same mask."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if train is False or p == 0.0:
        return x.copy(), np.ones(x.shape, bool)
    keep = creation.generator().random(x.shape) >= p if p < 1.0 else np.zeros(x.shape, bool)
    scale = x.dtype.type(1.0 / (1.0 - p)) if p < 1.0 else x.dtype.type(0)
    return (x * keep * scale).astype(x.dtype, copy=False), keep


@derivative("aten::native_dropout")
def _native_dropout_grad(ctx: Any, grads: List[Any]) -> tuple:
    p = ctx[1]
    mask = ctx.out[1]
    return (grads[0] * mask * (1.0 / (1.0 - p)) if p < 1.0 else grads[0] * 0,)


def _recorded_dropout(bound: List[Any]) -> Any:
    x, p, training, inplace = bound
    if not training or p == 0.0:
        return x
    out = call_op("aten::native_dropout", x, p, True)[0]
    return x.copy_(out) if inplace else out


registry.get("aten::dropout").when_recorded = _recorded_dropout


def _recorded_feature_dropout(bound: List[Any]) -> Any:
    """Dropout2d on the tape: the kernel's draw, then a multiplication autograd records (so
    the gradient is the same mask)."""
    x, p, training, inplace = bound
    if not _drops_features(x._a, p, training):
        return x
    out = x * Tensor._wrap(_feature_mask(x._a, p))
    return x.copy_(out) if inplace else out


registry.get("aten::feature_dropout").when_recorded = _recorded_feature_dropout


@derivative("aten::layer_norm")
def _layer_norm_grad(ctx: Any, g: Any) -> tuple:
    x, shape, w, eps = ctx[0], ctx[1], ctx[2], ctx[4]
    dims = list(range(x.dim() - len(shape), x.dim()))
    mean = x.mean(dims, True)
    xc = x - mean
    rstd = ((xc * xc).mean(dims, True) + eps).rsqrt()
    xhat = xc * rstd
    gxhat = g * w if w is not None else g
    gx = rstd * (gxhat - gxhat.mean(dims, True) - xhat * (gxhat * xhat).mean(dims, True)) if ctx.needs(0) else None
    return gx, None, (g * xhat if ctx.needs(2) else None), (g if ctx.needs(3) else None)


@derivative("aten::embedding")
def _embedding_grad(ctx: Any, g: Any) -> tuple:
    idx, padding_idx = ctx[0], ctx[2]
    if padding_idx is not None:
        rows = ctx.shape(1)[0]
        g = g.masked_fill((idx == padding_idx % rows).unsqueeze(-1), 0)
    zeros = call("torch", "zeros", (list(ctx.shape(1)),), {"dtype": g.dtype})
    return None, zeros.index_put([idx], g, True)


def _loss_scale(g: Any, reduction: str, n: Any) -> Any:
    return g / n if reduction == "mean" else g


@derivative("aten::mse_loss")
def _mse_grad(ctx: Any, g: Any) -> tuple:
    x, t, reduction = ctx[0], ctx[1], ctx[2]
    d = (x - t) * 2
    n = max(int(np.prod(np.broadcast_shapes(ctx.shape(0), ctx.shape(1)))), 1) if reduction == "mean" else 1
    gd = d * _loss_scale(g, reduction, n)
    return (gd if ctx.needs(0) else None), (-gd if ctx.needs(1) else None)


@op("aten::nll_loss_backward(Tensor grad_output, Tensor self, Tensor target, Tensor? weight, int ignore_index, "
    "str reduction, float label_smoothing) -> Tensor", type_rule=lambda types, consts: [types[1]])
def nll_loss_backward(g: np.ndarray, logp: np.ndarray, target: np.ndarray, weight: Optional[np.ndarray],
                      ignore_index: int, reduction: str, smoothing: float) -> np.ndarray:
    """The gradient of nll_loss (with cross_entropy's label smoothing) with respect to the
    log-probabilities: minus the (weighted) target's one-hot, scaled as the loss was reduced."""
    rows, flat = _class_rows(logp, target)
    n, c = rows.shape
    valid = flat != ignore_index
    safe = np.where(valid, flat, 0)
    w = np.ones(c, np.float64) if weight is None else weight.astype(np.float64)
    wt = np.where(valid, w[safe], 0.0)
    if reduction == "none":
        scale = g.astype(np.float64).reshape(-1) * np.ones(n)
        smooth_scale = scale
    elif reduction == "sum":
        scale = smooth_scale = np.full(n, float(g))
    else:
        scale = np.full(n, float(g) / wt.sum())
        smooth_scale = np.full(n, float(g) / (wt.sum() if weight is not None else valid.sum()))
    d = np.zeros((n, c), np.float64)
    d[np.arange(n), safe] = -wt * scale * (1 - smoothing)
    if smoothing:
        d -= np.where(valid, smooth_scale, 0.0)[:, None] * w[None, :] * (smoothing / c)
    if logp.ndim == 1:
        return d[0].astype(logp.dtype)
    moved = d.reshape((logp.shape[0],) + logp.shape[2:] + (c,))
    return np.ascontiguousarray(np.moveaxis(moved, -1, 1), dtype=logp.dtype)


@derivative("aten::nll_loss_backward")
def _nll_loss_backward_grad(ctx: Any, g: Any) -> tuple:
    """nll_loss_backward is linear in grad_output and does not depend on the values of self:
    its gradient goes to grad_output alone."""
    if not ctx.needs(0):
        return (None,)
    logp = ctx[1]
    unit = call_op("aten::nll_loss_backward", call("torch", "ones_like", (ctx[0],)), logp, ctx[2], ctx[3], ctx[4],
                   ctx[5], ctx[6])
    if ctx[5] == "none" and logp.dim() > 1:
        return ((g * unit).sum([1]),)
    return ((g * unit).sum().reshape(list(ctx.shape(0))),)


@derivative("aten::nll_loss")
def _nll_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::nll_loss_backward", g, ctx[0], ctx[1], ctx[2], ctx[3], ctx[4], 0.0),)


@derivative("aten::cross_entropy")
def _cross_entropy_grad(ctx: Any, g: Any) -> tuple:
    x, target, weight, ignore_index, reduction, smoothing = (ctx[i] for i in range(6))
    class_dim = 1 if x.dim() > 1 else 0
    logp = x.log_softmax(class_dim)
    gtarget = None
    if target.shape != x.shape:
        dlogp = call_op("aten::nll_loss_backward", g, logp, target, weight, ignore_index, reduction, smoothing)
    else:  # class probabilities: loss = -sum(w * (target * (1 - s) + s / C) * logp)
        c = x.shape[class_dim]
        w = 1.0 if weight is None else weight.reshape([-1] + [1] * (x.dim() - 1 - class_dim))
        if reduction == "none" and x.dim() > 1:
            g = g.unsqueeze(class_dim)
        scale = _loss_scale(g, reduction, max(x.numel() // c, 1) if c else 1)
        dlogp = -(target * (1 - smoothing) + smoothing / c) * w * scale
        if ctx.needs(1):
            gtarget = -logp * w * scale * (1 - smoothing)
    # through log_softmax: d - softmax * sum(d) over the classes
    return (dlogp - logp.exp() * dlogp.sum([class_dim], True) if ctx.needs(0) else None), gtarget


@op("aten::l1_loss(Tensor input, Tensor target, str reduction=\"mean\") -> Tensor",
    names=("functional.l1_loss", "torch.l1_loss"), type_rule=_loss_rule)
def l1_loss(x: np.ndarray, t: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """``|input - target|``, broadcast, reduced."""
    return _reduce(np.abs(_difference("l1_loss", x, t)), reduction)


@derivative("aten::l1_loss")
def _l1_grad(ctx: Any, g: Any) -> tuple:
    x, t, reduction = ctx[0], ctx[1], ctx[2]
    n = max(int(np.prod(np.broadcast_shapes(ctx.shape(0), ctx.shape(1)))), 1) if reduction == "mean" else 1
    gd = (x - t).sign() * _loss_scale(g, reduction, n)
    return (gd if ctx.needs(0) else None), (-gd if ctx.needs(1) else None)


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, z)


@op("aten::binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, "
    "Tensor? pos_weight=None, str reduction=\"mean\") -> Tensor",
    names=("functional.binary_cross_entropy_with_logits", "torch.binary_cross_entropy_with_logits"),
    type_rule=lambda types, consts: _loss_rule(types[:2], consts[-1:]))
def binary_cross_entropy_with_logits(x: np.ndarray, t: np.ndarray, weight: Optional[np.ndarray] = None,
                                     pos_weight: Optional[np.ndarray] = None, reduction: str = "mean") -> np.ndarray:
    """``-[pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x))]``, computed stably."""
    if x.shape != t.shape:
        raise ValueError(f"Target size ({list(t.shape)}) must be the same as input size ({list(x.shape)})")
    if not is_float(x.dtype.name):
        raise not_implemented("binary_cross_entropy_with_logits", x.dtype.name)
    p = 1.0 if pos_weight is None else pos_weight
    loss = p * t * _softplus(-x) + (1 - t) * _softplus(x)
    if weight is not None:
        loss = loss * weight
    return _reduce(np.asarray(loss, x.dtype), reduction)


@derivative("aten::binary_cross_entropy_with_logits")
def _bce_logits_grad(ctx: Any, g: Any) -> tuple:
    x, t, weight, pos_weight, reduction = (ctx[i] for i in range(5))
    g = _loss_scale(g, reduction, max(x.numel(), 1))
    p = 1.0 if pos_weight is None else pos_weight
    w = g if weight is None else g * weight
    gx = (x.sigmoid() * (p * t + 1 - t) - p * t) * w if ctx.needs(0) else None
    gt = None
    if ctx.needs(1):
        softplus = call("functional", "softplus", (x,))
        gt = (p * (softplus - x) - softplus) * w  # d/dt of p*t*softplus(-x) + (1-t)*softplus(x)
    return gx, gt

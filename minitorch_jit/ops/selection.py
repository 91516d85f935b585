"""The ops that indexing lowers to: select and slice (views), index (advanced indexing, a
copy), the indices of nonzero elements (nonzero, where(condition)), and the writers
index_put_, copy_, fill_, zero_, masked_fill."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import ListType, TensorType, Type, tensor_type

from . import rules
from .declare import check_broadcast_into, check_inplace, check_no_overlap, check_writable, derivative, op
from .dispatch import call, call_op
from .pointwise import where
from .rules import norm_dim
from .shape import expanded_sizes


def _select_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, d = tensor_type(types[0]), consts[1]
    if t.sizes is None or d is UNKNOWN:
        return [TensorType(t.dtype)]
    i = norm_dim(d, len(t.sizes))
    return [t.with_sizes(t.sizes[:i] + t.sizes[i + 1:])]


class IndexOutOfRange(IndexError, RuntimeError):
    """An index past a dimension: eager PyTorch's IndexError, and the RuntimeError
    TorchScript raises for it (one kernel serves both), with both their wordings."""


@op("aten::select.int(Tensor(a) self, int dim, int index) -> Tensor(a)", names=("Tensor.select", "torch.select"),
    type_rule=_select_rule)
def select(a: np.ndarray, dim: int, index: int) -> np.ndarray:
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, a.ndim)
    n = a.shape[d]
    if not -n <= index < n:
        raise IndexOutOfRange(f"index {index} is out of bounds for dimension {d} with size {n} (select(): index "
                              f"{index} out of range for tensor of size {list(a.shape)} at dimension {d})")
    return a[(slice(None),) * d + (index, Ellipsis)]  # the Ellipsis keeps a 0-d result a view


def slice_length(n: int, start: Optional[int], end: Optional[int], step: int) -> int:
    return len(range(*slice(start, end, step).indices(n)))


def _slice_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, d, start, end, step = tensor_type(types[0]), consts[1], consts[2], consts[3], consts[4]
    if t.sizes is None or d is UNKNOWN:
        return [TensorType(t.dtype, None if t.sizes is None else (None,) * len(t.sizes))]
    i = norm_dim(d, len(t.sizes))
    n = t.sizes[i]
    size = None if n is None or UNKNOWN in (start, end, step) else slice_length(n, start, end, step)
    return [t.with_sizes(t.sizes[:i] + (size,) + t.sizes[i + 1:])]


@op("aten::slice.Tensor(Tensor(a) self, int dim=0, int? start=None, int? end=None, int step=1) -> Tensor(a)",
    names=("Tensor.slice",), type_rule=_slice_rule)
def slice_(a: np.ndarray, dim: int = 0, start: Optional[int] = None, end: Optional[int] = None,
           step: int = 1) -> np.ndarray:
    check_step(step)
    if a.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, a.ndim)
    return a[(slice(None),) * d + (slice(start, end, step),)]


def check_step(step: int) -> None:
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")


def _index_key(a: np.ndarray, indices: Sequence[Optional[np.ndarray]]) -> tuple:
    key = []
    dim = 0
    for ix in indices:
        if ix is None:
            key.append(slice(None))
            dim += 1
            continue
        if ix.dtype == np.bool_:
            want = a.shape[dim:dim + ix.ndim]
            if tuple(want) != ix.shape:
                for k, (m, s) in enumerate(zip(ix.shape, want)):
                    if m != s:
                        raise IndexError(f"The shape of the mask {list(ix.shape)} at index {k} does not match the "
                                         f"shape of the indexed tensor {list(a.shape)} at index {dim + k}")
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            dim += ix.ndim
        elif ix.dtype.kind in "iu":
            n = a.shape[dim] if dim < a.ndim else 0
            if ix.size and (ix.max() >= n or ix.min() < -n):
                bad = int(ix.max()) if ix.max() >= n else int(ix.min())
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
            dim += 1
        else:
            raise IndexError("tensors used as indices must be long, int or bool tensors")
        key.append(ix)
    if dim > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
    return tuple(key)


@op("aten::index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", names=("Tensor.index",),
    type_rule=lambda types, consts: [TensorType(tensor_type(types[0]).dtype)])
def index(a: np.ndarray, indices: List[Optional[np.ndarray]]) -> np.ndarray:
    """Advanced indexing with bool masks and integer tensors (None keeps a dim): a copy."""
    return np.array(a[_index_key(a, indices)])


def _index_put(a: np.ndarray, indices: List[Optional[np.ndarray]], values: np.ndarray,
               accumulate: bool = False) -> np.ndarray:
    check_inplace(a, a.dtype.name)
    key = _index_key(a, indices)
    v = values.astype(a.dtype, copy=False)
    target = a[key].shape
    try:
        fits = np.broadcast_shapes(v.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to indexing "
                           f"result of shape {list(target)}")
    if accumulate:
        np.add.at(a, key, v)
    else:
        a[key] = v
    return a


op("aten::index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor(a!)",
   names=("Tensor.index_put_",), type_rule=rules.same_as_input(0))(_index_put)


@op("aten::index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
    names=("Tensor.index_put", "torch.index_put"), type_rule=rules.same_as_input(0))
def index_put(a: np.ndarray, indices: List[Optional[np.ndarray]], values: np.ndarray,
              accumulate: bool = False) -> np.ndarray:
    return _index_put(a.copy(), indices, values, accumulate)


@op("aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)", names=("Tensor.copy_",),
    type_rule=rules.same_as_input(0))
def copy_(a: np.ndarray, src: np.ndarray, non_blocking: bool = False) -> np.ndarray:
    """Write ``src`` (broadcast, converted to self's dtype) into self."""
    check_inplace(a, a.dtype.name)
    if src.ndim <= a.ndim:
        expanded_sizes(src.shape, a.shape)  # PyTorch's error for a source that does not expand to self
    check_broadcast_into(a, src)
    np.copyto(a, src, casting="unsafe")
    return a


@op("aten::_copy_from_and_resize(Tensor self, Tensor(a!) dst) -> Tensor(a!)", type_rule=rules.same_as_input(1))
def copy_from_and_resize(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """A compiled call's ``out=``: the op's result written into ``dst`` (in dst's dtype). Eager
    calls resize a ``dst`` of another size; compiled code holds arrays, which cannot be resized
    in place, so it says so instead."""
    if src.shape != dst.shape:
        raise RuntimeError(f"out= of shape {list(dst.shape)} for a result of shape {list(src.shape)}: compiled "
                           "code cannot resize the out= tensor (an eager call can)")
    check_inplace(dst, dst.dtype.name)
    np.copyto(dst, src, casting="unsafe")
    return dst


def _fill(a: np.ndarray, value: Any) -> np.ndarray:
    """Write ``value`` everywhere. Filling with a number writes through an expanded tensor, as
    in PyTorch (every element gets the same value, so elements sharing memory agree); filling
    with a tensor refuses one, as PyTorch does."""
    if isinstance(value, np.ndarray):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        check_no_overlap(a)
    check_writable(a)
    a[...] = value
    return a


op("aten::fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)", names=("Tensor.fill_", "torch.fill_"),
   type_rule=rules.same_as_input(0))(_fill)
op("aten::fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)", names=("Tensor.fill_", "torch.fill_"),
   type_rule=rules.same_as_input(0))(_fill)
op("aten::zero_(Tensor(a!) self) -> Tensor(a!)", names=("Tensor.zero_", "torch.zero_"),
   type_rule=rules.same_as_input(0))(lambda a: _fill(a, 0))


# -- nonzero --------------------------------------------------------------------------------------


def _nonzero_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    """(number of nonzero elements, which the data decides, by the input's rank)."""
    sizes = tensor_type(types[0]).sizes
    return [TensorType("int64", None if sizes is None else (None, len(sizes)))]


@op("aten::nonzero(Tensor self) -> Tensor", names=("torch.nonzero", "Tensor.nonzero"), type_rule=_nonzero_rule,
    selector=("as_tuple", False))
def nonzero(a: np.ndarray) -> np.ndarray:
    """The indices of the nonzero elements (NaN counts), one row each, in row-major order."""
    return np.argwhere(a).astype(np.int64, copy=False)


def nonzero_numpy(a: np.ndarray) -> List[np.ndarray]:
    """One index tensor per dim, numpy's ``nonzero``; a 0-d tensor counts as 1-d, as in PyTorch."""
    return [i.astype(np.int64, copy=False) for i in np.nonzero(a.reshape(1) if a.ndim == 0 else a)]


def _index_lists_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    return [ListType(TensorType("int64", (None,)))]


op("aten::nonzero_numpy(Tensor self) -> Tensor[]", names=("torch.nonzero", "Tensor.nonzero"),
   type_rule=_index_lists_rule, selector=("as_tuple", True), tuple_result=True)(nonzero_numpy)
op("aten::where(Tensor condition) -> Tensor[]", names=("torch.where",), type_rule=_index_lists_rule,
   tuple_result=True)(nonzero_numpy)


# -- masked_fill ----------------------------------------------------------------------------------


def _masked_fill(a: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype.name}")
    if isinstance(value, np.ndarray) and value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    # the value is converted to self's dtype, as in PyTorch
    return np.where(mask, np.asarray(value).astype(a.dtype), a)


def _masked_fill_(a: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    check_inplace(a, a.dtype.name)
    check_broadcast_into(a, mask)
    np.copyto(a, _masked_fill(a, mask, value))
    return a


def _masked_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    return [TensorType(t.dtype, rules.broadcast_sizes(t.sizes, tensor_type(types[1]).sizes))]


for _overload, _vt in (("Scalar", "Scalar"), ("Tensor", "Tensor")):
    op(f"aten::masked_fill.{_overload}(Tensor self, Tensor mask, {_vt} value) -> Tensor",
       names=("Tensor.masked_fill", "torch.masked_fill"), type_rule=_masked_rule)(_masked_fill)
    op(f"aten::masked_fill_.{_overload}(Tensor(a!) self, Tensor mask, {_vt} value) -> Tensor(a!)",
       names=("Tensor.masked_fill_",), type_rule=rules.same_as_input(0))(_masked_fill_)


# -- gradients ------------------------------------------------------------------------------------
# select and slice scatter their gradient into zeros of the input's shape: ops of their own, so
# that the backward is made of registry ops (and differentiable again, for create_graph)


def _backward_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    sizes = consts[1]
    return [TensorType(tensor_type(types[0]).dtype, tuple(sizes) if isinstance(sizes, list) else None)]


@op("aten::select_backward(Tensor grad_output, int[] input_sizes, int dim, int index) -> Tensor",
    type_rule=_backward_rule)
def select_backward(g: np.ndarray, input_sizes: Sequence[int], dim: int, index: int) -> np.ndarray:
    out = np.zeros(tuple(input_sizes), g.dtype)
    out[(slice(None),) * norm_dim(dim, len(input_sizes)) + (index, Ellipsis)] = g
    return out


@op("aten::slice_backward(Tensor grad_output, int[] input_sizes, int dim, int? start, int? end, int step) -> Tensor",
    type_rule=_backward_rule)
def slice_backward(g: np.ndarray, input_sizes: Sequence[int], dim: int, start: Optional[int], end: Optional[int],
                   step: int) -> np.ndarray:
    out = np.zeros(tuple(input_sizes), g.dtype)
    out[(slice(None),) * norm_dim(dim, len(input_sizes)) + (slice(start, end, step),)] = g
    return out


@derivative("aten::select.int")
def _select_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::select_backward", g, list(ctx.shape(0)), ctx[1], ctx[2]),)


@derivative("aten::select_backward")
def _select_backward_grad(ctx: Any, g: Any) -> tuple:
    return (g.select(ctx[2], ctx[3]),)


@derivative("aten::slice.Tensor")
def _slice_grad(ctx: Any, g: Any) -> tuple:
    return (call_op("aten::slice_backward", g, list(ctx.shape(0)), ctx[1], ctx[2], ctx[3], ctx[4]),)


@derivative("aten::slice_backward")
def _slice_backward_grad(ctx: Any, g: Any) -> tuple:
    return (g.slice(ctx[2], ctx[3], ctx[4], ctx[5]),)


@derivative("aten::index.Tensor")
def _index_grad(ctx: Any, g: Any) -> tuple:
    zeros = call("torch", "zeros", (list(ctx.shape(0)),), {"dtype": g.dtype})
    return (zeros.index_put(ctx[1], g, True),)


@derivative("aten::index_put", "aten::index_put_")
def _index_put_grad(ctx: Any, g: Any) -> tuple:
    indices, accumulate = ctx[1], ctx[3]
    gself = None
    if ctx.needs(0):
        gself = g if accumulate else g.index_put(indices, call("torch", "zeros", ([],), {"dtype": g.dtype}))
    return gself, None, g.index(indices) if ctx.needs(2) else None


@derivative("aten::copy_")
def _copy_grad(ctx: Any, g: Any) -> tuple:
    return (g * 0 if ctx.needs(0) else None), g


@derivative("aten::fill_.Scalar", "aten::zero_")
def _fill_grad(ctx: Any, g: Any) -> tuple:
    return (g * 0,)


@derivative("aten::fill_.Tensor")
def _fill_tensor_grad(ctx: Any, g: Any) -> tuple:
    return (g * 0 if ctx.needs(0) else None), g.sum()


@derivative("aten::masked_fill.Scalar", "aten::masked_fill_.Scalar")
def _masked_fill_grad(ctx: Any, g: Any) -> tuple:
    return (g.masked_fill(ctx[1], 0),)


@derivative("aten::masked_fill.Tensor", "aten::masked_fill_.Tensor")
def _masked_fill_tensor_grad(ctx: Any, g: Any) -> tuple:
    mask = ctx[1]
    return (g.masked_fill(mask, 0) if ctx.needs(0) else None, None,
            where(mask, g, 0.0).sum() if ctx.needs(2) else None)

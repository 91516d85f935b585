"""Shape ops: queries (size, dim, numel), views (view, reshape, t, transpose, permute, expand,
unsqueeze, squeeze, flatten), and copies (contiguous, clone, to, cat, stack, chunk, split,
tril, triu). Views are numpy views: they share memory with their base, as in PyTorch."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import ListType, TensorType, Type, promote_types, tensor_type

from . import rules
from .declare import derivative, non_differentiable, op
from .dispatch import call
from .rules import const_int_list, norm_dim

Sizes = Optional[tuple]


# -- queries ------------------------------------------------------------------------------------


@op("aten::size.int(Tensor self, int dim) -> int", names=("Tensor.size", "torch.size"))
def size_int(a: np.ndarray, dim: int) -> int:
    if not a.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return a.shape[norm_dim(dim, a.ndim)]


@op("aten::size(Tensor self) -> int[]", names=("Tensor.size",), total=True)
def size(a: np.ndarray) -> List[int]:
    return list(a.shape)


@op("aten::dim(Tensor self) -> int", names=("Tensor.dim", "Tensor.ndimension"), total=True)
def dim(a: np.ndarray) -> int:
    return a.ndim


@op("aten::numel(Tensor self) -> int", names=("Tensor.numel", "torch.numel"), total=True)
def numel(a: np.ndarray) -> int:
    return int(a.size)


@op("aten::is_floating_point(Tensor self) -> bool", names=("Tensor.is_floating_point", "torch.is_floating_point"),
    total=True)
def is_floating_point(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


# -- views ------------------------------------------------------------------------------------


def infer_size(shape: Sequence[int], numel: int) -> List[int]:
    """Resolve one -1 in a requested shape, with PyTorch's errors."""
    shape = list(shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[unknown[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return shape


def _static_numel(sizes: Sizes) -> Optional[int]:
    if sizes is None or None in sizes:
        return None
    n = 1
    for s in sizes:
        n *= s
    return n


def _reshape_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, shape = tensor_type(types[0]), consts[1]
    if shape is UNKNOWN:
        return [TensorType(t.dtype)]
    n = _static_numel(t.sizes)
    if n is not None:
        return [TensorType(t.dtype, infer_size(shape, n))]
    return [TensorType(t.dtype, tuple(None if s == -1 else s for s in shape))]


@op("aten::view(Tensor(a) self, int[] size) -> Tensor(a)", names=("Tensor.view",), type_rule=_reshape_rule)
def view(a: np.ndarray, size: List[int]) -> np.ndarray:
    """A view with a new shape; an error (not a copy) when the strides do not allow it."""
    shape = infer_size(size, a.size)
    v = a.view()
    try:
        v.shape = shape
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return v


@op("aten::reshape(Tensor(a) self, int[] shape) -> Tensor(a)", names=("Tensor.reshape", "torch.reshape"),
    type_rule=_reshape_rule)
def reshape(a: np.ndarray, shape: List[int]) -> np.ndarray:
    """A view when the strides allow it, else a copy."""
    return a.reshape(infer_size(shape, a.size))


def _like_other(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    return [TensorType(tensor_type(types[0]).dtype, tensor_type(types[1]).sizes)]


@op("aten::view_as(Tensor(a) self, Tensor other) -> Tensor(a)", names=("Tensor.view_as",), type_rule=_like_other)
def view_as(a: np.ndarray, other: np.ndarray) -> np.ndarray:
    return view(a, list(other.shape))


@op("aten::reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)", names=("Tensor.reshape_as",),
    type_rule=_like_other)
def reshape_as(a: np.ndarray, other: np.ndarray) -> np.ndarray:
    return reshape(a, list(other.shape))


def _permuted(sizes: Sizes, perm: Sequence[int]) -> Sizes:
    return None if sizes is None else tuple(sizes[p] for p in perm)


def _t_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    return [t if t.sizes is None or len(t.sizes) < 2 else t.with_sizes(t.sizes[::-1])]


@op("aten::t(Tensor(a) self) -> Tensor(a)", names=("Tensor.t", "torch.t"), type_rule=_t_rule)
def t(a: np.ndarray) -> np.ndarray:
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return a.T


@op("aten::numpy_T(Tensor(a) self) -> Tensor(a)", type_rule=_t_rule)
def numpy_t(a: np.ndarray) -> np.ndarray:
    """``x.T``: the dims reversed, whatever the rank."""
    return a.T


def _transpose_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, d0, d1 = tensor_type(types[0]), consts[1], consts[2]
    if t.sizes is None or UNKNOWN in (d0, d1):
        return [t.dimensioned()]
    perm = list(range(len(t.sizes)))
    if perm:
        i, j = norm_dim(d0, len(perm)), norm_dim(d1, len(perm))
        perm[i], perm[j] = perm[j], perm[i]
    return [t.with_sizes(_permuted(t.sizes, perm))]


@op("aten::transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
    names=("Tensor.transpose", "torch.transpose", "Tensor.swapaxes", "torch.swapaxes"), type_rule=_transpose_rule)
def transpose(a: np.ndarray, dim0: int, dim1: int) -> np.ndarray:
    if a.ndim == 0:
        norm_dim(dim0, 0), norm_dim(dim1, 0)
        return a.view()
    return np.swapaxes(a, norm_dim(dim0, a.ndim), norm_dim(dim1, a.ndim))


def _check_perm(dims: Sequence[int], ndim: int) -> List[int]:
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    perm = [norm_dim(d, ndim) for d in dims]
    if len(set(perm)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return perm


def _permute_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, dims = tensor_type(types[0]), consts[1]
    if t.sizes is None or dims is UNKNOWN:
        return [t.dimensioned()]
    return [t.with_sizes(_permuted(t.sizes, _check_perm(dims, len(t.sizes))))]


@op("aten::permute(Tensor(a) self, int[] dims) -> Tensor(a)", names=("Tensor.permute", "torch.permute"),
    type_rule=_permute_rule)
def permute(a: np.ndarray, dims: List[int]) -> np.ndarray:
    return np.transpose(a, _check_perm(dims, a.ndim))


def expanded_sizes(sizes: Sequence[Optional[int]], target: Sequence[int]) -> List[Optional[int]]:
    """``expand``'s result: -1 keeps a size, new dims go in front, only 1s may grow."""
    if len(target) < len(sizes):
        raise RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(sizes)})")
    out: List[Optional[int]] = []
    lead = len(target) - len(sizes)
    for i, want in enumerate(target):
        have = sizes[i - lead] if i >= lead else None
        if want == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            out.append(have)
        elif i >= lead and have is not None and have != 1 and have != want:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                               f"at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(sizes)}")
        else:
            out.append(want)
    return out


def _expand_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, size = tensor_type(types[0]), consts[1]
    if size is UNKNOWN:
        return [TensorType(t.dtype)]
    if t.sizes is None:
        return [TensorType(t.dtype, tuple(None if s == -1 else s for s in size))]
    return [TensorType(t.dtype, expanded_sizes(t.sizes, size))]


@op("aten::expand(Tensor(a) self, int[] size, *, bool implicit=False) -> Tensor(a)", names=("Tensor.expand",),
    type_rule=_expand_rule)
def expand(a: np.ndarray, size: List[int], implicit: bool = False) -> np.ndarray:
    """A broadcast view (stride 0 in the new dims), writeable as in PyTorch: in-place ops
    refuse it (``check_inplace``) but one of its elements may be written through."""
    return broadcast_view(a, expanded_sizes(a.shape, size))


@op("aten::expand_as(Tensor(a) self, Tensor other) -> Tensor(a)", names=("Tensor.expand_as",),
    type_rule=lambda types, consts: [TensorType(tensor_type(types[0]).dtype, tensor_type(types[1]).sizes)])
def expand_as(a: np.ndarray, other: np.ndarray) -> np.ndarray:
    return broadcast_view(a, expanded_sizes(a.shape, other.shape))


def broadcast_view(a: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    view = np.broadcast_to(a, shape)
    return np.lib.stride_tricks.as_strided(a, view.shape, view.strides, writeable=a.flags.writeable)


def _unsqueeze_dim(dim: int, ndim: int) -> int:
    return norm_dim(dim, ndim + 1)


def _unsqueeze_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, d = tensor_type(types[0]), consts[1]
    if t.sizes is None or d is UNKNOWN:
        return [TensorType(t.dtype)]
    s = list(t.sizes)
    s.insert(_unsqueeze_dim(d, len(s)), 1)
    return [t.with_sizes(s)]


@op("aten::unsqueeze(Tensor(a) self, int dim) -> Tensor(a)", names=("Tensor.unsqueeze", "torch.unsqueeze"),
    type_rule=_unsqueeze_rule)
def unsqueeze(a: np.ndarray, dim: int) -> np.ndarray:
    return np.expand_dims(a, _unsqueeze_dim(dim, a.ndim))


def _squeeze_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    if t.sizes is None:
        return [t]
    dims = list(range(len(t.sizes))) if len(consts) == 1 else const_int_list(consts[1])
    if dims is None:
        return [TensorType(t.dtype)]
    if not t.sizes:
        for d in dims:
            norm_dim(d, 0)
        return [t]
    ds = {norm_dim(d, len(t.sizes)) for d in dims}
    if any(t.sizes[i] is None for i in ds):
        return [TensorType(t.dtype)]
    return [t.with_sizes([s for j, s in enumerate(t.sizes) if not (j in ds and s == 1)])]


@op("aten::squeeze(Tensor(a) self) -> Tensor(a)", names=("Tensor.squeeze", "torch.squeeze"),
    type_rule=_squeeze_rule)
def squeeze(a: np.ndarray) -> np.ndarray:
    return np.squeeze(a) if a.ndim else a.view()


@op("aten::squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)", names=("Tensor.squeeze", "torch.squeeze"),
    type_rule=_squeeze_rule)
def squeeze_dim(a: np.ndarray, dim: int) -> np.ndarray:
    return squeeze_dims(a, [dim])


@op("aten::squeeze.dims(Tensor(a) self, int[] dim) -> Tensor(a)", names=("Tensor.squeeze", "torch.squeeze"),
    type_rule=_squeeze_rule)
def squeeze_dims(a: np.ndarray, dim: List[int]) -> np.ndarray:
    """Drop the listed dims that have size 1 (the others stay)."""
    ds = {norm_dim(d, a.ndim) for d in dim}
    if a.ndim == 0:
        return a.view()
    return np.squeeze(a, tuple(d for d in ds if a.shape[d] == 1))


def _flatten_dims(ndim: int, start: int, end: int) -> tuple:
    s, e = norm_dim(start, ndim), norm_dim(end, ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return s, e


def _flatten_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, start, end = tensor_type(types[0]), consts[1], consts[2]
    if t.sizes is None or UNKNOWN in (start, end):
        return [TensorType(t.dtype)]
    s, e = _flatten_dims(len(t.sizes), start, end)
    if not t.sizes:
        return [t.with_sizes((1,))]
    mid = _static_numel(t.sizes[s:e + 1])
    return [t.with_sizes(t.sizes[:s] + (mid,) + t.sizes[e + 1:])]


@op("aten::flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)",
    names=("Tensor.flatten", "torch.flatten"), type_rule=_flatten_rule)
def flatten(a: np.ndarray, start_dim: int = 0, end_dim: int = -1) -> np.ndarray:
    s, e = _flatten_dims(a.ndim, start_dim, end_dim)
    if a.ndim == 0:
        return a.reshape(1)
    return a.reshape(a.shape[:s] + (-1 if a.size else int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def _unflatten_sizes(shape: Sequence[Optional[int]], dim: int, sizes: Sequence[int]) -> tuple:
    """``shape`` with dim ``dim`` split into ``sizes`` (one of which may be -1)."""
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if list(sizes).count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    d = norm_dim(dim, len(shape))
    n = shape[d]
    out: List[Optional[int]] = list(sizes)
    known = int(np.prod([v for v in sizes if v != -1]))
    inferred = out.index(-1) if -1 in out else None
    if n is not None:
        if not (n % known == 0 if inferred is not None and known else known == n):
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                               f"({n}) in the input tensor")
    if inferred is not None:
        out[inferred] = None if n is None else n // known
    return tuple(shape[:d]) + tuple(out) + tuple(shape[d + 1:])


def _unflatten_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, dim, sizes = tensor_type(types[0]), consts[1], consts[2]
    if t.sizes is None or UNKNOWN in (dim, sizes):
        return [TensorType(t.dtype)]
    return [t.with_sizes(_unflatten_sizes(t.sizes, dim, sizes))]


@op("aten::unflatten.int(Tensor(a) self, int dim, int[] sizes) -> Tensor(a)",
    names=("Tensor.unflatten", "torch.unflatten"), type_rule=_unflatten_rule)
def unflatten(a: np.ndarray, dim: int, sizes: Sequence[int]) -> np.ndarray:
    """Split dim ``dim`` into ``sizes`` (the inverse of flatten)."""
    if a.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return a.reshape(_unflatten_sizes(a.shape, dim, sizes))


@op("aten::detach(Tensor(a) self) -> Tensor(a)", names=("Tensor.detach", "torch.detach"),
    type_rule=rules.same_as_input(0))
def detach(a: np.ndarray) -> np.ndarray:
    return a.view()


# -- copies (which may return their input when nothing needs doing) --------------------------


@op("aten::contiguous(Tensor(a) self) -> Tensor(a)", names=("Tensor.contiguous",), type_rule=rules.made_contiguous)
def contiguous(a: np.ndarray) -> np.ndarray:
    """The input itself when it is already contiguous, else a contiguous copy."""
    return a if a.flags.c_contiguous else a.copy()


@op("aten::clone(Tensor self) -> Tensor", names=("Tensor.clone", "torch.clone"), type_rule=rules.same_as_input(0))
def clone(a: np.ndarray) -> np.ndarray:
    return a.copy()


def _to_rule(dtype_arg: int) -> rules.TypeRule:
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        t, explicit = tensor_type(types[0]), consts[dtype_arg]
        if explicit is UNKNOWN:
            return [TensorType(None, t.sizes)]
        if dtype_arg == 1 and isinstance(types[1], TensorType):  # to(other)
            return [TensorType(types[1].dtype, t.sizes)]
        return [TensorType(rules.dtype_name(explicit) or t.dtype, t.sizes)]
    return rule


def _to(a: np.ndarray, dtype: Any, copy: bool) -> np.ndarray:
    if dtype is None or a.dtype == dtype:
        return a.copy() if copy else a
    return a.astype(dtype)


@op("aten::to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False) -> Tensor(a)",
    names=("Tensor.to",), type_rule=_to_rule(1))
def to_dtype(a: np.ndarray, dtype: Any, non_blocking: bool = False, copy: bool = False) -> np.ndarray:
    """The input itself when the dtype already matches (unless ``copy``), else a converted copy."""
    return _to(a, dtype, copy)


@op("aten::to.device(Tensor(a) self, Device device, ScalarType? dtype=None, bool non_blocking=False, "
    "bool copy=False) -> Tensor(a)", names=("Tensor.to",), type_rule=_to_rule(2))
def to_device(a: np.ndarray, device: Any, dtype: Any = None, non_blocking: bool = False,
              copy: bool = False) -> np.ndarray:
    return _to(a, dtype, copy)


@op("aten::to.other(Tensor(a) self, Tensor other, bool non_blocking=False, bool copy=False) -> Tensor(a)",
    names=("Tensor.to",), type_rule=_to_rule(1))
def to_other(a: np.ndarray, other: np.ndarray, non_blocking: bool = False, copy: bool = False) -> np.ndarray:
    return _to(a, other.dtype, copy)


@op("aten::type_as(Tensor(a) self, Tensor other) -> Tensor(a)", names=("Tensor.type_as",),
    type_rule=lambda types, consts: [TensorType(tensor_type(types[1]).dtype, tensor_type(types[0]).sizes)])
def type_as(a: np.ndarray, other: np.ndarray) -> np.ndarray:
    return _to(a, other.dtype, False)


def _cast(name: str, dtype: str) -> None:
    op(f"aten::_cast_{name}(Tensor(a) self) -> Tensor(a)", names=(f"Tensor.{name.lower()}",),
       type_rule=lambda types, consts: [TensorType(dtype, tensor_type(types[0]).sizes)])(
        lambda a: _to(a, np.dtype(dtype), False))


for _name, _dtype in (("Float", "float32"), ("Double", "float64"), ("Long", "int64"), ("Int", "int32"),
                      ("Bool", "bool"), ("Byte", "uint8"), ("Char", "int8"), ("Short", "int16"), ("Half", "float16")):
    _cast(_name, _dtype)


# -- joining and splitting -----------------------------------------------------------------------


def _cat_inputs(arrays: Sequence[np.ndarray]) -> List[np.ndarray]:
    if not arrays:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch's legacy rule: 1-d empty tensors are skipped
    kept = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)]
    return kept or [arrays[0]]


def _join_dtype(arrays: Sequence[np.ndarray]) -> str:
    dt = None
    for a in arrays:
        dt = promote_types(dt, a.dtype.name)
    return dt


@op("aten::cat(Tensor[] tensors, int dim=0) -> Tensor", names=("torch.cat", "torch.concat", "torch.concatenate"),
    type_rule=lambda types, consts: _join_rule(types, consts, stack=False))
def cat(tensors: List[np.ndarray], dim: int = 0) -> np.ndarray:
    arrays = _cat_inputs(tensors)
    ref = arrays[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(dim, ref.ndim)
    for i, a in enumerate(arrays):
        if a.ndim != ref.ndim or any(x != y for k, (x, y) in enumerate(zip(a.shape, ref.shape)) if k != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{list(ref.shape)} but got size {list(a.shape)} for tensor number {i} in the list.")
    return np.concatenate(arrays, axis=d).astype(_join_dtype(arrays), copy=False)


@op("aten::stack(Tensor[] tensors, int dim=0) -> Tensor", names=("torch.stack",),
    type_rule=lambda types, consts: _join_rule(types, consts, stack=True))
def stack(tensors: List[np.ndarray], dim: int = 0) -> np.ndarray:
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, a in enumerate(tensors):
        if a.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(a.shape)} at entry {i}")
    d = norm_dim(dim, tensors[0].ndim + 1)
    return np.stack(tensors, axis=d).astype(_join_dtype(tensors), copy=False)


def _join_rule(types: Sequence[Type], consts: Sequence[Any], stack: bool) -> List[Type]:
    # The list's element type is all a graph knows here (ListConstruct keeps a common type).
    lt = types[0]
    elem = lt.elem if isinstance(lt, ListType) and isinstance(lt.elem, TensorType) else TensorType()
    rank = None if elem.sizes is None else len(elem.sizes) + (1 if stack else 0)
    return [TensorType(elem.dtype, None if rank is None else (None,) * rank)]


def _split_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    return [ListType(TensorType(t.dtype, None if t.sizes is None else (None,) * len(t.sizes)))]


@op("aten::chunk(Tensor(a) self, int chunks, int dim=0) -> Tensor(a)[]", names=("Tensor.chunk", "torch.chunk"),
    type_rule=_split_rule, tuple_result=True)
def chunk(a: np.ndarray, chunks: int, dim: int = 0) -> List[np.ndarray]:
    """Chunks of ceil(size / chunks) along ``dim``; there may be fewer than ``chunks``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if a.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = norm_dim(dim, a.ndim)
    if a.shape[d] == 0:  # PyTorch gives `chunks` empty chunks
        return [a] * chunks
    return split(a, -(-a.shape[d] // chunks), d)


@op("aten::split.Tensor(Tensor(a) self, int split_size, int dim=0) -> Tensor(a)[]",
    names=("Tensor.split", "torch.split"), type_rule=_split_rule, tuple_result=True)
def split(a: np.ndarray, split_size: int, dim: int = 0) -> List[np.ndarray]:
    if a.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = norm_dim(dim, a.ndim)
    n = a.shape[d]
    if split_size <= 0 and n:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
    starts = range(0, n, split_size) if n else [0]
    index = [slice(None)] * a.ndim
    out = []
    for s in starts:
        index[d] = slice(s, s + split_size)
        out.append(a[tuple(index)])
    return out


@op("aten::split_with_sizes(Tensor(a) self, int[] split_sizes, int dim=0) -> Tensor(a)[]",
    names=("Tensor.split", "torch.split", "Tensor.split_with_sizes"), type_rule=_split_rule, tuple_result=True)
def split_with_sizes(a: np.ndarray, split_sizes: List[int], dim: int = 0) -> List[np.ndarray]:
    d = norm_dim(dim, a.ndim)
    if sum(split_sizes) != a.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {a.shape[d]} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={list(split_sizes)}")
    index = [slice(None)] * a.ndim
    out, s = [], 0
    for n in split_sizes:
        index[d] = slice(s, s + n)
        out.append(a[tuple(index)])
        s += n
    return out


def _unbind_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    return [ListType(TensorType(t.dtype, None if t.sizes is None else (None,) * (len(t.sizes) - 1)))]


@op("aten::unbind.int(Tensor(a) self, int dim=0) -> Tensor(a)[]", names=("Tensor.unbind", "torch.unbind"),
    tuple_result=True, type_rule=_unbind_rule)
def unbind(a: np.ndarray, dim: int = 0) -> List[np.ndarray]:
    d = norm_dim(dim, a.ndim)
    return [a[(slice(None),) * d + (i,)] for i in range(a.shape[d])]


def _triangle(f: Any, what: str) -> Any:
    def kernel(a: np.ndarray, diagonal: int = 0) -> np.ndarray:
        if a.ndim < 2:
            raise RuntimeError(f"{what}: input tensor must have at least 2 dimensions")
        return f(a, k=diagonal)
    return kernel


op("aten::tril(Tensor self, int diagonal=0) -> Tensor", names=("Tensor.tril", "torch.tril"),
   type_rule=rules.same_as_input(0))(_triangle(np.tril, "tril"))
op("aten::triu(Tensor self, int diagonal=0) -> Tensor", names=("Tensor.triu", "torch.triu"),
   type_rule=rules.same_as_input(0))(_triangle(np.triu, "triu"))



# ---------------------------------------------------------------------------------------------
# gradient formulas: a view's gradient is the gradient reshaped back; expand's is summed back
# by the engine (it fits every gradient to its input's shape)


def _reshape_back(ctx: Any, g: Any) -> tuple:
    return (g.reshape(list(ctx.shape(0))),)


def _identity(ctx: Any, g: Any) -> tuple:
    """Gradient passes as is (the engine casts it back to the input's dtype)."""
    return (g,)


derivative("aten::view", "aten::reshape", "aten::view_as", "aten::reshape_as", "aten::unsqueeze", "aten::squeeze",
           "aten::squeeze.dim", "aten::squeeze.dims", "aten::flatten.using_ints", "aten::unflatten.int")(_reshape_back)
derivative("aten::expand", "aten::expand_as", "aten::contiguous", "aten::clone", "aten::to.dtype", "aten::to.device",
           "aten::to.other", "aten::type_as", "aten::_cast_Float", "aten::_cast_Double", "aten::_cast_Half")(_identity)
non_differentiable("aten::detach", "aten::_cast_Long", "aten::_cast_Int", "aten::_cast_Bool")


@derivative("aten::t")
def _t_grad(ctx: Any, g: Any) -> tuple:
    return (g.t(),)


@derivative("aten::transpose.int")
def _transpose_grad(ctx: Any, g: Any) -> tuple:
    return (g.transpose(ctx[1], ctx[2]),)


@derivative("aten::permute")
def _permute_grad(ctx: Any, g: Any) -> tuple:
    dims = [norm_dim(d, len(ctx.shape(0))) for d in ctx[1]]
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return (g.permute(inverse),)


@derivative("aten::cat")
def _cat_grad(ctx: Any, g: Any) -> tuple:
    shapes = ctx.shape(0)
    ref = next(s for s in shapes if len(s))
    dim = norm_dim(ctx[1], len(ref))
    sizes = [s[dim] if len(s) else 0 for s in shapes]
    parts = g.split_with_sizes(sizes, dim)
    return ([p if len(s) else None for p, s in zip(parts, shapes)],)


@derivative("aten::stack")
def _stack_grad(ctx: Any, g: Any) -> tuple:
    return (list(g.unbind(ctx[1])),)


@derivative("aten::chunk", "aten::split.Tensor", "aten::split_with_sizes")
def _split_grad(ctx: Any, grads: List[Any]) -> tuple:
    return (call("torch", "cat", (grads, ctx[2])),)


@derivative("aten::numpy_T")
def _numpy_t_grad(ctx: Any, g: Any) -> tuple:
    return (g.permute(list(reversed(range(len(ctx.shape(0)))))),)


@derivative("aten::unbind.int")
def _unbind_grad(ctx: Any, grads: List[Any]) -> tuple:
    return (call("torch", "stack", (grads, ctx[1])),)


@derivative("aten::tril")
def _tril_grad(ctx: Any, g: Any) -> tuple:
    return (g.tril(ctx[1]),)


@derivative("aten::triu")
def _triu_grad(ctx: Any, g: Any) -> tuple:
    return (g.triu(ctx[1]),)

"""Reductions with dim/keepdim: sum, mean, prod, amax/amin, max/min (values, indices),
argmax/argmin, var/std, norm, softmax/log_softmax, logsumexp, all/any, cumsum."""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir.registry import RowForm
from minitorch_jit.ir.types import SHORT_NAME, TensorType, Type, is_float, tensor_type

from ..autograd.grad_mode import is_grad_enabled
from . import rules
from .declare import derivative, not_implemented, op
from .dispatch import call
from .pointwise import where
from .rules import norm_dim

Dims = Optional[List[int]]


def _axes(a: np.ndarray, dim: Dims) -> Optional[Tuple[int, ...]]:
    """numpy axes for a dim list (None or []: every dim). A 0-d tensor takes dim 0 or -1,
    as in PyTorch, and reduces over nothing."""
    if not dim:
        return None
    axes = tuple(norm_dim(d, a.ndim) for d in dim)
    for i, d in enumerate(axes):
        if d in axes[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return axes if a.ndim else None


def _out(dtype: Any, explicit: Any) -> Any:
    return explicit if explicit is not None else dtype


def _float_input(a: np.ndarray, what: str, explicit: Any = None) -> None:
    if explicit is None and not is_float(a.dtype.name):
        raise RuntimeError(f"{what}(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {SHORT_NAME[a.dtype.name]}")


@contextlib.contextmanager
def _quiet_empty() -> Iterator[None]:
    """Without numpy's warnings about empty slices (the kernel wrapper's errstate does not
    cover them): the mean of nothing is nan and a variance with no degrees of freedom is nan
    or inf, silently, as in PyTorch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _sum_dtype(a: np.ndarray, explicit: Any) -> Any:
    return _out(a.dtype if is_float(a.dtype.name) else np.dtype("int64"), explicit)


# -- sum, mean, prod ---------------------------------------------------------------------------

_sum_names = ("torch.sum", "Tensor.sum")


@op("aten::sum(Tensor self, *, ScalarType? dtype=None) -> Tensor", names=_sum_names,
    type_rule=rules.reduction(rules.sum_dtype, dim_arg=None, dtype_arg=1), reduction=True)
def sum_all(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    return np.sum(a, dtype=_sum_dtype(a, dtype))


@op("aten::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    names=_sum_names, type_rule=rules.reduction(rules.sum_dtype, dtype_arg=3), reduction=True,
    row=RowForm(dim=1, keepdim=2, constants=((3, (None,)),), blocked=True))
def sum_dim(a: np.ndarray, dim: Dims, keepdim: bool = False, dtype: Any = None) -> np.ndarray:
    return np.sum(a, axis=_axes(a, dim), keepdims=keepdim, dtype=_sum_dtype(a, dtype))


@op("aten::mean(Tensor self, *, ScalarType? dtype=None) -> Tensor", names=("torch.mean", "Tensor.mean"),
    type_rule=rules.reduction(rules.keep_dtype, dim_arg=None, dtype_arg=1), reduction=True)
def mean_all(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    _float_input(a, "mean", dtype)
    with _quiet_empty():
        return np.mean(a, dtype=_out(a.dtype, dtype))


@op("aten::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    names=("torch.mean", "Tensor.mean"), type_rule=rules.reduction(rules.keep_dtype, dtype_arg=3), reduction=True,
    row=RowForm(dim=1, keepdim=2, floats=True, constants=((3, (None,)),), blocked=True))
def mean_dim(a: np.ndarray, dim: Dims, keepdim: bool = False, dtype: Any = None) -> np.ndarray:
    _float_input(a, "mean", dtype)
    with _quiet_empty():
        return np.mean(a, axis=_axes(a, dim), keepdims=keepdim, dtype=_out(a.dtype, dtype))


@op("aten::prod(Tensor self, *, ScalarType? dtype=None) -> Tensor", names=("torch.prod", "Tensor.prod"),
    type_rule=rules.reduction(rules.sum_dtype, dim_arg=None, dtype_arg=1), reduction=True)
def prod_all(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    return np.prod(a, dtype=_sum_dtype(a, dtype))


@op("aten::prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
    names=("torch.prod", "Tensor.prod"), type_rule=rules.reduction(rules.sum_dtype, dtype_arg=3),
    reduction=True, row=RowForm(dim=1, keepdim=2, constants=((3, (None,)),), blocked=True))
def prod_dim(a: np.ndarray, dim: int, keepdim: bool = False, dtype: Any = None) -> np.ndarray:
    return np.prod(a, axis=_axes(a, [dim]), keepdims=keepdim, dtype=_sum_dtype(a, dtype))


# -- amax, amin, max, min, argmax, argmin -------------------------------------------------------


def _nonempty(a: np.ndarray, dim: Dims, what: str, error: type = RuntimeError) -> None:
    """Reductions without an identity (max, argmax...) refuse to reduce over nothing, with
    PyTorch's messages: one for a reduction over everything, one naming the empty dim."""
    if a.size:
        return
    if not dim:
        raise error(f"{what}(): Expected reduction dim to be specified for input.numel() == 0."
                    + (" Specify the reduction dim with the 'dim' argument." if error is RuntimeError else ""))
    for d in dim:
        if a.ndim and a.shape[norm_dim(d, a.ndim)] == 0:
            raise IndexError(f"{what}(): Expected reduction dim {norm_dim(d, a.ndim)} to have non-zero size.")


def _extreme(f: Any, what: str) -> Any:
    def kernel(a: np.ndarray, dim: Dims = None, keepdim: bool = False) -> np.ndarray:
        axes = _axes(a, dim)
        _nonempty(a, dim, what)
        return f(a, axis=axes, keepdims=keepdim)
    kernel.__doc__ = f"{what}: NaN propagates."
    return kernel


for _name, _f in (("amax", np.max), ("amin", np.min)):
    op(f"aten::{_name}(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
       names=(f"torch.{_name}", f"Tensor.{_name}"), type_rule=rules.reduction(rules.keep_dtype),
       reduction=True, row=RowForm(dim=1, keepdim=2, blocked=True))(_extreme(_f, _name))
    op(f"aten::{_name[1:]}(Tensor self) -> Tensor", names=(f"torch.{_name[1:]}", f"Tensor.{_name[1:]}"),
       type_rule=rules.reduction(rules.keep_dtype, dim_arg=None), reduction=True)(_extreme(_f, _name[1:]))


def _arg(f: Any, what: str) -> Any:
    def kernel(a: np.ndarray, dim: Optional[int] = None, keepdim: bool = False) -> np.ndarray:
        if a.dtype == np.bool_:
            raise RuntimeError(f"{what}(): does not support bool input")
        if dim is None:
            _nonempty(a, None, what, IndexError)
            idx = f(a.reshape(-1))
            return np.full((1,) * a.ndim if keepdim else (), idx, np.int64)
        d = norm_dim(dim, a.ndim)
        if a.ndim == 0:
            return np.zeros((), np.int64)
        _nonempty(a, [d], what)
        return np.asarray(f(a, axis=d, keepdims=keepdim), np.int64)
    return kernel


def _arg_rule(types: Sequence[Any], consts: Sequence[Any]) -> List[Any]:
    t, dim, keep = types[0], consts[1], consts[2]
    if dim is None:
        return [TensorType("int64", None if keep is rules.UNKNOWN or t.sizes is None
                           else ((1,) * len(t.sizes) if keep else ()))]
    return rules.reduction(rules.to_long)(types, consts)


for _name, _f in (("argmax", np.argmax), ("argmin", np.argmin)):
    op(f"aten::{_name}(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
       names=(f"torch.{_name}", f"Tensor.{_name}"), type_rule=_arg_rule, reduction=True)(_arg(_f, _name))


def _values_indices(argf: Any, what: str) -> Any:
    def kernel(a: np.ndarray, dim: int, keepdim: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        d = norm_dim(dim, a.ndim)
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        _nonempty(a, [d], what)
        idx = np.expand_dims(argf(a, axis=d), d)
        values = np.take_along_axis(a, idx, axis=d)
        if not keepdim:
            values, idx = np.squeeze(values, d), np.squeeze(idx, d)
        return values, idx.astype(np.int64)
    kernel.__doc__ = f"torch.{what}(x, dim): (values, indices) of the first {what}imum along dim."
    return kernel


for _name, _argf in (("max", np.argmax), ("min", np.argmin)):
    op(f"aten::{_name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
       names=(f"torch.{_name}", f"Tensor.{_name}"),
       type_rule=rules.reduction(rules.keep_dtype, n_outputs=2), reduction=True,
       row=RowForm(dim=1, keepdim=2, blocked=True))(
        _values_indices(_argf, _name))


# -- var, std, norm --------------------------------------------------------------------------


def _moment(root: bool) -> Any:
    def kernel(a: np.ndarray, dim: Dims = None, correction: Any = None, keepdim: bool = False) -> np.ndarray:
        if not is_float(a.dtype.name):
            raise RuntimeError("std and var only support floating point and complex dtypes")
        ddof = 1 if correction is None else correction
        with _quiet_empty():
            v = np.var(a, axis=_axes(a, dim), ddof=ddof, keepdims=keepdim)
            return (np.sqrt(v) if root else v).astype(a.dtype, copy=False)
    return kernel


def _unbiased(kernel: Any) -> Any:
    def k(a: np.ndarray, *args: Any) -> np.ndarray:
        if len(args) == 1:          # var(Tensor self, bool unbiased)
            return kernel(a, None, int(args[0]), False)
        dim, unbiased, keepdim = args
        return kernel(a, dim, int(unbiased), keepdim)
    return k


for _name, _root in (("var", False), ("std", True)):
    _k = _moment(_root)
    _names = (f"torch.{_name}", f"Tensor.{_name}")
    op(f"aten::{_name}(Tensor self, bool unbiased=True) -> Tensor", names=_names,
       type_rule=rules.reduction(rules.keep_dtype, dim_arg=None), reduction=True)(_unbiased(_k))
    op(f"aten::{_name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor",
       names=_names, type_rule=rules.reduction(rules.keep_dtype, keepdim_arg=3), reduction=True,
       row=RowForm(dim=1, keepdim=3, floats=True, constants=((2, None),), blocked=True))(_unbiased(_k))
    op(f"aten::{_name}.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
       f"bool keepdim=False) -> Tensor", names=_names,
       type_rule=rules.reduction(rules.keep_dtype, keepdim_arg=3), reduction=True,
       row=RowForm(dim=1, keepdim=3, floats=True, constants=((2, None),), blocked=True))(_k)


def _norm(a: np.ndarray, p: Any = 2, dim: Dims = None, keepdim: bool = False) -> np.ndarray:
    if not is_float(a.dtype.name):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {SHORT_NAME[a.dtype.name]}")
    axes = _axes(a, dim)
    x = np.abs(a)
    p = 2 if p is None else p
    if abs(p) == float("inf") and x.size == 0 and (not dim or any(a.shape[d] == 0 for d in axes or ())):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the "
                           "operation does not have an identity")
    if p == float("inf"):
        r = np.max(x, axis=axes, keepdims=keepdim, initial=0)
    elif p == float("-inf"):
        r = np.min(x, axis=axes, keepdims=keepdim)
    elif p == 0:
        r = np.sum(x != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
    elif p == 1:
        r = np.sum(x, axis=axes, keepdims=keepdim)
    elif p == 2:
        r = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
    else:
        r = np.power(np.sum(np.power(x, p), axis=axes, keepdims=keepdim), 1.0 / p)
    return np.asarray(r).astype(a.dtype, copy=False)


op("aten::norm.Scalar(Tensor self, Scalar p=2) -> Tensor", names=("torch.norm", "Tensor.norm"),
   type_rule=rules.reduction(rules.keep_dtype, dim_arg=None), reduction=True)(_norm)
op("aten::norm.ScalarOpt_dim(Tensor self, Scalar? p=2, int[1]? dim=None, bool keepdim=False) -> Tensor",
   names=("torch.norm", "Tensor.norm"), type_rule=rules.reduction(rules.keep_dtype, dim_arg=2, keepdim_arg=3),
   reduction=True, row=RowForm(dim=2, keepdim=3, floats=True, constants=((1, (1, 2)),), blocked=True))(_norm)



@op("aten::norm.str(Tensor self, str p, int[1]? dim=None, bool keepdim=False) -> Tensor",
    names=("torch.norm", "Tensor.norm"), type_rule=rules.reduction(rules.keep_dtype, dim_arg=2, keepdim_arg=3),
    reduction=True)
def norm_str(a: np.ndarray, p: str, dim: Dims = None, keepdim: bool = False) -> np.ndarray:
    """``torch.norm(x, p="fro")``: as PyTorch, the Frobenius norm over at most two dims is the
    vector 2-norm over them (over every element without ``dim``). TorchScript reaches this
    through ``torch.functional.norm``; here it is one overload."""
    if p == "fro" and (dim is None or len(dim) <= 2):
        return _norm(a, 2, dim, keepdim)
    if p == "nuc":
        raise NotImplementedError("torch.norm: p='nuc' (the nuclear norm) is not supported by minitorch_jit")
    if p != "fro":
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim or []))}")


def _pdist_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    sizes = tensor_type(types[0]).sizes
    n = sizes[0] if sizes is not None and len(sizes) == 2 else None
    return [TensorType(tensor_type(types[0]).dtype, (None if n is None else n * (n - 1) // 2,))]


@op("aten::pdist(Tensor self, float p=2) -> Tensor", names=("torch.pdist", "functional.pdist"),
    type_rule=_pdist_rule)
def pdist(x: np.ndarray, p: float = 2.0) -> np.ndarray:
    """The p-norm distance between rows i < j, pairs in row-major order. A row at a time:
    the differences of all pairs at once would take N * N * D memory."""
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not is_float(x.dtype.name):
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    rows = [_norm(x[i + 1:] - x[i], p, [1]) for i in range(x.shape[0] - 1)]
    return np.concatenate(rows) if rows else np.empty(0, x.dtype)


# -- softmax family, logsumexp ------------------------------------------------------------------


def _softmax_input(a: np.ndarray, dim: int, dtype: Any, what: str) -> Tuple[np.ndarray, int]:
    d = norm_dim(dim, a.ndim)
    x = a.astype(dtype, copy=False) if dtype is not None else a
    if not is_float(x.dtype.name):
        raise not_implemented(what, x.dtype.name)
    return x, d


@op("aten::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    names=("torch.softmax", "Tensor.softmax", "functional.softmax"), type_rule=rules.same_dtype_or(2),
    row=RowForm(dim=1, keepdim=None, floats=True, constants=((2, (None,)),), blocked=True))
def softmax(a: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
    x, d = _softmax_input(a, dim, dtype, "softmax")
    if x.ndim == 0 or x.size == 0:
        return np.ones_like(x)
    e = np.exp(x - np.max(x, axis=d, keepdims=True))
    return e / np.sum(e, axis=d, keepdims=True)


@op("aten::log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
    names=("torch.log_softmax", "Tensor.log_softmax", "functional.log_softmax"), type_rule=rules.same_dtype_or(2),
    row=RowForm(dim=1, keepdim=None, floats=True, constants=((2, (None,)),), blocked=True))
def log_softmax(a: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
    x, d = _softmax_input(a, dim, dtype, "log_softmax")
    if x.ndim == 0 or x.size == 0:
        return np.zeros_like(x)
    shifted = x - np.max(x, axis=d, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=d, keepdims=True))


@op("aten::logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
    names=("torch.logsumexp", "Tensor.logsumexp"),
    type_rule=rules.reduction(lambda d, e: None if d is None else rules.float_dtype(d)), reduction=True,
    row=RowForm(dim=1, keepdim=2, floats=True, blocked=True))
def logsumexp(a: np.ndarray, dim: Dims, keepdim: bool = False) -> np.ndarray:
    x = a.astype(rules.float_dtype(a.dtype.name), copy=False)
    axes = _axes(x, dim)
    if x.ndim == 0:
        return x.copy()
    m = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    r = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=axes)


# -- all, any, cumsum -------------------------------------------------------------------------


def _all_any(f: Any) -> Any:
    def kernel(a: np.ndarray, dim: Dims = None, keepdim: bool = False) -> np.ndarray:
        if dim is not None and not dim:  # dim=[] reduces nothing: PyTorch just tests each element
            return a.astype(bool)
        return f(a, axis=_axes(a, dim), keepdims=keepdim)
    return kernel


def _all_any_rule(types: Sequence[Any], consts: Sequence[Any]) -> List[Any]:
    if consts[1] is not None and consts[1] is not rules.UNKNOWN and not consts[1]:
        return [TensorType("bool", types[0].sizes)]
    return rules.reduction(rules.to_bool)(types, consts)


for _name, _f in (("all", np.all), ("any", np.any)):
    op(f"aten::{_name}(Tensor self) -> Tensor", names=(f"torch.{_name}", f"Tensor.{_name}"),
       type_rule=rules.reduction(rules.to_bool, dim_arg=None), reduction=True)(
        lambda a, _f=_f: _f(a))
    op(f"aten::{_name}.dims(Tensor self, int[1]? dim=None, bool keepdim=False) -> Tensor",
       names=(f"torch.{_name}", f"Tensor.{_name}"), type_rule=_all_any_rule, reduction=True)(_all_any(_f))


@op("aten::cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
    names=("torch.cumsum", "Tensor.cumsum"), type_rule=rules.cumsum_rule)
def cumsum(a: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
    d = norm_dim(dim, a.ndim)
    if a.ndim == 0:
        return a.astype(_sum_dtype(a, dtype))
    return np.cumsum(a, axis=d, dtype=_sum_dtype(a, dtype))


# ---------------------------------------------------------------------------------------------
# sum_to_size: how a gradient of a broadcast result goes back to its input's shape


def _sum_to_size_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    size = consts[1]
    known = isinstance(size, list)
    return [TensorType(tensor_type(types[0]).dtype, tuple(size) if known else None)]


@op("aten::sum_to_size(Tensor self, int[] size) -> Tensor", names=("Tensor.sum_to_size",),
    type_rule=_sum_to_size_rule)
def sum_to_size(a: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Sum ``a`` over the dims that broadcasting ``size`` to ``a.shape`` would have expanded."""
    size = tuple(size)
    lead = a.ndim - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, a.shape[lead:])):
        raise RuntimeError(f"size {{{', '.join(map(str, size))}}} is not expandable to size "
                           f"{{{', '.join(map(str, a.shape))}}}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and a.shape[lead + i] != 1)
    out = a.sum(axis=axes, dtype=a.dtype) if axes else a.copy()
    # a reshape to the same shape would be a view: the result owns its memory, so that the
    # engine can make it a leaf's .grad without a copy
    return out if out.shape == size else out.reshape(size)


# ---------------------------------------------------------------------------------------------
# gradient formulas


def reduced_dims(shape: Sequence[int], dim: Any) -> List[int]:
    """The dims a reduction over ``dim`` (None or [] is all of them) removes, sorted."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return list(range(len(shape)))
    dims = [dim] if isinstance(dim, int) else list(dim)
    return sorted(norm_dim(d, max(len(shape), 1)) for d in dims) if shape else []


def unreduce(g: Any, shape: Sequence[int], dims: Sequence[int], keepdim: bool) -> Any:
    """A reduction's result (or its gradient) with the reduced dims back, as size 1."""
    if not keepdim and len(shape):
        for d in dims:
            g = g.unsqueeze(d)
    return g


def _count(shape: Sequence[int], dims: Sequence[int]) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


@derivative("aten::sum_to_size")
def _sum_to_size_grad(ctx: Any, g: Any) -> tuple:
    return (g.expand(list(ctx.shape(0))),)


@derivative("aten::sum")
def _sum_grad(ctx: Any, g: Any) -> tuple:
    return (g.expand(list(ctx.shape(0))),)


@derivative("aten::sum.dim_IntList")
def _sum_dim_grad(ctx: Any, g: Any) -> tuple:
    shape = ctx.shape(0)
    return (unreduce(g, shape, reduced_dims(shape, ctx[1]), ctx[2]).expand(list(shape)),)


@derivative("aten::mean")
def _mean_grad(ctx: Any, g: Any) -> tuple:
    shape = ctx.shape(0)
    return (g.expand(list(shape)) / max(_count(shape, range(len(shape))), 1),)


@derivative("aten::mean.dim")
def _mean_dim_grad(ctx: Any, g: Any) -> tuple:
    shape = ctx.shape(0)
    dims = reduced_dims(shape, ctx[1])
    return (unreduce(g, shape, dims, ctx[2]).expand(list(shape)) / max(_count(shape, dims), 1),)


def _spread(ctx: Any, g: Any, dims: List[int], keepdim: bool) -> Any:
    """amax/amin/max/min: the gradient is shared evenly among the elements equal to the result."""
    x = ctx[0]
    shape = ctx.shape(0)
    hit = x == unreduce(ctx.out, shape, dims, keepdim)
    return hit * unreduce(g, shape, dims, keepdim) / hit.sum(dims, True)


@derivative("aten::amax", "aten::amin")
def _amax_grad(ctx: Any, g: Any) -> tuple:
    return (_spread(ctx, g, reduced_dims(ctx.shape(0), ctx[1]), ctx[2]),)


@derivative("aten::max", "aten::min")
def _max_all_grad(ctx: Any, g: Any) -> tuple:
    return (_spread(ctx, g, reduced_dims(ctx.shape(0), None), False),)


def _prod_grad_over(x: Any, g: Any, dims: Optional[List[int]]) -> Any:
    """d prod / d x_i is the product of the others: of the nonzero elements where x_i is the
    only zero, 0 where another element is zero too, prod / x_i where none is."""
    zero = x == 0
    if is_grad_enabled() and bool(zero.any()):  # create_graph: where() hides the zero's own dependence
        raise RuntimeError("the second derivative of prod where an element is zero is not implemented in "
                           "minitorch_jit")
    ones = where(zero, 1.0, x)
    nonzero_prod = ones.prod() if dims is None else ones.prod(dims[0], True)
    zeros = zero.sum() if dims is None else zero.sum(dims, True)
    return g * where(zeros == 0, nonzero_prod / ones, where(zero & (zeros == 1), nonzero_prod, 0.0))


@derivative("aten::prod")
def _prod_grad(ctx: Any, g: Any) -> tuple:
    return (_prod_grad_over(ctx[0], g, None),)


@derivative("aten::prod.dim_int")
def _prod_dim_grad(ctx: Any, g: Any) -> tuple:
    shape = ctx.shape(0)
    if not shape:
        return (g,)
    d = norm_dim(ctx[1], len(shape))
    return (_prod_grad_over(ctx[0], unreduce(g, shape, [d], ctx[2]), [d]),)


@derivative("aten::max.dim", "aten::min.dim")
def _max_dim_grad(ctx: Any, grads: List[Any]) -> tuple:
    shape = ctx.shape(0)
    if not shape:
        return (grads[0],)
    dim, keepdim = norm_dim(ctx[1], len(shape)), ctx[2]
    index = unreduce(ctx.out[1], shape, [dim], keepdim)
    positions = call("torch", "arange", (shape[dim],)).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    return ((positions == index) * unreduce(grads[0], shape, [dim], keepdim),)


def _correction(ctx: Any, op_name: str) -> Tuple[List[int], Any, bool]:
    """(dims, correction, keepdim) of var/std in any of their overloads."""
    shape = ctx.shape(0)
    if op_name.endswith("correction"):
        c = ctx[2]
        return reduced_dims(shape, ctx[1]), 1 if c is None else c, ctx[3]
    if op_name.endswith("dim"):
        return reduced_dims(shape, ctx[1]), 1 if ctx[2] else 0, ctx[3]
    return reduced_dims(shape, None), 1 if ctx[1] else 0, False


@derivative("aten::var", "aten::var.dim", "aten::var.correction")
def _var_grad(ctx: Any, g: Any) -> tuple:
    dims, c, keepdim = _correction(ctx, ctx.node.op.qualified_name)
    x = ctx[0]
    n = _count(ctx.shape(0), dims)
    return (unreduce(g, ctx.shape(0), dims, keepdim) * (x - x.mean(dims, True)) * (2 / max(n - c, 0)),)


@derivative("aten::std", "aten::std.dim", "aten::std.correction")
def _std_grad(ctx: Any, g: Any) -> tuple:
    dims, c, keepdim = _correction(ctx, ctx.node.op.qualified_name)
    x = ctx[0]
    n = _count(ctx.shape(0), dims)
    out = unreduce(ctx.out, ctx.shape(0), dims, keepdim)
    return (unreduce(g, ctx.shape(0), dims, keepdim) * (x - x.mean(dims, True)) / (out * max(n - c, 0)),)


def _norm_grad(ctx: Any, g: Any, p: Any, dim: Any, keepdim: bool) -> Any:
    shape = ctx.shape(0)
    dims = reduced_dims(shape, dim)
    return _pnorm_grad(ctx[0], unreduce(ctx.out, shape, dims, keepdim), unreduce(g, shape, dims, keepdim),
                       2 if p is None else p)


def _pnorm_grad(x: Any, out: Any, g: Any, p: Any) -> Any:
    """d ||x||_p / dx times g, ``out`` the norm and ``g`` its gradient, broadcast to x."""
    if not (isinstance(p, (int, float)) and 0 < p < float("inf")):
        raise RuntimeError(f"the derivative of norm with p={p} is not implemented in minitorch_jit")
    if p == 2:
        scaled = x * g / out
    elif p == 1:
        return x.sign() * g
    else:
        scaled = x * x.abs() ** (p - 2) * g / out ** (p - 1)
    return where(out == 0, 0.0, scaled)


@derivative("aten::norm.Scalar")
def _norm_scalar_grad(ctx: Any, g: Any) -> tuple:
    return (_norm_grad(ctx, g, ctx[1], None, False),)


@derivative("aten::norm.ScalarOpt_dim")
def _norm_dim_grad(ctx: Any, g: Any) -> tuple:
    return (_norm_grad(ctx, g, ctx[1], ctx[2], ctx[3]),)


@derivative("aten::norm.str")
def _norm_str_grad(ctx: Any, g: Any) -> tuple:
    if ctx[1] != "fro":
        raise RuntimeError(f"the derivative of norm with p='{ctx[1]}' is not implemented in minitorch_jit")
    return (_norm_grad(ctx, g, 2, ctx[2], ctx[3]),)


@derivative("aten::pdist")
def _pdist_grad(ctx: Any, g: Any) -> tuple:
    """Row by row, as the forward: the distance of rows j > i is the norm of x_j - x_i, whose
    gradient goes to row j, and its opposite to row i."""
    x, p = ctx[0], ctx[1]
    n = ctx.shape(0)[0]
    grad = call("torch", "zeros", (list(ctx.shape(0)),), {"dtype": g.dtype})
    start = 0
    for i in range(n - 1):
        m = n - 1 - i
        part = _pnorm_grad(x[i + 1:] - x[i], ctx.out[start:start + m].unsqueeze(1), g[start:start + m].unsqueeze(1), p)
        grad = grad.index_put([call("torch", "arange", (i + 1, n))], part, True)
        grad = grad.index_put([call("torch", "tensor", ([i],))], -part.sum(0, True), True)
        start += m
    return (grad,)


@derivative("aten::softmax.int")
def _softmax_grad(ctx: Any, g: Any) -> tuple:
    out = ctx.out
    return (out * (g - (g * out).sum([ctx[1]], True)),)


@derivative("aten::log_softmax.int")
def _log_softmax_grad(ctx: Any, g: Any) -> tuple:
    return (g - ctx.out.exp() * g.sum([ctx[1]], True),)


@derivative("aten::logsumexp")
def _logsumexp_grad(ctx: Any, g: Any) -> tuple:
    shape = ctx.shape(0)
    dims = reduced_dims(shape, ctx[1])
    return (unreduce(g, shape, dims, ctx[2]) * (ctx[0] - unreduce(ctx.out, shape, dims, ctx[2])).exp(),)


@derivative("aten::cumsum")
def _cumsum_grad(ctx: Any, g: Any) -> tuple:
    if not ctx.shape(0):
        return (g,)
    dim = ctx[1]
    return (g.sum([dim], True) - g.cumsum(dim) + g,)

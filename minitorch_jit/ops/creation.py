"""Creation ops (tensor, zeros, ones, full, arange, linspace, *_like) and random ones
(rand, randn, randint, manual_seed). The generator is numpy's PCG64, seeded at import with
PyTorch's default seed so that runs are repeatable even without ``manual_seed``."""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import DEFAULT_FLOAT, DTYPES, TensorType, Type, promote_types, tensor_type

from . import rules
from .declare import non_differentiable, not_implemented, op

_DEFAULT_SEED = 67280421310721
_rng = np.random.Generator(np.random.PCG64(_DEFAULT_SEED))

_OPTS = "ScalarType? dtype=None, Device? device=None, bool requires_grad=False"


def _check_size(size: Sequence[int]) -> List[int]:
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return list(size)


def _sized(default: Optional[str] = DEFAULT_FLOAT, size_arg: int = 0, dtype_arg: int = 1) -> rules.TypeRule:
    """Sizes from a constant int list argument; dtype explicit or ``default``."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        size = consts[size_arg]
        explicit = consts[dtype_arg]
        dtype = None if explicit is UNKNOWN else (rules.dtype_name(explicit) or default)
        sizes = None if size is UNKNOWN else tuple(size)
        return [TensorType(dtype, sizes)]
    return rule


def _like(dtype_arg: int = 1) -> rules.TypeRule:
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        t = tensor_type(types[0])
        explicit = consts[dtype_arg]
        dtype = None if explicit is UNKNOWN else (rules.dtype_name(explicit) or t.dtype)
        return [TensorType(dtype, t.sizes)]
    return rule


# -- tensor -----------------------------------------------------------------------------------


def _supported(dtype: str) -> str:
    if dtype not in DTYPES:
        raise TypeError(f"can't convert np.ndarray of type numpy.{dtype}. The only supported types are: "
                        f"{', '.join(DTYPES)}.")
    return dtype


def _native(array: Any) -> None:
    """PyTorch refuses arrays in the other byte order (they would need converting)."""
    if not array.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")


def _leaf_dtypes(data: Any) -> List[str]:
    """The dtype of every leaf of nested lists as PyTorch infers it (Python numbers take the
    default dtypes, numpy values and tensors keep theirs), after checking that the nesting is
    rectangular, with PyTorch's errors."""
    found: List[str] = []

    def shape(x: Any, depth: int) -> tuple:
        if isinstance(x, (np.ndarray, np.generic)):
            _native(x)
            found.append(x.dtype.name)
        elif isinstance(x, (bool, int, float)):
            found.append("bool" if isinstance(x, bool) else "int64" if isinstance(x, int) else DEFAULT_FLOAT)
        elif x is None:
            raise RuntimeError("Could not infer dtype of NoneType")
        elif not isinstance(x, (list, tuple)):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            shapes = [shape(v, depth + 1) for v in x]
            for s in shapes[1:]:
                if s != shapes[0]:
                    k = next(i for i, (m, n) in enumerate(zip(shapes[0] + (None,), s + (None,))) if m != n)
                    if k >= min(len(s), len(shapes[0])):
                        raise TypeError("not a sequence")
                    raise ValueError(f"expected sequence of length {shapes[0][k]} at dim {depth + 1 + k} "
                                     f"(got {s[k]})")
            return (len(x),) + (shapes[0] if shapes else ())
        return np.shape(x)
    shape(data, 0)
    return found


def _infer_dtype(data: Any) -> str:
    """The promoted dtype of the leaves (float32 for an empty list)."""
    dtype = None
    for d in _leaf_dtypes(data):
        dtype = promote_types(dtype, _supported(d))
    return dtype or DEFAULT_FLOAT


def _tensor_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    data, explicit = consts[0], consts[1]
    if data is UNKNOWN or explicit is UNKNOWN:
        return [TensorType()]
    dtype = rules.dtype_name(explicit) or _infer_dtype(data)
    return [TensorType(dtype, np.shape(data))]


@op(f"aten::tensor(Any data, *, {_OPTS}) -> Tensor", names=("torch.tensor",),
    type_rule=_tensor_rule)
def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
    """torch.tensor(data): a copy of nested lists/numbers/arrays, dtype inferred as PyTorch does
    (Python floats are float32, ints int64)."""
    if dtype is not None:
        _leaf_dtypes(data)
        return np.array(data, dtype=dtype)
    return np.array(data, dtype=_infer_dtype(data))


@op(f"aten::scalar_tensor(Scalar s, *, {_OPTS}) -> Tensor", names=("torch.scalar_tensor",),
    type_rule=lambda types, consts: [TensorType(None if consts[1] is UNKNOWN else
                                                (rules.dtype_name(consts[1]) or DEFAULT_FLOAT), ())])
def scalar_tensor(s: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
    return np.array(s, dtype=dtype if dtype is not None else DEFAULT_FLOAT)


@op("aten::from_numpy(Any array) -> Tensor", names=("torch.from_numpy",), type_rule=lambda t, c: [TensorType()])
def from_numpy(array: Any) -> np.ndarray:
    """Shares memory with the array, as PyTorch's from_numpy does."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _native(array)
    _supported(array.dtype.name)
    return array


# -- filled -----------------------------------------------------------------------------------


def _filled(value: Any) -> Any:
    def kernel(size: List[int], dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
        return np.full(_check_size(size), value, dtype=dtype if dtype is not None else DEFAULT_FLOAT)
    return kernel


op(f"aten::zeros(int[] size, *, {_OPTS}) -> Tensor", names=("torch.zeros",), type_rule=_sized())(_filled(0))
op(f"aten::ones(int[] size, *, {_OPTS}) -> Tensor", names=("torch.ones",), type_rule=_sized())(_filled(1))
op(f"aten::empty(int[] size, *, {_OPTS}) -> Tensor", names=("torch.empty",), type_rule=_sized())(_filled(0))


def _fill_dtype(value: Any) -> str:
    return "bool" if isinstance(value, bool) else ("int64" if isinstance(value, int) else DEFAULT_FLOAT)


def _full_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    size, value, explicit = consts[0], consts[1], consts[2]
    if explicit is UNKNOWN or (explicit is None and value is UNKNOWN):
        dtype = None
    else:
        dtype = rules.dtype_name(explicit) or _fill_dtype(value)
    return [TensorType(dtype, None if size is UNKNOWN else tuple(size))]


@op(f"aten::full(int[] size, Scalar fill_value, *, {_OPTS}) -> Tensor", names=("torch.full",),
    type_rule=_full_rule)
def full(size: List[int], fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> np.ndarray:
    """The dtype follows the fill value (bool, int64 or float32) unless given."""
    return np.full(_check_size(size), fill_value, dtype=dtype if dtype is not None else _fill_dtype(fill_value))


def _like_filled(value: Any) -> Any:
    def kernel(a: np.ndarray, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
        return np.full(a.shape, value, dtype=dtype if dtype is not None else a.dtype)
    return kernel


_LIKE = f"*, {_OPTS}"
op(f"aten::zeros_like(Tensor self, {_LIKE}) -> Tensor", names=("torch.zeros_like",), type_rule=_like())(
    _like_filled(0))
op(f"aten::ones_like(Tensor self, {_LIKE}) -> Tensor", names=("torch.ones_like",), type_rule=_like())(
    _like_filled(1))
op(f"aten::empty_like(Tensor self, {_LIKE}) -> Tensor", names=("torch.empty_like",), type_rule=_like())(
    _like_filled(0))


@op(f"aten::full_like(Tensor self, Scalar fill_value, {_LIKE}) -> Tensor", names=("torch.full_like",),
    type_rule=_like(dtype_arg=2))
def full_like(a: np.ndarray, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> np.ndarray:
    return np.full(a.shape, fill_value, dtype=dtype if dtype is not None else a.dtype)


# -- ranges ------------------------------------------------------------------------------------


def _arange_dtype(values: Sequence[Any], explicit: Any) -> str:
    if explicit is not None:
        return rules.dtype_name(explicit)
    return DEFAULT_FLOAT if any(isinstance(v, float) for v in values) else "int64"


def _arange(start: Any, end: Any, step: Any, dtype: Any) -> np.ndarray:
    if dtype is not None and np.dtype(dtype) == np.bool_:
        raise not_implemented("arange", "bool")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = max(0, math.ceil((end - start) / step))
    # PyTorch computes start + i * step in double precision, then rounds to the dtype
    return (start + np.arange(n, dtype=np.float64) * step).astype(_arange_dtype((start, end, step), dtype))


def _arange_rule(n_values: int) -> rules.TypeRule:
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        values, explicit = consts[:n_values], consts[n_values]
        if explicit is UNKNOWN or (explicit is None and UNKNOWN in values and not any(
                isinstance(v, float) for v in values)):
            dtype = None if explicit is UNKNOWN else rules.dtype_name(explicit)
        else:
            dtype = _arange_dtype([v for v in values if v is not UNKNOWN], explicit)
        if UNKNOWN in values:
            return [TensorType(dtype, (None,))]
        vals = list(values) if n_values == 3 else [0, values[0], 1]
        return [TensorType(dtype, (max(0, math.ceil((vals[1] - vals[0]) / vals[2])),))]
    return rule


@op(f"aten::arange(Scalar end, *, {_OPTS}) -> Tensor", names=("torch.arange",), type_rule=_arange_rule(1))
def arange(end: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
    return _arange(0, end, 1, dtype)


@op(f"aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, {_OPTS}) -> Tensor",
    names=("torch.arange",), type_rule=_arange_rule(3))
def arange_start(start: Any, end: Any, step: Any = 1, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> np.ndarray:
    return _arange(start, end, step, dtype)


@op(f"aten::linspace(Scalar start, Scalar end, int steps, *, {_OPTS}) -> Tensor", names=("torch.linspace",),
    type_rule=lambda types, consts: [TensorType(
        None if consts[3] is UNKNOWN else (rules.dtype_name(consts[3]) or DEFAULT_FLOAT),
        (None if consts[2] is UNKNOWN else consts[2],))])
def linspace(start: Any, end: Any, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> np.ndarray:
    """PyTorch's symmetric formula: the first half counts up from start, the second half
    down from end, so both ends are exact."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = np.dtype(dtype if dtype is not None else DEFAULT_FLOAT)
    if steps == 1:
        return np.array([start], dt)
    t = dt.type if dt.kind == "f" else np.float64
    step = (t(end) - t(start)) / t(max(steps - 1, 1))
    i = np.arange(steps)
    half = steps // 2
    out = np.where(i < half, t(start) + step * i.astype(t), t(end) - step * (steps - 1 - i).astype(t))
    return out.astype(dt)


# -- random --------------------------------------------------------------------------------------


@op("aten::manual_seed(int seed) -> ()", names=("torch.manual_seed",), side_effects=True)
def manual_seed(seed: int) -> None:
    """Reseed the global generator: what follows is repeatable."""
    global _rng
    _rng = np.random.Generator(np.random.PCG64(seed))


def _random(draw: Any) -> Any:
    def kernel(size: List[int], dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
        dt = np.dtype(dtype if dtype is not None else DEFAULT_FLOAT)
        if dt.kind != "f":
            raise not_implemented(draw.__name__.strip("_"), dt.name)
        return draw(_check_size(size), dt)
    return kernel


def _uniform(size: List[int], dt: np.dtype) -> np.ndarray:
    # numpy draws float32 or float64 only: float16 samples are float32 ones rounded
    return _rng.random(size, dtype=dt if dt.itemsize >= 4 else np.float32).astype(dt, copy=False)


def _normal(size: List[int], dt: np.dtype) -> np.ndarray:
    return _rng.standard_normal(size, dtype=dt if dt.itemsize >= 4 else np.float32).astype(dt, copy=False)


op(f"aten::rand(int[] size, *, {_OPTS}) -> Tensor", names=("torch.rand",), type_rule=_sized(),
   random=True)(_random(_uniform))
op(f"aten::randn(int[] size, *, {_OPTS}) -> Tensor", names=("torch.randn",), type_rule=_sized(),
   random=True)(_random(_normal))


def _random_like(draw: Any) -> Any:
    def kernel(a: np.ndarray, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> np.ndarray:
        return _random(draw)(list(a.shape), dtype if dtype is not None else a.dtype)
    return kernel


op(f"aten::rand_like(Tensor self, {_LIKE}) -> Tensor", names=("torch.rand_like",), type_rule=_like(),
   random=True)(_random_like(_uniform))
op(f"aten::randn_like(Tensor self, {_LIKE}) -> Tensor", names=("torch.randn_like",), type_rule=_like(),
   random=True)(_random_like(_normal))


def _randint(low: int, high: int, size: List[int], dtype: Any) -> np.ndarray:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _rng.integers(low, high, size=_check_size(size), dtype=np.int64).astype(
        dtype if dtype is not None else np.int64)


@op(f"aten::randint(int high, int[] size, *, {_OPTS}) -> Tensor", names=("torch.randint",),
    type_rule=_sized("int64", size_arg=1, dtype_arg=2), random=True)
def randint(high: int, size: List[int], dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> np.ndarray:
    return _randint(0, high, size, dtype)


@op(f"aten::randint.low(int low, int high, int[] size, *, {_OPTS}) -> Tensor", names=("torch.randint",),
    type_rule=_sized("int64", size_arg=2, dtype_arg=3), random=True)
def randint_low(low: int, high: int, size: List[int], dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> np.ndarray:
    return _randint(low, high, size, dtype)


def generator() -> np.random.Generator:
    """The global generator (for kernels such as dropout that draw random numbers)."""
    return _rng


# A tensor made "like" another takes its shape and dtype, not its values: no gradient flows.
non_differentiable("aten::zeros_like", "aten::ones_like", "aten::empty_like", "aten::full_like", "aten::rand_like",
                   "aten::randn_like")

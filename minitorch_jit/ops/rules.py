"""Output-type rules: dtype promotion and shapes, for eager kernels and for graphs.

Eager kernels and the static rules share the same promotion (``ir.types.result_type``) and
the same broadcasting (:func:`broadcast_sizes`), so a compiled graph's types agree with what
the kernels produce; a registry test checks that for every op.

Static rules take ``(types, consts)``: the input types and the inputs' constant values
(``UNKNOWN`` when not constant). Unknown sizes are None.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import (
    BOOL,
    DEFAULT_FLOAT,
    FLOAT,
    INT,
    BoolType,
    FloatType,
    IntType,
    NoneType,
    NumberType,
    OptionalType,
    TensorType,
    Type,
    is_float,
    result_type,
    scalar_dtype,
    tensor_type,
)

Sizes = Optional[Tuple[Optional[int], ...]]


# ---------------------------------------------------------------------------------------------
# broadcasting


def broadcast_sizes(*shapes: Sizes) -> Sizes:
    """Broadcast shapes whose entries may be None (unknown); None for an unknown rank.
    Raises RuntimeError, worded as PyTorch words it, when known sizes cannot broadcast."""
    if any(s is None for s in shapes):
        return None
    ndim = max((len(s) for s in shapes), default=0)
    out: List[Optional[int]] = []
    for i in range(ndim):
        size: Optional[int] = 1
        known_from = None
        for k, s in enumerate(shapes):
            j = i - (ndim - len(s))
            if j < 0:
                continue
            d = s[j]
            if d == 1:
                continue
            if d is None:
                if size == 1:
                    size = None
                continue
            if size is None or size == 1:
                size, known_from = d, k
            elif size != d:
                a, b = (known_from, k)
                raise RuntimeError(
                    f"The size of tensor {_letter(a)} ({size}) must match the size of tensor {_letter(b)} ({d}) "
                    f"at non-singleton dimension {i}")
        out.append(size)
    return tuple(out)


def _letter(i: Optional[int]) -> str:
    return "abcdefgh"[i] if i is not None and i < 8 else "?"


# ---------------------------------------------------------------------------------------------
# eager promotion


_DTYPE_NAMES: Dict[np.dtype, str] = {}


def np_dtype_name(d: np.dtype) -> str:
    """``d.name``, remembered: numpy computes the name in Python on every access, which is a
    third of an eager op's time on small tensors."""
    name = _DTYPE_NAMES.get(d)
    if name is None:
        name = _DTYPE_NAMES[d] = d.name
    return name


def _eager_operand(v: Any) -> Optional[Tuple[str, str]]:
    if type(v) is np.ndarray:
        return ("dim" if v.ndim else "zerodim", np_dtype_name(v.dtype))
    if isinstance(v, (bool, np.bool_)):
        return ("scalar", "bool")
    if isinstance(v, int):
        return ("scalar", "int64")
    if isinstance(v, float):
        return ("scalar", DEFAULT_FLOAT)
    if isinstance(v, np.generic):
        return ("zerodim", v.dtype.name)
    return None


def quiet() -> Any:
    """Kernels run under this: overflow, division by zero and invalid operations give inf
    and nan silently, as in PyTorch."""
    return np.errstate(all="ignore")


def result_dtype(*values: Any) -> str:
    """PyTorch's result_type of arrays and Python numbers (Python numbers are 'wrapped')."""
    return result_type([o for o in map(_eager_operand, values) if o is not None])


# A Python int operand of arithmetic must fit 64 bits, signed or unsigned, as PyTorch's
# Scalar does (a bigger one is an OverflowError there too)
SCALAR_INT_MIN, SCALAR_INT_END = -(1 << 63), 1 << 64
INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}


def arithmetic_int(v: Any, dtype: str) -> Any:
    """A Python int operand of arithmetic computed in ``dtype``, as PyTorch takes it: wrapped
    to an integer dtype's range (int32 + 2**31 adds -2**31), refused beyond 64 bits. Other
    operands (arrays, floats, bools) are returned as they are."""
    if type(v) is not int:
        return v
    if not SCALAR_INT_MIN <= v < SCALAR_INT_END:
        raise OverflowError("int too big to convert")
    if dtype == "uint8":
        return v % 256
    bits = INT_BITS.get(dtype)
    if bits is None:
        return v
    half = 1 << (bits - 1)
    return (v + half) % (1 << bits) - half


def float_dtype(dtype: str) -> str:
    """Integer and bool results of float-valued ops (exp, true division) are float32."""
    return dtype if is_float(dtype) else DEFAULT_FLOAT


# ---------------------------------------------------------------------------------------------
# static promotion


def _static_operand(t: Type, const: Any) -> Optional[List[Tuple[str, str]]]:
    """The (kind, dtype) options an input may have; [] to ignore it; None if unknown."""
    if isinstance(t, TensorType):
        if t.dtype is None:
            return None
        if t.sizes is None:
            return [("dim", t.dtype), ("zerodim", t.dtype)]
        return [("dim" if t.sizes else "zerodim", t.dtype)]
    if isinstance(t, (BoolType, IntType, FloatType)):
        return [("scalar", scalar_dtype({BOOL: bool, INT: int, FLOAT: float}[t]))]
    if isinstance(t, NumberType):
        if const is UNKNOWN:
            return None
        return [("scalar", scalar_dtype(type(const)))]
    if isinstance(t, (NoneType, OptionalType)):
        return []
    return []


def static_result_dtype(types: Sequence[Type], consts: Sequence[Any]) -> Optional[str]:
    """result_type over input types, or None when it depends on something unknown."""
    options = []
    for t, c in zip(types, consts):
        o = _static_operand(t, c)
        if o is None:
            return None
        if o:
            options.append(o)
    if not options:
        return None
    results = {result_type(combo) for combo in itertools.product(*options)}
    return results.pop() if len(results) == 1 else None


def tensor_sizes(types: Sequence[Type]) -> Sizes:
    """The broadcast sizes of the tensor inputs (scalars broadcast as 0-d)."""
    return broadcast_sizes(*[t.sizes for t in types if isinstance(t, TensorType)])


# ---------------------------------------------------------------------------------------------
# rule factories

TypeRule = Callable[[Sequence[Type], Sequence[Any]], List[Type]]


def pointwise(result: str = "promote", args: Optional[Sequence[int]] = None) -> TypeRule:
    """Broadcast the tensor inputs; dtype by ``result``: "promote" (result_type), "float"
    (result_type made floating), "bool", or "first" (the first input's dtype).
    ``args`` picks the inputs that take part (default: all)."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        ts = types if args is None else [types[i] for i in args]
        cs = consts if args is None else [consts[i] for i in args]
        sizes = tensor_sizes(ts)
        if result == "bool":
            dtype: Optional[str] = "bool"
        elif result == "first":
            dtype = ts[0].dtype if isinstance(ts[0], TensorType) else None
        else:
            dtype = static_result_dtype(ts, cs)
            if result == "float" and dtype is not None:
                dtype = float_dtype(dtype)
        return [TensorType(dtype, sizes)]
    return rule


def same_as_input(i: int = 0) -> TypeRule:
    """The output is typed like input ``i`` (in-place ops, clone, contiguous)."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        return [types[i]]
    return rule


def made_contiguous(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    """The input's type, known to be contiguous (when its rank is known)."""
    t = types[0]
    return [TensorType(t.dtype, t.sizes, t.sizes is not None) if isinstance(t, TensorType) else t]


def const_int_list(v: Any) -> Optional[List[int]]:
    if v is UNKNOWN or v is None:
        return None
    return [v] if isinstance(v, int) else list(v)


def norm_dim(dim: int, rank: int) -> int:
    """A dimension index in range (negative counts from the end), PyTorch's message if not."""
    lo, hi = (-rank, rank - 1) if rank else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % rank if rank else 0


def reduced_sizes(sizes: Sizes, dims: Optional[List[int]], keepdim: Any) -> Sizes:
    """Sizes after reducing ``dims`` (None or []: all dims)."""
    if sizes is None or keepdim is UNKNOWN:
        return None
    rank = len(sizes)
    if not dims:
        return tuple(1 for _ in sizes) if keepdim else ()
    ds = {norm_dim(d, rank) for d in dims}
    if keepdim:
        return tuple(1 if i in ds else s for i, s in enumerate(sizes))
    return tuple(s for i, s in enumerate(sizes) if i not in ds)


def reduction(dtype_fn: Callable[[Optional[str], Any], Optional[str]], dim_arg: Optional[int] = 1,
              keepdim_arg: Optional[int] = 2, dtype_arg: Optional[int] = None, n_outputs: int = 1,
              index_second: bool = False) -> TypeRule:
    """A reduction over the dims in input ``dim_arg`` (None: over everything)."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        t = types[0]
        assert isinstance(t, TensorType)
        explicit = consts[dtype_arg] if dtype_arg is not None and dtype_arg < len(consts) else None
        dtype = dtype_fn(t.dtype, explicit)
        if dim_arg is None:
            sizes: Sizes = ()
        else:
            dims = consts[dim_arg] if dim_arg < len(consts) else None
            keep = consts[keepdim_arg] if keepdim_arg is not None and keepdim_arg < len(consts) else False
            if dims is UNKNOWN:
                sizes = None if (t.sizes is None or keep is UNKNOWN) else (
                    t.sizes if keep else None)
                if sizes is not None:
                    sizes = tuple(None for _ in sizes)
            else:
                sizes = reduced_sizes(t.sizes, const_int_list(dims), keep)
        out = [TensorType(dtype, sizes)]
        if n_outputs == 2:
            out.append(TensorType("int64", sizes))
        return out
    return rule


def keep_dtype(dtype: Optional[str], explicit: Any) -> Optional[str]:
    """The input's dtype, or the ``dtype=`` argument's (unknown when that is not a constant)."""
    if explicit is UNKNOWN:
        return None
    return _explicit(explicit) or dtype


def sum_dtype(dtype: Optional[str], explicit: Any) -> Optional[str]:
    """sum and prod of integers and bools accumulate in int64."""
    if explicit is UNKNOWN:
        return None
    if _explicit(explicit):
        return _explicit(explicit)
    if dtype is None:
        return None
    return dtype if is_float(dtype) else "int64"


def to_bool(dtype: Optional[str], explicit: Any) -> Optional[str]:
    return "bool"


def to_long(dtype: Optional[str], explicit: Any) -> Optional[str]:
    return "int64"


def _explicit(explicit: Any) -> Optional[str]:
    if explicit is None or explicit is UNKNOWN:
        return None
    return getattr(explicit, "name", explicit)


def same_dtype_or(dtype_arg: int) -> TypeRule:
    """Sizes of input 0; dtype given by input ``dtype_arg`` when it is not None, else input 0's."""
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        t = tensor_type(types[0])
        explicit = consts[dtype_arg]
        dtype = None if explicit is UNKNOWN else (dtype_name(explicit) or t.dtype)
        return [TensorType(dtype, t.sizes)]
    return rule


def cumsum_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    return [TensorType(sum_dtype(t.dtype, consts[2]), t.sizes)]


def dtype_name(v: Any) -> Optional[str]:
    """A dtype constant's name (constants hold names, eager code np dtypes)."""
    if v is None or v is UNKNOWN:
        return None
    return np_dtype_name(v) if isinstance(v, np.dtype) else getattr(v, "name", v)

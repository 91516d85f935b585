"""``t[index]`` and ``t[index] = value`` as sequences of ops, the way PyTorch lowers them:
ints become ``select``, slices ``slice``, None ``unsqueeze``, ``...`` skips dims, and
tensors (bool masks, integer indices, lists of ints) gather through one ``index`` after
the basic part; assignment writes through the basic view with ``copy_``/``fill_`` or
``index_put_``. Because every step is an op call, tracing records indexing faithfully.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from ..tensor import Tensor
from .declare import op
from .dispatch import call
from .selection import check_step


def _as_index_tensor(item: Any) -> Optional[Tensor]:
    """A list used as an index is a tensor, as PyTorch converts it: bools a mask, other
    numbers longs (floats truncated)."""
    if isinstance(item, Tensor):
        return item
    if isinstance(item, list) and not item:  # x[[]] selects nothing: an empty long index, as in PyTorch
        return Tensor._wrap(np.zeros(0, dtype=np.int64))
    if isinstance(item, (list, np.ndarray)):
        t = call("torch", "tensor", (item,))
        return t if t.dtype.name in ("bool", "int64") else call("Tensor", "long", (t,))
    return None


@op("prim::index_dims(Tensor index) -> int", total=True)
def index_dims(index: np.ndarray) -> int:
    """The dims of the indexed tensor an index tensor takes: a bool mask its rank, others one."""
    return index.ndim if index.dtype == np.bool_ else 1


def _dims_used(item: Any) -> int:
    if item is None or item is Ellipsis:
        return 0
    if isinstance(item, Tensor) and item.dtype.name == "bool":
        return item._a.ndim
    return 1


def _basic(t: Tensor, index: Any) -> Tuple[Tensor, List[Optional[Tensor]]]:
    """Apply the basic part of ``index`` and return the view plus the advanced indices
    (one entry per remaining dim position, None where a dim is kept whole)."""
    items = list(index) if isinstance(index, tuple) else [index]
    items = [_as_index_tensor(i) if isinstance(i, (list, np.ndarray)) else i for i in items]
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_dims_used(i) for i in items)
    ndim = t._a.ndim
    if used and not ndim:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
                         "C++ to convert a 0-dim tensor to a number")
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    result = t
    dim = 0
    advanced: List[Optional[Tensor]] = []
    for item in items:
        if item is Ellipsis:
            skip = ndim - used
            dim += skip
            advanced.extend([None] * skip)
        elif item is None:
            result = call("Tensor", "unsqueeze", (result, dim))
            dim += 1
            advanced.append(None)
        elif isinstance(item, bool):
            raise IndexError("indexing with a Python bool is not supported")
        elif isinstance(item, int):
            result = call("Tensor", "select", (result, dim, item))
        elif isinstance(item, slice):
            step = 1 if item.step is None else item.step
            check_step(step)
            if not (item.start is None and item.stop is None and step == 1):
                result = call("Tensor", "slice", (result, dim, item.start, item.stop, step))
            dim += 1
            advanced.append(None)
        elif isinstance(item, Tensor):
            advanced.append(item)
            dim += _dims_used(item)
        else:
            raise IndexError(f"only integers, slices, None, ..., and integer or boolean tensors are valid "
                             f"indices (got {type(item).__name__})")
    return result, advanced


def _trim(advanced: List[Optional[Tensor]]) -> List[Optional[Tensor]]:
    while advanced and advanced[-1] is None:
        advanced.pop()
    return advanced


def getitem(t: Tensor, index: Any) -> Tensor:
    view, advanced = _basic(t, index)
    advanced = _trim(advanced)
    if not advanced:
        return view if view is not t else call("Tensor", "detach", (t,))
    return call("Tensor", "index", (view, advanced))


def _strip_leading_ones(value: Tensor) -> Tensor:
    """The value of an indexed assignment without its leading size-1 dims (viewed), as
    PyTorch assigns it: ``x[idx] = v`` with ``v`` of sizes (1, 1, 4) writes four elements."""
    sizes = list(value.size())  # (traced sizes while tracing)
    n = 0
    while n < len(sizes) and sizes[n] == 1:
        n += 1
    return call("Tensor", "view", (value, sizes[n:])) if n else value


def setitem(t: Tensor, index: Any, value: Any) -> None:
    view, advanced = _basic(t, index)
    advanced = _trim(advanced)
    if advanced:
        if not isinstance(value, Tensor):
            value = call("torch", "tensor", (value,), {"dtype": t.dtype})
        value = _strip_leading_ones(value)
        call("Tensor", "index_put_", (view, advanced, value))
    elif isinstance(value, Tensor):
        call("Tensor", "copy_", (view, value))
    else:
        call("Tensor", "fill_", (view, value))

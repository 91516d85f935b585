"""Reusing the memory of big kernel outputs that their callers have released.

A fresh array of tens of megabytes is mapped by the C library and zeroed page by page by the
OS on its first write, on every call (1.4-1.8x on an 8M-element triad). Outputs of at least
:data:`POOL_MIN` bytes are therefore views of byte buffers kept here, by size, at most
:data:`PER_SIZE` per size and :data:`POOL_MAX` bytes in all; smaller ones come from
``np.empty`` (the C library reuses their memory itself).

A buffer is handed out again only when nothing but this pool refers to it: every array that
views its memory (the output, views of it, slices, reshapes) holds a reference to the buffer
itself (numpy points each view's ``base`` at the array that owns the memory), so a reference
count at its floor means no array can read or write it any more.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import List, Optional, Tuple

import numpy as np

POOL_MIN = 4 << 20       # bytes: outputs below this come from np.empty
POOL_MAX = 512 << 20     # bytes kept in all
ALIGN = 64               # bytes: where an output in a kept buffer starts
PER_SIZE = 2             # buffers kept per size: a caller holding the last result still gets the other

_pool: "OrderedDict[int, List[np.ndarray]]" = OrderedDict()
_kept = 0
_lock = threading.Lock()
# references to a free buffer while `take` looks at it: the pool's list, the loop variable
# and getrefcount's argument
_FREE_REFS = 3


def empty(shape: Tuple[int, ...], dtype: np.dtype, nbytes: int) -> np.ndarray:
    """An uninitialized C-ordered array of ``shape`` and ``dtype`` (``nbytes`` big), in a
    released buffer when one of that size is free."""
    buf = _take(nbytes)
    if buf is None:
        return np.empty(shape, dtype)
    # at a 64-byte boundary (the C library's big blocks start 16 bytes after a page): whole
    # cache lines for the row kernels' non-temporal stores (codegen/row_launch.py)
    start = -buf.ctypes.data % ALIGN
    return buf[start:start + nbytes].view(dtype).reshape(shape)


def _take(nbytes: int) -> Optional[np.ndarray]:
    global _kept
    with _lock:
        kept = _pool.get(nbytes)
        if kept is not None:
            _pool.move_to_end(nbytes)
            for buf in kept:
                if sys.getrefcount(buf) == _FREE_REFS:
                    return buf
            if len(kept) >= PER_SIZE:
                return None
        if nbytes > POOL_MAX:
            return None
        while _kept + nbytes > POOL_MAX and _pool:  # the sizes least recently used go first
            size, dropped = _pool.popitem(last=False)
            _kept -= size * len(dropped)
        buf = np.empty(nbytes + ALIGN, np.uint8)
        _pool.setdefault(nbytes, []).append(buf)
        _kept += nbytes
        return buf


def clear() -> None:
    """Forget every kept buffer (arrays still using one keep it alive)."""
    global _kept
    with _lock:
        _pool.clear()
        _kept = 0

"""An exported library called from Python through ctypes: what the bench's ``exported``
system and the tests run (the C way in is ``examples/c/run_model.c``)."""
from __future__ import annotations

import ctypes
import os
from typing import Callable, List, Optional, Sequence

import numpy as np

from . import abi

DTYPE_NAMES = {code: name for name, code in abi.DTYPES.items()}


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("sizes", ctypes.c_int64 * abi.MAX_RANK), ("strides", ctypes.c_int64 * abi.MAX_RANK)]


class CallError(RuntimeError):
    """A call into the library returned an error status."""

    def __init__(self, status: int, message: str):
        super().__init__(f"status {status}: {message}")
        self.status = status


def describe(a: np.ndarray) -> Tensor:
    t = Tensor()
    t.data = a.ctypes.data
    t.dtype = abi.DTYPES[a.dtype.name]
    t.rank = a.ndim
    for d in range(a.ndim):
        t.sizes[d] = a.shape[d]
        t.strides[d] = a.strides[d] // a.itemsize
    return t


class Exported:
    """``Exported("mlp.so")(x)`` runs the model on numpy arrays and returns its outputs."""

    def __init__(self, path: str):
        self.name = os.path.basename(path)[:-3]
        self.lib = ctypes.CDLL(os.path.abspath(path))
        f = self._fn
        f("abi_version", ctypes.c_int32, [])
        f("version", ctypes.c_char_p, [])
        f("last_error", ctypes.c_char_p, [])
        f("num_inputs", ctypes.c_int32, [])
        f("num_outputs", ctypes.c_int32, [])
        tp = ctypes.POINTER(Tensor)
        f("output_shapes", ctypes.c_int32, [tp, ctypes.c_int64, tp, ctypes.c_int64])
        f("arena_size", ctypes.c_int32, [tp, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64)])
        f("set_num_threads", ctypes.c_int32, [ctypes.c_int32])
        f("num_threads", ctypes.c_int32, [])
        f("forward", ctypes.c_int32, [tp, ctypes.c_int64, tp, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64])
        self.num_outputs = self.lib_fn("num_outputs")()
        self._outs = (Tensor * self.num_outputs)()

    def _fn(self, name: str, restype: type, argtypes: List[type]) -> None:
        fn = getattr(self.lib, f"{self.name}_{name}")
        fn.restype, fn.argtypes = restype, argtypes

    def lib_fn(self, name: str) -> ctypes._CFuncPtr:  # type: ignore[name-defined]
        return getattr(self.lib, f"{self.name}_{name}")

    def _raise(self, status: int) -> None:
        if status != 0:
            raise CallError(status, self.lib_fn("last_error")().decode())

    def set_num_threads(self, count: int) -> None:
        self._raise(self.lib_fn("set_num_threads")(count))

    def output_shapes(self, *inputs: np.ndarray) -> List[tuple]:
        ins = (Tensor * len(inputs))(*[describe(a) for a in inputs])
        self._raise(self.lib_fn("output_shapes")(ins, len(inputs), self._outs, self.num_outputs))
        return [(DTYPE_NAMES[o.dtype], tuple(o.sizes[:o.rank])) for o in self._outs]

    def arena_size(self, *inputs: np.ndarray) -> int:
        ins = (Tensor * len(inputs))(*[describe(a) for a in inputs])
        n = ctypes.c_int64()
        self._raise(self.lib_fn("arena_size")(ins, len(inputs), ctypes.byref(n)))
        return n.value

    def __call__(self, *inputs: np.ndarray) -> List[np.ndarray]:
        arrays = [np.ascontiguousarray(a) for a in inputs]
        outs = [np.empty(shape, dtype) for dtype, shape in self.output_shapes(*arrays)]
        self.run(arrays, outs)
        return outs

    def bind(self, inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray]) -> Callable[[], None]:
        """A call of forward on these arrays with its descriptors built once (the bench times
        the library, not the building of descriptors in Python)."""
        ins = (Tensor * len(inputs))(*[describe(a) for a in inputs])
        outs = (Tensor * len(outputs))(*[describe(a) for a in outputs])
        forward, n_in, n_out = self.lib_fn("forward"), len(inputs), len(outputs)
        keep = (inputs, outputs)  # the descriptors point into these arrays

        def call() -> None:
            assert keep
            self._raise(forward(ins, n_in, outs, n_out, None, 0))
        return call

    def run(self, inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray],
            arena: Optional[np.ndarray] = None) -> None:
        """Forward into preallocated outputs (the bench's loop), in the library's own arena
        or in ``arena`` (bytes)."""
        ins = (Tensor * len(inputs))(*[describe(a) for a in inputs])
        outs = (Tensor * len(outputs))(*[describe(a) for a in outputs])
        where, size = (None, 0) if arena is None else (arena.ctypes.data, arena.nbytes)
        self._raise(self.lib_fn("forward")(ins, len(inputs), outs, len(outputs), where, size))

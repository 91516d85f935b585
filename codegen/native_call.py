"""Prepared launches as native Python functions: a lean call of a fused kernel made by one
native function (:mod:`.llvm.call_entry`) that CPython calls directly, instead of Python code
that allocates the output, packs a tuple, makes a ctypes call and wraps the result (each a
sizeable part of a call on small tensors).

What the entry needs from this process is found by looking, as launch.py finds the layout of
objects: numpy's C API table (its ``PyArray_NewFromDescr``), CPython's reference counting
and allocation functions, and the wrapper type's slots (from a template object made by the
wrapper's own constructor). Anything that does not look as expected leaves launches without
a native entry (their Python path computes the same call), and says why in the log.
"""
from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .llvm.cache import default_cache
from .llvm.call_entry import OUTPUT_WORDS, STATE_WORDS
from .llvm.call_entry import build as build_entry
from .llvm.target import Loaded

log = logging.getLogger("minitorch_jit")

METH_FASTCALL = 0x80
_NEW_FROM_DESCR, _ARRAY_TYPE = 94, 2  # places in numpy's C API table (fixed by numpy's ABI)


class _MethodDef(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("meth", ctypes.c_void_p), ("flags", ctypes.c_int),
                ("doc", ctypes.c_char_p)]


def _function(name: str, restype: Any, *argtypes: Any) -> Any:
    # a function object of our own (indexing makes a new one): setting the types of
    # ctypes.pythonapi's shared attribute would change them for other code in the process
    f = ctypes.pythonapi[name]
    f.restype, f.argtypes = restype, list(argtypes)
    return f


def _address(f: Any) -> int:
    return ctypes.cast(f, ctypes.c_void_p).value or 0


def _owned(address: int) -> Any:
    """The object at ``address``, a new reference that a C function returned (ctypes takes
    one of its own)."""
    obj = ctypes.cast(address, ctypes.py_object).value
    ctypes.pythonapi.Py_DecRef(ctypes.c_void_p(address))
    return obj


def _numpy_api() -> Tuple[int, int]:
    """The addresses of ``PyArray_NewFromDescr`` and ``PyArray_Type``, checked by making an
    array through them."""
    core = getattr(np, "_core", None) or np.core
    capsule = core._multiarray_umath._ARRAY_API
    table = _function("PyCapsule_GetPointer", ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(capsule, None)
    api = (ctypes.c_void_p * (_NEW_FROM_DESCR + 1)).from_address(table)
    new, array_type = api[_NEW_FROM_DESCR] or 0, api[_ARRAY_TYPE] or 0
    if array_type != id(np.ndarray):
        raise RuntimeError("numpy's C API table does not hold ndarray's type where expected")
    dtype = np.dtype(np.float32)
    dims = (ctypes.c_int64 * 2)(2, 3)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(dtype))  # the function steals a reference to it
    # (PYFUNCTYPE: numpy is called holding the GIL)
    probe = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.py_object, ctypes.c_int, ctypes.c_void_p,
                              ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)(new)
    made = probe(array_type, dtype, 2, ctypes.addressof(dims), None, None, 0, None)
    a = _owned(made) if made else None
    if type(a) is not np.ndarray or a.shape != (2, 3) or a.dtype != dtype or not a.flags.c_contiguous:
        raise RuntimeError("numpy's C API table does not hold PyArray_NewFromDescr where expected")
    return new, array_type


class _Process:
    """What every native entry of this process shares: the compiled entry, its method
    definition, and the addresses its state words hold besides a launch's own."""

    def __init__(self, tuple_items: int, array_data: int, wrapper: type, array_offset: int,
                 template: Any) -> None:
        self.library: Loaded = default_cache().load(build_entry(tuple_items, array_data))
        self.method = _MethodDef(b"fused_kernel", self.library.address, METH_FASTCALL, None)
        self.new_function = _function("PyCFunction_NewEx", ctypes.c_void_p, ctypes.c_void_p, ctypes.py_object,
                                      ctypes.c_void_p)
        new_array, array_type = _numpy_api()
        self.template = template  # keeps the objects its slots hold alive
        api = ctypes.pythonapi
        self.common = {"new_array": new_array, "array_type": array_type, "new_tuple": _address(api.PyTuple_New),
                       "incref": _address(api.Py_IncRef), "decref": _address(api.Py_DecRef),
                       "alloc": _address(api.PyType_GenericAlloc), "wrapper_type": id(wrapper),
                       "array_slot": array_offset, "none": id(None)}
        self.slots = _template_slots(wrapper, array_offset, template)

    def entry(self, kernel: int, row: int, positions: Sequence[int],
              outputs: Sequence[Tuple[Tuple[int, ...], np.dtype]]) -> Callable[..., Any]:
        words = dict(self.common, kernel=kernel, row=row, n_inputs=len(positions), n_outputs=len(outputs),
                     n_slots=len(self.slots) // 2)
        records: List[int] = []
        sizes: List[int] = []
        sizes_at = len(STATE_WORDS) + len(positions) + len(OUTPUT_WORDS) * len(outputs) + len(self.slots)
        for shape, dtype in outputs:
            records += [id(dtype), len(shape), sizes_at + len(sizes)]
            sizes += shape
        state = np.array([words[name] for name in STATE_WORDS] + list(positions) + records + self.slots + sizes,
                         np.int64)
        return _owned(self.new_function(ctypes.addressof(self.method), state, None))


def _template_slots(wrapper: type, array_offset: int, template: Any) -> List[int]:
    """(offset, object address) of each filled slot of ``template`` but its array: what a new
    wrapper copies. Only objects that are never changed may be shared so (None, False, True)."""
    if type(template) is not wrapper or wrapper.__dictoffset__ or wrapper.__itemsize__:
        raise RuntimeError(f"{wrapper.__name__} objects are not slots only")
    shareable = {0, id(None), id(False), id(True)}
    pairs = []
    for off in range(object.__basicsize__, wrapper.__basicsize__, ctypes.sizeof(ctypes.c_void_p)):
        if off in (array_offset, wrapper.__weakrefoffset__):
            continue
        value = ctypes.c_void_p.from_address(id(template) + off).value or 0
        if value not in shareable:
            raise RuntimeError(f"{wrapper.__name__}'s constructor fills a slot with an object that is not None, "
                               "False or True")
        if value:
            pairs += [off, value]
    return pairs


_process: Optional[_Process] = None
_pending: Optional[Callable[[], _Process]] = None  # makes _process when the first entry is wanted
_lock = threading.Lock()


def register(tuple_items: int, array_data: int, wrapper: type, array_offset: int,
             make: Callable[[np.ndarray], Any]) -> None:
    """Native entries return ``make(output)`` made natively: objects of ``wrapper`` whose slot
    at ``array_offset`` holds the array and whose other slots are as ``make`` fills them.
    (The entry is compiled when the first launch asks for it, not at import.)"""
    global _process, _pending
    with _lock:
        _process = None
        _pending = lambda: _Process(tuple_items, array_data, wrapper, array_offset, make(np.empty(0, np.float32)))


def entry(kernel: int, row: int, positions: Sequence[int],
          outputs: Sequence[Tuple[Sequence[int], np.dtype]]) -> Optional[Callable[..., Any]]:
    """A native function computing ``kernel`` on wrapped arrays into new C-ordered outputs of
    the (shape, dtype) pairs ``outputs`` (the kernel checks the arrays on layout row ``row``),
    returning them wrapped (one, or a tuple of several); None when the arrays are not what the
    kernel checks for. Its arguments are the kernel's inputs in another order: input i is
    argument ``positions[i]``. None: no native entries in this process (the log says why)."""
    global _process, _pending
    with _lock:
        if _pending is not None:
            try:
                _process = _pending()
            except (RuntimeError, AttributeError, ValueError) as e:
                log.info("fused kernels are called through Python, not natively: %s", e)
            _pending = None
        process = _process
    if process is None:
        return None
    return process.entry(kernel, row, positions, [(tuple(int(s) for s in shape), np.dtype(dtype))
                                                  for shape, dtype in outputs])

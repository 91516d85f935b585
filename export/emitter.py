"""What the lowerings of an exported library emit with: tensors at run time, checks that
return an error status with a message, the arena's buffers, and embedded parameters.

Each C function of the library walks the graph once to compute every size and check every
input (the *plan* walk, which also notes the buffers each node writes and how long each is
read); ``NAME_forward`` then lays the buffers out in the arena and walks the graph again to
compute (the *run* walk, in which checks are not emitted again: the plan walk made them).
The size arithmetic of the two walks is the same IR on the same values, which LLVM merges.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from llvmlite import ir

from minitorch_jit.codegen.llvm.builder import MEMORY
from minitorch_jit.ir.graph import Value
from minitorch_jit.ir.types import TensorType

from . import abi
from .loops import I64, Size, contiguous_strides, mul, product, value
from .planner import Buffer, assign_slots
from .prepare import ExportError

I8, I32 = ir.IntType(8), ir.IntType(32)
I8P = I8.as_pointer()
ERROR_BYTES = 512
ALIGN = 64
ESTIMATED_FREE_SIZE = 64  # a free size counts as this much when the planner pairs buffers by size


@dataclass
class RT:
    """A tensor at run time: its dtype, sizes and strides in elements (ints where the export
    knows them), its typed data pointer (in the run walk), the arena buffer it lives in, and
    whether it is a view (not laid out as its own contiguous buffer)."""
    dtype: str
    sizes: List[Size]
    strides: List[Size]
    ptr: Optional[ir.Value] = None
    buffer: Optional[int] = None
    view: bool = False
    data: Optional[np.ndarray] = field(default=None, repr=False)  # a parameter's value

    @property
    def rank(self) -> int:
        return len(self.sizes)


def tensor_type(v: Value) -> TensorType:
    """The type of a tensor value of a prepared graph (every one is a TensorType)."""
    assert isinstance(v.type, TensorType), f"{v} is not a tensor"
    return v.type


def tensors_in(x: Any) -> List[RT]:
    """The tensors in a value of the walk (a tensor, or a list or tuple of them)."""
    if isinstance(x, RT):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for e in x for t in tensors_in(e)]
    return []


class Emitter:
    def __init__(self, module: ir.Module, name: str):
        self.module = module
        self.name = name
        self.errors = ir.GlobalVariable(module, ir.ArrayType(I8, ERROR_BYTES), f"{name}.error")
        self.errors.initializer = ir.Constant(self.errors.type.pointee, None)
        self.errors.linkage = "internal"
        snprintf_type = ir.FunctionType(I32, [I8P, I64, I8P], var_arg=True)
        self.snprintf = ir.Function(module, snprintf_type, "snprintf")
        self._strings: Dict[str, ir.GlobalVariable] = {}
        self._embedded: Dict[int, ir.GlobalVariable] = {}
        self._kept: List[np.ndarray] = []  # the embedded arrays, so their ids stay unique
        self.helpers: Dict[Any, ir.Function] = {}  # functions the lowerings define once per module
        self.derived: Dict[Any, np.ndarray] = {}   # data made from parameters at export (a transposed weight)
        self.irb: ir.IRBuilder = None  # type: ignore[assignment]
        self.begin_walk(running=False)

    # -- walks -------------------------------------------------------------------------------

    def begin_walk(self, running: bool, buffer_ptrs: Optional[Sequence[ir.Value]] = None) -> None:
        self.running = running
        self.depth = 0  # how many loop bodies and branches the walk is in
        self.branches = 0  # how many branches
        self.trips: List[Size] = []  # the trip counts of the loops the walk is in
        self.env: Dict[Any, Any] = {}  # the values of the block being walked (control flow reads it)
        if not running:  # the run walk reads what the plan walk found
            self.lists: Dict[Any, Any] = {}  # of each list of tensors (by node)
            self.buffers: List[Buffer] = []
            self.buffer_bytes: List[Size] = []
            self._keys: Dict[Tuple[Any, int], int] = {}  # each buffer by (node, request)
        self.node: Any = None  # the node being walked
        self._requests = 0  # the buffers it asked for so far
        self.where = ""
        self.position = 0
        self._buffer_ptrs = list(buffer_ptrs or [])

    def begin_node(self, node: Any) -> Tuple[Any, int]:
        """The walk enters ``node``; returns what :meth:`end_node` restores (a control-flow
        node's own requests go on after its blocks)."""
        before = (self.node, self._requests)
        self.node, self._requests = node, 0
        return before

    def end_node(self, before: Tuple[Any, int]) -> None:
        self.node, self._requests = before

    def read(self, x: Any) -> None:
        """Note that the node being walked reads ``x`` (so its buffers live until here)."""
        if not self.running:
            for t in tensors_in(x):
                if t.buffer is not None:
                    self.buffers[t.buffer].last = max(self.buffers[t.buffer].last, self.position)

    # -- checks ------------------------------------------------------------------------------

    def string(self, text: str) -> ir.Value:
        g = self._strings.get(text)
        if g is None:
            data = bytearray(text.encode()) + b"\0"
            g = ir.GlobalVariable(self.module, ir.ArrayType(I8, len(data)), f"{self.name}.str{len(self._strings)}")
            g.initializer = ir.Constant(g.type.pointee, data)
            g.global_constant = True
            g.linkage = "internal"
            self._strings[text] = g
        return self.irb.bitcast(g, I8P)

    def fail(self, status: str, message: str, *args: Size) -> None:
        """Set the error message (printf-style: ``%lld`` for each size in ``args``) and
        return ``status`` from the function being emitted."""
        irb = self.irb
        text = f"{self.where}: {message}" if self.where else message
        irb.call(self.snprintf, [irb.bitcast(self.errors, I8P), ir.Constant(I64, ERROR_BYTES), self.string(text),
                                 *[value(irb, a) for a in args]])
        irb.ret(ir.Constant(I32, abi.STATUS[status]))

    def check(self, ok: Union[bool, ir.Value], status: str, message: str, *args: Size, always: bool = False) -> None:
        """Fail with ``status`` unless ``ok`` (an i1, or a bool the export decided). Checks of
        inputs are made in the plan walk; ``always`` makes one in the run walk too (values
        the kernels find). Checks inside loop bodies and branches are made in the run walk
        only, where they run when the body does, with the values of that iteration."""
        if (self.running and not always and self.depth == 0) or (not self.running and self.depth > 0):
            return
        if ok is True:
            return
        if ok is False:  # the model can never run: say so at export
            text = message.replace("%lld", "%s").replace("%d", "%s")
            text = text % tuple(a if isinstance(a, int) else "?" for a in args)
            raise ExportError(f"{self.where.replace('%%', '%')}: {text}")
        irb = self.irb
        bad = irb.function.append_basic_block("bad")
        good = irb.function.append_basic_block("ok")
        irb.cbranch(ok, good, bad)
        irb.position_at_end(bad)
        self.fail(status, message, *args)
        irb.position_at_end(good)

    def local(self, t: ir.Type) -> ir.Value:
        """A variable of the function being emitted (an alloca in its entry block, where
        LLVM promotes it to registers)."""
        with self.irb.goto_entry_block():
            return self.irb.alloca(t)

    # -- memory ------------------------------------------------------------------------------

    def buffer(self, dtype: str, sizes: Sequence[Size]) -> RT:
        """A contiguous tensor the node being walked writes, in the arena."""
        irb = self.irb
        nbytes = mul(irb, product(irb, sizes), np.dtype(dtype).itemsize)
        estimate = int(np.prod([d if isinstance(d, int) else ESTIMATED_FREE_SIZE for d in sizes]))
        k = self._new_buffer(nbytes, estimate * np.dtype(dtype).itemsize)
        ptr = irb.bitcast(self._buffer_ptrs[k], MEMORY[dtype].as_pointer()) if self.running else None
        return RT(dtype, list(sizes), contiguous_strides(irb, sizes), ptr, k)

    def scratch(self, nbytes: Size) -> Optional[ir.Value]:
        """Memory the node being walked uses while it runs (i8*; None in the plan walk)."""
        k = self.new_buffer(nbytes)
        return self._buffer_ptrs[k] if self.running else None

    def new_buffer(self, nbytes: Size) -> int:
        return self._new_buffer(nbytes, nbytes if isinstance(nbytes, int) else ESTIMATED_FREE_SIZE ** 2)

    def resize(self, k: int, nbytes: Size) -> None:
        """Buffer ``k`` needs ``nbytes`` after all (a list's, known once every append is seen)."""
        self.buffer_bytes[k] = nbytes

    def buffer_pointer(self, k: int, dtype: str) -> ir.Value:
        """The typed pointer to buffer ``k`` (run walk)."""
        return self.irb.bitcast(self._buffer_ptrs[k], MEMORY[dtype].as_pointer())

    def _new_buffer(self, nbytes: Size, estimate: int) -> int:
        """The plan walk numbers buffers; the run walk finds the same one by the node that asks
        and the order it asks in (a branch the run walk leaves out keeps its numbers)."""
        key = (self.node, self._requests)
        self._requests += 1
        if self.running:
            return self._keys[key]
        k = len(self.buffer_bytes)
        self._keys[key] = k
        self.buffer_bytes.append(nbytes)
        self.buffers.append(Buffer(self.position, self.position, estimate))
        return k

    def span_loop(self, start: int, end: int) -> None:
        """After the plan walk of a loop whose nodes are at positions (start, end]: a buffer
        read in the loop but written before it lives to the loop's end, and one written in
        the loop but read after it lives from the loop's start (iterations repeat the body)."""
        if self.running:
            return
        for b in self.buffers:
            if b.first <= start <= b.last:
                b.last = max(b.last, end)
            if start <= b.first <= end < b.last:
                b.first = start

    def layout(self, direct: Sequence[int]) -> "Layout":
        """The arena's slots for the buffers of the plan walk, except those in ``direct``
        (written straight into the caller's outputs): each slot's offset, and the total size."""
        irb = self.irb
        planned = [k for k in range(len(self.buffers)) if k not in direct]
        slots = assign_slots([self.buffers[k] for k in planned])
        sizes: Dict[int, ir.Value] = {}
        for k, s in zip(planned, slots):
            rounded = irb.and_(irb.add(value(irb, self.buffer_bytes[k]), ir.Constant(I64, ALIGN - 1)),
                               ir.Constant(I64, -ALIGN))
            sizes[s] = rounded if s not in sizes else irb.select(irb.icmp_signed(">", rounded, sizes[s]), rounded,
                                                                 sizes[s])
        offsets: Dict[int, ir.Value] = {}
        total: ir.Value = ir.Constant(I64, 0)
        for s in sorted(sizes):
            offsets[s] = total
            total = irb.add(total, sizes[s])
        return Layout(dict(zip(planned, (offsets[s] for s in slots))), total, len(sizes))

    # -- data --------------------------------------------------------------------------------

    def embed(self, array: np.ndarray) -> ir.Value:
        """A pointer to ``array`` as read-only data of the library."""
        g = self._embedded.get(id(array))
        if g is None:
            a = np.ascontiguousarray(array)
            raw = bytearray(a.tobytes())
            g = ir.GlobalVariable(self.module, ir.ArrayType(I8, max(len(raw), 1)),
                                  f"{self.name}.data{len(self._embedded)}")
            g.initializer = ir.Constant(g.type.pointee, raw or bytearray(1))
            g.global_constant = True
            g.linkage = "internal"
            g.align = ALIGN
            self._embedded[id(array)] = g
            self._kept.append(array)
        return self.irb.bitcast(g, MEMORY[array.dtype.name].as_pointer())

    def parameter(self, array: np.ndarray) -> RT:
        ptr = self.embed(array) if self.running else None
        return RT(array.dtype.name, list(array.shape), contiguous_strides(self.irb, array.shape), ptr, data=array)


@dataclass
class Layout:
    offsets: Dict[int, ir.Value]  # byte offset in the arena of each planned buffer
    total: ir.Value               # bytes
    slots: int

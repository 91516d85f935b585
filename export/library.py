"""An exported library: the C functions of its ABI in LLVM IR, compiled for the host CPU
by llvmlite's target machine into an object file and linked by the system C compiler
(``cc -shared``) against libc and libm only.

Every C function reads and checks the input descriptors, then walks the graph (see
:mod:`.emitter` for the two walks). ``NAME_forward`` writes results that are whole
buffers straight into the caller's outputs; others (views of inputs, say) are copied there.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import llvmlite.binding as llvm
from llvmlite import ir

from minitorch_jit._version import __version__
from minitorch_jit.codegen.llvm import target
from minitorch_jit.codegen.llvm.builder import MEMORY

# these modules register their lowerings
from . import abi, control_flow, convolution, normalization, scalars, softmax  # noqa: F401
from .emitter import RT, Emitter, Layout, tensor_type, tensors_in
from .gemm import MAX_THREADS, threads_global
from .loops import I64, contiguous_strides, eq, product, value
from .ops import copy_into
from .prepare import ExportError, Prepared
from .walker import Env, check_lowerable, walk_nodes

I8, I32 = ir.IntType(8), ir.IntType(32)
I8P = I8.as_pointer()
TP = abi.TENSOR.as_pointer()


def walk(em: Emitter, prepared: Prepared, inputs: Sequence[RT]) -> List[RT]:
    """Emit the graph on ``inputs``; returns the output tensors (tuples flattened)."""
    g = prepared.graph
    env: Env = dict(zip(g.inputs[:prepared.user_inputs], inputs))
    for v, a in prepared.parameters.items():
        env[v] = em.parameter(a)
    walk_nodes(em, g.nodes, env)
    em.where = ""
    em.position += 1
    outputs = tensors_in([env[v] for v in g.outputs])
    if not outputs:
        raise ExportError("the model returns no tensor")
    em.read(outputs)
    return outputs


class Library:
    """The IR module of NAME.so for a prepared graph."""

    def __init__(self, name: str, prepared: Prepared):
        check_lowerable(prepared.graph)
        self.name = name
        self.prepared = prepared
        self.module = ir.Module(name=name)
        self.module.triple = llvm.get_process_triple()
        self.em = Emitter(self.module, name)
        # the dtype and sizes (None where free) of each input; prepare() made them known
        self.inputs: List[Tuple[str, Tuple[Optional[int], ...]]] = [
            (str(tensor_type(v).dtype), tuple(tensor_type(v).sizes or ()))
            for v in prepared.graph.inputs[:prepared.user_inputs]]
        self._constants()
        self._arena_globals()
        self._forward()
        self._output_shapes()
        self._arena_size()
        self._release()
        self._threads()

    def header(self) -> str:
        names = [v.name for v in self.prepared.graph.inputs]
        inputs = [f"{dtype} ({', '.join('*' if s is None else str(s) for s in sizes)})" + (f"  {n}" if n else "")
                  for (dtype, sizes), n in zip(self.inputs, names)]
        return abi.header(self.name, __version__, inputs, self.outputs)

    # -- small functions ---------------------------------------------------------------------

    def _function(self, suffix: str, ret: ir.Type, args: Sequence[ir.Type]) -> Tuple[ir.Function, ir.IRBuilder]:
        fn = ir.Function(self.module, ir.FunctionType(ret, list(args)), f"{self.name}_{suffix}")
        irb = ir.IRBuilder(fn.append_basic_block("entry"))
        self.em.irb = irb
        return fn, irb

    def _constants(self) -> None:
        em = self.em
        for suffix, number in (("abi_version", abi.ABI_VERSION), ("num_inputs", len(self.inputs))):
            _, irb = self._function(suffix, I32, [])
            irb.ret(ir.Constant(I32, number))
        _, irb = self._function("num_outputs", I32, [])
        self.num_outputs_at = irb  # the count is known once the plan walk has seen the outputs
        _, irb = self._function("version", I8P, [])
        irb.ret(em.string(f"minitorch_jit {__version__}"))
        _, irb = self._function("last_error", I8P, [])
        irb.ret(irb.bitcast(em.errors, I8P))

    def _arena_globals(self) -> None:
        self.arena = ir.GlobalVariable(self.module, I8P, f"{self.name}.arena")
        self.arena.initializer = ir.Constant(I8P, None)
        self.arena.linkage = "internal"
        self.capacity = ir.GlobalVariable(self.module, I64, f"{self.name}.capacity")
        self.capacity.initializer = ir.Constant(I64, 0)
        self.capacity.linkage = "internal"
        self.malloc = ir.Function(self.module, ir.FunctionType(I8P, [I64, I64]), "aligned_alloc")
        self.free = ir.Function(self.module, ir.FunctionType(ir.VoidType(), [I8P]), "free")

    def _threads(self) -> None:
        fn, irb = self._function("set_num_threads", I32, [I32])
        count = fn.args[0]
        self.em.check(irb.and_(irb.icmp_signed(">=", count, ir.Constant(I32, 1)),
                               irb.icmp_signed("<=", count, ir.Constant(I32, MAX_THREADS))), "MTJ_ERR_VALUE",
                      f"a thread count of %d: give 1 to {MAX_THREADS}", count)
        irb.store(count, threads_global(self.module))
        irb.ret(ir.Constant(I32, 0))
        _, irb = self._function("num_threads", I32, [])
        irb.ret(irb.load(threads_global(self.module)))

    def _release(self) -> None:
        _, irb = self._function("release", ir.VoidType(), [])
        irb.call(self.free, [irb.load(self.arena)])
        irb.store(ir.Constant(I8P, None), self.arena)
        irb.store(ir.Constant(I64, 0), self.capacity)
        irb.ret_void()

    # -- reading descriptors -----------------------------------------------------------------

    def _read_inputs(self, ptr: ir.Value, count: ir.Value, with_data: bool) -> List[RT]:
        em, irb = self.em, self.em.irb
        em.check(irb.icmp_unsigned("!=", ptr, ir.Constant(TP, None)), "MTJ_ERR_NULL", "inputs is NULL")
        em.check(irb.icmp_signed("==", count, ir.Constant(I64, len(self.inputs))), "MTJ_ERR_COUNT",
                 f"the model takes {len(self.inputs)} inputs, got %lld", count)
        result = []
        for i, ((dtype, declared), v) in enumerate(zip(self.inputs, self.prepared.graph.inputs)):
            em.where = f"input {i} ({v.name})" if v.name else f"input {i}"
            desc = irb.gep(ptr, [ir.Constant(I64, i)])
            rt = self._read(desc, dtype, len(declared), with_data, "input")
            for d, s in enumerate(declared):
                if s is not None:
                    em.check(eq(irb, rt.sizes[d], s), "MTJ_ERR_SIZE",
                             f"size %lld at dimension {d}, the model takes {s}", rt.sizes[d])
                    rt.sizes[d] = s  # known from here on: the sizes computed from it fold
            rt.strides = contiguous_strides(irb, rt.sizes)
            result.append(rt)
        em.where = ""
        return result

    def _field(self, desc: ir.Value, index: int, *more: int) -> ir.Value:
        irb = self.em.irb
        return irb.gep(desc, [ir.Constant(I32, 0), ir.Constant(I32, index), *[ir.Constant(I32, m) for m in more]])

    def _read(self, desc: ir.Value, dtype: str, rank: int, with_data: bool, what: str) -> RT:
        """Check one descriptor against the dtype and rank the model has there; its sizes
        (and, ``with_data``, its data pointer, non-null unless empty, and C order)."""
        em, irb = self.em, self.em.irb
        code = irb.load(self._field(desc, abi.DTYPE))
        em.check(irb.icmp_signed("==", code, ir.Constant(I32, abi.DTYPES[dtype])), "MTJ_ERR_DTYPE",
                 f"dtype code %d, the model has {dtype} ({abi.DTYPES[dtype]}) here", code)
        got = irb.load(self._field(desc, abi.RANK))
        em.check(irb.icmp_signed("==", got, ir.Constant(I32, rank)), "MTJ_ERR_RANK",
                 f"rank %d, the model has rank {rank} here", got)
        sizes = [irb.load(self._field(desc, abi.SIZES, d)) for d in range(rank)]
        for d, s in enumerate(sizes):
            em.check(irb.icmp_signed(">=", s, ir.Constant(I64, 0)), "MTJ_ERR_SIZE",
                     f"a negative size (%lld) at dimension {d}", s)
        rt = RT(dtype, list(sizes), contiguous_strides(irb, sizes))
        if with_data:
            data = irb.load(self._field(desc, abi.DATA))
            empty = irb.icmp_signed("==", value(irb, product(irb, sizes)), ir.Constant(I64, 0))
            em.check(irb.or_(empty, irb.icmp_unsigned("!=", data, ir.Constant(I8P, None))), "MTJ_ERR_NULL",
                     f"the {what}'s data is NULL")
            for d in range(rank):
                stride = irb.load(self._field(desc, abi.STRIDES, d))
                ok = irb.or_(irb.or_(irb.icmp_signed("==", stride, value(irb, rt.strides[d])), empty),
                             irb.icmp_signed("<=", sizes[d], ir.Constant(I64, 1)))
                em.check(ok, "MTJ_ERR_LAYOUT", f"stride %lld at dimension {d}: the {what} must be C-contiguous",
                         stride)
            rt.ptr = irb.bitcast(data, MEMORY[dtype].as_pointer())
        return rt

    def _plan(self, ptr: ir.Value, count: ir.Value, with_data: bool) -> Tuple[List[RT], List[RT]]:
        em = self.em
        em.begin_walk(running=False)
        inputs = self._read_inputs(ptr, count, with_data)
        outputs = walk(em, self.prepared, inputs)
        if self.num_outputs_at is not None:
            self.num_outputs_at.ret(ir.Constant(I32, len(outputs)))
            self.num_outputs_at = None
        return inputs, outputs

    def _check_outputs(self, ptr: ir.Value, count: ir.Value, n: int) -> None:
        em, irb = self.em, self.em.irb
        em.check(irb.icmp_unsigned("!=", ptr, ir.Constant(TP, None)), "MTJ_ERR_NULL", "outputs is NULL")
        em.check(irb.icmp_signed("==", count, ir.Constant(I64, n)), "MTJ_ERR_COUNT",
                 f"the model has {n} outputs, got %lld", count)

    # -- the C functions that walk the graph -------------------------------------------------

    def _output_shapes(self) -> None:
        fn, irb = self._function("output_shapes", I32, [TP, I64, TP, I64])
        inputs, count, out, out_count = fn.args
        _, outputs = self._plan(inputs, count, with_data=False)
        self._check_outputs(out, out_count, len(outputs))
        for k, o in enumerate(outputs):
            desc = irb.gep(out, [ir.Constant(I64, k)])
            irb.store(ir.Constant(I32, abi.DTYPES[o.dtype]), self._field(desc, abi.DTYPE))
            irb.store(ir.Constant(I32, o.rank), self._field(desc, abi.RANK))
            for d, (s, st) in enumerate(zip(o.sizes, contiguous_strides(irb, o.sizes))):
                irb.store(value(irb, s), self._field(desc, abi.SIZES, d))
                irb.store(value(irb, st), self._field(desc, abi.STRIDES, d))
        irb.ret(ir.Constant(I32, 0))

    def _arena_size(self) -> None:
        fn, irb = self._function("arena_size", I32, [TP, I64, I64.as_pointer()])
        inputs, count, out = fn.args
        _, outputs = self._plan(inputs, count, with_data=False)
        self.em.check(irb.icmp_unsigned("!=", out, ir.Constant(I64.as_pointer(), None)), "MTJ_ERR_NULL",
                      "bytes is NULL")
        irb.store(self.em.layout(self._direct(outputs)).total, out)
        irb.ret(ir.Constant(I32, 0))

    @staticmethod
    def _direct(outputs: Sequence[RT]) -> List[int]:
        """The buffers written straight into the caller's outputs: whole buffers returned once."""
        seen: List[int] = []
        for o in outputs:
            if o.buffer is not None and not o.view and o.buffer not in seen:
                seen.append(o.buffer)
        return seen

    def _forward(self) -> None:
        em = self.em
        fn, irb = self._function("forward", I32, [TP, I64, TP, I64, I8P, I64])
        inputs_ptr, count, out, out_count, arena, arena_bytes = fn.args
        inputs, outputs = self._plan(inputs_ptr, count, with_data=True)
        direct = self._direct(outputs)
        self._check_outputs(out, out_count, len(outputs))
        out_data = []
        for k, o in enumerate(outputs):
            em.where = f"output {k}"
            got = self._read(irb.gep(out, [ir.Constant(I64, k)]), o.dtype, o.rank, True, "output")
            for d, (s, want) in enumerate(zip(got.sizes, o.sizes)):
                em.check(eq(irb, s, want), "MTJ_ERR_SIZE", f"size %lld at dimension {d}, the output has %lld",
                         s, want)
            out_data.append(got.ptr)
        em.where = ""
        layout = em.layout(direct)
        base = self._arena(arena, arena_bytes, layout)
        ptrs: List[Any] = [None] * len(em.buffer_bytes)
        for k, offset in layout.offsets.items():
            ptrs[k] = irb.gep(base, [offset])
        for o, data in zip(outputs, out_data):
            if o.buffer in direct and ptrs[o.buffer] is None:
                ptrs[o.buffer] = irb.bitcast(data, I8P)
        em.begin_walk(running=True, buffer_ptrs=ptrs)
        results = walk(em, self.prepared, inputs)
        written: Dict[int, int] = {}
        for k, o in enumerate(outputs):
            if o.buffer in direct:
                written.setdefault(o.buffer, k)
        for k, (o, r, data) in enumerate(zip(outputs, results, out_data)):
            if o.buffer is None or written.get(o.buffer) != k:
                copy_into(em, r, data)
        irb.ret(ir.Constant(I32, 0))
        self.outputs = [f"{o.dtype} ({', '.join(str(s) if isinstance(s, int) else '*' for s in o.sizes)})"
                        for o in outputs]

    def _arena(self, arena: ir.Value, arena_bytes: ir.Value, layout: Layout) -> ir.Value:
        """The caller's arena, checked, or the library's own, grown to the size needed."""
        em, irb = self.em, self.em.irb
        need = layout.total
        own = irb.icmp_unsigned("==", arena, ir.Constant(I8P, None))
        with irb.if_then(irb.and_(own, irb.icmp_signed(">", need, irb.load(self.capacity)))):
            irb.call(self.free, [irb.load(self.arena)])
            fresh = irb.call(self.malloc, [ir.Constant(I64, 64), need])
            irb.store(fresh, self.arena)
            irb.store(irb.select(irb.icmp_unsigned("==", fresh, ir.Constant(I8P, None)), ir.Constant(I64, 0), need),
                      self.capacity)
            em.check(irb.icmp_unsigned("!=", fresh, ir.Constant(I8P, None)), "MTJ_ERR_MEMORY",
                     "cannot allocate an arena of %lld bytes", need)
        with irb.if_then(irb.not_(own)):
            em.check(irb.icmp_signed(">=", arena_bytes, need), "MTJ_ERR_ARENA",
                     "an arena of %lld bytes, the call needs %lld", arena_bytes, need)
            aligned = irb.icmp_signed("==", irb.and_(irb.ptrtoint(arena, I64), ir.Constant(I64, 63)),
                                      ir.Constant(I64, 0))
            em.check(aligned, "MTJ_ERR_ARENA", "the arena is not aligned to 64 bytes")
        return irb.select(own, irb.load(self.arena), arena)


def compile_library(library: Library, so_path: str) -> None:
    """Optimize the module for the host CPU, emit an object file and link it with ``cc``."""
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise ExportError("no C compiler (cc) to link the library with: set CC")
    obj = target.compile_object(str(library.module))
    with tempfile.TemporaryDirectory() as d:
        obj_path = os.path.join(d, f"{library.name}.o")
        with open(obj_path, "wb") as f:
            f.write(obj)
        done = subprocess.run([cc, "-shared", "-o", so_path, obj_path, "-lm"], capture_output=True, text=True)
    if done.returncode != 0:
        raise ExportError(f"linking {so_path} failed: {done.stderr.strip()}")

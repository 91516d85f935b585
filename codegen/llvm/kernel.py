"""A fusion group's subgraph, specialized on its inputs, as one LLVM module.

The entry point runs the group over a range [start, end) of the flat (C order) index of the
iteration space, so the launcher can split big outputs across threads::

    void mtj_kernel(PyTupleObject *arrays, i64 *layout)

``arrays`` holds the input arrays, then the output arrays, then (when the kernel takes
scalars or may report an error) an int64 "extra" array: [status, scalar0, scalar1, ...]. The
kernel reads each array's data pointer straight from the ndarray object, which saves the
launcher a ctypes conversion per array on every call. ``layout`` is
[start, end, shape[ndim], strides of each tensor operand[ndim]...], strides in elements, 0
along broadcast dimensions. (Two pointer arguments are the cheapest call ctypes makes.)

Rows of the innermost dimension run in an internal function whose pointer arguments are
``noalias`` (outputs are fresh arrays; inputs are only read) and whose inner strides are
constants when the specialization says they are 0 or 1: the loop vectorizer turns those
loops into vector code. Values of the subgraph are computed in registers, element by element;
nothing intermediate is stored.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, NamedTuple, Sequence, Tuple, Union

import llvmlite.binding as llvm
from llvmlite import ir

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Value, note_source
from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type

from .builder import F64, I1, I8, I32, I64, MEMORY, REGISTER, Builder, V
from .cache import SYMBOL
from .lowering import Context, Operand, lower_node, python_number

RUNTIME = -1  # an inner stride known only at run time


@dataclass(frozen=True)
class TensorArg:
    dtype: str
    zerodim: bool
    inner: int  # stride of the innermost dimension in elements: 0, 1 or RUNTIME


@dataclass(frozen=True)
class ScalarArg:
    dtype: str  # how the Python number is passed: int64, float64 or bool


Arg = Union[TensorArg, ScalarArg]


@dataclass(frozen=True)
class Spec:
    """Everything a compiled kernel assumes about a call: the rank of the (coalesced)
    iteration space, each input's dtype, whether it is 0-d (which matters to type
    promotion) and its inner stride, and each output's dtype and inner stride."""
    ndim: int
    inputs: Tuple[Arg, ...]
    outputs: Tuple[TensorArg, ...]

    @property
    def tensors(self) -> List[TensorArg]:
        return [a for a in self.inputs if isinstance(a, TensorArg)] + list(self.outputs)

    @property
    def scalars(self) -> List[ScalarArg]:
        return [a for a in self.inputs if isinstance(a, ScalarArg)]


@dataclass(frozen=True)
class ObjectLayout:
    """Byte offsets in CPython objects: the first item of a tuple; an ndarray's data pointer,
    rank (an int), pointers to its shape and strides, its dtype; any object's type (measured
    by the launcher at import)."""
    tuple_items: int
    array_data: int
    array_ndim: int
    array_shape: int
    array_strides: int
    array_dtype: int
    object_type: int


def infer_sizes(graph: Graph, input_types: Sequence[Type]) -> Dict[Value, Tuple[int, ...]]:
    """The sizes of every tensor value of ``graph`` for inputs of ``input_types``, by the
    registry's type rules (which raise PyTorch's error when shapes do not broadcast). The
    dtypes are the graph's own."""
    types: Dict[Value, Type] = dict(zip(graph.inputs, input_types))
    for node in graph.nodes:
        if node.kind == "prim::Constant":
            types[node.output] = node.output.type
            continue
        op = registry.node_op(node)
        consts = [v.constant if v.node.kind == "prim::Constant" else UNKNOWN for v in node.inputs]
        try:
            outs = op.output_types([types[v] for v in node.inputs], consts)
        except Exception as e:
            note_source(e, node.source)
            raise
        types.update(zip(node.outputs, outs))
    return {v: t.sizes for v, t in types.items() if isinstance(t, TensorType)}


class Built(NamedTuple):
    """A kernel's LLVM IR text (its entry point is named :data:`cache.SYMBOL`) and whether it
    takes the extra array (it has scalar inputs or may report a value error)."""
    text: str
    extra: bool


def build(graph: Graph, spec: Spec, layout: ObjectLayout) -> Built:
    """The kernel of ``graph`` specialized on ``spec``."""
    module = ir.Module(name="minitorch_jit_kernel")
    module.triple = llvm.get_process_triple()
    inner, cx = rows_function(module, graph, spec)
    extra = bool(spec.scalars) or not isinstance(cx.status.v, ir.Constant)
    _entry_function(module, inner, spec, layout, extra)
    return Built(str(module), extra)


def _ptr(dtype: str) -> ir.PointerType:
    return MEMORY[dtype].as_pointer()


def _scalar_type(a: ScalarArg) -> ir.Type:
    return REGISTER[a.dtype]


def rows_function(module: ir.Module, graph: Graph, spec: Spec, name: str = "mtj.rows") -> Tuple[ir.Function, Context]:
    """i32 rows(i64 n, T* noalias p..., i64 stride (runtime ones)..., scalars...): computes
    n elements along the innermost dimension and returns the status bits it raised. Also
    returns the context an element was computed with (which status bits it may raise, the
    math functions it calls). ``name`` lets several groups share a module (native export).

    The elements are computed by a loop that the vectorizer turns into vector code. When the
    group calls a math function whose IR covers only part of its range (sin and cos of huge
    arguments), that loop also notes whether an element was beyond it, and a row that had
    one is computed again by a second loop in which those elements call libm (a scalar loop:
    calls do not vectorize) and all others compute as in the first."""
    tensors = spec.tensors
    runtime = [i for i, t in enumerate(tensors) if t.inner == RUNTIME]
    arg_types = [I64] + [_ptr(t.dtype) for t in tensors] + [I64] * len(runtime) + \
        [_scalar_type(s) for s in spec.scalars]
    fn = ir.Function(module, ir.FunctionType(I32, arg_types), name)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    n = fn.args[0]
    ptrs = list(fn.args[1:1 + len(tensors)])
    for p in ptrs:
        p.add_attribute("noalias")
    strides: Dict[int, ir.Value] = dict(zip(runtime, fn.args[1 + len(tensors):1 + len(tensors) + len(runtime)]))
    scalar_args = list(fn.args[1 + len(tensors) + len(runtime):])
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    b = Builder(irb)

    def element(i: ir.Value, exact: bool) -> Context:
        def address(k: int) -> ir.Value:
            t = tensors[k]
            if t.inner == 0:
                return ptrs[k]
            offset = i if t.inner == 1 else irb.mul(i, strides[k])
            return irb.gep(ptrs[k], [offset])

        values: Dict[Value, Operand] = {}
        tensor_k, scalar_k = 0, 0
        for v, a in zip(graph.inputs, spec.inputs):
            if isinstance(a, TensorArg):
                tensor_k += 1
                if not v.uses:
                    continue
                x = irb.load(address(tensor_k - 1), align=1)
                if a.dtype == "bool":
                    x = irb.icmp_unsigned("!=", x, ir.Constant(I8, 0))
                values[v] = Operand(V(b, x), a.dtype, "zerodim" if a.zerodim else "dim")
            else:
                values[v] = Operand(V(b, scalar_args[scalar_k]), a.dtype, "scalar")
                scalar_k += 1

        cx = Context(b, exact)
        for node in graph.nodes:
            if node.kind == "prim::Constant":
                values[node.output] = constant_operand(b, node.output)
                continue
            ops = [values[v] for v in node.inputs]
            out_dtype = node.output.type.dtype  # the typed graph's (see launch.FusedKernel)
            zerodim = all(o.kind != "dim" for o in ops)
            result = lower_node(cx, registry.node_op(node).qualified_name, ops, out_dtype)
            values[node.output] = Operand(result, out_dtype, "zerodim" if zerodim else "dim")

        for k, (v, t) in enumerate(zip(graph.outputs, spec.outputs)):
            x = cx.cast(values[v], t.dtype).v
            if t.dtype == "bool":
                x = irb.zext(x, I8)
            irb.store(x, address(tensor_k + k), align=1)
        return cx

    status, beyond, cx = _counted_loop(irb, n, lambda i: element(i, exact=False), vector=True)
    if not isinstance(cx.beyond.v, ir.Constant):
        before = irb.block
        again, done = fn.append_basic_block("exact_row"), fn.append_basic_block("done")
        irb.cbranch(beyond, again, done)
        irb.position_at_end(again)
        again_status = irb.or_(status, _counted_loop(irb, n, lambda i: element(i, exact=True), vector=False)[0])
        again_end = irb.block
        irb.branch(done)
        irb.position_at_end(done)
        merged = irb.phi(I32)
        merged.add_incoming(status, before)
        merged.add_incoming(again_status, again_end)
        status = merged
    irb.ret(status)
    return fn, cx


def interleave_count(cx: Context) -> int:
    """How many vector iterations the vectorizer should keep in flight for a loop whose body
    computed with ``cx``. LLVM's own choice is one for our loop bodies (they are long); four
    pays where the body calls math functions, whose long dependency chains leave the FMA
    units idle: 1.08-1.3x on exp, sigmoid, GELU and the LSTM cell's pointwise part, on one
    thread at 16K-256K elements (zmm registers, AMD EPYC). Loops of loads, stores and a few
    arithmetic ops gained nothing (the triad, ``x * x`` five times: 0.99-1.02x; ratio_iou
    1.05x) and keep LLVM's choice."""
    return 4 if cx.math_calls and INTERLEAVE else 1


INTERLEAVE = True  # off inside ``interleaving(False)``


@contextlib.contextmanager
def interleaving(enabled: bool) -> Iterator[None]:
    """Kernels built inside the block carry interleave hints (or not: LLVM's own choice, as
    minitorch_jit 0.1.0 built them, which the bench measures against)."""
    global INTERLEAVE
    saved, INTERLEAVE = INTERLEAVE, enabled
    try:
        yield
    finally:
        INTERLEAVE = saved


def loop_hints(module: ir.Module, **hints: int) -> ir.MDValue:
    """Loop metadata giving the vectorizer ``hints`` (``interleave_count=4`` is
    ``llvm.loop.interleave.count``; a loop ID refers to itself first, as LLVM requires)."""
    loop_id = module.add_metadata([ir.MetaDataString(module, "mtj.loop")])
    loop_id.operands = (loop_id, *[
        module.add_metadata([ir.MetaDataString(module, "llvm.loop." + name.replace("_", ".")), ir.Constant(I32, v)])
        for name, v in hints.items()])
    return loop_id


def _counted_loop(irb: ir.IRBuilder, n: ir.Value, body: Callable[[ir.Value], Context],
                  vector: bool) -> Tuple[ir.Value, ir.Value, Context]:
    """``for i in range(n): body(i)``, leaving the builder after the loop. Returns the status
    bits and the "beyond reach" flag of the elements OR-ed over the loop (0 when n <= 0),
    and the context of the body. A ``vector`` loop (the one the vectorizer is meant for)
    carries the interleave hint of :func:`interleave_count`."""
    fn = irb.function
    before = irb.block
    loop, after = fn.append_basic_block("loop"), fn.append_basic_block("after")
    irb.cbranch(irb.icmp_signed(">", n, ir.Constant(I64, 0)), loop, after)
    irb.position_at_end(loop)
    i = irb.phi(I64, "i")
    status = irb.phi(I32, "status")
    beyond = irb.phi(I1, "beyond")
    cx = body(i)
    next_status = irb.or_(status, cx.status.v)
    next_beyond = irb.or_(beyond, cx.beyond.v)
    next_i = irb.add(i, ir.Constant(I64, 1))
    end = irb.block
    for phi, first, following in ((i, ir.Constant(I64, 0), next_i), (status, ir.Constant(I32, 0), next_status),
                                  (beyond, ir.Constant(I1, 0), next_beyond)):
        phi.add_incoming(first, before)
        phi.add_incoming(following, end)
    back = irb.cbranch(irb.icmp_signed("<", next_i, n), loop, after)
    count = interleave_count(cx) if vector else 1
    if count > 1:
        back.set_metadata("llvm.loop", loop_hints(irb.module, interleave_count=count))
    irb.position_at_end(after)
    totals = []
    for t, last in ((I32, next_status), (I1, next_beyond)):
        total = irb.phi(t)
        total.add_incoming(ir.Constant(t, 0), before)
        total.add_incoming(last, end)
        totals.append(total)
    return totals[0], totals[1], cx


def constant_operand(b: Builder, v: Value) -> Operand:
    c = v.constant
    if c is None:
        return Operand(None, None, "none", None)
    if isinstance(c, str):
        return Operand(None, None, "str", c)
    dtype = "bool" if isinstance(c, bool) else "int64" if isinstance(c, int) else "float64"
    # the register holds the number as numpy would pass it (ints wrapped to 64 bits); lowerings
    # that need the exact Python number (comparisons beyond int64) read ``const``
    return Operand(b.c(REGISTER[dtype], python_number(c, dtype)), dtype, "scalar", c)


def data_pointer(irb: ir.IRBuilder, arrays: ir.Value, layout: ObjectLayout, k: int, t: ir.Type) -> ir.Value:
    """The data pointer (as a ``t``) of the ndarray at item ``k`` of the tuple ``arrays``."""
    i8p = I8.as_pointer()
    item = irb.gep(arrays, [ir.Constant(I64, layout.tuple_items + 8 * k)])
    obj = irb.load(irb.bitcast(item, i8p.as_pointer()))
    data = irb.load(irb.bitcast(irb.gep(obj, [ir.Constant(I64, layout.array_data)]), i8p.as_pointer()))
    return irb.bitcast(data, t)


def scalar_values(irb: ir.IRBuilder, arrays: ir.Value, layout: ObjectLayout, spec: Spec) -> List[ir.Value]:
    """The kernel's scalar arguments, read from the extra array (the item after the tensors):
    [status, scalar0, scalar1, ...], each an int64 word."""
    if not spec.scalars:
        return []
    extra = data_pointer(irb, arrays, layout, len(spec.tensors), I64.as_pointer())
    values = []
    for s_k, s in enumerate(spec.scalars):
        raw = irb.load(irb.gep(extra, [ir.Constant(I64, 1 + s_k)]))
        if s.dtype == "float64":
            raw = irb.bitcast(raw, F64)
        elif s.dtype == "bool":
            raw = irb.icmp_unsigned("!=", raw, ir.Constant(I64, 0))
        values.append(raw)
    return values


def _entry_function(module: ir.Module, inner: ir.Function, spec: Spec, layout: ObjectLayout,
                    has_extra: bool) -> None:
    tensors = spec.tensors
    ndim = spec.ndim
    i8p = I8.as_pointer()
    fn = ir.Function(module, ir.FunctionType(I32, [i8p, I64.as_pointer()]), SYMBOL)
    arrays, buf = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    check_layout(irb, arrays, buf, 2 + ndim + ndim * len(tensors), len(spec.tensors) - len(spec.outputs), layout)

    def word(k: int) -> ir.Value:
        return irb.load(irb.gep(buf, [ir.Constant(I64, 2 + k)]))

    start = irb.load(buf)
    end = irb.load(irb.gep(buf, [ir.Constant(I64, 1)]))

    ptrs = [data_pointer(irb, arrays, layout, k, _ptr(t.dtype)) for k, t in enumerate(tensors)]
    extra = data_pointer(irb, arrays, layout, len(tensors), I64.as_pointer()) if has_extra else None
    shape = [word(d) for d in range(ndim)]
    strides = [[word(ndim + k * ndim + d) for d in range(ndim)] for k in range(len(tensors))]
    scalars = scalar_values(irb, arrays, layout, spec)
    runtime = [strides[k][ndim - 1] for k, t in enumerate(tensors) if t.inner == RUNTIME]

    def call_rows(count: ir.Value, offsets: List[ir.Value]) -> ir.Value:
        args = [count] + [irb.gep(p, [o]) for p, o in zip(ptrs, offsets)] + runtime + scalars
        return irb.call(inner, args)

    status_slot = irb.alloca(I32)
    irb.store(ir.Constant(I32, 0), status_slot)
    remaining_slot = irb.alloca(I64)
    irb.store(irb.sub(end, start), remaining_slot)
    if ndim == 1:
        irb.store(call_rows(irb.sub(end, start), [irb.mul(start, st[0]) for st in strides]), status_slot)
    else:
        # the multi-index of `start`, then one call per row of the innermost dimension
        idx = [irb.alloca(I64) for _ in range(ndim)]
        rest = start
        for d in reversed(range(ndim)):
            irb.store(irb.urem(rest, shape[d]), idx[d])
            rest = irb.udiv(rest, shape[d])
        loop = fn.append_basic_block("rows")
        done = fn.append_basic_block("done")
        irb.branch(loop)
        irb.position_at_end(loop)
        cur = [irb.load(p) for p in idx]
        remaining = irb.load(remaining_slot)
        left_in_row = irb.sub(shape[-1], cur[-1])
        count = irb.select(irb.icmp_signed("<", left_in_row, remaining), left_in_row, remaining)
        offsets = []
        for st in strides:
            off = ir.Constant(I64, 0)
            for d in range(ndim):
                off = irb.add(off, irb.mul(cur[d], st[d]))
            offsets.append(off)
        irb.store(irb.or_(irb.load(status_slot), call_rows(count, offsets)), status_slot)
        remaining = irb.sub(remaining, count)
        irb.store(remaining, remaining_slot)
        irb.store(ir.Constant(I64, 0), idx[-1])
        carry = ir.Constant(I64, 1)
        for d in reversed(range(ndim - 1)):  # odometer: advance the outer index by one row
            v = irb.add(cur[d], carry)
            wrap = irb.icmp_signed("==", v, shape[d])
            irb.store(irb.select(wrap, ir.Constant(I64, 0), v), idx[d])
            carry = irb.zext(wrap, I64)
        irb.cbranch(irb.icmp_signed(">", remaining, ir.Constant(I64, 0)), loop, done)
        irb.position_at_end(done)
    status = irb.load(status_slot)
    if extra is not None:
        irb.atomic_rmw("or", extra, irb.zext(status, I64), "monotonic")
    irb.ret(ir.Constant(I32, 0))


def check_layout(irb: ir.IRBuilder, arrays: ir.Value, buf: ir.Value, at: int, n_inputs: int,
                  layout: ObjectLayout) -> None:
    """When word ``at`` of the layout is nonzero, compare the input arrays with the layout
    they are expected to have and return 1 at once if one differs. The words from ``at + 1``
    hold, for each input: its rank n, the addresses of its type (ndarray) and dtype, its n
    sizes and n strides in bytes. Leaves the builder where the kernel's work starts.

    This is how a call that assumes the layout of the previous call (the executor's fast
    path) learns cheaply that it may: numpy exposes these fields to C, and so to us."""
    fn = irb.function
    i8p = I8.as_pointer()
    work, miss = fn.append_basic_block("work"), fn.append_basic_block("layout_differs")
    check = irb.load(irb.gep(buf, [ir.Constant(I64, at)]))
    first = fn.append_basic_block("check")
    irb.cbranch(irb.icmp_signed("!=", check, ir.Constant(I64, 0)), first, work)
    irb.position_at_end(first)

    def field(obj: ir.Value, offset: int, t: ir.Type) -> ir.Value:
        return irb.load(irb.bitcast(irb.gep(obj, [ir.Constant(I64, offset)]), t.as_pointer()))

    def expected(k: ir.Value) -> ir.Value:
        return irb.load(irb.gep(buf, [k]))

    off: ir.Value = ir.Constant(I64, at + 1)
    for k in range(n_inputs):
        item = irb.gep(arrays, [ir.Constant(I64, layout.tuple_items + 8 * k)])
        obj = irb.load(irb.bitcast(item, i8p.as_pointer()))
        rank = expected(off)
        same_type = irb.icmp_signed("==", field(obj, layout.object_type, I64),
                                    expected(irb.add(off, ir.Constant(I64, 1))))
        header = fn.append_basic_block(f"array{k}")
        irb.cbranch(same_type, header, miss)
        irb.position_at_end(header)
        same = irb.and_(irb.icmp_signed("==", irb.sext(field(obj, layout.array_ndim, I32), I64), rank),
                        irb.icmp_signed("==", field(obj, layout.array_dtype, I64),
                                        expected(irb.add(off, ir.Constant(I64, 2)))))
        base = irb.add(off, ir.Constant(I64, 3))
        sizes = irb.bitcast(field(obj, layout.array_shape, i8p), I64.as_pointer())
        strides = irb.bitcast(field(obj, layout.array_strides, i8p), I64.as_pointer())
        loop, after = fn.append_basic_block(f"array{k}_dims"), fn.append_basic_block(f"array{k}_done")
        before = irb.block
        irb.cbranch(irb.and_(same, irb.icmp_signed(">", rank, ir.Constant(I64, 0))), loop, after)
        irb.position_at_end(loop)
        d = irb.phi(I64)
        d.add_incoming(ir.Constant(I64, 0), before)
        dim_ok = irb.icmp_signed("==", irb.load(irb.gep(sizes, [d])), expected(irb.add(base, d)))
        stride_ok = irb.icmp_signed("==", irb.load(irb.gep(strides, [d])),
                                    expected(irb.add(irb.add(base, rank), d)))
        next_d = irb.add(d, ir.Constant(I64, 1))
        go_on = fn.append_basic_block(f"array{k}_next_dim")
        irb.cbranch(irb.and_(dim_ok, stride_ok), go_on, miss)
        irb.position_at_end(go_on)
        irb.cbranch(irb.icmp_signed("<", next_d, rank), loop, after)
        d.add_incoming(next_d, go_on)
        irb.position_at_end(after)
        # reached with every dim checked, or from the header: then `same` decides
        from_header = irb.phi(I1)
        from_header.add_incoming(same, before)
        from_header.add_incoming(ir.Constant(I1, 1), go_on)
        next_input = fn.append_basic_block(f"array{k}_ok")
        irb.cbranch(from_header, next_input, miss)
        irb.position_at_end(next_input)
        off = irb.add(base, irb.add(rank, rank))
    irb.branch(work)
    irb.position_at_end(miss)
    irb.ret(ir.Constant(I32, 1))
    irb.position_at_end(work)

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
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

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
    stream: bool = False  # an output stored around the caches (row kernels: row_kernel.store_rows)
    cols: int = 1  # blocked kernels: the stride of the columns, 0 or 1 (block_kernel.py)


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
    blocked: bool = False  # a blocked reduction kernel's (block_kernel.py), not a row kernel's

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
    """A kernel's LLVM IR text (its entry point is named :data:`cache.SYMBOL`), whether it
    takes the extra array (it has scalar inputs or may report a value error), and whether it
    may be given wrapped arrays (see :func:`check_layout`)."""
    text: str
    extra: bool
    wrapped: bool = False


def build(graph: Graph, spec: Spec, layout: ObjectLayout) -> Built:
    """The kernel of ``graph`` specialized on ``spec``."""
    module = ir.Module(name="minitorch_jit_kernel")
    module.triple = llvm.get_process_triple()
    inner, cx = rows_function(module, graph, spec)
    extra = bool(spec.scalars) or not isinstance(cx.status.v, ir.Constant)
    _entry_function(module, inner, spec, layout, extra)
    return Built(str(module), extra, wrapped=True)


def _ptr(dtype: str) -> ir.PointerType:
    return MEMORY[dtype].as_pointer()


def _scalar_type(a: ScalarArg) -> ir.Type:
    return REGISTER[a.dtype]


BLOCK = 2048  # elements the fast loop vouches for at once (a block it cannot is computed again)


def rows_function(module: ir.Module, graph: Graph, spec: Spec, name: str = "mtj.rows") -> Tuple[ir.Function, Context]:
    """i32 rows(i64 n, T* noalias p..., i64 stride (runtime ones)..., scalars...): computes
    n elements along the innermost dimension and returns the status bits it raised. Also
    returns the context an element of the fast loop was computed with (which status bits it
    may raise, the math functions it calls). ``name`` lets several groups share a module
    (native export).

    The elements are computed by a fast loop that the vectorizer turns into vector code.
    When that loop cannot vouch for every element (see lowering.Context: a max operand that
    may be NaN, sin of a huge argument), the row runs in blocks of :data:`BLOCK` elements, and
    a block the fast loop did not vouch for is computed again by the exact loop (in which sin
    and cos call libm for those elements: a scalar loop, since calls do not vectorize)."""
    tensors = spec.tensors
    n_runtime = sum(t.inner == RUNTIME for t in tensors)
    arg_types = [I64] + [_ptr(t.dtype) for t in tensors] + [I64] * n_runtime + \
        [_scalar_type(s) for s in spec.scalars]
    fast, cx = _elements_function(module, graph, spec, f"{name}.fast", arg_types[1:], exact=False)
    fn = ir.Function(module, ir.FunctionType(I32, arg_types), name)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    n, rest = fn.args[0], list(fn.args[1:])
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    zero = ir.Constant(I64, 0)
    if not cx.needs_exact:
        irb.ret(irb.extract_value(irb.call(fast, [zero, n] + rest), 0))
        return fn, cx
    exact, _ = _elements_function(module, graph, spec, f"{name}.exact", arg_types[1:], exact=True)
    entry = irb.block
    head, again, latch, done = (fn.append_basic_block(b) for b in ("block", "exact_block", "next_block", "done"))
    irb.cbranch(irb.icmp_signed(">", n, zero), head, done)
    irb.position_at_end(head)
    start, status = irb.phi(I64, "start"), irb.phi(I32, "status")
    end = irb.add(start, ir.Constant(I64, BLOCK))
    end = irb.select(irb.icmp_signed("<", end, n), end, n)
    first = irb.call(fast, [start, end] + rest)
    fast_status = irb.extract_value(first, 0)
    irb.cbranch(irb.extract_value(first, 1), again, latch)
    irb.position_at_end(again)
    exact_status = irb.extract_value(irb.call(exact, [start, end] + rest), 0)
    irb.branch(latch)
    irb.position_at_end(latch)
    block_status = irb.phi(I32)
    block_status.add_incoming(fast_status, head)
    block_status.add_incoming(exact_status, again)
    next_status = irb.or_(status, block_status)
    start.add_incoming(zero, entry)
    start.add_incoming(end, latch)
    status.add_incoming(ir.Constant(I32, 0), entry)
    status.add_incoming(next_status, latch)
    irb.cbranch(irb.icmp_signed("<", end, n), head, done)
    irb.position_at_end(done)
    result = irb.phi(I32)
    result.add_incoming(ir.Constant(I32, 0), entry)
    result.add_incoming(next_status, latch)
    irb.ret(result)
    return fn, cx


_ELEMENTS_RESULT = ir.LiteralStructType([I32, I1])


def _elements_function(module: ir.Module, graph: Graph, spec: Spec, name: str, arg_types: List[ir.Type],
                       exact: bool) -> Tuple[ir.Function, Context]:
    """{i32 status, i1 redo} elements(i64 start, i64 end, T* noalias p..., i64 stride (runtime
    ones)..., scalars...): computes elements [start, end) of the row, in one loop; ``redo``
    says that one of them must be computed again by the ``exact`` form (never for that form)."""
    tensors = spec.tensors
    fn = ir.Function(module, ir.FunctionType(_ELEMENTS_RESULT, [I64, I64] + arg_types), name)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    start, end = fn.args[:2]
    ptrs = list(fn.args[2:2 + len(tensors)])
    for p in ptrs:
        p.add_attribute("noalias")
    runtime = [i for i, t in enumerate(tensors) if t.inner == RUNTIME]
    strides: Dict[int, ir.Value] = dict(zip(runtime, fn.args[2 + len(tensors):2 + len(tensors) + len(runtime)]))
    scalar_args = list(fn.args[2 + len(tensors) + len(runtime):])
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    b = Builder(irb)

    def element(i: ir.Value) -> Context:
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

    status, redo, cx = _counted_loop(irb, start, end, element, vector=not exact)
    result = irb.insert_value(irb.insert_value(ir.Constant(_ELEMENTS_RESULT, ir.Undefined), status, 0), redo, 1)
    irb.ret(result)
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
    # a name of its own: llvmlite returns the existing node for equal operands, and two loops
    # sharing one ID would share (the last set of) hints (a row kernel's whole-block loop lost
    # its interleave to its tail loop's predication)
    loop_id = module.add_metadata([ir.MetaDataString(module, f"mtj.loop.{len(module.metadata)}")])
    loop_id.operands = (loop_id, *[
        module.add_metadata([ir.MetaDataString(module, "llvm.loop." + name.replace("_", ".")), ir.Constant(I32, v)])
        for name, v in hints.items()])
    return loop_id


def _counted_loop(irb: ir.IRBuilder, start: ir.Value, end: ir.Value, body: Callable[[ir.Value], Context],
                  vector: bool) -> Tuple[ir.Value, ir.Value, Context]:
    """``for i in range(start, end): body(i)``, leaving the builder after the loop. Returns the
    status bits of the elements OR-ed over the loop, whether one must be computed again (it
    was beyond reach, or a value the body watches for NaN was one), both 0 when the loop is
    empty, and the context of the body. A ``vector`` loop (the one the vectorizer is meant
    for) carries the interleave hint of :func:`interleave_count`."""
    fn = irb.function
    before = irb.block
    loop, after = fn.append_basic_block("loop"), fn.append_basic_block("after")
    irb.cbranch(irb.icmp_signed("<", start, end), loop, after)
    irb.position_at_end(loop)
    i = irb.phi(I64, "i")
    status = irb.phi(I32, "status")
    beyond = irb.phi(I1, "beyond")
    cx = body(i)
    carried = [(i, start, irb.add(i, ir.Constant(I64, 1))), (status, ir.Constant(I32, 0), irb.or_(status, cx.status.v)),
               (beyond, ir.Constant(I1, 0), irb.or_(beyond, cx.beyond.v))]
    body_end = irb.block
    # A sum per float type of the watched values: NaN when one was NaN (or, rarely, when
    # infinities of both signs meet, which only costs a needless exact pass). Reassociable, so
    # the vectorizer keeps one partial sum per lane.
    sums: Dict[str, ir.Value] = {}
    for x in cx.watched:
        key = str(x.type)
        sums[key] = irb.fadd(sums[key], x.v) if key in sums else x.v
    for total in sums.values():
        irb.position_at_start(loop)
        acc = irb.phi(total.type, "watched")
        irb.position_at_end(body_end)
        carried.append((acc, ir.Constant(total.type, 0.0), irb.fadd(acc, total, flags=("reassoc",))))
    for phi, first, following in carried:
        phi.add_incoming(first, before)
        phi.add_incoming(following, body_end)
    back = irb.cbranch(irb.icmp_signed("<", carried[0][2], end), loop, after)
    count = interleave_count(cx) if vector else 1
    if count > 1:
        back.set_metadata("llvm.loop", loop_hints(irb.module, interleave_count=count))
    irb.position_at_end(after)
    totals = []
    for phi, first, following in carried[1:]:
        total = irb.phi(phi.type)
        total.add_incoming(first, before)
        total.add_incoming(following, body_end)
        totals.append(total)
    redo = totals[1]
    for total in totals[2:]:
        redo = irb.or_(redo, irb.fcmp_unordered("uno", total, total))
    return totals[0], redo, cx


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


def tuple_item(irb: ir.IRBuilder, arrays: ir.Value, layout: ObjectLayout, k: int) -> ir.Value:
    """Item ``k`` of the tuple ``arrays`` (an i8*)."""
    item = irb.gep(arrays, [ir.Constant(I64, layout.tuple_items + 8 * k)])
    return irb.load(irb.bitcast(item, I8.as_pointer().as_pointer()))


def data_pointer(irb: ir.IRBuilder, arrays: ir.Value, layout: ObjectLayout, k: int, t: ir.Type,
                 array: Optional[ir.Value] = None) -> ir.Value:
    """The data pointer (as a ``t``) of the ndarray at item ``k`` of the tuple ``arrays`` (or
    of ``array``, when given)."""
    obj = tuple_item(irb, arrays, layout, k) if array is None else array
    data = irb.load(irb.bitcast(irb.gep(obj, [ir.Constant(I64, layout.array_data)]), I8.as_pointer().as_pointer()))
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
    n_inputs = len(spec.tensors) - len(spec.outputs)
    inputs = check_layout(irb, arrays, buf, 2 + ndim + ndim * len(tensors), n_inputs, layout, wrapped=True)

    def word(k: int) -> ir.Value:
        return irb.load(irb.gep(buf, [ir.Constant(I64, 2 + k)]))

    start = irb.load(buf)
    end = irb.load(irb.gep(buf, [ir.Constant(I64, 1)]))

    ptrs = [data_pointer(irb, arrays, layout, k, _ptr(t.dtype), inputs[k] if k < n_inputs else None)
            for k, t in enumerate(tensors)]
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


# The words of a launch after its range, shape and strides: the flags of the call, then the
# wrapper type's address, the offsets of its array and requires-grad slots and the address of
# False (see check_layout), then the inputs' own layout.
CHECK, WRAPPED, NO_GRAD = 1, 2, 4
WRAPPER_WORDS = 4


def check_layout(irb: ir.IRBuilder, arrays: ir.Value, buf: ir.Value, at: int, n_inputs: int,
                 layout: ObjectLayout, wrapped: bool = False) -> List[ir.Value]:
    """Read the flags at word ``at`` of the layout. With :data:`CHECK`, compare the input
    arrays with the layout they are expected to have and return 1 at once if one differs.
    The words from ``at + 1 + WRAPPER_WORDS`` hold, for each input: its rank n, the
    addresses of its type (ndarray) and dtype, its n sizes and n strides in bytes. Leaves the
    builder where the kernel's work starts, and returns the input arrays (i8*) there.

    This is how a call that assumes the layout of the previous call (the executor's fast
    path) learns cheaply that it may: numpy exposes these fields to C, and so to us.

    With :data:`WRAPPED` too (only a kernel built ``wrapped`` accepts it), the inputs are the
    objects that wrap the arrays (Tensors): each must be of the wrapper type and, with
    :data:`NO_GRAD`, not require grad; its array is read from its slot. That spares the
    caller a Python pass over its arguments per call."""
    fn = irb.function
    i8p = I8.as_pointer()
    work, miss = fn.append_basic_block("work"), fn.append_basic_block("layout_differs")
    flags = irb.load(irb.gep(buf, [ir.Constant(I64, at)]))

    def flag(bit: int) -> ir.Value:
        return irb.icmp_signed("!=", irb.and_(flags, ir.Constant(I64, bit)), ir.Constant(I64, 0))

    def field(obj: ir.Value, offset: ir.Value, t: ir.Type) -> ir.Value:
        if isinstance(offset, int):
            offset = ir.Constant(I64, offset)
        return irb.load(irb.bitcast(irb.gep(obj, [offset]), t.as_pointer()))

    def expected(k: ir.Value) -> ir.Value:
        return irb.load(irb.gep(buf, [k]))

    slots = []
    for k in range(n_inputs):
        slots.append(irb.alloca(i8p))
        irb.store(tuple_item(irb, arrays, layout, k), slots[-1])
    first = fn.append_basic_block("check")
    irb.cbranch(flag(CHECK), first, work)
    irb.position_at_end(first)
    if wrapped:
        unwrap, arrays_given = fn.append_basic_block("unwrap"), fn.append_basic_block("arrays")
        irb.cbranch(flag(WRAPPED), unwrap, arrays_given)
        irb.position_at_end(unwrap)
        wrapper, array_slot, grad_slot, false = (expected(ir.Constant(I64, at + 1 + i)) for i in range(WRAPPER_WORDS))
        any_grad = irb.xor(flag(NO_GRAD), ir.Constant(I1, 1))
        for k, slot in enumerate(slots):
            obj = irb.load(slot)
            ok = irb.and_(irb.icmp_signed("==", field(obj, layout.object_type, I64), wrapper),
                          irb.or_(any_grad, irb.icmp_signed("==", field(obj, grad_slot, I64), false)))
            unwrapped = fn.append_basic_block(f"unwrapped{k}")
            irb.cbranch(ok, unwrapped, miss)
            irb.position_at_end(unwrapped)
            irb.store(field(obj, array_slot, i8p), slot)
        irb.branch(arrays_given)
        irb.position_at_end(arrays_given)
    else:
        arrays_given = fn.append_basic_block("arrays")
        irb.cbranch(flag(WRAPPED), miss, arrays_given)
        irb.position_at_end(arrays_given)

    off: ir.Value = ir.Constant(I64, at + 1 + WRAPPER_WORDS)
    for k, slot in enumerate(slots):
        obj = irb.load(slot)
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
    return [irb.load(slot) for slot in slots]

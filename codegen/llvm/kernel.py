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

from dataclasses import dataclass
from typing import Callable, Dict, List, NamedTuple, Sequence, Tuple, Union

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
    """Byte offsets in CPython objects: the first item of a tuple, the data pointer of an
    ndarray (measured by the launcher at import)."""
    tuple_items: int
    array_data: int


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
    takes the extra array (it has scalar inputs or may report a value error), and how many
    math functions (exp, tanh, ...) it calls per element: a measure of its cost."""
    text: str
    extra: bool
    math_calls: int


def build(graph: Graph, spec: Spec, layout: ObjectLayout) -> Built:
    """The kernel of ``graph`` specialized on ``spec``."""
    module = ir.Module(name="minitorch_jit_kernel")
    module.triple = llvm.get_process_triple()
    inner, cx = rows_function(module, graph, spec)
    extra = bool(spec.scalars) or not isinstance(cx.status.v, ir.Constant)
    _entry_function(module, inner, spec, layout, extra)
    return Built(str(module), extra, cx.math_calls)


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
                values[node.output] = _constant(b, node.output)
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

    status, beyond, cx = _counted_loop(irb, n, lambda i: element(i, exact=False))
    if not isinstance(cx.beyond.v, ir.Constant):
        before = irb.block
        again, done = fn.append_basic_block("exact_row"), fn.append_basic_block("done")
        irb.cbranch(beyond, again, done)
        irb.position_at_end(again)
        again_status = irb.or_(status, _counted_loop(irb, n, lambda i: element(i, exact=True))[0])
        again_end = irb.block
        irb.branch(done)
        irb.position_at_end(done)
        merged = irb.phi(I32)
        merged.add_incoming(status, before)
        merged.add_incoming(again_status, again_end)
        status = merged
    irb.ret(status)
    return fn, cx


def _counted_loop(irb: ir.IRBuilder, n: ir.Value,
                  body: Callable[[ir.Value], Context]) -> Tuple[ir.Value, ir.Value, Context]:
    """``for i in range(n): body(i)``, leaving the builder after the loop. Returns the status
    bits and the "beyond reach" flag of the elements OR-ed over the loop (0 when n <= 0),
    and the context of the body."""
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
    irb.cbranch(irb.icmp_signed("<", next_i, n), loop, after)
    irb.position_at_end(after)
    totals = []
    for t, last in ((I32, next_status), (I1, next_beyond)):
        total = irb.phi(t)
        total.add_incoming(ir.Constant(t, 0), before)
        total.add_incoming(last, end)
        totals.append(total)
    return totals[0], totals[1], cx


def _constant(b: Builder, v: Value) -> Operand:
    c = v.constant
    if c is None:
        return Operand(None, None, "none", None)
    if isinstance(c, str):
        return Operand(None, None, "str", c)
    dtype = "bool" if isinstance(c, bool) else "int64" if isinstance(c, int) else "float64"
    # the register holds the number as numpy would pass it (ints wrapped to 64 bits); lowerings
    # that need the exact Python number (comparisons beyond int64) read ``const``
    return Operand(b.c(REGISTER[dtype], python_number(c, dtype)), dtype, "scalar", c)


def _entry_function(module: ir.Module, inner: ir.Function, spec: Spec, layout: ObjectLayout,
                    has_extra: bool) -> None:
    tensors = spec.tensors
    scalars = spec.scalars
    ndim = spec.ndim
    i8p = I8.as_pointer()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [i8p, I64.as_pointer()]), SYMBOL)
    arrays, buf = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))

    def data_pointer(k: int, t: ir.Type) -> ir.Value:
        item = irb.gep(arrays, [ir.Constant(I64, layout.tuple_items + 8 * k)])
        obj = irb.load(irb.bitcast(item, i8p.as_pointer()))
        data = irb.load(irb.bitcast(irb.gep(obj, [ir.Constant(I64, layout.array_data)]), i8p.as_pointer()))
        return irb.bitcast(data, t)

    def word(k: int) -> ir.Value:
        return irb.load(irb.gep(buf, [ir.Constant(I64, 2 + k)]))

    start = irb.load(buf)
    end = irb.load(irb.gep(buf, [ir.Constant(I64, 1)]))

    ptrs = [data_pointer(k, _ptr(t.dtype)) for k, t in enumerate(tensors)]
    extra = data_pointer(len(tensors), I64.as_pointer()) if has_extra else None
    shape = [word(d) for d in range(ndim)]
    strides = [[word(ndim + k * ndim + d) for d in range(ndim)] for k in range(len(tensors))]
    scalar_values = []
    for s_k, s in enumerate(scalars):
        raw = irb.load(irb.gep(extra, [ir.Constant(I64, 1 + s_k)]))
        if s.dtype == "float64":
            raw = irb.bitcast(raw, F64)
        elif s.dtype == "bool":
            raw = irb.icmp_unsigned("!=", raw, ir.Constant(I64, 0))
        scalar_values.append(raw)
    runtime = [strides[k][ndim - 1] for k, t in enumerate(tensors) if t.inner == RUNTIME]

    def call_rows(count: ir.Value, offsets: List[ir.Value]) -> ir.Value:
        args = [count] + [irb.gep(p, [o]) for p, o in zip(ptrs, offsets)] + runtime + scalar_values
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
    irb.ret_void()

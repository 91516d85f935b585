"""Row kernels: a fusion group holding reductions over one dim (passes/
reduction_fusion.py), with the pointwise ops around them, as one LLVM module.

The iteration space is the group's rows: the sizes ``S`` of the reductions' input, with the
reduced dim moved last by the launcher (a permutation of strides: reductions over other dims
than the innermost would walk their rows with a stride, a form the fuser does not choose,
slower than eager), split into
``prod(S[:-1])`` rows of ``n = S[-1]`` elements. Each value of the group is a *row* value
(``n`` elements per row), a *per-row* value (one per row: a reduction's result, or pointwise
ops of such results) or *flat* (a reduction's result without keepdim). Per row, the kernel
runs one loop over the row for each reduction, in program order, computing the row values it
reads from the inputs (the row stays in cache, so recomputing a cheap producer costs less
than storing and reloading it), then one loop that stores the row values the group returns;
per-row values are computed once, between the loops. softmax is max; exp and sum; then
the kept exp times 1 / sum in the output loop. A call moving more than the last-level cache holds
(codegen/row_launch.py) writes its row output with non-temporal stores
(:meth:`_Row.store_streamed`). A reduction loop is a plain loop with one accumulator
(floating-point adds marked ``reassoc``): LLVM's loop vectorizer turns it into vector
accumulators and one horizontal reduction after the loop.

Accuracy: float32 values are summed in float64 (and mean's divide is done in float64), then
rounded once. With ``L`` vector lanes a row of ``n`` elements is summed as ``L`` sequential
float64 sums of ``n / L`` terms, then added together, and the rest of the row after the whole
vector blocks (fewer than ``4 L`` elements: at most 4 terms per lane) likewise onto that: the
error is at most
``(n / L + 2 log2 L + 4) * 2^-53 * sum|x_i|`` before the final rounding to float32, which adds
``2^-24 * |sum|``. For n = 10^7 that is below ``1.2e-9 * sum|x_i| + 6e-8 * |sum|``, where
numpy's pairwise float32 sum is bounded by about ``(log2(n / 8) + 8) * 2^-24 * sum|x_i|``,
``1.9e-6 * sum|x_i|``: the row kernel's float32 sums are at least as accurate. float64 sums
have the first term with ``2^-53`` as their only rounding (``(n / L) * 2^-53 * sum|x_i|``:
a sequential sum per lane, less accurate than numpy's pairwise one on very long rows). Integer
sums and products are exact (int64, wrapping as numpy's); max and min are exact and propagate
NaN as the eager kernels do.

Entry point (the pointwise kernels' ABI, :mod:`.kernel`)::

    void mtj_kernel(PyTupleObject *arrays, i64 *layout)

with ``layout`` = [first row, end row, n, S[:-1], then for each tensor (inputs, then outputs)
its element strides over ``S``: r - 1 outer ones and the inner one]. Inputs are broadcast to
``S`` (stride 0 where broadcast); outputs are fresh C-contiguous arrays, per-row ones with
inner stride 0.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import llvmlite.binding as llvm
from llvmlite import ir

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.registry import node_arg
from minitorch_jit.ir.types import TensorType, is_float

from . import mathlib, target
from .builder import F32, F64, I1, I8, I32, I64, MEMORY, REGISTER, Builder, V
from .cache import SYMBOL
from .kernel import (
    Built,
    ObjectLayout,
    ScalarArg,
    Spec,
    TensorArg,
    check_layout,
    constant_operand,
    data_pointer,
    loop_hints,
    scalar_values,
)
from .lowering import Context, Operand, lower_node

ROW, PER_ROW, FLAT = "row", "per-row", "flat"
# bytes of an element of the dtypes a row output may stream
ITEMSIZE = {"int32": 4, "float32": 4, "int64": 8, "float64": 8}
# vector iterations per block of a hinted reduction loop (the interleave; see _Row.reduce)
TAIL_BLOCKS = 4


def _dtype(v: Value) -> str:
    """The dtype of tensor value ``v`` (the fusers group tensors of known dtypes only)."""
    t = v.type
    assert isinstance(t, TensorType) and t.dtype is not None, t
    return t.dtype


def has_rows(graph: Graph) -> bool:
    """Whether ``graph`` (a fusion group's) holds ops that only row kernels compute."""
    return any(_row_op(n) for n in graph.nodes)


def _row_op(node: Node) -> bool:
    op = registry.node_op(node)
    return op is not None and op.row is not None


def rows_of(graph: Graph) -> Tuple[Value, Node]:
    """The value whose sizes are the group's rows (the first reduction's input), and that
    reduction."""
    node = next(n for n in graph.nodes if _row_op(n))
    return node.inputs[0], node


def reduced_dim(node: Node, rank: int) -> int:
    """The dim row op ``node`` reduces, of an input of ``rank`` (the fuser formed the group
    only for a constant single dim; layer_norm's is the last)."""
    op = registry.node_op(node)
    assert op is not None and op.row is not None
    if node.kind == "aten::layer_norm":
        return rank - 1
    dim = node_arg(node, op.row.dim)
    return (dim if isinstance(dim, int) else dim[0]) % rank


def classify(graph: Graph, inputs: Tuple[object, ...]) -> Dict[Value, str]:
    """The kind of each tensor value of ``graph`` for a call whose inputs are ``inputs``
    (``Spec.inputs``): tensor inputs are row values when their inner stride over the rows is
    not 0."""
    kinds: Dict[Value, str] = {}
    for v, a in zip(graph.inputs, inputs):
        if isinstance(a, TensorArg):
            kinds[v] = ROW if a.inner != 0 else PER_ROW
    for node in graph.nodes:
        op = registry.node_op(node)
        if op is None:
            continue
        if op.row is not None:
            kind = ROW if op.row.keepdim is None else PER_ROW if node_arg(node, op.row.keepdim) else FLAT
        else:
            kind = ROW if any(kinds.get(v) == ROW for v in node.inputs) else PER_ROW
        for o in node.outputs:
            kinds[o] = kind
    return kinds


def build(graph: Graph, spec: Spec, layout: ObjectLayout) -> Built:
    """The row kernel of ``graph`` specialized on ``spec`` (``spec.ndim`` is the rank of the
    rows ``S``)."""
    module = ir.Module(name="minitorch_jit_row_kernel")
    module.triple = llvm.get_process_triple()
    row = _Row(module, graph, spec)
    row.emit()
    _entry(module, row.fn, spec, layout)
    return Built(str(module), bool(spec.scalars))


class _Row:
    """The function computing one row: ``void rows(i64 n, T* noalias p..., i64 inner
    stride (runtime ones)..., scalars... [, T* scratch])``, its pointers offset to the row;
    the scratch row (n elements, on the stack) when the row output streams."""

    name = "mtj.row"
    leading = 1  # i64 arguments before the pointers: the row's length n

    def __init__(self, module: ir.Module, graph: Graph, spec: Spec):
        self.graph, self.spec = graph, spec
        tensors = spec.tensors
        self.runtime = [k for k, t in enumerate(tensors) if self.runtime_stride(t)]
        # the streamed output (the group's one row output, see store_rows), and its scratch row
        self.stream = next((k for k, t in enumerate(tensors) if t.stream), None)
        lead = self.leading
        arg_types = [I64] * lead + [MEMORY[t.dtype].as_pointer() for t in tensors] + [I64] * len(self.runtime) + \
            [REGISTER[s.dtype] for s in spec.scalars] + \
            ([MEMORY[tensors[self.stream].dtype].as_pointer()] if self.stream is not None else [])
        fn = self.fn = ir.Function(module, ir.FunctionType(ir.VoidType(), arg_types), self.name)
        fn.linkage = "internal"
        fn.attributes.add("alwaysinline")
        self.n = fn.args[0]
        self.ptrs = list(fn.args[lead:lead + len(tensors)])
        for p in self.ptrs:
            p.add_attribute("noalias")
        self.strides = dict(zip(self.runtime, fn.args[lead + len(tensors):lead + len(tensors) + len(self.runtime)]))
        first = lead + len(tensors) + len(self.runtime)
        self.scalar_args = list(fn.args[first:first + len(spec.scalars)])
        self.scratch = fn.args[-1] if self.stream is not None else None
        self.irb = ir.IRBuilder(fn.append_basic_block("entry"))
        self.b = Builder(self.irb)
        # sin and cos beyond their polynomial's reach call libm in place (no second loop)
        self.cx = Context(self.b, exact=True)
        self.kinds = classify(graph, spec.inputs)
        self.fixed: Dict[Value, Operand] = {}  # constants, scalars and per-row values
        self.memo: Dict[Value, Operand] = {}   # row values at the current element
        self.j: Optional[ir.Value] = None      # the current element, inside a loop
        self.state: Dict[Node, Tuple[V, ...]] = {}  # per-row results of row ops (softmax's max and sum)
        # Row outputs whose memory holds a row value between loops: one computed with math
        # functions in a reduction loop and read again by a later loop is stored there once
        # and loaded after (softmax's exp(x - max)), instead of computed twice. The output
        # loop loads every value before it stores any.
        self.free = [k for k, v in self.outputs() if self.kinds[v] == ROW]
        self.kept: Dict[object, Tuple[int, str, int]] = {}  # key -> (tensor, dtype, loop it was stored in)
        self.loop = 0
        self.reducing = False
        self.tensor_index = {}
        k = 0
        for v, a in zip(graph.inputs, spec.inputs):
            if isinstance(a, TensorArg):
                self.tensor_index[v] = k
                k += 1

    @staticmethod
    def recipes() -> Dict[str, "_RowOp"]:
        """How this kernel computes each row op."""
        return ROW_OPS

    @staticmethod
    def runtime_stride(t: TensorArg) -> bool:
        """Whether tensor ``t``'s stride along the row is an argument (not a constant 0 or 1)."""
        return t.inner not in (0, 1)

    @staticmethod
    def fixed_input(t: TensorArg) -> bool:
        """Whether tensor input ``t`` holds one value over the whole row (loaded once)."""
        return t.inner == 0

    # -- values ---------------------------------------------------------------------------
    def load(self, v: Value) -> Operand:
        k = self.tensor_index[v]
        a = self.spec.tensors[k]
        address = self.element(k)
        x = self.irb.load(address, align=1)
        if a.dtype == "bool":
            x = self.irb.icmp_unsigned("!=", x, ir.Constant(I8, 0))
        return Operand(V(self.b, x), a.dtype, "zerodim" if a.zerodim else "dim")

    def element(self, k: int) -> ir.Value:
        """The address of tensor ``k``'s element at the current position."""
        inner = self.spec.tensors[k].inner
        if inner == 0:
            return self.ptrs[k]
        assert self.j is not None, "a row value read outside a loop"
        offset = self.j if inner == 1 else self.irb.mul(self.j, self.strides[k])
        return self.irb.gep(self.ptrs[k], [offset])

    def value(self, v: Value) -> Operand:
        """The operand ``v`` at the current element (per-row values anywhere, row values inside
        a loop)."""
        if v in self.fixed:
            return self.fixed[v]
        if v in self.memo:
            return self.memo[v]
        if v in self.tensor_index:
            result = self.load(v)
        else:
            node = v.node
            op = registry.node_op(node)
            assert op is not None
            if op.row is not None:
                result = self.recipes()[op.qualified_name].row(self, node)
            else:
                result = self.recall(v) or self.pointwise(node)
                if len(v.uses) > 1:
                    self.keep(v, result)
        self.memo[v] = result
        return result

    def keep(self, key: object, op: Operand) -> None:
        """Store row value ``op`` (computed with math functions in a reduction loop) in a free
        row output of its dtype, for later loops to :meth:`recall`."""
        if not self.reducing or self.cx.math_calls == 0:
            return
        if key in self.kept:
            k, _, loop = self.kept[key]
            if loop == self.loop:  # the same pass's tail loop: the rest of the row
                self.irb.store(op.value.v, self.kept_at(k), align=1)  # type: ignore[union-attr]
            return
        free = next((k for k in self.free if self.spec.tensors[k].dtype == op.dtype), None)
        if free is None:
            return
        k = free
        self.free.remove(k)
        self.irb.store(op.value.v, self.kept_at(k), align=1)  # type: ignore[union-attr]
        self.kept[key] = (k, op.dtype, self.loop)  # type: ignore[assignment]

    def recall(self, key: object) -> Optional[Operand]:
        """The row value stored under ``key`` by an earlier loop, loaded, or None."""
        if key not in self.kept or self.kept[key][2] == self.loop:
            return None
        k, dtype, _ = self.kept[key]
        return Operand(V(self.b, self.irb.load(self.kept_at(k), align=1)), dtype, "dim")

    def kept_at(self, k: int) -> ir.Value:
        """Where row output ``k`` keeps a row value at the current element: in its own row, or
        for the streamed output (written only at the end, around the caches) in the scratch
        row on the stack."""
        if k == self.stream:
            return self.irb.gep(self.scratch, [self.j])
        return self.element(k)

    def pointwise(self, node: Node) -> Operand:
        ops = [self.value(v) for v in node.inputs]
        out = _dtype(node.output)
        kind = "dim" if any(o.kind == "dim" for o in ops) else "zerodim"
        name = registry.node_op(node).qualified_name
        if name == "aten::exp" and _below_max(node.inputs[0]):  # softmax written by hand
            self.cx.math_calls += 1  # (what keep looks at)
            return Operand(mathlib.exp_of_shifted(self.b, ops[0].value), out, kind)  # type: ignore[arg-type]
        if name == "aten::div.Tensor" and is_float(out) and _sum_of_shifted_exps(node.inputs[1]):
            return Operand(self.cx.cast(ops[0], out) * _reciprocal(self.cx.cast(ops[1], out)), out, kind)
        result = lower_node(self.cx, name, ops, out)
        # The fuser keeps ops that may raise for some values out of row groups; the status
        # bits a lowering still computes (x % 4 checks its divisor) are dropped.
        self.cx.status = self.b.c(I32, 0)
        return Operand(result, out, kind)

    # -- loops ----------------------------------------------------------------------------
    def open_loop(self, name: str, start: Optional[ir.Value] = None, end: Optional[ir.Value] = None,
                  again: bool = False) -> Tuple[ir.Block, ir.Instruction]:
        """Start ``for j in range(start, end)`` (0 and n by default; skipped when empty): the
        block before it and ``j``. ``again``: the rest of the previous loop (its tail), the
        same pass over the row for :meth:`keep` and :meth:`recall`."""
        irb = self.irb
        before = irb.block
        loop, self.after = self.fn.append_basic_block(name), self.fn.append_basic_block(f"{name}.done")
        self.start = ir.Constant(I64, 0) if start is None else start
        self.end = self.n if end is None else end
        irb.cbranch(irb.icmp_signed("<", self.start, self.end), loop, self.after)
        irb.position_at_end(loop)
        j = irb.phi(I64, "j")
        self.j, self.memo = j, {}
        if not again:
            self.loop += 1
        return before, j

    def close_loop(self, before: ir.Block, j: ir.Instruction, **hints: int) -> ir.Block:
        """End the loop :meth:`open_loop` started, with ``hints`` for the vectorizer (see
        kernel.loop_hints); returns its last block."""
        irb = self.irb
        self.j, self.memo = None, {}
        next_j = irb.add(j, ir.Constant(I64, 1))
        end = irb.block
        j.add_incoming(self.start, before)
        j.add_incoming(next_j, end)
        back = irb.cbranch(irb.icmp_signed("<", next_j, self.end), j.parent, self.after)
        if hints:
            back.set_metadata("llvm.loop", loop_hints(irb.module, **hints))
        irb.position_at_end(self.after)
        return end

    def reduce(self, combine: Callable[[Any, Any], Any], init: Any, element: Callable[[], Any], width: int = 0) -> Any:
        """``acc = init; for each element of the row: acc = combine(acc, element())``, vectorized
        ``width`` lanes wide if given (else as LLVM chooses). ``acc`` is a V, or a tuple of them
        for several reductions in one loop.

        With a width, the row runs as two loops: whole blocks of ``width * TAIL_BLOCKS``
        elements, then the rest, as masked vector iterations. LLVM would compute the rest one
        element at a time: 40 scalar exps in each row of 1000 (log_softmax + nll_loss took 9.0
        ms at (8192, 1000) on one thread against 5.0 at (8192, 1024))."""
        if not width:
            return self._reduce_loop(combine, init, element, None, {})
        block = width * TAIL_BLOCKS
        whole = self.irb.and_(self.n, ir.Constant(I64, -block))
        acc = self._reduce_loop(combine, init, element, (None, whole, False),
                                {"vectorize_width": width, "interleave_count": TAIL_BLOCKS})
        return self._reduce_loop(combine, acc, element, (whole, None, True),
                                 {"vectorize_width": width, "vectorize_predicate_enable": 1})

    def _reduce_loop(self, combine: Callable[[Any, Any], Any], init: Any, element: Callable[[], Any],
                     span: Optional[Tuple[Optional[ir.Value], Optional[ir.Value], bool]], hints: Dict[str, int]) -> Any:
        single = isinstance(init, V)
        inits = (init,) if single else tuple(init)
        before, j = self.open_loop("reduce", *(span or ()))
        accs = [self.irb.phi(a.type, "acc") for a in inits]
        self.reducing = True
        acc = tuple(V(self.b, a) for a in accs)
        new = combine(acc[0] if single else acc, element())
        news = [v.v for v in ((new,) if single else new)]
        self.reducing = False
        end = self.close_loop(before, j, **hints)
        results = []
        for a, first, last in zip(accs, inits, news):
            a.add_incoming(first.v, before)
            a.add_incoming(last, end)
            result = self.irb.phi(first.type)
            result.add_incoming(first.v, before)
            result.add_incoming(last, end)
            results.append(V(self.b, result))
        return results[0] if single else tuple(results)

    def store_rows(self, outputs: List[Tuple[int, Value]]) -> None:
        """One loop over the row storing the row values ``outputs`` (tensor index, value); for
        a streamed output, :meth:`store_streamed`."""
        if self.stream is not None:
            (k, v), = outputs
            return self.store_streamed(k, v)
        before, j = self.open_loop("store")
        values = [(k, self.value(v)) for k, v in outputs]  # every load before any store
        for k, op in values:
            self.store(k, op)
        self.close_loop(before, j)

    def store_streamed(self, k: int, v: Value) -> None:
        """The row of output ``k`` written around the caches: each whole 64-byte line of it
        with non-temporal vector stores, which do not read the line first (an ordinary store
        to a line not in cache reads it from memory: for layer norm a third more traffic than
        reading its input and writing its output), the elements before the first line and
        after the last with ordinary stores.

        The vectorizer refuses non-temporal stores it cannot prove aligned, so a line is
        written as its elements, computed one after another, stored from the row's first line
        (its address masked to 64 bytes: the same address, known aligned) with the line's
        first store marked so; the SLP vectorizer makes the line one ``vmovntps``."""
        irb, t = self.irb, self.spec.tensors[k]
        size = ITEMSIZE[t.dtype]
        per_line = 64 // size
        shift = ir.Constant(I64, per_line.bit_length() - 1)
        address = irb.ptrtoint(self.ptrs[k], I64)
        lead = irb.lshr(irb.and_(irb.sub(ir.Constant(I64, 0), address), ir.Constant(I64, 63)),
                        ir.Constant(I64, size.bit_length() - 1))  # elements before the first line
        head = irb.select(irb.icmp_signed("<", lead, self.n), lead, self.n)
        lines = irb.lshr(irb.sub(self.n, head), shift)
        body_end = irb.add(head, irb.shl(lines, shift))

        def ordinary(start: Optional[ir.Value], end: Optional[ir.Value], again: bool) -> None:
            before, j = self.open_loop("store", start, end, again)
            self.store(k, self.value(v))
            self.close_loop(before, j)

        ordinary(None, head, False)
        ptr = self.ptrs[k].type
        mask = self.fn.module.globals.get("llvm.ptrmask.p0.i64") or \
            ir.Function(self.fn.module, ir.FunctionType(ptr, [ptr, I64]), "llvm.ptrmask.p0.i64")
        nontemporal = self.fn.module.add_metadata([ir.Constant(I32, 1)])
        aligned = irb.call(mask, [irb.gep(self.ptrs[k], [head]), ir.Constant(I64, -64)])  # the first line
        before = irb.block
        loop, after = self.fn.append_basic_block("lines"), self.fn.append_basic_block("lines.done")
        irb.cbranch(irb.icmp_signed("<", ir.Constant(I64, 0), lines), loop, after)
        irb.position_at_end(loop)
        line = irb.phi(I64, "line")
        start = irb.add(head, irb.shl(line, shift))
        values = []
        for i in range(per_line):
            self.j, self.memo = irb.add(start, ir.Constant(I64, i)), {}
            values.append(self.cx.cast(self.value(v), t.dtype).v)
        self.j, self.memo = None, {}
        at = irb.shl(line, shift)
        for i, x in enumerate(values):
            store = irb.store(x, irb.gep(aligned, [irb.add(at, ir.Constant(I64, i))]), align=64 if i == 0 else 1)
            store.set_metadata("nontemporal", nontemporal)
        next_line = irb.add(line, ir.Constant(I64, 1))
        line.add_incoming(ir.Constant(I64, 0), before)
        line.add_incoming(next_line, irb.block)
        irb.cbranch(irb.icmp_signed("<", next_line, lines), loop, after)
        irb.position_at_end(after)
        ordinary(body_end, None, True)

    def store(self, k: int, op: Operand) -> None:
        t = self.spec.tensors[k]
        x = self.cx.cast(op, t.dtype).v
        if t.dtype == "bool":
            x = self.irb.zext(x, I8)
        self.irb.store(x, self.element(k), align=1)

    # -- the row --------------------------------------------------------------------------
    def bind(self) -> None:
        """The scalars, the constants and the fixed tensor inputs as operands (``fixed``)."""
        scalars = iter(self.scalar_args)
        for v, a in zip(self.graph.inputs, self.spec.inputs):
            if isinstance(a, ScalarArg):
                self.fixed[v] = Operand(V(self.b, next(scalars)), a.dtype, "scalar")
            elif self.fixed_input(a) and v.uses:
                self.fixed[v] = self.load(v)
        for node in self.graph.nodes:
            if node.kind == "prim::Constant" and not isinstance(node.output.constant, list):
                # (a list is a row op's dims: read from the node)
                self.fixed[node.output] = constant_operand(self.b, node.output)

    def emit(self) -> None:
        self.bind()
        for node in self.graph.nodes:
            if node.kind == "prim::Constant":
                continue
            op = registry.node_op(node)
            assert op is not None
            kind = self.kinds[node.outputs[0]]
            if node.outputs[0] in self.fixed:  # computed with an earlier reduction (see _Mean)
                continue
            if op.row is not None:
                recipe = ROW_OPS[op.qualified_name]
                if kind == ROW:
                    self.state[node] = recipe.prepare(self, node)
                else:
                    result = recipe.reduced(self, node)
                    for o, r in zip(node.outputs, result if isinstance(result, tuple) else (result,)):
                        self.fixed[o] = Operand(r, _dtype(o), "dim")
            elif kind != ROW:
                self.fixed[node.output] = self.pointwise(node)
        outputs = self.outputs()
        rows = [(k, v) for k, v in outputs if self.kinds[v] == ROW]
        if rows:
            self.store_rows(rows)
        for k, v in outputs:
            if self.kinds[v] != ROW:
                self.store(k, self.value(v))
        self.irb.ret_void()

    def outputs(self) -> List[Tuple[int, Value]]:
        """The group's outputs, each with its tensor index."""
        n_inputs = len([a for a in self.spec.inputs if isinstance(a, TensorArg)])
        return list(enumerate(self.graph.outputs, n_inputs))


# -- what each op computes per row --------------------------------------------------------


def _acc_type(dtype: str) -> ir.Type:
    return F64 if is_float(dtype) else I64


def _widen(b: Builder, op: Operand) -> V:
    """An element as its sum's accumulator holds it: floats as float64, integers and bools as
    int64."""
    v, dtype = op.value, op.dtype
    assert v is not None and dtype is not None
    if is_float(dtype):
        return b.fpext(v, F64) if dtype == "float32" else v
    if dtype == "bool":
        return b.zext(v, I64)
    return b.sext(v, I64) if dtype == "int32" else v


def _narrow(b: Builder, acc: V, dtype: str) -> V:
    """A float64 or int64 accumulator as ``dtype``."""
    if dtype == "float32":
        return b.fptrunc(acc, F32)
    if dtype == "int32":
        return b.itrunc(acc, REGISTER["int32"])
    return acc


def _qualified(v: Value) -> Optional[str]:
    """The qualified op name of ``v``'s producer (None for a graph input)."""
    op = registry.node_op(v.node) if v.node is not None else None
    return op.qualified_name if op is not None else None


def _below_max(v: Value) -> bool:
    """Whether ``v`` is ``x - amax(x)`` over the row: at most 0, or NaN."""
    node = v.node
    if _qualified(v) != "aten::sub.Tensor" or (len(node.inputs) > 2 and node_arg(node, 2) != 1):
        return False
    m = node.inputs[1].node
    return m is not None and m.kind == "aten::amax" and m.inputs[0] is node.inputs[0] and bool(node_arg(m, 2)) \
        and is_float(_dtype(v))


def _sum_of_shifted_exps(v: Value) -> bool:
    """Whether ``v`` is the row's sum of ``exp(x - amax(x))`` (a softmax written by hand): at
    least 1 (the max's own term is e^0), or NaN."""
    return _qualified(v) == "aten::sum.dim_IntList" and bool(node_arg(v.node, 2)) and \
        _qualified(v.node.inputs[0]) == "aten::exp" and _below_max(v.node.inputs[0].node.inputs[0])


def _reciprocal(d: V) -> V:
    """1 / d, for dividing a row by softmax's sum ``d`` (at least 1): LLVM hoists it out of the
    loop, and each element costs a multiply instead of a divide (softmax's divide loop ran
    ``vdivps`` on zmm registers: 0.78 -> 0.73 ns an element for the hand-written softmax, one
    thread, (128, 1024)). x * (1 / d) is within two roundings of x / d (a relative error below
    2^-23 in float32). Other divisions by a per-row value stay divisions: 1 / d overflows for
    a subnormal d and is subnormal, losing bits, for d above 2^126."""
    return 1.0 / d


def _fadd(a: V, x: V) -> V:
    # reassoc: the vectorizer may keep one partial sum per lane (the bound in the docstring)
    return V(a.b, a.b.ir.fadd(a.v, x.v, flags=("reassoc",)))


def _fmul(a: V, x: V) -> V:
    return V(a.b, a.b.ir.fmul(a.v, x.v, flags=("reassoc",)))


def row_sum(row: _Row, element: Callable[[], Operand], dtype: str) -> V:
    """The sum of a row of ``dtype`` elements, in the accumulator's type (float64, int64)."""
    b = row.b
    t = _acc_type(dtype)
    add = _fadd if t == F64 else (lambda a, x: a + x)
    # float32 elements summed in float64: LLVM picks as many lanes as float64 registers hold,
    # half as wide as the float32 work before the sum (softmax's exp) could be; a register of
    # float32 lanes took softmax's exp and sum loop from 0.52 to 0.42 ns an element (one
    # thread, (256, 1024), AMD EPYC with AVX-512)
    width = target.vector_bits() // 32 if dtype == "float32" else 0
    return row.reduce(add, b.c(t, 0), lambda: _widen(b, element()), width)


def row_extreme(row: _Row, element: Callable[[], Operand], dtype: str, largest: bool) -> V:
    """max or min of a row; NaN propagates, as in numpy (the sign of a zero extreme may be
    either zero's)."""
    b = row.b
    t = REGISTER[dtype]
    if not is_float(dtype):
        bits = t.width
        init = b.c(t, -(1 << (bits - 1)) if largest else (1 << (bits - 1)) - 1)
        name = "smax" if largest else "smin"
        return row.reduce(lambda a, x: b.intrinsic(name, a, x), init, lambda: element().value)  # type: ignore[arg-type,return-value]
    # llvm.maximum (NaN-propagating) took 5 vector instructions a register on x86, vmaxps and
    # its fix-ups for NaN; here the max of the numbers (maxnum with nnan: vmaxps alone, its
    # result undefined once a NaN was seen) and whether a NaN was seen (compares or-ed on mask
    # registers): softmax's max loop went from 103 to 19 instructions per 64 elements
    numbers = b.module.declare_intrinsic("llvm.maxnum" if largest else "llvm.minnum", [t], ir.FunctionType(t, [t, t]))

    def combine(acc: Tuple[V, V], x: V) -> Tuple[V, V]:
        m = V(b, b.ir.call(numbers, [acc[0].v, x.v], fastmath=("nnan", "nsz")))
        return m, acc[1] | x.isnan()
    init = (b.c(t, float("-inf") if largest else float("inf")), b.c(I1, 0))
    width = target.vector_bits() // (32 if dtype == "float32" else 64)
    m, nan = row.reduce(combine, init, lambda: element().value, width)  # type: ignore[arg-type,assignment,misc]
    return b.select(nan, b.c(t, float("nan")), m)


def _count(row: _Row) -> V:
    return row.b.sitofp(V(row.b, row.n), F64)


def _mean(row: _Row, x: Value, dtype: str) -> V:
    """The row's mean of ``x``, rounded to ``dtype``."""
    return _narrow(row.b, row_sum(row, lambda: row.value(x), dtype) / _count(row), dtype)


def _sum_of_squares(row: _Row, x: Value, centre: Callable[[], V], dtype: str) -> V:
    """The row's sum of (x - centre)^2 (squares in ``dtype``, summed as row_sum sums).
    ``centre()`` gives the centre where an element is computed (a blocked kernel reads it per
    column there, kept by an earlier pass)."""
    def element() -> Operand:
        v = row.value(x).value
        assert v is not None
        d = v - centre()
        return Operand(d * d, dtype, "dim")
    return row_sum(row, element, dtype)


def _moments(row: _Row, x: Value, dtype: str) -> Tuple[V, V]:
    """The row's mean of float ``x`` and its biased variance, each rounded to ``dtype``, in
    one pass: the sums of d = x - K and of d^2 in float64, K the row's first element, then
    mean = K + S1 / n and var = (S2 - S1^2 / n) / n.

    Shifted by K, the subtraction cancels (mean - K)^2 / var + 1 times the float64 rounding
    of S2 (at most n + 1 times: K is one of the terms); for rows of 1024 that is below 2^-32
    of var, far below float32's rounding, where a second pass over the row cost layer norm a
    sixth of its time."""
    b = row.b
    row.j, row.memo = ir.Constant(I64, 0), {}
    shift = row.value(x).value
    row.j, row.memo = None, {}
    assert shift is not None

    def element() -> V:
        v = row.value(x).value
        assert v is not None
        return _widen(b, Operand(v - shift, dtype, "dim"))

    def combine(acc: Tuple[V, V], d: V) -> Tuple[V, V]:
        return _fadd(acc[0], d), _fadd(acc[1], d * d)
    width = target.vector_bits() // 32 if dtype == "float32" else 0
    s1, s2 = row.reduce(combine, (b.c(F64, 0.0), b.c(F64, 0.0)), element, width)
    n = _count(row)
    var = (s2 - s1 * s1 / n) / n
    mean = _widen(b, Operand(shift, dtype, "dim")) + s1 / n
    return _narrow(b, mean, dtype), _narrow(b, b.select(var.gt(0.0), var, 0.0), dtype)


def _variance_of(row: _Row, mean: Node) -> Optional[Node]:
    """The node computing ``mean((x - m)^2)`` of ``m = mean(x)`` (a layer norm written by
    hand), if the group has one."""
    for use in mean.output.uses:
        centred = use.user
        if _qualified(centred.output) != "aten::sub.Tensor" or centred.inputs[0] is not mean.inputs[0] \
                or centred.inputs[1] is not mean.output or (len(centred.inputs) > 2 and node_arg(centred, 2) != 1):
            continue
        for square in (u.user for u in centred.output.uses):
            if _qualified(square.output) == "aten::mul.Tensor" and square.inputs[0] is square.inputs[1]:
                for u in square.output.uses:
                    if _qualified(u.user.output) == "aten::mean.dim" and row.kinds[u.user.output] != ROW:
                        return u.user
    return None


class _RowOp:
    """How a row kernel computes one op: ``reduced`` gives a reduction's per-row result (a
    tuple for several); ``prepare`` computes a row-shaped op's per-row statistics and ``row``
    its element."""

    def reduced(self, row: _Row, node: Node) -> Any:
        raise NotImplementedError

    def prepare(self, row: _Row, node: Node) -> Tuple[V, ...]:
        raise NotImplementedError

    def row(self, row: _Row, node: Node) -> Operand:
        raise NotImplementedError


class _Sum(_RowOp):
    def reduced(self, row: _Row, node: Node) -> V:
        x = node.inputs[0]
        return _narrow(row.b, row_sum(row, lambda: row.value(x), _dtype(x)), _dtype(node.output))


class _Mean(_RowOp):
    def reduced(self, row: _Row, node: Node) -> V:
        dtype = _dtype(node.output)
        var = _variance_of(row, node) if bool(node_arg(node, 2)) and is_float(dtype) else None
        if var is None:
            return _mean(row, node.inputs[0], dtype)
        mean, variance = _moments(row, node.inputs[0], dtype)  # the variance's pass comes with it
        row.fixed[var.output] = Operand(variance, _dtype(var.output), "dim")
        return mean


class _Prod(_RowOp):
    def reduced(self, row: _Row, node: Node) -> V:
        x = node.inputs[0]
        t = _acc_type(_dtype(x))
        mul = _fmul if t == F64 else (lambda a, v: a * v)
        acc = row.reduce(mul, row.b.c(t, 1), lambda: _widen(row.b, row.value(x)))
        return _narrow(row.b, acc, _dtype(node.output))


class _Extreme(_RowOp):
    def __init__(self, largest: bool):
        self.largest = largest

    def reduced(self, row: _Row, node: Node) -> V:
        x = node.inputs[0]
        return row_extreme(row, lambda: row.value(x), _dtype(x), self.largest)


class _ValuesIndices(_RowOp):
    """max and min with a dim: the extreme (as amax), then the first index holding it, as a
    min-reduction of ``j if x[j] is it else n`` (NaN is the max and the min of a row holding
    one, at its first NaN)."""

    def __init__(self, largest: bool):
        self.largest = largest

    def reduced(self, row: _Row, node: Node) -> Tuple[V, V]:
        b, x = row.b, node.inputs[0]
        dtype = _dtype(x)
        m = row_extreme(row, lambda: row.value(x), dtype, self.largest)
        nan = m.isnan() if is_float(dtype) else None
        n = V(b, row.n)

        def element() -> V:
            v = row.value(x).value
            assert v is not None and row.j is not None
            hit = v.eq(m) if nan is None else v.eq(m) | (nan & v.isnan())
            return b.select(hit, V(b, row.j), n)
        return m, row.reduce(lambda a, i: b.intrinsic("smin", a, i), n, element)


class _Moment(_RowOp):
    """var and std: the mean, then the sum of squared deviations over max(n - correction, 0),
    in two passes over the row (as numpy's var)."""

    def __init__(self, root: bool):
        self.root = root

    def reduced(self, row: _Row, node: Node) -> V:
        x, dtype = node.inputs[0], _dtype(node.output)
        mean = _mean(row, x, dtype)
        return self.of_squares(row, node, _sum_of_squares(row, x, lambda: mean, dtype))

    def of_squares(self, row: _Row, node: Node, ss: V) -> V:
        """The result from ``ss``, the row's sum of squared deviations from its mean."""
        b, dtype = row.b, _dtype(node.output)
        c = node_arg(node, 2)
        correction = 1.0 if c is None else float(c)  # unbiased (a bool) or the correction
        dof = _count(row) - correction
        dof = b.select(dof.gt(0.0), dof, 0.0)
        var = _narrow(b, ss / dof, dtype)
        return b.sqrt(var) if self.root else var


class _Norm(_RowOp):
    """p = 1: the sum of |x|; p = 2: the root of the sum of |x|^2."""

    def reduced(self, row: _Row, node: Node) -> V:
        b, x, dtype = row.b, node.inputs[0], _dtype(node.output)

        def element() -> Operand:
            a = b.fabs(row.value(x).value)  # type: ignore[arg-type]
            return Operand(a if node_arg(node, 1) == 1 else a * a, dtype, "dim")
        total = _narrow(b, row_sum(row, element, dtype), dtype)
        return total if node_arg(node, 1) == 1 else b.sqrt(total)


def _shifted_exp_sum(row: _Row, x: Value, shift: Callable[[], V], dtype: str, key: object = None) -> V:
    """sum(exp(x - shift())) over the row, rounded to ``dtype`` (``shift()`` gives the shift
    where an element is computed, as _sum_of_squares's centre); each exp kept under ``key``
    (see :meth:`_Row.keep`) when given. The shift is the row's max, so ``x - shift`` is at
    most 0 or NaN and mathlib.exp_of_shifted computes the exps (logsumexp's shift is 0 where
    the max is not finite: -inf leaves every term -inf, NaN makes the sum NaN whatever the
    other terms are, and the sum is not used where the max is +inf)."""
    def element() -> Operand:
        v = row.value(x).value
        assert v is not None
        row.cx.math_calls += 1  # (what keep looks at)
        e = Operand(mathlib.exp_of_shifted(row.b, v - shift()), dtype, "dim")
        if key is not None:
            row.keep(key, e)
        return e
    return _narrow(row.b, row_sum(row, element, dtype), dtype)


class _LogSumExp(_RowOp):
    """log(sum(exp(x - s))) + s with s the row's max, 0 where that is not finite (as the
    eager kernel); +inf where the max is +inf.

    x - s is at most 0 or NaN unless the max is +inf, so mathlib.exp_of_shifted computes the
    exps (1.30-1.60x faster than exp: logsumexp of (1024, 1024) and (8192, 1024) over dim 0
    and 1, both in one process); a row whose max is +inf, where eager's exp(inf) makes the
    sum inf, gives +inf without its sum."""

    def reduced(self, row: _Row, node: Node) -> V:
        m = self.row_max(row, node)
        return self.of_max(row, node, lambda: m)

    @staticmethod
    def row_max(row: _Row, node: Node) -> V:
        return row_extreme(row, lambda: row.value(node.inputs[0]), _dtype(node.output), True)

    @staticmethod
    def of_max(row: _Row, node: Node, m: Callable[[], V]) -> V:
        """The result from the row's max (``m()`` as _shifted_exp_sum's shift)."""
        b, x, dtype = row.b, node.inputs[0], _dtype(node.output)

        def shift() -> V:
            v = m()
            return b.select(b.fabs(v).lt(float("inf")), v, 0.0)
        total = _shifted_exp_sum(row, x, shift, dtype)
        return b.select(m().eq(float("inf")), m(), row.cx.math("log", total) + shift())


class _Softmax(_RowOp):
    """exp(x - max) / sum(exp(x - max)); log: (x - max) - log(sum(exp(x - max)))."""

    def __init__(self, log: bool):
        self.log = log

    def prepare(self, row: _Row, node: Node) -> Tuple[V, ...]:
        x, dtype = node.inputs[0], _dtype(node.output)
        m = row_extreme(row, lambda: row.value(x), dtype, True)
        s = _shifted_exp_sum(row, x, lambda: m, dtype, None if self.log else node)
        return (m, row.cx.math("log", s) if self.log else s)

    def row(self, row: _Row, node: Node) -> Operand:
        m, s = row.state[node]
        if not self.log:
            e = row.recall(node)
            if e is not None:
                return Operand(e.value * _reciprocal(s), _dtype(node.output), "dim")  # type: ignore[operator]
        v = row.value(node.inputs[0]).value
        assert v is not None
        shifted = v - m
        y = shifted - s if self.log else mathlib.exp_of_shifted(row.b, shifted) * _reciprocal(s)
        return Operand(y, _dtype(node.output), "dim")


class _NllRows(_RowOp):
    """``-log_softmax(x)`` at the row's target, 0 where it is ignore_index: max; exp and sum;
    then ``x`` at the target alone (the launcher's nll_targets checked the targets are
    classes, and an ignored row reads class 0)."""

    def reduced(self, row: _Row, node: Node) -> V:
        b, x, dtype = row.b, node.inputs[0], _dtype(node.output)
        m, log_sum = _Softmax(log=True).prepare(row, node)
        target = row.value(node.inputs[3]).value
        assert target is not None
        ignored = target.eq(node_arg(node, 4))
        row.j, row.memo = b.select(ignored, 0, target).v, {}
        picked = row.value(x).value
        row.j, row.memo = None, {}
        assert picked is not None
        loss = -((picked - m) - log_sum)
        return b.select(ignored, b.c(REGISTER[dtype], 0.0), loss)


class _LayerNorm(_RowOp):
    """(x - mean) / sqrt(var + eps) * weight + bias over the innermost dim, var biased; the
    divide is a multiply by 1 / sqrt(var + eps), within three roundings of the quotient."""

    def prepare(self, row: _Row, node: Node) -> Tuple[V, ...]:
        b, x, dtype = row.b, node.inputs[0], _dtype(node.output)
        mean, var = _moments(row, x, dtype)
        eps = row.cx.cast(row.value(node.inputs[4]), dtype) if len(node.inputs) > 4 else b.c(REGISTER[dtype], 1e-5)
        # 1 / sqrt once per row, then a multiply per element: the divide (vdivps) made the
        # normalizing loop 1.08x slower (one thread, (128, 1024)). sqrt's results are normal
        # numbers or 0, so the reciprocal is finite or inf (0 * inf is NaN, as 0 / 0).
        return (mean, 1.0 / b.sqrt(var + eps))

    def row(self, row: _Row, node: Node) -> Operand:
        mean, rstd = row.state[node]
        dtype = _dtype(node.output)
        v = row.value(node.inputs[0]).value
        assert v is not None
        y = Operand((v - mean) * rstd, dtype, "dim")
        for k, name in ((2, "aten::mul.Tensor"), (3, "aten::add.Tensor")):
            if k < len(node.inputs) and isinstance(node.inputs[k].type, TensorType):
                ops = [y, row.value(node.inputs[k])]
                out = row.cx.promote(*ops)
                y = Operand(lower_node(row.cx, name, ops, out), out, "dim")
        return y


ROW_OPS: Dict[str, _RowOp] = {
    "aten::sum.dim_IntList": _Sum(),
    "aten::mean.dim": _Mean(),
    "aten::prod.dim_int": _Prod(),
    "aten::amax": _Extreme(True),
    "aten::amin": _Extreme(False),
    "aten::max.dim": _ValuesIndices(True),
    "aten::min.dim": _ValuesIndices(False),
    "aten::var.dim": _Moment(False),
    "aten::var.correction": _Moment(False),
    "aten::std.dim": _Moment(True),
    "aten::std.correction": _Moment(True),
    "aten::norm.ScalarOpt_dim": _Norm(),
    "aten::logsumexp": _LogSumExp(),
    "aten::softmax.int": _Softmax(False),
    "aten::log_softmax.int": _Softmax(True),
    "aten::layer_norm": _LayerNorm(),
    "prim::nll_rows": _NllRows(),
}


def offsets_of(irb: ir.IRBuilder, index: ir.Value, shape: List[ir.Value],
               strides: List[List[ir.Value]]) -> List[ir.Value]:
    """Each tensor's element offset at flat (C order) ``index`` over ``shape``, walking its
    ``strides`` (a tensor's first ``len(shape)`` ones)."""
    rest = index
    offsets: List[ir.Value] = [ir.Constant(I64, 0) for _ in strides]
    for d in reversed(range(len(shape))):
        i = irb.urem(rest, shape[d])
        rest = irb.udiv(rest, shape[d])
        offsets = [irb.add(o, irb.mul(i, st[d])) for o, st in zip(offsets, strides)]
    return offsets


def _entry(module: ir.Module, inner: ir.Function, spec: Spec, layout: ObjectLayout) -> None:
    """``mtj_kernel(arrays, layout)``: each row of [first, end) in turn, its multi-index
    over ``S[:-1]`` giving each tensor's offset."""
    tensors = spec.tensors
    outer = spec.ndim - 1
    fn = ir.Function(module, ir.FunctionType(I32, [I8.as_pointer(), I64.as_pointer()]), SYMBOL)
    arrays, buf = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    # the words after [first, end, n, S[:-1], strides]: the inputs' own layout, when asked to check
    check_layout(irb, arrays, buf, 2 + spec.ndim + spec.ndim * len(tensors), len(tensors) - len(spec.outputs), layout)

    def word(k: int) -> ir.Value:
        return irb.load(irb.gep(buf, [ir.Constant(I64, k)]))

    first, end, n = word(0), word(1), word(2)
    shape = [word(3 + d) for d in range(outer)]
    strides = [[word(3 + outer + k * spec.ndim + d) for d in range(spec.ndim)] for k in range(len(tensors))]
    ptrs = [data_pointer(irb, arrays, layout, k, MEMORY[t.dtype].as_pointer()) for k, t in enumerate(tensors)]
    scalars = scalar_values(irb, arrays, layout, spec) if spec.scalars else []
    runtime = [strides[k][-1] for k, t in enumerate(tensors) if t.inner not in (0, 1)]
    # one scratch row for the calls (the launcher streams rows of at most STREAM_ROW_MAX)
    scratch = [irb.alloca(MEMORY[t.dtype], n) for t in tensors if t.stream]
    before = irb.block
    loop, done = fn.append_basic_block("rows"), fn.append_basic_block("done")
    irb.cbranch(irb.icmp_signed("<", first, end), loop, done)
    irb.position_at_end(loop)
    r = irb.phi(I64, "r")

    next_r = irb.add(r, ir.Constant(I64, 1))
    offsets = offsets_of(irb, r, shape, strides)
    irb.call(inner, [n] + [irb.gep(p, [o]) for p, o in zip(ptrs, offsets)] + runtime + scalars + scratch)
    r.add_incoming(first, before)
    r.add_incoming(next_r, irb.block)
    irb.cbranch(irb.icmp_signed("<", next_r, end), loop, done)
    irb.position_at_end(done)
    if scratch:
        # non-temporal stores are weakly ordered: made visible to whoever reads the output
        # next (on x86 a seq_cst fence may be a locked or, which does not order them: sfence)
        if module.triple.startswith("x86_64"):
            irb.call(ir.Function(module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse.sfence"), [])
        else:
            irb.fence("seq_cst")
    irb.ret(ir.Constant(I32, 0))


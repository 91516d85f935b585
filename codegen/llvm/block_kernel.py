"""Blocked kernels: a fusion group whose reductions run over a dim with other dims after it
(passes/reduction_fusion.py), ``(x * 2 + 1).sum(0)`` of an (8192, 1024) tensor, as one LLVM
module.

The launcher (codegen/row_launch.py) views the group's iteration space as ``(outer..., m,
N)``: the dims before the reduced one, the reduced one (``m`` long), and the dims after it
collapsed into ``N`` columns that every tensor walks with stride 1 or 0. The kernel runs a
range of the flat (C order) index over ``(outer..., N)``, in units of one outer index and up
to :data:`COLUMNS` adjacent columns. Per unit:

1. each reduction's accumulators for the unit's columns are set (arrays on the stack, in L1);
2. the pass walks the reduced dim, ROWS_PER_STEP positions a step: one loop over the unit's
   columns computes the group's row values at those positions from the inputs (its pointwise
   producers), folds them into the accumulators in order and stores the row outputs. That
   loop reads runs of adjacent elements of each input and is a map over the columns, no
   reduction: LLVM's loop vectorizer makes the columns its lanes;
3. one loop over the columns turns the accumulators into the reductions' results and computes
   the pointwise ops of those (the consumers), storing the per-column outputs.

A pass reads each input once, in runs of up to COLUMNS elements; a row kernel would walk
each column alone with a stride of N elements (slower than the eager kernels).

Reductions of the inputs share the first pass; a reduction reading another's result (``(x
- x.mean(0)) ** 2`` summed) runs in a later one, each pass followed by its finishing loop
(:meth:`_Block.phase`), whose results are kept per column in arrays that later passes and
loops read; row outputs reading a result are stored by a last pass of their own. softmax
and log_softmax (:class:`_ColumnSoftmax`) are alone with their pointwise ops, in three
passes. The recipes are the row kernel's
(row_kernel.ROW_OPS) for the reductions that take one pass (sum, prod, amax, amin, norm), with
:class:`_Block` standing in for the row: its ``reduce`` records the pass and hands the recipe
the accumulators at the current column. mean divides by m without the row kernel's variance
fusion; max and min with a dim take their value and first index in one pass
(:class:`_FirstExtreme`). var, std and logsumexp, whose row recipes read one reduction's
result in the next (the mean, the max), take a pass for each (:class:`_Passes`), computed as
the row kernel computes them.

Accuracy: float32 values are summed in float64 along the reduced dim, one sequential sum per
column, and rounded once: the error is at most ``(m - 1) * 2^-53 * sum|x_i|`` before the
rounding to float32, which adds ``2^-24 * |sum|``. numpy's ``x.sum(0)`` adds the rows in
float32, one after another (bound ``(m - 1) * 2^-24 * sum|x_i|``); its pairwise summation
(a contiguous sum) is bounded by about ``(log2(m / 8) + 8) * 2^-24 * sum|x_i|``, which
ours is below for every m under 2^29. float64 sums have the same sequential bound with
``2^-53`` as numpy's ``x.sum(0)``. Integer sums and products are exact (int64, wrapping as
numpy's); max and min are exact and propagate NaN. A float32 variance's mean is off by ``e
<= 2^-24 |mean| + (m + 1) 2^-53 mean|x|`` (rounded to float32 after its float64 sum); the
float32 squares of ``x - mean``, summed in float64, then give ``var + m e^2 / dof`` within
``4 * 2^-24 + (m + 1) 2^-53`` relative (``sum (x - mean - e)^2 = sum (x - mean)^2 + m
e^2``), as the row kernel's two passes.

Entry point (the pointwise kernels' ABI, :mod:`.kernel`)::

    void mtj_kernel(PyTupleObject *arrays, i64 *layout)

with ``layout`` = [first, end (of the flat index over (outer..., N)), m, N, outer sizes, then
for each tensor (inputs, then outputs) its element strides over ``(outer..., m, N)``].
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional, Tuple

import llvmlite.binding as llvm
from llvmlite import ir

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.types import is_float

from . import mathlib
from .builder import I1, I8, I32, I64, MEMORY, REGISTER, V
from .cache import SYMBOL
from .kernel import Built, ObjectLayout, Spec, TensorArg, check_layout, data_pointer, scalar_values
from .lowering import Operand
from .row_kernel import (
    ROW,
    ROW_OPS,
    _dtype,
    _LogSumExp,
    _mean,
    _Moment,
    _narrow,
    _reciprocal,
    _Row,
    _RowOp,
    _sum_of_squares,
    offsets_of,
    row_extreme,
    row_sum,
)

# Columns of a unit at most: each step of the pass reads a run of this many elements of every
# input, and its accumulators (float64: 8 bytes a column each) stay in L1 or L2. Runs of whole
# 4 KB rows went as fast as numpy's own x.sum(0): (x * 2 + 1).sum(0) of (8192, 1024) took 1.73
# ms with units of 1024 columns, 2.32 with 512 and 3.43 with 128 (numpy's x.sum(0): 1.65;
# one thread, side by side in one process): a run shorter than a page of memory leaves the
# hardware prefetcher too little to follow.
COLUMNS = 2048
# Positions along the reduced dim a step of the pass combines into the accumulators, which it
# loads and stores once (in order: the sums are the same). One thread, (8192, 1024), 1 -> 4
# positions a step: (x * 2 + 1).sum(0) 1.53 -> 1.27 ms, amax(0) 1.36 -> 1.11, softmax(x, 0)
# 12.6 -> 10.4 (8 was no faster).
ROWS_PER_STEP = 4
# Threads split the columns only where each gets runs of at least this many: two threads on
# runs of 512 columns took (x * 2 + 1).sum(0) of (8192, 1024) from 1.67 to 1.28 ms, softmax over
# dim 0 of (1024, 1024) from 1.59 to 1.18 ms (side by side in one process).
SPLIT_COLUMNS = 256


def build(graph: Graph, spec: Spec, layout: ObjectLayout) -> Built:
    """The blocked kernel of ``graph`` specialized on ``spec`` (``spec.ndim`` is the rank of
    ``(outer..., m, N)``)."""
    module = ir.Module(name="minitorch_jit_block_kernel")
    module.triple = llvm.get_process_triple()
    block = _Block(module, graph, spec)
    block.emit()
    _entry(module, block.fn, spec, layout)
    return Built(str(module), bool(spec.scalars))


class _Block(_Row):
    """The function computing one unit: ``void block(i64 m, i64 columns, T* noalias p...,
    i64 stride along m (of the tensors that walk it)..., scalars...)``, its pointers offset to
    the unit's first column. ``j`` is the position along the reduced dim (in the pass), ``c``
    the column (in a loop over the columns)."""

    name = "mtj.block"
    leading = 2

    def __init__(self, module: ir.Module, graph: Graph, spec: Spec):
        super().__init__(module, graph, spec)
        self.columns = self.fn.args[1]
        self.entry = self.irb.block  # holds the accumulators; its branch to the pass comes last
        self.tail = self.entry  # where the code so far ends (see then)
        self.c: Optional[ir.Value] = None
        self.kept_columns: Dict[Value, ir.Value] = {}  # reductions' results, per column (see results)
        self.kept_stages: Dict[Node, List[ir.Value]] = {}  # what each pass of a _Passes recipe kept
        self.free = []  # no row output holds a value between passes (softmax computes its exps again)
        # the pass: (combine, initial values, element, accumulator arrays) of each reduction
        self.passes: List[Tuple[Callable[[Any, Any], Any], Tuple[V, ...], Callable[[], Any], List[ir.Value]]] = []

    @staticmethod
    def recipes() -> Dict[str, _RowOp]:
        return BLOCK_OPS

    @staticmethod
    def runtime_stride(t: TensorArg) -> bool:
        return t.inner != 0

    @staticmethod
    def fixed_input(t: TensorArg) -> bool:
        return t.inner == 0 and t.cols == 0

    def element(self, k: int) -> ir.Value:
        """The address of tensor ``k``'s element at the current position and column."""
        t = self.spec.tensors[k]
        offset: Optional[ir.Value] = None
        if t.inner != 0:
            assert self.j is not None, "a row value read outside the pass"
            offset = self.irb.mul(self.j, self.strides[k])
        if t.cols:
            assert self.c is not None, "a column's value read outside a loop over the columns"
            offset = self.c if offset is None else self.irb.add(offset, self.c)
        return self.ptrs[k] if offset is None else self.irb.gep(self.ptrs[k], [offset])

    def reduce(self, combine: Callable[[Any, Any], Any], init: Any, element: Callable[[], Any], width: int = 0) -> Any:
        """Record ``acc = init; for each element along the reduced dim: acc = combine(acc,
        element())`` for the pass (``element`` and ``combine`` are called when the pass is
        emitted), and return the accumulators at the current column of the loop that finishes
        the reductions, where the recipe computes its result from them. (``width``, the row
        kernel's vector width, does not apply: the columns are the lanes.)"""
        single = isinstance(init, V)
        inits = (init,) if single else tuple(init)
        accs = [self.array(a.type) for a in inits]
        self.passes.append((combine, inits, element, accs))
        loaded = tuple(self.load_acc(acc, a.type) for acc, a in zip(accs, inits))
        return loaded[0] if single else loaded

    def array(self, t: ir.Type) -> ir.Value:
        """An array on the stack holding a value of type ``t`` for each column of a unit."""
        at_entry = ir.IRBuilder(self.entry)
        at_entry.position_at_start(self.entry)
        return at_entry.alloca(ir.ArrayType(_stored(t), COLUMNS))

    def load_acc(self, acc: ir.Value, t: ir.Type) -> V:
        x = self.irb.load(self.irb.gep(acc, [ir.Constant(I32, 0), self.c]))
        return V(self.b, self.irb.trunc(x, I1) if t == I1 else x)

    def store_acc(self, acc: ir.Value, x: V) -> None:
        v = self.irb.zext(x.v, I8) if x.type == I1 else x.v
        self.irb.store(v, self.irb.gep(acc, [ir.Constant(I32, 0), self.c]))

    def column(self, kept: ir.Value) -> V:
        """The value a finished pass kept in array ``kept`` (see :meth:`phase`), at the current
        column."""
        return self.load_acc(kept, kept.type.pointee.element)

    def over_columns(self, name: str, body: Callable[[], None]) -> None:
        """``for c in range(columns): body()``, with nothing computed at a column reused at
        another."""
        irb, fn = self.irb, self.fn
        before = irb.block
        loop, after = fn.append_basic_block(name), fn.append_basic_block(f"{name}.done")
        irb.cbranch(irb.icmp_signed("<", ir.Constant(I64, 0), self.columns), loop, after)
        irb.position_at_end(loop)
        c = irb.phi(I64, "c")
        self.c, self.memo = c, {}
        body()
        self.c, self.memo = None, {}
        next_c = irb.add(c, ir.Constant(I64, 1))
        c.add_incoming(ir.Constant(I64, 0), before)
        c.add_incoming(next_c, irb.block)
        irb.cbranch(irb.icmp_signed("<", next_c, self.columns), loop, after)
        irb.position_at_end(after)

    def over_rows(self, body: Callable[[List[ir.Value]], None]) -> None:
        """The reduced dim in steps of :data:`ROWS_PER_STEP` positions, then the rest one at a
        time: at each step, ``body(positions)`` for every column."""
        irb, fn = self.irb, self.fn
        whole = irb.and_(self.n, ir.Constant(I64, -ROWS_PER_STEP))
        for start, end, step in ((ir.Constant(I64, 0), whole, ROWS_PER_STEP), (whole, self.n, 1)):
            before = irb.block
            loop, after = fn.append_basic_block("pass"), fn.append_basic_block("pass.done")
            irb.cbranch(irb.icmp_signed("<", start, end), loop, after)
            irb.position_at_end(loop)
            j = irb.phi(I64, "j")

            def positions(j: ir.Value = j, step: int = step) -> None:
                body([j] + [irb.add(j, ir.Constant(I64, u)) for u in range(1, step)])
            self.over_columns("step", positions)
            next_j = irb.add(j, ir.Constant(I64, step))
            j.add_incoming(start, before)
            j.add_incoming(next_j, irb.block)
            irb.cbranch(irb.icmp_signed("<", next_j, end), loop, after)
            irb.position_at_end(after)

    def at_positions(self, positions: List[ir.Value], body: Callable[[], None]) -> None:
        """``body()`` at each of ``positions`` along the reduced dim in turn."""
        for j in positions:
            self.j, self.memo = j, {}
            body()
        self.j, self.memo = None, {}

    def then(self, emit: Callable[[], None]) -> None:
        """Code ``emit`` writes (from a new block, ending where it leaves the builder), run
        after the code so far."""
        start = self.fn.append_basic_block("then")
        self.irb.position_at_end(start)
        emit()
        end = self.irb.block
        self.irb.position_at_end(self.tail)
        self.irb.branch(start)
        self.tail = end

    def phase(self, finish: Callable[[], Optional[V]], store_rows: bool = False) -> Optional[ir.Value]:
        """One pass over the reduced dim, then one loop over the columns running ``finish``,
        which calls the recipes: their ``reduce`` records what the pass accumulates (so the
        finishing loop is written first, and the pass placed before it). A value ``finish``
        returns is kept per column in an array, returned, for later passes to read
        (:meth:`column`). ``store_rows``: the pass stores the group's row outputs."""
        fn, irb = self.fn, self.irb
        self.passes = []
        kept: List[ir.Value] = []
        finishing = fn.append_basic_block("finish")
        irb.position_at_end(finishing)

        def finish_column() -> None:
            v = finish()
            if v is not None:
                kept.append(self.array(v.type))
                self.store_acc(kept[0], v)
        self.over_columns("finish", finish_column)
        end = irb.block

        def initial() -> None:
            for _, inits, _, accs in self.passes:
                for acc, a in zip(accs, inits):
                    self.store_acc(acc, a)

        def step(positions: List[ir.Value]) -> None:
            # the accumulators loaded once a step and stored once: the positions are combined
            # in order, as one at a time would
            accumulated = [tuple(self.load_acc(acc, a.type) for acc, a in zip(accs, inits))
                           for _, inits, _, accs in self.passes]

            def position() -> None:
                for k, (combine, _, element, _) in enumerate(self.passes):
                    acc = accumulated[k]
                    new = combine(acc[0] if len(acc) == 1 else acc, element())
                    accumulated[k] = new if isinstance(new, tuple) else (new,)
                if store_rows:
                    self.store_row_outputs()
            self.at_positions(positions, position)
            for (_, _, _, accs), values in zip(self.passes, accumulated):
                for acc, x in zip(accs, values):
                    self.store_acc(acc, x)

        def accumulate() -> None:
            self.over_columns("initial", initial)
            self.over_rows(step)
            irb.branch(finishing)
            irb.position_at_end(end)
        self.then(accumulate)
        return kept[0] if kept else None

    def store_row_outputs(self) -> None:
        for k, v in self.outputs():
            if self.kinds[v] == ROW:
                self.store(k, self.value(v))

    def emit(self) -> None:
        self.bind()
        self.tail = self.entry
        row_ops = [n for n in self.graph.nodes if (op := registry.node_op(n)) is not None and op.row is not None]
        for node in row_ops:
            if registry.node_op(node).qualified_name not in BLOCK_OPS:  # type: ignore[union-attr]
                raise RuntimeError(f"internal error: {node.kind} in a blocked kernel's group")

        def store_rows() -> None:
            self.over_rows(lambda at: self.at_positions(at, self.store_row_outputs))
        if any(self.kinds[n.outputs[0]] == ROW for n in row_ops):
            # softmax (alone with its pointwise ops, as the fuser forms it): passes keep its
            # statistics per column, then a last pass computes the rows
            for node in row_ops:
                self.state[node] = BLOCK_OPS[registry.node_op(node).qualified_name].prepare(self, node)  # type: ignore
            self.then(store_rows)
        else:
            # a reduction reading the result of another runs in a later pass: the passes'
            # results are kept per column for the passes and the finishing loops after
            # (var's mean, logsumexp's max: a recipe of several passes takes as many phases)
            levels = _levels(self.graph)
            phases = max(levels[n.outputs[0]] for n in row_ops)
            rows_later = any(levels[v] > 0 for _, v in self.outputs() if self.kinds[v] == ROW)
            for p in range(phases):
                stages = [(n, p - levels[n.inputs[0]]) for n in row_ops
                          if levels[n.inputs[0]] <= p < levels[n.outputs[0]]]
                self.phase(functools.partial(self.results, stages, p == phases - 1),
                           store_rows=p == 0 and not rows_later)
            if rows_later:  # (x - x.mean(0)): a last pass, reading the results
                self.then(store_rows)
        self.irb.position_at_end(self.tail)
        self.irb.ret_void()

    def results(self, stages: List[Tuple[Node, int]], last: bool) -> None:
        """In a finishing loop: the results of reductions ``stages`` (each with the pass of its
        recipe this is: the last gives its result, an earlier one a value kept for the next),
        kept per column, and for the ``last`` pass the per-column outputs."""
        for node, stage in stages:
            recipe = BLOCK_OPS[registry.node_op(node).qualified_name]  # type: ignore[union-attr]
            if isinstance(recipe, _Passes):
                kept = self.kept_stages.setdefault(node, [])
                assert len(kept) == stage
                result = recipe.stage(self, node, kept)
                if stage < recipe.passes - 1:
                    kept.append(self.array(result.type))
                    self.store_acc(kept[-1], result)
                    continue
            else:
                result = recipe.reduced(self, node)
            for o, r in zip(node.outputs, result if isinstance(result, tuple) else (result,)):
                self.memo[o] = Operand(r, _dtype(o), "dim")
                kept = self.kept_columns[o] = self.array(r.type)
                self.store_acc(kept, r)
        if last:
            for k, v in self.outputs():
                if self.kinds[v] != ROW:
                    self.store(k, self.value(v))

    def value(self, v: Value) -> Operand:
        """As the row's, with the results of earlier passes read from where they are kept."""
        if v not in self.memo and v in self.kept_columns:
            self.memo[v] = Operand(self.column(self.kept_columns[v]), _dtype(v), "dim")
        return super().value(v)


def _levels(graph: Graph) -> Dict[Value, int]:
    """For each value of ``graph``: how many passes it reads through (0: computed from the
    inputs alone; a reduction's result: its input's level + the passes its recipe takes)."""
    levels: Dict[Value, int] = {v: 0 for v in graph.inputs}
    for node in graph.nodes:
        op = registry.node_op(node)
        level = max((levels.get(v, 0) for v in node.inputs), default=0)
        if op is not None and op.row is not None:
            recipe = BLOCK_OPS.get(op.qualified_name)
            level = levels.get(node.inputs[0], 0) + (recipe.passes if isinstance(recipe, _Passes) else 1)
        for o in node.outputs:
            levels[o] = level
    return levels


def _stored(t: ir.Type) -> ir.Type:
    """How an accumulator of type ``t`` is kept in memory (flags as bytes)."""
    return I8 if t == I1 else t


class _ColumnSoftmax(_RowOp):
    """softmax and log_softmax over an outer dim, in three passes: the max of each column
    (kept), the sum of exp(x - max) (kept as its reciprocal, or its log), then the outputs:
    exp(x - max) * (1 / sum), or (x - max) - log(sum). The exps are computed again in the
    last pass rather than stored and read back: softmax storing them in its output in the
    sum's pass, then scaling the output in place, was slower, store/recompute 1.06 (1024,
    1024), 1.08 (8192, 1024), 1.15 (256, 4096) with the thread policy, 1.11-1.16 on one
    thread (both kernels in one process, 41 interleaved rounds, medians)."""

    def __init__(self, log: bool):
        self.log = log

    def prepare(self, row: _Row, node: Node) -> Tuple[ir.Value, ...]:
        block = row
        assert isinstance(block, _Block)
        x, dtype = node.inputs[0], _dtype(node.output)
        m = block.phase(lambda: row_extreme(block, lambda: block.value(x), dtype, True))
        assert m is not None

        def element() -> Operand:
            v = block.value(x).value
            assert v is not None
            return Operand(mathlib.exp_of_shifted(block.b, v - block.column(m)), dtype, "dim")

        def finish() -> V:
            total = _narrow(block.b, row_sum(block, element, dtype), dtype)
            return block.cx.math("log", total) if self.log else _reciprocal(total)
        s = block.phase(finish)
        assert s is not None
        return m, s

    def row(self, row: _Row, node: Node) -> Operand:
        block = row
        assert isinstance(block, _Block)
        m, s = (block.column(a) for a in block.state[node])
        v = block.value(node.inputs[0]).value
        assert v is not None
        shifted = v - m
        y = shifted - s if self.log else mathlib.exp_of_shifted(block.b, shifted) * s
        return Operand(y, _dtype(node.output), "dim")


class _PassMean(_RowOp):
    """mean: the sum over m (without the row kernel's fusion of a variance, which takes the
    mean in a first pass)."""

    def reduced(self, row: _Row, node: Node) -> V:
        return _mean(row, node.inputs[0], _dtype(node.output))


class _FirstExtreme(_RowOp):
    """max and min with a dim, in one pass: the extreme, and the first position holding it
    (an element replaces the kept one if it is larger, or smaller, or the first NaN: NaN is
    the max and the min of a column holding one, at its first NaN)."""

    def __init__(self, largest: bool):
        self.largest = largest

    def reduced(self, row: _Row, node: Node) -> Tuple[V, V]:
        b, x = row.b, node.inputs[0]
        dtype = _dtype(x)
        t = REGISTER[dtype]
        if is_float(dtype):
            init = b.c(t, float("-inf") if self.largest else float("inf"))
        else:
            bits = t.width
            init = b.c(t, -(1 << (bits - 1)) if self.largest else (1 << (bits - 1)) - 1)

        def element() -> Tuple[V, V]:
            v = row.value(x).value
            assert v is not None and row.j is not None
            return v, V(b, row.j)

        def combine(acc: Tuple[V, V], at: Tuple[V, V]) -> Tuple[V, V]:
            (m, i), (v, j) = acc, at
            take = v.gt(m) if self.largest else v.lt(m)
            if is_float(dtype):
                take = take | (v.isnan() & ~m.isnan())
            return b.select(take, v, m), b.select(take, j, i)
        m, i = row.reduce(combine, (init, b.c(I64, 0)), element)
        return m, i


class _Passes(_RowOp):
    """A reduction whose row recipe reads one reduction's result in the next (var's mean,
    logsumexp's max): in a blocked kernel each of its ``passes`` runs in a phase of its own
    (:meth:`_Block.phase`), reading what the ones before kept per column."""

    passes = 2

    def stage(self, block: "_Block", node: Node, kept: List[ir.Value]) -> V:
        """In the finishing loop of the pass after those that kept ``kept`` (arrays, read at
        the current column with :meth:`_Block.column`, in the pass and in the finishing
        loop): the value to keep for the next pass, or for the last the result."""
        raise NotImplementedError


class _PassMoment(_Passes):
    """var and std as the row kernel's _Moment computes them, two passes: the mean (rounded
    to the dtype), then the sum of squared deviations from it."""

    def __init__(self, root: bool):
        self.moment = _Moment(root)

    def stage(self, block: "_Block", node: Node, kept: List[ir.Value]) -> V:
        x, dtype = node.inputs[0], _dtype(node.output)
        if not kept:
            return _mean(block, x, dtype)
        return self.moment.of_squares(block, node, _sum_of_squares(block, x, lambda: block.column(kept[0]), dtype))


class _PassLogSumExp(_Passes):
    """logsumexp as the row kernel's _LogSumExp computes it, two passes: the max (0 where it
    is not finite), then log(sum(exp(x - max))) + max."""

    def stage(self, block: "_Block", node: Node, kept: List[ir.Value]) -> V:
        if not kept:
            return _LogSumExp.row_max(block, node)
        return _LogSumExp.of_max(block, node, lambda: block.column(kept[0]))


# The recipes of the ops the registry marks ``blocked`` (RowForm.blocked).
BLOCK_OPS: Dict[str, _RowOp] = {
    "aten::sum.dim_IntList": ROW_OPS["aten::sum.dim_IntList"],
    "aten::mean.dim": _PassMean(),
    "aten::prod.dim_int": ROW_OPS["aten::prod.dim_int"],
    "aten::amax": ROW_OPS["aten::amax"],
    "aten::amin": ROW_OPS["aten::amin"],
    "aten::max.dim": _FirstExtreme(True),
    "aten::min.dim": _FirstExtreme(False),
    "aten::norm.ScalarOpt_dim": ROW_OPS["aten::norm.ScalarOpt_dim"],
    "aten::var.dim": _PassMoment(False),
    "aten::var.correction": _PassMoment(False),
    "aten::std.dim": _PassMoment(True),
    "aten::std.correction": _PassMoment(True),
    "aten::logsumexp": _PassLogSumExp(),
    "aten::softmax.int": _ColumnSoftmax(False),
    "aten::log_softmax.int": _ColumnSoftmax(True),
}


def _entry(module: ir.Module, inner: ir.Function, spec: Spec, layout: ObjectLayout) -> None:
    """``mtj_kernel(arrays, layout)``: the units of [first, end), each the columns up to the
    next multiple of COLUMNS, the end of the range or the end of its outer index."""
    tensors = spec.tensors
    ndim, outer = spec.ndim, spec.ndim - 2
    fn = ir.Function(module, ir.FunctionType(I32, [I8.as_pointer(), I64.as_pointer()]), SYMBOL)
    arrays, buf = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    # the words after [first, end, m, N, outer sizes, strides]: the inputs' own layout
    check_layout(irb, arrays, buf, 4 + outer + ndim * len(tensors), len(tensors) - len(spec.outputs), layout)

    def word(k: int) -> ir.Value:
        return irb.load(irb.gep(buf, [ir.Constant(I64, k)]))

    first, end, m, n = word(0), word(1), word(2), word(3)
    shape = [word(4 + d) for d in range(outer)]
    strides = [[word(4 + outer + k * ndim + d) for d in range(ndim)] for k in range(len(tensors))]
    ptrs = [data_pointer(irb, arrays, layout, k, MEMORY[t.dtype].as_pointer()) for k, t in enumerate(tensors)]
    scalars = scalar_values(irb, arrays, layout, spec) if spec.scalars else []
    along = [strides[k][outer] for k, t in enumerate(tensors) if t.inner != 0]
    before = irb.block
    loop, done = fn.append_basic_block("units"), fn.append_basic_block("done")
    irb.cbranch(irb.icmp_signed("<", first, end), loop, done)
    irb.position_at_end(loop)
    u = irb.phi(I64, "u")
    o, c0 = irb.udiv(u, n), irb.urem(u, n)
    # up to the next multiple of COLUMNS (so the threads' ranges, aligned by the launcher,
    # split no unit), the end of the columns and the end of the range
    size = ir.Constant(I64, COLUMNS)
    stop = irb.sub(irb.add(c0, size), irb.urem(c0, size))
    stop = irb.select(irb.icmp_signed("<", stop, n), stop, n)
    stop = irb.select(irb.icmp_signed("<", irb.sub(stop, c0), irb.sub(end, u)), stop, irb.add(c0, irb.sub(end, u)))
    columns = irb.sub(stop, c0)
    offsets = [irb.add(off, irb.mul(c0, st[ndim - 1])) for off, st in zip(offsets_of(irb, o, shape, strides), strides)]
    irb.call(inner, [m, columns] + [irb.gep(p, [off]) for p, off in zip(ptrs, offsets)] + along + scalars)
    next_u = irb.add(u, columns)
    u.add_incoming(first, before)
    u.add_incoming(next_u, irb.block)
    irb.cbranch(irb.icmp_signed("<", next_u, end), loop, done)
    irb.position_at_end(done)
    irb.ret(ir.Constant(I32, 0))

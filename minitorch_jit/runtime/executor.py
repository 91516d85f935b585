"""The graph executor: specialize a graph on the kind of its inputs, compile a plan once per
kind, and run it.

A call computes its inputs' kind (dtype, rank, which dims are 1 and contiguity of each
tensor; the type of each other argument), and the values of what plans of that kind were
specialized on (see :class:`GraphExecutor`). A miss copies the graph, refines its input
types, runs the optimization pipeline, and generates host code (and native kernels for
fusion groups); the plan is cached, bounded, by key. A hit runs the plan with no compile
work. ``MINITORCH_JIT_LOG=recompile`` logs each recompile with its reason.

Calls whose arguments are all tensors take a leaner path (:meth:`GraphExecutor.run_tensors`):
the exact layout of the arrays (shape, strides and dtype of each) decides everything a plan
is keyed on, so a layout seen before finds what runs its plan with one dict lookup, in
``layouts`` (bounded; a new layout goes through the full lookup): the plan's function, or for
a plan that is one fused kernel, that kernel's launch prepared for the layout. Before any of
that, a call tries the launch of the previous call (when its plan was one fused kernel),
whose kernel checks natively that the arrays have its layout: the common case of a function
called again and again on arrays shaped alike costs no key at all.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen.host import HostCode, generate
from minitorch_jit.codegen.launch import MISS
from minitorch_jit.ir import Graph, TensorType, Type, Value
from minitorch_jit.ir.graph import BACKWARD, SUBGRAPH
from minitorch_jit.ir.types import BOOL, FLOAT, INT, NONE, ListType, NumberType, OptionalType, TupleType, tensor_type
from minitorch_jit.passes import differentiable_graphs
from minitorch_jit.passes.differentiable_graphs import AutodiffReport, create_differentiable_graphs
from minitorch_jit.passes.fusion import FusionReport, recording
from minitorch_jit.passes.peephole import for_autograd, size_reads
from minitorch_jit.passes.pipeline import optimize as optimizations
from minitorch_jit.passes.remove_mutation import remove_mutation

from ..ops.dispatch import unwrap  # a user argument as graphs see it: arrays for tensors, plain ints
from ..ops.tensor_keys import unkey
from ..tensor import Tensor
from . import switches
from .differentiable import AutodiffTarget, Region
from .tape import TAPE, records

log = logging.getLogger("minitorch_jit")

CACHE_SIZE = int(os.environ.get("MINITORCH_JIT_CACHE_SIZE", "64"))
LAYOUT_CACHE_SIZE = 4 * CACHE_SIZE  # exact input layouts remembered by the lean call path


def _logging(topic: str) -> bool:
    return topic in os.environ.get("MINITORCH_JIT_LOG", "").split(",")


# -- specialization keys --------------------------------------------------------------------------


_DTYPE_NAMES = {np.dtype(d): d for d in ("bool", "int32", "int64", "float32", "float64")}


def arg_key(v: Any) -> Any:
    """What a compiled plan may assume about an argument value."""
    if type(v) is np.ndarray:
        # numpy's dtype.name is computed in Python on every access; this is the hot path
        name = _DTYPE_NAMES.get(v.dtype) or v.dtype.name
        return ("T", name, tuple(d == 1 for d in v.shape), v.flags.c_contiguous)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(arg_key(x) for x in v))
    return type(v).__name__


def _is_tensor_key(key: Any) -> bool:
    return isinstance(key, tuple) and bool(key) and key[0] == "T"


def describe_key(key: Any) -> str:
    if _is_tensor_key(key):
        return str(specialized_type(TensorType(), key))
    if isinstance(key, tuple):
        return f"{key[0]}[{', '.join(describe_key(k) for k in key[1])}]"
    return str(key)


_NUMBERS = {"int": INT, "float": FLOAT, "bool": BOOL}


def specialized_type(declared: Type, key: Any) -> Type:
    """The declared input type refined by what the key says of the value."""
    if _is_tensor_key(key):
        return TensorType(key[1], tuple(1 if one else None for one in key[2]), key[3])
    if isinstance(declared, OptionalType):
        return NONE if key == "NoneType" else specialized_type(declared.elem, key)
    if isinstance(declared, NumberType) and key in _NUMBERS:
        return _NUMBERS[key]
    if isinstance(declared, ListType) and isinstance(key, tuple) and key[0] == "list" and key[1]:
        elems = [specialized_type(declared.elem, k) for k in key[1]]
        if all(e == elems[0] for e in elems):
            return ListType(elems[0])
    if isinstance(declared, TupleType) and isinstance(key, tuple) and key[0] == "tuple" and \
            len(key[1]) == len(declared.elems):
        return TupleType([specialized_type(d, k) for d, k in zip(declared.elems, key[1])])
    return declared


# -- running ------------------------------------------------------------------------------------


def wrap(v: Any, inputs: Dict[int, Tensor]) -> Any:
    """Graph results as user values; an input array returned as is comes back as the very
    Tensor that was passed in."""
    if type(v) is np.ndarray:
        t = inputs.get(id(v))
        return t if t is not None else Tensor._wrap(v)
    if isinstance(v, np.generic):
        return Tensor._wrap(np.asarray(v))
    if isinstance(v, list):
        return [wrap(x, inputs) for x in v]
    if isinstance(v, dict):
        return {wrap(unkey(k), inputs): wrap(x, inputs) for k, x in v.items()}
    if isinstance(v, tuple):
        return type(v)(*[wrap(x, inputs) for x in v]) if hasattr(v, "_fields") else tuple(wrap(x, inputs) for x in v)
    return v


def _replace_by_constant(graph: Graph, v: Value, value: Any) -> None:
    with graph.inserting_before(graph.nodes[0] if graph.nodes else graph.block.return_node):
        v.replace_all_uses_with(graph.insert_constant(value))


class Guard(NamedTuple):
    """A property of one input that a plan was specialized on beyond its kind: a size of a
    tensor input (``dim``), or the value of a bool input (``dim`` None)."""
    input: int
    dim: Optional[int]

    def read(self, raw: Sequence[Any]) -> Any:
        v = raw[self.input]
        return v.shape[self.dim] if self.dim is not None else v

    def describe(self, graph: Graph) -> str:
        name = graph.inputs[self.input].name or str(self.input)
        return f"input {self.input} ({name}) " + ("value" if self.dim is None else f"size {self.dim}")


def guards_for(graph: Graph) -> Tuple[Guard, ...]:
    """What an optimized graph still reads that would fold if it were known: sizes of its
    tensor inputs read by size queries, and its bool inputs (two values at most)."""
    guards = [Guard(i, d) for i, d in size_reads(graph)]
    guards += [Guard(i, None) for i, v in enumerate(graph.inputs) if v.type == BOOL and v.uses]
    return tuple(sorted(guards, key=lambda g: (g.input, -1 if g.dim is None else g.dim)))


@dataclass
class Plan:
    """What one kind of input runs: the specialized, optimized graph, its host code, and
    what the fuser did while the graph was optimized (for ``explain``)."""
    key: Any
    graph: Graph
    code: HostCode
    fusion_report: FusionReport
    # plans for calls that record for autograd: what the autodiff pass did, and the regions
    autodiff_report: Optional[AutodiffReport] = None
    regions: Sequence[Region] = ()

    def explain(self) -> str:
        if self.autodiff_report is None:
            return str(self.fusion_report)
        lines = [str(self.autodiff_report)]
        for i, r in enumerate(self.regions):
            lines.append(f"  {differentiable_graphs.KIND}_{i} saved {r.saved_bytes} bytes besides its inputs "
                         "in its last call")
        return "\n".join(lines + [str(self.fusion_report)])


# ``optimize(graph, refine)`` runs the pass pipeline on ``graph`` (see
# :func:`passes.pipeline.run_pipeline`, whose ``refine`` hook the executor uses to specialize on
# what the optimized graph still reads).
Optimizer = Callable[[Graph, Optional[Callable[[Graph], bool]]], Graph]


def _specialize_on(graph: Graph, guards: Sequence[Guard], values: Sequence[Any]) -> None:
    """Make the guarded properties of the graph's inputs known: a size in the input's type,
    a bool input a constant."""
    for guard, value in zip(guards, values):
        v = graph.inputs[guard.input]
        if guard.dim is None:
            _replace_by_constant(graph, v, value)
        else:
            t = tensor_type(v.type)
            assert t.sizes is not None, "a size guard is only made for a tensor input of known rank"
            sizes = list(t.sizes)
            sizes[guard.dim] = value
            v.type = TensorType(t.dtype, sizes, t.contiguous)


class GraphExecutor:
    """Runs one graph, compiling a plan per input kind. ``optimize`` turns a graph whose input
    types are specialized into the graph to generate code for (the pass pipeline);
    ``fusion`` compiles fusion-group nodes.

    Plans are specialized on the kind of the inputs and, for graphs that read them, on some
    of their values. The first call with inputs of a new kind runs the pipeline once: when
    the optimizations settle, the graph is asked what it still reads that would fold if
    known (:func:`guards_for`: ``N = x.size(0)`` where N decides more than pointwise
    arithmetic, a bool flag); those are the kind's guards, their values in this call are made
    known, and the pipeline goes on to the end. That graph is the plan for the kind and these
    values. A later call of the same kind with other guarded values (another batch size)
    runs the pipeline once more, with its values known from the start. Graphs that never
    look at sizes thus get one plan for every batch size, and those that do get their sizes
    folded.

    Calls may come from several threads: the plan and guard tables are only read and changed
    under a lock (compiling is not: two threads may compile the same plan, and one is kept).
    """

    def __init__(self, graph: Graph, name: str = "forward", optimize: Optional[Optimizer] = None,
                 fusion: Optional[Callable[..., Any]] = None):
        self.graph = graph
        self.name = name
        self.optimize = optimize
        self.fusion = fusion
        self.plans: "OrderedDict[Any, Plan]" = OrderedDict()
        self.guards: "OrderedDict[Any, Tuple[Guard, ...]]" = OrderedDict()
        self.compiles = 0
        self.layouts: Dict[Tuple[Any, ...], Callable[..., Any]] = {}
        self.fast: Optional[Any] = None  # the launch of the last call, if its plan is one fused kernel
        self._lock = threading.Lock()
        self._float_inputs = [i for i, v in enumerate(graph.inputs)
                              if v.type in (FLOAT, OptionalType(FLOAT))]
        self._tape: Optional[HostCode] = None
        self.grad_plans: "OrderedDict[Any, Plan]" = OrderedDict()
        switches.track(self)

    def forget_plans(self) -> None:
        """Drop every plan (the switches they were compiled under changed)."""
        with self._lock:
            self.plans.clear()
            self.grad_plans.clear()
            self.guards.clear()
            self.layouts = {}  # rebinding, not clearing: a concurrent call keeps its view
            self.fast = None

    def __deepcopy__(self, memo: Dict[int, Any]) -> "GraphExecutor":
        """A copy runs a copy of the graph and compiles its own plans (plans and the lock
        are this executor's; ``copy.deepcopy`` of a compiled module must work)."""
        return GraphExecutor(self.graph.copy(), self.name, self.optimize, self.fusion)

    def key(self, raw: Sequence[Any]) -> Tuple[Any, ...]:
        return tuple(arg_key(v) for v in raw)

    def plan(self, raw: Sequence[Any]) -> Plan:
        kind = self.key(raw)
        with self._lock:
            guards = self.guards.get(kind)
            if guards is not None:
                self.guards.move_to_end(kind)
                key = (kind, tuple(g.read(raw) for g in guards))
                plan = self.plans.get(key)
                if plan is not None:
                    self.plans.move_to_end(key)
                    return plan
        if guards is None:
            self._log_recompile(lambda: self._kind_changes(kind))
            return self._first_of_kind(kind, raw)
        self._log_recompile(lambda: self._guard_changes(kind, guards, key[1]))
        return self._add(key, *self._optimized(kind, guards, key[1]))

    def _first_of_kind(self, kind: Tuple[Any, ...], raw: Sequence[Any]) -> Plan:
        found: List[Tuple[Guard, ...]] = []

        def specialize(graph: Graph) -> bool:
            guards = guards_for(graph)
            found.append(guards)
            _specialize_on(graph, guards, tuple(g.read(raw) for g in guards))
            return bool(guards)

        graph, report = self._optimized(kind, (), (), specialize)
        guards = found[0] if found else ()
        with self._lock:
            self.guards[kind] = guards
            while len(self.guards) > CACHE_SIZE:
                self.guards.popitem(last=False)
        return self._add((kind, tuple(g.read(raw) for g in guards)), graph, report)

    def _optimized(self, kind: Tuple[Any, ...], guards: Sequence[Guard], values: Sequence[Any],
                   refine: Optional[Callable[[Graph], bool]] = None) -> Tuple[Graph, FusionReport]:
        """A copy of the graph with its inputs specialized (and the guarded properties
        known), through the optimizer (which calls ``refine`` once the optimizations
        settle), and what the fuser did."""
        g = self._specialized(kind)
        _specialize_on(g, guards, values)
        optimize, _ = switches.effective(self.optimize, self.fusion)
        with recording() as report:
            if optimize is not None:
                g = optimize(g, refine)
        return g, report

    def _specialized(self, kind: Tuple[Any, ...]) -> Graph:
        g = self.graph.copy()
        for v, k in zip(g.inputs, kind):
            v.type = specialized_type(v.type, k)
        for v, k in zip(g.inputs, kind):
            if k == "NoneType":  # `x is None` folds, and so does the branch it decides
                _replace_by_constant(g, v, None)
        return g

    def _add(self, key: Any, graph: Graph, report: FusionReport) -> Plan:
        plan = Plan(key, graph, generate(graph, self.name, switches.effective(self.optimize, self.fusion)[1]), report)
        return self._keep(self.plans, plan)

    def _keep(self, plans: "OrderedDict[Any, Plan]", plan: Plan) -> Plan:
        with self._lock:
            self.compiles += 1
            plans[plan.key] = plan
            while len(plans) > CACHE_SIZE:
                plans.popitem(last=False)
        return plan

    def _log_recompile(self, reason: Callable[[], List[str]]) -> None:
        if _logging("recompile"):
            with self._lock:  # the reasons read the plans
                text = ("; ".join(reason()) or "new input kind") if self.plans else None
            if text is not None:
                log.warning("recompiling %s: %s", self.name, text)

    def _kind_changes(self, kind: Tuple[Any, ...]) -> List[str]:
        last, _ = next(reversed(self.plans))
        return [f"input {i} ({v.name or i}) was {describe_key(a)}, now {describe_key(b)}"
                for i, (v, a, b) in enumerate(zip(self.graph.inputs, last, kind)) if a != b]

    def _guard_changes(self, kind: Tuple[Any, ...], guards: Sequence[Guard], values: Sequence[Any]) -> List[str]:
        last = next((v for k, v in reversed(self.plans) if k == kind), None)
        if last is None:
            return [f"{g.describe(self.graph)} is {v}" for g, v in zip(guards, values)]
        return [f"{g.describe(self.graph)} was {a}, now {b}" for g, a, b in zip(guards, last, values) if a != b]

    def raw_inputs(self, args: Sequence[Any]) -> List[Any]:
        """The arguments as the graph takes them: arrays for tensors, and floats for ints
        passed where the graph declares a float (as Python would use them: the graph's types,
        and so its specializations, say float)."""
        raw = [unwrap(a) for a in args]
        for i in self._float_inputs:
            if type(raw[i]) is int:
                raw[i] = float(raw[i])
        return raw

    def run_on_tape(self, args: Sequence[Any]) -> Any:
        """Run the graph op by op through the dispatcher, so that autograd records each op
        (for calls in grad mode with an input that requires grad)."""
        if self._tape is None:
            self._tape = generate(self.graph, self.name, None, TAPE)
        return wrap(self._tape.fn(*self._tape_values(args)), {})

    def _tape_values(self, args: Sequence[Any]) -> List[Any]:
        """The arguments as code on the tape takes them: user values, ints passed for floats
        as floats."""
        values = list(args)
        for i in self._float_inputs:
            if type(values[i]) is int:
                values[i] = float(values[i])
        return values

    def plan_for(self, args: Sequence[Any]) -> Plan:
        """The plan a call with these arguments (user values) runs."""
        if records(args):
            plan = self.grad_plan(args)
            if plan is not None:
                return plan
        return self.plan(self.raw_inputs(args))

    def grad_plan(self, args: Sequence[Any]) -> Optional[Plan]:
        """The plan for a call that records for autograd: specialized on which inputs require
        grad too, its differentiable regions ``prim::DifferentiableGraph`` nodes (forward and
        backward optimized and fused), the rest run on the tape. None when no optimizer runs."""
        optimize, fusion = switches.effective(self.optimize, self.fusion)
        if optimize is None:
            return None
        flags = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        raw = self.raw_inputs(args)
        # bool inputs (a module's ``training``) are made known: the branches they decide fold
        bools = tuple((i, raw[i]) for i, v in enumerate(self.graph.inputs) if v.type == BOOL and v.uses)
        key = (self.key(raw), flags, bools)
        with self._lock:
            plan = self.grad_plans.get(key)
            if plan is not None:
                self.grad_plans.move_to_end(key)
                return plan
        g = self._specialized(key[0])
        for i, value in bools:
            _replace_by_constant(g, g.inputs[i], value)
        with recording() as report, differentiable_graphs.recording() as autodiff:
            with for_autograd():
                optimizations(g)
            remove_mutation(g)  # in-place ops on fresh values (relu_ after a conv) join the regions
            create_differentiable_graphs(g, flags)
            unfused = {}
            for node in g.nodes:
                if node.kind == differentiable_graphs.KIND:
                    unfused[node] = node.attrs[SUBGRAPH].copy()
                    node.attrs[SUBGRAPH] = optimize(node.attrs[SUBGRAPH], None)
                    node.attrs[BACKWARD] = optimize(node.attrs[BACKWARD], None)
        target = AutodiffTarget(self.name, fusion, unfused)
        return self._keep(self.grad_plans, Plan(key, g, generate(g, self.name, fusion, target), report, autodiff,
                                                target.regions))

    def run_with_grad(self, args: Sequence[Any]) -> Any:
        plan = self.grad_plan(args)
        if plan is None:
            return self.run_on_tape(args)
        return wrap(plan.code.fn(*self._tape_values(args)), {})

    def run(self, args: Sequence[Any]) -> Any:
        if records(args):
            return self.run_with_grad(args)
        raw = self.raw_inputs(args)
        out = self.plan(raw).code.fn(*raw)
        inputs = {id(a._a): a for a in args if isinstance(a, Tensor)}
        return wrap(out, inputs)

    def run_tensors(self, tensors: Sequence[Tensor], raw: List[np.ndarray]) -> Any:
        """:meth:`run` for calls whose arguments are all tensors (``raw`` their arrays): the
        lean path. The exact layout of the arrays (shapes, strides, dtypes) determines
        everything a plan is keyed on, so a layout seen before finds what runs its plan in
        one dict lookup (the plan's function, or for a plan that is one fused kernel, the
        kernel's launch prepared for that layout); a new one goes through :meth:`plan`."""
        if records(tensors):
            return self.run_with_grad(tensors)
        fast = self.fast
        if fast is not None:
            out = fast.attempt(*raw)
            if out is not MISS:  # a fused kernel's outputs: fresh arrays, never an input
                return Tensor._wrap(out) if type(out) is np.ndarray else tuple([Tensor._wrap(o) for o in out])
        key = tuple([(a.shape, a.strides, a.dtype) for a in raw])
        run = self.layouts.get(key)
        if run is None:
            run = self.plan(raw).code.runner(raw)
            if len(self.layouts) >= LAYOUT_CACHE_SIZE:
                self.layouts = {}  # rebinding, not clearing: a concurrent call keeps its view
            self.layouts[key] = run
        # a plan that is one fused kernel: the next call tries its launch first (natively, when
        # the launch can be made a native function)
        prepare = getattr(run, "prepare_native", None)
        if prepare is not None:
            prepare()
        self.fast = run if prepare is not None else None
        out = run(*raw)
        if type(out) is np.ndarray:
            for t in tensors:
                if t._a is out:
                    return t
            return Tensor._wrap(out)
        return wrap(out, {id(a): t for a, t in zip(raw, tensors)})

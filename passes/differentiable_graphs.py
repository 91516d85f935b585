"""Cut a graph into differentiable regions: each maximal run of differentiable straight-line
nodes of the top block becomes one ``prim::DifferentiableGraph`` node holding the forward and
backward graphs of the run (see :mod:`.autodiff`). Control flow, in-place ops and ops whose
formulas cannot run on graph values stay outside, on the eager tape, each with its reason.

Given (``%x`` requires grad)::

    %a : Float(*, *) = aten::mul(%x, %x)
    %b : Float(*, *) = aten::add_(%a, %x)          # in-place: stays outside
    %c : Float(*, *) = aten::tanh(%b)
    return (%c)

Result::

    %a : Float(*, *) = prim::DifferentiableGraph_0[grad_outputs=[0], grad_inputs=[0]](%x)
    %b : Float(*, *) = aten::add_(%a, %x)
    %c : Float(*, *) = prim::DifferentiableGraph_1[grad_outputs=[0], grad_inputs=[0]](%b)
    return (%c)

The node's outputs are the run's values used after it; its inputs the values it uses from
before. Which inputs may require grad is found conservatively: graph inputs as the caller
says, and any float tensor computed from one (or read from a module, or made by control flow).
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

from minitorch_jit.ir import Block, Graph, Node, Value, registry
from minitorch_jit.ir.graph import BACKWARD, SUBGRAPH
from minitorch_jit.ir.printer import node_line

from .autodiff import Gradient, NotDifferentiable, differentiate, may_require_grad, refusal
from .effects import has_writes

KIND = "prim::DifferentiableGraph"


@dataclass
class AutodiffReport:
    """What the pass decided: the regions it formed and the ops it left outside, with why."""
    regions: List[Tuple[int, int, int]] = field(default_factory=list)  # (ops, saved values, saved inputs)
    left_out: List[Tuple[Node, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.regions)} differentiable graph{'s' if len(self.regions) != 1 else ''}"]
        for i, (ops, saved, inputs) in enumerate(self.regions):
            lines.append(f"  {KIND}_{i}: {ops} ops, saves {saved} value{'s' if saved != 1 else ''} for the backward "
                         f"({inputs} of them its inputs)")
        if self.left_out:
            lines.append("ops left to the eager tape:")
            lines += [f"  {node_line(node)}\n    because {reason}" for node, reason in self.left_out]
        return "\n".join(lines)


_report: contextvars.ContextVar[Optional[AutodiffReport]] = contextvars.ContextVar("autodiff_report", default=None)


@contextlib.contextmanager
def recording() -> Iterator[AutodiffReport]:
    """Collect what :func:`create_differentiable_graphs` decides in this context."""
    report = AutodiffReport()
    token = _report.set(report)
    try:
        yield report
    finally:
        _report.reset(token)


def _may_require_grad(graph: Graph, requires_grad: Sequence[bool]) -> Set[Value]:
    """Values that may require grad when the call runs (a superset: a gradient computed for a
    value that turns out not to require grad is dropped, one missing would be wrong)."""
    found = {v for v, r in zip(graph.inputs, requires_grad) if r and may_require_grad(v.type)}
    _block_may_require_grad(graph.block, found)
    return found


def _block_may_require_grad(block: Block, found: Set[Value]) -> None:
    for node in block.nodes:
        if node.kind == "prim::Constant":
            continue
        op = registry.node_op(node)
        if op is not None and not op.differentiable:
            continue
        if node.blocks:
            for _ in range(2):  # twice: a loop-carried value may require grad from its second trip on
                for b in node.blocks:
                    if any(v in found for v in node.inputs):
                        found.update(b.params)
                    _block_may_require_grad(b, found)
            flows = any(v in found for v in node.inputs) or \
                any(v in found for n in node.all_nodes() for v in n.inputs)
        else:
            # ops are known; other nodes (module attributes, calls) may make values that require grad
            flows = op is None or any(v in found for v in node.inputs)
        if flows:
            found.update(o for o in node.outputs if may_require_grad(o.type) or _tensor_list(o))


def _tensor_list(v: Value) -> bool:
    return may_require_grad(getattr(v.type, "elem", None))


def create_differentiable_graphs(graph: Graph, requires_grad: Sequence[bool]) -> bool:
    """Replace the differentiable runs of ``graph``'s top block by ``prim::DifferentiableGraph``
    nodes (see the module docstring); ``requires_grad`` says which inputs require grad."""
    report = _report.get()
    may = _may_require_grad(graph, requires_grad)
    writes = has_writes(graph)
    excluded = {n: why for n in graph.nodes if (why := refusal(n, writes)) is not None}
    while True:
        built: List[Tuple[List[Node], List[Value], List[Value], Gradient]] = []
        for run in _runs(graph, excluded):
            sub, inputs, outputs, origin = _extract(run)
            if not any(v in may for v in inputs):
                continue
            try:
                built.append((run, inputs, outputs, differentiate(sub, [v in may for v in inputs])))
            except NotDifferentiable as e:
                excluded[origin.get(e.node, run[0])] = e.reason
                break
        else:
            break
    replaced: Dict[Value, Value] = {}  # outputs of runs replaced, which later runs may read
    for run, inputs, outputs, grad in built:
        if not grad.grad_inputs or not grad.grad_outputs:  # no gradient flows through it: left as it is
            continue
        _replace(graph, run, [replaced.get(v, v) for v in inputs], outputs, grad, replaced)
        if report is not None:
            report.regions.append((sum(1 for n in run if n.kind != "prim::Constant"), grad.num_saved,
                                   len(grad.saved_inputs)))
    if report is not None:  # what could have required grad: the rest records nothing anyway
        report.left_out += [(n, why) for n, why in excluded.items() if may.intersection(n.inputs) or n.blocks]
    changed = any(grad.grad_inputs and grad.grad_outputs for *_, grad in built)
    if changed:
        for node in list(graph.nodes):  # constants only the runs read
            if node.kind == "prim::Constant" and not node.output.uses:
                node.destroy()
    return changed


def _runs(graph: Graph, excluded: Dict[Node, str]) -> List[List[Node]]:
    runs: List[List[Node]] = [[]]
    for node in graph.nodes:
        if node.kind == "prim::Constant":
            continue
        if node in excluded:
            runs.append([])
        else:
            runs[-1].append(node)
    return [r for r in runs if any(registry.node_op(n) is not None for n in r)]


def _extract(run: List[Node]) -> Tuple[Graph, List[Value], List[Value], Dict[Node, Node]]:
    """The run as a graph of its own: its inputs the values it reads from outside (constants
    are copied in), its outputs the values read after it; and the run's node of each copy."""
    members = set(run)
    sub = Graph()
    env: Dict[Value, Value] = {}
    inputs: List[Value] = []
    origin: Dict[Node, Node] = {}

    def lookup(v: Value) -> Value:
        if v not in env:
            if v.node.kind == "prim::Constant":
                env[v] = sub.insert_node(sub.clone_node(v.node, lambda x: x)).output
            else:
                inputs.append(v)
                env[v] = sub.add_input(v.type, v.name)
        return env[v]

    for node in run:
        for v in node.inputs:
            lookup(v)
        clone = sub.insert_node(sub.clone_node(node, lookup))
        origin[clone] = node
        env.update(zip(node.outputs, clone.outputs))
    outputs = [o for n in run for o in n.outputs if any(u.user not in members for u in o.uses)]
    for o in outputs:
        sub.register_output(env[o])
    return sub, inputs, outputs, origin


def _replace(graph: Graph, run: List[Node], inputs: List[Value], outputs: List[Value], grad: Gradient,
             replaced: Dict[Value, Value]) -> None:
    attrs = {SUBGRAPH: grad.forward, BACKWARD: grad.backward,
             "grad_outputs": list(grad.grad_outputs), "grad_inputs": list(grad.grad_inputs)}
    node = graph.create(KIND, inputs, [o.type for o in outputs], attrs, run[0].source)
    node.insert_before(run[0])
    names = [o.name for o in outputs]
    for o, new in zip(outputs, node.outputs):
        o.replace_all_uses_with(new)
        replaced[o] = new
    for n in reversed(run):
        n.destroy()
    for new, name in zip(node.outputs, names):
        new.name = name

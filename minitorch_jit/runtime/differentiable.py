"""Running ``prim::DifferentiableGraph`` nodes: each region of a compiled function called with
inputs that require grad runs its optimized (fused) forward graph on arrays and records one
autograd node, :class:`DifferentiableGraphBackward`, whose backward runs the region's
optimized (fused) backward graph on what the forward saved. The ops around the regions run on
the eager tape (:mod:`.tape`), so control flow and in-place ops record as in eager code.

A backward that must itself record (``create_graph=True``, for higher-order gradients) cannot
run the compiled backward, which computes on arrays: it runs the region's forward again, op by
op on the tape from the region's inputs, and differentiates that with ``create_graph=True``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen.host import HostCode, generate
from minitorch_jit.ir import Graph, Node
from minitorch_jit.ir.graph import BACKWARD, SUBGRAPH

from ..autograd import engine
from ..autograd import graph as autograd
from ..autograd.grad_mode import is_grad_enabled
from ..ops.dispatch import unwrap
from ..tensor import Tensor
from .tape import TAPE, TapeTarget


class DifferentiableGraphBackward(autograd.Node):
    """The backward of one region: its compiled backward graph, on the saved values."""

    def __init__(self, region: "Region", edges: Sequence[autograd.Edge], saved: List[Any],
                 inputs: List[autograd.SavedTensor], args: List[Any], metas: List[Tuple[Tuple[int, ...], Any]],
                 shapes: List[Optional[Tuple[int, ...]]]) -> None:
        super().__init__(edges)
        self.region = region
        self.shapes = shapes  # of the inputs that get gradients
        self.saved: Optional[List[Any]] = saved
        self.inputs = inputs  # the saved inputs with their versions: written since, the gradient would be wrong
        # every argument (tensors with their versions): what a recording backward runs again on
        self.args: Optional[List[Any]] = args
        self.metas = metas

    def name(self) -> str:
        return "DifferentiableGraphBackward"

    def output_meta(self, nr: int) -> Optional[Tuple[Tuple[int, ...], Any]]:
        return self.metas[nr]

    def release(self) -> None:
        self.saved = None
        self.args = None

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        if self.saved is None or self.args is None:
            raise RuntimeError(autograd.FREED)
        grads = list(grads) + [None] * (len(self.metas) - len(grads))
        if is_grad_enabled():  # create_graph=True: the gradients must record how they were computed
            return self._recorded(grads)
        for t in self.inputs:
            t.unpack()
        gs = [g._a if g is not None else np.zeros(*m) for g, m in zip(grads, self.metas)]
        out = self.region.backward.fn(*gs, *self.saved)
        out = (out,) if self.region.backward_arity == 1 else out
        return [None if g is None else _fit(Tensor._wrap(np.asarray(g)), shape) for g, shape in zip(out, self.shapes)]

    def _recorded(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        """The region's forward run again on the tape from its inputs (which must not have been
        written since), differentiated with create_graph=True."""
        assert self.args is not None
        args = [a.unpack() if isinstance(a, autograd.SavedTensor) else a for a in self.args]
        outs = self.region.on_tape(args)
        targets = [outs[k] for k in self.region.grad_outputs]
        gs = [g if g is not None else Tensor._wrap(np.zeros(*m)) for g, m in zip(grads, self.metas)]
        found = engine.grad(targets, [args[i] for i in self.region.grad_inputs], gs, create_graph=True,
                            allow_unused=True)
        return list(found)


def _fit(g: Tensor, shape: Optional[Tuple[int, ...]]) -> Tensor:
    """The backward graph sums gradients over broadcast dims where types show a broadcast; a
    dim of unknown size that turned out 1 at run time is summed here (as the tape's nodes do)."""
    if shape is None or g._a.shape == shape:
        return g
    return g.sum_to_size(list(shape))


class Region:
    """One ``prim::DifferentiableGraph`` node, compiled: called with the node's inputs
    (Tensors and other values), it returns its outputs, recording one backward node."""

    def __init__(self, node: Node, function: str, fusion: Optional[Callable[..., Any]], unfused: Graph):
        forward, backward = node.attrs[SUBGRAPH], node.attrs[BACKWARD]
        self.function = function
        self.num_outputs = len(node.outputs)
        self.grad_outputs: List[int] = node.attrs["grad_outputs"]
        self.grad_inputs: List[int] = node.attrs["grad_inputs"]
        saved = forward.outputs[self.num_outputs:]
        self.saved_inputs = [forward.inputs.index(v) for v in saved if v in forward.inputs]
        self.arity = len(forward.outputs)
        self.backward_arity = len(backward.outputs)
        self.forward: HostCode = generate(forward, f"{function}_forward", fusion)
        self.backward: HostCode = generate(backward, f"{function}_backward", fusion)
        self.saved_bytes = 0  # of the last call's saved values, less its inputs
        self.unfused = unfused  # the forward before optimization: what runs on the tape
        self._tape: Optional[HostCode] = None

    def on_tape(self, args: Sequence[Any]) -> Sequence[Any]:
        """The region's outputs computed op by op through the dispatcher, recording."""
        if self._tape is None:
            self._tape = generate(self.unfused, f"{self.function}_forward_on_tape", None, TAPE)
        res = self._tape.fn(*args)
        return ((res,) if self.arity == 1 else tuple(res))[:self.num_outputs]

    def __call__(self, *args: Any) -> Any:
        raw = [unwrap(a) for a in args]
        res = self.forward.fn(*raw)
        res = (res,) if self.arity == 1 else tuple(res)
        outs = [Tensor._wrap(o) if type(o) is np.ndarray else o for o in res[:self.num_outputs]]
        saved = list(res[self.num_outputs:])
        edges = [autograd.edge_of(args[i]) if isinstance(args[i], Tensor) else autograd.NO_EDGE
                 for i in self.grad_inputs]
        if any(e[0] is not None for e in edges):
            inputs = {id(a): a for a in raw if type(a) is np.ndarray}
            self.saved_bytes = sum(s.nbytes for s in saved if type(s) is np.ndarray and id(s) not in inputs)
            # every argument, tensors with their versions; the saved inputs are some of them
            kept = [autograd.SavedTensor(a, a._version) if isinstance(a, Tensor) else a for a in args]
            versions = [kept[i] for i in self.saved_inputs if isinstance(kept[i], autograd.SavedTensor)]
            metas = [(outs[k]._a.shape, outs[k]._a.dtype) for k in self.grad_outputs]
            shapes = [args[i]._a.shape if isinstance(args[i], Tensor) else None for i in self.grad_inputs]
            node = DifferentiableGraphBackward(self, edges, saved, versions, kept, metas, shapes)
            for nr, k in enumerate(self.grad_outputs):
                t = outs[k]
                t.grad_fn = node
                t._requires_grad = True
                if nr:
                    t._get_meta().output_nr = nr
        return outs[0] if self.num_outputs == 1 else tuple(outs)


class AutodiffTarget(TapeTarget):
    """The tape, running ``prim::DifferentiableGraph`` nodes as compiled regions."""

    def __init__(self, function: str, fusion: Optional[Callable[..., Any]], unfused: Dict[Node, Graph]):
        self.function = function
        self.fusion = fusion
        self.unfused = unfused  # each region's forward before optimization
        self.regions: List[Region] = []

    def differentiable_graph(self, node: Node) -> Callable[..., Any]:
        region = Region(node, self.function, self.fusion, self.unfused[node])
        self.regions.append(region)
        return region

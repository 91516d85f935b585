"""Running ``prim::DifferentiableGraph`` nodes: each region of a compiled function called with
inputs that require grad runs its optimized (fused) forward graph on arrays and records one
autograd node, :class:`DifferentiableGraphBackward`, whose backward runs the region's
optimized (fused) backward graph on what the forward saved. The ops around the regions run on
the eager tape (:mod:`.tape`), so control flow and in-place ops record as in eager code.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen.host import HostCode, generate
from minitorch_jit.ir import Node
from minitorch_jit.ir.graph import BACKWARD, SUBGRAPH

from ..autograd import graph as autograd
from ..autograd.grad_mode import is_grad_enabled
from ..ops.dispatch import unwrap
from ..tensor import Tensor
from .tape import TapeTarget


class DifferentiableGraphBackward(autograd.Node):
    """The backward of one region: its compiled backward graph, on the saved values."""

    def __init__(self, region: "Region", edges: Sequence[autograd.Edge], saved: List[Any],
                 inputs: List[autograd.SavedTensor], metas: List[Tuple[Tuple[int, ...], Any]],
                 shapes: List[Optional[Tuple[int, ...]]]) -> None:
        super().__init__(edges)
        self.region = region
        self.shapes = shapes  # of the inputs that get gradients
        self.saved: Optional[List[Any]] = saved
        self.inputs = inputs  # the saved inputs with their versions: written since, the gradient would be wrong
        self.metas = metas

    def name(self) -> str:
        return "DifferentiableGraphBackward"

    def output_meta(self, nr: int) -> Optional[Tuple[Tuple[int, ...], Any]]:
        return self.metas[nr]

    def release(self) -> None:
        self.saved = None

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        if is_grad_enabled():
            raise RuntimeError(f"create_graph=True through the compiled function '{self.region.function}' is not "
                               "supported: its backward is a compiled graph, which does not record. Run it with "
                               "MINITORCH_JIT_DISABLE=1 (or its Python function) for higher-order gradients.")
        if self.saved is None:
            raise RuntimeError(autograd.FREED)
        for t in self.inputs:
            t.unpack()
        gs = [g._a if g is not None else np.zeros(*m) for g, m in
              zip(list(grads) + [None] * (len(self.metas) - len(grads)), self.metas)]
        out = self.region.backward.fn(*gs, *self.saved)
        out = (out,) if self.region.backward_arity == 1 else out
        return [None if g is None else _fit(Tensor._wrap(np.asarray(g)), shape) for g, shape in zip(out, self.shapes)]


def _fit(g: Tensor, shape: Optional[Tuple[int, ...]]) -> Tensor:
    """The backward graph sums gradients over broadcast dims where types show a broadcast; a
    dim of unknown size that turned out 1 at run time is summed here (as the tape's nodes do)."""
    if shape is None or g._a.shape == shape:
        return g
    return g.sum_to_size(list(shape))


class Region:
    """One ``prim::DifferentiableGraph`` node, compiled: called with the node's inputs
    (Tensors and other values), it returns its outputs, recording one backward node."""

    def __init__(self, node: Node, function: str, fusion: Optional[Callable[..., Any]]):
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
            versions = [autograd.SavedTensor(args[i], args[i]._version) for i in self.saved_inputs
                        if isinstance(args[i], Tensor)]
            metas = [(outs[k]._a.shape, outs[k]._a.dtype) for k in self.grad_outputs]
            shapes = [args[i]._a.shape if isinstance(args[i], Tensor) else None for i in self.grad_inputs]
            node = DifferentiableGraphBackward(self, edges, saved, versions, metas, shapes)
            for nr, k in enumerate(self.grad_outputs):
                t = outs[k]
                t.grad_fn = node
                t._requires_grad = True
                if nr:
                    t._get_meta().output_nr = nr
        return outs[0] if self.num_outputs == 1 else tuple(outs)


class AutodiffTarget(TapeTarget):
    """The tape, running ``prim::DifferentiableGraph`` nodes as compiled regions."""

    def __init__(self, function: str, fusion: Optional[Callable[..., Any]]):
        self.function = function
        self.fusion = fusion
        self.regions: List[Region] = []

    def differentiable_graph(self, node: Node) -> Callable[..., Any]:
        region = Region(node, self.function, self.fusion)
        self.regions.append(region)
        return region

"""The graph an exported library computes: the module's forward with its parameters bound,
optimized by the pipeline for inputs of free sizes, every pointwise op in a fusion group.

Given the saved graph ``graph(%x : Float(*, *), %self.0.weight : Float(*, *), ...)`` and
the module's parameter values, the result takes only ``%x`` (typed
``Float(*, *, contiguous)``: its sizes stay free, as in the trace); the parameters are
typed with their exact sizes and recorded as data to embed in the library.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.types import TensorType, Type
from minitorch_jit.passes.decomposition import decomposition
from minitorch_jit.passes.fusion import fuse
from minitorch_jit.passes.pipeline import optimize
from minitorch_jit.passes.remove_mutation import remove_mutation


class ExportError(RuntimeError):
    """The model cannot be exported as it is (an op with no native lowering, an input of
    unknown dtype or rank, ...)."""


def where(node: Node) -> str:
    """The op and the user's source line it came from, for messages."""
    return f"{node.kind} ({node.source})" if node.source is not None else node.kind


@dataclass
class Prepared:
    graph: Graph                       # takes the user inputs, then the parameters
    user_inputs: int                   # how many of graph.inputs the caller passes
    parameters: Dict[Value, np.ndarray]


def prepare(graph: Graph, parameters: Sequence[np.ndarray], input_types: Optional[Sequence[Type]] = None) -> Prepared:
    """``graph`` takes its user inputs, then ``parameters`` (in order); ``input_types``
    (dtype and rank of each user input) replace the graph's declared ones where given."""
    g = graph.copy()
    users = len(g.inputs) - len(parameters)
    declared = [v.type for v in g.inputs[:users]]
    for i, t in enumerate(input_types or []):
        declared[i] = t
    for i, (v, t) in enumerate(zip(g.inputs[:users], declared)):
        if not isinstance(t, TensorType) or t.dtype is None or t.sizes is None:
            raise ExportError(f"input {i} ({v.name}) is {t}: an exported library takes tensors of known dtype and "
                              f"rank (give them with --input-types, e.g. 'Float(*, *)')")
        v.type = TensorType(t.dtype, t.sizes, contiguous=True)
    params: Dict[Value, np.ndarray] = {}
    for v, p in zip(g.inputs[users:], parameters):
        a = np.ascontiguousarray(p)
        v.type = TensorType(a.dtype.name, a.shape, contiguous=True)
        params[v] = a
    optimize(g)
    remove_mutation(g)
    decomposition(g)
    # every pointwise op in a group, so one lowering (the fuser's kernels) covers them all
    fuse(g, min_size=1)
    return Prepared(g, users, params)


def parameters_of(module: Any) -> List[np.ndarray]:
    """The values a loaded module passes its forward graph after the caller's inputs."""
    method = getattr(module, "_methods", {}).get("forward")
    if method is None:
        return []
    return [np.asarray(t.numpy()) for t in method._attributes()]

"""Facts about a specialized graph's inputs that its types cannot say.

A Tensor type carries dtype and sizes; the executor also knows, from the inputs a plan is
compiled for, which input tensors are contiguous. It records that here, and the peephole pass
reads it (``x.contiguous()`` of such an input is ``x``). Facts live as long as their graph.
"""
from __future__ import annotations

import weakref
from typing import Iterable, Set

from minitorch_jit.ir.graph import Graph, Value

_CONTIGUOUS: "weakref.WeakKeyDictionary[Graph, Set[int]]" = weakref.WeakKeyDictionary()


def assume_contiguous(graph: Graph, inputs: Iterable[int]) -> None:
    """Declare that the graph inputs at these offsets are contiguous whenever it runs."""
    _CONTIGUOUS[graph] = set(inputs)


def is_contiguous_input(value: Value) -> bool:
    graph = value.graph
    return value.node is graph.block.param_node and value.offset in _CONTIGUOUS.get(graph, ())

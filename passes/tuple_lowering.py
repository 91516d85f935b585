"""Tuple lowering: a tuple that every branch of a ``prim::If`` builds is returned element by
element, so that what reads it after the ``If`` (unpacking, indexing, slicing) reads the
elements themselves.

Given::

    graph(%c : bool, %x : int, %y : int):
      %b : (int, int) = prim::If(%c)
        block0():
          %1 : (int, int) = prim::TupleConstruct(%x, %y)
          -> (%1)
        block1():
          %2 : (int, int) = prim::TupleConstruct(%y, %x)
          -> (%2)
      %u : int, %v : int = prim::TupleUnpack(%b)
      return (%v)

Result (the tuple is built again after the ``If`` for its readers; the peephole pass then
unpacks what was just built, and dead code elimination removes the rest)::

    graph(%c : bool, %x : int, %y : int):
      %1 : int, %2 : int = prim::If(%c)
        block0():
          %3 : (int, int) = prim::TupleConstruct(%x, %y)
          -> (%x, %y)
        block1():
          %4 : (int, int) = prim::TupleConstruct(%y, %x)
          -> (%y, %x)
      %b : (int, int) = prim::TupleConstruct(%1, %2)
      %u : int, %v : int = prim::TupleUnpack(%b)
      return (%v)

Tuples are immutable values, so nothing can tell the rebuilt tuple from the one returned.
"""
from __future__ import annotations

from typing import List, Optional

from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.types import TupleType

from .rewriting import replace_value


def _built(v: Value) -> Optional[Node]:
    return v.node if v.node.kind == "prim::TupleConstruct" else None


def _lower(node: Node) -> bool:
    changed = False
    for i in reversed(range(len(node.outputs))):
        out = node.outputs[i]
        if not isinstance(out.type, TupleType):
            continue
        builders: List[Optional[Node]] = [_built(b.returns[i]) for b in node.blocks]
        if any(n is None or len(n.inputs) != len(out.type.elems) for n in builders):
            continue
        elements = [node.add_output(t) for t in out.type.elems]
        for block, built in zip(node.blocks, builders):
            assert built is not None
            for v in built.inputs:
                block.register_output(v)
        graph = node.graph
        with graph.inserting_after(node):
            rebuilt = graph.insert("prim::TupleConstruct", elements, [out.type], source=node.source).output
        replace_value(out, rebuilt)
        node.erase_output(i)
        for block in node.blocks:
            block.erase_output(i)
        changed = True
    return changed


def tuple_lowering(graph: Graph) -> bool:
    """Return the elements of tuples that every branch of an ``If`` builds."""
    changed = False
    for node in list(graph.all_nodes()):
        if node.kind == "prim::If":
            changed |= _lower(node)
    return changed

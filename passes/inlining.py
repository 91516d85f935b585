"""Inlining: calls of script functions and submodule methods become the callee's nodes.

Given::

    graph(%x : Tensor):
      %y : Tensor = prim::CallFunction_0[name="double"](%x)
      return (%y)
    with prim::CallFunction_0 = graph(%a : Tensor):
      %two : int = prim::Constant[value=2]()
      %b : Tensor = aten::mul(%a, %two)
      return (%b)

Result::

    graph(%x : Tensor):
      %two : int = prim::Constant[value=2]()
      %b : Tensor = aten::mul(%x, %two)
      return (%b)

Calls inside the callee are inlined in turn (a graph holds its callees' graphs, so this ends).
The callee's nodes keep their source locations.
"""
from __future__ import annotations

import itertools
from typing import Tuple

from minitorch_jit.ir.graph import Block, Graph, Node, inline_block, is_call
from minitorch_jit.ir.types import TENSOR, TensorType

from .rewriting import replace_value
from .shape_propagation import shape_propagation

WARN_ID = "warn_id"
_warn_ids = itertools.count(1)


def new_warn_id() -> int:
    """A fresh ``warn_id``: the identity of one place that runs a ``once_per_call`` op (a
    warning). Copies of a node made by optimizations (loop unrolling) keep it, so they run
    once per call between them; each inlined copy of a callee gets its own, so two calls of
    a function that warns warn twice, as TorchScript's ids (given after inlining) say."""
    return next(_warn_ids)


def inline_call(node: Node) -> bool:
    """Replace one call node (``prim::CallFunction``, or a ``prim::CallMethod`` holding a graph) by a copy of its
    subgraph's nodes. Returns
    whether the copies must be typed again: the call's outputs were typed more precisely than
    the copies that replace them, or the callee's types may not hold for the call's inputs
    (a traced callee's types describe its example inputs, which may be of another rank)."""
    callee = node.subgraph
    env = dict(zip(callee.inputs, node.inputs))
    coarser = any(not v.type.is_subtype_of(p.type) for p, v in zip(callee.inputs, node.inputs)) or \
        any(isinstance(v.type, TensorType) and v.type != TENSOR for n in callee.all_nodes() for v in n.outputs)
    stop = node.prev
    results = inline_block(callee.block, node, env)
    copy = node.prev
    while copy is not None and copy is not stop:  # the copies, last to first
        for n in [copy, *copy.all_nodes()]:
            if WARN_ID in n.attrs:
                n.attrs[WARN_ID] = new_warn_id()
        copy = copy.prev
    for o, r in zip(node.outputs, results):
        coarser |= r.type != o.type and o.type.is_subtype_of(r.type)
        replace_value(o, r)
    node.destroy()
    return coarser


def _block(block: Block) -> Tuple[bool, bool]:
    """(whether a call was inlined, whether an inlined copy is typed coarser than its call)"""
    changed = coarser = False
    for node in list(block.nodes):
        if is_call(node):
            coarser |= inline_call(node)
            changed = True
        else:
            for b in node.blocks:
                c, k = _block(b)
                changed, coarser = changed or c, coarser or k
    return changed, coarser


def inlining(graph: Graph) -> bool:
    """Inline every ``prim::CallFunction`` and ``prim::CallMethod``, including those the inlined code contains.

    The callee's nodes come with the callee's own (general) types. When shape propagation
    had typed the call's outputs for these inputs, and what reads them (a Loop or If carrying
    them) from those, the graph is typed again, so no value is coarser than what reads it."""
    changed = retype = False
    while True:
        inlined, coarser = _block(graph.block)
        if not inlined:
            break
        changed, retype = True, retype or coarser
    if retype:
        shape_propagation(graph)
    return changed

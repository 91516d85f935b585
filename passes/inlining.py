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

from minitorch_jit.ir.graph import Block, Graph, Node, inline_block

from .rewriting import replace_value


def inline_call(node: Node) -> None:
    """Replace one ``prim::CallFunction`` node by a copy of its subgraph's nodes."""
    callee = node.subgraph
    env = dict(zip(callee.inputs, node.inputs))
    results = inline_block(callee.block, node, env)
    for o, r in zip(node.outputs, results):
        if r not in node.inputs and r.type != o.type and o.type.is_subtype_of(r.type):
            # shape propagation refined the call's output (a Loop or If carrying it was typed
            # from it); the inlined copy computes that same value
            r.type = o.type
        replace_value(o, r)
    node.destroy()


def _block(block: Block) -> bool:
    changed = False
    for node in list(block.nodes):
        if node.kind == "prim::CallFunction":
            inline_call(node)
            changed = True
        else:
            for b in node.blocks:
                changed |= _block(b)
    return changed


def inlining(graph: Graph) -> bool:
    """Inline every ``prim::CallFunction``, including those the inlined code contains."""
    changed = False
    while _block(graph.block):
        changed = True
    return changed

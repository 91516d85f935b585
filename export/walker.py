"""The walk of a graph's nodes in an exported library: each node's lowering gets the values
of its inputs (its schema's defaults filling trailing arguments left out) and binds its
outputs. Nodes are numbered in the order walked, blocks included: the memory planner's
positions."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value

from .emitter import Emitter
from .ops import LOWERINGS, op_name
from .prepare import ExportError, where

Env = Dict[Value, Any]


def check_lowerable(graph: Graph) -> None:
    """Every op of ``graph`` (in blocks too) has a native lowering; else the export fails
    naming the first that has none and its source line."""
    for node in graph.all_nodes():
        if node.kind != "prim::Constant" and op_name(node) not in LOWERINGS:
            raise ExportError(f"{where(node)} has no native lowering: the model cannot be exported")


def walk_nodes(em: Emitter, nodes: Iterable[Node], env: Env) -> None:
    for node in nodes:
        em.position += 1
        if node.kind == "prim::Constant":
            env[node.output] = node.output.constant
            continue
        outer = em.where
        em.where = where(node).replace("%", "%%")
        args: List[Any] = [env[v] for v in node.inputs]
        em.read(args)
        em.env = env
        op = None if node.kind.startswith("prim::") else registry.node_op(node)
        if op is not None:  # trailing arguments left at their defaults
            args += [a.default for a in op.schema.arguments[len(args):] if a.has_default]
        before = em.begin_node(node)
        env.update(zip(node.outputs, LOWERINGS[op_name(node)](em, node, args)))
        em.end_node(before)
        em.where = outer

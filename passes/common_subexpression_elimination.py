"""Common subexpression elimination: a pure node equal to an earlier one that is in scope
(same kind, inputs, attributes and output types) reuses its outputs.

Given::

    graph(%x : Tensor, %c : bool):
      %1 : Tensor = aten::exp(%x)
      %2 : Tensor = prim::If(%c)
        block0():
          %3 : Tensor = aten::exp(%x)
          -> (%3)
        block1():
          -> (%x)
      %4 : Tensor = aten::exp(%x)
      %5 : Tensor = aten::add(%2, %4)
      return (%5)

Result::

    graph(%x : Tensor, %c : bool):
      %1 : Tensor = aten::exp(%x)
      %2 : Tensor = prim::If(%c)
        block0():
          -> (%1)
        block1():
          -> (%x)
      %3 : Tensor = aten::add(%2, %1)
      return (%3)

Scoping is respected: a node may reuse one in its own block or an enclosing one that comes
before it, never one inside another node's block. Equal constants merge too (``0.0`` and
``-0.0`` are not equal).

Not merged (see :mod:`passes.alias_analysis` and :mod:`passes.effects`): nodes with effects
(side effects, in-place writes, random draws, ops the registry does not know), nodes with
blocks or subgraphs, nodes reading a tensor or list that something writes into (its contents
differ between the two places), and nodes whose outputs may not become one object with the
earlier outputs (one is written, or both reach the caller, who would get one tensor where the
program gave two).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node

from .alias_analysis import AliasDb, alias_db, keeps_alias_db
from .effects import has_effects
from .rewriting import replace_value


def _literal_key(value: Any) -> Any:
    """A hashable key equal only for constants that are the same (1, 1.0 and True differ;
    so do 0.0 and -0.0)."""
    if isinstance(value, np.ndarray):
        return ("tensor", value.dtype.name, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_literal_key(v) for v in value))
    if isinstance(value, int):  # by value: repr refuses ints of more than 4300 digits
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))


def _key(node: Node) -> Optional[tuple]:
    if node.blocks or SUBGRAPH in node.attrs or has_effects(node):
        return None
    attrs = tuple(sorted((k, _literal_key(v)) for k, v in node.attrs.items()))
    return (node.kind, tuple(node.inputs), attrs, tuple(o.type for o in node.outputs))


def _block(block: Block, scopes: List[Dict[tuple, Node]], db: AliasDb) -> bool:
    changed = False
    scopes.append({})
    for node in list(block.nodes):
        for b in node.blocks:
            changed |= _block(b, scopes, db)
        key = _key(node)
        if key is None or any(db.is_mutated(v) for v in node.inputs):
            continue
        earlier = next((s[key] for s in reversed(scopes) if key in s), None)
        if earlier is None:
            scopes[-1][key] = node
            continue
        if not all(db.may_merge(a, b) for a, b in zip(earlier.outputs, node.outputs)):
            continue
        for a, b in zip(earlier.outputs, node.outputs):
            db.merged(a, b)
            replace_value(b, a)
        node.destroy()
        changed = True
    scopes.pop()
    return changed


@keeps_alias_db
def common_subexpression_elimination(graph: Graph) -> bool:
    """Reuse the outputs of an equal pure node in scope."""
    return _block(graph.block, [], alias_db(graph))

"""Dead code elimination by mark and sweep from the graph's outputs.

Given::

    graph(%x : Float(*), %y : Float(*)):
      %1 : Tensor = aten::mean(%x)          # unused
      %2 : Tensor = aten::add(%x, %y)       # unused, but raises unless the sizes broadcast
      %3 : Tensor = aten::neg(%x)
       = prim::Print(%x)                    # a side effect: kept
      return (%3)

Result: the ``aten::mean`` node is gone. Unused outputs of ``prim::If`` go with their block
results; loop-carried values that nothing live needs go with their initial value, block
parameter and result; blocks left empty make their If or Loop disappear. Nodes with effects
(print, raise, in-place writes, random draws, which would shift the generator's stream, and
ops the registry does not know) are always live, and so are the values they read; so are
nodes that may raise for their inputs (``x + y`` of unknown sizes: deleting it would turn the
error into a value). See :mod:`passes.effects`.
"""
from __future__ import annotations

from typing import Dict, List, Set

from minitorch_jit.ir.graph import Block, Graph, Node, Value

from .alias_analysis import keeps_alias_db
from .effects import has_effects, may_raise


class _Marker:
    def __init__(self) -> None:
        self.values: Set[Value] = set()
        self.nodes: Set[Node] = set()
        self.carried: Dict[Node, Set[int]] = {}  # live loop-carried indices per loop
        self._needed: Dict[Node, bool] = {}

    def needed(self, node: Node) -> bool:
        """Live whatever uses its outputs: it has effects or may raise."""
        if node not in self._needed:
            self._needed[node] = has_effects(node) or may_raise(node)
        return self._needed[node]

    def block(self, block: Block, live_returns: List[bool]) -> None:
        for v, live in zip(block.returns, live_returns):
            if live:
                self.values.add(v)
        for node in reversed(block.nodes):
            # An If or Loop marked before may have more live outputs now (a loop's fixpoint
            # found more live carried values): mark its blocks again for them.
            if node in self.nodes and not node.blocks:
                continue
            if any(o in self.values for o in node.outputs) or self.needed(node):
                self.node(node)

    def node(self, node: Node) -> None:
        self.nodes.add(node)
        if node.kind == "prim::Loop":
            self.loop(node)
            return
        self.values.update(node.inputs)
        if node.kind == "prim::If":
            mask = [o in self.values for o in node.outputs]
            for b in node.blocks:
                self.block(b, mask)

    def loop(self, node: Node) -> None:
        body = node.blocks[0]
        live = {k for k, o in enumerate(node.outputs) if o in self.values}
        while True:
            self.block(body, [True] + [k in live for k in range(len(node.outputs))])
            more = {k for k, p in enumerate(body.params[1:]) if p in self.values} - live
            if not more:
                break
            live |= more
        self.carried[node] = live
        self.values.update(node.inputs[:2])
        self.values.update(node.inputs[2 + k] for k in live)


def _sweep(block: Block, marker: _Marker) -> bool:
    changed = False
    for node in reversed(list(block.nodes)):
        if node not in marker.nodes:
            for o in node.outputs:
                for u in list(o.uses):  # only dead users remain
                    assert u.user not in marker.nodes, f"live use of a dead value: {u.user}"
            node.destroy()
            changed = True
            continue
        if node.kind == "prim::If":
            for i in reversed(range(len(node.outputs))):
                if node.outputs[i] not in marker.values:
                    for b in node.blocks:
                        b.erase_output(i)
                    node.erase_output(i)
                    changed = True
        elif node.kind == "prim::Loop":
            body = node.blocks[0]
            for k in reversed(range(len(node.outputs))):
                if k not in marker.carried[node]:
                    body.erase_output(k + 1)
                    node.erase_output(k)
                    node.remove_input(k + 2)
                    changed = True
        for b in node.blocks:
            changed |= _sweep(b, marker)
        if node.kind == "prim::Loop":
            body = node.blocks[0]
            for k in reversed(range(len(body.params) - 1)):
                if k not in marker.carried[node] and not body.params[k + 1].uses:
                    body.erase_param(k + 1)
    return changed


@keeps_alias_db
def dead_code_elimination(graph: Graph) -> bool:
    """Remove nodes, If outputs and loop-carried values that nothing live depends on."""
    marker = _Marker()
    marker.block(graph.block, [True] * len(graph.outputs))
    # An If or Loop is only marked for a live output or an effect inside, which stays: one
    # whose blocks would empty out is not marked, and goes whole.
    return _sweep(graph.block, marker)

"""Value refinement: what the comparisons guarding code say about ints and list lengths in it
(TorchScript's ``refine_integer_values`` and ``peephole_list_idioms(refine_list_len=True)``).

A comparison ``v == c`` or ``v != c`` of an int ``v`` (a value, or ``len(l)`` of a list) with
a constant ``c`` decides ``v`` where it is known to hold:

- in the branch of a ``prim::If`` it selects: ``if x == 4: <x is 4 here>``;
- after a ``prim::If`` one of whose branches raises, in the rest of the block: the guard
  ``if x != 4 or y != 5: raise ...`` (and ``assert x == 4``, which is such an If).

Conditions are followed through ``not``, comparisons of bools with True/False, and the Ifs
that ``and``/``or`` and conditional assignments become (a fact holds after an If output when
it holds on every branch that can produce that output)::

    graph(%x : int, %y : int):                      graph(%x : int, %y : int):
      %1 : bool = aten::ne(%x, %c4)                   ...(the guard, unchanged)...
      %2 : bool = prim::If(%1) ... aten::ne(%y, %c5)  %9 : int = prim::Constant[value=4]()
      prim::If(%2) block0(): prim::RaiseException     %10 : int = prim::Constant[value=5]()
      %3 : int = aten::add(%x, %y)                    %3 : int = aten::add(%9, %10)

Constant propagation then folds what became constant. A list's length is refined only when
nothing may change the list (no use of it has effects, such as ``append``). A block whose
result is the constant its own refinement gave a value returns that value instead (in
``if x == 1: return 1 else: return x`` both branches return ``x``), so the If can fold.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from minitorch_jit.ir.graph import Block, Graph, Node, Value
from minitorch_jit.ir.types import BoolType, IntType, ListType

from .effects import has_effects

Key = Tuple[str, Value]  # ("value", an int), ("len", a list) or ("bool", a condition)
Facts = Dict[Key, Any]


def _const(v: Value) -> Any:
    return v.constant if v.is_constant else None


def _int_key(v: Value) -> Optional[Key]:
    """What an int value is, as facts are kept: itself, or the length of a list."""
    if v.node.kind == "aten::len" and len(v.node.inputs) == 1 and isinstance(v.node.inputs[0].type, ListType):
        lst = v.node.inputs[0]
        return ("len", lst) if _unchanging(lst) else None
    return ("value", v) if isinstance(v.type, IntType) else None


def _unchanging(lst: Value) -> bool:
    return not any(has_effects(u.user) for u in lst.uses)


def _raises(block: Block) -> bool:
    return any(n.kind == "prim::RaiseException" for n in block.nodes)


def _merge(a: Facts, b: Facts) -> Optional[Facts]:
    """Both sets of facts (None when they contradict)."""
    out = dict(a)
    for k, c in b.items():
        if out.get(k, c) != c:
            return None
        out[k] = c
    return out


def facts(v: Value, truth: bool, depth: int = 0) -> Optional[Facts]:
    """What holds when bool ``v`` is ``truth``: facts, or None when ``v`` cannot be ``truth``.
    The condition's own truth is one of them (it decides the Ifs on it)."""
    found = _facts(v, truth, depth)
    if found is not None and not v.is_constant:
        found = _merge(found, {("bool", v): truth})
    return found


def _facts(v: Value, truth: bool, depth: int) -> Optional[Facts]:
    if depth > 32:  # conditions nest a few levels; give up on pathological graphs
        return {}
    if v.is_constant:
        return {} if bool(v.constant) == truth else None
    node = v.node
    kind = node.kind
    if kind == "aten::__not__" and len(node.inputs) == 1:
        return facts(node.inputs[0], not truth, depth + 1)
    if kind in ("aten::eq", "aten::ne") and len(node.inputs) == 2:
        equal = truth if kind == "aten::eq" else not truth
        a, b = node.inputs
        if _const(b) is None and _const(a) is not None:
            a, b = b, a
        c = _const(b)
        if isinstance(a.type, BoolType) and isinstance(c, bool):
            return facts(a, c if equal else not c, depth + 1)
        if type(c) is int and isinstance(a.type, IntType) and equal:
            key = _int_key(a)
            return {key: c} if key is not None else {}
        return {}
    if kind == "prim::If":
        k = node.outputs.index(v)
        possible = []
        for i, block in enumerate(node.blocks):
            if _raises(block):
                continue
            on_branch = facts(node.inputs[0], i == 0, depth + 1)
            through = facts(block.returns[k], truth, depth + 1) if on_branch is not None else None
            both = _merge(on_branch, through) if on_branch is not None and through is not None else None
            if both is not None:
                possible.append(both)
        if not possible:
            return None
        common = possible[0]
        for other in possible[1:]:
            common = {key: c for key, c in common.items() if other.get(key) == c}
        return common
    return {}


class _Refiner:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.changed = False

    def block(self, block: Block, known: Facts) -> Facts:
        """Refine ``block`` where ``known`` holds; returns what holds at its end."""
        known = dict(known)
        for node in list(block.nodes):
            self.apply(node, known)
            if node.kind == "prim::If":
                cond = node.inputs[0]
                ends = []
                for i, b in enumerate(node.blocks):
                    f = facts(cond, i == 0)
                    inner = _merge(known, f) if f is not None else None
                    end = self.block(b, inner if inner is not None else known)
                    if inner is not None:
                        self.outputs(node, b, inner)
                        if not _raises(b):  # a branch that raises does not reach what follows
                            ends.append(end)
                # what holds at the end of every branch that continues holds after the If
                # (after a guard whose other branch raises: the guard's facts)
                if ends:
                    after = ends[0]
                    for other in ends[1:]:
                        after = {key: c for key, c in after.items() if other.get(key) == c}
                    known.update(after)
            else:
                for b in node.blocks:
                    self.block(b, known)
        self.apply(block.return_node, known)
        return known

    def constant(self, at: Node, c: Any) -> Value:
        with self.graph.inserting_before(at):
            return self.graph.insert_constant(c, source=at.source)

    def apply(self, node: Node, known: Facts) -> None:
        """Inputs of ``node`` the facts decide become constants; the output of an If whose
        condition they decide is what the branch taken gives (a constant or an outer value)."""
        if not known or node.kind == "prim::Constant":
            return
        for i, v in enumerate(list(node.inputs)):
            key = _int_key(v) if isinstance(v.type, IntType) and not v.is_constant else None
            if key is not None and key in known:
                node.replace_input(i, self.constant(node, known[key]))
                self.changed = True
            elif v.node.kind == "prim::If" and ("bool", v.node.inputs[0]) in known:
                taken = v.node.blocks[0 if known[("bool", v.node.inputs[0])] else 1]
                r = taken.returns[v.node.outputs.index(v)]
                if r.is_constant:
                    with self.graph.inserting_before(node):
                        node.replace_input(i, self.graph.insert_constant(r.constant, r.type, source=node.source))
                    self.changed = True
                elif not r.node.is_descendant_of(taken) and r.node is not taken.param_node:
                    node.replace_input(i, r)
                    self.changed = True

    def outputs(self, node: Node, block: Block, known: Facts) -> None:
        """An If output that is constant ``c`` from ``block``, where ``v == c`` is known, and
        ``v`` from the other branch, is ``v`` (``if x == 1: r = 1 else: r = x`` makes r x)."""
        other = node.blocks[1 - node.blocks.index(block)]
        for k, out in enumerate(node.outputs):
            mine, theirs = block.returns[k], other.returns[k]
            key = ("value", theirs)
            if out.uses and type(_const(mine)) is int and known.get(key) == _const(mine) and \
                    not theirs.node.is_descendant_of(other) and theirs.node is not other.param_node:
                out.replace_all_uses_with(theirs)
                self.changed = True


def value_refinement(graph: Graph) -> bool:
    """Replace ints and list lengths that guarding comparisons decide by constants (see the
    module docstring). Returns whether the graph changed."""
    r = _Refiner(graph)
    r.block(graph.block, {})
    return r.changed

"""The fuser: maximal connected sets of pointwise ops become ``prim::FusionGroup`` nodes,
each holding its ops (and the scalar constants they use) as a subgraph that codegen compiles
into one native loop.

Given::

    graph(%x : Float(*), %y : Float(*)):
      %1 : Float(*) = aten::mul(%x, %y)
      %2 : int = prim::Constant[value=1]()
      %3 : Float(*) = aten::add(%1, %2)
      %4 : Float(*) = aten::sum(%3)
      %5 : Float(*) = aten::tanh(%3)
      return (%4, %5)

Result::

    graph(%x : Float(*), %y : Float(*)):
      %3 : Float(*), %5 : Float(*) = prim::FusionGroup_0(%x, %y)
      %4 : Float(*) = aten::sum(%3)
      return (%4, %5)
    with prim::FusionGroup_0 = graph(%x : Float(*), %y : Float(*)):
      %1 : Float(*) = aten::mul(%x, %y)
      %2 : int = prim::Constant[value=1]()
      %3 : Float(*) = aten::add(%1, %2)
      %5 : Float(*) = aten::tanh(%3)
      return (%3, %5)

A node joins a group only if it passes every item of the checklist; the first item it fails
is recorded, and ``recording()`` collects those reasons (``ScriptFunction.explain`` prints
them):

- it is a pointwise op, and not excluded by ``MINITORCH_JIT_DONT_FUSE=op1:op2``;
- its tensors have known, supported dtypes;
- its other arguments are numbers, or constants (None, strings) the lowering reads;
- the shapes it has been given (when known) broadcast;
- something uses its result (an unused op that stays because it may raise runs eagerly:
  a kernel computes only what its outputs need);
- none of its inputs may alias a tensor that an in-place op writes (the group reads its
  inputs where it runs, not where each op was; the alias db is the one every pass shares,
  :mod:`passes.alias_analysis`);
- it does not broadcast the result of an op that may raise for some values (integer
  division by zero: ``effects.raises_on_values``) to other sizes: a kernel computes its
  ops only at its output's elements, so an empty output (``(a // b) * c`` with ``c`` of shape
  (0, 1)) would skip the division and its error. Ops reading such a result fuse only when its
  sizes are known and theirs are the same;
- (when joining another node's group) the joined group has a place in the block: at one of
  the two groups' places, every value its ops read from outside is already defined and every
  use of its results from outside comes later. Without one, fusing would need other nodes
  moved, or would make a cycle through an unfused node;
- (likewise) the joined group spans no node with effects (a print, an in-place write, an op
  the registry does not know, an If or Loop holding one): running the group at its place
  would move its ops across that node.

Groups run at their place (the last op of the later group, else of the earlier one); groups of
fewer than ``min_size`` ops are left as they were.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node, Value
from minitorch_jit.ir.printer import node_line
from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import DTYPES, BoolType, FloatType, IntType, NoneType, NumberType, StrType, TensorType, Type

from .alias_analysis import alias_db
from .effects import has_effects, raises_on_values, require_ops

MIN_GROUP_SIZE = 2
_SCALARS = (IntType, FloatType, BoolType, NumberType)


@dataclass
class FusionReport:
    """What the fuser did: the groups it formed and, for each pointwise op it left out, the
    checklist item that kept it out."""
    groups: List[List[str]] = field(default_factory=list)
    left_out: List[tuple] = field(default_factory=list)  # (node text, reason)

    def __str__(self) -> str:
        lines = [f"{len(self.groups)} fusion group{'s' if len(self.groups) != 1 else ''}"]
        for i, kinds in enumerate(self.groups):
            counts = Counter(kinds)
            ops = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in counts.items())
            lines.append(f"  prim::FusionGroup_{i}: {len(kinds)} ops ({ops})")
        if self.left_out:
            lines.append("pointwise ops left out:")
            lines += [f"  {text}\n    because {reason}" for text, reason in self.left_out]
        return "\n".join(lines)


_report: contextvars.ContextVar[Optional[FusionReport]] = contextvars.ContextVar("fusion_report", default=None)


@contextlib.contextmanager
def recording() -> Iterator[FusionReport]:
    """Collect what every ``fuse`` call in this context decides."""
    report = FusionReport()
    token = _report.set(report)
    try:
        yield report
    finally:
        _report.reset(token)


def excluded_ops() -> Set[str]:
    """Op names kept out of fusion by ``MINITORCH_JIT_DONT_FUSE`` (``clamp:mul`` or
    ``aten::clamp``), for bisecting a miscompile."""
    names = set()
    for part in os.environ.get("MINITORCH_JIT_DONT_FUSE", "").split(":"):
        part = part.strip()
        if part:
            names.add(part if "::" in part else f"aten::{part}")
    return names


def fuse(graph: Graph, min_size: int = MIN_GROUP_SIZE) -> bool:
    """Replace groups of fusible pointwise ops by ``prim::FusionGroup`` nodes (see the module
    docstring for the rewrite and the checklist). Returns whether the graph changed."""
    require_ops("the fuser")
    fuser = _Fuser(graph, min_size, _report.get())
    return fuser.block(graph.block)


class _Group:
    """Ops to fuse, the member after which the group node will be placed, and the first and
    last positions of its members in their block."""
    __slots__ = ("members", "anchor", "first", "last")

    def __init__(self, node: Node, at: int):
        self.members: List[Node] = [node]
        self.anchor = node
        self.first = self.last = at


class _Fuser:
    def __init__(self, graph: Graph, min_size: int, report: Optional[FusionReport]):
        self.graph = graph
        self.min_size = min_size
        self.report = report
        self.excluded = excluded_ops()
        self.db = alias_db(graph)
        # results of fusible ops that may raise for some values, and of fusible ops reading
        # them at the same sizes: whoever fuses with them must keep to those sizes
        self.raising: Set[Value] = set()

    def block(self, block: Block) -> bool:
        changed = False
        for node in list(block.nodes):
            for b in node.blocks:
                changed |= self.block(b)
        position = {n: i for i, n in enumerate(block.nodes)}
        # effects[i]: how many of the block's first i nodes have effects
        effects = [0]
        for n in block.nodes:
            effects.append(effects[-1] + (not _is_pointwise(n) and has_effects(n)))
        group: Dict[Node, _Group] = {}
        why: Dict[Node, str] = {}
        for node in list(block.nodes):
            if not _is_pointwise(node):
                continue
            reason = self.check(node)
            if reason is not None:
                why[node] = reason
                continue
            if raises_on_values(node) or any(v in self.raising for v in node.inputs):
                self.raising.update(node.outputs)
            g = group[node] = _Group(node, position[node])
            for v in node.inputs:
                other = group.get(v.node)
                if other is None or other is g:
                    continue
                first, last = min(g.first, other.first), max(g.last, other.last)
                if effects[last] != effects[first + 1]:
                    reason = ("fusing it with the ops it reads would move them across a node with effects "
                              "(a print, an in-place write, an op the registry does not know)")
                    why.setdefault(node, reason)
                    continue
                members = other.members + g.members
                anchor = _place(members, [g.anchor, other.anchor], block, position)
                if anchor is None:
                    reason = ("no place in the block can hold it together with the ops it would be fused "
                              "with (a node outside the group uses one of their results in between)")
                    why.setdefault(v.node, reason)
                    why.setdefault(node, reason)
                    continue
                g.members, g.anchor, g.first, g.last = members, anchor, first, last
                for m in other.members:
                    group[m] = g
        seen: Set[int] = set()
        for g in group.values():
            if id(g) in seen:
                continue
            seen.add(id(g))
            if len(g.members) >= self.min_size:
                self.materialize(sorted(g.members, key=position.__getitem__), g.anchor)
                changed = True
            else:
                for m in g.members:
                    why.setdefault(m, f"it would be a group of {len(g.members)} op, fewer than the minimum "
                                      f"of {self.min_size}")
        if self.report is not None:
            for node, reason in why.items():
                if node.owning_block is block:
                    self.report.left_out.append((node_line(node), reason))
        return changed

    def check(self, node: Node) -> Optional[str]:
        """The first checklist item ``node`` fails, or None when it may be fused."""
        if node.kind in self.excluded:
            return "it is excluded by MINITORCH_JIT_DONT_FUSE"
        for v in list(node.inputs) + list(node.outputs):
            t = v.type
            if isinstance(t, TensorType):
                if t.dtype is None:
                    return f"the dtype of %{v.name or '?'} is unknown"
                if t.dtype not in DTYPES:
                    return f"dtype {t.dtype} is not supported by the fuser"
            elif v in node.inputs and not isinstance(t, _SCALARS) and not (
                    v.node.kind == "prim::Constant" and isinstance(t, (NoneType, StrType))):
                return f"its argument %{v.name or '?'} of type {t} is not a number or a constant"
        op = registry.node_op(node)
        consts = [v.constant if v.node.kind == "prim::Constant" else UNKNOWN for v in node.inputs]
        try:
            op.output_types([v.type for v in node.inputs], consts)
        except RuntimeError as e:
            return f"its input shapes do not broadcast ({e})"
        if not any(o.uses for o in node.outputs):
            return "nothing uses its result (it stays for the error it may raise, and runs eagerly)"
        for v in node.inputs:
            if isinstance(v.type, TensorType) and self.db.is_mutated(v):
                return f"its input %{v.name or '?'} may alias a tensor written in place"
        for v in node.inputs:
            if v in self.raising and not _same_known_sizes(v.type, node.output.type):
                what = f"%{v.name}" if v.name else f"the result of {v.node.kind}"
                return (f"it would broadcast {what}, which may raise for some values (integer division by "
                        f"zero), to sizes that could skip its elements")
        return None

    def materialize(self, members: List[Node], anchor: Node) -> None:
        """Given members m1..mk of a block (in order): a ``prim::FusionGroup`` right after
        ``anchor`` (one of them) whose subgraph holds clones of them; uses of their results
        outside the group use the group's outputs, and the members are removed."""
        g = self.graph
        inside = set(members)
        sub = Graph()
        env: Dict[Value, Value] = {}
        inputs: List[Value] = []
        for m in members:
            for v in m.inputs:
                if v in env:
                    continue
                if v.node.kind == "prim::Constant" and not isinstance(v.type, TensorType):
                    c = sub.clone_node(v.node, lambda x: x)
                    sub.block.append(c)
                    env[v] = c.output
                elif v.node not in inside:
                    inputs.append(v)
                    env[v] = sub.add_input(v.type, v.name)
            clone = sub.clone_node(m, env.__getitem__)
            sub.block.append(clone)
            env.update(zip(m.outputs, clone.outputs))
        outputs = [o for m in members for o in m.outputs if any(u.user not in inside for u in o.uses)]
        for o in outputs:
            sub.register_output(env[o])
        fused = g.create("prim::FusionGroup", inputs, [o.type for o in outputs], {SUBGRAPH: sub}, members[-1].source)
        fused.insert_after(anchor)
        names = [o.name for o in outputs]
        for o, new in zip(outputs, fused.outputs):
            o.replace_all_uses_with(new)
        constants = {v.node for m in members for v in m.inputs if v.node.kind == "prim::Constant"}
        for m in reversed(members):
            m.destroy()
        for new, name in zip(fused.outputs, names):
            new.name = name
        for c in constants:
            if not any(o.uses for o in c.outputs) and c.owning_block is not None:
                c.destroy()
        if self.report is not None:
            self.report.groups.append([m.kind for m in members])


def _is_pointwise(node: Node) -> bool:
    op = registry.node_op(node)
    return op is not None and op.pointwise


def _place(members: List[Node], candidates: List[Node], block: Block, position: Dict[Node, int]) -> Optional[Node]:
    """The first candidate anchor at which a group of ``members`` can stand: every input
    from outside the group defined before it, every use from outside after it."""
    inside = set(members)
    for anchor in candidates:
        at = position[anchor]
        ok = True
        for m in members:
            for v in m.inputs:
                producer = block.node_holding(v.node)
                if producer is not None and producer not in inside and position.get(producer, -1) > at:
                    ok = False
            for o in m.outputs:
                for use in o.uses:
                    user = block.node_holding(use.user)
                    if user is not None and user not in inside and position[user] < at:
                        ok = False
        if ok:
            return anchor
    return None


def _same_known_sizes(a: Type, b: Type) -> bool:
    return isinstance(a, TensorType) and isinstance(b, TensorType) and a.sizes is not None \
        and None not in a.sizes and a.sizes == b.sizes

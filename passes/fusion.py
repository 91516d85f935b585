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
  use of its results from outside comes later (an op of another group counts both where it
  is and where its group will stand). Without one, fusing would need other nodes moved, or
  would make a cycle through an unfused node;
- (likewise) the joined group spans no node with effects (a print, an in-place write, an op
  the registry does not know, an If or Loop holding one): running the group at its place
  would move its ops across that node;
- (likewise) the joined group has at most ``max_size`` ops.

Groups run at their place (the last op of the later group, else of the earlier one); groups of
fewer than ``min_size`` ops are left as they were.
"""
from __future__ import annotations

import contextlib
import contextvars
import heapq
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node, Value
from minitorch_jit.ir.printer import node_line
from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import (
    KERNEL_DTYPES,
    BoolType,
    FloatType,
    IntType,
    NoneType,
    NumberType,
    StrType,
    TensorType,
    Type,
)

from .alias_analysis import alias_db
from .effects import has_effects, raises_on_values, require_ops

MIN_GROUP_SIZE = 2
# LLVM's O3 pipeline takes time quadratic in the size of a kernel's loop body: a chain of adds
# compiles at 0.4 ms per op up to about 500 ops, then 0.9 ms per op at 1000 and 4.5 ms at
# 4000; exp (a polynomial in IR) costs 13 ms per op up to 128 of them, twice that at 256.
# Kernels of at most 256 ops stay in the linear range; splitting a longer chain costs one
# more pass over memory per 256 ops.
MAX_GROUP_SIZE = 256
_SCALARS = (IntType, FloatType, BoolType, NumberType)


@dataclass
class FusionReport:
    """What the fuser did: the groups it formed and, for each pointwise op it left out, the
    checklist item that kept it out."""
    groups: List[List[str]] = field(default_factory=list)
    # (node, reason); the node is printed when the report is, in the graph as it is then
    # (printing it here would print its whole graph per node)
    left_out: List[tuple] = field(default_factory=list)
    # (reduction node, reason) for reductions the reduction fuser left to their eager kernels
    reductions_left_out: List[tuple] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.groups)} fusion group{'s' if len(self.groups) != 1 else ''}"]
        for i, kinds in enumerate(self.groups):
            counts = Counter(kinds)
            ops = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in counts.items())
            lines.append(f"  prim::FusionGroup_{i}: {len(kinds)} ops ({ops})")
        if self.left_out:
            lines.append("pointwise ops left out:")
            lines += [f"  {node_line(node)}\n    because {reason}" for node, reason in self.left_out]
        if self.reductions_left_out:
            lines.append("reductions left out:")
            lines += [f"  {node_line(node)}\n    because {reason}" for node, reason in self.reductions_left_out]
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


def report() -> Optional[FusionReport]:
    """The report being recorded (see :func:`recording`), if any."""
    return _report.get()


def pointwise_checklist(graph: Graph) -> Callable[[Node], Optional[str]]:
    """The fuser's checklist for single pointwise ops of ``graph`` (the first item a node
    fails, or None), for passes that fuse pointwise ops into other kernels. The items about
    joining groups, and about broadcasting results that may raise, are theirs to check."""
    return _Fuser(graph, MIN_GROUP_SIZE, MAX_GROUP_SIZE, None).check


def fuse(graph: Graph, min_size: int = MIN_GROUP_SIZE, max_size: int = MAX_GROUP_SIZE) -> bool:
    """Replace groups of fusible pointwise ops by ``prim::FusionGroup`` nodes (see the module
    docstring for the rewrite and the checklist). Returns whether the graph changed."""
    require_ops("the fuser")
    fuser = _Fuser(graph, min_size, max_size, _report.get())
    return fuser.block(graph.block)


class _Group:
    """Ops to fuse, the member after which the group node will be placed, the first and last
    positions of its members in their block, and what bounds its place: the block positions
    of the nodes outside the group that produce its inputs (negated: a max-heap) and of those
    that use its results (a min-heap), and, once it has two ops or more, the other groups of
    two or more that produce its inputs or use its results (which will stand at their
    anchors, not where their ops are). The heaps may still hold nodes that have joined the
    group since they were pushed; those are dropped when met."""
    __slots__ = ("members", "anchor", "first", "last", "producers", "users", "fed_by", "feeds")

    def __init__(self, node: Node, block: Block, position: Dict[Node, int]):
        self.members: List[Node] = [node]
        self.anchor = node
        self.first = self.last = position[node]
        self.producers = [-position[p] for p in _holders(block, (v.node for v in node.inputs)) if p in position]
        self.users = [position[u] for u in _holders(block, (use.user for o in node.outputs for use in o.uses))]
        heapq.heapify(self.producers)
        heapq.heapify(self.users)
        self.fed_by: Set[_Group] = set()
        self.feeds: Set[_Group] = set()


class _Fuser:
    def __init__(self, graph: Graph, min_size: int, max_size: int, report: Optional[FusionReport]):
        self.graph = graph
        self.min_size = min_size
        self.max_size = max_size
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
        order = list(block.nodes)
        position = {n: i for i, n in enumerate(order)}
        # effects[i]: how many of the block's first i nodes have effects
        effects = [0]
        for n in order:
            effects.append(effects[-1] + (not is_pointwise(n) and has_effects(n)))
        group: Dict[Node, _Group] = {}
        why: Dict[Node, str] = {}
        for node in order:
            if not is_pointwise(node):
                continue
            reason = self.check(node)
            if reason is not None:
                why[node] = reason
                continue
            if raises_on_values(node) or any(v in self.raising for v in node.inputs):
                self.raising.update(node.outputs)
            g = group[node] = _Group(node, block, position)
            for v in node.inputs:
                other = group.get(v.node)
                if other is None or other is g:
                    continue
                if len(g.members) + len(other.members) > self.max_size:
                    reason = (f"the group it would join would have more than {self.max_size} ops "
                              "(LLVM's compile time grows quadratically with a kernel's size)")
                    why.setdefault(node, reason)
                    continue
                first, last = min(g.first, other.first), max(g.last, other.last)
                if effects[last] != effects[first + 1]:
                    reason = ("fusing it with the ops it reads would move them across a node with effects "
                              "(a print, an in-place write, an op the registry does not know)")
                    why.setdefault(node, reason)
                    continue
                merged = _merge(g, other, group, block, order, position)
                if merged is None:
                    reason = ("no place in the block can hold it together with the ops it would be fused "
                              "with (a node outside the group uses one of their results in between)")
                    why.setdefault(v.node, reason)
                    why.setdefault(node, reason)
                    continue
                g = merged
                g.first, g.last = first, last
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
                    self.report.left_out.append((node, reason))
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
                if t.dtype not in KERNEL_DTYPES:
                    return f"dtype {t.dtype} is not supported by the fuser (its kernels compute in " \
                        f"{', '.join(KERNEL_DTYPES)})"
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
        materialize(self.graph, members, anchor, self.report)


def materialize(g: Graph, members: List[Node], anchor: Node, report: Optional[FusionReport]) -> Node:
    """Given members m1..mk of a block (in order): a ``prim::FusionGroup`` right after
    ``anchor`` (one of them) whose subgraph holds clones of them; uses of their results
    outside the group use the group's outputs, and the members are removed. Returns the group."""
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
    if report is not None:
        report.groups.append([m.kind for m in members])
    return fused


def is_pointwise(node: Node) -> bool:
    op = registry.node_op(node)
    return op is not None and op.pointwise


def _holders(block: Block, nodes: Iterable[Node]) -> Iterator[Node]:
    """For each node, the node of ``block`` that is it or holds it (skipping the block's
    return and nodes outside the block)."""
    for n in nodes:
        holder = block.node_holding(n)
        if holder is not None:
            yield holder


def _merge(a: _Group, b: _Group, group: Dict[Node, _Group], block: Block, order: List[Node],
           position: Dict[Node, int]) -> Optional[_Group]:
    """Join groups ``a`` and ``b`` if their union has a place in the block at one of their
    anchors (``a``'s first): every input it reads from outside defined before it, every use of
    its results outside after it, both where the nodes are now and, for ops of other groups,
    where their group will stand (a group may yet stay unfused). Returns the joined group
    (the larger object, extended by the smaller, so that each op moves between groups
    O(log n) times), or None, leaving both as they were.

    Only the bounds matter: the last outside producer and the first outside user. Each is at
    the top of a heap once the entries that are members of ``a`` or ``b`` are popped; those of
    the own group are dropped for good, those of the other one are set aside and put back if
    the union has no place. The anchors of neighbouring groups are looked at one by one (a
    group has few: they are groups that could not join it)."""
    set_aside: List[tuple] = []

    def top(heap: List[int], own: _Group, other: _Group) -> Optional[int]:
        while heap:
            owner = group.get(order[abs(heap[0])])
            if owner is own:
                heapq.heappop(heap)
            elif owner is other:
                set_aside.append((heap, heapq.heappop(heap)))
            else:
                return heap[0]
        return None

    producers = [t for t in (top(a.producers, a, b), top(b.producers, b, a)) if t is not None]
    users = [t for t in (top(a.users, a, b), top(b.users, b, a)) if t is not None]
    last_input = -min(producers) if producers else -1
    first_use = min(users) if users else len(order)
    (a_fed_by, a_feeds), (b_fed_by, b_feeds) = _neighbours(a, group, block), _neighbours(b, group, block)
    for h in (a_fed_by | b_fed_by) - {a, b}:
        last_input = max(last_input, position[h.anchor])
    for h in (a_feeds | b_feeds) - {a, b}:
        first_use = min(first_use, position[h.anchor])
    anchor = next((x for x in (a.anchor, b.anchor) if last_input < position[x] < first_use), None)
    if anchor is None:
        for heap, entry in set_aside:
            heapq.heappush(heap, entry)
        return None
    big, small = (a, b) if len(a.members) >= len(b.members) else (b, a)
    big_fed_by, big_feeds = (a_fed_by, a_feeds) if big is a else (b_fed_by, b_feeds)
    small_fed_by, small_feeds = (b_fed_by, b_feeds) if big is a else (a_fed_by, a_feeds)
    if len(big.members) == 1:  # becomes a group of two: its neighbours start to track it
        _link(big, big_fed_by, big_feeds, None)
    _link(big, small_fed_by, small_feeds, small)
    big.fed_by -= {big, small}
    big.feeds -= {big, small}
    big.members.extend(small.members)
    for m in small.members:
        group[m] = big
    for entry in small.producers:
        heapq.heappush(big.producers, entry)
    for entry in small.users:
        heapq.heappush(big.users, entry)
    big.anchor = anchor
    return big


def _neighbours(g: _Group, group: Dict[Node, _Group], block: Block) -> Tuple[Set[_Group], Set[_Group]]:
    """The groups of two or more ops that produce ``g``'s inputs and that use its results (for
    a group of one, found from its op's inputs and uses)."""
    if len(g.members) > 1:
        return g.fed_by, g.feeds
    (node,) = g.members
    fed_by = {group[v.node] for v in node.inputs if v.node in group and len(group[v.node].members) > 1}
    holders = _holders(block, (use.user for o in node.outputs for use in o.uses))
    feeds = {group[u] for u in holders if u in group and len(group[u].members) > 1}
    return fed_by, feeds


def _link(big: _Group, fed_by: Set[_Group], feeds: Set[_Group], replacing: Optional[_Group]) -> None:
    """Make ``big`` and the groups in ``fed_by`` and ``feeds`` track each other, in place of
    ``replacing``."""
    for h in fed_by:
        if h is not big:
            h.feeds.discard(replacing)
            h.feeds.add(big)
            big.fed_by.add(h)
    for h in feeds:
        if h is not big:
            h.fed_by.discard(replacing)
            h.fed_by.add(big)
            big.feeds.add(h)


def _same_known_sizes(a: Type, b: Type) -> bool:
    return isinstance(a, TensorType) and isinstance(b, TensorType) and a.sizes is not None \
        and None not in a.sizes and a.sizes == b.sizes

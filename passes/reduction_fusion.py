"""Reduction fusion: a reduction over one dim of a tensor, with the pointwise ops that produce
what it reads and those that use its result, becomes one ``prim::FusionGroup`` that codegen
compiles into a row kernel (codegen/llvm/row_kernel.py): one pass over each row per
reduction, with the row in cache, and the results written once. Rows run along the reduced
dim, the innermost one.

Given (softmax written out)::

    graph(%x : Float(*, *)):
      %1 : bool = prim::Constant[value=True]()
      %2 : int[] = prim::Constant[value=[1]]()
      %3 : Float(*, 1) = aten::amax(%x, %2, %1)
      %4 : Float(*, *) = aten::sub(%x, %3)
      %e : Float(*, *) = aten::exp(%4)
      %5 : Float(*, 1) = aten::sum(%e, %2, %1)
      %6 : Float(*, *) = aten::div(%e, %5)
      return (%6)

Result::

    graph(%x : Float(*, *)):
      %6 : Float(*, *) = prim::FusionGroup_0(%x)
      return (%6)
    with prim::FusionGroup_0 = graph(%x : Float(*, *)):
      %1 : bool = prim::Constant[value=True]()
      %2 : int[] = prim::Constant[value=[1]]()
      %3 : Float(*, 1) = aten::amax(%x, %2, %1)
      %4 : Float(*, *) = aten::sub(%x, %3)
      %e : Float(*, *) = aten::exp(%4)
      %5 : Float(*, 1) = aten::sum(%e, %2, %1)
      %6 : Float(*, *) = aten::div(%e, %5)
      return (%6)

The ops the registry gives a :class:`~minitorch_jit.ir.registry.RowForm` (sum, mean, prod,
amax, amin, max and min with a dim, var, std, norm, logsumexp, softmax, log_softmax,
layer_norm) seed groups. Every value of a group is of one of three kinds relative to the
seed's input ``x`` and the dim d it reduces: a *row* value has ``x``'s sizes, a *per-row*
value has them with size 1 at d (a reduction with keepdim), a *flat* one has them without d
(a reduction without keepdim; only a result of the group, since broadcasting it against rows
would align it with the wrong dims). A reduction is seeded only if it passes every item of
this checklist (the first failed one is recorded, and ``explain`` prints it):

- its arguments other than the tensor are constants that a row kernel computes (``dtype``
  None, ``p`` 1 or 2 for norm);
- its input has a known rank and dtype (floating point for all but sum, prod, amax and
  amin; bool only for sum);
- it reduces exactly one dim (layer_norm: ``normalized_shape`` of length 1, the innermost
  dim), and that dim is not known to be 1;
- the dims after it are known to be 1 (a row kernel's group), or it is an op the registry
  marks ``blocked`` (a blocked kernel's group, codegen/llvm/block_kernel.py: the columns after
  the reduced dim are the vector lanes). A row kernel walking the rows of another dim with a
  stride, one row at a time, took longer than the eager kernels (softmax over dim 0 of a
  (1024, 1024) tensor: 27.8 ms against 2.2 ms; a sum over dim 0 of (8192, 1024): 77 ms
  against 36);
- its input may not alias a tensor written in place.

A group grows from its seed, one candidate at a time in block order: the pointwise ops that
produce its members' inputs and those that use its members' results, and other seedable
reductions of the same rows (the same sizes and reduced dim). A blocked group takes no
per-row value of outside operands only, and a softmax only alone (with its pointwise ops: it
takes three passes of its own). A candidate joins if it passes
the pointwise fuser's checklist (for pointwise ops), cannot raise for some values, its result
is a row or per-row value and its tensor operands broadcast to that kind (external operands)
or are row or per-row values (members), and the group with it still has a place in the
block: at its last member, every use of its results from outside comes later and no node
with effects stands between its first and last member.

A group is formed around every seed, even alone: the row kernel vectorizes and splits rows
over threads where the eager kernels do neither.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Block, Graph, Node, Value
from minitorch_jit.ir.registry import UNKNOWN, RowForm, node_arg
from minitorch_jit.ir.types import KERNEL_DTYPES, TensorType, Type, is_float

from .alias_analysis import alias_db
from .effects import has_effects, raises_on_values, require_ops
from .fusion import is_pointwise, materialize, pointwise_checklist, report

ROW, PER_ROW, FLAT = "row", "per-row", "flat"


def reduction_fusion(graph: Graph) -> bool:
    """Form row-kernel fusion groups around reductions over one dim (see the module
    docstring). Returns whether the graph changed."""
    require_ops("the reduction fuser")
    return _ReductionFuser(graph).block(graph.block)


def row_form(node: Node) -> Optional[RowForm]:
    op = registry.node_op(node)
    return None if op is None else op.row


class _ReductionFuser:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.db = alias_db(graph)
        self.check_pointwise = pointwise_checklist(graph)
        self.report = report()

    def block(self, block: Block) -> bool:
        changed = False
        for node in list(block.nodes):
            for b in node.blocks:
                changed |= self.block(b)
        taken: Set[Node] = set()
        for node in list(block.nodes):
            if node in taken or row_form(node) is None:
                continue
            reason = self.seed_reason(node)
            if reason is not None:
                if self.report is not None:
                    self.report.reductions_left_out.append((node, reason))
                continue
            members = self.grow(node, block, taken)
            taken.update(members)
            order = {n: i for i, n in enumerate(block.nodes)}
            members.sort(key=order.__getitem__)
            materialize(self.graph, members, members[-1], self.report)
            changed = True
        return changed

    # -- seeds ----------------------------------------------------------------------------
    def seed_reason(self, node: Node) -> Optional[str]:
        """The first checklist item reduction ``node`` fails, or None."""
        form = row_form(node)
        assert form is not None
        args = registry.node_op(node).schema.arguments  # type: ignore[union-attr]
        for i, allowed in form.constants:
            c = node_arg(node, i)
            if c is UNKNOWN:
                return f"its argument {args[i].name} is not a constant (row kernels take it as one)"
            if allowed is not None and c not in allowed:
                return (f"its argument {args[i].name}={c!r} is not one a row kernel computes "
                        f"({', '.join(map(repr, allowed))})")
        if form.keepdim is not None and node_arg(node, form.keepdim) is UNKNOWN:
            return "its keepdim is not a constant"
        t = node.inputs[0].type
        if not isinstance(t, TensorType) or t.sizes is None or t.dtype is None:
            return "the rank or dtype of its input is unknown"
        if t.dtype not in KERNEL_DTYPES or (form.floats and not is_float(t.dtype)):
            return f"row kernels do not compute it on {t.dtype} tensors"
        if t.dtype == "bool" and node.kind != "aten::sum":
            return "row kernels reduce bool tensors only in sum"
        rows = _rows(node)
        if rows is None:
            dims = _dims(node, form)
            if dims is None:
                return "the dims it reduces are not a constant"
            return (f"it reduces dims {list(dims)} of a rank-{len(t.sizes)} tensor: row kernels reduce one dim "
                    "(layer_norm: the innermost one)")
        if t.sizes[rows.dim] == 1:
            return "the dim it reduces has size 1"
        if rows.blocked and not form.blocked:
            return (f"it reduces dim {rows.dim} of a rank-{len(t.sizes)} tensor, not the innermost one: a row "
                    "kernel would walk its rows with a stride, slower than the eager kernels, and the blocked "
                    f"kernel computes only {', '.join(_blocked_ops())}")
        if any(isinstance(o.type, TensorType) and o.type.dtype not in KERNEL_DTYPES for o in node.outputs):
            return "its result's dtype is not one row kernels compute"
        if any(_kind(o.type, rows) is None for o in node.outputs):
            return "the sizes of its result are unknown"
        for v in node.inputs:
            if isinstance(v.type, TensorType) and self.db.is_mutated(v):
                return f"its input %{v.name or '?'} may alias a tensor written in place"
        for v in node.inputs[1:]:
            if isinstance(v.type, TensorType) and not _broadcasts(v.type, rows, ROW):
                return f"its argument %{v.name or '?'} does not broadcast to its input's rows"
        return None

    # -- growing a group ------------------------------------------------------------------
    def grow(self, seed: Node, block: Block, taken: Set[Node]) -> List[Node]:
        rows = _rows(seed)
        assert rows is not None  # (seed_reason checked)
        members: List[Node] = [seed]
        kinds: Dict[Value, str] = {o: _kind(o.type, rows) or FLAT for o in seed.outputs}
        grew = True
        while grew:
            grew = False
            order = {n: i for i, n in enumerate(block.nodes)}
            for cand in sorted((c for c in self.candidates(members) if c in order), key=order.__getitem__):
                if cand in taken or cand in members:
                    continue
                got = self.joins(cand, rows, kinds, members)
                if got is None or not _has_place(members + [cand], block):
                    continue
                members.append(cand)
                kinds.update(got)
                grew = True
        return members

    def candidates(self, members: List[Node]) -> Set[Node]:
        """The nodes that produce the members' inputs or use their results."""
        found: Set[Node] = set()
        for m in members:
            found.update(v.node for v in m.inputs if v.node.kind != "prim::Constant")
            found.update(use.user for o in m.outputs for use in o.uses)
        return found

    def joins(self, node: Node, rows: "Rows", kinds: Dict[Value, str],
              members: List[Node]) -> Optional[Dict[Value, str]]:
        """The kinds of ``node``'s results if it may join a group of ``rows`` whose values have
        ``kinds``, else None."""
        op = registry.node_op(node)
        if op is None:
            return None
        if op.row is not None:
            if self.seed_reason(node) is not None or _rows(node) != rows:
                return None
            if rows.blocked and any(f.keepdim is None for f in [op.row] + [row_form(m) for m in members] if f):
                return None  # a blocked softmax takes passes of its own: it is alone with its pointwise ops
            if any(kinds.get(v) in (PER_ROW, FLAT) for v in node.inputs[:1]) or \
                    any(kinds.get(v) == FLAT for v in node.inputs[1:]):
                return None
            return {o: _kind(o.type, rows) for o in node.outputs}  # type: ignore[misc]
        if not op.pointwise or self.check_pointwise(node) is not None or raises_on_values(node):
            return None
        (out,) = node.outputs
        kind = _kind(out.type, rows)
        if kind not in (ROW, PER_ROW):
            return None
        if rows.blocked and kind == PER_ROW and not any(kinds.get(v) == PER_ROW for v in node.inputs):
            return None  # a column's value of operands from outside only: nothing to fuse
        for v in node.inputs:
            if not isinstance(v.type, TensorType):
                continue
            if v in kinds:
                if kinds[v] == FLAT:
                    return None
            elif not _broadcasts(v.type, rows, kind):
                return None
        return {out: kind}


@dataclass(frozen=True)
class Rows:
    """The rows of a group: the sizes of its reductions' input and the dim they reduce."""
    sizes: Tuple[Optional[int], ...]
    dim: int

    @property
    def blocked(self) -> bool:
        """Whether dims not known to be 1 follow the reduced one: a blocked kernel computes the
        group (codegen/llvm/block_kernel.py), a row kernel otherwise."""
        return any(size != 1 for size in self.sizes[self.dim + 1:])


def _blocked_ops() -> List[str]:
    """The names of the reductions blocked kernels compute (the registry's RowForm.blocked)."""
    return sorted({op.name.split("::")[1].split(".")[0] for op in registry.all_ops() if op.row and op.row.blocked})


def _rows(node: Node) -> Optional[Rows]:
    """The rows reduction ``node`` reduces, if it reduces one dim of an input of known rank."""
    form = row_form(node)
    t = node.inputs[0].type
    dims = None if form is None else _dims(node, form)
    if dims is None or len(dims) != 1 or not isinstance(t, TensorType) or t.sizes is None:
        return None
    rank = len(t.sizes)
    if not -rank <= dims[0] < rank:
        return None
    return Rows(tuple(t.sizes), dims[0] % rank)


def _dims(node: Node, form: RowForm) -> Optional[List[int]]:
    c = node_arg(node, form.dim)
    if isinstance(c, int):
        return [c]
    if node.kind == "aten::layer_norm":
        return [-1] if isinstance(c, list) and len(c) == 1 else [-1, -2]
    return list(c) if isinstance(c, list) and c else None


def _same(a: Optional[int], b: Optional[int]) -> bool:
    """Two sizes the types say are equal at run time: both 1, or both not 1 (the executor
    specializes on which sizes are 1; others must agree or broadcasting raises)."""
    return (a == 1) == (b == 1) and (a is None or b is None or a == b)


def _kind(t: Type, rows: Rows) -> Optional[str]:
    """What a value of type ``t`` is in a group of ``rows``: row, per-row, flat or None (none
    of them)."""
    if not isinstance(t, TensorType) or t.sizes is None or t.dtype not in KERNEL_DTYPES:
        return None
    s, shape, d = t.sizes, rows.sizes, rows.dim
    others = list(shape[:d]) + list(shape[d + 1:])
    if len(s) == len(shape) and all(_same(a, b) for a, b in zip(list(s[:d]) + list(s[d + 1:]), others)):
        if s[d] == 1:
            return PER_ROW
        return ROW if _same(s[d], shape[d]) else None
    if len(s) == len(shape) - 1 and all(_same(a, b) for a, b in zip(s, others)):
        return FLAT
    return None


def _broadcasts(t: TensorType, rows: Rows, kind: str) -> bool:
    """Whether an operand of type ``t`` from outside the group broadcasts to a value of
    ``kind`` in ``rows``: right-aligned, each size 1 or the rows' (and 1 along the reduced
    dim for per-row values)."""
    if t.sizes is None or len(t.sizes) > len(rows.sizes):
        return False
    target = list(rows.sizes)
    if kind == PER_ROW:
        target[rows.dim] = 1
    return all(a == 1 or _same(a, b) for a, b in zip(reversed(t.sizes), reversed(target)))


def _has_place(members: List[Node], block: Block) -> bool:
    """Whether ``members`` may run together at the last of them: no node with effects between
    the first and the last, and every use of their results by other nodes comes after."""
    inside = set(members)
    order = {n: i for i, n in enumerate(block.nodes)}
    first = min(order[m] for m in members)
    last = max(order[m] for m in members)
    nodes = list(block.nodes)
    for n in nodes[first:last + 1]:
        if n not in inside and not is_pointwise(n) and has_effects(n):
            return False
    for m in members:
        for o in m.outputs:
            for use in o.uses:
                holder = block.node_holding(use.user)
                if holder is None or holder in inside:
                    continue
                if order[holder] <= last:
                    return False
    return True


"""Type and shape propagation: every value's type recomputed from the graph inputs' types
through the registry's type rules.

Given (inputs specialized by the executor)::

    graph(%x : Float(1, *), %y : Double(*)):
      %1 : Tensor = aten::mul(%x, %y)
      %2 : int = aten::dim(%1)
      return (%1, %2)

Result::

    graph(%x : Float(1, *), %y : Double(*)):
      %1 : Double(1, *) = aten::mul(%x, %y)
      %2 : int = aten::dim(%1)
      return (%1, %2)

Tensor types are recomputed, not merely narrowed: a traced graph's types describe the
example it was traced with, and a Double input makes its ``Float`` annotations wrong. Other
types only get narrower (``Scalar`` becomes ``int``; an ``Any`` tuple element becomes the
element's type). ``prim::If`` outputs join their blocks' results; loop-carried values start
as their initial values' types and are joined with the body's results until they no longer
change (joins only forget, so this ends). A rule that raises (sizes that cannot broadcast,
a dim out of range) leaves the schema's type: the error is the program's to raise when, and
if, the node runs.
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node, Value
from minitorch_jit.ir.schema import substitute
from minitorch_jit.ir.types import DictType, ListType, NoneType, OptionalType, TensorType, TupleType, Type, unify

from .effects import require_ops


def refine(old: Type, new: Type) -> Type:
    """``new`` where it describes the value at least as well as ``old``: tensors (and tensors
    inside lists and tuples) take the computed type, other types only narrow."""
    if isinstance(old, TensorType) and isinstance(new, TensorType):
        return new
    if isinstance(old, ListType) and isinstance(new, ListType):
        # a list is mutable: its tensors take the computed types, other element types are
        # never narrowed (an int?[] holding None is still an int?[])
        elem = refine(old.elem, new.elem)
        return ListType(elem) if forget_refinements(elem) == forget_refinements(old.elem) else old
    if isinstance(old, DictType) and isinstance(new, DictType):
        value = refine(old.value, new.value)
        return DictType(old.key, value) if forget_refinements(value) == forget_refinements(old.value) else old
    if isinstance(old, TupleType) and isinstance(new, TupleType) and len(old.elems) == len(new.elems):
        return old.with_elems([refine(a, b) for a, b in zip(old.elems, new.elems)])
    if isinstance(old, OptionalType) and isinstance(new, OptionalType):
        return OptionalType(refine(old.elem, new.elem))
    if isinstance(old, OptionalType) and not isinstance(new, NoneType):
        inner = refine(old.elem, new)
        return inner if inner.is_subtype_of(old) or isinstance(old.elem, TensorType) else old
    return new if new.is_subtype_of(old) else old


def forget_refinements(t: Type) -> Type:
    """``t`` without dtypes and sizes (for a node no rule describes: what the graph said of
    its tensors may describe another specialization)."""
    if isinstance(t, TensorType):
        return TensorType()
    if isinstance(t, ListType):
        return ListType(forget_refinements(t.elem))
    if isinstance(t, DictType):
        return DictType(t.key, forget_refinements(t.value))
    if isinstance(t, TupleType):
        return t.with_elems([forget_refinements(e) for e in t.elems])
    if isinstance(t, OptionalType):
        return OptionalType(forget_refinements(t.elem))
    if isinstance(t, DictType):
        return DictType(t.key, forget_refinements(t.value))
    return t


def _constant_type(node: Node) -> Type:
    t = node.output.type
    value = node.attrs.get("value")
    if isinstance(t, TensorType) and hasattr(value, "dtype"):
        return TensorType(value.dtype.name, value.shape, value.flags.c_contiguous)
    return t


def rule_types(node: Node) -> Optional[List[Type]]:
    """The output types the registry's rule gives for the node's current input types."""
    op = registry.node_op(node)
    if op is None:
        return None
    try:
        return op.output_types([v.type for v in node.inputs], registry.node_consts(node))
    except (RuntimeError, IndexError, ValueError, TypeError):  # the program's error, raised if it runs
        bindings = registry.match_schema(op.schema, [v.type for v in node.inputs]) or {}
        return [substitute(r.type, bindings) for r in op.schema.returns]


# Joins only forget, so loop-carried types settle quickly; this bound is a safety net after
# which the declared types are used.
MAX_LOOP_ITERATIONS = 32


def values_of(block: Block) -> Iterator[Value]:
    """Every value defined in ``block``: its parameters and its nodes' outputs, nested."""
    yield from block.params
    for node in block.nodes:
        yield from node.outputs
        for b in node.blocks:
            yield from values_of(b)


class _Propagator:
    def __init__(self, original: Dict[Value, Type]):
        self.original = original  # the types before this pass: the declared types

    def block(self, block: Block) -> None:
        for node in block.nodes:
            self.node(node)

    def node(self, node: Node) -> None:
        kind = node.kind
        if kind == "prim::Constant":
            node.output.type = _constant_type(node)
        elif kind == "prim::If":
            self.if_node(node)
        elif kind == "prim::Loop":
            self.loop_node(node)
        elif kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            t = node.inputs[0].type
            if isinstance(t, TupleType) and len(t.elems) == len(node.outputs):
                self.outputs(node, list(t.elems))
            elif isinstance(t, ListType):
                self.outputs(node, [t.elem] * len(node.outputs))
        elif SUBGRAPH in node.attrs:
            self.outputs(node, subgraph_output_types(node))
        else:
            types = rule_types(node)
            self.outputs(node, types if types is not None else [forget_refinements(o.type) for o in node.outputs])

    def outputs(self, node: Node, types: List[Type]) -> None:
        for o, t in zip(node.outputs, types):
            o.type = refine(self.original[o], t)

    def if_node(self, node: Node) -> None:
        for b in node.blocks:
            self.block(b)
        for o, a, b in zip(node.outputs, node.blocks[0].returns, node.blocks[1].returns):
            joined = unify(a.type, b.type)
            o.type = self.original[o] if joined is None else refine(self.original[o], joined)

    def loop_node(self, node: Node) -> None:
        body = node.blocks[0]
        inits, params, rets = node.inputs[2:], body.params[1:], body.returns[1:]
        declared = [self.original[p] for p in params]
        current = [refine(d, v.type) for d, v in zip(declared, inits)]
        inner = [v for v in values_of(body)]
        for _ in range(MAX_LOOP_ITERATIONS):
            self.body(inner, params, current, body)
            widened = [_widen(d, t, r.type) for d, t, r in zip(declared, current, rets)]
            if widened == current:
                break
            current = widened
        else:
            current = declared
            self.body(inner, params, current, body)
        for o, t in zip(node.outputs, current):
            o.type = refine(self.original[o], t)

    def body(self, inner: List[Value], params: List[Value], types: List[Type], body: Block) -> None:
        # Start each round from the declared types, so nothing narrowed for an earlier
        # round's (narrower) parameter types survives.
        for v in inner:
            v.type = self.original[v]
        for p, t in zip(params, types):
            p.type = t
        self.block(body)


def _widen(declared: Type, current: Type, ret: Type) -> Type:
    joined = unify(current, ret)
    return declared if joined is None else refine(declared, joined)


def subgraph_output_types(node: Node) -> List[Type]:
    """A call's (or fusion group's) output types: its subgraph propagated from the node's
    input types, on a copy."""
    sub = node.attrs[SUBGRAPH].copy()
    for p, v in zip(sub.inputs, node.inputs):
        p.type = v.type
    shape_propagation(sub)
    return [v.type for v in sub.outputs]


def shape_propagation(graph: Graph) -> bool:
    """Recompute the types of all values from the graph inputs' types. Returns whether any
    type changed."""
    require_ops("shape propagation")
    original = {v: v.type for v in values_of(graph.block)}
    _Propagator(original).block(graph.block)
    return any(v.type != t for v, t in original.items())


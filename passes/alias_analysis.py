"""Which values may share memory, which of them are written, and which the caller can see.

Passes that fold, merge or drop nodes ask this before touching values of mutable types
(tensors, lists, and containers or ``Any`` that may hold them):

- Values are put into alias classes (union-find). An op's output joins the inputs its schema
  says it aliases (``Tensor(a) self -> Tensor(a)``: views and in-place ops); containers join
  their elements (``prim::ListConstruct``, ``prim::TupleConstruct``, unpacking, indexing: any
  op whose return type is a type variable or ``Any``); ``prim::If`` outputs join their block
  results, and a loop's initial values, block parameters, block results and outputs join.
  A ``prim::CallFunction`` output may be any of its inputs.
- A class is *mutated* when an in-place op writes into one of its values (``Tensor(a!)``), a
  random op may write into an input it aliases (``dropout(..., inplace=True)``), or a called
  subgraph that is not pure receives one of its values.
- A class is *visible* when it holds a graph input or a graph output: the caller holds those
  objects, so two visible values must never become one object.

The rules passes follow (each pass's docstring restates the part it uses): nothing that reads
a mutated value is folded or merged, since its value depends on where it runs; a mutable
value that is mutated or visible is never replaced by a constant (the constant's storage
would be shared across calls); two values may become one object only when neither class is
mutated and not both are visible.
"""
from __future__ import annotations

from typing import Dict, Optional

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node, Value
from minitorch_jit.ir.types import AnyType, ListType, OptionalType, TensorType, TupleType, Type, TypeVar


def is_mutable_type(t: Type) -> bool:
    """Can a value of this type share memory with another value (or hold one that does)?"""
    if isinstance(t, (TensorType, ListType, AnyType)):
        return True
    if isinstance(t, TupleType):
        return any(is_mutable_type(e) for e in t.elems)
    if isinstance(t, OptionalType):
        return is_mutable_type(t.elem)
    return False


def _generic(t: Type) -> bool:
    """Does a schema type stand for 'whatever was passed in' (``t``, ``t[]``, ``Any``)?"""
    if isinstance(t, (TypeVar, AnyType)):
        return True
    if isinstance(t, (ListType, OptionalType)):
        return _generic(t.elem)
    if isinstance(t, TupleType):
        return any(_generic(e) for e in t.elems)
    return False


def subgraph_is_pure(graph: Graph) -> bool:
    """No node of ``graph`` (or of graphs it calls) writes, prints, raises or draws."""
    for node in graph.all_nodes():
        if SUBGRAPH in node.attrs:
            if not subgraph_is_pure(node.attrs[SUBGRAPH]):
                return False
            continue
        if node.kind in ("prim::If", "prim::Loop", "prim::Constant"):
            continue
        op = registry.node_op(node)
        if op is None or not op.pure:
            return False
    return True


class AliasDb:
    """Alias classes of one graph's values, with the mutated and visible flags per class."""

    def __init__(self, graph: Graph):
        self._parent: Dict[Value, Value] = {}
        self._mutated: set = set()
        self._visible: set = set()
        self._block(graph.block)
        for v in list(graph.inputs) + list(graph.outputs):
            if is_mutable_type(v.type):
                self._visible.add(self._find(v))
        self._mutated = {self._find(v) for v in self._mutated}
        self._visible = {self._find(v) for v in self._visible}

    # -- union-find -------------------------------------------------------------------------
    def _find(self, v: Value) -> Value:
        root = v
        while self._parent.get(root, root) is not root:
            root = self._parent[root]
        while v is not root:
            self._parent[v], v = root, self._parent.get(v, root)
        return root

    def _union(self, a: Value, b: Value) -> None:
        if not (is_mutable_type(a.type) and is_mutable_type(b.type)):
            return
        ra, rb = self._find(a), self._find(b)
        if ra is not rb:
            self._parent[rb] = ra
            if rb in self._mutated or ra in self._mutated:
                self._mutated.add(ra)
            if rb in self._visible or ra in self._visible:
                self._visible.add(ra)

    def _mutate(self, v: Value) -> None:
        if is_mutable_type(v.type):
            self._mutated.add(self._find(v))

    # -- building ---------------------------------------------------------------------------
    def _block(self, block: Block) -> None:
        for node in block.nodes:
            for b in node.blocks:
                self._block(b)
            self._node(node)

    def _node(self, node: Node) -> None:
        kind = node.kind
        if kind == "prim::Constant" or kind == "prim::FusionGroup":
            return  # fresh values (fusion groups write only their own outputs)
        if kind == "prim::If":
            for b in node.blocks:
                for o, r in zip(node.outputs, b.returns):
                    self._union(o, r)
            return
        if kind == "prim::Loop":
            body = node.blocks[0]
            for init, param, ret, out in zip(node.inputs[2:], body.params[1:], body.returns[1:], node.outputs):
                self._union(init, param)
                self._union(init, ret)
                self._union(init, out)
            return
        if kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            for o in node.outputs:
                self._union(o, node.inputs[0])
            return
        if kind == "prim::CallFunction":
            pure = subgraph_is_pure(node.attrs[SUBGRAPH])
            for v in node.inputs:
                for o in node.outputs:
                    self._union(o, v)
                if not pure:
                    self._mutate(v)
            return
        op = registry.node_op(node)
        if op is None:  # unknown: assume the worst
            for v in node.inputs:
                for o in node.outputs:
                    self._union(o, v)
                self._mutate(v)
            return
        formals = _formals(op, len(node.inputs))
        for o, ret in zip(node.outputs, op.schema.returns):
            for v, arg in zip(node.inputs, formals):
                if (ret.alias is not None and arg.alias == ret.alias) or (
                        _generic(ret.type) and _generic(arg.type)):
                    self._union(o, v)
        for v, arg in zip(node.inputs, formals):
            if arg.mutates or (op.random and arg.alias is not None):
                self._mutate(v)

    # -- queries ----------------------------------------------------------------------------
    def _root(self, v: Value) -> Optional[Value]:
        return self._find(v) if is_mutable_type(v.type) else None

    def is_mutated(self, v: Value) -> bool:
        """May some node write into ``v`` or a value sharing its memory?"""
        r = self._root(v)
        return r is not None and r in self._mutated

    def is_visible(self, v: Value) -> bool:
        """Does ``v`` share memory with a graph input or output?"""
        r = self._root(v)
        return r is not None and r in self._visible

    def may_merge(self, a: Value, b: Value) -> bool:
        """May uses of ``b`` read ``a`` instead, making them one object? Not if either is
        written (the write would show through the other), nor if both are visible to the
        caller (who would then hold one object where the program gave two)."""
        if self.is_mutated(a) or self.is_mutated(b):
            return False
        return not (self.is_visible(a) and self.is_visible(b))

    def merged(self, keep: Value, gone: Value) -> None:
        """Record that uses of ``gone`` now read ``keep`` (a fold or a merge), so later
        queries about ``keep`` see what was known of ``gone``."""
        if is_mutable_type(keep.type) and is_mutable_type(gone.type):
            self._union(keep, gone)


def _formals(op: registry.OpDef, n: int) -> list:
    args = list(op.schema.arguments)
    if op.schema.is_vararg:
        return args[:-1] + [args[-1]] * (n - len(args) + 1)
    return args[:n]

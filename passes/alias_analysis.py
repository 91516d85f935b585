"""Which values may share memory, which of them are written, and which the caller can see.

Passes that fold, merge or drop nodes ask this before touching values of mutable types
(tensors, lists, and containers or ``Any`` that may hold them):

- Values are put into alias classes (union-find). An op's output joins the inputs its schema
  says it aliases (``Tensor(a) self -> Tensor(a)``: views and in-place ops); containers join
  their elements (``prim::ListConstruct``, ``prim::TupleConstruct``, unpacking, indexing: any
  op whose return type is a type variable or ``Any``; and an op that writes into a container,
  ``li.append(x)``, joins the container and what it stores); ``prim::If`` outputs join their block
  results, and a loop's initial values, block parameters, block results and outputs join.
  A ``prim::CallFunction`` output, and that of an op the registry does not know, may be any
  of its inputs.
- A class is *mutated* when an in-place op writes into one of its values (``Tensor(a!)``), a
  random op may write into an input it aliases (``dropout(..., inplace=True)``), a called
  subgraph with effects (:mod:`passes.effects`) or an unknown op receives one of its values.
- A class is *visible* when it holds a graph input or a graph output: the caller holds those
  objects, so two visible values must never become one object.

The rules passes follow (each pass's docstring restates the part it uses): nothing that reads
a mutated value is folded or merged, since its value depends on where it runs; a mutable
value that is mutated or visible is never replaced by a constant (the constant's storage
would be shared across calls); two values may become one object only when neither class is
mutated and not both are visible.

Graph inputs of mutable types all start in one class: the caller may pass one tensor as two
arguments, so a write into one input may be a write into any other.

One analysis, shared: passes get the db with ``alias_db(graph)``. Outside the pipeline that
builds a fresh one per call. Inside ``sharing()`` (the pipeline runs every pass in it) the
db is kept and handed to the next pass, until ``invalidate(graph)`` drops it. The pipeline
invalidates after every pass that changed the graph, except passes marked
``@keeps_alias_db``: those keep the db sound themselves, by only adding fresh values
(constants, nodes of immutable types), recording every value they replace with
``merged``, and deleting nodes (a deleted node's values only make the db more
conservative). Passes that copy nodes (inlining, unrolling) or change types (which can change
the overload a node calls) are not marked. Nothing but the passes edits a graph while its db
is shared.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Callable, Dict, Iterator, Optional

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node, Value, is_call
from minitorch_jit.ir.types import AnyType, DictType, ListType, OptionalType, TensorType, TupleType, Type, TypeVar

from .effects import graph_has_effects


def is_mutable_type(t: Type) -> bool:
    """Can a value of this type share memory with another value (or hold one that does)?"""
    if isinstance(t, (TensorType, ListType, DictType, AnyType)):
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
    if isinstance(t, DictType):
        return _generic(t.value)
    if isinstance(t, TupleType):
        return any(_generic(e) for e in t.elems)
    return False


class AliasDb:
    """Alias classes of one graph's values, with the mutated and visible flags per class."""

    def __init__(self, graph: Graph):
        self._parent: Dict[Value, Value] = {}
        self._mutated: set = set()
        self._visible: set = set()
        self._block(graph.block)
        mutable_inputs = [v for v in graph.inputs if is_mutable_type(v.type)]
        for v in mutable_inputs[1:]:
            self._union(mutable_inputs[0], v)
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
        if is_call(node):
            pure = not graph_has_effects(node.attrs[SUBGRAPH])
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
            if arg.mutates and isinstance(v.type, (ListType, DictType)):
                # an element stored into a container (``li.append(x)``, ``d[k] = x``) is one of its
                # values from then on: reading it back (``li[0]``) reads x itself
                for w, other in zip(node.inputs, formals):
                    if w is not v and _generic(other.type):
                        self._union(v, w)

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


# -- sharing one db between passes --------------------------------------------------------------

_shared: contextvars.ContextVar[Optional[Dict[Graph, AliasDb]]] = contextvars.ContextVar("alias_dbs", default=None)

Pass = Callable[[Graph], bool]


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within this context, ``alias_db(graph)`` returns the same db until ``invalidate(graph)``
    (nested contexts share the outer one's dbs)."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def alias_db(graph: Graph) -> AliasDb:
    """The alias db of ``graph``: the shared one inside ``sharing()``, else a fresh one."""
    dbs = _shared.get()
    if dbs is None:
        return AliasDb(graph)
    db = dbs.get(graph)
    if db is None:
        db = dbs[graph] = AliasDb(graph)
    return db


def invalidate(graph: Graph) -> None:
    """Forget the shared db of ``graph`` (it changed in a way the db did not record)."""
    dbs = _shared.get()
    if dbs is not None:
        dbs.pop(graph, None)


def keeps_alias_db(pass_fn: Pass) -> Pass:
    """Mark a pass that keeps the shared db sound while it changes the graph (see above)."""
    pass_fn.keeps_alias_db = True  # type: ignore[attr-defined]
    return pass_fn


def marked_keeps_alias_db(pass_fn: Pass) -> bool:
    return getattr(pass_fn, "keeps_alias_db", False)

"""Constant propagation: run the registry's kernels on constant inputs at compile time.

Given::

    graph(%x : Float(*)):
      %1 : int = prim::Constant[value=2]()
      %2 : int = aten::mul(%1, %1)
      %3 : bool = prim::Constant[value=False]()
      %4 : Tensor = prim::If(%3)
        block0():
          %5 : Tensor = aten::neg(%x)
          -> (%5)
        block1():
          %6 : Tensor = aten::mul(%x, %2)
          -> (%6)
      return (%4)

Result (``aten::mul`` of two constants is folded, the else block is inlined)::

    graph(%x : Float(*)):
      %1 : int = prim::Constant[value=2]()
      %2 : int = prim::Constant[value=4]()
      %3 : bool = prim::Constant[value=False]()
      %4 : Tensor = aten::mul(%x, %2)
      return (%4)

(dead constants are left to dead code elimination). Loops whose trip count is a constant
``<= 0`` or whose condition is a constant False are replaced by their initial values; an If
output that is the same constant on both branches is that constant.

What is never folded (see :mod:`passes.alias_analysis` and :mod:`passes.effects`):

- nodes with effects: side effects (print, raise), in-place writes, random draws, ops the
  registry does not know;
- nodes reading a tensor or list that something writes into, since the value they read
  depends on when they run;
- nodes whose tensor or list result is written into, or reaches a graph input or output: a
  constant's storage is shared by every call, so a caller (or a later in-place op) writing
  into it would change the next call's result;
- results that a constant cannot hold: tensors of more than ``MAX_TENSOR_ELEMENTS``
  elements, tuples, objects;
- nodes whose kernel raises: the program raises that error when (and if) the node runs.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Block, Graph, Node
from minitorch_jit.ir.types import (
    FLOAT,
    SHORT_NAME,
    IntType,
    ListType,
    NoneType,
    OptionalType,
    TensorType,
    Type,
    type_of_constant,
)

from .alias_analysis import AliasDb, alias_db, is_mutable_type, keeps_alias_db
from .effects import has_effects, require_ops, runtime_value
from .rewriting import replace_value

MAX_TENSOR_ELEMENTS = 64


def constant_for(value: Any, declared: Type) -> Optional[Tuple[Any, Type]]:
    """The (value, type) of a ``prim::Constant`` holding a kernel's result, or None when a
    constant cannot hold it."""
    if isinstance(value, np.ndarray):
        if value.dtype.name not in SHORT_NAME or value.size > MAX_TENSOR_ELEMENTS:
            return None
        arr = np.array(value, copy=True)  # storage of its own, contiguous
        return arr, TensorType(arr.dtype.name, arr.shape)
    if isinstance(declared, TensorType):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return (None, NoneType()) if isinstance(declared, (NoneType, OptionalType)) else None
    if isinstance(value, list) and not value:
        return ([], declared) if isinstance(declared, ListType) else None
    if not isinstance(value, (bool, int, float, str, list)):
        return None
    try:
        t = type_of_constant(value)
    except (TypeError, ValueError):
        return None
    if isinstance(t, ListType) and isinstance(t.elem, ListType):
        return None
    if t.is_subtype_of(declared):
        return value, t
    if isinstance(t, IntType) and declared == FLOAT:
        return value, FLOAT  # Python's numeric tower: an int where a float is expected
    return None


def _fold(node: Node, db: AliasDb) -> Optional[List[Tuple[Any, Type]]]:
    if node.blocks or SUBGRAPH in node.attrs or not all(v.is_constant for v in node.inputs):
        return None
    if has_effects(node) or not node.outputs or node.kind == "prim::unchecked_cast":
        return None  # a cast computes nothing: folding it would only lose the type it gives
    op = registry.node_op(node)
    if op is None:
        return None  # structural (tuple unpacking): left to the peephole
    if any(db.is_mutated(v) for v in node.inputs):
        return None
    if any(is_mutable_type(o.type) and (db.is_mutated(o) or db.is_visible(o)) for o in node.outputs):
        return None
    args = [runtime_value(v) for v in node.inputs]
    try:
        # as generated code calls kernels: trailing arguments the node omits take their defaults
        result = op.kernel(*args)
    except Exception:  # noqa: BLE001 - whatever it raises, it raises at run time instead
        return None
    results = list(result) if len(node.outputs) > 1 else [result]
    constants = [constant_for(r, o.type) for r, o in zip(results, node.outputs)]
    return None if any(c is None for c in constants) else constants


def _replace_with_constants(node: Node, constants: List[Tuple[Any, Type]], db: AliasDb) -> None:
    graph = node.graph
    with graph.inserting_before(node):
        for o, (value, t) in zip(node.outputs, constants):
            c = graph.insert_constant(value, t, source=node.source)
            db.merged(c, o)
            replace_value(o, c)
    node.destroy()


def _inline_taken_branch(node: Node) -> None:
    block = node.blocks[0 if node.inputs[0].constant else 1]
    for n in list(block.nodes):
        n.move_before(node)
    for o, r in zip(node.outputs, block.returns):
        replace_value(o, r)
    node.destroy()


def _same_constant_outputs(node: Node, db: AliasDb) -> bool:
    """An If output that is the same constant on both branches is that constant (``x == 1
    and False`` is False whichever way it went)."""
    changed = False
    for o, r0, r1 in zip(node.outputs, node.blocks[0].returns, node.blocks[1].returns):
        if o.uses and r0.is_constant and r1.is_constant and r0.type == r1.type and \
                not isinstance(r0.type, TensorType) and type(r0.constant) is type(r1.constant) and \
                r0.constant == r1.constant:
            graph = node.graph
            with graph.inserting_before(node):
                c = graph.insert_constant(r0.constant, r0.type, source=node.source)
            db.merged(c, o)
            replace_value(o, c)
            changed = True
    return changed


def _never_runs(node: Node) -> bool:
    trip, cond = node.inputs[0], node.inputs[1]
    return (trip.is_constant and trip.constant <= 0) or (cond.is_constant and cond.constant is False)


def _block(block: Block, db: AliasDb) -> bool:
    changed = False
    node = block.param_node.next
    while node is not block.return_node:
        following = node.next
        if node.kind == "prim::If" and node.inputs[0].is_constant:
            preceding = node.prev
            _inline_taken_branch(node)
            node = preceding.next  # the branch's nodes now sit here and are visited next
            changed = True
            continue
        if node.kind == "prim::Loop" and _never_runs(node):
            for o, init in zip(node.outputs, node.inputs[2:]):
                replace_value(o, init)
            node.destroy()
            changed = True
        else:
            for b in node.blocks:
                changed |= _block(b, db)
            if node is not None and node.kind == "prim::If":
                changed |= _same_constant_outputs(node, db)
            constants = _fold(node, db)
            if constants is not None:
                _replace_with_constants(node, constants, db)
                changed = True
        node = following
    return changed


@keeps_alias_db
def constant_propagation(graph: Graph) -> bool:
    """Fold constant computations, constant branches and loops that never run."""
    require_ops("constant propagation")
    return _block(graph.block, alias_db(graph))

"""What a node does besides computing its outputs: the effect half of the passes' one model of
programs (:mod:`passes.alias_analysis` is the other half: which values share memory).

Two questions, both answered conservatively, from the op registry alone:

- ``has_effects(node)``: does it print, raise on purpose, write in place, draw random
  numbers, or is it an op the registry does not know (which may do any of these)? Such a
  node is never deleted, moved, merged, folded or fused.
- ``may_raise(node)``: might it raise for the inputs its types and constant values allow?
  A pure node whose results are unused may be deleted only when it cannot raise: a rewrite
  never turns an error into a value. The rule, decided without running the program:

  * ``prim::Constant``, unpacking a tuple, and registry ops marked ``total`` (building a
    list or tuple, ``len``, ``dim``) cannot raise;
  * an If, a Loop or a call may raise when a node inside it may (for an If with a constant
    condition, inside the block it takes);
  * a pointwise op cannot raise when every tensor it reads has a known dtype and rank; the
    known sizes show that the shapes broadcast (per dim, at most one size other than 1, or
    several known and equal); its other inputs are constants, floats or bools; it may not
    raise for values (``value_errors`` in the registry: integer division by zero, integer
    powers with a negative exponent; not when its result is floating point, nor when the
    divisor or exponent is a constant the kernel accepts); and its eager
    kernel accepts stand-ins of those types (empty arrays of the dtypes and ranks, the
    constants' values, 1.0, True and False). That catches every error a kernel raises for
    dtypes (``-`` on bools, bitwise ops on floats) or for constant arguments;
  * a reduction cannot raise when its tensor has a known dtype and rank, its other
    arguments are constants, and its kernel accepts arrays of that dtype and rank with the
    unknown sizes 0 and with them 1 (its errors come from the dtype, the dims it is given,
    and empty inputs: ``max`` of an empty tensor raises, ``mean`` gives NaN);
  * everything else may raise (views, indexing, Python number arithmetic, an int argument
    that could overflow an integer tensor's dtype, unknown ops).

``require_ops(what)`` is the loud failure of passes that cannot do their work without the
registry (it is filled by importing ``minitorch_jit``).
"""
from __future__ import annotations

from itertools import product
from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import SUBGRAPH, Graph, Node, Value
from minitorch_jit.ir.types import SCALARTYPE, BoolType, FloatType, IntType, TensorType, is_float

# Nodes the IR itself defines (not registry ops) that compute their outputs and nothing else
_STRUCTURAL_PURE = ("prim::Constant", "prim::TupleUnpack", "prim::ListUnpack", "prim::isinstance")
# Of those, the ones that cannot fail for well-typed inputs (a list may have another length)
_STRUCTURAL_TOTAL = ("prim::Constant", "prim::TupleUnpack", "prim::isinstance")
# Reductions are dry-run on inputs of at most this many elements
_MAX_DRY_RUN = 4096


def require_ops(what: str) -> None:
    """Raise when the op registry is empty: ``what`` (a pass) would otherwise treat every op as
    unknown and silently do nothing."""
    if not registry.has_ops():
        raise RuntimeError(f"{what} needs the op registry, which is empty: import minitorch_jit first "
                           f"(importing it registers the ops)")


def has_effects(node: Node) -> bool:
    """Would deleting, moving or merging this node change what the program does besides its
    outputs? True for prints, raises, in-place writes, random draws, unknown ops, and any If,
    Loop or call holding one of those."""
    if node.kind in ("prim::If", "prim::Loop"):
        return any(has_effects(n) for b in node.blocks for n in b.nodes)
    if SUBGRAPH in node.attrs:
        return graph_has_effects(node.attrs[SUBGRAPH])
    if node.kind in _STRUCTURAL_PURE:
        return False
    op = registry.node_op(node)
    return op is None or not op.pure


def writes(node: Node) -> bool:
    """Does the node write into an input? (batch_norm with a constant ``training=False`` writes
    no running statistics.)"""
    op = registry.node_op(node)
    if op is None or not op.inplace:
        return False
    i = op.writes_if_arg
    if i is None:
        return True
    flag = node.inputs[i] if i < len(node.inputs) else None
    return flag is None or flag.node.kind != "prim::Constant" or bool(flag.constant)


def has_writes(graph: Graph) -> bool:
    """Does the graph (blocks included) hold in-place ops?"""
    return any(writes(n) for n in graph.all_nodes())


def graph_has_effects(graph: Graph) -> bool:
    """Does some node of ``graph`` (or of a graph it calls) have effects?"""
    return any(has_effects(n) for n in graph.block.nodes)


def may_raise(node: Node) -> bool:
    """Might this node raise for some inputs its types and constants allow? (The rule is in
    the module docstring.)"""
    if node.kind in _STRUCTURAL_TOTAL:
        return False
    if node.kind == "prim::If":
        cond = node.inputs[0]
        blocks = node.blocks if not cond.is_constant else [node.blocks[0 if cond.constant else 1]]
        return any(may_raise(n) for b in blocks for n in b.nodes)
    if node.kind == "prim::Loop":
        return any(may_raise(n) for b in node.blocks for n in b.nodes)
    if SUBGRAPH in node.attrs:
        return any(may_raise(n) for n in node.attrs[SUBGRAPH].block.nodes)
    op = registry.node_op(node)
    if op is None:
        return True
    if op.total:
        return False
    if op.pointwise and not raises_on_values(node) and \
            _broadcasts([v.type for v in set(node.inputs) if isinstance(v.type, TensorType)]):
        return _refused([_stand_ins(v) for v in node.inputs], op)
    if op.reduction:
        return _refused(_reduction_stand_ins(node), op)
    return True


def _refused(choices: List[Optional[List[Any]]], op: registry.OpDef) -> bool:
    """Does the kernel raise for some combination of the stand-ins (or are there none)?"""
    if any(c is None for c in choices):
        return True
    for args in product(*choices):
        try:
            op.kernel(*args)
        except Exception:  # noqa: BLE001 - any error means it may raise
            return True
    return False


def raises_on_values(node: Node) -> bool:
    """May this registry op raise for some values of inputs whose types it accepts? Ops
    marked ``value_errors`` (integer division by zero, integer powers with a negative
    exponent) may, unless their result is floating point or the argument they name is a
    constant their kernel accepts (``x // 2``)."""
    op = registry.node_op(node)
    if op is None or op.value_errors is None:
        return False
    try:
        out = op.output_types([v.type for v in node.inputs], registry.node_consts(node))
    except Exception:  # noqa: BLE001 - a type rule that refuses the types: it may raise
        return True
    if out and isinstance(out[0], TensorType) and out[0].dtype is not None and is_float(out[0].dtype):
        return False
    names = [a.name for a in op.schema.arguments]
    i = names.index(op.value_errors)
    if i >= len(node.inputs) or not node.inputs[i].is_constant:
        return True
    # the other arguments' values do not matter: ones of their types (1s broadcast)
    args = [runtime_value(v) if v.is_constant else _one(v.type) for v in node.inputs]
    if any(a is None for a in args):
        return True
    try:
        op.kernel(*args)
    except Exception:  # noqa: BLE001 - the constant is one it refuses
        return True
    return False


def _one(t: Any) -> Any:
    if isinstance(t, TensorType):
        return None if t.dtype is None or t.sizes is None else np.ones((1,) * len(t.sizes), t.dtype)
    return {BoolType: True, FloatType: 1.0, IntType: 1}.get(type(t))


def runtime_value(v: Value) -> Any:
    """A constant as a kernel receives it (dtype names become numpy dtypes; lists are
    copied so that no kernel can change a constant)."""
    value = v.constant
    if v.type == SCALARTYPE and value is not None:
        return np.dtype(value)
    if isinstance(value, list):
        return list(value)
    return value


def _stand_ins(v: Value) -> Optional[List[Any]]:
    """Arguments standing for every value ``v`` may hold, as far as raising goes, or None
    when no few can (an int may overflow a dtype; a tensor of unknown dtype or rank).
    Tensors become empty arrays of their dtype and rank (sizes 1 stay 1: the shapes are
    known to broadcast, so the stand-ins do too); other constants are themselves."""
    t = v.type
    if isinstance(t, TensorType):
        if t.dtype is None or t.sizes is None:
            return None
        return [np.zeros(tuple(1 if d == 1 else 0 for d in t.sizes), t.dtype)]
    if v.is_constant:
        return [runtime_value(v)]
    if isinstance(t, BoolType):
        return [True, False]
    if isinstance(t, FloatType):
        return [1.0]
    return None


def _reduction_stand_ins(node: Node) -> List[Optional[List[Any]]]:
    """For a reduction of one tensor: arrays of its dtype and rank, with the unknown sizes
    0 and then 1 (its errors depend on the dtype, the dims asked for, and on emptiness);
    the other arguments must be constants."""
    out: List[Optional[List[Any]]] = []
    for v in node.inputs:
        t = v.type
        if not isinstance(t, TensorType):
            out.append([runtime_value(v)] if v.is_constant else None)
        elif t.dtype is None or t.sizes is None or \
                int(np.prod([d or 1 for d in t.sizes], dtype=np.int64)) > _MAX_DRY_RUN:
            out.append(None)
        else:
            out.append([np.zeros(tuple(n if d is None else d for d in t.sizes), t.dtype) for n in (0, 1)])
    return out


def _broadcasts(types: Sequence[TensorType]) -> bool:
    """Do tensors of these types always broadcast? Per dim (from the right): at most one size
    that is not known to be 1, or several known and equal."""
    if any(t.sizes is None for t in types):
        return False
    for d in range(1, max((len(t.sizes) for t in types), default=0) + 1):
        sizes = [t.sizes[-d] for t in types if len(t.sizes) >= d and t.sizes[-d] != 1]
        if len(sizes) > 1 and (None in sizes or len(set(sizes)) > 1):
            return False
    return True

"""Peephole rewrites: local identities that hold given the values' types.

Given::

    graph(%x : Float(*, *)):
      %1 : Float(*, *) = aten::t(%x)
      %2 : Float(*, *) = aten::t(%1)
      %3 : int = aten::dim(%2)
      return (%2, %3)

Result (the inner ``aten::t`` goes with the outer one: the rule checked that it cannot
raise either; other nodes left unused are dead code elimination's)::

    graph(%x : Float(*, *)):
      %1 : int = prim::Constant[value=2]()
      return (%x, %1)

A rule replaces a node only when the node cannot raise for its inputs (each rule checks what
that takes), so a rewrite never turns an error into a value. The rules, each keyed by the op
it rewrites (``RULES``):

- views and conversions that change nothing are their input: ``x.t().t()`` (rank <= 2),
  ``x.transpose(a, b).transpose(a, b)``, ``view``/``reshape``/``expand`` to ``x``'s own
  sizes, ``to``/``type_as``/``float()``... to ``x``'s own dtype (without ``copy=True``),
  ``contiguous()`` of a value whose type says it is contiguous, ``detach()`` (in plans that
  record nothing), ``dropout``
  that does not train. These return ``x`` or a view of it, so aliasing is unchanged;
- arithmetic identities ``x * 1``, ``x / 1``, ``x - 0``, ``x + 0``, ``-(-x)``: only when the
  result has ``x``'s dtype and sizes (``x * 1.0`` with an int ``x`` is a float tensor, and a
  broadcasting operand can grow the result), only when the identity is exact for the dtype
  (for floats ``x + 0`` is not: ``-0.0 + 0`` is ``+0.0``; ``x - 0.0`` is), and only when
  the result and ``x`` may become one object (neither is written in place, and not both
  reach the caller; see :mod:`passes.alias_analysis`), and only when the op cannot raise
  (``x - False`` raises: subtracting a bool; so may ``x + t`` when ``t``'s sizes may not
  broadcast; see :mod:`passes.effects`);
- ``x.dim()``, ``x.size(i)``, ``x.size()``, ``x.numel()`` and ``len(x)`` of values whose
  rank or sizes are known become constants;
- number and boolean algebra: ``n + 0``, ``n - 0``, ``n * 1``, ``n * 0``, ``n // 1`` of
  ints, ``not not b``; an ``If`` output that is its condition (``b and True``), its negation,
  or the same value on both branches; unpacking a tuple or list just built;
- lists and dicts just built that nothing writes into: ``len`` of them, and items at constant
  indices or keys (a dict's keys must be distinct constants) are what they were built from;
  a slice with constant bounds is a new list of the items it takes.
- ``isinstance`` that the input's type decides (``prim::isinstance`` of a value whose type,
  once specialized or inlined, is or is not one of the types) is a constant.
- ``x == x`` / ``x != x`` of values equal to themselves (ints, bools, strings, lists of them),
  ``int(n)`` of an int, and a ``prim::unchecked_cast`` to a type its input already has.
- ``x is None`` (``is not``) of a value whose type cannot be None: what an ``Optional[Tensor]``
  input specialized to a tensor makes of its tests (the branches then fold, and what follows
  fuses).
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import (
    BOOL,
    INT,
    BoolType,
    DictType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    StrType,
    TensorType,
    TupleType,
    is_float,
    is_integral,
    isinstance_split,
)

from .alias_analysis import AliasDb, alias_db, keeps_alias_db
from .effects import may_raise, require_ops
from .rewriting import replace_value
from .shape_propagation import rule_types

Rule = Callable[[Node, AliasDb], Optional[List[Value]]]


def _const(v: Value) -> Any:
    """The value of a constant input, else ``UNKNOWN``."""
    return v.constant if v.is_constant else UNKNOWN


def _input(node: Node, i: int, default: Any = UNKNOWN) -> Any:
    """Input ``i``'s constant value; ``default`` when the node omits it (schema default)."""
    return _const(node.inputs[i]) if i < len(node.inputs) else default


def _tensor(v: Value) -> Optional[TensorType]:
    return v.type if isinstance(v.type, TensorType) else None


def _produced_by(v: Value, name: str) -> Optional[Node]:
    return v.node if v.node.kind == name else None


def _norm(dim: Any, rank: int) -> Optional[int]:
    """A constant dim index in range, made non-negative; None when unknown or out of range."""
    if type(dim) is not int or not -rank <= dim < rank:
        return None
    return dim % rank


# -- views and conversions that change nothing -------------------------------------------------


def _twice(node: Node) -> Optional[Tuple[Node, Value, TensorType]]:
    """For ``f(f(x))`` of a tensor ``x``: the inner node, ``x`` and ``x``'s type."""
    inner = _produced_by(node.inputs[0], node.kind)
    t = None if inner is None else _tensor(inner.inputs[0])
    return None if t is None else (inner, inner.inputs[0], t)


def _double_t(node: Node, db: AliasDb) -> Optional[List[Value]]:
    twice = _twice(node)
    return [twice[1]] if twice is not None and twice[2].rank is not None and twice[2].rank <= 2 else None


def _double_transpose(node: Node, db: AliasDb) -> Optional[List[Value]]:
    twice = _twice(node)
    if twice is None or twice[2].rank is None:
        return None
    inner, x, t = twice
    outer_dims = {_norm(_input(node, 1), t.rank), _norm(_input(node, 2), t.rank)}
    inner_dims = {_norm(_input(inner, 1), t.rank), _norm(_input(inner, 2), t.rank)}
    return [x] if None not in outer_dims and outer_dims == inner_dims else None


def _same_shape(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """view / reshape / expand to the input's own sizes (one -1 may stand for a size)."""
    x, shape = node.inputs[0], _input(node, 1)
    t = _tensor(x)
    if t is None or t.sizes is None or not isinstance(shape, list) or len(shape) != t.rank:
        return None
    free = [i for i, s in enumerate(shape) if s == -1]
    if node.kind == "aten::expand":
        if db.is_mutated(node.output):
            return None  # an expanded tensor is read-only here: writing into it must fail
    elif len(free) > 1 or (free and 0 in t.sizes):
        return None  # an error, or an ambiguous -1
    same = all(s == -1 or s == d for s, d in zip(shape, t.sizes))
    return [x] if same and all(d is not None for i, d in enumerate(t.sizes) if i not in free) else None


def _same_shape_as(node: Node, db: AliasDb) -> Optional[List[Value]]:
    a, b = _tensor(node.inputs[0]), _tensor(node.inputs[1])
    if a is None or b is None or a.sizes is None or None in a.sizes or a.sizes != b.sizes:
        return None
    return [node.inputs[0]]


def _same_dtype(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """to / type_as / float() ... to the dtype the input already has: the input itself."""
    x = node.inputs[0]
    t = _tensor(x)
    op = registry.node_op(node)
    if t is None or t.dtype is None or op is None:
        return None
    names = [a.name for a in op.schema.arguments]
    if "copy" in names and _input(node, names.index("copy"), False) is not False:
        return None
    out = rule_types(node)
    return [x] if out and isinstance(out[0], TensorType) and out[0].dtype == t.dtype else None


def _contiguous(node: Node, db: AliasDb) -> Optional[List[Value]]:
    t = _tensor(node.inputs[0])
    return [node.inputs[0]] if t is not None and t.contiguous else None


def _itself(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """detach() in a plan that records nothing (inference: no input requires grad) is its
    input; a plan that records for autograd keeps it, as it stops gradients there."""
    return None if _RECORDING.get() else [node.inputs[0]]


_RECORDING: contextvars.ContextVar[bool] = contextvars.ContextVar("peephole_recording", default=False)


@contextlib.contextmanager
def for_autograd() -> Iterator[None]:
    """Peephole inside the block optimizes a plan that records for autograd (keeps detach)."""
    token = _RECORDING.set(True)
    try:
        yield
    finally:
        _RECORDING.reset(token)


def _dropout(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """dropout(x, p, training) is x itself when not training or when p == 0 (a p outside
    [0, 1] is an error even then)."""
    p, training = _input(node, 1, 0.5), _input(node, 2, True)
    if type(p) not in (int, float) or not 0 <= p <= 1:
        return None
    return [node.inputs[0]] if training is False or p == 0 else None


# -- arithmetic identities ----------------------------------------------------------------------


def _exact_identity(kind: str, other: Any, dtype: str) -> bool:
    """Is ``x <kind> other`` exactly ``x`` for every ``x`` of ``dtype``?"""
    if isinstance(other, np.ndarray):
        values = other
    elif isinstance(other, (bool, int, float)):
        values = np.asarray(other)
    else:
        return False
    if kind == "aten::add":
        return is_integral(dtype, include_bool=True) and bool(np.all(values == 0))
    if kind == "aten::sub":
        return dtype != "bool" and bool(np.all(values == 0)) and not np.any(np.signbit(values))
    if kind == "aten::mul":
        return bool(np.all(values == 1))
    if kind == "aten::div":
        return is_float(dtype) and bool(np.all(values == 1))
    return False


def _identity_operand(node: Node) -> Optional[Tuple[Value, Any]]:
    """(x, the constant other operand), trying both orders for add and mul."""
    a, b = node.inputs[0], node.inputs[1]
    if _tensor(a) is not None and b.is_constant:
        return a, b.constant
    if node.kind in ("aten::add", "aten::mul") and _tensor(b) is not None and a.is_constant:
        return b, a.constant
    return None


def _arith_identity(node: Node, db: AliasDb) -> Optional[List[Value]]:
    operands = _identity_operand(node)
    if operands is None:
        return None
    x, other = operands
    t = _tensor(x)
    if t is None or t.dtype is None or t.sizes is None:
        return None
    if len(node.inputs) > 2:  # alpha of add and sub
        alpha = _const(node.inputs[2])
        if not (alpha == 1 and (type(alpha) is int or is_float(t.dtype))):
            return None
    if not _exact_identity(node.kind, other, t.dtype) or may_raise(node):
        return None
    out = rule_types(node)
    # what is known of the result must hold for x: its dtype and sizes (x may be known
    # to be contiguous, which rules of arithmetic do not say of their results)
    if not out or not isinstance(out[0], TensorType) or (out[0].dtype, out[0].sizes) != (t.dtype, t.sizes) \
            or not db.may_merge(x, node.output):
        return None
    return [x]


def _double_neg(node: Node, db: AliasDb) -> Optional[List[Value]]:
    twice = _twice(node)
    # -(-x) is x only while the inner negation still holds -x: not if it is written in place
    if twice is None or twice[2].dtype in (None, "bool") or db.is_mutated(twice[0].output) \
            or not db.may_merge(twice[1], node.output):
        return None
    return [twice[1]]


# -- queries of known sizes ------------------------------------------------------------------


def _constant(node: Node, value: Any, type_: Any = None) -> List[Value]:
    with node.graph.inserting_before(node):
        return [node.graph.insert_constant(value, type_, source=node.source)]


def _dim(node: Node, db: AliasDb) -> Optional[List[Value]]:
    t = _tensor(node.inputs[0])
    return _constant(node, t.rank) if t is not None and t.rank is not None else None


def _size_int(node: Node, db: AliasDb) -> Optional[List[Value]]:
    t = _tensor(node.inputs[0])
    if t is None or t.sizes is None:
        return None
    d = _norm(_input(node, 1), t.rank)
    if d is None or not t.sizes or t.sizes[d] is None:
        return None
    return _constant(node, t.sizes[d])


def _all_sizes(node: Node) -> Optional[Tuple[int, ...]]:
    t = _tensor(node.inputs[0])
    if t is None or t.sizes is None or None in t.sizes:
        return None
    return t.sizes


def _size(node: Node, db: AliasDb) -> Optional[List[Value]]:
    sizes = _all_sizes(node)
    if sizes is None or db.is_mutated(node.output):
        return None
    return _constant(node, list(sizes), ListType(INT))


def _numel(node: Node, db: AliasDb) -> Optional[List[Value]]:
    sizes = _all_sizes(node)
    return None if sizes is None else _constant(node, int(np.prod(sizes, dtype=np.int64)))


def _len(node: Node, db: AliasDb) -> Optional[List[Value]]:
    x = node.inputs[0]
    t = _tensor(x)
    if t is not None:
        if t.sizes and t.sizes[0] is not None:
            return _constant(node, t.sizes[0])
        return None
    built = _produced_by(x, "prim::ListConstruct")
    if built is not None and (not db.is_mutated(x) or _fixed_list(x)):
        return _constant(node, len(built.inputs))
    keys = _dict_keys(x, db)
    if keys is not None:
        return _constant(node, len(keys))
    sizes = _produced_by(x, "aten::size")  # len(t.size()) is t's rank
    if sizes is not None and len(sizes.inputs) == 1 and not db.is_mutated(x):
        t = _tensor(sizes.inputs[0])
        if t is not None and t.sizes is not None:
            return _constant(node, len(t.sizes))
    return None


def _dict_keys(d: Value, db: AliasDb) -> Optional[List[Any]]:
    """The keys of a dict just built that nothing writes into, when they are distinct
    constants (``{0: a, x: b}`` may have one key or two: not known)."""
    built = _produced_by(d, "prim::DictConstruct")
    if built is None or db.is_mutated(d):
        return None
    keys = [_const(k) for k in built.inputs[0::2]]
    if any(k is UNKNOWN or not isinstance(k, (str, int, float)) for k in keys) or len(set(keys)) != len(keys):
        return None
    return keys


# -- numbers and booleans ---------------------------------------------------------------------

# ``n <op> identity`` is ``n`` for an int ``n`` (either side for + and *)
_INT_IDENTITY = {"aten::add": 0, "aten::sub": 0, "aten::mul": 1, "aten::floor_divide": 1}


def _int_algebra(node: Node, db: AliasDb) -> Optional[List[Value]]:
    if node.kind not in _INT_IDENTITY:
        return None
    a, b = node.inputs
    commutative = node.kind in ("aten::add", "aten::mul")
    for x, c in ((a, b), (b, a)) if commutative else ((a, b),):
        k = _const(c)
        if x.type != INT or type(k) is not int:
            continue
        if node.kind == "aten::mul" and k == 0:
            return _constant(node, 0)
        if k == _INT_IDENTITY[node.kind]:
            return [x]
    return None


def _double_not(node: Node, db: AliasDb) -> Optional[List[Value]]:
    inner = _produced_by(node.inputs[0], "aten::__not__")
    return [inner.inputs[0]] if inner is not None else None


_NEVER_NONE = (TensorType, IntType, FloatType, BoolType, StrType, ListType, TupleType)


def _none_test(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``x is None`` of a value whose type cannot be None (an ``Optional[Tensor]`` input
    specialized to a tensor) is False, ``x is not None`` True."""
    a, b = node.inputs
    other = a if isinstance(b.type, NoneType) else b if isinstance(a.type, NoneType) else None
    if other is None or not isinstance(other.type, _NEVER_NONE):
        return None
    return _constant(node, node.kind == "aten::__isnot__")


def _defined_outside(v: Value, node: Node) -> bool:
    return not any(v.node.is_descendant_of(b) for b in node.blocks)


def _if_outputs(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """Per output: the same outer value on both branches is that value; constants True and
    False are the condition (``b and True``), False and True its negation; equal constants
    are that constant."""
    cond = node.inputs[0]
    replaced: List[Optional[Value]] = []
    for o, r0, r1 in zip(node.outputs, node.blocks[0].returns, node.blocks[1].returns):
        new: Optional[Value] = None
        if r0 is r1 and _defined_outside(r0, node):
            new = r0
        elif r0.is_constant and r1.is_constant and o.uses:
            c0, c1 = r0.constant, r1.constant
            if o.type == BOOL and c0 is True and c1 is False:
                new = cond
            elif o.type == BOOL and c0 is False and c1 is True:
                with node.graph.inserting_before(node):
                    new = node.graph.insert("aten::__not__", [cond], [BOOL], source=node.source).output
            elif type(c0) is type(c1) and c0 == c1 and isinstance(c0, (bool, int, float, str)) \
                    and r0.type == r1.type:
                new = _constant(node, c0, r0.type)[0]
        replaced.append(new if new is not None and o.uses else None)
    return replaced if any(r is not None for r in replaced) else None


def _unpack_built(node: Node, db: AliasDb) -> Optional[List[Value]]:
    x = node.inputs[0]
    builder = "prim::TupleConstruct" if node.kind == "prim::TupleUnpack" else "prim::ListConstruct"
    built = _produced_by(x, builder)
    if built is None or len(built.inputs) != len(node.outputs):
        return None
    if builder == "prim::ListConstruct" and db.is_mutated(x):
        return None
    return list(built.inputs)


def _getitem_built(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``[a, b, c][1]`` is ``b`` (a list nothing writes into, a constant index in range);
    ``{0: a, 1: b}[1]`` is ``b`` (a dict nothing writes into, distinct constant keys, one of
    them the key looked up: a missing key raises, so it stays)."""
    xs, i = node.inputs[0], _const(node.inputs[1]) if len(node.inputs) > 1 else UNKNOWN
    keys = _dict_keys(xs, db) if isinstance(xs.type, DictType) else None
    if keys is not None:
        return [xs.node.inputs[2 * keys.index(i) + 1]] if i is not UNKNOWN and i in keys else None
    built = _produced_by(xs, "prim::ListConstruct")
    if built is None or (db.is_mutated(xs) and not _fixed_list(xs)) or type(i) is not int or \
            not -len(built.inputs) <= i < len(built.inputs):
        return None
    return [built.inputs[i]]


def _fixed_list(xs: Value) -> bool:
    """Whether nothing can change which items the list ``xs`` (just built) holds: every use
    reads it through an op that neither writes it nor returns an alias of it (or returns it
    from the graph). The alias db cannot tell: it keeps a list in one set with its items, so
    appending to another list that holds the same tensor counts as writing this one."""
    for use in xs.uses:
        user = use.user
        if user.kind == "prim::Return" and user.owning_block is user.graph.block:
            continue
        op = registry.node_op(user)
        if op is None:
            return False
        args = list(op.schema.arguments)
        formal = args[min(use.offset, len(args) - 1)] if args else None
        if formal is None or formal.mutates or formal.alias is not None:
            return False
    return True


def _slice_built(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``[a, b, x, d][1::2]`` is ``[b, d]``: a new list of the items (a list nothing writes
    into, constant bounds, a step that is not 0). The new list takes the slice's place in the
    alias db, as the slice's result shared a class with the list and its items."""
    xs = node.inputs[0]
    built = _produced_by(xs, "prim::ListConstruct")
    if not isinstance(xs.type, ListType) or built is None or db.is_mutated(xs):
        return None
    start, end, step = _input(node, 1, None), _input(node, 2, None), _input(node, 3, 1)
    if not all(v is None or type(v) is int for v in (start, end)) or type(step) is not int or step == 0:
        return None
    with node.graph.inserting_before(node):
        items = built.inputs[start:end:step]
        return [node.graph.insert("prim::ListConstruct", items, [node.output.type], source=node.source).output]


def _tuple_index_built(node: Node, db: AliasDb) -> Optional[List[Value]]:
    built = _produced_by(node.inputs[0], "prim::TupleConstruct")
    i = _const(node.inputs[1])
    if built is None or type(i) is not int or not -len(built.inputs) <= i < len(built.inputs):
        return None
    return [built.inputs[i]]


def _arithmetic(node: Node, db: AliasDb) -> Optional[List[Value]]:
    op = registry.node_op(node)
    if op is None:
        return None
    return _int_algebra(node, db) if op.schema.overload == "num" else _arith_identity(node, db)


def _same_operand(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``x == x`` is True and ``x != x`` False when ``x`` equals itself: ints, bools, strings
    and lists of them (not floats: NaN; not tensors: the result is a tensor)."""
    a, b = node.inputs
    if a is not b or not _equals_itself(a.type):
        return None
    return _constant(node, node.kind == "aten::eq")


def _equals_itself(t: Any) -> bool:
    if isinstance(t, ListType):
        return _equals_itself(t.elem)
    return t in (INT, BOOL) or str(t) == "str"


def _int_of_int(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``int(n)`` of an int is ``n``."""
    return [node.inputs[0]] if len(node.inputs) == 1 and node.inputs[0].type == INT else None


def _unchecked_cast(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """A cast to a type its input already has (``Optional[T]`` refined where the input is
    known to be a ``T``: after inlining a call that took an Optional) is its input."""
    v = node.inputs[0]
    return [v] if v.type.is_subtype_of(node.outputs[0].type) else None


def _size_query(node: Node, db: AliasDb) -> Optional[List[Value]]:
    return _size_int(node, db) if len(node.inputs) > 1 else _size(node, db)


def _isinstance_known(node: Node, db: AliasDb) -> Optional[List[Value]]:
    """``prim::isinstance`` whose input's type decides it (a specialization made an ``Any``
    input a tensor; inlining passed a value of a narrower type) is a constant."""
    split = isinstance_split(node.inputs[0].type, node.attrs["types"])
    if split is None or (split[0] and split[1]):
        return None
    return _constant(node, bool(split[0]))


RULES: Dict[str, Rule] = {
    "aten::t": _double_t, "aten::transpose": _double_transpose,
    "aten::view": _same_shape, "aten::reshape": _same_shape, "aten::expand": _same_shape,
    "aten::view_as": _same_shape_as, "aten::reshape_as": _same_shape_as, "aten::expand_as": _same_shape_as,
    "aten::to": _same_dtype, "aten::type_as": _same_dtype, "aten::_cast_Float": _same_dtype,
    "aten::_cast_Double": _same_dtype, "aten::_cast_Long": _same_dtype, "aten::_cast_Int": _same_dtype,
    "aten::_cast_Bool": _same_dtype,
    "aten::contiguous": _contiguous, "aten::detach": _itself, "aten::dropout": _dropout,
    "aten::add": _arithmetic, "aten::sub": _arithmetic, "aten::mul": _arithmetic, "aten::div": _arithmetic,
    "aten::floor_divide": _arithmetic, "aten::neg": _double_neg, "aten::__not__": _double_not,
    "aten::dim": _dim, "aten::size": _size_query, "aten::numel": _numel,
    "aten::__is__": _none_test, "aten::__isnot__": _none_test,
    "prim::If": _if_outputs, "prim::TupleUnpack": _unpack_built, "prim::ListUnpack": _unpack_built,
    "prim::TupleIndex": _tuple_index_built, "aten::len": _len, "aten::__getitem__": _getitem_built,
    "prim::isinstance": _isinstance_known,
    "aten::eq": _same_operand, "aten::ne": _same_operand, "aten::Int": _int_of_int,
    "prim::unchecked_cast": _unchecked_cast,
    "aten::slice": _slice_built,
}


# ``f(f(x))`` rules: what they check of the outer node holds for the inner one too (it cannot
# raise either), so an inner node they leave unused goes with the outer one
_DOUBLES = (_double_t, _double_transpose, _double_neg, _double_not)


def _round(graph: Graph, db: AliasDb) -> bool:
    changed = False
    for node in list(graph.all_nodes()):
        if node.owning_block is None:
            continue  # destroyed by an earlier rewrite this round
        rule = RULES.get(node.kind)
        new = rule(node, db) if rule is not None else None
        if new is None:
            continue
        inner = node.inputs[0].node if rule in _DOUBLES else None
        for o, n in zip(node.outputs, new):
            if n is not None and n is not o:
                db.merged(n, o)
                replace_value(o, n)
                changed = True
        for dead in (node, inner):
            if dead is not None and dead.kind not in ("prim::If", "prim::Loop") \
                    and not any(o.uses for o in dead.outputs):
                dead.destroy()
    return changed


@keeps_alias_db
def peephole(graph: Graph) -> bool:
    """Apply the rules until none applies."""
    require_ops("the peephole pass")
    db = alias_db(graph)
    changed = False
    while _round(graph, db):
        changed = True
    return changed


def _queried_dims(node: Node, t: TensorType) -> Sequence[int]:
    """The dims of its first input's sizes that a size query reads (none for other nodes)."""
    rule = RULES.get(node.kind)
    if rule is _size_query and len(node.inputs) > 1:
        d = _norm(_input(node, 1), t.rank)
        return [] if d is None else [d]
    if rule in (_size_query, _numel):
        return range(t.rank)
    return [0] if rule is _len and t.rank else []


def _sources(value: Value, inputs: Dict[Value, int]) -> Set[Value]:
    """The graph inputs ``value`` is computed from (through any node, block or loop)."""
    found: Set[Value] = set()
    seen: Set[Node] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if v in inputs:
            found.add(v)
            continue
        node = v.node
        if node.kind == "prim::Param":
            node = node.owning_block.owning_node  # a loop-carried value: the whole loop
        if node in seen:
            continue
        seen.add(node)
        stack.extend(node.inputs)
        for inner in node.all_nodes():
            stack.extend(inner.inputs)
    return found


def _only_pointwise_operand(value: Value) -> bool:
    """Is ``value`` read only as an operand of pointwise tensor ops (``x * x.size(0)``)?"""
    ops = [registry.node_op(u.user) for u in value.uses]
    return all(op is not None and op.pointwise for op in ops)


def size_reads(graph: Graph) -> List[Tuple[int, int]]:
    """(graph input offset, dim) of the unknown input sizes that would let the size-query
    rules above fold the queries left in ``graph``. The executor specializes on them. A
    query of an input's size reads that size; a query of a computed tensor's size reads
    every size of the inputs it is computed from (type rules carry sizes through ops).

    Queries whose result is only an operand of pointwise tensor ops read nothing: folding
    them would save no work at run time, and would bake each size into the fused kernel
    that computes the ops, compiling a kernel per size; unfolded, the size is an argument
    of one kernel. (A size that goes through number arithmetic first, ``N * N - N``, is
    folded with that arithmetic.)"""
    inputs = {v: i for i, v in enumerate(graph.inputs)}
    reads: Set[Tuple[int, int]] = set()
    for node in graph.all_nodes():
        t = _tensor(node.inputs[0]) if node.inputs else None
        if t is None or t.sizes is None:
            continue
        dims = _queried_dims(node, t)
        if not dims or _only_pointwise_operand(node.output):
            continue
        x = node.inputs[0]
        if x in inputs:
            reads.update((inputs[x], d) for d in dims if t.sizes[d] is None)
            continue
        for source in _sources(x, inputs):
            st = _tensor(source)
            if st is not None and st.sizes is not None:
                reads.update((inputs[source], d) for d, size in enumerate(st.sizes) if size is None)
    return sorted(reads)

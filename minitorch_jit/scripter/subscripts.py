"""``x[index]`` and ``x[index] = v`` in scripted code.

Tensor indexing lowers to the ops ``minitorch_jit/ops/getitem.py`` runs eagerly: ints become
``select``, slices ``slice``, None ``unsqueeze``, tensors one ``index`` after the basic part;
assignment writes through the basic view with ``copy_``/``fill_`` or ``index_put_``. The
tensor's rank is not known when scripting, so items after ``...`` address dims from the end
(``x[..., 0]`` is ``select(x, -1, 0)``). Lists index with ``list.__getitem__`` (ints and
slices); tuples only with constants, which pick the element at compile time; dicts by keys of
their key type (``dict.__getitem__``, ``__setitem__``, ``__delitem__``).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from minitorch_jit.ir import Value
from minitorch_jit.ir.types import (
    SCALARTYPE,
    DictType,
    IntType,
    ListType,
    NoneType,
    OptionalType,
    StrType,
    TensorType,
    TupleType,
)

from .calls import Arg
from .errors import SourceRange
from .sugar import SliceValue
from .types import type_name

Bounds = Tuple[Optional[Value], Optional[Value], Optional[Value]]


@dataclass
class _Item:
    kind: str                 # "none" | "ellipsis" | "int" | "slice" | "tensor"
    where: SourceRange
    value: Optional[Value] = None
    bounds: Bounds = (None, None, None)

    @property
    def dims(self) -> int:
        return 0 if self.kind in ("none", "ellipsis") else 1

    @property
    def full_slice(self) -> bool:
        start, stop, step = self.bounds
        return self.kind == "slice" and start is None and stop is None and (
            step is None or (step.node.kind == "prim::Constant" and step.constant == 1))


def _bound(b: Any, node: Optional[ast.expr]) -> Optional[Value]:
    if node is None:
        return None
    v = b.emit_value(node)
    if isinstance(v.type, NoneType):
        return None
    if not isinstance(v.type, IntType):
        b.error(f"slice indices must be int or None, not {type_name(v.type)}", b.range(node))
    return v


def _slice_of(b: Any, node: ast.expr) -> Tuple[Optional[Bounds], Optional[Value]]:
    """``(bounds, None)`` when ``node`` is a slice (``a:b:c``, or a ``slice(...)`` object),
    else ``(None, its value)``."""
    if isinstance(node, ast.Slice):
        return (_bound(b, node.lower), _bound(b, node.upper), _bound(b, node.step)), None
    x = b.emit_expr(node)
    if isinstance(x, SliceValue):
        return x.bounds, None
    return None, b.to_value(x, b.range(node))


def _items(b: Any, index: ast.expr) -> List[_Item]:
    nodes = index.elts if isinstance(index, ast.Tuple) else [index]
    items = []
    for node in nodes:
        where = b.range(node)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            items.append(_Item("ellipsis", where))
            continue
        bounds, v = _slice_of(b, node)
        if bounds is not None:
            step = bounds[2]
            if step is not None and step.node.kind == "prim::Constant" and step.constant <= 0:
                b.error("step must be greater than zero", where)
            items.append(_Item("slice", where, bounds=bounds))
            continue
        assert v is not None
        t = v.type
        if isinstance(t, NoneType):
            items.append(_Item("none", where))
        elif isinstance(t, TensorType):
            items.append(_Item("tensor", where, v))
        elif isinstance(t, ListType) and _innermost(t) in ("int", "float", "bool"):
            items.append(_Item("tensor", where, _index_tensor(b, v, _innermost(t), where)))
        elif isinstance(t, IntType):
            items.append(_Item("int", where, v))
        else:
            b.error(f"only integers, slices, None, ..., and integer or boolean tensors are valid indices "
                    f"(got {type_name(t)})", where)
    if sum(1 for i in items if i.kind == "ellipsis") > 1:
        b.error("an index can only have a single ellipsis ('...')", b.range(index))
    return items


def _innermost(t: Any) -> str:
    while isinstance(t, ListType):
        t = t.elem
    return str(t)


def _index_tensor(b: Any, v: Value, elem: str, where: SourceRange) -> Value:
    """A (nested) list used as an index is a tensor, as PyTorch converts it: bools a mask,
    other numbers longs (floats truncated)."""
    kwargs = {} if elem == "bool" else {"dtype": Arg(b.constant("int64", SCALARTYPE), where)}
    return b.op_call("torch", "tensor", [Arg(v, where)], kwargs, where, "torch.tensor")


def _tensor_op(b: Any, name: str, args: List[Value], where: SourceRange) -> Value:
    return b.op_call("Tensor", name, [Arg(a, where) for a in args], {}, where, name)


def _basic(b: Any, x: Value, index: ast.expr) -> Tuple[Value, List[Optional[Value]]]:
    """Apply the basic part of the index; return the view and the advanced indices (one per
    dim position from the front, None where a dim is kept whole)."""
    items = _items(b, index)
    split = next((k for k, i in enumerate(items) if i.kind == "ellipsis"), len(items))
    front, back = items[:split], items[split + 1:]
    result, dim = x, 0
    advanced: List[Optional[Value]] = []
    # the dims a tensor index takes are known when it runs (a bool mask takes its rank): the
    # dims of the items after one are counted then
    indices: List[Value] = []

    def at(d: int) -> Value:
        v = b.constant(d)
        for t in indices:
            v = b.binop("__add__", v, b.structural("prim::index_dims", [t]))
        return v

    for item in front:
        if item.kind == "none":
            result = _tensor_op(b, "unsqueeze", [result, at(dim)], item.where)
            dim += 1
            advanced.append(None)
        elif item.kind == "int":
            result = _tensor_op(b, "select", [result, at(dim), item.value], item.where)
        elif item.kind == "slice":
            if not item.full_slice:
                result = _slice(b, result, at(dim), item)
            dim += 1
            advanced.append(None)
        else:
            assert item.value is not None
            advanced.append(item.value)
            indices.append(item.value)
    # after `...` the rank is unknown: address dims from the end
    remaining = sum(i.dims for i in back)
    for item in back:
        if item.kind == "tensor":
            b.error("tensor indices after `...` are not supported in script functions (the tensor's rank is "
                    "not known)", item.where)
        if item.kind == "none":
            result = _tensor_op(b, "unsqueeze", [result, b.constant(-remaining - 1)], item.where)
        elif item.kind == "int":
            result = _tensor_op(b, "select", [result, b.constant(-remaining), item.value], item.where)
        elif not item.full_slice:
            result = _slice(b, result, -remaining, item)
        remaining -= item.dims
    while advanced and advanced[-1] is None:
        advanced.pop()
    return result, advanced


def _slice(b: Any, x: Value, dim: Any, item: _Item) -> Value:
    start, stop, step = item.bounds
    args = [x, dim if isinstance(dim, Value) else b.constant(dim), b.constant(None) if start is None else start,
            b.constant(None) if stop is None else stop, b.constant(1) if step is None else step]
    return _tensor_op(b, "slice", args, item.where)


def _indices_list(b: Any, advanced: List[Optional[Value]]) -> Value:
    from minitorch_jit.ir.types import TENSOR
    return b.make_list([v if v is not None else b.constant(None) for v in advanced], OptionalType(TENSOR),
                       fresh=True)


def getitem(b: Any, x: Value, index: ast.expr, where: SourceRange) -> Any:
    t = x.type
    if isinstance(t, TensorType):
        view, advanced = _basic(b, x, index)
        if advanced:
            return _tensor_op(b, "index", [view, _indices_list(b, advanced)], where)
        return view if view is not x else _tensor_op(b, "detach", [x], where)
    if isinstance(t, (ListType, StrType)):
        ns, what = ("list", "list") if isinstance(t, ListType) else ("str", "string")
        bounds, i = _slice_of(b, index)
        if bounds is not None:
            start, stop, step = bounds
            args = [x, b.constant(None) if start is None else start, b.constant(None) if stop is None else stop,
                    b.constant(1) if step is None else step]
            return b.op_call(ns, "__getitem__", [Arg(a, where) for a in args], {}, where, f"{what} slice")
        assert i is not None
        return b.op_call(ns, "__getitem__", [Arg(x, where), Arg(i, b.range(index))], {}, where, f"{what} index")
    if isinstance(t, DictType):
        return b.op_call("dict", "__getitem__", [Arg(x, where), _key(b, t, index)], {}, where, "dict index")
    if isinstance(t, TupleType):
        return _tuple_item(b, x, index, where)
    if isinstance(t, OptionalType):
        b.error(f"cannot index a value of type {type_name(t)}", where, fix="check it `is not None` first")
    b.error(f"values of type {type_name(t)} cannot be indexed in script functions", where)


def _constant_bound(b: Any, v: Optional[Value], where: SourceRange) -> Optional[int]:
    if v is None:
        return None
    if v.node.kind != "prim::Constant":
        b.error("tuple slices must have constant bounds in script functions (the result's type depends on them)",
                where)
    return int(v.constant)


def _tuple_item(b: Any, x: Value, index: ast.expr, where: SourceRange) -> Value:
    """An element of a tuple at a constant index, or a slice with constant bounds (both
    picked when scripting); at an index known only when running, an element of a tuple whose
    elements have one type (``prim::TupleIndex``)."""
    assert isinstance(x.type, TupleType)
    elems = x.type.elems
    bounds, i = _slice_of(b, index)
    if bounds is not None:
        start, stop, step = (_constant_bound(b, v, where) for v in bounds)
        if step == 0:
            b.error("slice step cannot be zero", where)
        picked = b.tuple_items(x)[start:stop:step]
        return b.insert("prim::TupleConstruct", picked, [TupleType([v.type for v in picked])]).output
    assert i is not None
    if not isinstance(i.type, IntType):
        b.error(f"tuple indices must be integers, not {type_name(i.type)}", b.range(index))
    if i.node.kind != "prim::Constant":
        if not elems or any(e != elems[0] for e in elems):
            b.error("tuple indices must be constant ints in script functions when the elements have different "
                    "types (the element type depends on the index)", b.range(index))
        return b.insert("prim::TupleIndex", [x, i], [elems[0]]).output
    k = i.constant
    if not -len(elems) <= k < len(elems):
        b.error(f"tuple index {k} out of range for a tuple of {len(elems)} elements", b.range(index))
    return b.tuple_items(x)[k]


def setitem(b: Any, x: Value, index: ast.expr, value: Value, where: SourceRange) -> None:
    t = x.type
    if isinstance(t, TensorType):
        view, advanced = _basic(b, x, index)
        if advanced:
            if not isinstance(value.type, TensorType):
                dtype = b.structural("prim::dtype", [x])
                value = b.op_call("torch", "tensor", [Arg(value, where)], {"dtype": Arg(dtype, where)}, where,
                                  "torch.tensor")
            _tensor_op(b, "index_put_", [view, _indices_list(b, advanced), value], where)
        elif isinstance(value.type, TensorType):
            _tensor_op(b, "copy_", [view, value], where)
        else:
            _tensor_op(b, "fill_", [view, value], where)
        return
    if isinstance(t, ListType):
        if isinstance(index, ast.Slice):
            b.error("assigning to a list slice is not supported in script functions", where)
        i = b.emit_value(index)
        b.op_call("list", "__setitem__", [Arg(x, where), Arg(i, b.range(index)), Arg(value, where)], {}, where,
                  "list item assignment")
        return
    if isinstance(t, DictType):
        k = _key(b, t, index, "item assignment")
        if not value.type.is_subtype_of(t.value):
            b.error(f"Arguments for call are not valid: item assignment of a {type_name(t)} takes a value of type "
                    f"{type_name(t.value)}, not {type_name(value.type)}", where)
        b.op_call("dict", "__setitem__", [Arg(x, where), k, Arg(value, where)], {}, where, "dict item assignment")
        return
    if isinstance(t, TupleType):
        b.error("'tuple' object does not support item assignment: subscripted assignment is for lists and "
                "tensors (tuples are immutable)", where)
    b.error(f"values of type {type_name(t)} do not support item assignment in script functions", where)


def _key(b: Any, t: DictType, index: ast.expr, what: str = "") -> Arg:
    """A dict's key argument, of the dict's key type (an int is taken for a float key)."""
    k = b.emit_value(index)
    where = b.range(index)
    if not (k.type == t.key or (str(t.key) == "float" and isinstance(k.type, IntType))):
        if what:
            b.error(f"Arguments for call are not valid: {what} of a {type_name(t)} takes a key of type "
                    f"{type_name(t.key)}, not {type_name(k.type)}", where)
        b.error(f"Expected a value of type '{type_name(t.key)}' for argument 'key' but instead found type "
                f"'{type_name(k.type)}'", where)
    return Arg(k, where)


def delitem(b: Any, x: Value, index: ast.expr, where: SourceRange) -> None:
    """``del x[index]``: one item of a list or a dict."""
    t = x.type
    if isinstance(t, DictType):
        b.op_call("dict", "__delitem__", [Arg(x, where), _key(b, t, index)], {}, where, "del")
        return
    if isinstance(t, ListType):
        if isinstance(index, ast.Slice):
            b.error("del of a list supports deletion at a single index only, not of slices", where)
        i = b.emit_value(index)
        if not isinstance(i.type, IntType):
            b.error(f"list indices must be integers, not {type_name(i.type)}", b.range(index))
        b.structural("aten::Delete", [x, i])
        return
    b.error(f"del of an item of a value of type {type_name(t)} is not supported in script functions", where)

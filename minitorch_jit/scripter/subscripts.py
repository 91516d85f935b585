"""``x[index]`` and ``x[index] = v`` in scripted code.

Tensor indexing lowers to the ops ``minitorch_jit/ops/getitem.py`` runs eagerly: ints become
``select``, slices ``slice``, None ``unsqueeze``, tensors one ``index`` after the basic part;
assignment writes through the basic view with ``copy_``/``fill_`` or ``index_put_``. The
tensor's rank is not known when scripting, so items after ``...`` address dims from the end
(``x[..., 0]`` is ``select(x, -1, 0)``). Lists index with ``list.__getitem__`` (ints and
slices); tuples only with constants, which pick the element at compile time.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from minitorch_jit.ir import Value
from minitorch_jit.ir.types import IntType, ListType, NoneType, OptionalType, TensorType, TupleType

from .calls import Arg
from .errors import SourceRange
from .types import type_name


@dataclass
class _Item:
    kind: str                 # "none" | "ellipsis" | "int" | "slice" | "tensor"
    where: SourceRange
    value: Optional[Value] = None
    bounds: Tuple[Optional[Value], Optional[Value], Optional[Value]] = (None, None, None)

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


def _items(b: Any, index: ast.expr) -> List[_Item]:
    nodes = index.elts if isinstance(index, ast.Tuple) else [index]
    items = []
    for node in nodes:
        where = b.range(node)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            items.append(_Item("ellipsis", where))
        elif isinstance(node, ast.Slice):
            bounds = (_bound(b, node.lower), _bound(b, node.upper), _bound(b, node.step))
            step = bounds[2]
            if step is not None and step.node.kind == "prim::Constant" and step.constant <= 0:
                b.error("step must be greater than zero", where)
            items.append(_Item("slice", where, bounds=bounds))
        else:
            v = b.emit_value(node)
            t = v.type
            if isinstance(t, NoneType):
                items.append(_Item("none", where))
            elif isinstance(t, TensorType):
                items.append(_Item("tensor", where, v))
            elif isinstance(t, ListType) and isinstance(t.elem, IntType):
                index_tensor = b.op_call("torch", "tensor", [Arg(v, where)], {}, where, "torch.tensor")
                items.append(_Item("tensor", where, index_tensor))
            elif isinstance(t, IntType):
                items.append(_Item("int", where, v))
            else:
                b.error(f"only integers, slices, None, ..., and integer or boolean tensors are valid indices "
                        f"(got {type_name(t)})", where)
    if sum(1 for i in items if i.kind == "ellipsis") > 1:
        b.error("an index can only have a single ellipsis ('...')", b.range(index))
    return items


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
    tensor_at: Optional[_Item] = None
    for item in front:
        if tensor_at is not None and item.kind != "tensor" and not item.full_slice:
            b.error("basic indexing (ints, slices, None) after a tensor index is not supported in script "
                    "functions", item.where, fix="index with the tensor last, or in a separate step")
        if item.kind == "none":
            result = _tensor_op(b, "unsqueeze", [result, b.constant(dim)], item.where)
            dim += 1
            advanced.append(None)
        elif item.kind == "int":
            result = _tensor_op(b, "select", [result, b.constant(dim), item.value], item.where)
        elif item.kind == "slice":
            if not item.full_slice:
                result = _slice(b, result, dim, item)
            dim += 1
            advanced.append(None)
        else:
            tensor_at = item
            advanced.append(item.value)
            dim += 1
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


def _slice(b: Any, x: Value, dim: int, item: _Item) -> Value:
    start, stop, step = item.bounds
    args = [x, b.constant(dim), start or b.constant(None), stop or b.constant(None), step or b.constant(1)]
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
    if isinstance(t, ListType):
        if isinstance(index, ast.Slice):
            bounds = [_bound(b, n) for n in (index.lower, index.upper, index.step)]
            args = [x] + [v if v is not None else b.constant(None) for v in bounds[:2]] + \
                [bounds[2] if bounds[2] is not None else b.constant(1)]
            return b.op_call("list", "__getitem__", [Arg(a, where) for a in args], {}, where, "list slice")
        i = b.emit_value(index)
        return b.op_call("list", "__getitem__", [Arg(x, where), Arg(i, b.range(index))], {}, where, "list index")
    if isinstance(t, TupleType):
        items = b.tuple_items(x)
        if isinstance(index, ast.Slice):
            bounds = [b.constant_int(n) if n is not None else None for n in (index.lower, index.upper, index.step)]
            if any(n is not None and v is None for n, v in zip((index.lower, index.upper, index.step), bounds)):
                b.error("tuple slices must have constant bounds", where)
            picked = items[slice(*bounds)]
            return b.insert("prim::TupleConstruct", picked, [TupleType([v.type for v in picked])]).output
        i = b.constant_int(index)
        if i is None:
            b.error("tuple indices must be constant ints in script functions (the element type depends on it)",
                    b.range(index))
        if not -len(items) <= i < len(items):
            b.error(f"tuple index {i} out of range for a tuple of {len(items)} elements", b.range(index))
        return items[i]
    if isinstance(t, OptionalType):
        b.error(f"cannot index a value of type {type_name(t)}", where, fix="check it `is not None` first")
    b.error(f"values of type {type_name(t)} cannot be indexed in script functions", where)


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
    if isinstance(t, TupleType):
        b.error("'tuple' object does not support item assignment: subscripted assignment is for lists and "
                "tensors (tuples are immutable)", where)
    b.error(f"values of type {type_name(t)} do not support item assignment in script functions", where)

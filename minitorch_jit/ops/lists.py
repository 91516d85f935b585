"""List methods and builtins of scripted code beyond building, indexing and appending
(:mod:`.python`): ``count``, ``index``, ``remove``, ``clear``, ``reverse``, ``sort``,
``copy``, ``del l[i]``, ``list * int``, ``sorted``, ``sum``, ``min``/``max`` of lists,
``list(str)`` and equality of tensor lists.

Elements compare as TorchScript compares them: tensors by ``bool(a == b)`` (so a tensor of
more than one element is an error, not an elementwise answer) and ``bool(a < b)`` when sorting.
Errors TorchScript raises as ``RuntimeError`` with a message its tests match on (``x not in
list``, ``'5' is not in list``, ``pop from empty list``) are raised so here too.
"""
from __future__ import annotations

import builtins
import functools
from typing import Any, List

import numpy as np

from .declare import op
from .prims import _show

_ELEMS = ("int", "float", "bool", "str", "Tensor")


def tensor_truth(a: np.ndarray, what: str = "Boolean value of Tensor") -> bool:
    """``bool()`` of a comparison's tensor, as PyTorch: one element, or an error."""
    if a.size != 1:
        raise RuntimeError(f"{what} with more than one value is ambiguous")
    return bool(a.reshape(()).item())


def same(a: Any, b: Any) -> bool:
    """``a == b`` for list elements: tensors elementwise, then ``bool`` of the result."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return tensor_truth(np.asarray(a == b))
    return bool(a == b)


def _sort_key(items: List[Any]) -> Any:
    if items and isinstance(items[0], np.ndarray):
        return functools.cmp_to_key(lambda a, b: -1 if tensor_truth(np.asarray(a < b)) else
                                    (1 if tensor_truth(np.asarray(b < a)) else 0))
    return None


def _count(a: List[Any], v: Any) -> int:
    return sum(1 for x in a if same(x, v))


def _index(a: List[Any], v: Any) -> int:
    for i, x in enumerate(a):
        if same(x, v):
            return i
    raise RuntimeError(f"'{_show(v)}' is not in list")


def _remove(a: List[Any], v: Any) -> None:
    del a[_find(a, v)]


def _find(a: List[Any], v: Any) -> int:
    for i, x in enumerate(a):
        if same(x, v):
            return i
    raise RuntimeError("list.remove(x): x not in list")


def _sort(a: List[Any], reverse: bool = False) -> None:
    a.sort(key=_sort_key(a), reverse=reverse)


def _sorted(a: List[Any], reverse: bool = False) -> List[Any]:
    return sorted(a, key=_sort_key(a), reverse=reverse)


for _e in _ELEMS:
    op(f"aten::count.{_e}({_e}[] self, {_e} el) -> int", names=("list.count",))(_count)
    op(f"aten::index.list_{_e}({_e}[] self, {_e} el) -> int", names=("list.index",))(_index)
    op(f"aten::remove.{_e}({_e}[](a!) self, {_e} el) -> ()", names=("list.remove",))(_remove)

op("aten::eq.Tensor_list(Tensor[] a, Tensor[] b) -> bool", names=("list.__eq__",))(
    lambda a, b: len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)))
op("aten::ne.Tensor_list(Tensor[] a, Tensor[] b) -> bool", names=("list.__ne__",))(
    lambda a, b: not (len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))))
op("aten::__contains__.Tensor_list(Tensor[] l, Tensor item) -> bool", names=("list.__contains__",))(
    lambda a, v: any(same(x, v) for x in a))


op("aten::sort.t(t[](a!) self, bool reverse=False) -> ()", names=("list.sort",))(_sort)
op("aten::sorted.t(t[] input, *, bool reverse=False) -> t[]", names=("builtins.sorted",))(_sorted)


@op("aten::clear.t(t[](a!) self) -> ()", names=("list.clear",))
def clear(a: List[Any]) -> None:
    a.clear()


@op("aten::reverse.t(t[](a!) self) -> ()", names=("list.reverse",))
def reverse(a: List[Any]) -> None:
    a.reverse()


@op("aten::copy.t(t[] self) -> t[]", names=("list.copy",), total=True)
def copy(a: List[Any]) -> List[Any]:
    return list(a)


@op("aten::Delete.t(t[](a!) self, int idx) -> ()")
def delete(a: List[Any], i: int) -> None:
    """``del l[i]``."""
    if not -len(a) <= i < len(a):
        raise RuntimeError(f"list index {i} out of range for a list of {len(a)} elements")
    del a[i]


@op("aten::mul.left_t(t[] l, int n) -> t[]", names=("list.__mul__", "list.__rmul__"), total=True)
def repeat(a: List[Any], n: int) -> List[Any]:
    """``l * n`` and ``n * l`` (``__rmul__`` is called with the list first, as Python does)."""
    return a * n


@op("aten::mul_.t(t[](a!) l, int n) -> t[](a!)", names=("list.__imul__",))
def repeat_(a: List[Any], n: int) -> List[Any]:
    a *= n
    return a


@op("aten::list.str(str t) -> str[]", names=("builtins.list",), total=True)
def list_str(s: str) -> List[str]:
    return list(s)


op("aten::sum.int(int[] self) -> int", names=("builtins.sum",))(builtins.sum)
op("aten::sum.float(float[] self) -> float", names=("builtins.sum",))(lambda a: float(builtins.sum(a)))
op("aten::sum.bool(bool[] self) -> int", names=("builtins.sum",))(lambda a: int(builtins.sum(a)))

for _name, _pick in (("min", builtins.min), ("max", builtins.max)):
    op(f"prim::{_name}.bool_list(bool[] l) -> bool", names=(f"builtins.{_name}",))(_pick)
    for _e in ("int", "float", "bool"):
        # Python compares lists lexicographically
        op(f"prim::{_name}.{_e}_lists({_e}[] a, {_e}[] b) -> {_e}[]", names=(f"builtins.{_name}",))(
            lambda a, b, _pick=_pick: list(_pick(a, b)))


_TOLIST_ELEMS = {0: ("int", "iu"), 1: ("float", "f"), 2: ("bool", "b")}


@op("prim::tolist(Tensor self, int dim, int elem_ty) -> Any")
def tolist(a: np.ndarray, dim: int, elem_ty: int) -> Any:
    """``x.tolist()`` in a script, typed by its annotation (``List[List[float]]``: ``dim`` 2,
    ``elem_ty`` 1 for float; 0 is int, 2 bool). The tensor must have that many dims and a
    dtype of that kind, as TorchScript checks when it runs."""
    if a.ndim != dim:
        raise RuntimeError(f"Output annotation list dimension and runtime tensor dimension must match for "
                           f"tolist() (the annotation has {dim}, the tensor {a.ndim})")
    name, kinds = _TOLIST_ELEMS[elem_ty]
    if a.dtype.kind not in kinds:
        raise RuntimeError(f"Output annotation element type and runtime tensor element type must match for "
                           f"tolist() ({name} for a {a.dtype.name} tensor)")
    return a.tolist()

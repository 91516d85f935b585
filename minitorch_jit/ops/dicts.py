"""Dicts in scripted code: ``Dict[K, V]`` values are Python dicts (insertion ordered, as
TorchScript's are), keys str, int, float or bool, values as graphs hold them (arrays for
tensors).

Each op has one overload per key type, as TorchScript's (``aten::__getitem__.Dict_str``), so
a key of the wrong type does not match and is an error when the script is compiled. A missing
key is TorchScript's ``RuntimeError("KeyError: ...")``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from minitorch_jit.ir.types import ANY, DictType, Type, unify

from .declare import op
from .lists import same

KEYS = ("str", "int", "float", "bool")


def _dict_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    keys, values = list(types[0::2]), list(types[1::2])
    key = keys[0] if keys and all(k == keys[0] for k in keys) else ANY
    value = values[0] if values else ANY
    for t in values[1:]:
        value = unify(value, t) or ANY
    return [DictType(key, value)]


@op("prim::DictConstruct(Any... elems) -> Any", type_rule=_dict_rule, total=True)
def dict_construct(*elems: Any) -> Dict[Any, Any]:
    """``{k0: v0, k1: v1}``: the inputs are keys and values in turn."""
    return dict(zip(elems[0::2], elems[1::2]))


def key_error(key: Any) -> RuntimeError:
    return RuntimeError(f"KeyError: {key}")


def _getitem(d: Dict[Any, Any], key: Any) -> Any:
    try:
        return d[key]
    except KeyError:
        raise key_error(key) from None


def _delete(d: Dict[Any, Any], key: Any) -> None:
    try:
        del d[key]
    except KeyError:
        raise key_error(key) from None


def _pop(d: Dict[Any, Any], key: Any) -> Any:
    try:
        return d.pop(key)
    except KeyError:
        raise key_error(key) from None


def _popitem(d: Dict[Any, Any]) -> Tuple[Any, Any]:
    if not d:
        raise RuntimeError("KeyError: popitem(): dictionary is empty")
    return d.popitem()


def _set_item(d: Dict[Any, Any], key: Any, value: Any) -> None:
    d[key] = value


def _update(d: Dict[Any, Any], other: Dict[Any, Any]) -> None:
    d.update(other)


for _k in KEYS:
    _d = f"Dict({_k}, t)"
    op(f"aten::__getitem__.Dict_{_k}({_d} self, {_k} key) -> t", names=("dict.__getitem__",))(_getitem)
    op(f"aten::_set_item.{_k}({_d}(a!) l, {_k} idx, t v) -> ()", names=("dict.__setitem__",))(_set_item)
    op(f"aten::Delete.Dict_{_k}({_d}(a!) self, {_k} key) -> ()", names=("dict.__delitem__",))(_delete)
    op(f"aten::__contains__.Dict_{_k}({_d} dict, {_k} key) -> bool", names=("dict.__contains__",), total=True)(
        lambda d, k: k in d)
    op(f"aten::len.Dict_{_k}({_d} self) -> int", names=("builtins.len",), total=True)(len)
    op(f"aten::keys.{_k}({_d} self) -> {_k}[]", names=("dict.keys",), total=True)(lambda d: list(d.keys()))
    op(f"aten::values.{_k}({_d} self) -> t[]", names=("dict.values",), total=True)(lambda d: list(d.values()))
    op(f"aten::items.{_k}({_d} self) -> ({_k}, t)[]", names=("dict.items",), total=True)(
        lambda d: list(d.items()))
    op(f"aten::get.{_k}({_d} self, {_k} key) -> t?", names=("dict.get",), total=True)(lambda d, k: d.get(k))
    op(f"aten::get.default_{_k}({_d} self, {_k} key, t default_value) -> t", names=("dict.get",), total=True)(
        lambda d, k, v: d.get(k, v))
    op(f"aten::setdefault.{_k}({_d}(a!) self, {_k} key, t default_value) -> t", names=("dict.setdefault",))(
        lambda d, k, v: d.setdefault(k, v))
    op(f"aten::pop.Dict_{_k}({_d}(a!) self, {_k} key) -> t", names=("dict.pop",))(_pop)
    op(f"aten::pop.Dict_default_{_k}({_d}(a!) self, {_k} key, t default_value) -> t", names=("dict.pop",))(
        lambda d, k, v: d.pop(k, v))
    op(f"aten::popitem.{_k}({_d}(a!) self) -> (({_k}, t))", names=("dict.popitem",))(_popitem)
    op(f"aten::clear.{_k}({_d}(a!) self) -> ()", names=("dict.clear",))(lambda d: d.clear())
    op(f"aten::update.{_k}({_d}(a!) self, {_d} to_add) -> ()", names=("dict.update",))(_update)
    op(f"aten::copy.Dict_{_k}({_d} self) -> {_d}", names=("dict.copy",), total=True)(dict)
    op(f"aten::dict.{_k}(({_k}, t)[] inputs) -> {_d}", total=True)(dict)
    op(f"aten::fromkeys.{_k}({_k}[] keys, t value) -> {_d}", names=("dict.fromkeys",), total=True)(dict.fromkeys)
    op(f"aten::fromkeys.{_k}_none({_k}[] keys) -> Dict({_k}, NoneType)", names=("dict.fromkeys",), total=True)(
        dict.fromkeys)
    op(f"aten::eq.Dict_{_k}({_d} a, {_d} b) -> bool", names=("dict.__eq__",))(
        lambda a, b: a.keys() == b.keys() and all(same(a[k], b[k]) for k in a))
    op(f"aten::ne.Dict_{_k}({_d} a, {_d} b) -> bool", names=("dict.__ne__",))(
        lambda a, b: not (a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)))

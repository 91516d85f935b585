"""``torch.jit.script([1, 2])`` and ``torch.jit.script({"a": 1})``: a ScriptList or ScriptDict
(:mod:`minitorch_jit.ops.containers`) typed by a type hint (``List[int]``, ``Dict[str,
Tensor]``, as typing objects) or by its elements; empty, a ``List[Tensor]`` or a ``Dict[str,
Tensor]``, as TorchScript types ``[]`` and ``{}``."""
from __future__ import annotations

import typing
from typing import Any, Optional

from minitorch_jit.ir.types import (
    BOOL,
    FLOAT,
    INT,
    NONE,
    STR,
    TENSOR,
    DictType,
    ListType,
    OptionalType,
    TupleType,
    Type,
    unify,
)

from ..ops.containers import ScriptDict, ScriptList
from ..tensor import Tensor
from . import types as script_types
from .types import DICT_KEYS, type_name

_SCALARS = {int: INT, float: FLOAT, bool: BOOL, str: STR, type(None): NONE, Tensor: TENSOR}


def hint_type(hint: Any) -> Type:
    """The IR type a typing object denotes (``List[Dict[str, int]]``, ``Optional[Tensor]``)."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        return ListType(hint_type(args[0]))
    if origin is dict and len(args) == 2:
        key = hint_type(args[0])
        if not isinstance(key, DICT_KEYS):
            raise TypeError(f"Dict keys must be str, int, float, bool or Tensor, not {type_name(key)}")
        return DictType(key, hint_type(args[1]))
    if origin is tuple:
        return TupleType([hint_type(a) for a in args])
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        return OptionalType(hint_type(next(a for a in args if a is not type(None))))
    user = script_types.user_types(hint, None) if script_types.user_types is not None else None
    if user is not None:  # a NamedTuple, a scripted class, an Enum
        return user
    raise TypeError(f"unsupported type hint {hint!r}: use int, float, bool, str, Tensor, List, Dict, Tuple or "
                    "Optional")


def value_type(value: Any) -> Type:
    """The type of a Python value, inferred from its elements (an empty list or dict has none)."""
    if isinstance(value, bool):
        return BOOL
    for cls, t in _SCALARS.items():
        if isinstance(value, cls):
            return t
    if isinstance(value, tuple):
        return TupleType([value_type(v) for v in value])
    if isinstance(value, (list, dict)):
        if not value:  # as TorchScript's empty literals (pass a type hint for another type)
            return ListType(TENSOR) if isinstance(value, list) else DictType(STR, TENSOR)
        if isinstance(value, list):
            return ListType(_join([value_type(v) for v in value], "list"))
        key = _join([value_type(k) for k in value], "dict keys")
        if not isinstance(key, DICT_KEYS):
            raise TypeError(f"dict keys must be str, int, float, bool or Tensor, not {type_name(key)}")
        return DictType(key, _join([value_type(v) for v in value.values()], "dict values"))
    raise TypeError(f"cannot script a value of type {type(value).__name__}")


def _join(types: list, what: str) -> Type:
    t: Optional[Type] = types[0]
    for u in types[1:]:
        t = unify(t, u) if t is not None else None
    if t is None:
        raise TypeError(f"{what} of different types: " + ", ".join(dict.fromkeys(type_name(u) for u in types)))
    return t


def script_container(value: Any, type_hint: Any = None) -> Any:
    t = hint_type(type_hint) if type_hint is not None else value_type(value)
    if isinstance(value, list) and isinstance(t, ListType):
        return ScriptList(value, t)
    if isinstance(value, dict) and isinstance(t, DictType):
        return ScriptDict(value, t)
    raise TypeError(f"the type hint {type_name(t)} does not describe a {type(value).__name__}")

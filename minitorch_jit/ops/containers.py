"""``torch.jit.script([1, 2])`` and ``torch.jit.script({"a": 1})``: a list or dict shared
with scripted functions (PyTorch's ScriptList and ScriptDict).

A plain Python list or dict passed to a scripted function is converted on the way in, as
TorchScript converts it to its own list, so what the script does to it is not seen by the
caller. These objects hold the container the graphs run on (elements as graphs hold them:
arrays for tensors) and pass that very object in, so a script's ``append`` or ``d[k] = v``
is seen from Python, and Python's from the next call. Their Python methods check element
types as TorchScript's do: a value of another type is a ``TypeError`` (a key of another type
in ``in`` is a ``KeyError``, as PyTorch raises).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Optional

from minitorch_jit.ir.types import DictType, ListType, Type

from . import dispatch
from .python import _python_value


def _raw(value: Any, t: Type, what: str) -> Any:
    """``value`` as graphs hold an element of type ``t``; TypeError when it is not one."""
    v = dispatch.convert(value, t)
    if v is dispatch._NOFIT:
        raise TypeError(f"{what}: expected a value of type {t}, got {dispatch.describe(value)}")
    return dispatch.unwrap(v)


class ScriptList:
    """A ``List[T]`` shared with scripted functions (see the module docstring)."""

    def __init__(self, items: Iterable[Any], t: ListType):
        self._type = t
        self._raw: List[Any] = [_raw(x, t.elem, "ScriptList") for x in items]

    @property
    def type(self) -> ListType:
        return self._type

    def _elem(self, v: Any, what: str) -> Any:
        return _raw(v, self._type.elem, f"ScriptList.{what}")

    def __len__(self) -> int:
        return len(self._raw)

    def __bool__(self) -> bool:
        return bool(self._raw)

    def __iter__(self) -> Iterator[Any]:
        return (_python_value(x) for x in self._raw)

    def __getitem__(self, i: Any) -> Any:
        return _python_value(self._raw[i])

    def __setitem__(self, i: Any, v: Any) -> None:
        if isinstance(i, slice):
            self._raw[i] = [self._elem(x, "__setitem__") for x in v]
        else:
            self._raw[i] = self._elem(v, "__setitem__")

    def __delitem__(self, i: Any) -> None:
        del self._raw[i]

    def __contains__(self, v: Any) -> bool:
        return self._elem(v, "__contains__") in self._raw

    def __eq__(self, other: Any) -> bool:
        return list(self) == (list(other) if isinstance(other, ScriptList) else other)

    def __repr__(self) -> str:
        return repr(list(self))

    def append(self, v: Any) -> None:
        self._raw.append(self._elem(v, "append"))

    def extend(self, items: Iterable[Any]) -> None:
        self._raw.extend([self._elem(x, "extend") for x in items])

    def insert(self, i: int, v: Any = None) -> None:
        if not isinstance(i, int):
            raise TypeError(f"ScriptList.insert: the index must be an int, not {type(i).__name__}")
        self._raw.insert(i, self._elem(v, "insert"))

    def count(self, v: Any) -> int:
        return self._raw.count(self._elem(v, "count"))

    def index(self, v: Any) -> int:
        return self._raw.index(self._elem(v, "index"))

    def remove(self, v: Any) -> None:
        self._raw.remove(self._elem(v, "remove"))

    def pop(self, i: int = -1) -> Any:
        return _python_value(self._raw.pop(i))

    def clear(self) -> None:
        self._raw.clear()

    def copy(self) -> List[Any]:
        return list(self)

    def reverse(self) -> None:
        self._raw.reverse()

    def sort(self, reverse: bool = False) -> None:
        self._raw.sort(reverse=reverse)


class ScriptDict:
    """A ``Dict[K, V]`` shared with scripted functions (see the module docstring)."""

    def __init__(self, items: Dict[Any, Any], t: DictType):
        self._type = t
        self._raw: Dict[Any, Any] = {self._key(k, "ScriptDict"): _raw(v, t.value, "ScriptDict")
                                     for k, v in items.items()}

    @property
    def type(self) -> DictType:
        return self._type

    def _key(self, k: Any, what: str) -> Any:
        return _raw(k, self._type.key, what)

    def __len__(self) -> int:
        return len(self._raw)

    def __bool__(self) -> bool:
        return bool(self._raw)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._raw))

    def __getitem__(self, k: Any) -> Any:
        try:
            return _python_value(self._raw[self._key(k, "ScriptDict.__getitem__")])
        except TypeError:
            raise KeyError(k) from None

    def __setitem__(self, k: Any, v: Any) -> None:
        self._raw[self._key(k, "ScriptDict.__setitem__")] = _raw(v, self._type.value, "ScriptDict.__setitem__")

    def __delitem__(self, k: Any) -> None:
        del self._raw[self._key(k, "ScriptDict.__delitem__")]

    def __contains__(self, k: Any) -> bool:
        try:
            key = self._key(k, "ScriptDict.__contains__")
        except TypeError:
            raise KeyError(k) from None
        return key in self._raw

    def __eq__(self, other: Any) -> bool:
        return dict(self.items()) == (dict(other.items()) if isinstance(other, ScriptDict) else other)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def keys(self) -> List[Any]:
        return list(self._raw)

    def values(self) -> List[Any]:
        return [_python_value(v) for v in self._raw.values()]

    def items(self) -> List[Any]:
        return [(k, _python_value(v)) for k, v in self._raw.items()]

    def get(self, k: Any, default: Any = None) -> Any:
        return self[k] if k in self else default

    def pop(self, k: Any, *default: Any) -> Any:
        key = self._key(k, "ScriptDict.pop")
        if key not in self._raw and default:
            return default[0]
        return _python_value(self._raw.pop(key))

    def setdefault(self, k: Any, default: Any = None) -> Any:
        if k not in self:
            self[k] = default
        return self[k]

    def update(self, other: Any = (), **kw: Any) -> None:
        for k, v in (dict(other.items()) if hasattr(other, "items") else dict(other)).items():
            self[k] = v
        for k, v in kw.items():
            self[k] = v

    def clear(self) -> None:
        self._raw.clear()

    def copy(self) -> Dict[Any, Any]:
        return dict(self.items())

    def popitem(self) -> Any:
        k, v = self._raw.popitem()
        return k, _python_value(v)


def shared(value: Any) -> Optional[Any]:
    """The container a ScriptList or ScriptDict shares with graphs (None for other values)."""
    return value._raw if isinstance(value, (ScriptList, ScriptDict)) else None

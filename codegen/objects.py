"""Objects of user-defined classes as generated code holds them.

A :class:`ScriptObject` keeps its fields as graphs see values (arrays for tensors), in a
dict the host code reads and writes directly; the same object is what Python code holds, so
a change made in a script is seen in Python and the other way round (reference semantics,
as in TorchScript). Python reads and writes fields as attributes and calls methods; how
values cross between the two views (tensors wrapped and unwrapped) is given by the runtime,
which sits above this layer (:func:`set_boundary`).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Optional

from minitorch_jit.ir.class_types import ClassType

_to_python: Callable[[Any], Any] = lambda v: v  # noqa: E731 - replaced by the runtime
_to_graph: Callable[[Any], Any] = lambda v: v  # noqa: E731


def set_boundary(to_python: Callable[[Any], Any], to_graph: Callable[[Any], Any]) -> None:
    """How field values become Python values (tensors wrapped) and back (unwrapped)."""
    global _to_python, _to_graph
    _to_python, _to_graph = to_python, to_graph


class ScriptObject:
    """An instance of a compiled class: its type and its fields."""

    __slots__ = ("_mtj_type", "_mtj_values", "__weakref__")

    def __init__(self, t: ClassType, values: Optional[Dict[str, Any]] = None):
        object.__setattr__(self, "_mtj_type", t)
        object.__setattr__(self, "_mtj_values", {} if values is None else values)

    def __getattr__(self, name: str) -> Any:
        t: ClassType = object.__getattribute__(self, "_mtj_type")
        values = object.__getattribute__(self, "_mtj_values")
        if name in values:
            return _to_python(values[name])
        prop = t.properties.get(name)
        if prop is not None:
            return prop[0](self)
        method = t.methods.get(name)
        if method is not None:
            return functools.partial(method, self)
        raise AttributeError(f"'{t.name}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        t: ClassType = object.__getattribute__(self, "_mtj_type")
        prop = t.properties.get(name)
        if prop is not None and prop[1] is not None:
            prop[1](self, value)
            return
        if name not in t.fields:
            raise AttributeError(f"'{t.name}' object has no attribute '{name}' to set")
        self._mtj_values[name] = _to_graph(value)

    def __lt__(self, other: Any) -> Any:
        """Ordering by the class's own ``__lt__`` (what sorting a list of objects compares)."""
        if "__lt__" not in self._mtj_type.methods:
            raise TypeError(f"'{self._mtj_type.name}' objects cannot be ordered: the class must define a __lt__ method")
        return call_method(self, "__lt__", other)

    def __repr__(self) -> str:
        return f"<{self._mtj_type.name} object>"

    def __getstate__(self) -> Any:
        raise TypeError("ScriptObject cannot be pickled: save the module that holds it with minitorch_jit.save")


def call_method(obj: ScriptObject, name: str, *args: Any) -> Any:
    """``prim::CallMethod``: the method of the object's class, run on graph values."""
    method = obj._mtj_type.methods.get(name)
    if method is None:
        raise RuntimeError(f"'{obj._mtj_type.name}' object has no method '{name}'")
    return method.run_graph_values(obj, *args)

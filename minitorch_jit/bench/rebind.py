"""Running a workload's Python under another library, without writing it again.

A workload function reads ``torch`` (and ``nn``, ``F``) from its module's globals. The same
code object, given a copy of those globals with the names bound elsewhere (PyTorch, numba
scalar functions, numexpr expression builders), computes the same formula with that
library. Module-level functions it calls (``lstm_cell`` calls ``lstm_pointwise``) are
rebound the same way, so the whole program moves together.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Dict


def _copy(fn: types.FunctionType, namespace: Dict[str, Any]) -> types.FunctionType:
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__annotations__ = dict(fn.__annotations__)
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    return new


def rebind(fn: Callable[..., Any], names: Dict[str, Any]) -> Callable[..., Any]:
    """``fn`` and the functions of its module, with the module globals in ``names`` replaced."""
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"can only rebind Python functions, not {type(fn).__name__}")
    home = fn.__globals__
    namespace = dict(home)
    namespace.update(names)
    for key, value in home.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is home:
            namespace[key] = _copy(value, namespace)
    same = namespace.get(fn.__name__)
    return same if isinstance(same, types.FunctionType) and same.__code__ is fn.__code__ else _copy(fn, namespace)

"""Running a workload's Python under another library, without writing it again.

A workload function reads ``torch`` (and ``nn``, ``F``) from its module's globals. The same
code object, given a copy of those globals with the names bound elsewhere (PyTorch, numba
scalar functions, numexpr expression builders), computes the same formula with that
library. Module-level functions it calls (``lstm_cell`` calls ``lstm_pointwise``) and the
module's classes (a model's ``nn.Module`` subclasses, based on the other library's
``nn.Module``) are rebound the same way, so the whole program moves together.
"""
from __future__ import annotations

import types
from typing import Any, Callable, Dict, Optional


def _copy(fn: types.FunctionType, namespace: Dict[str, Any], closure: Optional[tuple] = None) -> types.FunctionType:
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                             fn.__closure__ if closure is None else closure)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__annotations__ = dict(fn.__annotations__)
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    return new


def _rebase(base: type, home: Dict[str, Any], namespace: Dict[str, Any], names: Dict[str, Any]) -> type:
    """The class a rebound class derives from: a class of the module rebound, a class
    reached through a replaced name (``nn.Module``) the same name's class in its place."""
    if namespace.get(base.__name__) is not None and home.get(base.__name__) is base:
        return namespace[base.__name__]
    for key, replacement in names.items():
        if getattr(home.get(key), base.__name__, None) is base:
            return getattr(replacement, base.__name__)
    return base


def _copy_class(cls: type, home: Dict[str, Any], namespace: Dict[str, Any], names: Dict[str, Any]) -> type:
    """``cls`` defined again over ``namespace``: its methods read the replaced names, its bases
    are rebased, and zero-argument ``super()`` finds the new class."""
    bases = tuple(_rebase(b, home, namespace, names) for b in cls.__bases__)
    body = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
    new = type(cls)(cls.__name__, bases, {k: (_copy(v, namespace) if isinstance(v, types.FunctionType) else v)
                                          for k, v in body.items()})
    new.__qualname__ = cls.__qualname__
    for k, v in list(vars(new).items()):
        if isinstance(v, types.FunctionType) and v.__closure__ is not None:
            cells = tuple(types.CellType(new) if name == "__class__" else cell
                          for name, cell in zip(v.__code__.co_freevars, v.__closure__))
            setattr(new, k, _copy(v, namespace, cells))
    return new


def rebind(fn: Callable[..., Any], names: Dict[str, Any]) -> Callable[..., Any]:
    """``fn`` and the functions and classes of its module, with the module globals in
    ``names`` replaced."""
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"can only rebind Python functions, not {type(fn).__name__}")
    home = fn.__globals__
    namespace = dict(home)
    namespace.update(names)
    for key, value in home.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is home:
            namespace[key] = _copy(value, namespace)
    module = home.get("__name__")
    for key, value in home.items():  # in definition order: a base class comes before its subclasses
        if isinstance(value, type) and value.__module__ == module:
            namespace[key] = _copy_class(value, home, namespace, names)
    same = namespace.get(fn.__name__)
    return same if isinstance(same, types.FunctionType) and same.__code__ is fn.__code__ else _copy(fn, namespace)

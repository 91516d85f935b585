"""``torch.jit`` functions (and ``torch._check``) that are plain Python when run eagerly and
mean something else in a script (the scripter's :mod:`.sugar` tells them by identity)."""
from __future__ import annotations

import builtins
import typing
import warnings
from typing import Any, Callable, Optional, Union

from ..tensor import Tensor

CHECK_MESSAGE = ("Expected cond to be True, but got False. (Could this error message be improved? If so, please "
                 "report an enhancement request to PyTorch.)")


def annotate(the_type: Any, value: Any) -> Any:
    """``torch.jit.annotate(List[int], [])``: the value; in a script function, typed ``the_type``."""
    return value


def is_scripting() -> bool:
    """False in Python; in a script function, True (so code can tell where it runs)."""
    return False


def _check(cond: Any, message: Optional[Union[str, Callable[[], str]]] = None) -> None:
    """``torch._check``: raise RuntimeError(message) unless ``cond`` is True. ``message`` is a
    string or, as in PyTorch, a function returning one (called only when the check fails). In a
    script function, a ``prim::If`` that raises, as an ``assert`` is."""
    if not isinstance(cond, bool):
        raise TypeError(f"cond must be a bool, but got {type(cond)}")
    if not cond:
        raise RuntimeError(CHECK_MESSAGE if message is None else message() if callable(message) else str(message))


def _unwrap_optional(x: Any) -> Any:
    """``x``, which must not be None; in a script, typed without its Optional."""
    if x is None:
        raise AssertionError("Unwrapping null optional")
    return x


_BARE = {typing.List: "List", list: "List", typing.Tuple: "Tuple", tuple: "Tuple", typing.Optional: "Optional"}


def isinstance(obj: Any, target_type: Any) -> bool:  # noqa: A001 - torch.jit's name
    """``torch.jit.isinstance(x, List[int])``: ``isinstance`` that also checks the element
    types of containers (``List[T]``, ``Tuple[...]``, ``Dict[K, V]``, ``Optional[T]``,
    ``Union[...]``, or a tuple of those). In a script it refines ``x``'s type, as
    ``isinstance`` does. An empty container is an instance of any container type of its kind
    (with a warning: eagerly, the element type is not known)."""
    if builtins.isinstance(target_type, tuple):
        return any(isinstance(obj, t) for t in target_type)
    if builtins.isinstance(target_type, (list, set, dict)):
        raise RuntimeError(f"The second argument to torch.jit.isinstance must be a type or a tuple of types, not a "
                           f"{type(target_type).__name__}")
    origin = typing.get_origin(target_type)
    args = typing.get_args(target_type)
    if target_type in (typing.Dict, dict):
        raise RuntimeError("Attempted to use Dict without contained types. Please add contained type, e.g. "
                           "Dict[int, int]")
    if target_type in _BARE:
        name = _BARE[target_type]
        raise RuntimeError(f"Attempted to use {name} without a contained type. Please add a contained type, "
                           f"e.g. {name}[int]")
    if origin is None:
        if target_type is typing.Any:
            return True
        if target_type is None or target_type is type(None):
            return obj is None
        return builtins.isinstance(obj, Tensor if target_type is Tensor else target_type)
    if origin is typing.Union:
        return any(isinstance(obj, a) for a in args)
    if origin is list:
        if not builtins.isinstance(obj, list):
            return False
        _warn_empty(obj)
        return all(isinstance(v, args[0]) for v in obj)
    if origin is dict:
        if not builtins.isinstance(obj, dict):
            return False
        _warn_empty(obj)
        return all(isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        return builtins.isinstance(obj, tuple) and len(obj) == len(args) and \
            all(isinstance(v, a) for v, a in zip(obj, args))
    raise RuntimeError(f"torch.jit.isinstance does not support the type {target_type}")


def _warn_empty(obj: Any) -> None:
    if not obj:
        warnings.warn("The inner type of a container is lost when calling torch.jit.isinstance in eager mode. "
                      "For example, List[int] would become list and therefore falsely return True for List[float] "
                      "or List[str].", stacklevel=3)


__all__ = ["annotate", "is_scripting", "isinstance", "_unwrap_optional", "_check"]

"""``torch.jit`` functions (and ``torch._check``) that are plain Python when run eagerly and
mean something else in a script (the scripter's :mod:`.sugar` tells them by identity)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

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


__all__ = ["annotate", "is_scripting", "_check"]

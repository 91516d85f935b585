"""``torch._check``: an assertion that stays in compiled code (the scripter compiles calls of
it into a ``prim::If`` that raises)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

DEFAULT_MESSAGE = ("Expected cond to be True, but got False. (Could this error message be improved? If so, please "
                   "report an enhancement request to PyTorch.)")


def _check(cond: Any, message: Optional[Union[str, Callable[[], str]]] = None) -> None:
    """Raise RuntimeError(message) unless ``cond`` is True. ``message`` is a string or, as in
    PyTorch, a function returning one (called only when the check fails)."""
    if not isinstance(cond, bool):
        raise TypeError(f"cond must be a bool, but got {type(cond)}")
    if not cond:
        text = DEFAULT_MESSAGE if message is None else message() if callable(message) else str(message)
        raise RuntimeError(text)

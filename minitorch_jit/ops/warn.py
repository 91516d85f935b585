"""``warnings.warn`` in scripted code."""
from __future__ import annotations

import builtins
import sys
import warnings
from types import FrameType
from typing import Optional

from .declare import op


def _internal(frame: FrameType) -> bool:
    """Is ``frame`` running this package's code or code it generated?"""
    return frame.f_globals.get("__name__", "").startswith("minitorch_jit") or \
        frame.f_code.co_filename.startswith("<minitorch_jit")


def _caller_level() -> int:
    """The ``stacklevel`` that attributes a warning issued by :func:`warn` to the Python code
    that called the compiled function."""
    level, frame = 1, sys._getframe(1)  # the frame calling warnings.warn is warn's
    caller: Optional[FrameType] = frame
    while caller is not None and _internal(caller):
        caller = caller.f_back
        level += 1
    return level


@op('aten::warn(str message, int stacklevel=2, str category="UserWarning") -> ()', side_effects=True,
    once_per_call=True)
def warn(message: str, stacklevel: int = 2, category: str = "UserWarning") -> None:
    """``warnings.warn(message, category, stacklevel)``: shown (through Python's warnings, so
    its filters apply) at most once per call of the compiled function for each place it is
    written, and attributed to the Python code that called the compiled function, as
    TorchScript does (``stacklevel`` is accepted and not used). ``category`` names a built-in
    warning class."""
    cls = getattr(builtins, category, None)
    if not (isinstance(cls, type) and issubclass(cls, Warning)):
        raise RuntimeError(f"warnings.warn: {category!r} is not a built-in warning category")
    warnings.warn(message, cls, stacklevel=_caller_level())

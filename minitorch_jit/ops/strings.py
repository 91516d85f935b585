"""Strings in scripted code: printf-style formatting (``"%s in template" % a``), the methods of
``str`` that TorchScript has, and ``ord``/``chr`` and the number-to-text builtins.

Format strings are data: the kernels read them character by character and never hand a
user's format spec to Python's formatting machinery, which for arbitrary specs would pad to
any width. Semantics are Python's; where TorchScript refuses something (a conversion it has
no specifier for, a value of the wrong kind) the error is TorchScript's, a RuntimeError with
its message.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from .declare import op
from .prims import _show

# TorchScript's names for the kinds of values (IValue tags), which its format errors print.
_TAG_KINDS: Tuple[Tuple[type, str], ...] = (
    (bool, "Bool"), (int, "Int"), (float, "Double"), (str, "String"), (np.ndarray, "Tensor"), (list, "GenericList"),
    (tuple, "Tuple"), (dict, "GenericDict"), (type(None), "None"))


def tag_kind(v: Any) -> str:
    return next((name for cls, name in _TAG_KINDS if isinstance(v, cls)), type(v).__name__)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float))  # bool is an int, as in Python's % formatting


def _conversion(key: str, v: Any) -> str:
    """One ``%<key>`` conversion of ``v``. Each spec passed to Python's ``%`` here is one of a
    fixed set of two-character strings, with a number of the kind it takes."""
    if key in "di":
        if not _is_number(v):
            raise RuntimeError(f"%{key} requires a number for formatting, but got {tag_kind(v)}")
        return "%d" % v
    if key in "eEfFgG":
        if not _is_number(v):
            raise RuntimeError(f"%{key} requires a number for formatting, but got {tag_kind(v)}")
        return f"%{key}" % v
    if key == "c":
        if isinstance(v, int) and not isinstance(v, bool):
            return "%c" % v
        if isinstance(v, str) and len(v) == 1:
            return v
        raise RuntimeError(f"%c requires an int or char for formatting, but got {tag_kind(v)}")
    if key == "s":
        return v if isinstance(v, str) else _show(v)
    if key == "r":
        return _show(v, nested=True)
    raise RuntimeError(f"The specifier %{key} is not supported in TorchScript format strings")


def percent_format(fmt: str, args: Any) -> str:
    """``fmt % args``: a tuple is the arguments, anything else the only one. Conversions are
    ``%d %i %e %E %f %F %g %G %c %s %r`` and ``%%``, without flags, widths or precisions
    (TorchScript's set, with ``%g``, ``%G`` and ``%r`` as Python has them)."""
    values: List[Any] = list(args) if isinstance(args, tuple) else [args]
    out: List[str] = []
    used, begin = 0, 0
    while True:
        at = fmt.find("%", begin)
        if at < 0:
            out.append(fmt[begin:])
            break
        if at == len(fmt) - 1:
            raise RuntimeError("Incomplete format specifier")
        out.append(fmt[begin:at])
        key = fmt[at + 1]
        begin = at + 2
        if key == "%":
            out.append("%")
            continue
        if used >= len(values):
            raise RuntimeError("Too few arguments for format string")
        out.append(_conversion(key, values[used]))
        used += 1
    if used != len(values):
        raise RuntimeError("Too many arguments for format string")
    return "".join(out)


@op("aten::percentFormat(str self, Any... args) -> str", names=("str.__mod__",))
def percent_format_op(fmt: str, *args: Any) -> str:
    """``fmt % x`` in scripted code (``x`` is one value, a tuple for several)."""
    if len(args) != 1:
        raise RuntimeError(f"aten::percentFormat takes the format and one value (a tuple for several), got "
                           f"{len(args)} values")
    return percent_format(fmt, args[0])


# -- indexing ------------------------------------------------------------------------------------


@op("aten::__getitem__.str(str s, int index) -> str", names=("str.__getitem__",))
def getitem_str(s: str, index: int) -> str:
    if not -len(s) <= index < len(s):
        raise IndexError("string index out of range")
    return s[index]


@op("aten::slice.str(str string, int? start=None, int? end=None, int step=1) -> str", names=("str.__getitem__",))
def slice_str(s: str, start: Optional[int] = None, end: Optional[int] = None, step: int = 1) -> str:
    if step == 0:
        raise ValueError("slice step cannot be zero")
    return s[start:end:step]

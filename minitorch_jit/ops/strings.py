"""Strings in scripted code: printf-style formatting (``"%s in template" % a``), the methods of
``str`` that TorchScript has, and ``ord``/``chr`` and the number-to-text builtins.

Format strings are data: the kernels read them character by character and never hand a
user's format spec to Python's formatting machinery, which for arbitrary specs would pad to
any width. Semantics are Python's; where TorchScript refuses something (a conversion it has
no specifier for, a value of the wrong kind) the error is TorchScript's, a RuntimeError with
its message.
"""
from __future__ import annotations

import builtins
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


# -- comparisons and repetition -------------------------------------------------------------------

for _name, _dunder, _fn in (("lt", "__lt__", lambda a, b: a < b), ("le", "__le__", lambda a, b: a <= b),
                            ("gt", "__gt__", lambda a, b: a > b), ("ge", "__ge__", lambda a, b: a >= b)):
    op(f"aten::{_name}.str(str a, str b) -> bool", names=(f"str.{_dunder}",), total=True)(_fn)


@op("aten::mul.str(str s, int n) -> str", names=("str.__mul__",), total=True)
def repeat_str(s: str, n: int) -> str:
    return s * n


# -- methods: what Python's str methods compute ------------------------------------------------------

for _name in ("upper", "lower", "capitalize", "title", "swapcase", "casefold"):
    op(f"aten::{_name}(str self) -> str", names=(f"str.{_name}",), total=True)(getattr(str, _name))
for _name in ("isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "istitle", "isdecimal", "isnumeric",
              "isidentifier", "isprintable"):
    op(f"aten::{_name}(str self) -> bool", names=(f"str.{_name}",), total=True)(getattr(str, _name))
for _name in ("strip", "lstrip", "rstrip"):
    op(f"aten::{_name}(str self, str? chars=None) -> str", names=(f"str.{_name}",), total=True)(getattr(str, _name))
for _name in ("find", "rfind", "index", "rindex", "count"):  # index.str: aten::index is tensor indexing
    _qualified = f"{_name}.str" if _name == "index" else _name
    op(f"aten::{_qualified}(str self, str substr, int? start=None, int? end=None) -> int", names=(f"str.{_name}",),
       total=_name in ("find", "rfind", "count"))(getattr(str, _name))
for _name in ("startswith", "endswith"):
    op(f"aten::{_name}(str self, str substr, int? start=None, int? end=None) -> bool", names=(f"str.{_name}",),
       total=True)(getattr(str, _name))
for _name in ("center", "ljust", "rjust"):
    op(f"aten::{_name}(str self, int width, str fillchar=\" \") -> str", names=(f"str.{_name}",))(
        getattr(str, _name))
for _name in ("partition", "rpartition"):
    op(f"aten::{_name}(str self, str separator) -> (str, str, str)", names=(f"str.{_name}",))(getattr(str, _name))
for _name in ("split", "rsplit"):
    op(f"aten::{_name}.str(str self, str? separator=None, int max=-1) -> str[]", names=(f"str.{_name}",))(
        getattr(str, _name))
op("aten::splitlines(str self, bool keepends=False) -> str[]", names=("str.splitlines",), total=True)(str.splitlines)
op("aten::replace(str self, str old, str new, int max=-1) -> str", names=("str.replace",), total=True)(str.replace)
op("aten::join(str self, str[] values) -> str", names=("str.join",), total=True)(str.join)
op("aten::zfill(str self, int width) -> str", names=("str.zfill",))(str.zfill)
op("aten::expandtabs(str self, int tabsize=8) -> str", names=("str.expandtabs",))(str.expandtabs)


# -- builtins on text ----------------------------------------------------------------------------------


@op("aten::ord(str string) -> int", names=("builtins.ord",))
def ord_(s: str) -> int:
    """``ord(c)``: the code point of a one-character string (a TypeError for another length)."""
    return ord(s)


@op("aten::chr(int i) -> str", names=("builtins.chr",))
def chr_(i: int) -> str:
    """``chr(i)``: the one-character string of code point ``i`` (a ValueError out of range)."""
    return chr(i)


for _name in ("hex", "oct", "bin"):
    op(f"aten::{_name}(int i) -> str", names=(f"builtins.{_name}",), total=True)(getattr(builtins, _name))

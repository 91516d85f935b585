"""Errors raised while generated host code runs name the scripted source they came from.

The host code generator records, for each line it writes, the source location of the node
the line runs (``ORIGINS`` in the generated function's globals). When a call fails, the
frames of generated code in the exception's traceback give the nodes that were running,
outermost first (a script function calling another one), and their source lines are added
to the message, as TorchScript's "Traceback of TorchScript" is::

    Too few arguments for format string

    Traceback of TorchScript (most recent call last):
      File "model.py", line 5, column 12
        return "%s %s in template" % arg1
               ^
"""
from __future__ import annotations

import linecache
from types import TracebackType
from typing import List, Optional

from minitorch_jit.ir.graph import SourceLocation

ORIGINS = "__script_origins__"  # the key of {line: SourceLocation} in generated code's globals
_LOCATED = "_script_traceback"  # set on an exception once its message names its script source


def _script_frames(tb: Optional[TracebackType]) -> List[SourceLocation]:
    found = []
    while tb is not None:
        origins = tb.tb_frame.f_globals.get(ORIGINS)
        if origins is not None:
            where = origins.get(tb.tb_lineno)
            if where is not None:
                found.append(where)
        tb = tb.tb_next
    return found


def _describe(where: SourceLocation) -> str:
    text = f'  File "{where.file}", line {where.line}, column {where.col}'
    line = linecache.getline(where.file, where.line).rstrip("\n")
    if not line.strip():
        return text
    lead = line[:where.col - 1].expandtabs()
    return f"{text}\n    {line.expandtabs()}\n    {' ' * len(lead)}^"


def locate(exc: BaseException) -> None:
    """Add the scripted source lines that were running to ``exc``'s message (once; only for
    exceptions whose message is their one string argument, so that their type and the rest
    of what they carry stay as they were)."""
    if getattr(exc, _LOCATED, False) or type(exc).__str__ is not BaseException.__str__ or \
            len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return
    frames = _script_frames(exc.__traceback__)
    if not frames:
        return
    trace = "\n".join(_describe(w) for w in frames)
    exc.args = (f"{exc.args[0]}\n\nTraceback of TorchScript (most recent call last):\n{trace}",)
    try:
        setattr(exc, _LOCATED, True)
    except AttributeError:  # an exception type with __slots__: its message is located already
        pass

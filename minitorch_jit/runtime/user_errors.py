"""Errors raised while compiled code runs, reported at the user's line.

A kernel that raises inside generated host code (a shape error in a scripted ``z @ y``)
would otherwise show generated frames (``File "<minitorch_jit f #1>"``) and our kernels'
internals. As TorchScript does, the error is raised again from the call of the compiled
function, its message the source range of each node that was running, outermost first, with
the user's line and a caret under the expression, then the original error:

    RuntimeError: The following operation failed in the TorchScript interpreter.
    Traceback of TorchScript (most recent call last):
      File "model.py", line 7, in f
        return w @ y
               ~~~~~ <--- HERE
    RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)

The node of each generated frame is found by its line (the host code keeps each line's node
source, :data:`codegen.host.LINE_SOURCES`); code that runs a node without a generated line of
its own (a fusion group's size checks and eager fallback) notes the node on the exception
(:func:`ir.graph.note_source`). The new exception has the original's type, and the original
stays reachable as its ``__context__``.
"""
from __future__ import annotations

import linecache
from typing import List, Optional

from minitorch_jit.codegen.host import LINE_SOURCES
from minitorch_jit.ir.graph import ERROR_SOURCE, SourceLocation

HEADER = ("The following operation failed in the TorchScript interpreter.\n"
          "Traceback of TorchScript (most recent call last):")
# set on an exception already reported at the user's line, so an outer compiled call leaves it be
_REPORTED = "_minitorch_jit_reported"


def script_frames(error: BaseException) -> List[SourceLocation]:
    """The source of the node running in each generated frame the error went through,
    outermost first (the node noted on the error replaces the innermost), each preceded by
    the calls it was inlined from."""
    frames: List[SourceLocation] = []
    tb = error.__traceback__
    while tb is not None:
        sources = tb.tb_frame.f_globals.get(LINE_SOURCES)
        if sources is not None and tb.tb_frame.f_code.co_filename.startswith("<minitorch_jit "):
            where = sources[tb.tb_lineno] if 0 < tb.tb_lineno < len(sources) else None
            if where is not None:
                frames.append(where)
        tb = tb.tb_next
    noted = getattr(error, ERROR_SOURCE, None)
    if noted is not None:
        frames[-1:] = [noted]
    chain: List[SourceLocation] = []
    for where in frames:
        calls: List[SourceLocation] = []
        at: Optional[SourceLocation] = where
        while at is not None:
            calls.append(at)
            at = at.caller
        chain.extend(reversed(calls))
    return chain


def describe(where: SourceLocation) -> str:
    """``File "f.py", line 7, in f``, the line, and ``~`` under the span with ``<--- HERE``."""
    function = where.function.rsplit(".", 1)[-1] or "<unknown>"  # forward, not M.forward, as TorchScript
    out = [f'  File "{where.file}", line {where.line}, in {function}']
    text = linecache.getline(where.file, where.line).rstrip()
    if text:
        start = max(where.col - 1, 0)
        end = where.end_col if where.end_line == where.line and where.end_col > start else len(text)
        lead = text[:start].expandtabs()
        out.append(text)
        out.append(" " * len(lead) + "~" * max(1, min(end, len(text)) - start) + " <--- HERE")
    return "\n".join(out)


def at_user_line(error: Exception) -> Optional[Exception]:
    """The exception to raise instead of ``error`` (raised while compiled code ran), or None
    to raise ``error`` itself (it did not come from a node with a source, or it was reported
    already)."""
    if getattr(error, _REPORTED, False):
        return None
    frames = script_frames(error)
    if not frames:
        return None
    message = "\n".join([HEADER] + [describe(w) for w in frames] + [f"{type(error).__name__}: {error}"])
    try:
        new = type(error)(message)
        faithful = str(new) == message
    except Exception:  # noqa: BLE001 - an exception type that is not built from a message
        faithful = False
    if not faithful:
        # an exception that cannot carry the message (KeyError quotes it): the same object, with
        # the source range as a note, which the default display prints after it
        if hasattr(error, "add_note"):  # Python 3.11
            error.add_note("\n".join(["Traceback of TorchScript (most recent call last):"]
                                     + [describe(w) for w in frames]))
        _mark(error)
        return None
    _mark(new)
    return new


def _mark(error: BaseException) -> None:
    try:
        setattr(error, _REPORTED, True)
    except AttributeError:  # an exception type with __slots__: an outer call may report it again
        pass

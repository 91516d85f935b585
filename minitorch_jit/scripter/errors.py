"""Errors of the scripter, and the source ranges they point at.

A :class:`ScriptError` names the file, line and column of the offending construct, shows
its source line with a caret underline, says what is wrong and, where there is one, the fix::

    ScriptError: `**kwargs` is not supported in script functions
      File "model.py", line 12, column 10, in forward
        def forward(self, x, **kwargs):
                             ^^^^^^^^
    fix: give the function named parameters

Formatting never raises: a missing or short source line degrades to a message without the
caret, never to an AttributeError from the reporter.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple


@dataclass(frozen=True)
class SourceRange:
    """A span of a function's source: ``line`` is 1-based in ``file``, ``col`` and ``end_col``
    are 0-based character offsets into that line (``end_col`` on ``end_line``)."""
    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    source_line: str = ""
    function: str = ""
    def_line: int = 0    # the file line of the enclosing function's ``def`` (0: unknown)
    def_text: str = ""   # and its text, shown as context in a call stack

    def caret(self) -> str:
        """The underline for the first line of the range."""
        text = self.source_line.rstrip("\n")
        if not text or self.col > len(text):
            return ""
        end = self.end_col if self.end_line == self.line else len(text.rstrip())
        width = max(1, min(end, len(text)) - self.col)
        lead = text[:self.col].expandtabs()
        return " " * len(lead) + "^" * width

    def describe(self, context: bool = False) -> str:
        """The location, the source line and the caret; with ``context``, the enclosing
        function's ``def`` line above them (as each frame of a call stack shows it)."""
        where = f'  File "{self.file}", line {self.line}, column {self.col + 1}'
        if self.function:
            where += f", in {self.function}"
        text = self.source_line.rstrip("\n")
        caret = self.caret()
        if not text or not caret:
            return where
        lines = [where]
        if context and self.def_text and 0 < self.def_line < self.line:
            lines.append(f"    {self.def_text.rstrip().expandtabs()}")
            if self.def_line + 1 < self.line:
                lines.append("    ...")
        return "\n".join(lines + [f"    {text.expandtabs()}", f"    {caret}"])


class ScriptError(RuntimeError):
    """Code outside the script subset, or a type error in it, found when it is scripted."""

    def __init__(self, message: str, where: Optional[SourceRange] = None, fix: str = "",
                 notes: Sequence[Tuple[str, SourceRange]] = ()):
        self.msg = message
        self.range = where
        self.fix = fix
        self.notes: List[Tuple[str, SourceRange]] = list(notes)
        super().__init__(message)

    @property
    def filename(self) -> Optional[str]:
        return self.range.file if self.range else None

    @property
    def lineno(self) -> Optional[int]:
        return self.range.line if self.range else None

    @property
    def col(self) -> Optional[int]:
        """1-based column of the offending construct."""
        return self.range.col + 1 if self.range else None

    def called_from(self, callee: str, where: SourceRange) -> "ScriptError":
        """Say where the failing function was reached from, as a frame of TorchScript's call
        stack: "'c' is being compiled since it was called from 'b'"."""
        caller = where.function.rsplit(".", 1)[-1] if where.function else "?"
        self.notes.append((f"'{callee}' is being compiled since it was called from '{caller}'", where))
        return self

    def __str__(self) -> str:
        try:
            parts = [self.msg]
            stack = bool(self.notes)
            if self.range is not None:
                parts.append(self.range.describe(context=stack))
            if self.fix:
                parts.append(f"fix: {self.fix}")
            for text, where in self.notes:
                parts.append(text)
                parts.append(where.describe(context=stack))
            return "\n".join(parts)
        except Exception:  # the reporter must never hide the error it reports
            return str(self.msg)


class UnknownTypeError(ScriptError, ValueError):
    """An annotation that names no type of the script language: a ValueError, as TorchScript
    raises it, and a ScriptError like the scripter's other errors."""


class UnsupportedNodeError(ScriptError):
    """A Python construct the script language does not have (``try``, ``with``, ``lambda``...)."""

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

    def caret(self) -> str:
        """The underline for the first line of the range."""
        text = self.source_line.rstrip("\n")
        if not text or self.col > len(text):
            return ""
        end = self.end_col if self.end_line == self.line else len(text.rstrip())
        width = max(1, min(end, len(text)) - self.col)
        lead = text[:self.col].expandtabs()
        return " " * len(lead) + "^" * width

    def describe(self) -> str:
        where = f'  File "{self.file}", line {self.line}, column {self.col + 1}'
        if self.function:
            where += f", in {self.function}"
        text = self.source_line.rstrip("\n")
        caret = self.caret()
        if not text or not caret:
            return where
        return f"{where}\n    {text.expandtabs()}\n    {caret}"


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

    def called_from(self, text: str, where: SourceRange) -> "ScriptError":
        """Say where the failing function was reached from."""
        self.notes.append((text, where))
        return self

    def __str__(self) -> str:
        try:
            parts = [self.msg]
            if self.range is not None:
                parts.append(self.range.describe())
            if self.fix:
                parts.append(f"fix: {self.fix}")
            for text, where in self.notes:
                parts.append(text)
                parts.append(where.describe())
            return "\n".join(parts)
        except Exception:  # the reporter must never hide the error it reports
            return str(self.msg)


class UnsupportedNodeError(ScriptError):
    """A Python construct the script language does not have (``try``, ``with``, ``lambda``...)."""

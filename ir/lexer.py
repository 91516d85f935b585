"""Tokens of the IR text form and of op schemas, with their line and column."""
from __future__ import annotations

import re
from typing import List, NamedTuple, Optional


class IRParseError(ValueError):
    """Malformed IR or schema text; the message names line and column."""

    def __init__(self, message: str, line: int, col: int, source_line: str = ""):
        self.line, self.col = line, col
        caret = f"\n    {source_line}\n    {' ' * (col - 1)}^" if source_line else ""
        super().__init__(f"line {line}, column {col}: {message}{caret}")


class Token(NamedTuple):
    kind: str   # 'name', 'value', 'number', 'string', 'op', 'eof'
    text: str
    line: int
    col: int


_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>\#[^\n]*)
  | (?P<value>%[A-Za-z0-9_.]+)
  | (?P<number>-?(?:0x[0-9a-f]+|\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+(?:[eE][-+]?\d+)?|\d+)|-inf\b)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)?(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>->|\.\.\.|[()\[\],:=?*!|])
""", re.VERBOSE)


def tokenize(text: str) -> List[Token]:
    tokens: List[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise IRParseError(f"unexpected character {text[pos]!r}", line, pos - line_start + 1,
                               _line_at(text, line_start))
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            tokens.append(Token(kind, m.group(), line, pos - line_start + 1))
        for i, ch in enumerate(m.group()):
            if ch == "\n":
                line += 1
                line_start = pos + i + 1
        pos = m.end()
    tokens.append(Token("eof", "", line, pos - line_start + 1))
    return tokens


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


class TokenStream:
    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.pos]

    def peek_at(self, k: int) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "eof":
            self.pos += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek
        return tok.text == text and tok.kind in ("op", "name")

    def accept(self, text: str) -> Optional[Token]:
        if self.at(text):
            return self.next()
        return None

    def expect(self, text: str) -> Token:
        if not self.at(text):
            self.error(f"expected '{text}'")
        return self.next()

    def expect_kind(self, kind: str, what: str) -> Token:
        if self.peek.kind != kind:
            self.error(f"expected {what}")
        return self.next()

    def error(self, message: str, tok: Optional[Token] = None) -> "None":
        tok = tok or self.peek
        found = "end of input" if tok.kind == "eof" else repr(tok.text)
        line = self.lines[tok.line - 1] if tok.line - 1 < len(self.lines) else ""
        raise IRParseError(f"{message}, found {found}", tok.line, tok.col, line)

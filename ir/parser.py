"""Parse the TorchScript-style text form back into a Graph (the printer's inverse).

Parsing is token based: a node's blocks are the ``blockN(...)`` sections that follow it, a
block ends at ``-> (...)`` and a graph at ``return (...)``; indentation is for people.
Comments (``# file.py:3:7``) are ignored. Numeric value names (``%5``) are not kept: the
printer numbers unnamed values in order, so print -> parse -> print is exact. Tensor
constants written as references (``CONSTANTS.c0``) are looked up in the table the caller
passes. A ``with`` subgraph may only be used by the graphs printed before it, as the printer
writes them, so subgraphs never contain themselves.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
import re
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .graph import BACKWARD, SUBGRAPH, Block, Graph, Node, Value
from .lexer import IRParseError, Token, TokenStream
from .types import (
    FROM_SHORT_NAME,
    NAMED_TYPES,
    DictType,
    ListType,
    OptionalType,
    TensorType,
    TupleType,
    Type,
    TypeVar,
    UnionType,
    union_of,
)

TYPES_ATTR = "types"  # an attribute holding a list of types (prim::isinstance's)
_SUBGRAPH_KIND = re.compile(r"^(.*)_(\d+)$")
# Class types (``__torch__.Point``) the text may name, by name: see :func:`class_types`
_class_types: "contextvars.ContextVar[Dict[str, Type]]" = contextvars.ContextVar("class_types")


@contextlib.contextmanager
def class_types(types: Dict[str, Type]) -> Iterator[None]:
    """Parse, within the block, texts that name these class types (an archive's classes)."""
    token = _class_types.set(types)
    try:
        yield
    finally:
        _class_types.reset(token)
_CONSTANT_REF = re.compile(r"^CONSTANTS\.c(\d+)$")


def parse_type(ts: TokenStream, allow_typevars: bool = False) -> Type:
    """type := base ('[]' | '?')*  ;  base := NAME dims? | '(' type, ... ')' | 'Dict(' type, type ')' |
    'Union(' type, ... ')'"""
    tok = ts.peek
    if ts.accept("("):
        elems: List[Type] = []
        while not ts.at(")"):
            elems.append(parse_type(ts, allow_typevars))
            if not ts.accept(","):
                break
        ts.expect(")")
        t: Type = TupleType(elems)
    else:
        name = ts.expect_kind("name", "a type").text
        if name == "Union" and ts.at("("):
            ts.next()
            members: List[Type] = []
            while not ts.at(")"):
                members.append(parse_type(ts, allow_typevars))
                if not ts.accept(","):
                    break
            ts.expect(")")
            t = union_of(members)
            if not isinstance(t, UnionType) or len(t.types) != len(members):
                ts.error("a union type has at least two members, none a subtype of another", tok)
        elif name in FROM_SHORT_NAME or name == "Tensor":
            dtype = FROM_SHORT_NAME.get(name)
            sizes = None
            contiguous = False
            # `Float(2, *)` has sizes; `Tensor(a!)` in a schema is an alias annotation
            if ts.at("(") and (ts.peek_at(1).kind == "number" or ts.peek_at(1).text in ("*", ")", "contiguous")):
                ts.next()
                sizes = []
                while not ts.at(")"):
                    if ts.peek.text == "contiguous":
                        if not sizes:
                            ts.error("'contiguous' follows the sizes, and a 0-d tensor is always contiguous "
                                     "(written Float())")
                        ts.next()
                        contiguous = True
                        break
                    if ts.accept("*"):
                        sizes.append(None)
                    else:
                        num = ts.expect_kind("number", "a size, '*' or 'contiguous'")
                        if not num.text.isdigit():
                            ts.error("sizes are non-negative integers", num)
                        sizes.append(int(num.text))
                    if not ts.accept(","):
                        break
                ts.expect(")")
            t = TensorType(dtype, sizes, contiguous)
        elif name == "Dict" and ts.at("("):
            ts.next()
            key = parse_type(ts, allow_typevars)
            ts.expect(",")
            value = parse_type(ts, allow_typevars)
            ts.expect(")")
            t = DictType(key, value)
        elif name == "NamedTuple" and ts.at("("):
            t = _named_tuple(ts, allow_typevars)
        elif name in NAMED_TYPES:
            t = NAMED_TYPES[name]
        elif name in _class_types.get({}):
            t = _class_types.get({})[name]
        elif allow_typevars and re.match(r"^t\d*$", name):
            t = TypeVar(name)
        else:
            ts.error("unknown type", tok)
    return parse_type_suffixes(ts, t)


def _named_tuple(ts: TokenStream, allow_typevars: bool) -> Type:
    """``NamedTuple(x : int, y : Tensor)``: the recorded named tuple type of those fields (a
    printed graph names named tuples by their fields only; see :func:`class_types`)."""
    ts.expect("(")
    names: List[str] = []
    elems: List[Type] = []
    while not ts.at(")"):
        names.append(ts.expect_kind("name", "a field name").text)
        ts.expect(":")
        elems.append(parse_type(ts, allow_typevars))
        if not ts.accept(","):
            break
    ts.expect(")")
    for t in _class_types.get({}).values():
        if isinstance(t, TupleType) and getattr(t, "names", None) == tuple(names) and t.elems == tuple(elems):
            return t
    ts.error("a named tuple that is not one of the archive's")
    raise AssertionError("TokenStream.error raises")


def parse_type_suffixes(ts: TokenStream, t: Type) -> Type:
    """``t`` followed by any ``[]`` (list of) and ``?`` (optional) suffixes."""
    while True:
        if ts.at("[") and ts.peek_at(1).text == "]":
            ts.next(), ts.next()
            t = ListType(t)
        elif ts.accept("?"):
            t = OptionalType(t)
        else:
            return t


def parse_literal(ts: TokenStream, constants: Optional[Sequence[np.ndarray]] = None) -> Any:
    """An attribute value: number, inf/nan, string, True/False, list, tuple, tensor(...), or
    ``CONSTANTS.cN``, the array at index N of ``constants``."""
    tok = ts.peek
    if tok.kind == "number":
        ts.next()
        if tok.text == "-inf":
            return float("-inf")
        if any(c in tok.text for c in ".eE"):
            return float(tok.text)
        try:
            return int(tok.text, 16) if "0x" in tok.text else int(tok.text)
        except ValueError:  # more digits than Python converts to an int
            ts.error("integer constant has too many digits", tok)
    if tok.kind == "string":
        ts.next()
        return json.loads(tok.text)
    if tok.kind == "name":
        if tok.text in ("True", "False"):
            ts.next()
            return tok.text == "True"
        if tok.text in ("inf", "nan"):
            ts.next()
            return float(tok.text)
        if tok.text == "tensor":
            return _parse_tensor(ts)
        ref = _CONSTANT_REF.match(tok.text)
        if ref:
            index = int(ref.group(1))
            if constants is None or index >= len(constants):
                ts.error("reference to a tensor constant that is not in the constants table")
            ts.next()
            return constants[index]
    for open_, close in (("[", "]"), ("(", ")")):
        if ts.accept(open_):
            items = []
            while not ts.at(close):
                items.append(parse_literal(ts, constants))
                if not ts.accept(","):
                    break
            ts.expect(close)
            return items if open_ == "[" else tuple(items)
    ts.error("expected a constant")


def _parse_tensor(ts: TokenStream) -> np.ndarray:
    # tensor(<nested list or number>, dtype=float32) | tensor([], shape=[0, 3], dtype=float32)
    ts.expect("tensor")
    ts.expect("(")
    start = ts.peek
    data = parse_literal(ts)
    shape = None
    ts.expect(",")
    if ts.accept("shape"):
        ts.expect("=")
        shape = parse_literal(ts)
        ts.expect(",")
    ts.expect("dtype")
    ts.expect("=")
    dtype_tok = ts.expect_kind("name", "a dtype")
    if dtype_tok.text not in FROM_SHORT_NAME.values():
        ts.error("unknown dtype", dtype_tok)
    ts.expect(")")
    try:
        arr = np.array(data, dtype=dtype_tok.text)
        if shape is not None:
            arr = arr.reshape(shape)
    except (ValueError, TypeError, OverflowError) as e:  # OverflowError: an int beyond the dtype
        ts.error(f"bad tensor constant ({e})", start)
    return arr


class _GraphParser:
    def __init__(self, text: str, constants: Optional[Sequence[np.ndarray]]):
        self.ts = TokenStream(text)
        self.constants = constants
        # nodes whose kind refers to a `with` subgraph, resolved at the end, with the
        # position of the graph they are in (0 for the main graph, then each `with`)
        self.pending: List[Tuple[Node, Token, int]] = []
        self.section = 0

    def parse(self) -> Graph:
        graph = self.parse_graph_body()
        subgraphs: Dict[str, Tuple[Graph, int]] = {}
        while self.ts.accept("with"):
            self.section += 1
            name_tok = self.ts.expect_kind("name", "a subgraph name")
            if name_tok.text in subgraphs:
                self.ts.error(f"subgraph {name_tok.text} is defined twice", name_tok)
            self.ts.expect("=")
            subgraphs[name_tok.text] = (self.parse_graph_body(), self.section)
        if self.ts.peek.kind != "eof":
            self.ts.error("expected 'with' or end of input")
        for node, tok, section in self.pending:
            if tok.text not in subgraphs:
                continue  # an op whose name merely ends in _N
            sub, defined_at = subgraphs[tok.text]
            if defined_at <= section:
                self.ts.error(f"subgraph {tok.text} is used by itself or by a graph after it; a subgraph "
                              "follows the graphs that use it", tok)
            node.kind = _SUBGRAPH_KIND.match(tok.text).group(1)
            node.attrs[SUBGRAPH] = sub
            if f"{tok.text}_backward" in subgraphs:
                node.attrs[BACKWARD] = subgraphs[f"{tok.text}_backward"][0]
        return graph

    def parse_graph_body(self) -> Graph:
        ts = self.ts
        g = Graph()
        env: Dict[str, Value] = {}
        ts.expect("graph")
        self.parse_params(g.block, env)
        ts.expect(":")
        self.parse_nodes(g, g.block, env, "return")
        ts.expect("return")
        for v in self.parse_value_list(env):
            g.register_output(v)
        return g

    def parse_params(self, block: Block, env: Dict[str, Value]) -> None:
        ts = self.ts
        ts.expect("(")
        while not ts.at(")"):
            name, t = self.parse_value_decl()
            self.define(env, name, block.add_param(t, name.text[1:]))
            if not ts.accept(","):
                break
        ts.expect(")")

    def parse_value_decl(self) -> Tuple[Token, Type]:
        name = self.ts.expect_kind("value", "a value name like %x")
        self.ts.expect(":")
        return name, parse_type(self.ts)

    def define(self, env: Dict[str, Value], tok: Token, value: Value) -> None:
        if tok.text in env:
            self.ts.error(f"value {tok.text} is defined twice", tok)
        env[tok.text] = value

    def parse_value_list(self, env: Dict[str, Value]) -> List[Value]:
        ts = self.ts
        ts.expect("(")
        values = []
        while not ts.at(")"):
            tok = ts.expect_kind("value", "a value name like %x")
            if tok.text not in env:
                ts.error(f"use of undefined value {tok.text}", tok)
            values.append(env[tok.text])
            if not ts.accept(","):
                break
        ts.expect(")")
        return values

    def parse_nodes(self, g: Graph, block: Block, env: Dict[str, Value], end: str) -> None:
        ts = self.ts
        while not ts.at(end):
            if ts.peek.kind == "eof":
                ts.error(f"expected '{end}'")
            self.parse_node(g, block, env)

    def parse_node(self, g: Graph, block: Block, env: Dict[str, Value]) -> None:
        ts = self.ts
        outputs: List[Tuple[Token, Type]] = []
        while ts.peek.kind == "value":
            outputs.append(self.parse_value_decl())
            if not ts.accept(","):
                break
        ts.expect("=")
        kind_tok = ts.expect_kind("name", "an op name like aten::add")
        if "::" not in kind_tok.text:
            ts.error("op names have a namespace, like aten::add", kind_tok)
        node = g.create(kind_tok.text)
        if ts.accept("["):
            while not ts.at("]"):
                attr = ts.expect_kind("name", "an attribute name")
                if attr.text == SUBGRAPH:
                    ts.error(f"{SUBGRAPH} is not written as an attribute: a node's subgraph follows the graph "
                             "as a 'with' section", attr)
                ts.expect("=")
                if attr.text == TYPES_ATTR:  # prim::isinstance[types=[int[], str]]
                    ts.expect("[")
                    types: List[Type] = []
                    while not ts.at("]"):
                        types.append(parse_type(ts))
                        if not ts.accept(","):
                            break
                    ts.expect("]")
                    node.attrs[attr.text] = types
                else:
                    node.attrs[attr.text] = parse_literal(ts, self.constants)
                if not ts.accept(","):
                    break
            ts.expect("]")
        for v in self.parse_value_list(env):
            node.add_input(v)
        block.append(node)
        for name, t in outputs:
            self.define(env, name, node.add_output(t, name.text[1:]))
        while ts.peek.kind == "name" and re.match(r"^block\d+$", ts.peek.text):
            ts.next()
            sub = node.add_block()
            inner = dict(env)
            self.parse_params(sub, inner)
            ts.expect(":")
            self.parse_nodes(g, sub, inner, "->")
            ts.expect("->")
            for v in self.parse_value_list(inner):
                sub.register_output(v)
        if _SUBGRAPH_KIND.match(kind_tok.text):
            self.pending.append((node, kind_tok, self.section))


def parse_graph(text: str, constants: Optional[Sequence[np.ndarray]] = None) -> Graph:
    """Parse IR text (``graph(%x : Float(*, *)): ... return (%y)``, plus any ``with`` subgraphs).
    ``CONSTANTS.cN`` attribute values are ``constants[N]``. Raises :class:`IRParseError`
    naming line and column on malformed text."""
    return _GraphParser(text, constants).parse()


def parse_type_str(text: str) -> Type:
    ts = TokenStream(text)
    t = parse_type(ts)
    if ts.peek.kind != "eof":
        ts.error("unexpected text after the type")
    return t


__all__ = ["IRParseError", "class_types", "parse_graph", "parse_type", "parse_type_str", "parse_literal"]

"""Print a Graph in the TorchScript-style text form that :mod:`ir.parser` reads back.

Unnamed values are numbered in program order at print time, so printing is deterministic
and print -> parse -> print is exact. Nodes holding a subgraph print as ``kind_N`` and the
subgraphs follow the graph as ``with kind_N = graph(...)``.

Tensor constants print inline (``tensor([1.5, 2.0], dtype=float32)``), or, when the caller
passes a ``constants`` table, as references ``CONSTANTS.c0`` into it (the form archives use,
like TorchScript's, so that tensor data is stored as binary arrays beside the text).
"""
from __future__ import annotations

import enum
import json
import math
from typing import Any, Dict, List, Optional

import numpy as np

from .class_types import enum_literal
from .graph import BACKWARD, PYTHON_OBJECT, SUBGRAPH, Block, Graph, Node, Value
from .types import SHORT_NAME, Type

_DECIMAL_BITS = 2000  # 603 digits at most, under the least limit Python can be set to


def format_literal(value: Any) -> str:
    if isinstance(value, enum.Enum):  # before int: an IntEnum member is an int too
        return enum_literal(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        # Python refuses to write ints of more than 640 to 4300 digits (sys.int_info) in
        # decimal, but not in hex.
        return str(value) if value.bit_length() <= _DECIMAL_BITS else hex(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(format_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.ndarray):
        return format_tensor(value)
    if isinstance(value, Type):  # prim::isinstance[types=[int[], str]]
        return str(value)
    raise TypeError(f"cannot print attribute of type {type(value).__name__}")


def format_tensor(arr: np.ndarray) -> str:
    """Exact and re-parseable: ``tensor([[1.0, 2.5]], dtype=float32)``; float elements are
    printed with the shortest digits that round-trip in their own dtype."""
    if arr.dtype.name not in SHORT_NAME:
        raise TypeError(f"unsupported tensor constant dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        def elem(x: Any) -> str:
            s = str(x)  # numpy's shortest round-trip repr for the element's own precision
            return s if any(c in s for c in ".en") else s + ".0"
    elif arr.dtype.kind == "b":
        def elem(x: Any) -> str:
            return "True" if x else "False"
    else:
        def elem(x: Any) -> str:
            return str(int(x))

    def nest(a: np.ndarray) -> str:
        if a.ndim == 0:
            return elem(a[()])
        return "[" + ", ".join(nest(a[i]) for i in range(a.shape[0])) + "]"

    if arr.size == 0:
        return f"tensor([], shape={list(arr.shape)}, dtype={arr.dtype.name})"
    return f"tensor({nest(arr)}, dtype={arr.dtype.name})"


class _Namer:
    def __init__(self) -> None:
        self.names: Dict[Value, str] = {}
        self.counter = 1

    def __call__(self, v: Value) -> str:
        name = self.names.get(v)
        if name is None:
            if v.name is not None:
                name = v.name
            else:
                name = str(self.counter)
                self.counter += 1
            self.names[v] = name
        return "%" + name


class _Printer:
    def __init__(self, show_source: bool, constants: Optional[List[np.ndarray]] = None):
        self.show_source = show_source
        self.constants = constants
        self.subgraphs: List[tuple] = []
        self.numbered = 0  # subgraphs named kind_N (a backward is named after its forward)
        self.out: List[str] = []

    def graph(self, g: Graph, header: str = "graph") -> _Namer:
        name = _Namer()
        self.out.append(f"{header}(" + ", ".join(f"{name(v)} : {v.type}" for v in g.inputs) + "):")
        self.block_body(g.block, name, 1)
        self.out.append("  return (" + ", ".join(name(v) for v in g.outputs) + ")")
        return name

    def block_body(self, block: Block, name: _Namer, depth: int) -> None:
        for node in block.nodes:
            self.node(node, name, depth)

    def node(self, node: Node, name: _Namer, depth: int) -> None:
        indent = "  " * depth
        self.out.append(indent + self.node_text(node, name))
        for i, b in enumerate(node.blocks):
            self.out.append(indent + f"  block{i}(" + ", ".join(f"{name(p)} : {p.type}" for p in b.params) + "):")
            self.block_body(b, name, depth + 2)
            self.out.append(indent + "    -> (" + ", ".join(name(v) for v in b.returns) + ")")

    def node_text(self, node: Node, name: _Namer) -> str:
        outs = ", ".join(f"{name(o)} : {o.type}" for o in node.outputs)
        kind = node.kind
        if SUBGRAPH in node.attrs:
            kind = f"{kind}_{self.numbered}"
            self.numbered += 1
            self.subgraphs.append((kind, node.attrs[SUBGRAPH]))
            if BACKWARD in node.attrs:
                self.subgraphs.append((f"{kind}_backward", node.attrs[BACKWARD]))
        attrs = [f"{k}={self.literal(v)}" for k, v in node.attrs.items()
                 if k not in (SUBGRAPH, BACKWARD, PYTHON_OBJECT)]
        text = (outs + " " if outs else "") + "= " + kind
        if attrs:
            text += "[" + ", ".join(attrs) + "]"
        text += "(" + ", ".join(name(v) for v in node.inputs) + ")"
        if self.show_source and node.source is not None:
            text += f"  # {node.source}"
        return text


    def literal(self, value: Any) -> str:
        if self.constants is None or not isinstance(value, np.ndarray):
            return format_literal(value)
        index = next((i for i, c in enumerate(self.constants) if c is value), None)
        if index is None:
            index = len(self.constants)
            self.constants.append(value)
        return f"CONSTANTS.c{index}"


def print_graph(graph: Graph, show_source: bool = False, constants: Optional[List[np.ndarray]] = None) -> str:
    """The graph as text. With a ``constants`` list, tensor constants print as
    ``CONSTANTS.cN``, N their index in the list; arrays not in it yet (by identity) are
    appended, so one list can serve several graphs."""
    p = _Printer(show_source, constants)
    p.graph(graph)
    done = 0
    while done < len(p.subgraphs):
        kind, sub = p.subgraphs[done]
        done += 1
        p.graph(sub, header=f"with {kind} = graph")
    return "\n".join(p.out) + "\n"


def value_names(graph: Graph) -> Dict[Value, str]:
    """Every value's printed name (without the %), as :func:`print_graph` names them."""
    p = _Printer(show_source=False)
    return {v: n[1:] if n.startswith("%") else n for v, n in p.graph(graph).names.items()}


def node_line(node: Node) -> str:
    """One node as text (with its source location) for error messages, its values named as
    they are in the printed graph."""
    p = _Printer(show_source=True)
    names = p.graph(node.graph)
    return p.node_text(node, names)

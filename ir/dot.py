"""A Graph as Graphviz DOT: one box per op, one edge per use, fusion groups as clusters.

A ``prim::FusionGroup`` is drawn as its subgraph inside a cluster named after the group (as
the printer names it, ``prim::FusionGroup_0``): the values going into the group point
straight at the ops inside that read them. Blocks of ``prim::If`` and ``prim::Loop`` are
clusters too, with dashed edges from what each block returns to the node it belongs to.
Values are named as :func:`ir.printer.print_graph` names them, so the picture and the text
agree.
"""
from __future__ import annotations

from typing import Dict, List

from .graph import SUBGRAPH, Block, Graph, Node, Value
from .printer import format_literal, value_names

FUSION_GROUP = "prim::FusionGroup"
_LONGEST_CONSTANT = 40


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Dot:
    def __init__(self, name: str):
        self.lines = [f"digraph {_quote(name)} {{",
                      '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];',
                      '  edge [fontname="Helvetica", fontsize=9];']
        self.edges: List[str] = []  # written last, outside every cluster: an edge inside one pulls both ends in
        self.count = 0
        self.subgraphs = 0  # nodes holding a subgraph are numbered as the printer numbers them

    def subgraph_kind(self, node: Node) -> str:
        self.subgraphs += 1
        return f"{node.kind}_{self.subgraphs - 1}"

    def node(self, label: str, indent: str, **attrs: str) -> str:
        ident = f"n{self.count}"
        self.count += 1
        extra = "".join(f", {k}={_quote(v)}" for k, v in attrs.items())
        self.lines.append(f"{indent}{ident} [label={_quote(label)}{extra}];")
        return ident

    def edge(self, src: str, dst: str, **attrs: str) -> None:
        extra = ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())
        self.edges.append(f"  {src} -> {dst}" + (f" [{extra}]" if extra else "") + ";")

    def cluster(self, label: str, indent: str, color: str) -> str:
        self.lines.append(f"{indent}subgraph cluster_{self.count} {{")
        self.count += 1
        self.lines.append(f"{indent}  label={_quote(label)}; color={_quote(color)}; style=rounded;")
        return indent + "  "

    def end(self, indent: str) -> None:
        self.lines.append(indent[:-2] + "}")

    def block(self, block: Block, names: Dict[Value, str], source: Dict[Value, str], indent: str) -> None:
        for node in block.nodes:
            if node.kind == "prim::Constant":
                text = format_literal(node.output.constant) if "value" in node.attrs else "None"
                if len(text) > _LONGEST_CONSTANT:
                    text = text[:_LONGEST_CONSTANT - 3] + "..."
                source[node.output] = self.node(text, indent, shape="plaintext")
            elif node.kind == FUSION_GROUP:
                self.fusion_group(node, source, indent)
            else:
                self.op(node, names, source, indent)

    def op(self, node: Node, names: Dict[Value, str], source: Dict[Value, str], indent: str) -> None:
        outputs = [f"%{names[o]} : {o.type}" for o in node.outputs]
        label = self.subgraph_kind(node) if SUBGRAPH in node.attrs else node.kind
        if "name" in node.attrs:
            label += f"[name={format_literal(node.attrs['name'])}]"
        ident = self.node("\n".join([label] + outputs), indent)
        for v in node.inputs:
            self.edge(source[v], ident)
        for o in node.outputs:
            source[o] = ident
        for i, b in enumerate(node.blocks):
            inner = self.cluster(f"block{i} of {node.kind}", indent, "gray")
            for p in b.params:
                source[p] = self.node(f"%{names[p]} : {p.type}", inner, shape="ellipse")
            self.block(b, names, source, inner)
            for r in b.returns:
                self.edge(source[r], ident, style="dashed")
            self.end(inner)

    def fusion_group(self, node: Node, source: Dict[Value, str], indent: str) -> None:
        sub: Graph = node.attrs[SUBGRAPH]
        inner = self.cluster(self.subgraph_kind(node), indent, "blue")
        inside = dict(zip(sub.inputs, [source[v] for v in node.inputs]))
        self.block(sub.block, value_names(sub), inside, inner)
        self.end(inner)
        for outer, v in zip(node.outputs, sub.outputs):
            source[outer] = inside[v]


def to_dot(graph: Graph, name: str = "graph") -> str:
    """``graph`` as a DOT digraph called ``name``."""
    dot = _Dot(name)
    names = value_names(graph)
    source: Dict[Value, str] = {v: dot.node(f"%{names[v]} : {v.type}", "  ", shape="ellipse") for v in graph.inputs}
    dot.block(graph.block, names, source, "  ")
    ret = dot.node("return", "  ", shape="ellipse")
    for v in graph.outputs:
        dot.edge(source[v], ret)
    return "\n".join(dot.lines + dot.edges + ["}"]) + "\n"

"""Check a graph's invariants so a broken pass fails where it broke the graph.

- SSA and dominance: every input is defined before its use, in the same block or an
  enclosing one; values do not leak out of the block that defines them.
- Use lists agree with inputs.
- Block arity and types of ``prim::If`` / ``prim::Loop``.
- Every other node is a known op whose schema accepts its input types and whose outputs
  match the schema's returns. Their types may know more sizes than the op's type rule
  (a specialization's), but an output is only typed contiguous where the rule says so.
"""
from __future__ import annotations

import enum
from typing import List, NoReturn, Set

from . import registry
from .class_types import EnumType, qualified_name
from .graph import BACKWARD, CALLS, SUBGRAPH, Block, Graph, Node, Use, Value, is_call
from .object_nodes import OBJECT_NODES, object_node_problem
from .printer import node_line
from .types import (
    BOOL,
    DEVICE,
    DTYPES,
    SCALARTYPE,
    BoolType,
    DictType,
    IntType,
    ListType,
    OptionalType,
    TensorType,
    TupleType,
    Type,
    type_of_constant,
)

# Nodes whose shape is checked here rather than by a schema.
STRUCTURAL = {"prim::Constant", "prim::If", "prim::Loop", "prim::FusionGroup", "prim::DifferentiableGraph",
              "prim::CallFunction",
              "prim::TupleUnpack", "prim::ListUnpack", "prim::TupleConstruct", "prim::ListConstruct",
              "prim::DictConstruct", "prim::isinstance", "prim::PythonOp"} | set(OBJECT_NODES) | CALLS


class VerifyError(ValueError):
    pass


def _fail(node: Node, message: str) -> NoReturn:
    raise VerifyError(f"{message}\n  in: {node_line(node)}")


def verify(graph: Graph) -> None:
    """Raise :class:`VerifyError` naming the first node that breaks an invariant."""
    _Verifier(graph).block(graph.block, set())


class _Verifier:
    def __init__(self, graph: Graph):
        self.graph = graph

    def block(self, block: Block, outer: Set[Value]) -> None:
        scope = set(outer)
        for p in block.params:
            self.value(p, block.param_node)
            scope.add(p)
        for node in block.nodes:
            if node.owning_block is not block:
                _fail(node, "node's owning block is wrong")
            self.inputs(node, scope)
            for b in node.blocks:
                if b.owning_node is not node:
                    _fail(node, "block's owning node is wrong")
                self.block(b, scope)
            self.node(node)
            for o in node.outputs:
                self.value(o, node)
                scope.add(o)
        self.inputs(block.return_node, scope)

    def inputs(self, node: Node, scope: Set[Value]) -> None:
        for i, v in enumerate(node.inputs):
            if v.graph is not self.graph:
                _fail(node, f"input {i} belongs to another graph")
            if v not in scope:
                if node.kind == "prim::Return":
                    owner = node.owning_block.owning_node
                    where = f"block {owner.blocks.index(node.owning_block)} of this node" if owner else "the graph"
                    _fail(owner or node, f"output {i} of {where} is not defined in its scope")
                _fail(node, f"input {i} (%{v.name or '?'}) is used before it is defined or outside its block")
            if Use(node, i) not in v.uses:
                _fail(node, f"input {i} is missing from its value's use list")

    def value(self, v: Value, producer: Node) -> None:
        if v.node is not producer or producer.outputs[v.offset] is not v:
            _fail(producer, "output's producer or offset is wrong")
        for u in v.uses:
            if u.offset >= len(u.user.inputs) or u.user.inputs[u.offset] is not v:
                _fail(producer, f"use list of an output names a node that does not use it: {u.user.kind}")

    def node(self, node: Node) -> None:
        kind = node.kind
        if kind == "prim::If":
            self.if_node(node)
        elif kind == "prim::Loop":
            self.loop_node(node)
        elif node.blocks:
            _fail(node, f"{kind} may not have blocks")
        elif kind == "prim::Constant":
            self.constant(node)
        elif kind == "prim::FusionGroup" or is_call(node):
            self.subgraph_node(node)
        elif kind == "prim::DifferentiableGraph":
            self.differentiable_graph(node)
        elif kind in OBJECT_NODES:
            problem = object_node_problem(node)
            if problem:
                _fail(node, problem)
        elif kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            if len(node.inputs) != 1:
                _fail(node, f"{kind} takes one input")
            t = node.inputs[0].type
            if kind == "prim::TupleUnpack":
                if not isinstance(t, TupleType) or len(t.elems) != len(node.outputs):
                    _fail(node, f"{kind} of a {t} into {len(node.outputs)} values")
                self.outputs_fit(node, list(t.elems))
            elif not isinstance(t, ListType):
                _fail(node, f"{kind} of a {t}")
        elif kind == "prim::isinstance":
            types = node.attrs.get("types")
            if len(node.inputs) != 1 or not isinstance(types, list) or not types or \
                    not all(isinstance(t, Type) for t in types):
                _fail(node, f"{kind} takes one input and a non-empty list of types")
            self.outputs_fit(node, [BOOL])
        elif kind == "prim::TupleConstruct":
            self.outputs_fit(node, [TupleType([v.type for v in node.inputs])])
        elif kind in ("prim::ListConstruct", "prim::DictConstruct"):
            self.container(node)
        elif kind == "prim::PythonOp":
            if not isinstance(node.attrs.get("name"), str):
                _fail(node, "prim::PythonOp needs the name of the Python function it calls")
        else:
            op = registry.node_op(node)
            if op is None:
                if not registry.is_registered(kind):
                    _fail(node, f"unknown op {kind}")
                types = ", ".join(str(v.type) for v in node.inputs)
                _fail(node, f"no overload of {kind} takes ({types}); known: "
                      + "; ".join(o.schema.text for o in registry.overloads(kind)))
            if len(node.outputs) != len(op.schema.returns):
                _fail(node, f"{kind} has {len(op.schema.returns)} outputs, the node has {len(node.outputs)}")
            try:
                expected = op.output_types([v.type for v in node.inputs], registry.node_consts(node))
            except (RuntimeError, IndexError, ValueError, TypeError):
                return  # the rule finds the program wrong (sizes that cannot broadcast): it fails when run
            if kind == "prim::unchecked_cast" and not any(
                    o.type.is_subtype_of(t) or t.is_subtype_of(o.type) for o, t in zip(node.outputs, expected)):
                return  # a cast to a type its (specialized) input cannot have: on a branch that never runs
            self.outputs_fit(node, expected, loose=True)

    def container(self, node: Node) -> None:
        """A list or dict is typed by what it may hold (an annotation's ``List[Optional[int]]``
        for ``[None]``): each element must fit that type."""
        t = node.output.type if len(node.outputs) == 1 else None
        if node.kind == "prim::ListConstruct":
            if not isinstance(t, ListType):
                _fail(node, "prim::ListConstruct makes one list")
            formals = [t.elem] * len(node.inputs)
        else:
            if not isinstance(t, DictType) or len(node.inputs) % 2:
                _fail(node, "prim::DictConstruct makes one dict of keys and values in turn")
            formals = [t.key, t.value] * (len(node.inputs) // 2)
        for i, (v, f) in enumerate(zip(node.inputs, formals)):
            if not v.type.is_subtype_of(f):
                _fail(node, f"element {i} of type {v.type} does not fit the container's {t}")

    def outputs_fit(self, node: Node, expected: List[Type], loose: bool = False) -> None:
        for o, t in zip(node.outputs, expected):
            # Passes may refine a type further than its rule knows (sizes from a
            # specialization), so a tensor only has to agree where both are known.
            if loose and isinstance(o.type, TensorType) and isinstance(t, TensorType):
                if o.type.dtype is not None and t.dtype is not None and o.type.dtype != t.dtype:
                    _fail(node, f"output type {o.type} has dtype {o.type.dtype}, expected {t}")
                if o.type.sizes is not None and t.sizes is not None and (
                        len(o.type.sizes) != len(t.sizes) or any(
                            a is not None and b is not None and a != b for a, b in zip(o.type.sizes, t.sizes))):
                    _fail(node, f"output type {o.type} disagrees with the expected {t}")
                # contiguity is known of inputs and of what ops make contiguous, never assumed
                if o.type.contiguous and not t.contiguous:
                    _fail(node, f"output type {o.type} says contiguous, but {node.kind} does not make it so")
                continue
            if not (o.type.is_subtype_of(t) or t.is_subtype_of(o.type)):
                _fail(node, f"output type {o.type} does not match the expected {t}")

    def constant(self, node: Node) -> None:
        if node.inputs or len(node.outputs) != 1:
            _fail(node, "prim::Constant has no inputs and one output")
        t = node.output.type
        if "value" not in node.attrs:
            if str(t) != "NoneType" and not isinstance(t, OptionalType):  # None, possibly typed T?
                _fail(node, f"constant of type {t} has no value")
            return
        value = node.attrs["value"]
        if isinstance(t, TensorType):
            if getattr(value, "dtype", None) is None or getattr(value, "shape", None) is None:
                _fail(node, "tensor constant without tensor data")
            if t.dtype is not None and str(value.dtype) != t.dtype:
                _fail(node, f"tensor constant of dtype {value.dtype} typed {t}")
            if t.sizes is not None and (len(t.sizes) != value.ndim or any(
                    s is not None and s != d for s, d in zip(t.sizes, value.shape))):
                _fail(node, f"tensor constant of shape {tuple(value.shape)} typed {t}")
            if t.contiguous and not value.flags.c_contiguous:
                _fail(node, f"tensor constant typed {t} is not contiguous")
            return
        if isinstance(t, EnumType):
            if not isinstance(value, enum.Enum) or qualified_name(type(value)) != t.name:
                _fail(node, f"constant value {value!r} does not fit type {t}")
            return
        if t == DEVICE:  # torch.device("cpu") in a script function: the only device
            if value != "cpu":
                _fail(node, f"device constants are 'cpu', not {value!r}")
            return
        if t == SCALARTYPE:
            # host code names the dtype after it (dtype_float32): only known names may pass
            if value not in DTYPES:
                _fail(node, f"dtype constants are dtype names ({', '.join(DTYPES)}), not {value!r}")
            return
        try:
            vt = type_of_constant(value)
        except (TypeError, ValueError):
            if isinstance(t, ListType) and value == []:
                return
            _fail(node, f"constant value {value!r} does not fit type {t}")
        if not (vt.is_subtype_of(t) or (isinstance(vt, IntType) and str(t) == "float")):
            _fail(node, f"constant value {value!r} does not fit type {t}")

    def if_node(self, node: Node) -> None:
        if len(node.inputs) != 1 or not isinstance(node.inputs[0].type, BoolType):
            _fail(node, "prim::If takes one bool input")
        if len(node.blocks) != 2:
            _fail(node, f"prim::If has 2 blocks, not {len(node.blocks)}")
        for i, b in enumerate(node.blocks):
            if b.params:
                _fail(node, f"block{i} of prim::If takes no parameters")
            if len(b.returns) != len(node.outputs):
                _fail(node, f"block{i} of prim::If returns {len(b.returns)} values for {len(node.outputs)} outputs")
            for r, o in zip(b.returns, node.outputs):
                if not r.type.is_subtype_of(o.type):
                    _fail(node, f"block{i} of prim::If returns a {r.type} for an output of type {o.type}")

    def loop_node(self, node: Node) -> None:
        if len(node.inputs) < 2 or not isinstance(node.inputs[0].type, IntType) \
                or not isinstance(node.inputs[1].type, BoolType):
            _fail(node, "prim::Loop takes (int max_trip_count, bool condition, carried...)")
        n = len(node.inputs) - 2
        if len(node.blocks) != 1:
            _fail(node, f"prim::Loop has 1 block, not {len(node.blocks)}")
        body = node.blocks[0]
        if len(body.params) != n + 1 or not isinstance(body.params[0].type, IntType):
            _fail(node, f"the body of prim::Loop takes (int trip, {n} carried values), "
                        f"it takes {len(body.params)} values")
        if len(body.returns) != n + 1 or not isinstance(body.returns[0].type, BoolType):
            _fail(node, f"the body of prim::Loop returns (bool condition, {n} carried values), "
                        f"it returns {len(body.returns)} values")
        if len(node.outputs) != n:
            _fail(node, f"prim::Loop with {n} carried values has {len(node.outputs)} outputs")
        for i in range(n):
            init, param, ret, out = node.inputs[i + 2], body.params[i + 1], body.returns[i + 1], node.outputs[i]
            for what, t in (("initial value", init.type), ("body result", ret.type)):
                if not t.is_subtype_of(param.type):
                    _fail(node, f"carried value {i}: {what} of type {t} for a {param.type} parameter")
            if not param.type.is_subtype_of(out.type):
                _fail(node, f"carried value {i}: parameter {param.type} for an output of type {out.type}")

    def subgraph_node(self, node: Node) -> None:
        sub = node.attrs.get(SUBGRAPH)
        if not isinstance(sub, Graph):
            _fail(node, f"{node.kind} needs a Subgraph attribute")
        if len(sub.inputs) != len(node.inputs) or len(sub.outputs) != len(node.outputs):
            _fail(node, f"{node.kind} passes {len(node.inputs)} inputs and takes {len(node.outputs)} "
                        f"outputs; its subgraph has {len(sub.inputs)} and {len(sub.outputs)}")
        for i, (v, p) in enumerate(zip(node.inputs, sub.inputs)):
            if not v.type.is_subtype_of(p.type):
                _fail(node, f"input {i} of type {v.type} for a subgraph input of type {p.type}")
        verify(sub)

    def differentiable_graph(self, node: Node) -> None:
        """The forward returns the node's outputs, then the saved values; the backward takes
        a gradient per ``grad_outputs`` entry, then the saved values, and returns a gradient
        per ``grad_inputs`` entry."""
        fw, bw = node.attrs.get(SUBGRAPH), node.attrs.get(BACKWARD)
        grad_outputs, grad_inputs = node.attrs.get("grad_outputs"), node.attrs.get("grad_inputs")
        if not isinstance(fw, Graph) or not isinstance(bw, Graph) or not isinstance(grad_outputs, list) or \
                not isinstance(grad_inputs, list):
            _fail(node, f"{node.kind} needs forward and backward graphs and grad_outputs, grad_inputs lists")
        saved = len(fw.outputs) - len(node.outputs)
        if len(fw.inputs) != len(node.inputs) or saved < 0:
            _fail(node, f"{node.kind} passes {len(node.inputs)} inputs and takes {len(node.outputs)} outputs; its "
                        f"forward has {len(fw.inputs)} and {len(fw.outputs)}")
        if len(bw.inputs) != len(grad_outputs) + saved or len(bw.outputs) != len(grad_inputs):
            _fail(node, f"{node.kind}'s backward takes {len(bw.inputs)} values and returns {len(bw.outputs)}; "
                        f"expected {len(grad_outputs)} gradients and {saved} saved values, and "
                        f"{len(grad_inputs)} gradients")
        for i, (v, p) in enumerate(zip(node.inputs, fw.inputs)):
            if not v.type.is_subtype_of(p.type):
                _fail(node, f"input {i} of type {v.type} for a subgraph input of type {p.type}")
        verify(fw)
        verify(bw)


__all__ = ["VerifyError", "verify", "STRUCTURAL"]

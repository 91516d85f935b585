"""Mutation removal: in-place pointwise ops on tensors nothing else can see become their
out-of-place forms, so the fuser can take them (``nn.ReLU(inplace=True)``, ``out += x``).

Given::

    %y : Float(*, *) = aten::batch_norm(%x, ...)
    %z : Float(*, *) = aten::add_(%y, %r)
    %w : Float(*, *) = aten::relu_(%y)
    return (%w)

Result::

    %y : Float(*, *) = aten::batch_norm(%x, ...)
    %1 : Float(*, *) = aten::expand_as(%r, %y)
    %z : Float(*, *) = aten::add(%y, %1)
    %w : Float(*, *) = aten::relu(%z)
    return (%w)

``aten::op_(%a, ...)`` becomes ``aten::op(%a, ...)`` and every later read of ``%a`` (and of
the in-place op's result) reads the new value, when:

- ``aten::op``, its out-of-place form, is pointwise;
- ``%a`` is fresh: made in the same block by an op whose result shares memory with none of
  its inputs (not a graph input, a constant, a view, or a loop-carried value), and no
  value made from it shares its memory (no use of it is a view, a container holding it,
  or an op the registry does not know; in-place ops after this one write the new value):
  then nothing else observes the write;
- the out-of-place op gives ``%a``'s dtype (an in-place op keeps its operand's dtype:
  ``float_tensor.add_(double_tensor)`` stays float). Its other tensor operands are
  expanded to ``%a``'s shape first: an in-place op cannot grow its operand, and
  ``expand_as`` raises exactly where the in-place op would.
"""
from __future__ import annotations

from typing import Dict

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Block, Graph, Node, Value
from minitorch_jit.ir.types import TensorType

from .effects import require_ops
from .shape_propagation import rule_types, shape_propagation


def _fresh(v: Value) -> bool:
    """Made by an op whose result shares memory with none of its inputs."""
    node = v.node
    if node is None or node.kind in ("prim::Constant", "prim::Param") or v not in node.outputs:
        return False
    op = registry.node_op(node)
    if op is None or len(op.schema.returns) != 1:
        return False
    ret = op.schema.returns[0]
    return ret.alias is None and isinstance(ret.type, TensorType)


def _only_plain_reads(v: Value, writer: Node, order: Dict[Node, int]) -> bool:
    """Every use of ``v`` but ``writer`` reads it without keeping its memory (no view, no
    container, no unknown op), or is an in-place op after ``writer`` in its block (which
    will write the new value instead)."""
    for use in v.uses:
        user = use.user
        if user is writer or user.kind == "prim::Return":
            continue
        op = registry.node_op(user)
        if op is None:
            return False
        formals = list(op.schema.arguments)
        if use.offset >= len(formals) and not op.schema.is_vararg:
            return False
        arg = formals[min(use.offset, len(formals) - 1)]
        if arg.mutates and use.offset == 0 and order.get(user, -1) > order[writer]:
            continue
        if arg.alias is not None or arg.mutates or not isinstance(arg.type, TensorType):
            return False
    return True


def _order(block: Block) -> Dict[Node, int]:
    return {n: i for i, n in enumerate(block.nodes)}


def _rewrite(node: Node, order: Dict[Node, int]) -> bool:
    op = registry.node_op(node)
    if op is None or not node.kind.endswith("_") or not node.inputs or len(node.outputs) != 1:
        return False
    outplace = node.kind[:-1]
    if not registry.is_registered(outplace):
        return False
    a = node.inputs[0]
    t = a.type
    block = node.owning_block
    if block is None or not isinstance(t, TensorType) or t.dtype is None:
        return False
    if not _fresh(a) or a.node.owning_block is not block:
        return False
    if not _only_plain_reads(a, node, order) or not _only_plain_reads(node.output, node, order):
        return False
    graph = node.graph
    with graph.inserting_before(node):
        args = [a]
        for v in node.inputs[1:]:
            if isinstance(v.type, TensorType):
                v = graph.insert("aten::expand_as", [v, a], [TensorType(v.type.dtype, t.sizes)],
                                 source=node.source).output
            args.append(v)
        new = graph.insert(outplace, args, [t], source=node.source)
    types = rule_types(new)
    new_op = registry.node_op(new)
    if new_op is None or not new_op.pointwise or types is None or not isinstance(types[0], TensorType) or \
            types[0].dtype != t.dtype:
        for created in [new] + [v.node for v in args[1:] if v.node.kind == "aten::expand_as"]:
            if created is new or not created.output.uses:
                created.destroy()
        return False
    new.output.type = types[0]
    here = order[node]
    for use in list(a.uses):
        holder = block.node_holding(use.user)
        if use.user is block.return_node or (holder is not None and order.get(holder, -1) > here):
            use.user.replace_input(use.offset, new.output)
    for use in list(node.output.uses):
        use.user.replace_input(use.offset, new.output)
    node.destroy()
    return True


def _block(block: Block) -> bool:
    changed = False
    order = _order(block)
    for node in list(block.nodes):
        for b in node.blocks:
            changed |= _block(b)
        if _rewrite(node, order):
            changed = True
            order = _order(block)
    return changed


def remove_mutation(graph: Graph) -> bool:
    """Turn in-place pointwise ops on tensors nothing else observes into out-of-place ops
    (see the module docstring). Returns whether the graph changed."""
    require_ops("mutation removal")
    changed = _block(graph.block)
    if changed:
        # The new value may be typed coarser than the one it replaces (``a - x.expand_as(a)``
        # is not typed contiguous where ``a`` was), and everything computed from it, by any
        # path, was typed from the old one: the graph is typed again from its inputs.
        shape_propagation(graph)
    return changed

"""Decomposition for fusion: the pointwise parts of ops that are not pointwise, split out so
that the fuser can put them in one kernel with the pointwise ops around them. CNNs then fuse
after their convolutions: the bias add with the activation, inference batch norm with the
activation (and a residual add), so a conv block costs the convolution and one pass over its
output, not three.

Given (inputs specialized by the executor)::

    %y : Float(8, 16, 30, 30) = aten::conv2d(%x, %w, %b, %s, %p, %d)
    %z : Float(8, 16, 30, 30) = aten::relu(%y)

Result::

    %0 : NoneType = prim::Constant()
    %y : Float(8, 16, 30, 30) = aten::conv2d(%x, %w, %0, %s, %p, %d)
    %1 : int[] = prim::Constant[value=[1, -1, 1, 1]]()
    %2 : Float(1, 16, 1, 1) = aten::view(%b, %1)
    %3 : Float(8, 16, 30, 30) = aten::add(%y, %2)
    %z : Float(8, 16, 30, 30) = aten::relu(%3)

The rewrites:

- ``conv2d`` with a bias whose result only pointwise ops read: the convolution without
  bias, then the bias viewed ``(1, C, 1, 1)`` added. Where nothing pointwise follows, the
  convolution keeps its bias: the add would be a pass over the output of its own.
  (``linear`` keeps its bias for now: split, an LSTM cell's two bias adds would make a
  second group with the gates' add before ``chunk``, a change not measured yet);
- ``batch_norm`` that does not train (``training`` a constant False: a module in eval
  mode), of a float input of known rank: ``(x - mean) / sqrt(var + eps) * weight + bias``
  with each statistic and parameter viewed ``(1, C, 1, ...)``, in the input's dtype (eager
  batch_norm computes in double and rounds once: the two agree to the float32 rounding of
  these four operations).

Each rewrite checks what makes the two forms compute the same thing, and only that; an
input that would make the op raise (a bias of the wrong length) raises in the new form too,
from the ``view`` or the broadcasting add.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value
from minitorch_jit.ir.types import TensorType, is_float, type_of_constant

from .dead_code_elimination import dead_code_elimination
from .effects import require_ops
from .rewriting import replace_value
from .shape_propagation import rule_types


def _key(value: Any) -> Any:
    """A constant's value as a dict key: lists as tuples, floats by their repr (-0.0 is not
    0.0), ints as themselves (a huge one has no repr: Python limits int to str conversion)."""
    if isinstance(value, list):
        return tuple(_key(v) for v in value)
    return repr(value) if isinstance(value, float) else (type(value).__name__, value)


class _Constants:
    """The constants the rewrites use, made once per graph at its top (so that they dominate
    every use, and common subexpression elimination finds nothing left to merge)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.made: Dict[Tuple[Any, str], Value] = {}
        for n in graph.nodes:
            value = n.attrs.get("value")
            if n.kind == "prim::Constant" and isinstance(value, (type(None), bool, int, float, list)):
                self.made.setdefault((_key(value), str(n.output.type)), n.output)

    def get(self, value: Any) -> Value:
        key = (_key(value), str(type_of_constant(value)))
        if key not in self.made:
            with self.graph.inserting_before(self.graph.nodes[0]):
                self.made[key] = self.graph.insert_constant(value)
        return self.made[key]


def _insert(graph: Graph, kind: str, inputs: List[Value], node: Node) -> Value:
    new = graph.insert(kind, inputs, [TensorType()], source=node.source)
    types = rule_types(new)
    if types is not None:
        new.output.type = types[0]
    return new.output


def _channel_view(graph: Graph, v: Value, rank: int, node: Node, constants: _Constants) -> Value:
    return _insert(graph, "aten::view", [v, constants.get([1, -1] + [1] * (rank - 2))], node)


def _only_pointwise_readers(v: Value) -> bool:
    if not v.uses or v in v.node.graph.outputs:
        return False
    for use in v.uses:
        op = registry.node_op(use.user)
        if op is None or not op.pointwise:
            return False
    return True


def _tensor(v: Value) -> Optional[TensorType]:
    return v.type if isinstance(v.type, TensorType) else None


def _split_bias(graph: Graph, node: Node, constants: _Constants) -> bool:
    """``conv2d(x, w, b, ...)`` -> the convolution without bias, plus ``b`` viewed per channel."""
    if len(node.inputs) < 3:
        return False
    bias, out = node.inputs[2], node.output
    t, b = _tensor(out), _tensor(bias)
    if t is None or b is None or t.rank is None or b.rank != 1 or not _only_pointwise_readers(out):
        return False
    if t.rank != 4:
        return False
    node.replace_input(2, constants.get(None))
    with graph.inserting_before(node.next):
        added = _channel_view(graph, bias, t.rank, node, constants)
        users = list(out.uses)
        result = _insert(graph, "aten::add", [out, added], node)
    for use in users:
        use.user.replace_input(use.offset, result)
    return True


def _batch_norm(graph: Graph, node: Node, constants: _Constants) -> bool:
    """Inference ``batch_norm`` -> its pointwise form (see the module docstring)."""
    if len(node.inputs) < 5:
        return False
    x, mean, var, weight, bias = node.inputs[:5]
    t = _tensor(x)
    if t is None or t.rank is None or t.rank < 2 or t.dtype is None or not is_float(t.dtype):
        return False
    if len(node.inputs) > 5:  # else left at its default, False (as traces record it)
        training = node.inputs[5]
        if training.node.kind != "prim::Constant" or training.constant is not False:
            return False
    if len(node.inputs) > 7 and node.inputs[7].node.kind != "prim::Constant":
        return False
    if _tensor(mean) is None or _tensor(var) is None:
        return False
    for v in (weight, bias):
        if _tensor(v) is None and not (v.node.kind == "prim::Constant" and v.constant is None):
            return False
    with graph.inserting_before(node):
        op = registry.get("aten::batch_norm")
        eps = node.inputs[7] if len(node.inputs) > 7 else constants.get(op.schema.arguments[7].default)
        centered = _insert(graph, "aten::sub", [x, _channel_view(graph, mean, t.rank, node, constants)], node)
        shifted = _insert(graph, "aten::add", [_channel_view(graph, var, t.rank, node, constants), eps], node)
        y = _insert(graph, "aten::div", [centered, _insert(graph, "aten::sqrt", [shifted], node)], node)
        if _tensor(weight) is not None:
            y = _insert(graph, "aten::mul", [y, _channel_view(graph, weight, t.rank, node, constants)], node)
        if _tensor(bias) is not None:
            y = _insert(graph, "aten::add", [y, _channel_view(graph, bias, t.rank, node, constants)], node)
    replace_value(node.output, y)
    node.destroy()
    return True


def _nll_reason(node: Node) -> Optional[str]:
    """Why ``nll_loss`` of a ``log_softmax`` may not be split for a row kernel, or None."""
    from minitorch_jit.ir.registry import node_arg
    logp, target = node.inputs[:2]
    soft = logp.node
    x, t = _tensor(soft.inputs[0]), _tensor(target)
    if node_arg(node, 2) is not None:
        return "it has a weight (the row kernel computes unweighted losses)"
    if not isinstance(node_arg(node, 3), int) or node_arg(node, 4) not in ("none", "sum", "mean"):
        return "its ignore_index or reduction is not a constant the row kernel computes"
    if x is None or x.rank != 2 or x.dtype is None or not is_float(x.dtype):
        return "its log_softmax's input is not a 2-d floating-point tensor of known rank"
    if node_arg(soft, 1) not in (1, -1) or node_arg(soft, 2) is not None:
        return "its log_softmax is not over dim 1 without a dtype"
    if t is None or t.dtype != "int64" or t.rank != 1:
        return "its target is not a 1-d int64 tensor (class indices) of known rank"
    if len(logp.uses) != 1 or logp in logp.node.graph.outputs:
        return "the log_softmax result is used elsewhere (the kernel would write it anyway)"
    return None


def _nll_of_log_softmax(graph: Graph, node: Node, constants: _Constants) -> bool:
    """``nll_loss(log_softmax(x, 1), target)`` (no weight) -> the targets checked, each row's
    loss as a row op (``prim::nll_rows``), then the reduction; the reduction fuser makes the
    row op a kernel that reads ``x`` once and writes one number per row, never the (N, C)
    log-probabilities."""
    from minitorch_jit.ir.registry import node_arg

    from .fusion import report
    if len(node.inputs) < 2 or registry.node_op(node.inputs[0].node) is not registry.get("aten::log_softmax.int"):
        return False
    reason = _nll_reason(node)
    if reason is not None:
        recorded = report()
        if recorded is not None:
            recorded.reductions_left_out.append((node, reason))
        return False
    soft, target = node.inputs[0].node, node.inputs[1]
    x, ignore, reduction = soft.inputs[0], node_arg(node, 3), node_arg(node, 4)
    with graph.inserting_before(node):
        column = _insert(graph, "prim::nll_targets", [target, x, constants.get(ignore)], node)
        loss = _insert(graph, "prim::nll_rows", [x, constants.get([1]), constants.get(False), column,
                                                  constants.get(ignore)], node)
        if reduction != "none":
            loss = _insert(graph, "aten::sum", [loss], node)
        if reduction == "mean":  # over the targets that count: 0 / 0 (NaN) when none does
            counted = _insert(graph, "aten::sum", [_insert(graph, "aten::ne", [target, constants.get(ignore)], node)],
                              node)
            loss = _insert(graph, "aten::div", [loss, counted], node)
    replace_value(node.output, loss)
    node.destroy()
    soft.destroy()
    return True


_RULES = {"aten::conv2d": _split_bias, "aten::batch_norm": _batch_norm, "aten::nll_loss": _nll_of_log_softmax}


def decomposition(graph: Graph) -> bool:
    """Split the pointwise parts out of convolutions and inference batch norm
    (see the module docstring). Returns whether the graph changed."""
    require_ops("decomposition")
    changed = False
    constants = _Constants(graph)
    for node in list(graph.all_nodes()):
        rule = _RULES.get(node.kind)
        if rule is not None and node.owning_block is not None:
            changed |= rule(graph, node, constants)
    if changed:  # what the rewritten nodes read alone (their constants) goes with them
        dead_code_elimination(graph)
    return changed

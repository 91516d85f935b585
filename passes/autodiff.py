"""Symbolic differentiation of a straight-line graph: a forward graph that also returns what
the backward needs, and a backward graph, built from the same gradient formulas the eager tape
runs (``OpDef.derivative``, declared beside each op in ``minitorch_jit.ops``).

The formulas are Python written with the registry's ops on Tensors (``g * ctx[1]``,
``x.sigmoid()``, ``where(c, g, 0.0)``). Here they run on :class:`Symbol` s instead: stand-ins
for values of the backward graph whose operators and methods resolve to registry overloads by
their Python names (``Tensor.__mul__``) and emit nodes, as a trace would. So there is one
table of derivatives, not a second symbolic copy. A formula that needs what a graph does not
know (a concrete shape, a Python bool of a tensor) raises :class:`NotDifferentiable`, naming
the node, and the caller leaves that node to the eager tape.

Given (``requires_grad=[True, True]``)::

    graph(%x : Float(*, *), %y : Float(*, *)):
      %z : Float(*, *) = aten::mul(%x, %y)
      %r : Float(*, *) = aten::sigmoid(%z)
      return (%r)

Result: ``forward`` is the graph with the values the backward reads appended to its outputs
(here ``%x`` and ``%y``), and ``backward`` takes the gradient of each output that requires
grad, then those saved values, and returns a gradient (or None) per input that requires grad::

    graph(%grad_r : Float(*, *), %x : Float(*, *), %y : Float(*, *)):
      %z : Float(*, *) = aten::mul(%x, %y)          # recomputed, not saved
      %r : Float(*, *) = aten::sigmoid(%z)
      ...
      return (%grad_x, %grad_y)

The saving rule: a value the backward reads is recomputed there when a pointwise op makes it
(from values that are themselves recomputed, saved, or inputs of the graph); every other value
the backward reads (inputs, results of matrix products, reductions, views) is saved. Pointwise
ops cost less to run again than their results cost to keep, and recomputed in the backward
they fuse into its kernels; so GELU saves only its input.

Broadcasting: a gradient whose shape may differ from its input's goes through
``aten::sum_to_size`` (the input's sizes saved as an ``int[]``). Sizes printed ``*`` are taken
as not 1, as the executor specializes graphs on which dims are 1; a ``Float(1, *)`` input of a
``Float(*, *)`` result is broadcast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from minitorch_jit.ir import Graph, Node, Value, registry, verify
from minitorch_jit.ir.registry import OpDef
from minitorch_jit.ir.schema import match_schema
from minitorch_jit.ir.types import INT, ListType, TensorType, Type, is_float, type_of_constant

from .effects import has_writes, writes

# structural nodes a region may hold: they move tensors in and out of lists
_LIST_NODES = ("prim::ListConstruct", "prim::ListUnpack")


class NotDifferentiable(Exception):
    """``node`` cannot be in a differentiable graph, for ``reason``."""

    def __init__(self, node: Node, reason: str):
        super().__init__(f"{node.kind}: {reason}")
        self.node = node
        self.reason = reason


@dataclass
class Gradient:
    """The result of :func:`differentiate`. ``forward``'s outputs are the graph's own
    (``num_outputs`` of them) followed by the saved values; ``backward``'s inputs are the
    gradients of the outputs listed in ``grad_outputs``, followed by the saved values, and its
    outputs one gradient per input listed in ``grad_inputs`` (None where no gradient flows)."""
    forward: Graph
    backward: Graph
    num_outputs: int
    grad_outputs: List[int]
    grad_inputs: List[int]
    saved_inputs: List[int] = field(default_factory=list)  # saved values that are inputs of the graph

    @property
    def num_saved(self) -> int:
        return len(self.forward.outputs) - self.num_outputs


def may_require_grad(t: Optional[Type]) -> bool:
    """Can a value of this type require grad? Tensors of float (or unknown) dtype."""
    return isinstance(t, TensorType) and (t.dtype is None or is_float(t.dtype))


def refusal(node: Node, writes_in_graph: bool = False) -> Optional[str]:
    """Why ``node`` cannot be in a differentiable graph (None when it can): the checks made
    before any formula runs. ``writes_in_graph``: the graph around it has in-place ops, so its
    views must stay on the tape, which follows what writes through them."""
    if node.kind == "prim::Constant" or node.kind in _LIST_NODES:
        return None
    if node.blocks:
        return "control flow stays outside differentiable graphs"
    op = registry.node_op(node)
    if op is None:
        return "not a registry op"
    if writes(node):
        return "in-place op: left to the eager tape, which tracks versions and views"
    if op.side_effects or op.random or op.once_per_call:
        return "has side effects or draws random numbers"
    if op.view and writes_in_graph:
        return "a view in a graph with in-place ops: left to the eager tape"
    if op.when_recorded is not None:
        return "records a different op for autograd"
    if op.differentiable and op.derivative is None and any(may_require_grad(v.type) for v in node.inputs) and \
            any(may_require_grad(o.type) for o in node.outputs):  # comparisons make no gradient
        return "has no derivative formula"
    return None


# -- symbols: backward-graph values the formulas compute on ------------------------------------


class Symbol:
    """A value of the graph being built, standing in for a Tensor (or number) in a formula."""
    __slots__ = ("builder", "value")

    def __init__(self, builder: "_Builder", value: Value):
        self.builder = builder
        self.value = value

    def registry_call(self, namespace: str, name: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
        """The dispatcher's entry for calls with symbolic arguments (``torch.where(c, g, 0.)``)."""
        return self.builder.call(namespace, name, args, kwargs)

    @property
    def type(self) -> Type:
        return self.value.type

    def dim(self) -> int:
        t = self.value.type
        if not isinstance(t, TensorType) or t.sizes is None:
            raise self.builder.unknown("the rank of a tensor")
        return len(t.sizes)

    @property
    def shape(self) -> "_Sizes":
        return _Sizes(self)

    def size(self, dim: Optional[int] = None) -> Any:
        return self.shape if dim is None else self.builder.call("Tensor", "size", (self, dim), {})

    def __bool__(self) -> bool:
        raise self.builder.unknown("a value as a Python bool")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.builder.call("Tensor", name, (self,) + args, kwargs)


class _Sizes(Sequence[Any]):
    """A Symbol's ``shape``: each size read (``aten::size``) only when the formula reads it."""

    def __init__(self, symbol: Symbol):
        self.symbol = symbol
        self.rank = symbol.dim()

    def __len__(self) -> int:
        return self.rank

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self[k] for k in range(self.rank)[i])
        k = range(self.rank)[i]  # IndexError past the end, as a tuple's
        return self.symbol.builder.call("Tensor", "size", (self.symbol, k), {})


def _operator(name: str) -> Any:
    reflected = name.startswith("__r")

    def method(self: Symbol, *args: Any) -> Any:
        call_args = (args[0], self) + args[1:] if reflected else (self,) + args
        return self.builder.call("Tensor", name, call_args, {})
    method.__name__ = name
    return method


for _name in ("add", "sub", "mul", "truediv", "pow", "and", "or"):
    for _form in (f"__{_name}__", f"__r{_name}__"):
        setattr(Symbol, _form, _operator(_form))
for _form in ("__neg__", "__invert__", "__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__"):
    setattr(Symbol, _form, _operator(_form))
Symbol.__hash__ = object.__hash__  # type: ignore[method-assign]  # __eq__ builds a node


class _Builder:
    """Emits nodes into ``graph`` for calls of the formulas (on behalf of ``node``)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.node: Optional[Node] = None  # the forward node whose formula runs

    def unknown(self, what: str) -> NotDifferentiable:
        assert self.node is not None
        return NotDifferentiable(self.node, f"its derivative formula reads {what}, which the graph does not know")

    def constant(self, value: Any) -> Value:
        return self.graph.insert_constant(value)

    def value(self, x: Any) -> Value:
        if isinstance(x, Symbol):
            return x.value
        if isinstance(x, (list, tuple)) and any(isinstance(e, Symbol) for e in x):
            items = [self.value(e) for e in x]
            return self.graph.insert("prim::ListConstruct", items, [ListType(items[0].type)]).output
        return self.constant(list(x) if isinstance(x, tuple) else x)

    def type_of(self, x: Any) -> Type:
        if isinstance(x, Symbol):
            return x.type
        if isinstance(x, (list, tuple)) and any(isinstance(e, Symbol) for e in x):
            return ListType(self.type_of(next(e for e in x if isinstance(e, Symbol))))
        try:
            return type_of_constant(list(x) if isinstance(x, tuple) else x)
        except (TypeError, ValueError):
            raise self.unknown(f"a Python value {x!r} of no graph type") from None

    def call(self, namespace: str, name: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
        """Emit the overload of ``<namespace>.<name>`` that takes these arguments."""
        # call_op("aten::select_backward", ...) names one overload; others are Python names
        ops = [registry.get(name)] if "::" in name else registry.python_overloads(namespace, name)
        for exact in (True, False):
            for op in ops:
                bound = _bind(op, args, kwargs)
                if bound is None:
                    continue
                types = [self.type_of(b) for b in bound]
                if match_schema(op.schema, types, exact) is not None:
                    return self.emit(op, bound)
        assert self.node is not None
        what = name if "::" in name else f"{namespace}.{name}"
        raise NotDifferentiable(self.node, f"its derivative formula calls {what} with arguments "
                                           f"no overload takes on graph values")

    def emit(self, op: OpDef, bound: List[Any]) -> Any:
        while bound and op.schema.arguments[len(bound) - 1].has_default and \
                not isinstance(bound[-1], Symbol) and _same(bound[-1], op.schema.arguments[len(bound) - 1].default):
            bound = bound[:-1]  # trailing arguments at their defaults are left out, as printed graphs do
        inputs = [self.value(b) for b in bound]
        consts = [v.constant if v.node.kind == "prim::Constant" else registry.UNKNOWN for v in inputs]
        types = op.output_types([v.type for v in inputs], consts)
        node = self.graph.insert(op.name, inputs, types)
        if registry.node_op(node) is not op:
            raise NotDifferentiable(self.node or node, f"{op.qualified_name} does not resolve back from its inputs")
        outs = [Symbol(self, o) for o in node.outputs]
        if len(outs) == 1 and isinstance(types[0], ListType) and isinstance(types[0].elem, TensorType):
            return outs[0]  # a Tensor[] stays a list value (torch.cat of it)
        return outs[0] if len(outs) == 1 else tuple(outs)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _bind(op: OpDef, args: Sequence[Any], kwargs: Dict[str, Any]) -> Optional[List[Any]]:
    formals = op.schema.arguments
    if op.schema.is_vararg or len(args) > len(formals):
        return None
    out = list(args)
    for a in formals[len(args):]:
        if a.name in kwargs:
            out.append(kwargs[a.name])
        elif a.has_default:
            out.append(list(a.default) if isinstance(a.default, list) else a.default)
        else:
            return None
    if set(kwargs) - {a.name for a in formals[len(args):]}:
        return None
    return out


class _Context:
    """What a formula sees (the eager tape's ``autograd.graph.Context``, on graph values):
    ``ctx[i]`` reads argument i in the backward (saving or recomputing it only when read),
    ``ctx.out`` the result, ``ctx.needs(i)``, ``ctx.shape(i)`` when the type knows it."""

    def __init__(self, diff: "_Differentiator", node: Node, needs: Sequence[bool]):
        self.diff = diff
        self.node = node
        self._needs = needs

    def __getitem__(self, i: int) -> Any:
        if i >= len(self.node.inputs):  # a trailing argument the node leaves at its default
            op = registry.node_op(self.node)
            assert op is not None
            return op.schema.arguments[i].default
        return self.diff.read(self.node.inputs[i])

    def __len__(self) -> int:
        op = registry.node_op(self.node)
        return len(op.schema.arguments) if op is not None else len(self.node.inputs)

    @property
    def out(self) -> Any:
        outs = [self.diff.read(o) for o in self.node.outputs]
        return outs[0] if len(outs) == 1 else outs

    def needs(self, i: int) -> bool:
        return i < len(self._needs) and self._needs[i]

    def shape(self, i: int) -> Any:
        """Input i's sizes: ints where its type knows them, else read from its sizes (saved by
        the forward, not the tensor); the rank must be known."""
        v = self.node.inputs[i]
        t = v.type
        if not isinstance(t, TensorType) or t.sizes is None:
            raise NotDifferentiable(self.node, "its derivative formula reads the shape of an input whose rank "
                                               "the graph does not know")
        if all(s is not None for s in t.sizes):
            return tuple(t.sizes)
        sizes = self.diff.saved_size(v)
        return tuple(s if s is not None else self.diff.builder.call("aten", "__getitem__", (sizes, k), {})
                     for k, s in enumerate(t.sizes))


class _Differentiator:
    def __init__(self, graph: Graph, requires_grad: Sequence[bool]):
        self.source = graph
        self.forward = graph.copy()
        self.fw_env = dict(zip(graph.inputs, self.forward.inputs))
        for n_src, n_fw in zip(graph.nodes, self.forward.nodes):
            self.fw_env.update(zip(n_src.outputs, n_fw.outputs))
        self.backward = Graph()
        self.builder = _Builder(self.backward)
        self.in_bw: Dict[Value, Value] = {}   # source value -> its value in the backward
        self.saved: List[Value] = []          # source values (or forward-only values) saved
        self.saved_fw: List[Value] = []       # their values in the forward
        self.sizes: Dict[Value, Symbol] = {}  # source value -> its saved sizes
        self.requires = {v: bool(r) and may_require_grad(v.type) for v, r in zip(graph.inputs, requires_grad)}

    # -- what requires grad ---------------------------------------------------------------------
    def propagate(self) -> None:
        writes = has_writes(self.source)
        for node in self.source.nodes:
            why = refusal(node, writes)
            if why is not None:
                raise NotDifferentiable(node, why)
            op = registry.node_op(node)
            differentiable = node.kind in _LIST_NODES or (op is not None and op.differentiable)
            flows = differentiable and any(self.requires.get(v, False) for v in node.inputs)
            if flows and node.kind not in _LIST_NODES and \
                    any(_holds_tensors(o.type) and not _tensor_or_list(o.type) for o in node.outputs):
                raise NotDifferentiable(node, "puts values that require grad into a container")
            for o in node.outputs:
                self.requires[o] = flows and (may_require_grad(o.type) or
                                              (isinstance(o.type, ListType) and may_require_grad(o.type.elem)))

    # -- forward values in the backward -------------------------------------------------------
    def read(self, v: Value) -> Any:
        """``v`` (a value of the source graph) as a formula reads it: a constant's value, else
        a Symbol of its value in the backward (recomputed or saved)."""
        if v.node.kind == "prim::Constant":
            return v.constant
        if v.node.kind == "prim::ListConstruct" and all(i.node.kind == "prim::Constant" for i in v.node.inputs):
            return [i.constant for i in v.node.inputs]
        return Symbol(self.builder, self.bw_value(v))

    def bw_value(self, v: Value) -> Value:
        if v in self.in_bw:
            return self.in_bw[v]
        node = v.node
        op = registry.node_op(node) if node.kind != "prim::Constant" else None
        if node.kind == "prim::Constant":
            self.in_bw[v] = self.backward.insert_node(self.backward.clone_node(node, lambda x: x)).output
        elif op is not None and op.pointwise and len(node.outputs) == 1 and node.graph is self.source:
            ins = {i: self.bw_value(i) for i in node.inputs}
            self.in_bw[v] = self.backward.insert_node(self.backward.clone_node(node, ins.__getitem__)).output
        else:
            self.in_bw[v] = self._save(self.fw_env[v], v.type, v.name)
        return self.in_bw[v]

    def _save(self, fw: Value, t: Type, name: Optional[str]) -> Value:
        self.saved_fw.append(fw)
        return self.backward.add_input(t, name)

    def saved_size(self, v: Value) -> Any:
        """The sizes of source value ``v``: a constant list when its type knows them, else
        ``aten::size`` of it computed in the forward and saved (the tensor is not kept)."""
        t = v.type
        assert isinstance(t, TensorType)
        if t.sizes is not None and all(s is not None for s in t.sizes):
            return list(t.sizes)
        if v not in self.sizes:
            fw = self.fw_env[v]
            with self.forward.inserting_before(self.forward.block.return_node):
                size = self.forward.insert("aten::size", [fw], [ListType(INT)]).output
            self.sizes[v] = Symbol(self.builder, self._save(size, ListType(INT), None))
        return self.sizes[v]

    # -- gradients ----------------------------------------------------------------------------
    def run(self) -> Gradient:
        self.propagate()
        src = self.source
        grads: Dict[Value, Any] = {}
        grad_outputs = []
        for k, o in enumerate(src.outputs):
            if self.requires.get(o, False) and not isinstance(o.type, TensorType):
                raise NotDifferentiable(o.node, f"its result, of type {o.type}, leaves the differentiable graph "
                                                "while it requires grad")
            if self.requires.get(o, False) and o not in grads:
                grad_outputs.append(k)
                grads[o] = Symbol(self.builder, self.backward.add_input(o.type, f"grad_{o.name or k}"))
            elif self.requires.get(o, False):
                grad_outputs.append(k)  # an output returned twice: its gradients add up
                extra = Symbol(self.builder, self.backward.add_input(o.type, f"grad_{o.name or k}"))
                grads[o] = grads[o] + extra
        for node in reversed(list(src.nodes)):
            if node.kind == "prim::Constant" or not any(o in grads for o in node.outputs):
                continue
            needs = [self.requires.get(v, False) for v in node.inputs]
            if not any(needs):
                continue
            self.builder.node = node
            if node.kind == "prim::ListUnpack":
                items = [grads.get(o) for o in node.outputs]
                items = [x if x is not None else self.read(o).zeros_like() for x, o in zip(items, node.outputs)]
                self._add(grads, node.inputs[0], items)
                continue
            if node.kind == "prim::ListConstruct":
                items = grads[node.output]
                for v, g in zip(node.inputs, items):
                    if g is not None and self.requires.get(v, False):
                        self._add(grads, v, self._fit(node, g, v))
                continue
            results = self._formula(node, grads, needs)
            for i, (v, g) in enumerate(zip(node.inputs, results)):
                if g is None or not needs[i]:
                    continue
                if isinstance(v.type, ListType):
                    self._add(grads, v, list(g))
                else:
                    self._add(grads, v, self._fit(node, g, v))
        grad_inputs = [i for i, v in enumerate(src.inputs) if self.requires[v]]
        for i in grad_inputs:
            g = grads.get(src.inputs[i])
            self.backward.register_output(g.value if isinstance(g, Symbol) else self.builder.constant(None))
        for fw in self.saved_fw:
            self.forward.register_output(fw)
        saved_inputs = [i for i, fw in enumerate(self.saved_fw) if fw in self.forward.inputs]
        verify(self.forward)
        verify(self.backward)
        return Gradient(self.forward, self.backward, len(src.outputs), grad_outputs, grad_inputs, saved_inputs)

    def _formula(self, node: Node, grads: Dict[Value, Any], needs: List[bool]) -> Sequence[Any]:
        op = registry.node_op(node)
        assert op is not None and op.derivative is not None
        outs = node.outputs
        if len(outs) == 1:
            g = grads[outs[0]]
        else:
            g = [grads[o] if o in grads else self.read(o).zeros_like() for o in outs]
        ctx = _Context(self, node, needs)
        try:
            results = op.derivative(ctx, g)
        except NotDifferentiable:
            raise
        except Exception as e:  # noqa: BLE001 - a formula that cannot run on graph values
            raise NotDifferentiable(node, f"its derivative formula does not run on graph values "
                                          f"({type(e).__name__}: {e})") from None
        return list(results) + [None] * (len(node.inputs) - len(results))

    def _fit(self, node: Node, g: Any, v: Value) -> Any:
        """``g`` brought to the shape of ``v`` (summed over broadcast dims), as the tape's OpNode.fit."""
        if not isinstance(g, Symbol):
            raise NotDifferentiable(node, "its derivative formula gave a gradient that is not a graph value")
        gt, vt = g.type, v.type
        if isinstance(gt, TensorType) and isinstance(vt, TensorType) and gt.dtype != vt.dtype:
            raise NotDifferentiable(node, f"mixes dtypes ({gt.dtype} gradient for a {vt.dtype} input)")
        if _may_broadcast(vt, gt):
            summed = self.builder.call("Tensor", "sum_to_size", (g, self.saved_size(v)), {})
            assert isinstance(vt, TensorType)
            summed.value.type = TensorType(vt.dtype, vt.sizes)  # v's shape, which the rule cannot see in a list
            return summed
        return g

    def _add(self, grads: Dict[Value, Any], v: Value, g: Any) -> None:
        if v not in grads:
            grads[v] = g
        elif isinstance(g, list):
            grads[v] = [a if b is None else b if a is None else a + b for a, b in zip(grads[v], g)]
        else:
            grads[v] = grads[v] + g


def _tensor_or_list(t: Type) -> bool:
    return isinstance(t, TensorType) or (isinstance(t, ListType) and isinstance(t.elem, TensorType))


def _holds_tensors(t: Type) -> bool:
    if isinstance(t, TensorType):
        return True
    return any(_holds_tensors(e) for e in getattr(t, "elems", ())) or \
        (getattr(t, "elem", None) is not None and _holds_tensors(t.elem))  # type: ignore[attr-defined]


def _may_broadcast(input_type: Type, grad_type: Type) -> bool:
    """Can a gradient of ``grad_type`` have another shape than its input of ``input_type``?
    Dims printed ``*`` are taken as not 1 (see the module docstring)."""
    if not (isinstance(input_type, TensorType) and isinstance(grad_type, TensorType)):
        return True
    a, b = input_type.sizes, grad_type.sizes
    if a is None or b is None or len(a) != len(b):
        return True
    return any(x != y and (x == 1 or y == 1 or (x is not None and y is not None)) for x, y in zip(a, b))


def differentiate(graph: Graph, requires_grad: Sequence[bool]) -> Gradient:
    """Forward and backward graphs of the straight-line ``graph`` for inputs of which
    ``requires_grad`` says which require grad (see the module docstring). Raises
    :class:`NotDifferentiable` naming the first node that cannot be differentiated here."""
    return _Differentiator(graph, requires_grad).run()


__all__ = ["Gradient", "NotDifferentiable", "Symbol", "differentiate", "refusal", "may_require_grad"]

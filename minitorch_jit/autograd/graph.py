"""The recorded graph: backward nodes, the tensors they save, and what a formula sees.

A node is one backward function. ``next_functions`` holds an edge per differentiable input of
the forward op: ``(node, input_nr)`` — the node that made that input (and which of its
outputs it was), its leaf's ``AccumulateGrad``, or ``(None, 0)`` for an input that does not
require grad. ``apply`` takes the gradients of the node's outputs and returns one gradient per
edge. Formulas live beside their ops in the registry (``OpDef.derivative``); an
:class:`OpNode` runs one with a :class:`Context` over what the forward saved.
"""
from __future__ import annotations

import itertools
import traceback
import warnings
import weakref
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .. import dtypes
from ..tensor import Tensor
from . import anomaly

Edge = Tuple[Optional["Node"], int]
NO_EDGE: Edge = (None, 0)
_SEQUENCE = itertools.count()

FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
         "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
         "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
         "if you need to access saved tensors after calling backward.")


class Node:
    """A backward function of the graph."""

    def __init__(self, next_functions: Sequence[Edge] = ()) -> None:
        self.next_functions: Tuple[Edge, ...] = tuple(next_functions)
        self._sequence_nr = next(_SEQUENCE)
        self.tensor_hooks: Dict[int, List[Callable[[Tensor], Any]]] = {}  # per output: Tensor.register_hook
        self.metadata: Dict[str, Any] = {}
        self.forward_trace: Optional[List[str]] = None
        if anomaly.state.enabled:
            self.forward_trace = traceback.format_stack()[:-3]

    def name(self) -> str:
        return type(self).__name__

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        raise NotImplementedError

    def __call__(self, *grads: Optional[Tensor]) -> Sequence[Optional[Tensor]]:
        return self.apply(list(grads))

    def release(self) -> None:
        """Free what the forward saved (after a backward without ``retain_graph``)."""

    def output_meta(self, nr: int) -> Optional[Tuple[Tuple[int, ...], Any]]:
        """(shape, numpy dtype) of output ``nr``, for a zero gradient where none arrived."""
        return None

    def run(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        """``apply``, naming the forward call that made this node when anomaly detection is on."""
        if self.forward_trace is None:
            return self.apply(grads)
        try:
            return self.apply(grads)
        except Exception:
            warnings.warn(f"Error detected in {self.name()}. Traceback of forward call that caused the error:\n"
                          + "".join(self.forward_trace), UserWarning, stacklevel=2)
            raise

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad(Node):
    """The sink of a leaf that requires grad: the engine adds what arrives into ``.grad``."""

    def __init__(self, variable: Tensor) -> None:
        super().__init__()
        self.variable = variable

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        return ()


def accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node: one per leaf while anything holds it."""
    meta = t._get_meta()
    node = meta.accumulator() if meta.accumulator is not None else None
    if node is None:
        node = AccumulateGrad(t)
        meta.accumulator = weakref.ref(node)
    return node


def edge_of(t: Tensor) -> Edge:
    """Where the gradient of ``t`` goes."""
    if not t._requires_grad:
        return NO_EDGE
    if t.grad_fn is None:
        return (accumulator(t), 0)
    meta = t._meta
    if meta is not None and meta.view_base is not None and meta.view_version != t._version:
        refresh_view(t)
    return (t.grad_fn, t.output_nr)


def refresh_view(t: Tensor) -> None:
    """A view whose base was written in place through another view: its grad_fn is rebuilt
    on the base's current one (PyTorch regenerates it the same way, by the version counter)."""
    meta = t._meta
    assert meta is not None
    from .grad_mode import enable_grad
    with enable_grad():
        fresh = meta.view_fn(meta.view_base)
    t.grad_fn = fresh.grad_fn
    t._requires_grad = fresh._requires_grad
    meta.output_nr = fresh.output_nr
    meta.view_version = t._version


# -- saved tensors --------------------------------------------------------------------------


def type_string(t: Tensor) -> str:
    return f"[{dtypes.legacy_type_name(t._a.dtype.name)} {list(t._a.shape)}]"


def _modified(t: Tensor, version: int, now: int, producer: Optional[Node]) -> RuntimeError:
    where = f", which is output {t.output_nr} of {producer.name()}," if producer is not None else ""
    hint = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable "
            "in question was changed in there or anywhere later. Good luck!") if anomaly.state.enabled else (
        "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True).")
    return RuntimeError(f"one of the variables needed for gradient computation has been modified by an inplace "
                        f"operation: {type_string(t)}{where} is at version {now}; expected version {version} "
                        f"instead. {hint}")


class SavedTensor:
    """An input the forward saved, with its version then: unpacking checks nothing wrote it since."""
    __slots__ = ("tensor", "version")

    def __init__(self, tensor: Tensor, version: int) -> None:
        self.tensor = tensor
        self.version = version

    def unpack(self) -> Tensor:
        t = self.tensor
        if t._version != self.version:
            raise _modified(t, self.version, t._version, t.grad_fn)
        return t


class SavedOutput:
    """An output the forward saved: its array and version box, not the Tensor (which holds
    the node: no reference cycle). Unpacked, it is a tensor whose grad_fn is the node."""
    __slots__ = ("array", "box", "version", "nr", "requires_grad")

    def __init__(self, t: Tensor, nr: int) -> None:
        self.array = t._a
        self.box = t._box()
        self.version = self.box.v
        self.nr = nr
        self.requires_grad = t._a.dtype.kind == "f"  # the node being made is about to become its grad_fn

    def unpack(self, node: Node) -> Tensor:
        t = Tensor._wrap(self.array)
        t._version_box = self.box
        if self.requires_grad:
            t._requires_grad = True
            t.grad_fn = node
            t._get_meta().output_nr = self.nr
        if self.box.v != self.version:
            raise _modified(t, self.version, self.box.v, node)
        return t


def _save(v: Any, version: Optional[int] = None) -> Any:
    if isinstance(v, Tensor):
        return SavedTensor(v, v._version if version is None else version)
    if isinstance(v, list) and any(isinstance(x, Tensor) for x in v):
        return [_save(x) for x in v]
    return v


class Context:
    """What a formula sees: ``ctx[i]`` is the forward's argument i (a saved tensor is checked
    for in-place writes when read), ``ctx.out`` its result, ``ctx.needs(i)`` whether argument i
    wants a gradient. ``ctx.node`` is the node being run."""
    __slots__ = ("_args", "_out", "_needs", "_shapes", "node", "released")

    def __init__(self, args: Sequence[Any], out: Any, needs: Sequence[bool], written: Sequence[int] = ()) -> None:
        # an argument the op wrote is saved as it was before: its version less the op's own write
        self._args = [_save(a, a._version - 1 if i in written and isinstance(a, Tensor) else None)
                      for i, a in enumerate(args)]
        self._shapes = [a._a.shape if isinstance(a, Tensor) else
                        [x._a.shape if isinstance(x, Tensor) else None for x in a]
                        if isinstance(a, list) and any(isinstance(x, Tensor) for x in a) else None
                        for a in args]
        if isinstance(out, (tuple, list)):
            self._out: Any = [SavedOutput(o, i) if isinstance(o, Tensor) else o for i, o in enumerate(out)]
        else:
            self._out = SavedOutput(out, 0) if isinstance(out, Tensor) else out
        self._needs = needs
        self.node: Any = None
        self.released = False

    def __getitem__(self, i: int) -> Any:
        if self.released:
            raise RuntimeError(FREED)
        a = self._args[i]
        if isinstance(a, SavedTensor):
            return a.unpack()
        if isinstance(a, list) and any(isinstance(x, SavedTensor) for x in a):
            return [x.unpack() if isinstance(x, SavedTensor) else x for x in a]
        return a

    def __len__(self) -> int:
        return len(self._args)

    @property
    def out(self) -> Any:
        if self.released:
            raise RuntimeError(FREED)
        o = self._out
        if isinstance(o, list):
            return [x.unpack(self.node) if isinstance(x, SavedOutput) else x for x in o]
        return o.unpack(self.node) if isinstance(o, SavedOutput) else o

    def needs(self, i: int) -> bool:
        return self._needs[i]

    def shape(self, i: int) -> Any:
        """The shape of tensor argument i (a list of shapes for a Tensor[]), without reading the
        tensor: formulas that need only shapes do not fail when the tensor was written since."""
        return self._shapes[i]

    def release(self) -> None:
        self.released = True
        self._args = []
        self._out = None


_CLASSES: Dict[str, type] = {}


def node_class(name: str, base: type) -> type:
    """A Node subclass per backward function name (``MulBackward0``), as PyTorch's are."""
    cls = _CLASSES.get(name)
    if cls is None:
        cls = _CLASSES[name] = type(name, (base,), {})
    return cls


def zeros_for(meta: Tuple[Tuple[int, ...], Any]) -> Tensor:
    import numpy as np
    shape, dtype = meta
    return Tensor._wrap(np.zeros(shape, dtype))


class OpNode(Node):
    """The backward of one registry op: runs the op's formula and fits each gradient to its
    input (summed over broadcast dims, cast to its dtype), as PyTorch's engine does."""

    def __init__(self, op: Any, ctx: Context, edges: Sequence[Edge], slots: Sequence[Tuple[int, int]],
                 inputs_meta: Sequence[Tuple[Tuple[int, ...], Any]],
                 outputs_meta: Sequence[Tuple[Tuple[int, ...], Any]]) -> None:
        super().__init__(edges)
        self.op = op
        self.ctx = ctx
        ctx.node = self
        self.slots = slots              # per edge: (argument index, index in a Tensor[] or -1)
        self.inputs_meta = inputs_meta  # per edge: (shape, dtype) of that input
        self.outputs_meta = outputs_meta

    def output_meta(self, nr: int) -> Optional[Tuple[Tuple[int, ...], Any]]:
        return self.outputs_meta[nr]

    def release(self) -> None:
        self.ctx.release()

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        if self.ctx.released:
            raise RuntimeError(FREED)
        # an op returning one tensor gets that gradient; one returning several (or a Tensor[],
        # even of length 1: unbind of a size-1 dim) gets the list
        if not isinstance(self.ctx._out, list):
            results = self.op.derivative(self.ctx, grads[0])
        else:  # outputs no gradient reached get zeros (the engine's buffer stops at the last that got one)
            grads = grads + [None] * (len(self.outputs_meta) - len(grads))
            full = [g if g is not None else zeros_for(m) for g, m in zip(grads, self.outputs_meta)]
            results = self.op.derivative(self.ctx, full)
        out: List[Optional[Tensor]] = []
        for k, ((arg, item), meta) in enumerate(zip(self.slots, self.inputs_meta)):
            g = results[arg] if arg < len(results) else None
            if g is not None and item >= 0:
                g = g[item]
            out.append(None if g is None else self.fit(g, meta, k))
        return out

    def fit(self, g: Tensor, meta: Tuple[Tuple[int, ...], Any], k: int) -> Tensor:
        shape, dtype = meta
        if g._a.shape != shape:
            try:
                g = g.sum_to_size(list(shape))
            except RuntimeError:
                raise RuntimeError(f"Function {self.name()} returned an invalid gradient at index {k} - got "
                                   f"{list(g._a.shape)} but expected shape compatible with {list(shape)}") from None
        if g._a.dtype != dtype:
            g = g.to(dtypes.BY_NAME[dtype.name])
        return g


class NotImplementedNode(OpNode):
    """The backward of an op that has no formula yet: raising here, never a wrong zero."""

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        raise RuntimeError(f"the derivative for '{self.op.name}' is not implemented in minitorch_jit")


class CopySlices(Node):
    """An in-place op on a view, seen from the view's base: the base's gradient passes through
    except in the viewed region, where the in-place op's own backward decides."""

    def __init__(self, base_edge: Edge, view_fn: Callable[[Tensor], Tensor], fn: OpNode,
                 base_meta: Tuple[Tuple[int, ...], Any]) -> None:
        super().__init__((base_edge,) + fn.next_functions[1:])
        self.view_fn = view_fn
        self.fn = fn
        self.base_meta = base_meta

    def output_meta(self, nr: int) -> Optional[Tuple[Tuple[int, ...], Any]]:
        return self.base_meta

    def release(self) -> None:
        self.fn.release()

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        g = grads[0]
        assert g is not None
        result = g.clone()
        region = self.view_fn(result)
        res = self.fn.apply([region.clone()])
        if res[0] is None:
            region.zero_()
        else:
            region.copy_(res[0])
        return [result] + list(res[1:])

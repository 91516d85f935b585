"""``torch.autograd.Function``: a user's forward and backward as one node of the graph."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from ..tensor import Tensor
from . import graph
from .grad_mode import is_grad_enabled, no_grad


class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable``, ``mark_dirty``, and any attribute."""

    def __init__(self) -> None:
        self._saved: Optional[List[Any]] = None
        self.needs_input_grad: Tuple[bool, ...] = ()
        self.non_differentiable: List[Tensor] = []
        self.dirty: List[Tensor] = []
        self.materialize_grads = True
        self._released = False

    def save_for_backward(self, *tensors: Optional[Tensor]) -> None:
        self._saved = [None if t is None else graph.SavedTensor(t, t._version) for t in tensors]

    @property
    def saved_tensors(self) -> Tuple[Optional[Tensor], ...]:
        if self._released:
            raise RuntimeError(graph.FREED)
        return tuple(None if s is None else s.unpack() for s in (self._saved or []))

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self.non_differentiable.extend(tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        self.dirty.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(graph.Node):
    """The node of one application of a custom Function (named ``<Name>Backward``)."""

    def __init__(self, fn: Any, ctx: FunctionCtx, edges: Sequence[graph.Edge], positions: Sequence[int],
                 outputs_meta: Sequence[Any]) -> None:
        super().__init__(edges)
        self.fn = fn
        self.ctx = ctx
        self.positions = positions
        self.outputs_meta = outputs_meta

    def output_meta(self, nr: int) -> Any:
        return self.outputs_meta[nr]

    def release(self) -> None:
        self.ctx._released = True
        self.ctx._saved = None

    def apply(self, grads: List[Optional[Tensor]]) -> Sequence[Optional[Tensor]]:
        grads = grads + [None] * (len(self.outputs_meta) - len(grads))
        if self.ctx.materialize_grads:
            grads = [g if g is not None else graph.zeros_for(m) for g, m in zip(grads, self.outputs_meta)]
        result = self.fn.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        needed = max(self.positions) + 1 if self.positions else 0
        if len(result) < needed:
            raise RuntimeError(f"function {type(self).__name__} returned an incorrect number of gradients "
                               f"(expected {needed}, got {len(result)})")
        return [result[p] for p in self.positions]


# Set by the tracer (which sits above autograd): ``hook(cls, args, run)`` applies the Function
# with ``run(args) -> (result, ctx)``, recording the application as one node while a trace
# records. Unset, or with no trace running, ``apply`` just runs it.
trace_hook: Optional[Callable[[type, Tuple[Any, ...], Callable[..., Any]], Any]] = None


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call ``.apply``."""

    _node_class: Optional[type] = None

    @classmethod
    def apply(cls, *args: Any) -> Any:
        if trace_hook is not None:
            return trace_hook(cls, args, cls._run)
        return cls._run(args)[0]

    @classmethod
    def _run(cls, args: Tuple[Any, ...]) -> Tuple[Any, FunctionCtx]:
        """The application: its result, and the ctx its forward filled."""
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        if not record:
            return out, ctx
        outputs = out if isinstance(out, tuple) else (out,)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a._a.dtype.kind == "f"]
        edges = [graph.edge_of(args[i]) for i in positions]
        if cls._node_class is None or cls._node_class.__name__ != f"{cls.__name__}Backward":
            cls._node_class = type(f"{cls.__name__}Backward", (BackwardCFunction,), {})
        metas = [(o._a.shape, o._a.dtype) if isinstance(o, Tensor) else ((), None) for o in outputs]
        node = cls._node_class(cls, ctx, edges, positions, metas)
        wrapped = []
        for nr, o in enumerate(outputs):
            if isinstance(o, Tensor):
                if any(o is a for a in args) and not any(o is d for d in ctx.dirty):
                    o = o.view_as(o)  # an input returned as is: a new tensor, as in PyTorch
                if o._a.dtype.kind == "f" and not any(o is n for n in ctx.non_differentiable):
                    o.grad_fn = node
                    o._requires_grad = True
                    o._get_meta().output_nr = nr
            wrapped.append(o)
        return (tuple(wrapped) if isinstance(out, tuple) else wrapped[0]), ctx

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

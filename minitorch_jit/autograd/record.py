"""Recording the tape: what the dispatcher tells autograd about each op call.

``before_write`` refuses in-place writes autograd could not follow; ``after_call`` keeps the
version counters (bumped by in-place writes, shared by views), marks views with their base so
that an in-place write through a view reaches the base's gradient (:class:`graph.CopySlices`),
and, in grad mode with an input that requires grad, gives the results a backward node.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

from ..ir import registry
from ..tensor import Tensor
from . import graph
from .grad_mode import is_grad_enabled

Replay = Callable[[Any, List[Any]], Any]  # dispatch.run: replays a view op on another base

_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_LEAF_VIEW = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_MULTI = ("Output {nr} of {name} is a view and is being modified inplace. This view is the output of a function "
          "that returns multiple views. Such functions do not allow the output views to be modified inplace. You "
          "should replace the inplace operation by an out-of-place one.")


def _requires_grad(v: Any) -> bool:
    if isinstance(v, Tensor):
        return v._requires_grad
    return isinstance(v, list) and any(isinstance(x, Tensor) and x._requires_grad for x in v)


def before_write(op: Any, bound: List[Any], replay: Replay) -> Optional[Tensor]:
    """Refuse an in-place write into a leaf that requires grad (or a view of one). For an op
    whose formula reads the input it overwrites (``op.saves_self``), return that input's
    clone, made now on the tape (so that a ``create_graph`` backward reaches its history)."""
    if not is_grad_enabled():
        return None
    for i in op.written:
        t = bound[i]
        if not isinstance(t, Tensor):
            continue
        if t._requires_grad and t.grad_fn is None:
            raise RuntimeError(_LEAF)
        meta = t._meta
        if meta is not None and meta.view_base is not None:
            base = meta.view_base
            if base._requires_grad and base.grad_fn is None:
                raise RuntimeError(_LEAF_VIEW)
            if meta.view_fn is None and (t._requires_grad or any(_requires_grad(b) for b in bound)):
                name = t.grad_fn.name() if t.grad_fn is not None else op.node_name
                raise RuntimeError(_MULTI.format(nr=meta.output_nr, name=name))
    if op.saves_self and isinstance(bound[0], Tensor) and any(_requires_grad(b) for b in bound):
        return replay(registry.get("aten::clone"), [bound[0]])
    return None


def after_call(op: Any, bound: List[Any], result: Any, replay: Replay, original: Optional[Tensor] = None) -> Any:
    """``original``: what before_write saved of the input the op overwrote."""
    cond = op.writes_if_arg
    if cond is None or bound[cond]:
        for i in op.written:
            if isinstance(bound[i], Tensor):
                bound[i]._box().v += 1
    view_arg = op.view_arg
    if view_arg is not None:
        _share_versions(bound[view_arg], result)
    if not is_grad_enabled():
        return result
    rg = op.requires_grad_arg
    if rg is not None and bound[rg]:
        result.requires_grad_(True) if result._a.dtype.kind == "f" else _no_int_grad()
        return result
    if not op.differentiable:
        return result
    if not any(_requires_grad(b) for b in bound):
        if view_arg is not None and isinstance(result, Tensor):
            _mark_view(op, bound, result, replay, None)
        return result
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    if not any(isinstance(o, Tensor) and o._a.dtype.kind == "f" for o in outputs):
        return result
    node = _make_node(op, bound, result, outputs, original)
    if op.written and result is bound[op.written[0]]:
        _rebase(op, result, node, replay)
        return result
    for nr, o in enumerate(outputs):
        if isinstance(o, Tensor) and o._a.dtype.kind == "f" and not any(o is b for b in bound):
            o.grad_fn = node
            o._requires_grad = True
            if nr:
                o._get_meta().output_nr = nr
    if view_arg is not None:
        if isinstance(result, Tensor):
            _mark_view(op, bound, result, replay, node)
        else:
            for o in outputs:
                _mark_multi_view(bound[view_arg], o)
    return result


def _no_int_grad() -> None:
    raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _share_versions(base: Any, result: Any) -> None:
    if not isinstance(base, Tensor):
        return
    box = base._box()
    for o in (result if isinstance(result, (tuple, list)) else (result,)):
        if isinstance(o, Tensor) and o is not base:
            o._version_box = box


def _make_node(op: Any, bound: List[Any], result: Any, outputs: Sequence[Any],
               original: Optional[Tensor] = None) -> graph.OpNode:
    edges: List[graph.Edge] = []
    slots: List[Tuple[int, int]] = []
    metas = []
    needs = []
    for i, a in enumerate(bound):
        if isinstance(a, Tensor):
            if a._a.dtype.kind == "f":
                edges.append(graph.edge_of(a))
                slots.append((i, -1))
                metas.append((a._a.shape, a._a.dtype))
            needs.append(a._requires_grad)
        elif isinstance(a, list) and any(isinstance(x, Tensor) for x in a):
            for j, x in enumerate(a):
                if isinstance(x, Tensor) and x._a.dtype.kind == "f":
                    edges.append(graph.edge_of(x))
                    slots.append((i, j))
                    metas.append((x._a.shape, x._a.dtype))
            needs.append(any(isinstance(x, Tensor) and x._requires_grad for x in a))
        else:
            needs.append(False)
    out_meta = [(o._a.shape, o._a.dtype) if isinstance(o, Tensor) else ((), None) for o in outputs]
    cls = graph.node_class(op.node_name, graph.OpNode if op.derivative is not None else graph.NotImplementedNode)
    inplace = bool(op.written) and result is bound[op.written[0]]
    saved = bound if original is None else [original] + bound[1:]
    ctx = graph.Context(saved, result, needs, op.written[1:] if original is not None else op.written if inplace else ())
    return cls(op, ctx, edges, slots, metas, out_meta)


def _mark_view(op: Any, bound: List[Any], view: Tensor, replay: Replay, node: Optional[graph.OpNode]) -> None:
    """Remember the view's base and how to make the view from it, for in-place writes through it."""
    src = bound[op.view_arg]
    if view is src:  # contiguous() of a contiguous tensor: the input itself, not a view of it
        return
    src_meta = src._meta
    rest = bound[op.view_arg + 1:]
    head = bound[:op.view_arg]

    def step(b: Tensor) -> Tensor:
        return replay(op, head + [b] + rest)

    meta = view._get_meta()
    if src_meta is not None and src_meta.view_base is not None:
        inner = src_meta.view_fn
        meta.view_base = src_meta.view_base
        meta.view_fn = None if inner is None else (lambda b: step(inner(b)))
    else:
        meta.view_base = src
        meta.view_fn = step
    meta.view_version = view._version


def _mark_multi_view(src: Tensor, view: Any) -> None:
    if isinstance(view, Tensor):
        meta = view._get_meta()
        meta.view_base = src._meta.view_base if src._meta is not None and src._meta.view_base is not None else src
        meta.view_fn = None


def _rebase(op: Any, t: Tensor, node: graph.OpNode, replay: Replay) -> None:
    """After an in-place op: ``t`` now comes from ``node``; a view's base from a CopySlices."""
    meta = t._meta
    if meta is not None and meta.view_base is not None and meta.view_fn is not None:
        base = meta.view_base
        base_meta = (base._a.shape, base._a.dtype)
        copy = graph.CopySlices(graph.edge_of(base), meta.view_fn, node, base_meta)
        base.grad_fn = copy
        base._requires_grad = True
        if base._meta is not None:
            base._meta.output_nr = 0
        graph.refresh_view(t)
        return
    t.grad_fn = node
    t._requires_grad = True
    if meta is not None:
        meta.output_nr = 0

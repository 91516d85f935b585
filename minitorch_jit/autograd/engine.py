"""The backward engine: runs the recorded graph from the outputs to the leaves.

Each reachable node runs once, when every node that sends it a gradient has run (dependency
counts, as PyTorch's engine; among the ready ones the most recently created first). The
gradients a node receives for one of its outputs are summed before it runs. ``backward``
accumulates into the leaves' ``.grad``; ``grad`` returns the gradients of the tensors asked
for and touches no ``.grad``, running only the nodes that lead to them. With
``create_graph`` the backward itself runs in grad mode, so it records and can be
differentiated again.
"""
from __future__ import annotations

import heapq
import sys
import weakref
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from ..tensor import Size, Tensor
from . import graph
from .grad_mode import set_grad_enabled
from .graph import AccumulateGrad, Node

Tensors = Union[Tensor, Sequence[Tensor]]


def _as_list(v: Any) -> List[Any]:
    if v is None:
        return []
    if isinstance(v, Tensor):
        return [v]
    return list(v)


def _initial_grads(outputs: List[Tensor], grads: List[Optional[Tensor]]) -> List[Tensor]:
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not o._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if o._a.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._wrap(np.ones(o._a.shape, o._a.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(np.full(o._a.shape, g, o._a.dtype))
        elif g._a.shape != o._a.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._a.shape)!r} and "
                               f"output[{i}] has a shape of {Size(o._a.shape)!r}.")
        out.append(g)
    return out


def _leaf_hooks(t: Tensor, g: Tensor) -> Tensor:
    meta = t._meta
    if meta is not None:
        for hook in meta.hooks:
            r = hook(g)
            if r is not None:
                g = r
    return g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool, refs: int = 0) -> None:
    """Add ``g`` into ``t.grad``. A first gradient that nothing but the engine holds (``refs``
    references to the Tensor ``g``, as the caller counts them) becomes ``t.grad`` as it is,
    as PyTorch's AccumulateGrad steals an unshared gradient: copying a weight's gradient costs
    a pass over it every step; any other is copied, so that no two ``.grad`` share memory."""
    meta = t._get_meta()
    if create_graph:
        meta.grad = g if meta.grad is None else meta.grad + g
    elif meta.grad is None:
        meta.grad = g if refs and _sole(g, t, refs + 1) else Tensor._wrap(np.array(g._a, dtype=t._a.dtype, copy=True))
    else:
        np.add(meta.grad._a, g._a, out=meta.grad._a, casting="unsafe")


def _sole(g: Tensor, t: Tensor, refs: int) -> bool:
    """Whether ``g`` can be ``t``'s gradient as it is: a plain contiguous array of ``t``'s dtype
    that owns its memory, held only by ``g`` (a view of it would hold a reference too), and
    ``g`` held by nothing but ``refs`` references in the callers' frames."""
    a = g._a
    return (g._meta is None and g.grad_fn is None and a.dtype == t._a.dtype and a.base is None
            and a.flags.c_contiguous and a.flags.writeable
            # the counts include this frame's own references and getrefcount's argument
            and sys.getrefcount(a) == 3 and sys.getrefcount(g) == refs + 2)


class _Task:
    """One call of backward or grad."""

    def __init__(self, roots: List[graph.Edge], grads: List[Tensor], targets: Optional[List[graph.Edge]],
                 accumulate: bool, create_graph: bool, retain_graph: bool) -> None:
        self.accumulate = accumulate
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.targets = None if targets is None else set(targets)
        self.captured: Dict[graph.Edge, Tensor] = {}
        self.buffers: Dict[Node, List[Optional[Tensor]]] = {}
        for (node, nr), g in zip(roots, grads):
            assert node is not None  # every root requires grad (checked by _initial_grads)
            self._add(node, nr, g)
        self.deps = self._dependencies([n for n, _ in roots])
        self.wanted = None if targets is None else self._wanted({n for n, _ in targets})
        self.wanted_all = targets is None

    def _dependencies(self, roots: List[Any]) -> Dict[Node, int]:
        deps: Dict[Node, int] = {}
        seen = set(roots)
        stack = list(seen)
        while stack:
            n = stack.pop()
            for m, _ in n.next_functions:
                if m is None:
                    continue
                deps[m] = deps.get(m, 0) + 1
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        self.reachable = seen
        return deps

    def _wanted(self, target_nodes: Set[Any]) -> Set[Node]:
        """The nodes that must run for the targets to receive their gradients."""
        wanted: Set[Node] = set()
        memo: Dict[Node, bool] = {}
        # children before parents: reverse topological order by an explicit DFS
        order: List[Node] = []
        visited: Set[Node] = set()
        for root in self.reachable:
            if root in visited:
                continue
            stack: List[Tuple[Node, bool]] = [(root, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    order.append(n)
                    continue
                if n in visited:
                    continue
                visited.add(n)
                stack.append((n, True))
                stack.extend((m, False) for m, _ in n.next_functions if m is not None and m not in visited)
        for n in order:
            memo[n] = any(m is not None and (m in target_nodes or memo.get(m, False)) for m, _ in n.next_functions)
            if memo[n]:
                wanted.add(n)
        return wanted

    def _add(self, node: Node, nr: int, g: Tensor) -> None:
        buf = self.buffers.get(node)
        if buf is None:
            buf = self.buffers[node] = [None] * (nr + 1)
        elif nr >= len(buf):
            buf.extend([None] * (nr + 1 - len(buf)))
        prev = buf[nr]
        buf[nr] = g if prev is None else prev.add(g)

    def run(self) -> None:
        ready = [(-n._sequence_nr, id(n), n) for n in self.buffers if self.deps.get(n, 0) == 0]
        heapq.heapify(ready)
        with set_grad_enabled(self.create_graph):
            while ready:
                _, _, node = heapq.heappop(ready)
                self._run_node(node)
                for m, _ in node.next_functions:
                    if m is None:
                        continue
                    self.deps[m] -= 1
                    if self.deps[m] == 0:
                        heapq.heappush(ready, (-m._sequence_nr, id(m), m))

    def _run_node(self, node: Node) -> None:
        buf = self.buffers.pop(node, None)
        if buf is None:
            return
        for nr, hooks in node.tensor_hooks.items():
            g = buf[nr] if nr < len(buf) else None
            if g is not None:
                for hook in hooks:
                    r = hook(g)
                    if r is not None:
                        g = r
                buf[nr] = g
        if isinstance(node, AccumulateGrad):
            g = buf[0]
            if g is None:
                return
            buf[0] = None  # the references left to g: this frame's and any outside the engine
            g = _leaf_hooks(node.variable, g)
            if self.targets is not None and (node, 0) in self.targets:
                self.captured[(node, 0)] = g
            if self.accumulate and (self.targets is None or (node, 0) in self.targets):
                _accumulate(node.variable, g, self.create_graph, refs=1)
            return
        if self.targets is not None:
            for nr, g in enumerate(buf):
                if g is not None and (node, nr) in self.targets:
                    self.captured[(node, nr)] = g
            if node not in self.wanted:  # type: ignore[operator]
                return
        retained = node.metadata.get("retains_grad")
        if retained:
            for nr, ref in retained.items():
                t = ref()
                if t is not None and nr < len(buf) and buf[nr] is not None:
                    _accumulate(t, buf[nr], self.create_graph)
        grads = node.run(buf)
        if not self.retain_graph:
            node.release()
        for (m, nr), g in zip(node.next_functions, grads):
            if m is not None and g is not None:
                self._add(m, nr, g)


def _roots(outputs: List[Tensor]) -> List[graph.Edge]:
    return [graph.edge_of(o) if o._requires_grad else (None, 0) for o in outputs]


def backward(tensors: Tensors, grad_tensors: Any = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves (of ``inputs`` only, when given)."""
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outputs)} gradients")
    grads = _initial_grads(outputs, grads)
    targets = None
    only = _as_list(inputs)
    if inputs is not None:
        if not only:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        targets = [_target(t) for t in only]
    retain = create_graph if retain_graph is None else retain_graph
    task = _Task(_roots(outputs), grads, targets, True, create_graph, retain)
    task.run()
    if targets is not None:  # non-leaf inputs: their .grad gets what reached them
        for t, e in zip(only, targets):
            if t.grad_fn is not None and e in task.captured:
                _accumulate(t, task.captured[e], create_graph)


def _target(t: Tensor) -> graph.Edge:
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    if not t._requires_grad:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return graph.edge_of(t)


def grad(outputs: Tensors, inputs: Tensors, grad_outputs: Any = None, retain_graph: Optional[bool] = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: Optional[bool] = None,
         materialize_grads: bool = False) -> Tuple[Optional[Tensor], ...]:
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    grads = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(grads) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grads)} and {len(outs)}")
    grads = _initial_grads(outs, grads)
    if allow_unused is None:
        allow_unused = materialize_grads
    targets = [_target(t) for t in ins]
    retain = create_graph if retain_graph is None else retain_graph
    task = _Task(_roots(outs), grads, targets, False, create_graph, retain)
    task.run()
    result: List[Optional[Tensor]] = []
    for t, e in zip(ins, targets):
        g = task.captured.get(e)
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = Tensor._wrap(np.zeros(t._a.shape, t._a.dtype))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def register_hook(t: Tensor, hook: Any) -> Any:
    """``Tensor.register_hook``: ``hook(grad)`` may return a replacement gradient."""
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if t.grad_fn is None:
        hooks = t._get_meta().hooks
    else:
        graph.edge_of(t)
        hooks = t.grad_fn.tensor_hooks.setdefault(t.output_nr, [])
    hooks.append(hook)
    return _Handle(hooks, hook)


class _Handle:
    def __init__(self, hooks: List[Any], hook: Any) -> None:
        self.hooks = hooks
        self.hook = hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def retain_grad(t: Tensor) -> None:
    """``Tensor.retain_grad``: a non-leaf keeps its gradient in ``.grad`` after backward."""
    if not t._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.grad_fn is None:
        return
    meta = t._get_meta()
    meta.retains_grad = True
    t.grad_fn.metadata.setdefault("retains_grad", {})[t.output_nr] = weakref.ref(t)

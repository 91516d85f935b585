"""``check_trace``: does a trace generalize? TorchScript's sanity checks, for each check input:

- the function is traced again on it: a graph that differs (other ops: control flow or a
  Python value decided by the data, state kept across calls) is a :class:`TracingCheckError`
  ("Graphs differed across invocations!"), and so are tensor constants that differ in value
  (data read as a constant, ``x.data``);
- the trace and the Python function run on it: each output that differs is a TracerWarning
  ("Output nr 1. of the traced function does not match the corresponding output of the
  Python function"), after one warning naming the graph's nondeterministic nodes, if any
  (dropout in training mode: "Did you forget call .eval() on your model?"); when they agree,
  the second trace runs too and is held to the first the same way (unless its graph is
  the first's and deterministic: then it computes the same, and is not compiled).

Each run gets clones of the inputs, so what one run writes into them the next does not see.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir import PYTHON_OBJECT, Graph, Node, Value, registry

from ..tensor import Tensor
from .inputs import clone
from .recorder import TracingCheckError, warn


def _indent(text: str) -> str:
    return "\n".join("\t" + line for line in text.splitlines())


def _canonical(graph: Graph) -> List[str]:
    """The graph's nodes as text without value names, types or tensor contents, one line
    each: what two traces of the same code share."""
    numbers: Dict[Value, int] = {v: i for i, v in enumerate(graph.inputs)}
    lines: List[str] = []

    def ref(v: Value) -> str:
        return f"%{numbers.get(v, '?')}"

    def walk(nodes: Sequence[Node], depth: int) -> None:
        for node in nodes:
            for o in node.outputs:
                numbers[o] = len(numbers)
            attrs = {k: v for k, v in node.attrs.items()
                     if not isinstance(v, (Graph, np.ndarray)) and k != PYTHON_OBJECT}  # the Python object is
            # new in each trace: the node's name says which it calls
            shown = "" if not attrs else "[" + ", ".join(f"{k}={v!r}" for k, v in sorted(attrs.items())) + "]"
            if isinstance(node.attrs.get("value"), np.ndarray):
                shown = "[value=<Tensor>]"
            outs = ", ".join(ref(o) for o in node.outputs)
            lines.append("  " * depth + f"{outs} = {node.kind}{shown}({', '.join(ref(v) for v in node.inputs)})")
            for b in node.blocks:
                for p in b.params:
                    numbers[p] = len(numbers)
                walk(list(b.nodes), depth + 1)
                lines.append("  " * (depth + 1) + f"-> ({', '.join(ref(v) for v in b.returns)})")
    walk(list(graph.nodes), 0)
    lines.append(f"return ({', '.join(ref(v) for v in graph.outputs)})")
    return lines


def _location(node: Node) -> str:
    src = getattr(node, "source", None)
    return f"{src.file}:{src.line}" if src is not None else ""


def _diagnostics(traced: Graph, checked: Graph) -> Tuple[Optional[str], Optional[str]]:
    """What differs between the two graphs' nodes, and between their tensor constants."""
    mine, theirs = _canonical(traced), _canonical(checked)
    graph_diff = None
    if mine != theirs:
        graph_diff = "Graph diff:\n" + _indent("".join(difflib.ndiff([s + "\n" for s in mine],
                                                                     [s + "\n" for s in theirs]))) + "\n"
        for n_mod, n_check, a, b in zip(traced.nodes, checked.nodes, mine, theirs):
            if a != b:
                graph_diff += "First diverging operator:\nNode diff:\n" + _indent(
                    "".join(difflib.ndiff([a + "\n"], [b + "\n"]))) + "\n"
                for what, n in (("Trace", n_mod), ("Check", n_check)):
                    if _location(n):
                        graph_diff += f"{what} source location:\n" + _indent(_location(n)) + "\n"
                break
    tensor_diff = None
    for n_mod, n_check in zip(traced.nodes, checked.nodes):
        if n_mod.kind != n_check.kind:
            break  # the graphs have already diverged
        mine_value, their_value = n_mod.attrs.get("value"), n_check.attrs.get("value")
        if n_mod.kind == "prim::Constant" and isinstance(mine_value, np.ndarray) and \
                isinstance(their_value, np.ndarray):
            difference = _compare(mine_value, their_value, 1.3e-6)
            if difference is not None:
                tensor_diff = f"Node:\n{_indent(repr(n_mod))}\n"
                if _location(n_mod):
                    tensor_diff += f"Source Location:\n{_indent(_location(n_mod))}\n"
                tensor_diff += "Comparison exception: " + _indent(difference)
                break
    return graph_diff, tensor_diff


def _atol(dtype: np.dtype) -> float:
    return {np.dtype("float32"): 1e-5, np.dtype("float64"): 1e-7}.get(dtype, 0.0)


def _compare(a: np.ndarray, b: np.ndarray, rtol: float) -> Optional[str]:
    """Why ``a`` and ``b`` are not close (as torch.testing.assert_close says it), or None."""
    if a.shape != b.shape:
        return f"The values for attribute 'shape' do not match: {list(a.shape)} != {list(b.shape)}."
    x, y = a.astype(np.float64), b.astype(np.float64)
    atol = max(_atol(a.dtype), _atol(b.dtype))
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return None
        diff = np.abs(x - y)
        rel = diff / np.abs(y)
    bad = int((~close).sum())
    at = np.unravel_index(int(np.nanargmax(np.where(close, -np.inf, diff))), x.shape) if x.ndim else ()
    rat = np.unravel_index(int(np.nanargmax(np.where(close, -np.inf, rel))), x.shape) if x.ndim else ()
    return (f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {x.size} ({100.0 * bad / x.size:.1f}%)\n"
            f"Greatest absolute difference: {diff[at]} at index {tuple(int(i) for i in at)} (up to {atol} allowed)\n"
            f"Greatest relative difference: {rel[rat]} at index {tuple(int(i) for i in rat)} (up to {rtol} allowed)")


def nondeterministic(node: Node) -> bool:
    """A node whose op draws random numbers, unless its ``train`` argument is a False
    constant (dropout in eval mode is the identity)."""
    op = registry.node_op(node)
    if op is None or not op.random:
        return False
    for a, v in zip(op.schema.arguments, node.inputs):
        if a.name in ("train", "training") and v.node.kind == "prim::Constant" and v.constant is False:
            return False
    return True


def _tensor_outputs(result: Any) -> List[np.ndarray]:
    outs = result if isinstance(result, tuple) else (result,)
    return [o._a for o in outs if isinstance(o, Tensor)]


def check_trace(fn: Callable[..., Any], traced: Any, check_inputs: Sequence[Tuple[Any, ...]],
                retrace: Callable[[Tuple[Any, ...]], Any], tolerance: float) -> None:
    """Run TorchScript's checks (see the module docstring) on each tuple of ``check_inputs``.
    ``traced`` is the compiled function or method, ``retrace(inputs)`` traces ``fn`` again."""
    warned = [False]

    def run(f: Callable[..., Any], inputs: Tuple[Any, ...], what: str, checked: Graph) -> List[np.ndarray]:
        try:
            return _tensor_outputs(f(*clone(inputs)))
        except Exception as e:
            graph_diff, tensor_diff = _diagnostics(traced.graph, checked)
            raise TracingCheckError(_message(graph_diff, tensor_diff, f"encountered an exception while running "
                                             f"the {what} with test inputs.\nException:\n{_indent(str(e))}")) from e

    def agree(got: List[np.ndarray], expected: List[np.ndarray], what: str) -> bool:
        ok = True
        for i, (a, b) in enumerate(zip(got, expected)):
            problem = _compare(a, b, tolerance)
            if problem is not None:
                if not warned[0]:
                    warned[0] = True
                    nodes = [n for n in traced.graph.nodes if nondeterministic(n)]
                    if nodes:
                        warn("Trace had nondeterministic nodes. Did you forget call .eval() on your model? Nodes:\n"
                             + "\n".join(_indent(repr(n)) for n in nodes[:20])
                             + "\nThis may cause errors in trace checking. To disable trace checking, pass "
                             "check_trace=False to torch.jit.trace()")
                warn(f"Output nr {i + 1}. of the traced function does not match the corresponding output of the "
                     f"{what}. Detailed error:\n{problem}")
                ok = False
        return ok

    for inputs in check_inputs:
        again = retrace(clone(inputs))
        traced_outs = run(traced, inputs, "trace", again.graph)
        fn_outs = run(fn, inputs, "Python function", again.graph)
        graph_diff, tensor_diff = _diagnostics(traced.graph, again.graph)
        # the same deterministic graph computes the same outputs: running (and compiling) the
        # second trace could only confirm it
        same = graph_diff is None and tensor_diff is None and \
            not any(nondeterministic(n) for n in traced.graph.nodes)
        if agree(traced_outs, fn_outs, "Python function") and not same:
            agree(traced_outs, run(again, inputs, "repeated trace", again.graph), "repeated trace")
        if graph_diff is not None or tensor_diff is not None:
            raise TracingCheckError(_message(graph_diff, tensor_diff))


def _message(graph_diff: Optional[str], tensor_diff: Optional[str], extra: Optional[str] = None) -> str:
    text = "Tracing failed sanity checks!\n"
    if extra is not None:
        text += extra + "\n"
    if graph_diff is not None:
        text += "ERROR: Graphs differed across invocations!\n" + _indent(graph_diff) + "\n"
    if tensor_diff is not None:
        text += ("ERROR: Tensor-valued Constant nodes differed in value across invocations. This often indicates "
                 "that the tracer has encountered untraceable code.\n" + _indent(tensor_diff) + "\n")
    return text

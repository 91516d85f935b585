"""``trace(fn_or_module, example_inputs, check_inputs=None)``."""
from __future__ import annotations

import inspect
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from minitorch_jit.ir import Graph, verify
from minitorch_jit.passes.dead_code_elimination import dead_code_elimination

from ..nn.module import Module
from ..runtime import config
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, mirror
from ..tensor import Tensor
from .recorder import Tracer, TracingCheckError, tracing


def _as_tuple(inputs: Any) -> Tuple[Any, ...]:
    return inputs if isinstance(inputs, tuple) else (inputs,)


def _signature(fn: Callable[..., Any], n: int) -> inspect.Signature:
    """The first ``n`` positional parameters of ``fn`` (named arg0.. when it takes *args)."""
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:n]] + [f"arg{i}" for i in range(len(params), n)]
    return inspect.Signature([inspect.Parameter(nm, inspect.Parameter.POSITIONAL_OR_KEYWORD) for nm in names])


def _record(fn: Callable[..., Any], inputs: Tuple[Any, ...], signature: inspect.Signature,
            attrs: Sequence[Tuple[str, Tensor]] = ()) -> Tuple[Graph, List[str]]:
    tracer = Tracer()
    for t, name in zip(inputs, signature.parameters):
        tracer.add_input(t, name)
    attr_inputs = [(path, tracer.add_input(t, f"self.{path}")) for path, t in attrs]
    with tracing(tracer):
        out = fn(*inputs)
        tracer.graph.register_output(tracer.output_value(out))
    g = tracer.graph
    dead_code_elimination(g)
    # parameters the computation never read are not inputs of its graph
    kept = []
    for path, v in attr_inputs:
        if v.uses:
            kept.append(path)
        else:
            g.block.erase_param(v.offset)
    verify(g)
    return g, kept


def trace(fn: Union[Callable[..., Any], Module], example_inputs: Any,
          check_inputs: Optional[Sequence[Any]] = None) -> Union[ScriptFunction, ScriptModule]:
    """Run ``fn`` on ``example_inputs`` recording its tensor ops. Returns a ScriptFunction, or
    a ScriptModule for a module (whose parameters and buffers become trailing graph inputs).
    Each of ``check_inputs`` is run through the trace and through ``fn`` and must agree.

    With ``MINITORCH_JIT_DISABLE=1``, returns ``fn`` itself: nothing is traced or compiled."""
    if config.disabled():
        return fn
    inputs = _as_tuple(example_inputs)
    if isinstance(fn, Module):
        forward = fn.forward
        sig = _signature(forward, len(inputs))
        attrs = list(fn.named_parameters()) + list(fn.named_buffers())
        graph, paths = _record(fn, inputs, sig, attrs)
        traced: Any = mirror(fn)
        traced._add_method(ScriptMethod(graph, sig, "forward", paths, f"{type(fn).__name__}.forward"))
    else:
        if isinstance(fn, ScriptFunction):
            return fn
        sig = _signature(fn, len(inputs))
        graph, _ = _record(fn, inputs, sig)
        traced = ScriptFunction(graph, sig, getattr(fn, "__name__", "traced_fn"),
                                getattr(fn, "__qualname__", None))
    for i, check in enumerate(check_inputs or ()):
        _check(fn, traced, _as_tuple(check), i)
    return traced


def _flatten(x: Any) -> List[Any]:
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _flatten(e)]
    return [x]


def _check(fn: Callable[..., Any], traced: Callable[..., Any], inputs: Tuple[Any, ...], index: int) -> None:
    expected = _flatten(fn(*inputs))
    got = _flatten(traced(*inputs))
    where = f"check input {index}"
    if len(expected) != len(got):
        raise TracingCheckError(f"{where}: the trace returned {len(got)} values, the Python function "
                                f"{len(expected)}")
    for k, (e, g) in enumerate(zip(expected, got)):
        if isinstance(e, Tensor) and isinstance(g, Tensor):
            a, b = g._a, e._a
            if a.shape != b.shape or a.dtype != b.dtype:
                raise TracingCheckError(f"{where}, output {k}: the trace gives a {b.dtype.name} tensor of shape "
                                        f"{list(a.shape)}, the Python function a {b.dtype.name} tensor of shape "
                                        f"{list(b.shape)}")
            if not np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True):
                diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
                diff = np.where(np.isnan(diff), np.inf, diff)
                at = np.unravel_index(int(np.argmax(diff)), a.shape) if a.ndim else ()
                raise TracingCheckError(
                    f"{where}, output {k}: the trace and the Python function differ (the trace may have frozen "
                    f"control flow or a Python value): largest difference {float(diff[at])} at index "
                    f"{tuple(int(i) for i in at)}: traced {a[at]}, Python {b[at]}")
        elif e != g:
            raise TracingCheckError(f"{where}, output {k}: traced {g!r}, Python {e!r}")

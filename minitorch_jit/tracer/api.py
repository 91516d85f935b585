"""``trace(fn_or_module, example_inputs, ...)`` and ``trace_module(module, {method: inputs})``."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from minitorch_jit.ir import Graph, verify
from minitorch_jit.passes.dead_code_elimination import dead_code_elimination

from ..nn.backward_hooks import refuse_compiling
from ..nn.module import Module
from ..runtime import config
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, compile_exports, mirror
from ..tensor import Tensor
from .check import check_trace as check_trace_of
from .inputs import adapter, check_inputs_traceable
from .recorder import Tracer, tracing


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
            attrs: Sequence[Tuple[str, Tensor]] = (), strict: bool = True,
            force_outplace: bool = False) -> Tuple[Graph, List[str], Optional[Callable[[Any], Any]]]:
    """The graph of ``fn`` run on ``inputs``, the paths of the attributes it reads, and what
    turns its results back into the dicts ``fn`` returned (None when it returned none)."""
    tracer = Tracer(force_outplace)
    seen = {id(t) for _, t in attrs}
    inputs = tuple(_distinct(x, seen) for x in inputs)
    for t, name in zip(inputs, signature.parameters):
        tracer.add_input(t, name)
    attr_inputs = [(path, tracer.add_input(t, f"self.{path}")) for path, t in attrs]
    with tracing(tracer):
        out = fn(*inputs)
        value, rebuild = tracer.output(out, strict)
        tracer.graph.register_output(value)
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
    return g, kept, rebuild


def _distinct(x: Any, seen: set) -> Any:
    """``x`` with each tensor that is already an input or a parameter (``trace(m, m.weight)``,
    ``trace(f, [x] * 2)``) replaced by a tensor of its own over the same memory, so that each
    argument is a graph input of its own, as in PyTorch's traces."""
    if isinstance(x, Tensor):
        if id(x) in seen:
            return Tensor._wrap(x._a)
        seen.add(id(x))
        return x
    if isinstance(x, dict):
        return {k: _distinct(v, seen) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[_distinct(e, seen) for e in x])
    if isinstance(x, (tuple, list)):
        return type(x)(_distinct(e, seen) for e in x)
    return x


def _without_none_submodules(module: ScriptModule) -> ScriptModule:
    """A trace has no attribute for a submodule set to None (``self.submod = None``)."""
    for name, sub in list(module._modules.items()):
        if sub is None:
            del module._modules[name]
        elif isinstance(sub, ScriptModule):
            _without_none_submodules(sub)
    return module


def _example_tuple(example_inputs: Any) -> Tuple[Any, ...]:
    """The positional arguments ``example_inputs`` stand for: a tuple is the arguments, a
    list too (``trace(f, [x, y])``), anything else the one argument."""
    if isinstance(example_inputs, tuple) and not hasattr(example_inputs, "_fields"):
        return example_inputs
    if isinstance(example_inputs, list):
        return tuple(example_inputs)
    return (example_inputs,)


def _trace_one(fn: Callable[..., Any], inputs: Tuple[Any, ...], module: Optional[Module], method: str,
               strict: bool, force_outplace: bool, into: Optional[ScriptModule] = None) -> Any:
    """``fn`` traced on ``inputs``: a ScriptFunction, or with ``module`` a ScriptMethod of
    ``into`` (a mirror of the module, made when not given) returned as that module."""
    check_inputs_traceable(inputs)
    adapters = {i: a for i, a in enumerate(adapter(x) for x in inputs) if a is not None}
    if module is not None:
        sig = _signature(module.forward if fn is module else fn, len(inputs))
        attrs = list(module.named_parameters()) + list(module.named_buffers())
        graph, paths, rebuild = _record(fn, inputs, sig, attrs, strict, force_outplace)
        traced: Any = into if into is not None else _without_none_submodules(mirror(module))
        m = ScriptMethod(graph, sig, method, paths, f"{type(module).__name__}.{method}")
        m.adapt(adapters, rebuild)
        traced._add_method(m)
        return traced
    sig = _signature(fn, len(inputs))
    graph, _, rebuild = _record(fn, inputs, sig, (), strict, force_outplace)
    f = ScriptFunction(graph, sig, getattr(fn, "__name__", "traced_fn"), getattr(fn, "__qualname__", None))
    f.adapt(adapters, rebuild)
    return f


def trace(func: Union[Callable[..., Any], Module], example_inputs: Any = None, optimize: Any = None,
          check_trace: bool = True, check_inputs: Optional[Sequence[Any]] = None, check_tolerance: float = 1e-5,
          strict: bool = True, _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None) -> Any:
    """Run ``func`` on ``example_inputs`` recording its tensor ops, as ``torch.jit.trace``.
    Returns a ScriptFunction, or a ScriptModule for a module (whose parameters and buffers
    become trailing graph inputs). Example inputs are tensors and (nested) tuples, lists and
    dicts of tensors; a list or tuple at the top stands for the arguments.

    ``check_trace`` (on by default) traces again on each of ``check_inputs`` (the example
    inputs when not given) and compares graphs and outputs, see :mod:`.check`, with
    ``check_tolerance`` as relative tolerance. ``strict=False`` lets a trace return lists
    without warning and dicts (whose structure is frozen by the trace). ``_force_outplace``
    records in-place ops as their out-of-place forms.

    With ``MINITORCH_JIT_DISABLE=1``, returns ``func`` itself: nothing is traced or compiled."""
    if config.disabled():
        return func
    if optimize is not None or _module_class is not None or _compilation_unit is not None or \
            example_kwarg_inputs is not None:
        raise NotImplementedError("trace(): optimize=, _module_class=, _compilation_unit= and "
                                  "example_kwarg_inputs= are not supported")
    if isinstance(func, ScriptFunction):
        return func
    owner = getattr(func, "__self__", None)
    if isinstance(owner, Module) and not isinstance(func, Module):
        if getattr(func, "__name__", None) != "forward":
            raise AttributeError("trace doesn't support compiling individual module's functions.\n"
                                 "Please use trace_module")
        func = owner
    inputs = _example_tuple(example_inputs if example_inputs is not None else ())
    if isinstance(func, Module):
        module = func
        refuse_compiling(module)
        traced = _trace_one(module, inputs, module, "forward", strict, _force_outplace)
        compile_exports(module, traced)
        if check_trace:
            check_trace_of(module, traced.forward, [_example_tuple(c) for c in (check_inputs or [inputs])],
                           _retracer(module, module, "forward", strict, _force_outplace), check_tolerance)
        return traced
    traced = _trace_one(func, inputs, None, "forward", strict, _force_outplace)
    if check_trace:
        check_trace_of(func, traced, [_example_tuple(c) for c in (check_inputs or [inputs])],
                       lambda i: _trace_one(func, i, None, "forward", strict, _force_outplace), check_tolerance)
    return traced


def _retracer(fn: Callable[..., Any], mod: Module, name: str, strict: bool,
              force_outplace: bool) -> Callable[[Tuple[Any, ...]], Any]:
    """What traces method ``name`` of ``mod`` again, for the checks."""
    def retrace(inputs: Tuple[Any, ...]) -> Any:
        return _trace_one(fn, inputs, mod, name, strict, force_outplace)._methods[name]
    return retrace


def trace_module(mod: Module, inputs: Dict[str, Any], optimize: Any = None, check_trace: bool = True,
                 check_inputs: Optional[Sequence[Dict[str, Any]]] = None, check_tolerance: float = 1e-5,
                 strict: bool = True, _force_outplace: bool = False, **unsupported: Any) -> Any:
    """Trace several methods of ``mod``: ``inputs`` maps each method's name to its example
    inputs, as ``torch.jit.trace_module``. Each becomes a compiled method of one ScriptModule."""
    if unsupported or optimize is not None:
        raise NotImplementedError(f"trace_module(): {', '.join(sorted(unsupported)) or 'optimize'}= is not supported")
    if not isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    refuse_compiling(mod)
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    if config.disabled():
        return mod
    traced: Any = _without_none_submodules(mirror(mod))
    for name, example in inputs.items():
        fn = mod if name == "forward" else getattr(mod, name)
        _trace_one(fn, _example_tuple(example), mod, name, strict, _force_outplace, traced)
    if check_trace:
        for name in inputs:
            fn = mod if name == "forward" else getattr(mod, name)
            checks = [_example_tuple(c[name]) for c in check_inputs] if check_inputs else \
                [_example_tuple(inputs[name])]
            check_trace_of(fn, traced._methods[name], checks, _retracer(fn, mod, name, strict, _force_outplace),
                           check_tolerance)
    return traced

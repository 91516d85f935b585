"""The differential harness: run a compiled program with the pass pipeline and with no passes
at all, on the same inputs, and compare.

``assert_same_with_and_without_passes(fn, *args)`` takes what ``script`` or ``trace``
returned (a ScriptFunction or a ScriptModule). Each run gets its own copies of the tensor
arguments (module parameters and buffers included; one tensor passed twice is one tensor in
each copy) and the same RNG seed, so in-place writes and random draws are compared too; an exception must be the same in every run. The
optimizations must give identical results, bit for bit; the whole pipeline, whose fusion
groups compute transcendentals with their own (stated) accuracy, must agree within that
accuracy, and exactly in everything else (dtypes, shapes, ints, bools, NaNs, infinities).
"""
import weakref
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from graph_checks import FUSED_RTOL, assert_same

import minitorch_jit as torch
from minitorch_jit import Tensor
from minitorch_jit.ir.types import TensorType
from minitorch_jit.passes.pipeline import optimize, run_pipeline
from minitorch_jit.runtime import config
from minitorch_jit.runtime.compiled import ScriptFunction, ScriptModule
from minitorch_jit.runtime.executor import GraphExecutor


def _method(fn: Any) -> ScriptFunction:
    return fn._methods["forward"] if isinstance(fn, ScriptModule) else fn


def _copy(v: Any, memo: Dict[int, Any]) -> Any:
    """A deep copy of tensors; one tensor passed twice stays one tensor in the copy."""
    if isinstance(v, Tensor):
        if id(v) not in memo:
            memo[id(v)] = Tensor._wrap(np.array(v._a))
        return memo[id(v)]
    if isinstance(v, (list, tuple)):
        return type(v)(_copy(x, memo) for x in v)
    if isinstance(v, dict):
        return {k: _copy(x, memo) for k, x in v.items()}
    return v


def _copies(values: List[Any]) -> List[Any]:
    memo: Dict[int, Any] = {}
    return [_copy(v, memo) for v in values]


def _plain(v: Any) -> Any:
    """Results as plain data: arrays for tensors."""
    if isinstance(v, Tensor):
        return v._a
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


# The three executors of each method, kept for its later checks: plans are per input kind,
# so checks on more values of one kind compile nothing again.
_EXECUTORS: "weakref.WeakKeyDictionary[ScriptFunction, Tuple[GraphExecutor, ...]]" = weakref.WeakKeyDictionary()


def _executors(method: ScriptFunction) -> Tuple[GraphExecutor, ...]:
    """Executors of the method's graph with no passes, the optimizations, and the whole
    pipeline with fusion."""
    if method not in _EXECUTORS:
        _EXECUTORS[method] = tuple(GraphExecutor(method.graph, method.name, optimize=o, fusion=f)
                                   for o, f in ((None, None), (optimize, None), (run_pipeline, config.fusion())))
    return _EXECUTORS[method]


def _run(executor: GraphExecutor, values: List[Any], seed: int) -> Tuple[Any, Any]:
    torch.manual_seed(seed)
    try:
        out = _plain(executor.run(values))
    except Exception as e:  # noqa: BLE001 - both runs must fail alike
        out = ("raised", type(e).__name__, str(e))
    return out, _plain(values)


def _fused_rtol(method: ScriptFunction) -> Dict[str, float]:
    """The fused kernels' accuracy per result dtype: a float64 result may have been computed
    in float32 (``x.exp().double()`` carries float32's rounding of exp, 1 ulp of float32), so
    it is held to float32's bound when any tensor of the graph is, or may be, float32."""
    graph = method.graph
    values = list(graph.inputs) + [v for n in graph.block.all_nodes() for v in n.outputs]
    dtypes = {v.type.dtype for v in values if isinstance(v.type, TensorType)}
    if dtypes <= {"float64", "int64", "int32", "int16", "int8", "uint8", "bool"}:
        return FUSED_RTOL
    return {**FUSED_RTOL, "float64": max(FUSED_RTOL["float32"], FUSED_RTOL["float64"])}


def assert_same_with_and_without_passes(fn: Any, *args: Any, seed: int = 0, fused_atol: float = 1e-30) -> None:
    """``fn(*args)`` gives the same results, and leaves the same arguments, whether its graph
    runs through no passes, through the optimizations (bit for bit) or through the whole
    pipeline with fusion (within the fused kernels' accuracy, relative, or ``fused_atol``)."""
    method = _method(fn)
    values = method._inputs(args, {})
    none, optimizations, pipeline = _executors(method)
    plain = _run(none, _copies(values), seed)
    optimized = _run(optimizations, _copies(values), seed)
    assert_same(plain[0], optimized[0], f"{method.name}: result")
    assert_same(plain[1], optimized[1], f"{method.name}: arguments after the call")
    fused = _run(pipeline, _copies(values), seed)
    rtol = _fused_rtol(method)
    assert_same(plain[0], fused[0], f"{method.name} fused: result", rtol, fused_atol)
    assert_same(plain[1], fused[1], f"{method.name} fused: arguments after the call", rtol, fused_atol)


def random_like(args: Sequence[Any], seed: int) -> List[Any]:
    """Arguments shaped like ``args``: each float tensor gets random values with zeros of both
    signs, infinities and NaN mixed in; int and bool tensors random values; others kept."""
    rng = np.random.default_rng(seed)
    out = []
    for a in args:
        if isinstance(a, Tensor):
            arr = a._a
            if arr.dtype.kind == "f":
                new = rng.standard_normal(arr.shape).astype(arr.dtype)
                special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], arr.dtype)
                mask = rng.random(arr.shape) < 0.05
                new[mask] = rng.choice(special, size=int(mask.sum()))
            elif arr.dtype == np.bool_:
                new = rng.random(arr.shape) < 0.5
            else:
                new = rng.integers(-4, 5, size=arr.shape).astype(arr.dtype)
            out.append(torch.from_numpy(np.ascontiguousarray(new)))
        else:
            out.append(a)
    return out

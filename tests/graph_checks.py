"""Helpers for IR-level pass tests: graph text in, printed graph (or FileCheck-style
patterns) out, and the checks every pass test makes: the verifier passes, a second run
changes nothing, and the graph computes the same values before and after on random inputs."""
import re
import textwrap
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

import minitorch_jit as torch
from minitorch_jit.codegen.host import generate
from minitorch_jit.codegen.launch import compile_group
from minitorch_jit.ir import Graph, parse_graph, print_graph, verify
from minitorch_jit.ir.types import BoolType, FloatType, IntType, ListType, TensorType, TupleType, Type

Pass = Callable[[Graph], bool]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def filecheck(text: str, checks: str) -> None:
    """A small FileCheck: ``CHECK: s`` finds ``s`` after the previous match, ``CHECK-NEXT: s``
    finds it on the next line, ``CHECK-NOT: s`` requires no ``s`` before the next match (or
    the end), ``CHECK-COUNT-n: s`` finds exactly ``n`` lines containing ``s`` in the rest."""
    lines = text.splitlines()
    pos = 0
    pending_not: List[str] = []
    for raw in dedent(checks).splitlines():
        m = re.match(r"\s*(CHECK(?:-NEXT|-NOT|-COUNT-\d+)?):\s?(.*)$", raw)
        if not m:
            continue
        kind, pattern = m.groups()
        if kind == "CHECK-NOT":
            pending_not.append(pattern)
            continue
        if kind.startswith("CHECK-COUNT-"):
            n = int(kind.rsplit("-", 1)[1])
            found = [i for i in range(pos, len(lines)) if pattern in lines[i]]
            assert len(found) == n, f"expected {n} lines with {pattern!r}, found {len(found)} in:\n{text}"
            continue
        if kind == "CHECK-NEXT":
            hit = pos if pos < len(lines) and pattern in lines[pos] else None
        else:
            hit = next((i for i in range(pos, len(lines)) if pattern in lines[i]), None)
        assert hit is not None, f"{kind}: {pattern!r} not found after line {pos} in:\n{text}"
        for bad in pending_not:
            assert not any(bad in lines[i] for i in range(pos, hit)), f"CHECK-NOT: {bad!r} found in:\n{text}"
        pending_not = []
        pos = hit + 1
    for bad in pending_not:
        assert not any(bad in lines[i] for i in range(pos, len(lines))), f"CHECK-NOT: {bad!r} found in:\n{text}"


def random_value(t: Type, rng: np.random.Generator, unknown_size: int = 3) -> Any:
    """A random argument of type ``t``: tensors get size ``unknown_size`` where the type does
    not say, and floats include -0.0, infinities and NaN."""
    if isinstance(t, TensorType):
        dtype = t.dtype or "float32"
        shape = tuple(unknown_size if s is None else s for s in (t.sizes or (unknown_size, unknown_size)))
        if dtype == "bool":
            return rng.random(shape) < 0.5
        if dtype in ("int32", "int64"):
            return rng.integers(-5, 6, size=shape).astype(dtype)
        a = rng.standard_normal(shape).astype(dtype)
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0], dtype=dtype)
        mask = rng.random(shape) < 0.15
        a[mask] = rng.choice(special, size=int(mask.sum()))
        return a
    if isinstance(t, BoolType):
        return bool(rng.random() < 0.5)
    if isinstance(t, IntType):
        return int(rng.integers(-3, 8))
    if isinstance(t, FloatType):
        return float(rng.standard_normal())
    if isinstance(t, ListType) and isinstance(t.elem, IntType):
        return [int(rng.integers(1, 4)) for _ in range(2)]
    if isinstance(t, TupleType):
        return tuple(random_value(e, rng, unknown_size) for e in t.elems)
    raise TypeError(f"no random values of type {t}")


# The fused kernels' transcendentals are within a few ulps of numpy's (see codegen/llvm/mathlib)
FUSED_RTOL = {"float16": 0.0, "float32": 2e-5, "float64": 1e-13}  # float16 never fuses: eager kernels, exact


def random_tensor(shape: Sequence[int], dtype: str, rng: np.random.Generator) -> Any:
    """A Tensor of ``shape`` and ``dtype``: random bools, ints in [-50, 50), or normal floats."""
    if dtype == "bool":
        return torch.tensor(rng.random(shape) < 0.5)
    if dtype in ("int32", "int64"):
        return torch.tensor(rng.integers(-50, 50, size=shape).astype(dtype))
    return torch.tensor(rng.standard_normal(shape).astype(dtype))


def assert_same(a: Any, b: Any, what: str = "result", rtol: Optional[Dict[str, float]] = None,
                atol: float = 1e-30) -> None:
    """Identical values: same type, dtype, shape and bits (NaN equal to NaN); with ``rtol``
    (per float dtype), floats may differ by that much (relative), or by ``atol``."""
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{what}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{what}[{i}]", rtol, atol)
        return
    if isinstance(a, dict):
        assert type(b) is dict and list(a) == list(b), f"{what}: {a!r} vs {b!r}"  # same keys, same order
        for k in a:
            assert_same(a[k], b[k], f"{what}[{k!r}]", rtol, atol)
        return
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{what}: array vs {type(b).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        if rtol is not None and a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=rtol[a.dtype.name], atol=atol, err_msg=what)
            return
        np.testing.assert_array_equal(a, b, err_msg=what)  # NaN equals NaN here
        if a.dtype.kind == "f":  # the signs of zeros (a NaN's sign means nothing)
            numbers = ~np.isnan(a)
            np.testing.assert_array_equal(np.signbit(a[numbers]), np.signbit(b[numbers]), err_msg=f"{what}: signs")
        return
    assert type(a) is type(b) and (a == b or (a != a and b != b)), f"{what}: {a!r} vs {b!r}"


def assert_computes_the_same(before: Graph, after: Graph, inputs: Optional[Sequence[Any]] = None,
                             seeds: int = 3) -> None:
    """Both graphs give identical results (and identical in-place effects on their inputs)
    on random inputs typed by ``before``'s inputs (or on copies of ``inputs``). Fusion groups
    run as compiled kernels, whose transcendentals are within ``FUSED_RTOL``."""
    f, g = generate(before, fusion=compile_group).fn, generate(after, fusion=compile_group).fn
    fused = any(n.kind == "prim::FusionGroup" for n in after.all_nodes())
    for seed in range(seeds if inputs is None else 1):
        rng = np.random.default_rng(seed)
        args = list(inputs) if inputs is not None else [random_value(v.type, rng) for v in before.inputs]
        a_args = [np.array(a) if isinstance(a, np.ndarray) else a for a in args]
        b_args = [np.array(a) if isinstance(a, np.ndarray) else a for a in args]
        expected, got = _outcome(f, a_args), _outcome(g, b_args)
        assert_same(expected, got, rtol=FUSED_RTOL if fused else None)
        assert_same(a_args, b_args, "inputs after the call")


def _outcome(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - the same error must come out of both
        return ("raised", type(e).__name__, str(e))


def check_pass(pass_fn: Pass, text: str, expected: Optional[str] = None, checks: Optional[str] = None,
               changed: bool = True, inputs: Optional[Sequence[Any]] = None, values: bool = True,
               verify_input: bool = True) -> Graph:
    """Run ``pass_fn`` on the graph ``text`` and check: the verifier passes (on the input too,
    unless ``verify_input`` is False); it reports ``changed``; the result prints and parses
    back exactly; the printed result is ``expected`` (or matches ``checks``); a second run
    changes nothing; and (unless ``values`` is False) both graphs compute the same values."""
    g = parse_graph(dedent(text))
    if verify_input:
        verify(g)
    before = g.copy()
    assert pass_fn(g) is changed, f"{pass_fn.__name__} should report changed={changed}:\n{g}"
    verify(g)
    printed = print_graph(g)
    assert print_graph(parse_graph(printed)) == printed, "the result does not print and parse back exactly"
    if expected is not None:
        assert printed == dedent(expected), f"got:\n{printed}"
    if checks is not None:
        filecheck(printed, checks)
    if not changed:
        assert printed == print_graph(before)
    assert pass_fn(g) is False, f"a second {pass_fn.__name__} changed the graph:\n{g}"
    assert print_graph(g) == printed
    if values:
        assert_computes_the_same(before, g, inputs)
    return g

"""Random fusion groups and the fused-vs-eager comparison, shared by tests/test_kernels.py
(hypothesis draws the choices) and tools/fuzz_fused.py (a seeded ``random.Random`` does, for
long runs).

A program is a graph of pointwise ops over 1-3 tensor inputs of random dtypes and
broadcastable shapes (some strided or reversed), Python-number operands that are constants
of the group or inputs of it, and the edges where fused code has disagreed with eager: int
scalars beyond int32 and int64 (and 64 bits), tensors holding the int extremes, floats whose
sigmoid or exp is subnormal or zero, and ops that fail on dtypes (``-`` on bools) after ops
that fail on values (integer division by zero), whose order decides the error.
"""
import random
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen import host
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.ir import registry
from minitorch_jit.ir.parser import parse_graph
from minitorch_jit.ir.types import SHORT_NAME
from minitorch_jit.passes.shape_propagation import shape_propagation

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
# ops whose fused result must equal the eager one exactly, and transcendental ones (within
# the math library's bounds, plus the eager kernel's own error)
EXACT_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
                "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "floor_divide",
                "remainder"]
EXACT_UNARY = ["neg", "abs", "relu", "floor", "ceil", "round", "trunc", "sign", "logical_not", "sqrt",
               "rsqrt", "reciprocal"]
# binary ops that take a Python number as their second operand (PyTorch's maximum does not)
SCALAR_OPERAND = {op for op in EXACT_BINARY + ["pow"] if any(
    o.schema.overload == "Scalar" for o in registry.overloads(f"aten::{op}"))}
APPROX_UNARY = ["exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf", "sin", "cos", "silu"]
ROUND_DECIMALS = [-40, -3, -1, 0, 1, 2, 5, 39, 309]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan, 1e-40, 1e30, -1e-310, 7.0]
# where sigmoid and exp results are subnormal or flush to zero (float32, then float64)
SUBNORMAL_MAKERS = [-88.0, -88.72283, -88.72284, -89.0, -100.0, -103.97, -104.0, -708.0, -709.78, -709.79,
                    -740.0, -745.2, 88.72284, 709.79]
INT_EDGES = [-(1 << 63), -(1 << 31), -1, 0, 1, (1 << 31) - 1, (1 << 63) - 1]
SCALAR_INTS = ["2", "-1", "0", "3", "2147483647", "2147483648", "-2147483649", "4294967301", "9223372036854775807",
               "-9223372036854775808", "9223372036854775808", "18446744073709551621", "-36893488147419103232"]
SCALAR_OTHERS = ["0.5", "-2.5", "True", "False", "1e40"]


class Choices:
    """What a program generator draws. Hypothesis or a seeded Random implement it."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def choice(self, items: Sequence[Any]) -> Any:
        return items[self.integer(0, len(items) - 1)]

    def boolean(self) -> bool:
        return self.integer(0, 1) == 1

    def real(self, lo: float, hi: float) -> float:
        raise NotImplementedError


class HypothesisChoices(Choices):
    def __init__(self, draw: Any):
        from hypothesis import strategies as st
        self.draw, self.st = draw, st

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def choice(self, items: Sequence[Any]) -> Any:
        return self.draw(self.st.sampled_from(items))

    def real(self, lo: float, hi: float) -> float:
        return self.draw(self.st.floats(lo, hi))


class RandomChoices(Choices):
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def real(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)


def _tensor(c: Choices, dtype: str, shape: Tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    if dtype == "bool":
        arr = np.array([c.boolean() for _ in range(n)], dtype=bool).reshape(shape)
    elif dtype.startswith("int"):
        info = np.iinfo(dtype)
        values = [c.choice([e for e in INT_EDGES if info.min <= e <= info.max]) if c.integer(0, 7) == 0
                  else c.integer(-6, 6) for _ in range(n)]
        arr = np.array(values, dtype=dtype).reshape(shape)
    else:
        pick = c.integer(0, 9)
        values = [c.choice(SPECIAL) if pick < 3 else c.choice(SUBNORMAL_MAKERS) if pick < 4 else c.real(-5, 5)
                  for _ in range(n)]
        with np.errstate(all="ignore"):
            arr = np.array(values, dtype=dtype).reshape(shape)
    if c.boolean() and arr.ndim and arr.shape[-1] > 1:
        # the same values through a strided (and maybe reversed) view
        big = np.repeat(arr, 2, axis=-1)
        arr = big[..., ::2] if c.boolean() else big[..., ::-2][..., ::-1]
    if arr.ndim >= 2 and c.integer(0, 3) == 0:
        arr = np.ascontiguousarray(arr.T).T  # the same values laid out with the dims reversed
    return arr


def _number(text: str) -> Any:
    return {"True": True, "False": False}.get(text) if text in ("True", "False") else \
        float(text) if "." in text or "e" in text else int(text)


def _type_name(v: Any) -> str:
    return "bool" if isinstance(v, bool) else "float" if isinstance(v, float) else "int"


def random_group(c: Choices, exact: bool = True) -> Tuple[str, List[Any]]:
    """A random group (graph text) and inputs for it."""
    rank = c.integer(0, 3)
    base = [c.integer(0, 3) if c.integer(0, 9) == 0 else c.integer(1, 4) for _ in range(rank)]
    n_in = c.integer(1, 3)
    inputs: List[Any] = []
    header, lines, values = [], [], []
    for i in range(n_in):
        dtype = c.choice(DTYPES)
        keep = c.integer(0, rank)
        shape = tuple(1 if c.boolean() else d for d in base[rank - keep:])
        inputs.append(_tensor(c, dtype, shape))
        header.append(f"%x{i} : {SHORT_NAME[dtype]}({', '.join('*' for _ in shape)})")
        values.append(f"%x{i}")
    if c.integer(0, 2) == 0:  # a Python number the group takes as an input
        s = _number(c.choice(SCALAR_INTS + SCALAR_OTHERS))
        inputs.append(s)
        header.append(f"%s : {_type_name(s)}")
    for k in range(c.integer(2, 6)):
        kind = c.integer(0, 9)
        if kind < 4:
            op = c.choice(EXACT_UNARY if exact else EXACT_UNARY + APPROX_UNARY)
            a = c.choice(values)
            if op == "round" and c.boolean():  # round(x, decimals=d), d past float32's range too
                lines.append(f"  %d{k} : int = prim::Constant[value={c.choice(ROUND_DECIMALS)}]()")
                lines.append(f"  %v{k} : Tensor = aten::round({a}, %d{k})")
            else:
                lines.append(f"  %v{k} : Tensor = aten::{op}({a})")
        elif kind == 9:
            args = ", ".join(c.choice(values) for _ in range(3))
            lines.append(f"  %v{k} : Tensor = aten::addcmul({args}, {_scalar_operand(c, inputs, lines, k)})")
        else:
            op = c.choice(EXACT_BINARY if exact else EXACT_BINARY + ["pow"])
            a = c.choice(values)
            if op in SCALAR_OPERAND and c.integer(0, 2) == 0:
                lines.append(f"  %v{k} : Tensor = aten::{op}({a}, {_scalar_operand(c, inputs, lines, k)})")
            else:
                lines.append(f"  %v{k} : Tensor = aten::{op}({a}, {c.choice(values)})")
        values.append(f"%v{k}")
    outs = sorted({values[-1], c.choice(values[n_in:])})
    text = f"graph({', '.join(header)}):\n" + "\n".join(lines) + f"\n  return ({', '.join(outs)})\n"
    return text, inputs


def _scalar_operand(c: Choices, inputs: List[Any], lines: List[str], k: int) -> str:
    """The group's Python-number input, or a new constant."""
    if not isinstance(inputs[-1], np.ndarray) and c.boolean():
        return "%s"
    v = _number(c.choice(SCALAR_INTS + SCALAR_OTHERS))
    lines.append(f"  %c{k} : {_type_name(v)} = prim::Constant[value={v}]()")
    return f"%c{k}"


def run_both(text: str, inputs: Sequence[Any]) -> Optional[List[Tuple[np.ndarray, np.ndarray]]]:
    """(fused, eager) output pairs, or None when both raised the same error (type and
    message); AssertionError when only one raised or they raised differently."""
    g = parse_graph(text)
    shape_propagation(g)  # the drawn intermediates are Tensor: kernels take the dtypes of typed graphs
    try:
        with np.errstate(all="ignore"):
            expected = host.generate(g).fn(*inputs)
    except Exception as e:  # noqa: BLE001 - the fused kernel must raise the same
        try:
            FusedKernel(g)(*inputs)
        except Exception as f:  # noqa: BLE001
            assert (type(f), str(f)) == (type(e), str(e)), f"fused raised {f!r}, eager {e!r}"
            return None
        raise AssertionError(f"eager raised {e!r}, fused did not") from None
    got = FusedKernel(g)(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    return list(zip(got, expected))


def assert_exact(pairs: Optional[List[Tuple[np.ndarray, np.ndarray]]]) -> None:
    for got, expected in pairs or ():
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        # signed zeros too (assert_array_equal takes -0.0 == 0.0); a NaN's sign means nothing
        if got.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(got) & ~np.isnan(got), np.signbit(expected) & ~np.isnan(got))


def _has_float32(text: str) -> bool:
    """Whether any value of the group is float32 (exp of an int or bool is)."""
    g = parse_graph(text)
    shape_propagation(g)
    values = list(g.inputs) + [v for node in g.nodes for v in node.outputs]
    return any(getattr(v.type, "dtype", None) == "float32" for v in values)


def assert_close(pairs: Optional[List[Tuple[np.ndarray, np.ndarray]]], text: str, inputs: Sequence[Any]) -> None:
    """Float results within the math library's bounds (plus the eager kernel's own error),
    everything else exact."""
    arrays = [a for a in inputs if isinstance(a, np.ndarray)]
    # eager numpy float32 functions are themselves only good to a few ulps, and a float64
    # result may add such a float32 value
    rtol = 2e-5 if _has_float32(text) else 1e-13
    # a few ulps of error in a term survive a later cancellation (tanh(x) - x) as an absolute
    # error on the scale of the terms, which the inputs bound for these functions
    scale = min(1.0, max([0.0] + [float(np.max(np.abs(a[np.isfinite(a)]), initial=0)) for a in arrays
                                  if a.dtype.kind == "f" and a.size]))
    for got, expected in pairs or ():
        assert got.dtype == expected.dtype and got.shape == expected.shape
        if got.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)
        else:
            np.testing.assert_array_equal(got, expected)

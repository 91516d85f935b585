"""Accuracy of the math library (codegen/llvm/mathlib.py) against higher-precision
references, on millions of values across the whole range and on the special values."""
import math

import numpy as np
import pytest

from codegen.launch import FusedKernel
from ir.parser import parse_graph

L = np.longdouble
SHORT = {np.float32: "Float", np.float64: "Double"}
# asserted bounds in ulps (the mathlib docstring states the measured errors)
BOUND = {"exp": (1, 1.5), "expm1": (1, 2.5), "log": (1, 1.5), "log1p": (1, 1.5), "tanh": (1, 3),
         "sigmoid": (1, 3), "erf": (1, 2.5)}


def _erf(x):
    return np.array([math.erf(v) for v in x.astype(np.float64)], dtype=L)


REFERENCE = {
    "exp": lambda x: np.exp(x.astype(L)), "expm1": lambda x: np.expm1(x.astype(L)),
    "log": lambda x: np.log(x.astype(L)), "log1p": lambda x: np.log1p(x.astype(L)),
    "tanh": lambda x: np.tanh(x.astype(L)), "sigmoid": lambda x: 1 / (1 + np.exp(-x.astype(L))),
    "erf": _erf,
}


def unary(name, dtype):
    t = SHORT[dtype]
    return FusedKernel(parse_graph(f"graph(%x : {t}(*)):\n  %1 : {t}(*) = aten::{name}(%x)\n  return (%1)\n"))


def ulp_error(got, ref, dtype):
    """|got - ref| in ulps of the correctly rounded result (subnormal ulps below the normal
    range); matching NaNs and infinities count as exact."""
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        ulp = np.maximum(np.spacing(np.abs(rounded)).astype(L), L(np.finfo(dtype).smallest_subnormal))
        err = np.abs(got.astype(L) - ref) / ulp
    exact = (np.isnan(got) & np.isnan(ref)) | (np.isinf(got) & (got == rounded))
    return np.where(exact, 0, err)


SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-310, -1e-310, 1.4e-45, -1.4e-45, 1e-40,
           1.17e-38, 2.2250738585072014e-308, 88.72, 88.73, -87.33, -103.97, -104.0, 709.78, 709.79,
           -745.13, -745.14, -1.0, -0.9999999, -1.0000001, 1e300, -1e300, 3.4e38, -3.4e38, 0.5, 1.0, 2.0, 6.0,
           5.999, 1.9999, 0.99999, 20.0, 22.0, 40.0, -40.0, 1e-8, -1e-8]


def samples(dtype, n, rng):
    finfo = np.finfo(dtype)
    parts = [rng.uniform(-1, 1, n), rng.uniform(-30, 30, n), rng.uniform(-800, 800, n // 4),
             np.exp(rng.uniform(-745, 709, n // 2)) * rng.choice([-1, 1], n // 2)]
    # random bit patterns: every exponent, subnormals included
    width = np.uint32 if dtype == np.float32 else np.uint64
    parts.append(rng.integers(0, np.iinfo(width).max, n // 2, dtype=width, endpoint=True).view(dtype))
    with np.errstate(all="ignore"):
        x = np.concatenate([p.astype(dtype) for p in parts] + [np.array(SPECIAL).astype(dtype)])
    assert np.any(np.abs(x) < finfo.tiny) and np.any(np.isinf(x)) and np.any(np.isnan(x))
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(REFERENCE))
def test_accuracy_within_stated_ulps(name, dtype):
    rng = np.random.default_rng(hash(name) % 1000)
    n = 40_000 if name == "erf" else 400_000
    x = samples(dtype, n, rng)
    got = unary(name, dtype)(x)
    assert got.dtype == dtype
    err = ulp_error(got, REFERENCE[name](x), dtype)
    worst = int(np.argmax(err))
    bound = BOUND[name][dtype == np.float64]
    assert err[worst] <= bound, f"{name}({x[worst]!r}) = {got[worst]!r}: {err[worst]:.2f} ulp"


def test_special_values_follow_c99():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)
    with np.errstate(all="ignore"):
        for name, ref in [("exp", np.exp), ("log", np.log), ("log1p", np.log1p), ("expm1", np.expm1),
                          ("tanh", np.tanh)]:
            got = unary(name, np.float32)(x)
            np.testing.assert_array_equal(got, ref(x), err_msg=name)
            np.testing.assert_array_equal(np.signbit(got[:2]), np.signbit(ref(x)[:2]), err_msg=name)
        np.testing.assert_array_equal(unary("erf", np.float32)(x), [0.0, -0.0, 1.0, -1.0, np.nan])
        np.testing.assert_array_equal(unary("sigmoid", np.float32)(x), [0.5, 0.5, 1.0, 0.0, np.nan])
        assert np.isnan(unary("log", np.float64)(np.array([-1.0]))[0])
        assert unary("log1p", np.float64)(np.array([-1.0]))[0] == -np.inf


def test_float32_pow_is_correctly_rounded_and_has_c99_special_cases():
    g = parse_graph("graph(%x : Float(*), %y : Float(*)):\n  %1 : Float(*) = aten::pow(%x, %y)\n  return (%1)\n")
    k = FusedKernel(g)
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 200_000).astype(np.float32)
    y = rng.uniform(-30, 30, 200_000).astype(np.float32)
    with np.errstate(all="ignore"):
        ref = np.power(x.astype(L), y.astype(L))
        assert ulp_error(k(x, y), ref, np.float32).max() <= 1
        special = np.array([0, -0.0, np.inf, -np.inf, np.nan, 1, -1, 2, -2, 0.5], np.float32)
        xs, ys = np.repeat(special, 10), np.tile(special, 10)
        np.testing.assert_array_equal(k(xs, ys), np.power(xs, ys))  # numpy's powf is C99's

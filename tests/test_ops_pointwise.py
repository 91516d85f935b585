"""Pointwise ops against numpy and PyTorch's documented semantics: values, broadcasting, dtype
promotion (wrapped Python numbers, 0-d tensors), empty and 0-d tensors, specials, errors.

Expected dtypes and messages were read off PyTorch 2.13 and are written here as data."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitorch_jit as torch
from minitorch_jit.nn import functional as F
from minitorch_jit.ops.erf import erf as erf_f64

DTYPES = ["float32", "float64", "int64", "int32", "bool"]
VALUES = {
    "float32": [[-2.5, -1.0, -0.5], [0.0, 0.5, 3.0]],
    "float64": [[-2.5, -1.0, -0.5], [0.0, 0.5, 3.0]],
    "int64": [[-3, -1, 0], [1, 2, 5]],
    "int32": [[-3, -1, 0], [1, 2, 5]],
    "bool": [[True, False, True], [False, False, True]],
}
SPECIALS = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e-40, 5e-324, 88.0, -88.0, 1e30, 0.5, -3.0]


def t(dtype, values=None):
    return torch.tensor(VALUES[dtype] if values is None else values, dtype=getattr(torch, dtype))


def assert_same(got, want, dtype=None, rtol=None):
    """Values (NaN where NaN), shape and dtype."""
    want = np.asarray(want)
    dtype = dtype or want.dtype.name
    assert got.dtype.name == dtype, (got.dtype, dtype)
    assert tuple(got.shape) == want.shape
    a = got.numpy()
    if a.dtype.kind == "f":
        tol = rtol if rtol is not None else (1e-6 if a.dtype == np.float32 else 1e-14)
        np.testing.assert_allclose(a, want.astype(a.dtype), rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, want)


# -- unary ------------------------------------------------------------------------------------

with np.errstate(all="ignore"):
    UNARY_FLOAT = {  # op -> numpy formula; integers and bools give float32
        "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
        "rsqrt": lambda x: 1 / np.sqrt(x), "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos,
        "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "erf": lambda x: np.vectorize(math.erf, otypes=[np.float64])(x),
    }


@pytest.mark.parametrize("name", sorted(UNARY_FLOAT))
@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_float_ops_match_numpy_and_make_integers_float32(name, dtype):
    x = t(dtype)
    out_dtype = dtype if dtype.startswith("float") else "float32"
    with np.errstate(all="ignore"):
        want = UNARY_FLOAT[name](np.asarray(VALUES[dtype], np.float64))
    assert_same(getattr(torch, name)(x), want, out_dtype, rtol=2e-6 if out_dtype == "float32" else 1e-13)
    assert_same(getattr(torch, name)(x[1, 1]), want[1, 1], out_dtype, rtol=2e-6 if out_dtype == "float32" else 1e-13)
    empty = getattr(torch, name)(x[:0])
    assert empty.shape == (0, 3) and empty.dtype.name == out_dtype


@pytest.mark.parametrize("name", sorted(UNARY_FLOAT))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_float_ops_on_special_values(name, dtype):
    x = np.array(SPECIALS, dtype)
    with np.errstate(all="ignore"):
        want = UNARY_FLOAT[name](x.astype(np.float64))
    if name == "rsqrt":
        want = np.where(x == 0, np.copysign(np.inf, x), want)
    with np.errstate(over="ignore"):
        want = want.astype(dtype)
    got = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert got.dtype == x.dtype
    np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == "float32" else 1e-13, equal_nan=True)
    np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(want[got == 0]))


def test_neg_abs_relu_sign_keep_the_dtype():
    for dtype in ["float32", "float64", "int64", "int32"]:
        a = np.asarray(VALUES[dtype])
        assert_same(torch.neg(t(dtype)), -a, dtype)
        assert_same(-t(dtype), -a, dtype)
        assert_same(abs(t(dtype)), np.abs(a), dtype)
        assert_same(torch.relu(t(dtype)), np.maximum(a, 0), dtype)
        assert_same(torch.sign(t(dtype)), np.sign(a), dtype)
    assert_same(torch.sign(t("bool")), VALUES["bool"], "bool")
    # PyTorch's sign is (0 < x) - (x < 0): the sign of NaN is 0
    assert_same(torch.sign(torch.tensor([math.nan, -math.inf, -0.0, 2.0])), [0.0, -1.0, 0.0, 1.0], "float32")


@pytest.mark.parametrize("name, f", [("floor", np.floor), ("ceil", np.ceil), ("round", np.rint), ("trunc", np.trunc)])
def test_rounding(name, f):
    x = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.2, 2.7, math.nan, math.inf]
    assert_same(getattr(torch, name)(torch.tensor(x)), f(np.array(x, np.float32)), "float32")
    assert_same(getattr(torch, name)(t("int64")), VALUES["int64"], "int64")   # integers are already whole
    assert torch.round(torch.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]  # half to even


def test_logical_and_bitwise_not():
    assert_same(torch.logical_not(t("float32")), np.logical_not(VALUES["float32"]), "bool")
    assert_same(~t("bool"), np.logical_not(VALUES["bool"]), "bool")
    assert_same(~t("int32"), np.invert(np.array(VALUES["int32"], np.int32)), "int32")
    assert_same(torch.bitwise_not(t("int64")), np.invert(np.array(VALUES["int64"])), "int64")
    with pytest.raises(NotImplementedError, match="\"bitwise_not\" not implemented for 'Float'"):
        ~t("float32")


def test_gelu_and_silu_formulas():
    x = np.array([-3.0, -1.0, -0.1, 0.0, 0.5, 2.0, 10.0], np.float64)
    erf = np.vectorize(math.erf)(x / math.sqrt(2))
    assert_same(F.gelu(torch.tensor(x, dtype=torch.float64)), 0.5 * x * (1 + erf))
    tanh = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
    assert_same(F.gelu(torch.tensor(x, dtype=torch.float64), approximate="tanh"), 0.5 * x * (1 + tanh))
    assert_same(F.silu(torch.tensor(x, dtype=torch.float64)), x / (1 + np.exp(-x)))
    assert_same(F.gelu(torch.tensor(x.tolist())), (0.5 * x * (1 + erf)).astype(np.float32))
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(torch.tensor(x.tolist()), approximate="foo")


@pytest.mark.parametrize("name, dtype", [
    ("abs", "bool"), ("floor", "bool"), ("ceil", "bool"), ("round", "bool"), ("trunc", "bool"),
    ("gelu", "int64"), ("gelu", "bool"), ("silu", "int32"),
])
def test_unary_ops_refuse_dtypes_as_pytorch_does(name, dtype):
    f = getattr(F, name) if name in ("gelu", "silu") else getattr(torch, name)
    with pytest.raises(NotImplementedError, match=f"not implemented for '{ {'bool': 'Bool', 'int64': 'Long', 'int32': 'Int'}[dtype]}'"):
        f(t(dtype))


def test_bool_negation_and_relu_messages():
    with pytest.raises(RuntimeError, match=r"Negation, the `-` operator, on a bool tensor is not supported"):
        -t("bool")
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        torch.relu(t("bool"))


@pytest.mark.parametrize("name", ["exp", "sqrt", "relu", "abs", "neg", "floor", "sigmoid", "erf"])
def test_in_place_unary_writes_into_self_and_returns_it(name):
    x = t("float32")
    want = getattr(torch, name)(x).numpy().copy()
    y = getattr(x, name + "_")()
    assert y is x
    np.testing.assert_allclose(x.numpy(), want)


def test_in_place_float_op_on_integers_is_refused():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        t("int64").exp_()


# -- erf ------------------------------------------------------------------------------------------


def test_erf_within_one_ulp_of_libm_and_specials_exact():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-7, 7, 20000), 10.0 ** rng.uniform(-320, 1, 2000), np.linspace(0.8, 1.8, 1001),
                        [0.84375, np.nextafter(0.84375, 0), 1.75, 2.5, 3.5, 4.75, 6.0, np.nextafter(6.0, 0)]])
    want = np.array([math.erf(v) for v in x])
    got = erf_f64(x)
    ulps = np.abs(got - want) / np.spacing(np.abs(want))
    assert ulps.max() <= 1.0                  # libm's erf is itself within about 1 ulp
    assert (ulps == 0).mean() > 0.9
    np.testing.assert_array_equal(erf_f64(np.array([math.inf, -math.inf, 1e300, -40.0])), [1, -1, 1, -1])
    assert np.isnan(erf_f64(np.array([math.nan]))[0])
    assert np.signbit(erf_f64(np.array([-0.0]))[0])
    assert erf_f64(np.array([5e-324]))[0] == 5e-324   # x * 2/sqrt(pi) rounds back to the smallest denormal


def test_erf_of_float32_is_the_rounded_double():
    x = np.random.default_rng(1).uniform(-4, 4, 1000).astype(np.float32)
    want = np.array([math.erf(v) for v in x.astype(np.float64)]).astype(np.float32)
    np.testing.assert_array_equal(torch.erf(torch.from_numpy(x)).numpy(), want)


# -- binary ---------------------------------------------------------------------------------------

# PyTorch's result dtype of op(tensor of dtype a, tensor of dtype b) for same-rank tensors
PROMOTE = {
    ("float32", "float64"): "float64", ("float32", "int64"): "float32", ("float32", "int32"): "float32",
    ("float32", "bool"): "float32", ("float64", "int64"): "float64", ("float64", "int32"): "float64",
    ("float64", "bool"): "float64", ("int64", "int32"): "int64", ("int64", "bool"): "int64",
    ("int32", "bool"): "int32",
}


def promoted(a, b):
    return a if a == b else PROMOTE.get((a, b)) or PROMOTE[(b, a)]


ARITH = {"add": np.add, "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum, "max": np.maximum,
         "min": np.minimum}


@pytest.mark.parametrize("name", sorted(ARITH))
@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_binary_arithmetic_promotes_like_pytorch(name, da, db):
    dt = promoted(da, db)
    a, b = np.array(VALUES[da]).astype(dt), np.array(VALUES[db]).astype(dt)
    assert_same(getattr(torch, name)(t(da), t(db)), ARITH[name](a, b).astype(dt), dt)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_true_division_is_floating(da, db):
    dt = promoted(da, db)
    dt = dt if dt.startswith("float") else "float32"
    b = [[2.5, 1.0, 0.5], [7.0, 0.5, 3.0]] if db.startswith("float") else ([[3, 1, 2], [1, 2, 5]] if db != "bool"
                                                                            else [[True] * 3] * 2)
    want = np.array(VALUES[da]).astype(np.float64) / np.array(b).astype(np.float64)
    assert_same(torch.div(t(da), t(db, b)), want.astype(dt), dt)


@pytest.mark.parametrize("scalar, dtypes", [
    # result dtype for tensors of float32, float64, int64, int32, bool combined with the Python scalar
    (2, ["float32", "float64", "int64", "int32", "int64"]),
    (2.5, ["float32", "float64", "float32", "float32", "float32"]),
    (True, ["float32", "float64", "int64", "int32", "bool"]),
])
def test_wrapped_python_numbers_do_not_raise_the_category(scalar, dtypes):
    for dtype, want in zip(DTYPES, dtypes):
        out = t(dtype) * scalar
        assert out.dtype.name == want
        np.testing.assert_array_equal(out.numpy(), (np.array(VALUES[dtype]) * scalar).astype(want))
        assert (scalar * t(dtype)).dtype.name == want   # reflected operator


@pytest.mark.parametrize("dtype, other, want", [
    ("float32", "float64", "float32"), ("int32", "int64", "int32"), ("int32", "float64", "float64"),
    ("bool", "int64", "int64"), ("int64", "float32", "float32"), ("float32", "bool", "float32"),
])
def test_zero_dim_tensors_count_as_wrapped_numbers(dtype, other, want):
    zero_d = torch.tensor(2, dtype=getattr(torch, other))
    assert (t(dtype) + zero_d).dtype.name == want
    assert (zero_d + t(dtype)).dtype.name == want
    # two 0-d tensors promote normally
    assert (t(dtype)[0, 0] + zero_d).dtype.name == promoted(dtype, other)


@pytest.mark.parametrize("a_shape, b_shape, out", [
    ((2, 3), (3,), (2, 3)), ((2, 1), (1, 3), (2, 3)), ((4, 1, 3), (2, 1), (4, 2, 3)), ((), (2, 3), (2, 3)),
    ((0, 3), (3,), (0, 3)), ((1,), (0,), (0,)), ((2, 0, 1), (1, 5), (2, 0, 5)),
])
def test_broadcasting(a_shape, b_shape, out):
    a = np.arange(int(np.prod(a_shape)), dtype=np.float32).reshape(a_shape)
    b = np.arange(int(np.prod(b_shape)), dtype=np.float32).reshape(b_shape) + 1
    got = torch.from_numpy(a) - torch.from_numpy(b)
    assert got.shape == out
    np.testing.assert_array_equal(got.numpy(), a - b)


@pytest.mark.parametrize("a_shape, b_shape, message", [
    ((2, 3), (2,), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    ((4, 2, 3), (5, 1, 1), "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 0"),
    ((0,), (2,), "The size of tensor a (0) must match the size of tensor b (2) at non-singleton dimension 0"),
])
def test_broadcast_errors_name_both_sizes(a_shape, b_shape, message):
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        torch.zeros(*a_shape) * torch.ones(*b_shape)


def test_integer_division_semantics():
    a, b = torch.tensor([-7, 7, -1, 5]), torch.tensor([2, -2, 3, 5])
    assert (a // b).tolist() == [-4, -4, -1, 1]               # floor, as Python
    assert (a % b).tolist() == [1, -1, 2, 0]                  # sign of the divisor
    assert torch.remainder(5, torch.tensor([3, 2])).tolist() == [2, 1]
    assert (torch.tensor([5.5, -5.5]) % -2.0).tolist() == [-0.5, -1.5]
    assert (a / b).dtype.name == "float32"
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        a % torch.tensor([1, 0, 1, 1])
    f = torch.tensor([1.0, -1.0, 0.0])
    assert_same(f / 0, [math.inf, -math.inf, math.nan], "float32")
    assert_same(f // 0, [math.inf, -math.inf, math.nan], "float32")


def test_pow_semantics():
    assert_same(torch.tensor([3, 2]) ** 2, [9, 4], "int64")
    assert_same(2 ** torch.tensor([3, 2]), [8, 4], "int64")
    assert_same(2.5 ** torch.tensor([3, 2]), [15.625, 6.25], "float32")
    assert_same(torch.pow(2, torch.tensor([3, 2])), [8, 4], "int64")
    # integer tensors to negative integer tensor powers: 1 and -1 keep their magnitude, the rest are 0
    assert_same(torch.tensor([1, 2, -1, -1, 3]) ** torch.tensor([-1, -1, -1, -2, -2]), [1, 0, -1, 1, 0], "int64")
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        torch.tensor([1, 2]) ** -1
    assert_same(torch.tensor([-2.0, 0.0]) ** 0.5, [math.nan, 0.0], "float32")
    # a float32 tensor to a Python float power is computed in double precision, then rounded
    x = np.arange(24, dtype=np.float32)
    assert_same(torch.from_numpy(x) ** 1.3, (x.astype(np.float64) ** 1.3).astype(np.float32), "float32", rtol=0)
    assert_same(torch.tensor([True, False]) ** True, [True, False], "bool")
    assert_same(torch.tensor([True, False]) ** False, [True, True], "bool")
    assert_same(torch.tensor([True, False]) ** 2, [1, 0], "int64")
    with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
        t("bool") ** t("bool")


def test_nan_propagates_through_maximum_and_minimum():
    a, b = torch.tensor([math.nan, 1.0, 2.0]), torch.tensor([0.0, math.nan, 1.0])
    assert_same(torch.maximum(a, b), [math.nan, math.nan, 2.0], "float32")
    assert_same(torch.min(a, b), [math.nan, math.nan, 1.0], "float32")


@pytest.mark.parametrize("name, f", [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                                     ("gt", np.greater), ("ge", np.greater_equal)])
def test_comparisons_give_bool_after_promotion(name, f):
    for da in DTYPES:
        a = np.array(VALUES[da])
        assert_same(getattr(torch, name)(t(da), 0.5), f(a, 0.5), "bool")   # int tensor vs 0.5 compares as float
        assert_same(getattr(torch, name)(t(da), t("float64")), f(a.astype(np.float64), np.array(VALUES["float64"])),
                    "bool")
    assert_same(getattr(torch, name)(torch.tensor([math.nan]), math.nan), f([math.nan], math.nan), "bool")


def test_logical_and_bitwise_binary_ops():
    a, b = t("int64"), t("bool")
    assert_same(torch.logical_and(a, b), np.logical_and(VALUES["int64"], VALUES["bool"]), "bool")
    assert_same(torch.logical_or(a, b), np.logical_or(VALUES["int64"], VALUES["bool"]), "bool")
    assert_same(torch.logical_xor(a, b), np.logical_xor(VALUES["int64"], VALUES["bool"]), "bool")
    assert_same(a & 6, np.array(VALUES["int64"]) & 6, "int64")
    assert_same(b | b, VALUES["bool"], "bool")
    assert_same(3 ^ t("int32"), 3 ^ np.array(VALUES["int32"], np.int32), "int32")
    with pytest.raises(NotImplementedError, match="\"bitwise_and\" not implemented for 'Float'"):
        a & 2.5
    with pytest.raises(TypeError, match="logical_and"):
        torch.logical_and(a, 2)       # tensors only, as in PyTorch


@pytest.mark.parametrize("name", ["maximum", "minimum", "logical_and", "logical_or", "logical_xor"])
def test_tensor_only_binary_ops_refuse_numbers(name):
    with pytest.raises(TypeError, match=f"{name}\\(\\) received an invalid combination of arguments"):
        getattr(torch, name)(t("float32"), 2)


def test_subtraction_with_bools_is_refused():
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        t("bool") - t("bool")
    for expr in (lambda: t("float32") - t("bool"), lambda: t("int64") - True, lambda: 2 - t("bool")):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
            expr()


@pytest.mark.parametrize("name", ["floor_divide", "remainder"])
def test_integer_only_ops_refuse_bools(name):
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        getattr(torch, name)(t("bool"), True)


def test_alpha():
    a = np.array(VALUES["float32"], np.float32)
    assert_same(torch.add(t("float32"), t("float32"), alpha=2), a + 2 * a, "float32")
    assert_same(torch.sub(t("int64"), t("int64"), alpha=3), np.array(VALUES["int64"]) * -2, "int64")
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point"):
        torch.add(t("int64"), t("int64"), alpha=2.5)


@pytest.mark.parametrize("op, py", [("add", "+="), ("sub", "-="), ("mul", "*="), ("div", "/=")])
def test_in_place_binary_ops_and_operators(op, py):
    x = t("float32")
    want = getattr(torch, op)(x, 2).numpy().copy()
    y = getattr(x, op + "_")(2)
    assert y is x
    np.testing.assert_allclose(x.numpy(), want)
    z = t("float32")
    alias = z
    exec(f"z {py} 2", {}, {"z": z})
    assert alias is z
    np.testing.assert_allclose(z.numpy(), want)


def test_in_place_results_must_fit_the_dtype():
    x = t("int64")
    x *= 2
    assert x.tolist() == [[-6, -2, 0], [2, 4, 10]]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        x /= 2
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Int"):
        t("int32").add_(t("float64"))
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        t("bool").mul_(2)
    with pytest.raises(RuntimeError, match="output with shape|must match"):
        torch.zeros(3).add_(torch.ones(2, 3))


def test_in_place_binary_ops_write_into_self_with_promotion_alpha_and_broadcasting():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    memory = x.numpy()
    x.add_(torch.tensor([10.0, 20.0, 30.0]), alpha=-2)        # broadcast row, alpha
    x.sub_(torch.tensor([[1.0], [2.0]], dtype=torch.float64))  # a double operand, cast into float
    x.mul_(torch.tensor(2, dtype=torch.int64))                  # a 0-d int operand
    x.div_(4)
    assert x.numpy() is memory and x.dtype == torch.float32
    assert_same(x, ((np.array([[1.0, 2, 3], [4, 5, 6]]) - 2 * np.array([10.0, 20, 30]) - [[1.0], [2.0]]) * 2) / 4,
                "float32")
    i = torch.tensor([2**31 - 1, 0], dtype=torch.int32)
    i.add_(1)  # wraps as PyTorch's int32 does
    assert i.tolist() == [-(2**31), 1]
    i.sub_(torch.tensor([1, 1], dtype=torch.int32), alpha=3)
    assert i.tolist() == [2**31 - 3, -2]
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating point"):
        i.add_(i, alpha=0.5)
    b = torch.tensor([True, False])
    b.add_(torch.tensor([False, False]), alpha=2)
    assert b.tolist() == [True, False]


def test_in_place_binary_ops_bump_the_version_and_keep_gradients():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y._version
    y.mul_(2).add_(x, alpha=3)  # 2x + 3x
    assert y._version == v + 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0, 5.0])
    z = x * 1
    w = z * z
    z.add_(torch.ones(3), alpha=2)  # overwrites what w's backward saved
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.FloatTensor \[3\]\], which is "
                                           "output 0 of AddBackward0, is at version 1; expected version 0 instead"):
        w.sum().backward()


def test_in_place_operand_sharing_memory_with_self():
    x = torch.arange(6.0)
    x.add_(x)        # the same elements, the same order: allowed
    assert x.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    x[:3].mul_(x[3:])  # disjoint: allowed
    assert x.tolist() == [0.0, 16.0, 40.0, 6.0, 8.0, 10.0]
    x[::2].sub_(x[1::2])  # interleaved, neither a dense block: allowed, read before written
    assert x.tolist() == [-16.0, 16.0, 34.0, 6.0, -2.0, 10.0]
    m = torch.arange(9.0).reshape(3, 3)
    for write, read in [(lambda: x[1:], lambda: x[:-1]), (lambda: m, lambda: m.t()), (lambda: m, lambda: m[0]),
                        (lambda: x, lambda: x[0])]:
        with pytest.raises(RuntimeError, match="some elements of the input tensor and the written-to tensor refer "
                                               "to a single memory location"):
            write().add_(read(), alpha=2)


# -- clamp, where, lerp, addcmul -------------------------------------------------------------------


def test_clamp():
    a = np.array(VALUES["float32"], np.float32)
    assert_same(torch.clamp(t("float32"), min=-1), np.maximum(a, -1), "float32")
    assert_same(torch.clamp(t("float32"), max=0.7), np.minimum(a, np.float32(0.7)), "float32")
    assert_same(t("float32").clip(-1, 1), np.clip(a, -1, 1), "float32")
    assert_same(torch.clamp(t("float32"), 1, 0), np.zeros_like(a), "float32")      # min > max: everything is max
    assert_same(torch.clamp(t("int32"), -1, 2), np.clip(VALUES["int32"], -1, 2).astype(np.int32), "int32")
    assert_same(torch.clamp(t("int64"), -1.5, 2.5), np.clip(VALUES["int64"], -1.5, 2.5), "float32")
    assert_same(torch.clamp(t("bool"), 0, 1), np.array(VALUES["bool"], np.int64), "int64")
    assert_same(torch.clamp(torch.tensor([math.nan, 1.0]), 0, 0.5), [math.nan, 0.5], "float32")
    lo, hi = torch.tensor([-1.0, 0.0, 1.0]), torch.tensor([[0.0], [2.0]])
    assert_same(torch.clamp(t("float32"), lo, hi), np.minimum(np.maximum(a, lo.numpy()), hi.numpy()), "float32")
    x = t("float32")
    assert x.clamp_(-1, 1) is x
    assert_same(x, np.clip(a, -1, 1), "float32")
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        torch.clamp(t("float32"))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        t("int64").clamp_(-1.5, 1.5)


def test_where():
    c = t("bool")
    assert_same(torch.where(c, t("float32"), t("int64")),
                np.where(VALUES["bool"], VALUES["float32"], VALUES["int64"]), "float32")
    assert_same(torch.where(c, t("int64"), 2.5), np.where(VALUES["bool"], VALUES["int64"], 2.5), "float32")
    assert_same(torch.where(c, 2, 3), np.where(VALUES["bool"], 2, 3), "int64")
    assert_same(torch.where(c, 2.0, 3), np.where(VALUES["bool"], 2.0, 3.0), "float32")
    out = torch.where(c[:, :1], t("float32"), torch.tensor(0.0, dtype=torch.float64))
    assert_same(out, np.where(np.array(VALUES["bool"])[:, :1], VALUES["float32"], 0.0), "float32")
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got a tensor with "
                                           "dtype Long"):
        torch.where(t("int64"), t("float32"), t("float32"))


def test_lerp_is_exact_at_both_ends():
    a, b = torch.tensor([1.0, -2.0, 1e8]), torch.tensor([3.0, 5.0, 1.0])
    assert_same(torch.lerp(a, b, 0.0), a.numpy(), "float32", rtol=0)
    assert_same(torch.lerp(a, b, 1.0), b.numpy(), "float32", rtol=0)
    assert_same(torch.lerp(a, b, torch.tensor([0.25, 0.5, 0.75])),
                a.numpy() + np.array([0.25, 0.5, 0.75], np.float32) * (b.numpy() - a.numpy()), "float32")
    with pytest.raises(NotImplementedError, match="\"lerp\" not implemented for 'Long'"):
        torch.lerp(t("int64"), t("int64"), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float32 for `end` but got dtype float64"):
        torch.lerp(t("float32"), t("float64"), 0.5)


def test_addcmul():
    a, b, c = (np.array(VALUES[d]) for d in ("float32", "int64", "int32"))
    assert_same(torch.addcmul(t("float32"), t("float32"), t("float32"), value=0.5), a + 0.5 * a * a, "float32")
    assert_same(torch.addcmul(t("int64"), t("int64"), t("int32"), value=2), b + 2 * b * c, "int64")
    assert_same(torch.addcmul(t("int64"), t("float32"), t("int32")), b + a * c, "float32")
    # PyTorch converts value to the integral dtype: 0.5 truncates to 0
    assert_same(torch.addcmul(t("int64"), t("int64"), t("int32"), value=0.5), b, "int64")


# -- hypothesis: broadcasting pointwise expressions agree with numpy --------------------------------

_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)
_floats = st.floats(-1e3, 1e3, width=32)


@settings(max_examples=60, deadline=None)
@given(shapes=_shapes, data=st.data())
def test_broadcast_arithmetic_agrees_with_numpy(shapes, data):
    a = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=_floats))
    b = data.draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=_floats))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    for got, want in [(ta + tb, a + b), (ta * tb, a * b), (torch.maximum(ta, tb), np.maximum(a, b)),
                      (ta > tb, a > b), (torch.where(ta > tb, ta, tb), np.where(a > b, a, b))]:
        assert got.shape == shapes.result_shape
        np.testing.assert_array_equal(got.numpy(), want)


def test_overflow_and_invalid_values_come_out_silently_as_in_pytorch():
    """inf and nan results are values, not numpy RuntimeWarnings (PyTorch warns of none)."""
    big, zero = torch.tensor([1e30, -1e30]), torch.tensor([0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (big * big).tolist() == [float("inf"), float("inf")]
        assert all(math.isnan(v) for v in (zero / zero).tolist())
        assert math.isnan((big * big - big * big).sum().item())
        assert math.isnan(torch.mm(torch.tensor([[float("inf")]]), zero[:1, None]).item())


# -- round(decimals=d): values read off torch 2.13 (float32 rounds x * 10^d in float32) ----------

ROUND_X = [1.2345, -2.5, 0.125, 2.675, 1234.5678, -0.0, math.inf, math.nan, 1e30, 5e-40, 0.5, 1.5, 25.0, 35.0, -15.0]
ROUND_TORCH = {
    ("float32", 2): [1.2300000190734863, -2.5, 0.11999999731779099, 2.680000066757202, 1234.5699462890625, -0.0,
                     math.inf, math.nan, 1.0000000150474662e+30, 0.0, 0.5, 1.5, 25.0, 35.0, -15.0],
    ("float32", 1): [1.2000000476837158, -2.5, 0.10000000149011612, 2.700000047683716, 1234.5999755859375, -0.0,
                     math.inf, math.nan, 1.0000000150474662e+30, 0.0, 0.5, 1.5, 25.0, 35.0, -15.0],
    ("float32", -1): [0.0, -0.0, 0.0, 0.0, 1230.0, -0.0, math.inf, math.nan, 1.0000000150474662e+30, 0.0, 0.0, 0.0,
                      20.0, 40.0, -20.0],
    ("float32", 0): [1.0, -2.0, 0.0, 3.0, 1235.0, -0.0, math.inf, math.nan, 1.0000000150474662e+30, 0.0, 0.0, 2.0,
                     25.0, 35.0, -15.0],
    ("float32", 40): [math.nan] * 15,   # 10^40 is inf in float32
    ("float32", -40): [math.nan] * 15,
    ("float64", 2): [1.23, -2.5, 0.12, 2.68, 1234.57, -0.0, math.inf, math.nan, 1e30, 0.0, 0.5, 1.5, 25.0, 35.0, -15.0],
    ("float64", -1): [0.0, -0.0, 0.0, 0.0, 1230.0, -0.0, math.inf, math.nan, 1e30, 0.0, 0.0, 0.0, 20.0, 40.0, -20.0],
    ("float64", 40): ROUND_X,
    ("float64", -40): [0.0, -0.0, 0.0, 0.0, 0.0, -0.0, math.inf, math.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.0],
}


@pytest.mark.parametrize("dtype, decimals", sorted(ROUND_TORCH))
def test_round_with_decimals_gives_pytorchs_values(dtype, decimals):
    x = torch.tensor(ROUND_X, dtype=getattr(torch, dtype))
    want = np.array(ROUND_TORCH[dtype, decimals], dtype)
    for got in (torch.round(x, decimals=decimals), x.round(decimals=decimals), x.clone().round_(decimals=decimals)):
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got.numpy(), want)
        number = ~np.isnan(want)  # (the sign of a NaN is the platform's)
        assert np.array_equal(np.signbit(got.numpy())[number], np.signbit(want)[number])  # -0.0 stays -0.0


def test_round_with_decimals_overflows_and_refuses_like_pytorch():
    assert torch.round(torch.tensor([1e38, -3e38, 3.4e38]), decimals=1).tolist() == [math.inf, -math.inf, math.inf]
    assert torch.tensor([1.26, 2.5]).round_(decimals=1).tolist() == [np.float32(1.3), 2.5]
    for dtype, name in (("int64", "Long"), ("int32", "Int"), ("bool", "Bool")):
        x = torch.tensor([1, 0], dtype=getattr(torch, dtype))
        with pytest.raises(NotImplementedError, match=f"^\"round_cpu\" not implemented for '{name}'$"):
            torch.round(x, decimals=1)
    with pytest.raises(NotImplementedError, match="^\"round_vml_cpu\" not implemented for 'Long'$"):
        torch.round(torch.tensor([1, 2]), decimals=0)
    with pytest.raises(TypeError, match="round\\(\\) received an invalid combination of arguments"):
        torch.round(torch.tensor([1.5]), 1)  # decimals is keyword-only

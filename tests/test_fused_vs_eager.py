"""Issue 12's cases where fused code disagreed with eager (items 5-9) and where eager
disagreed with PyTorch (item 14): each runs eagerly and scripted (whose pointwise ops fuse
into one kernel, as the test checks), and both must give the same result or raise the same
error; values PyTorch 2.13 gives are written as literals.
The random programs of test_kernels.py and tools/fuzz_fused.py cover the same edges."""
import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit import script
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.ir.parser import parse_graph
from minitorch_jit.runtime.user_errors import HEADER


def outcome(fn, *args):
    try:
        r = fn(*args)
    except Exception as e:  # noqa: BLE001 - compared below
        if str(e).startswith(HEADER):  # raised in compiled code: the message adds the user's line to the original's
            return ("raised", type(e).__name__, str(e.__context__))
        return ("raised", type(e).__name__, str(e))
    return r.numpy() if isinstance(r, torch.Tensor) else r


def eager_and_fused(fn, *args, fused_group=True):
    """fn's outcome eagerly and scripted (its pointwise ops in a fusion group, unless
    ``fused_group`` is False); they must agree: values, dtype, signs of zeros, or the error's
    type and message."""
    eager = outcome(fn, *args)
    scripted = script(fn)
    assert ("prim::FusionGroup" in str(scripted.graph_for(*args))) == fused_group
    fused = outcome(scripted, *args)
    if isinstance(eager, tuple):
        assert fused == eager
    else:
        assert fused.dtype == eager.dtype and fused.shape == eager.shape
        np.testing.assert_array_equal(fused, eager)
        if eager.dtype.kind == "f":  # signs of zeros (a NaN's sign means nothing)
            np.testing.assert_array_equal(np.signbit(fused) & ~np.isnan(fused), np.signbit(eager) & ~np.isnan(eager))
    return eager


# -- 5. out-of-range Python ints --------------------------------------------------------------


def lt_2_31(a):
    return torch.maximum(a, a) < 2147483648


def eq_2_32_plus_5(a):
    return torch.maximum(a, a) == 4294967301


def remainder_by_comparison(a, b):
    return torch.remainder(torch.maximum(b, b), a < 2147483648)


def lt_2_70(a):
    return torch.maximum(a, a) < 1180591620717411303424


def ge_minus_2_70(a):
    return torch.maximum(a, a) >= -1180591620717411303424


def compare_with_argument(a, n: int):
    return (torch.maximum(a, a) < n) & (torch.maximum(a, a) != n)


def add_argument(a, n: int):
    return torch.maximum(a, a) + n


def test_out_of_range_python_ints_are_not_wrapped_in_fused_kernels():
    a = torch.tensor([5, -7], dtype=torch.int32)
    b = torch.tensor([3, 4], dtype=torch.int32)
    assert eager_and_fused(lt_2_31, a).tolist() == [True, True]
    assert eager_and_fused(eq_2_32_plus_5, a).tolist() == [False, False]
    assert eager_and_fused(remainder_by_comparison, a, b).tolist() == [0, 0]
    for x in (a, a.long()):
        assert eager_and_fused(lt_2_70, x).tolist() == [True, True]
        assert eager_and_fused(ge_minus_2_70, x).tolist() == [True, True]
    big = torch.tensor([5, -7, 2**63 - 1, -2**63])
    for x in (a, big):
        for n in (0, 5, 2**31 - 1, 2**31, -2**31 - 1, 2**63 - 1, 2**63, -2**63, -2**63 - 1, 2**64 + 5, -2**70):
            expected = [v < n for v in x.tolist()]
            assert eager_and_fused(compare_with_argument, x, n).tolist() == expected


def test_python_ints_in_arithmetic_wrap_as_in_pytorch_fused_and_eager():
    a = torch.tensor([5, -7], dtype=torch.int32)
    # PyTorch 2.13: int32 + 2**31 and int64 + 2**63 wrap; beyond 64 bits is an OverflowError
    assert eager_and_fused(add_argument, a, 2**31).tolist() == [-2147483643, 2147483641]
    assert eager_and_fused(add_argument, a, 2**32 + 1).tolist() == [6, -6]
    assert eager_and_fused(add_argument, a.long(), 2**63).tolist() == [-9223372036854775803, 9223372036854775801]
    assert eager_and_fused(add_argument, a.long(), 2**64 - 1).tolist() == [4, -8]
    assert eager_and_fused(add_argument, a, 2**64)[:2] == ("raised", "OverflowError")
    assert (a + 2**31).tolist() == [-2147483643, 2147483641]
    assert (2**31 - a).tolist() == [2147483643, -2147483641]
    assert (a // (2**32 + 3)).tolist() == [1, -3]
    assert (a & (2**32 + 3)).tolist() == [1, 1]


# -- 6. sigmoid's subnormals ------------------------------------------------------------------


def sigmoid_or_false(x, f):
    return torch.logical_or(torch.sigmoid(x), f)


def zero_over_sigmoid(x):
    return 0 / torch.sigmoid(x)


def sigmoid_of_sum(x):
    return torch.sigmoid(x + 0)


def silu_of_sum(x):
    return torch.nn.functional.silu(x + 0)


def test_fused_sigmoid_flushes_to_zero_where_eager_and_pytorch_do():
    f = torch.tensor([False])
    assert eager_and_fused(sigmoid_or_false, torch.tensor([-100], dtype=torch.int32), f).tolist() == [False]
    np.testing.assert_array_equal(eager_and_fused(zero_over_sigmoid, torch.tensor([-89.0, -88.0])), [np.nan, 0.0])
    # PyTorch 2.13's values, bit for bit: 0 from where e^-x overflows
    x32 = torch.tensor([-88.0, -88.72283, -88.72284, -89.0, -100.0, -104.0])
    want32 = [float.fromhex(h) for h in ("0x1.07b71p-127", "0x1.00008p-128", "0", "0", "0", "0")]
    x64 = torch.tensor([-709.0, -709.78, -709.79, -745.2], dtype=torch.float64)
    want64 = [float.fromhex(h) for h in ("0x0.8bfe55de02338p-1022", "0x0.402c8225ec681p-1022", "0", "0")]
    for x, want in ((x32, want32), (x64, want64)):
        eager = torch.sigmoid(x).numpy()
        fused = script(sigmoid_of_sum)(x).numpy()
        assert (eager == 0).tolist() == (fused == 0).tolist() == [w == 0 for w in want]
        np.testing.assert_array_equal(eager, want)
        np.testing.assert_allclose(fused, want, rtol=3e-7 if x.dtype == torch.float32 else 1e-15,
                                   atol=np.finfo(x.numpy().dtype).smallest_subnormal * 3)
        np.testing.assert_array_equal(script(silu_of_sum)(x).numpy() == 0, torch.nn.functional.silu(x).numpy() == 0)


# -- 7. addcmul with a float value on integer tensors ----------------------------------------


def addcmul_half_plus_one(a, b, c):
    return torch.addcmul(a, b, c, value=0.5) + 1


def addcmul_value_plus_one(a, b, c, v: float):
    return torch.addcmul(a, b, c, value=v) + 1


def test_addcmul_with_a_float_value_on_integer_tensors_fuses():
    a, b, c = torch.tensor([3, 4]), torch.tensor([2, 2]), torch.tensor([1, 1])
    assert eager_and_fused(addcmul_half_plus_one, a, b, c).tolist() == [4, 5]
    # PyTorch truncates value to the integer dtype: 1.7 -> 1, -1.7 -> -1
    assert eager_and_fused(addcmul_value_plus_one, a, b, c, 1.7).tolist() == [6, 7]
    assert eager_and_fused(addcmul_value_plus_one, a, b, c, -1.7).tolist() == [2, 3]
    assert eager_and_fused(addcmul_value_plus_one, a.int(), b.int(), c.int(), 2.9).tolist() == [8, 9]
    for v in (float("nan"), 1e30, -float("inf")):
        assert eager_and_fused(addcmul_value_plus_one, a, b, c, v) == (
            "raised", "RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert eager_and_fused(addcmul_value_plus_one, a.int(), b.int(), c.int(), 2.0**31) == (
        "raised", "RuntimeError", "value cannot be converted to type int without overflow")


# -- 8. the first failing op in program order -------------------------------------------------


VALUE_THEN_DTYPE_ERROR = """graph(%a : Long(*), %b : Long(*), %c : Bool(*)):
  %1 : Long(*) = aten::floor_divide(%a, %b)
  %2 : Bool(*) = aten::sub(%c, %c)
  %3 : Long(*) = aten::add(%1, %2)
  return (%3)
"""
POWER_THEN_DIVISION = """graph(%a : Long(*), %b : Long(*)):
  %m : int = prim::Constant[value=-1]()
  %1 : Long(*) = aten::pow(%a, %m)
  %2 : Long(*) = aten::floor_divide(%a, %b)
  %3 : Long(*) = aten::add(%1, %2)
  return (%3)
"""
EMPTY_OUTPUT = """graph(%a : Long(*), %b : Long(*), %c : Long(*, *)):
  %1 : Long(*) = aten::floor_divide(%a, %b)
  %2 : Long(*, *) = aten::mul(%1, %c)
  return (%2)
"""


def test_first_failing_op_in_program_order_is_reported_fused_or_eager():
    a, zero = np.array([1, 2]), np.array([0, 1])
    k = FusedKernel(parse_graph(VALUE_THEN_DTYPE_ERROR))
    # eager: the division fails first; without a zero, the bool subtraction
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        k(a, zero, np.array([True, False]))
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        k(a, np.array([1, 1]), np.array([True, False]))
    # two value errors: the kernel's status bits do not say which came first, eager does
    with pytest.raises(RuntimeError, match="^Integers to negative integer powers are not allowed.$"):
        FusedKernel(parse_graph(POWER_THEN_DIVISION))(a, zero)
    # an empty result: the division still sees a zero (eager raises, and so does the group)
    k = FusedKernel(parse_graph(EMPTY_OUTPUT))
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        k(a, zero, np.ones((0, 1), np.int64))
    assert k(a, np.array([2, 1]), np.ones((0, 1), np.int64)).shape == (0, 2)


# -- 9. inputs only scripted code rejected ----------------------------------------------------


def twice_plus_one(x):
    return x * 2 + 1


def test_inputs_only_scripted_code_rejected_big_endian_and_rank_33():
    big_endian = np.array([1.0, 2.0], dtype=">f4")
    message = "given numpy array has byte order different from the native byte order"  # PyTorch's
    with pytest.raises(ValueError, match=message):
        torch.from_numpy(big_endian)
    with pytest.raises(ValueError, match=message):
        torch.tensor(big_endian)
    assert torch.tensor(big_endian.astype("<f4")).tolist() == [1.0, 2.0]
    x = torch.from_numpy(np.arange(2.0, dtype=np.float32).reshape([1] * 32 + [2]))  # 33 dims, as PyTorch takes
    assert eager_and_fused(twice_plus_one, x).shape == (1,) * 32 + (2,)


# -- 14. eager differences from PyTorch (which scripted code inherited) ----------------------


def add_alpha_2(a, b):
    return torch.add(a, b, alpha=2) | (a & b)


def add_alpha_0(a, b):
    return torch.add(a, b, alpha=0) | (a & b)


def test_add_of_bools_with_alpha_is_or_with_alpha_as_a_bool():
    a, b = torch.tensor([True, False]), torch.tensor([True, True])
    assert eager_and_fused(add_alpha_2, a, b).tolist() == [True, True]  # PyTorch 2.13
    assert eager_and_fused(add_alpha_0, a, b).tolist() == [True, False]
    assert torch.add(a, True, alpha=2).tolist() == [True, True]


def int_pow_tensor(a, b):
    return torch.abs(a) * 0 + a ** b


def int_pow_minus_one(a):
    return torch.abs(a) * 0 + a ** -1


def test_int32_to_a_negative_exponent_follows_pytorch():
    a = torch.tensor([1, -1, 2, 0, 5], dtype=torch.int32)
    b = torch.tensor([-1, -1, -1, -1, -2], dtype=torch.int32)
    assert eager_and_fused(int_pow_tensor, a, b).tolist() == [1, -1, 0, 0, 0]  # PyTorch 2.13
    assert eager_and_fused(int_pow_tensor, a, torch.tensor(-3)).tolist() == [1, -1, 0, 0, 0]
    # the smallest exponent, whose magnitude does not fit its dtype (numpy raised ValueError)
    int_min = torch.full((5,), -2**31, dtype=torch.int32)
    assert eager_and_fused(int_pow_tensor, a, int_min).tolist() == [1, 1, 0, 0, 0]
    assert eager_and_fused(int_pow_tensor, a.long(), int_min.long() * 2**32).tolist() == [1, 1, 0, 0, 0]
    assert (torch.tensor(False) ** torch.tensor([-2**31, -1, 0, 2], dtype=torch.int32)).tolist() == [0, 0, 1, 0]
    assert eager_and_fused(int_pow_minus_one, a) == (
        "raised", "RuntimeError", "Integers to negative integer powers are not allowed.")
    assert torch.pow(-1, torch.tensor([-1, -2], dtype=torch.int32)).tolist() == [-1, 1]


def test_int32_tensor_plus_2_pow_31_wraps_as_in_pytorch():
    a = torch.tensor([5, -7], dtype=torch.int32)
    assert eager_and_fused(add_argument, a, 2**31).tolist() == [-2147483643, 2147483641]
    assert (a * 2**33).tolist() == [0, 0]
    with pytest.raises(OverflowError):
        a + 2**64


def clamp_min_false(a):
    return torch.clamp(a | a, min=False)


def clamp_by_tensor(a, lo):
    return torch.clamp(a | a, min=lo)


def test_clamp_on_bool_tensors_is_not_implemented_as_in_pytorch():
    a = torch.tensor([True, False])
    assert eager_and_fused(clamp_min_false, a) == (
        "raised", "NotImplementedError", "\"clamp_min_scalar_cpu\" not implemented for 'Bool'")
    with pytest.raises(NotImplementedError, match="clamp_max_scalar_cpu"):
        torch.clamp(a, max=True)
    with pytest.raises(NotImplementedError, match="clamp_scalar_cpu"):
        torch.clamp(a, min=False, max=True)
    with pytest.raises(NotImplementedError, match="clamp_cpu"):
        torch.clamp(a, torch.tensor(False), torch.tensor(True))
    with pytest.raises(NotImplementedError, match="clamp_max_scalar_cpu"):
        a.clamp_(max=True)
    # one tensor bound, and numbers that promote the result, are fine in PyTorch
    assert eager_and_fused(clamp_by_tensor, a, torch.tensor(False)).tolist() == [True, False]
    assert torch.clamp(a, min=0).tolist() == [1, 0]


def remainder_twice(a, b):
    return torch.remainder(a, b) * 2  # doubling keeps signs of zeros


def remainder_by_number_twice(a, b: float):
    return torch.remainder(a, b) * 2


def test_remainder_of_zero_keeps_the_dividends_sign_as_in_pytorch():
    x = torch.tensor([0.0, -0.0, 4.0, -4.0, 1.0, -1.0])
    for divisor, want in ((-2.0, [0.0, -0.0, 0.0, -0.0, -2.0, -2.0]), (2.0, [0.0, -0.0, 0.0, -0.0, 2.0, 2.0])):
        for fn, d in ((remainder_by_number_twice, divisor), (remainder_twice, torch.full((6,), divisor))):
            got = eager_and_fused(fn, x, d)
            assert got.tolist() == want and np.signbit(got).tolist() == np.signbit(want).tolist()
    got = torch.remainder(torch.tensor([3.0, -3.0, 0.0, -0.0]), float("inf"))
    assert got.tolist() == [3.0, float("inf"), 0.0, -0.0] and np.signbit(got.numpy()).tolist()[2:] == [False, True]


def relu_twice(x):
    return torch.relu(x) * 2


def test_relu_of_minus_zero_is_minus_zero_as_in_pytorch():
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor([-0.0, 0.0, -1.0, float("nan"), 2.0], dtype=dtype)
        got = eager_and_fused(relu_twice, x)
        assert np.signbit(got).tolist() == [True, False, False, False, False]
        assert np.isnan(got[3])
    assert eager_and_fused(relu_twice, torch.tensor([-3, 0, 2], dtype=torch.int32)).tolist() == [0, 0, 4]


def floor_divide_then_add(a, b):
    return a // b + 1


def remainder_then_add(a, b):
    return a % b + 1


def test_integer_division_by_zero_with_an_empty_broadcast_result_does_not_raise():
    empty, zero = torch.zeros(0, 1, dtype=torch.int64), torch.tensor([0, 1])
    for fn in (floor_divide_then_add, remainder_then_add):
        # an integer division by a tensor, at sizes the plan does not know, does not fuse with
        # its readers (passes/effects.py: a kernel computes only its output's elements, so an
        # empty output would skip the division's error); both paths still agree
        assert eager_and_fused(fn, empty, zero, fused_group=False).shape == (0, 2)  # PyTorch: an empty result
        assert eager_and_fused(fn, torch.ones(2, dtype=torch.int64), zero, fused_group=False) == (
            "raised", "RuntimeError", "ZeroDivisionError")
    assert (torch.zeros(0, dtype=torch.int64) // 0).shape == (0,)


def float_modulo(x: float, y: float):
    return x % y


def float_floor_division(x: float, y: float):
    return x // y


def int_modulo(x: int, y: int):
    return x % y


def test_scripted_float_modulo_by_zero_raises_pythons_error():
    for fn, args in ((float_modulo, (1.0, 0.0)), (float_floor_division, (1.0, 0.0)), (int_modulo, (1, 0))):
        with pytest.raises(ZeroDivisionError) as python:
            fn(*args)
        with pytest.raises(ZeroDivisionError) as scripted:
            script(fn)(*args)
        # "float modulo", not "integer division ...", after the user's line
        assert str(scripted.value).endswith(f"\nZeroDivisionError: {python.value}")
        assert str(scripted.value.__context__) == str(python.value)
    assert script(float_modulo)(-1.0, 2.0) == 1.0

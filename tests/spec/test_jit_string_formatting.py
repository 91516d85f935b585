"""printf-style formatting (``"%s in template" % a``) in scripted code: the behaviours PyTorch's
test/jit/test_string_formatting.py checks. The format string is data: each ``%`` conversion
is interpreted by the kernel, never by Python's own formatting of arbitrary specs; a bad one
is a RuntimeError when the function runs, naming the source of the expression."""
from typing import List

import pytest
from script_util import check

import minitorch_jit as torch

ELIGIBLE = [
    "test_modulo_operator",
    "test_string_interpolation_with_string_placeholder_and_string_variable",
    "test_string_interpolation_with_string_placeholder_and_format_string_variable",
    "test_string_interpolation_with_double_percent_in_string",
    "test_string_interpolation_with_percent_in_string",
    "test_string_interpolation_with_string_placeholder_and_digit_variable",
    "test_string_interpolation_with_digit_placeholder_and_digit_variable",
    "test_string_interpolation_with_alternate_digit_placeholder",
    "test_string_interpolation_with_digit_placeholder_and_string_variable",
    "test_string_interpolation_with_exponent_placeholder_and_string_variable",
    "test_string_interpolation_with_lowercase_exponent_placeholder_and_digit_variable",
    "test_string_interpolation_with_capital_exponent_placeholder_and_digit_variable",
    "test_string_interpolation_with_float_placeholder_and_float_variable",
    "test_string_interpolation_with_float_placeholder_and_digit_variable",
    "test_string_interpolation_with_char_placeholder_and_char_variable",
    "test_string_interpolation_with_char_placeholder_and_digit_variable",
    "test_string_interpolation_with_char_placeholder_and_true_string_variable",
    "test_string_interpolation_with_multiple_placeholders",
    "test_string_interpolation_with_subscript",
    "test_string_interpolation_with_too_few_arguments",
    "test_string_interpolation_with_too_many_arguments",
    "test_string_interpolation_with_unknown_format_specifier",
]


def raises_at(fn, args, message, source):
    """Calling ``fn`` raises a RuntimeError whose message says ``message`` and shows the
    scripted source ``source`` it came from."""
    with pytest.raises(RuntimeError) as info:
        fn(*args)
    text = str(info.value)
    assert message in text, text
    assert source in text, text


def test_modulo_operator():
    def fn(dividend: int, divisor: int) -> int:
        return dividend % divisor
    check(fn, (5, 2), (-5, 2), (5, -3))


def test_string_interpolation_with_string_placeholder_and_string_variable():
    def fn(arg1: str):
        return "%s in template" % arg1
    s = check(fn, ("foo",), ("",), ("100%",))
    assert s("foo") == "foo in template"


def test_string_interpolation_with_string_placeholder_and_format_string_variable():
    def fn(arg1: str):
        return arg1 % "foo"
    check(fn, ("%s in template",), ("%s",), ("%% %s %%",))


def test_string_interpolation_with_double_percent_in_string():
    def fn(arg1: str):
        return "%s in template %%" % arg1
    assert check(fn, ("foo",))("foo") == "foo in template %"


def test_string_interpolation_with_percent_in_string():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%s in template %" % arg1  # noqa: F501

    raises_at(fn, ("foo",), "Incomplete format specifier", '"%s in template %" % arg1')


def test_string_interpolation_with_string_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%s in template" % arg1
    check(fn, (1,), (-12,))


def test_string_interpolation_with_digit_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%d in template" % arg1
    check(fn, (1,), (-7,), (2 ** 62,))


def test_string_interpolation_with_alternate_digit_placeholder():
    def fn(arg1: int) -> str:
        return "%i in template" % arg1
    check(fn, (1,), (-3,))


def test_string_interpolation_with_digit_placeholder_and_string_variable():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%d in template" % arg1

    raises_at(fn, ("1",), "%d requires a number for formatting, but got String", '"%d in template" % arg1')


def test_string_interpolation_with_exponent_placeholder_and_string_variable():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%e in template" % arg1

    raises_at(fn, ("1",), "%e requires a number for formatting, but got String", '"%e in template" % arg1')


def test_string_interpolation_with_lowercase_exponent_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%e in template" % arg1
    assert check(fn, (1,), (-250,))(1) == "1.000000e+00 in template"


def test_string_interpolation_with_capital_exponent_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%E in template" % arg1
    assert check(fn, (1,), (123456789,))(1) == "1.000000E+00 in template"


def test_string_interpolation_with_float_placeholder_and_float_variable():
    def fn(arg1: float) -> str:
        return "%f in template" % arg1
    check(fn, (1.0,), (-2.5,), (1e-7,), (float("inf"),), (float("nan"),))


def test_string_interpolation_with_float_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%f in template" % arg1
    assert check(fn, (1,), (-3,))(1) == "1.000000 in template"


def test_string_interpolation_with_char_placeholder_and_char_variable():
    def fn(arg1: str) -> str:
        return "%c in template" % arg1
    check(fn, ("a",), ("%",))


def test_string_interpolation_with_char_placeholder_and_digit_variable():
    def fn(arg1: int) -> str:
        return "%c in template" % arg1
    assert check(fn, (97,), (48,))(97) == "a in template"


def test_string_interpolation_with_char_placeholder_and_true_string_variable():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%c in template" % arg1

    raises_at(fn, ("foo",), "%c requires an int or char for formatting, but got String", '"%c in template" % arg1')


def test_string_interpolation_with_multiple_placeholders():
    def fn(arg1: str, arg2: int, arg3: float) -> str:
        return "%s %d %f in template" % (arg1, arg2, arg3)
    assert check(fn, ("foo", 1, 1.0), ("", -4, 0.25))("foo", 1, 1) == "foo 1 1.000000 in template"


def test_string_interpolation_with_subscript():
    def fn(arg1: List[str]) -> str:
        return "%s in template" % arg1[0]
    check(fn, (["foo", "bar"],))


def test_string_interpolation_with_too_few_arguments():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%s %s in template" % arg1

    raises_at(fn, ("foo",), "Too few arguments for format string", '"%s %s in template" % arg1')


def test_string_interpolation_with_too_many_arguments():
    @torch.jit.script
    def fn(arg1: str, arg2: str) -> str:
        return "%s in template" % (arg1, arg2)  # noqa: F507

    raises_at(fn, ("foo", "bar"), "Too many arguments for format string", '"%s in template" % (arg1, arg2')


def test_string_interpolation_with_unknown_format_specifier():
    @torch.jit.script
    def fn(arg1: str) -> str:
        return "%a in template" % arg1  # noqa: F501

    raises_at(fn, ("foo",), "The specifier %a is not supported in TorchScript format strings",
              '"%a in template" % arg1')

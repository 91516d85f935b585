"""Python builtins, string methods and tuple operators in scripted code, against what Python
computes: each function runs scripted and as Python on the same arguments (script_util.check)."""
import math
from typing import List, Tuple

import pytest
from script_util import check

import minitorch_jit as torch
from minitorch_jit.scripter.errors import ScriptError


def text(s: str, sep: str):
    return s.upper(), s.strip(), s.lstrip(" a"), s.split(), s.split(sep), s.rsplit(sep, 1), s.find(sep), \
        s.rfind("b", 1), s.count("a"), s.replace("a", "xy", 1), sep.join(s.split()), s.startswith("a", 1), \
        s.endswith("b"), s.partition(sep), s.center(12, "*"), s.zfill(12), s.isdigit(), s.isspace(), s.title(), \
        s.splitlines(), s < sep, s * 2, s[::-2]


def test_string_methods_compute_what_python_computes():
    check(text, (" ab,c\tab ", ","), ("", "x"), ("a1b2\nc", "b"), ("123", "2"))


def test_string_method_errors_are_pythons():
    def index(s: str, sub: str) -> int:
        return s.index(sub)

    s = check(index, ("abc", "c"))
    with pytest.raises(ValueError, match="substring not found"):
        s("abc", "d")


def numbers(a: int, f: float):
    return divmod(a, 3), divmod(f, -2.0), divmod(a, f), hex(a), oct(a), bin(-a), chr(a + 60), ord("é"), \
        pow(a, 2), pow(f, 2.0), any([a > 1, f > 1.0]), all([a > 1, f > 1.0]), math.modf(f), math.frexp(f), \
        math.ldexp(f, a), math.remainder(f, 2.0), math.isclose(f, f + 1e-12), abs(f), min(a, 3), max(f, 0.5)


def test_number_builtins_compute_what_python_computes():
    check(numbers, (7, -2.5), (0, 0.75), (-3, 10.0))
    with pytest.raises(ZeroDivisionError):
        torch.jit.script(numbers)(7, 0.0)


def tuples(t: Tuple[int, int, int], u: Tuple[int, float]):
    return t + t, t + (1,), t * 2, 2 * (t[0],), t * 0, t == (1, 2, 3), t != t, t < (1, 2, 4), t <= t, \
        t > (1, 2), (1, 2) >= t, t == (1, 2), tuple(t), u == (1, 2.5), () < t, t[::-1] + u, any(t), all(t), \
        max(t), u < (1, 3)


def test_tuple_operators_compute_what_python_computes():
    check(tuples, ((1, 2, 3), (1, 2.5)), ((0, 5, 1), (2, 0.0)), ((1, 2, 4), (1, 3.0)))


def test_tuple_repetition_needs_a_constant():
    def repeat(t: Tuple[int, int], n: int):
        return t * n

    with pytest.raises(ScriptError, match="repeated a constant number of times"):
        torch.jit.script(repeat)


def test_printf_style_formatting_beyond_torchscripts_specifiers():
    def fmt(a: int, f: float, s: str, xs: List[int]):
        return "%g %G %r %r %s %d%%" % (f, f * 1e20, s, xs, xs, a), "%s" % (a,), "%c%c" % (a + 64, "z")

    check(fmt, (1, 2.5, "x'y", [1, 2]), (65, -1e-5, "", []))


@pytest.mark.parametrize("spec", ["%5d", "%.2f", "%x", "%-s", "%(name)s"])
def test_printf_flags_widths_and_other_specifiers_are_refused_when_run(spec):
    def fmt(a: int) -> str:
        return spec % a  # noqa: B023 - a constant of this test

    fn = torch.jit.script(fmt)
    with pytest.raises(RuntimeError, match="is not supported in TorchScript format strings"):
        fn(3)

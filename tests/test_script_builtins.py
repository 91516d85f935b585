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


INPUTS = ["", "12a", "!B", "12", "a", "B", "aB", "$12", "B12", "AB ", "  \t", "  \n", "\na", "abc", "123.3", "s a",
          "b12a ", "more strings with spaces", "Titular Strings", "\x0acan'tprintthis", "spaces at the end ", " begin"]


def str_is(s: str) -> Tuple[bool, bool, bool, bool, bool, bool, bool, bool, bool, bool, bool]:
    return s.isupper(), s.islower(), s.isdigit(), s.isspace(), s.isalnum(), s.isalpha(), s.isdecimal(), \
        s.isnumeric(), s.isidentifier(), s.istitle(), s.isprintable()


def str_to(s: str, char_set: str, i: int):
    return s.upper(), s.lower(), s.capitalize(), s.title(), s.swapcase(), s.lstrip(), s.rstrip(), s.strip(), \
        s.lstrip(char_set), s.rstrip(char_set), s.strip(char_set), s.center(i), s.center(i, "*"), s.ljust(i), \
        s.rjust(i, "*"), s.zfill(i)


def str_cmp(a: str, b: str) -> Tuple[bool, bool, bool, bool, bool, bool]:
    return a != b, a == b, a < b, a > b, a <= b, a >= b


def constant_strings():
    return "hello".count("h", -10, 1), "hello".endswith("lo", -8, 4), "hello".startswith("l", -2, 3), \
        "xyz\t62345\tabc".expandtabs(-5), "hello123abc".rfind("ab", -7, -20), "hello123abc".index("12", 4, -4), \
        "cc".replace("c", "ccc", -3), "cc".rpartition("ccc"), " a*a a*a a ".split("a*", 10), \
        " a*a a*a a".rsplit("a*", 10), "hello\v\f\ntest".splitlines()


def test_string_methods_over_many_inputs():
    check(str_is, *[(s,) for s in INPUTS])
    check(str_to, *[(s, c, i) for s in INPUTS for c, i in (("abc", 0), (" ", 5), ("\t", 6))])
    check(str_cmp, *[(a, b) for a, b in zip(INPUTS, INPUTS[1:])])
    check(constant_strings, ())


def center_with_two_characters(s: str) -> str:
    return s.center(10, "**")


def test_fill_characters_must_be_one_character():
    with pytest.raises(TypeError, match="must be exactly one character"):
        torch.jit.script(center_with_two_characters)("x")


def unsqueeze_at(x, dim):
    return x.unsqueeze(dim)


def test_a_0_dim_tensor_passes_for_a_number_eagerly_and_scripted():
    x = torch.zeros(3)
    s = torch.jit.script(unsqueeze_at)
    assert unsqueeze_at(x, torch.tensor(1)).shape == s(x, torch.tensor(1)).shape == (3, 1)
    for bad, error in ((torch.tensor(1.0), "as an integral argument"), (torch.tensor([1]), "dimension other than 0")):
        with pytest.raises(TypeError):
            unsqueeze_at(x, bad)
        with pytest.raises(RuntimeError, match=error):
            s(x, bad)
    assert x.add(1, alpha=torch.tensor(2.5)).tolist() == [2.5, 2.5, 2.5]
    with pytest.warns(torch.jit.TracerWarning, match="treated as a constant"):
        torch.jit.trace(lambda t: x.add(1, alpha=t), (torch.tensor(2.0),))

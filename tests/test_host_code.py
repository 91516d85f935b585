"""Host code frees each value after its last use: straight-line code, loops and branches
keep only the live intermediates, and the code says where each one dies."""
import tracemalloc
from textwrap import dedent

import numpy as np
import pytest

import minitorch_jit  # noqa: F401 - fills the op registry
from minitorch_jit.codegen.host import generate
from minitorch_jit.ir.parser import parse_graph

N = 1 << 20  # float32 elements: 4 MB per array
MB4 = 4 * N

CHAIN = """
graph(%x : Float(*)):
  %1 : Tensor = aten::neg(%x)
  %2 : Tensor = aten::neg(%1)
  %3 : Tensor = aten::neg(%2)
  %4 : Tensor = aten::neg(%3)
  %5 : Tensor = aten::neg(%4)
  %6 : Tensor = aten::neg(%5)
  %7 : Tensor = aten::neg(%6)
  %8 : Tensor = aten::neg(%7)
  return (%8)
"""

LOOP = """
graph(%x : Float(*), %n : int):
  %t : bool = prim::Constant[value=True]()
  %x.1 : Tensor = aten::neg(%x)
  %y : Tensor = prim::Loop(%n, %t, %x.1)
    block0(%i : int, %y.1 : Tensor):
      %a : Tensor = aten::neg(%y.1)
      %b : Tensor = aten::neg(%a)
      %c : Tensor = aten::neg(%b)
      -> (%t, %c)
  %z : Tensor = aten::neg(%y)
  return (%z)
"""

BRANCH = """
graph(%x : Float(*), %flag : bool):
  %r : Tensor = prim::If(%flag)
    block0():
      %a : Tensor = aten::neg(%x)
      %b : Tensor = aten::neg(%a)
      %c : Tensor = aten::neg(%b)
      %d : Tensor = aten::neg(%c)
      -> (%d)
    block1():
      %e : Tensor = aten::exp(%x)
      -> (%e)
  %s : Tensor = aten::neg(%r)
  %u : Tensor = aten::neg(%s)
  return (%u)
"""


def peak_bytes(text, *args):
    fn = generate(parse_graph(dedent(text))).fn
    tracemalloc.start()
    try:
        result = fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("text, args, expected, live", [
    (CHAIN, (), lambda x: x, 2),               # an op's input and output
    (LOOP, (5,), lambda x: -x, 3),             # the carried value, an op's input and output
    (BRANCH, (True,), lambda x: x, 2),
    (BRANCH, (False,), lambda x: -(-np.exp(x)), 2),
])
def test_intermediates_die_after_their_last_use(text, args, expected, live):
    x = np.random.rand(N).astype(np.float32)
    result, peak = peak_bytes(text, x, *args)
    np.testing.assert_array_equal(result, expected(x))
    # every intermediate kept to the end would hold 4 to 8 arrays at the peak
    assert peak < (live + 0.5) * MB4, f"peak {peak / MB4:.1f} arrays"


def test_the_code_frees_loop_values_after_the_loop_and_branch_values_in_their_branch():
    source = generate(parse_graph(dedent(LOOP)), "f").source
    assert source == dedent("""\
        def f(x, n):
            x_1 = aten.neg(x)
            y_1 = x_1
            del x_1
            for _ in range(n):
                a = aten.neg(y_1)
                del y_1
                b = aten.neg(a)
                del a
                c = aten.neg(b)
                del b
                y_1 = c
                del c
            y = y_1
            del y_1
            z = aten.neg(y)
            del y
            return z
        """)
    source = generate(parse_graph(dedent(BRANCH)), "g").source
    assert "        d = aten.neg(c)\n        del c\n        r = d\n        del d\n" in source
    assert "    else:\n        e = aten.exp(x)\n        r = e\n        del e\n    s = aten.neg(r)\n" in source


def test_a_value_read_inside_a_loop_lives_until_the_loop_ends():
    text = """
    graph(%x : Float(*), %n : int):
      %t : bool = prim::Constant[value=True]()
      %w : Tensor = aten::neg(%x)
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %y.1 : Tensor):
          %a : Tensor = aten::add(%y.1, %w)
          -> (%t, %a)
      return (%y)
    """
    x = np.arange(4, dtype=np.float32)
    fn = generate(parse_graph(dedent(text))).fn
    np.testing.assert_array_equal(fn(x, 3), x - 3 * x)
    np.testing.assert_array_equal(fn(x, 0), x)

"""Loop unrolling: counted loops with a small constant trip count unroll fully; others by a
factor with a remainder loop; while loops stay."""
import numpy as np
import pytest
from graph_checks import assert_computes_the_same, check_pass, dedent

from minitorch_jit.codegen.host import generate
from minitorch_jit.ir import parse_graph, verify
from minitorch_jit.passes.loop_unrolling import UNROLL_FACTOR, loop_unrolling

SQUARE_FIVE_TIMES = """
    graph(%x : Float(*)):
      %t : bool = prim::Constant[value=True]()
      %n : int = prim::Constant[value=5]()
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %x.1 : Tensor):
          %x.2 : Tensor = aten::mul(%x.1, %x.1)
          -> (%t, %x.2)
      return (%y)
    """


def test_a_constant_trip_count_unrolls_fully():
    check_pass(loop_unrolling, SQUARE_FIVE_TIMES, """
        graph(%x : Float(*)):
          %t : bool = prim::Constant[value=True]()
          %n : int = prim::Constant[value=5]()
          %x.3 : Tensor = aten::mul(%x, %x)
          %x.4 : Tensor = aten::mul(%x.3, %x.3)
          %x.5 : Tensor = aten::mul(%x.4, %x.4)
          %x.6 : Tensor = aten::mul(%x.5, %x.5)
          %x.7 : Tensor = aten::mul(%x.6, %x.6)
          return (%x.7)
        """)


def test_full_unrolling_binds_the_counter_to_constants():
    check_pass(loop_unrolling, """
        graph(%x : Float(*)):
          %t : bool = prim::Constant[value=True]()
          %n : int = prim::Constant[value=3]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = aten::add(%x.1, %i)
              -> (%t, %x.2)
          return (%y)
        """, checks="""
        CHECK: prim::Constant[value=0]()
        CHECK-NEXT: aten::add(%x, %1)
        CHECK-NEXT: prim::Constant[value=1]()
        CHECK-NEXT: aten::add
        CHECK-NEXT: prim::Constant[value=2]()
        CHECK-NEXT: aten::add
        CHECK-NOT: prim::Loop
        """)


DYNAMIC = """
    graph(%x : Float(*), %n : int):
      %t : bool = prim::Constant[value=True]()
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %x.1 : Tensor):
          %x.2 : Tensor = aten::add(%x.1, %i)
          -> (%t, %x.2)
      return (%y)
    """


@pytest.mark.parametrize("n", [-9, -3, 0, 1, 7, 8, 9, 17, 24])
def test_other_counted_loops_unroll_by_a_factor_with_a_remainder(n):
    x = np.zeros(2, np.float32)
    check_pass(loop_unrolling, DYNAMIC, checks=f"""
        CHECK: prim::Constant[value={UNROLL_FACTOR}]()
        CHECK: aten::div(%n, %1)
        CHECK: prim::Loop[unrolled=True](%3, %t, %x)
        CHECK-COUNT-{UNROLL_FACTOR + 1}: = aten::add(%x.
        CHECK: -> (%t, %x.
        CHECK: prim::Loop[unrolled=True](%5, %t, %6)
        CHECK: -> (%t, %x.
        CHECK: return (%
        """, inputs=[x, n])


def test_side_effects_happen_in_the_same_order(capsys):
    text = dedent("""
        graph(%n : int):
          %t : bool = prim::Constant[value=True]()
          %z : int = prim::Constant[value=0]()
          %s : int = prim::Loop(%n, %t, %z)
            block0(%i : int, %s.1 : int):
              = prim::Print(%i, %s.1)
              %s.2 : int = aten::add(%s.1, %i)
              -> (%t, %s.2)
          return (%s)
        """)
    g = parse_graph(text)
    before = g.copy()
    assert loop_unrolling(g)
    verify(g)
    for n in (0, 5, 11):
        generate(before).fn(n)
        expected = capsys.readouterr().out
        generate(g).fn(n)
        assert capsys.readouterr().out == expected
        assert_computes_the_same(before, g, [n])
        capsys.readouterr()


def test_while_loops_and_big_bodies_stay():
    body = "\n".join(f"          %a.{k} : Tensor = aten::sin(%a.{k - 1})" for k in range(1, 40))
    check_pass(loop_unrolling, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %zero : int = prim::Constant[value=0]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %s : Tensor = aten::sum(%x.1)
              %c : Tensor = aten::gt(%s, %zero)
              %x.2 : Tensor = aten::sub(%x.1, %c)
              %go : bool = prim::Bool(%c)
              -> (%go, %x.2)
          %w : Tensor = prim::Loop(%n, %t, %y)
            block0(%j : int, %a.0 : Tensor):
        BODY
              -> (%t, %a.39)
          return (%w)
        """.replace("        BODY", body), changed=False, inputs=[np.full(3, 2.5, np.float32), 4])


def test_only_inner_loops_unroll_by_a_factor():
    g = check_pass(loop_unrolling, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = prim::Loop(%n, %t, %x.1)
                block0(%j : int, %x.3 : Tensor):
                  %x.4 : Tensor = aten::add(%x.3, %j)
                  -> (%t, %x.4)
              -> (%t, %x.2)
          return (%y)
        """, inputs=[np.zeros(2, np.float32), 10])
    outer = [n for n in g.nodes if n.kind == "prim::Loop"]
    assert len(outer) == 1 and "unrolled" not in outer[0].attrs

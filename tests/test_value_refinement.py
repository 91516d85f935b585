"""Value refinement: comparisons that guard code decide ints and list lengths in it; nothing
is decided where the guard does not hold, nor for a list something may change."""
from graph_checks import check_pass

from minitorch_jit.passes.value_refinement import value_refinement


def test_a_raising_guard_decides_the_values_after_it():
    check_pass(value_refinement, """
        graph(%x : int, %y : int):
          %c4 : int = prim::Constant[value=4]()
          %1 : bool = aten::ne(%x, %c4)
          = prim::If(%1)
            block0():
              %m : str = prim::Constant[value="bad"]()
              %k : str = prim::Constant[value="Exception"]()
              = prim::RaiseException(%m, %k)
              -> ()
            block1():
              -> ()
          %2 : int = aten::add(%x, %y)
          return (%2)
        """, checks="""
          CHECK: prim::RaiseException
          CHECK: prim::Constant[value=4]()
          CHECK-NEXT: aten::add(%
        """, inputs=[4, 3])


def test_a_branch_knows_its_condition_and_not_the_other():
    g = check_pass(value_refinement, """
        graph(%x : int):
          %c1 : int = prim::Constant[value=1]()
          %1 : bool = aten::eq(%x, %c1)
          %2 : int = prim::If(%1)
            block0():
              %3 : int = aten::mul(%x, %x)
              -> (%3)
            block1():
              %4 : int = aten::mul(%x, %x)
              -> (%4)
          return (%2)
        """, inputs=[1])
    then, other = [n for n in g.all_nodes() if n.kind == "aten::mul"]
    assert all(v.is_constant for v in then.inputs)
    assert not any(v.is_constant for v in other.inputs)


def test_an_output_equal_to_the_refined_value_is_that_value():
    """``if x == 1: r = 1 else: r = x`` makes r x."""
    check_pass(value_refinement, """
        graph(%x : int):
          %c1 : int = prim::Constant[value=1]()
          %1 : bool = aten::eq(%x, %c1)
          %2 : int = prim::If(%1)
            block0():
              %3 : int = prim::Constant[value=1]()
              -> (%3)
            block1():
              -> (%x)
          return (%2)
        """, checks="CHECK: return (%x)", inputs=[1])


def test_lengths_of_lists_that_change_are_not_refined():
    check_pass(value_refinement, """
        graph(%l : int[]):
          %c4 : int = prim::Constant[value=4]()
          %n : int = aten::len(%l)
          %1 : bool = aten::eq(%n, %c4)
          %r : int = prim::If(%1)
            block0():
              %5 : int = prim::Constant[value=3]()
              = aten::append(%l, %5)
              %7 : int = aten::len(%l)
              -> (%7)
            block1():
              -> (%c4)
          return (%r)
        """, changed=False, values=False)

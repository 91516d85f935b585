"""Common subexpression elimination: equal pure nodes in scope merge; nothing with effects,
nothing reading written memory, and no two tensors the caller gets."""
from graph_checks import check_pass

from minitorch_jit.passes.common_subexpression_elimination import common_subexpression_elimination as cse


def test_equal_nodes_merge_across_enclosing_blocks_only():
    check_pass(cse, """
        graph(%x : Float(*), %c : bool):
          %a : Tensor = aten::exp(%x)
          %r : Tensor = prim::If(%c)
            block0():
              %b : Tensor = aten::exp(%x)
              %d : Tensor = aten::sin(%b)
              -> (%d)
            block1():
              %e : Tensor = aten::sin(%a)
              -> (%e)
          %f : Tensor = aten::sin(%a)
          %g : Tensor = aten::add(%r, %f)
          return (%g)
        """, """
        graph(%x : Float(*), %c : bool):
          %a : Tensor = aten::exp(%x)
          %r : Tensor = prim::If(%c)
            block0():
              %d : Tensor = aten::sin(%a)
              -> (%d)
            block1():
              %e : Tensor = aten::sin(%a)
              -> (%e)
          %f : Tensor = aten::sin(%a)
          %g : Tensor = aten::add(%r, %f)
          return (%g)
        """)


def test_equal_constants_merge_but_not_zeros_of_different_sign_or_type():
    check_pass(cse, """
        graph(%x : Float(*)):
          %a : float = prim::Constant[value=0.0]()
          %b : float = prim::Constant[value=0.0]()
          %c : float = prim::Constant[value=-0.0]()
          %d : int = prim::Constant[value=0]()
          %1 : Tensor = aten::add(%x, %a)
          %2 : Tensor = aten::add(%1, %b)
          %3 : Tensor = aten::add(%2, %c)
          %4 : Tensor = aten::add(%3, %d)
          return (%4)
        """, """
        graph(%x : Float(*)):
          %a : float = prim::Constant[value=0.0]()
          %c : float = prim::Constant[value=-0.0]()
          %d : int = prim::Constant[value=0]()
          %1 : Tensor = aten::add(%x, %a)
          %2 : Tensor = aten::add(%1, %a)
          %3 : Tensor = aten::add(%2, %c)
          %4 : Tensor = aten::add(%3, %d)
          return (%4)
        """)


def test_reads_around_an_in_place_write_stay_apart():
    # a = x + 1; x.add_(1); b = x + 1: b sees the write (also through the view v)
    check_pass(cse, """
        graph(%x : Float(*)):
          %one : int = prim::Constant[value=1]()
          %a : Tensor = aten::add(%x, %one)
          %v : Tensor = aten::detach(%x)
          %w : Tensor = aten::add_(%v, %one)
          %b : Tensor = aten::add(%x, %one)
          %s : Tensor = aten::sub(%a, %b)
          return (%s)
        """, changed=False)


def test_random_and_side_effecting_nodes_stay():
    check_pass(cse, """
        graph(%x : Float(*)):
          %a : Tensor = aten::rand_like(%x)
          %b : Tensor = aten::rand_like(%x)
          = prim::Print(%x)
          = prim::Print(%x)
          %s : Tensor = aten::sub(%a, %b)
          return (%s)
        """, changed=False, values=False)


def test_two_outputs_the_caller_gets_stay_two_tensors():
    check_pass(cse, """
        graph(%x : Float(*)):
          %a : Tensor = aten::exp(%x)
          %b : Tensor = aten::exp(%x)
          return (%a, %b)
        """, changed=False)


def test_a_written_result_is_not_shared():
    check_pass(cse, """
        graph(%x : Float(*)):
          %one : int = prim::Constant[value=1]()
          %a : Tensor = aten::exp(%x)
          %b : Tensor = aten::exp(%x)
          %c : Tensor = aten::mul_(%a, %one)
          %s : Tensor = aten::sub(%a, %b)
          return (%s)
        """, changed=False)

"""Dead code elimination: unused pure nodes, If outputs, loop-carried values and emptied
control flow go; nodes with effects and what they read stay."""
from graph_checks import check_pass

from minitorch_jit.passes.dead_code_elimination import dead_code_elimination as dce


def test_unused_pure_nodes_go_effects_stay():
    check_pass(dce, """
        graph(%x : Float(*)):
          %one : int = prim::Constant[value=1]()
          %a : Tensor = aten::sin(%x)
          %b : Tensor = aten::exp(%x)
          = prim::Print(%b)
          %c : Tensor = aten::add_(%x, %one)
          %d : Tensor = aten::rand_like(%x)
          %e : Tensor = aten::neg(%x)
          return (%e)
        """, """
        graph(%x : Float(*)):
          %one : int = prim::Constant[value=1]()
          %b : Tensor = aten::exp(%x)
          = prim::Print(%b)
          %c : Tensor = aten::add_(%x, %one)
          %d : Tensor = aten::rand_like(%x)
          %e : Tensor = aten::neg(%x)
          return (%e)
        """, values=False)


def test_unused_if_outputs_and_emptied_ifs_go():
    check_pass(dce, """
        graph(%x : Float(*), %c : bool):
          %r : Tensor, %s : Tensor = prim::If(%c)
            block0():
              %a : Tensor = aten::exp(%x)
              %b : Tensor = aten::sin(%x)
              -> (%a, %b)
            block1():
              -> (%x, %x)
          %u : Tensor = prim::If(%c)
            block0():
              %k : Tensor = aten::cos(%x)
              -> (%k)
            block1():
              -> (%x)
          return (%s)
        """, """
        graph(%x : Float(*), %c : bool):
          %s : Tensor = prim::If(%c)
            block0():
              %b : Tensor = aten::sin(%x)
              -> (%b)
            block1():
              -> (%x)
          return (%s)
        """)


def test_unused_loop_carried_values_go_and_used_ones_stay():
    check_pass(dce, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*), %z : Float(*), %w : Float(*) = prim::Loop(%n, %t, %x, %x, %x)
            block0(%i : int, %y.1 : Float(*), %z.1 : Float(*), %w.1 : Float(*)):
              %y.2 : Float(*) = aten::sin(%z.1)
              %z.2 : Float(*) = aten::cos(%z.1)
              %w.2 : Float(*) = aten::exp(%w.1)
              -> (%t, %y.2, %z.2, %w.2)
          return (%y)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*), %z : Float(*) = prim::Loop(%n, %t, %x, %x)
            block0(%i : int, %y.1 : Float(*), %z.1 : Float(*)):
              %y.2 : Float(*) = aten::sin(%z.1)
              %z.2 : Float(*) = aten::cos(%z.1)
              -> (%t, %y.2, %z.2)
          return (%y)
        """)


def test_a_loop_that_only_prints_stays():
    check_pass(dce, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*) = prim::Loop(%n, %t, %x)
            block0(%i : int, %y.1 : Float(*)):
              = prim::Print(%i)
              %y.2 : Float(*) = aten::sin(%y.1)
              -> (%t, %y.2)
          return (%x)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          = prim::Loop(%n, %t)
            block0(%i : int):
              = prim::Print(%i)
              -> (%t)
          return (%x)
        """)


def test_control_flow_with_nothing_live_inside_goes_whole():
    # a counted loop and an If whose results are unused and whose blocks hold only pure
    # nodes (an If nested in the loop too) leave nothing behind, not empty blocks
    check_pass(dce, """
        graph(%x : Float(*), %n : int, %c : bool):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*) = prim::Loop(%n, %t, %x)
            block0(%i : int, %y.1 : Float(*)):
              %y.2 : Float(*) = prim::If(%c)
                block0():
                  %a : Float(*) = aten::exp(%y.1)
                  -> (%a)
                block1():
                  -> (%y.1)
              -> (%t, %y.2)
           = prim::If(%c)
            block0():
              %b : Float(*) = aten::sin(%x)
              -> ()
            block1():
              -> ()
          %z : Float(*) = aten::neg(%x)
          return (%z)
        """, """
        graph(%x : Float(*), %n : int, %c : bool):
          %z : Float(*) = aten::neg(%x)
          return (%z)
        """)


def test_an_effect_deep_inside_keeps_its_enclosing_control_flow():
    check_pass(dce, """
        graph(%x : Float(*), %n : int, %c : bool):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*) = prim::Loop(%n, %t, %x)
            block0(%i : int, %y.1 : Float(*)):
              %y.2 : Float(*) = prim::If(%c)
                block0():
                  %a : Float(*) = aten::exp(%y.1)
                   = prim::Print(%i)
                  -> (%a)
                block1():
                  -> (%y.1)
              -> (%t, %y.2)
          return (%x)
        """, """
        graph(%x : Float(*), %n : int, %c : bool):
          %t : bool = prim::Constant[value=True]()
          = prim::Loop(%n, %t)
            block0(%i : int):
              = prim::If(%c)
                block0():
                  = prim::Print(%i)
                  -> ()
                block1():
                  -> ()
              -> (%t)
          return (%x)
        """)

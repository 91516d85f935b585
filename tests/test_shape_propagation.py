"""Shape propagation: types recomputed from the inputs through the registry's rules."""
from graph_checks import check_pass

from minitorch_jit.passes.shape_propagation import shape_propagation


def test_types_flow_from_specialized_inputs():
    check_pass(shape_propagation, """
        graph(%x : Float(1, *), %y : Double(*)):
          %1 : Tensor = aten::mul(%x, %y)
          %2 : int = aten::dim(%1)
          %3 : Tensor = aten::sum(%1)
          %4 : Tensor = aten::gt(%1, %2)
          return (%1, %2, %3, %4)
        """, """
        graph(%x : Float(1, *), %y : Double(*)):
          %1 : Double(1, *) = aten::mul(%x, %y)
          %2 : int = aten::dim(%1)
          %3 : Double() = aten::sum(%1)
          %4 : Bool(1, *) = aten::gt(%1, %2)
          return (%1, %2, %3, %4)
        """)


def test_stale_traced_types_are_recomputed_not_kept():
    # a trace made with float32 inputs, specialized for a float64 call
    check_pass(shape_propagation, """
        graph(%x : Double(*, *)):
          %d : int[] = prim::Constant[value=[1]]()
          %1 : Float(*, *) = aten::exp(%x)
          %2 : Float(*) = aten::sum(%1, %d)
          return (%2)
        """, """
        graph(%x : Double(*, *)):
          %d : int[] = prim::Constant[value=[1]]()
          %1 : Double(*, *) = aten::exp(%x)
          %2 : Double(*) = aten::sum(%1, %d)
          return (%2)
        """, verify_input=False)


def test_if_outputs_join_their_branches():
    check_pass(shape_propagation, """
        graph(%c : bool, %a : Float(2, 3), %b : Float(2, 4)):
          %r : Tensor = prim::If(%c)
            block0():
              %1 : Tensor = aten::neg(%a)
              -> (%1)
            block1():
              -> (%b)
          return (%r)
        """, """
        graph(%c : bool, %a : Float(2, 3), %b : Float(2, 4)):
          %r : Float(2, *) = prim::If(%c)
            block0():
              %1 : Float(2, 3) = aten::neg(%a)
              -> (%1)
            block1():
              -> (%b)
          return (%r)
        """)


def test_loop_carried_types_reach_a_fixed_point():
    # x starts (1, 3) int64 and becomes (4, 3) float32 after one iteration: the carried type
    # is what holds on every iteration
    check_pass(shape_propagation, """
        graph(%x : Long(1, 3), %w : Float(4, 3), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = aten::mul(%x.1, %w)
              -> (%t, %x.2)
          return (%y)
        """, """
        graph(%x : Long(1, 3), %w : Float(4, 3), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Tensor(*, 3) = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor(*, 3)):
              %x.2 : Tensor(4, 3) = aten::mul(%x.1, %w)
              -> (%t, %x.2)
          return (%y)
        """)


def test_loop_with_a_stable_type_keeps_it():
    check_pass(shape_propagation, """
        graph(%x : Float(2, 3), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = aten::tanh(%x.1)
              -> (%t, %x.2)
          return (%y)
        """, checks="""
        CHECK: %y : Float(2, 3) = prim::Loop
        CHECK: block0(%i : int, %x.1 : Float(2, 3)):
        CHECK: %x.2 : Float(2, 3) = aten::tanh
        """)


def test_a_rule_that_raises_leaves_the_error_to_run_time():
    # sizes 2 and 3 cannot broadcast: the node keeps the schema's type and raises when run
    check_pass(shape_propagation, """
        graph(%a : Float(2), %b : Float(3)):
          %1 : Tensor = aten::add(%a, %b)
          return (%1)
        """, changed=False)


def test_other_types_only_narrow():
    check_pass(shape_propagation, """
        graph(%x : Long(1), %y : Float(2)):
          %1 : Scalar = aten::item(%x)
          %2 : (Tensor, Scalar) = prim::TupleConstruct(%y, %1)
          %3 : int = prim::Constant[value=0]()
          %4 : Any = prim::TupleIndex(%2, %3)
          %5 : Tensor, %6 : Scalar = prim::TupleUnpack(%2)
          return (%4, %5, %6)
        """, """
        graph(%x : Long(1), %y : Float(2)):
          %1 : int = aten::item(%x)
          %2 : (Float(2), int) = prim::TupleConstruct(%y, %1)
          %3 : int = prim::Constant[value=0]()
          %4 : Float(2) = prim::TupleIndex(%2, %3)
          %5 : Float(2), %6 : int = prim::TupleUnpack(%2)
          return (%4, %5, %6)
        """)


def test_calls_get_their_callee_propagated():
    check_pass(shape_propagation, """
        graph(%x : Double(5)):
          %y : Tensor = prim::CallFunction_0[name="f"](%x)
          return (%y)
        with prim::CallFunction_0 = graph(%a : Tensor):
          %b : Tensor = aten::sigmoid(%a)
          return (%b)
        """, checks="""
        CHECK: %y : Double(5) = prim::CallFunction_0[name="f"](%x)
        CHECK: with prim::CallFunction_0 = graph(%a : Tensor):
        """)

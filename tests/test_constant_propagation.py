"""Constant propagation: kernels run on constants at compile time, constant branches are
inlined, loops that never run vanish; nothing with effects or aliasing hazards is folded."""
import numpy as np
from graph_checks import check_pass

from minitorch_jit.passes.constant_propagation import constant_propagation


def test_numbers_and_a_constant_branch_fold():
    check_pass(constant_propagation, """
        graph(%x : Float(*)):
          %1 : int = prim::Constant[value=2]()
          %2 : int = aten::mul(%1, %1)
          %3 : bool = aten::gt(%2, %1)
          %4 : Tensor = prim::If(%3)
            block0():
              %5 : Tensor = aten::mul(%x, %2)
              = prim::Print(%5)
              -> (%5)
            block1():
              %6 : Tensor = aten::neg(%x)
              -> (%6)
          return (%4)
        """, """
        graph(%x : Float(*)):
          %1 : int = prim::Constant[value=2]()
          %2 : int = prim::Constant[value=4]()
          %3 : bool = prim::Constant[value=True]()
          %4 : Tensor = aten::mul(%x, %2)
          = prim::Print(%4)
          return (%4)
        """)


def test_branches_inside_loops_and_nested_ifs_fold():
    check_pass(constant_propagation, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %f : bool = prim::Constant[value=False]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = prim::If(%f)
                block0():
                  -> (%x.1)
                block1():
                  %x.3 : Tensor = prim::If(%t)
                    block0():
                      %x.4 : Tensor = aten::sin(%x.1)
                      -> (%x.4)
                    block1():
                      -> (%x.1)
                  -> (%x.3)
              -> (%t, %x.2)
          return (%y)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %f : bool = prim::Constant[value=False]()
          %y : Tensor = prim::Loop(%n, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.4 : Tensor = aten::sin(%x.1)
              -> (%t, %x.4)
          return (%y)
        """)


def test_small_tensor_computations_fold_into_constants():
    check_pass(constant_propagation, """
        graph(%x : Float(*)):
          %s : int[] = prim::Constant[value=[3]]()
          %1 : Tensor = aten::ones(%s)
          %2 : float = prim::Constant[value=2.5]()
          %3 : Tensor = aten::mul(%1, %2)
          %4 : Tensor = aten::add(%x, %3)
          return (%4)
        """, """
        graph(%x : Float(*)):
          %s : int[] = prim::Constant[value=[3]]()
          %1 : Float(3) = prim::Constant[value=tensor([1.0, 1.0, 1.0], dtype=float32)]()
          %2 : float = prim::Constant[value=2.5]()
          %3 : Float(3) = prim::Constant[value=tensor([2.5, 2.5, 2.5], dtype=float32)]()
          %4 : Tensor = aten::add(%x, %3)
          return (%4)
        """)


def test_tensors_the_caller_gets_or_that_are_written_are_not_folded():
    # a returned constant (or a view of one) would be one storage shared by every call, which
    # the caller may write into; a tensor written in place is not a constant
    check_pass(constant_propagation, """
        graph(%x : Float(3)):
          %s : int[] = prim::Constant[value=[3]]()
          %1 : Tensor = aten::zeros(%s)
          %2 : Tensor = aten::ones(%s)
          %3 : Tensor = aten::view(%2, %s)
          %4 : Tensor = aten::zeros(%s)
          %5 : Tensor = aten::add_(%4, %x)
          %6 : Tensor = aten::mul(%4, %x)
          return (%1, %3, %6)
        """, changed=False)


def test_effects_randomness_and_errors_are_not_folded():
    check_pass(constant_propagation, """
        graph():
          %s : int[] = prim::Constant[value=[2]]()
          %1 : Tensor = aten::rand(%s)
          %m : str = prim::Constant[value="hi"]()
           = prim::Print(%m)
          %0 : int = prim::Constant[value=0]()
          %2 : int = aten::floor_divide(%0, %0)
          return (%1)
        """, changed=False, values=False)


def test_big_tensors_stay_computed():
    check_pass(constant_propagation, """
        graph(%x : Float(*)):
          %s : int[] = prim::Constant[value=[100]]()
          %1 : Tensor = aten::ones(%s)
          %2 : Tensor = aten::add(%x, %1)
          return (%2)
        """, changed=False, inputs=[np.ones(100, "float32")])


def test_loops_that_never_run_become_their_initial_values():
    check_pass(constant_propagation, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %f : bool = prim::Constant[value=False]()
          %zero : int = prim::Constant[value=0]()
          %y : Tensor = prim::Loop(%zero, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              = prim::Print(%x.1)
              -> (%t, %x.1)
          %z : Tensor = prim::Loop(%n, %f, %y)
            block0(%j : int, %x.2 : Tensor):
              %x.3 : Tensor = aten::neg(%x.2)
              -> (%t, %x.3)
          return (%z)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %f : bool = prim::Constant[value=False]()
          %zero : int = prim::Constant[value=0]()
          return (%x)
        """)


def test_omitted_trailing_arguments_take_their_defaults():
    check_pass(constant_propagation, """
        graph(%x : Float(*)):
          %zero : int = prim::Constant[value=0]()
          %c : Float(2) = prim::Constant[value=tensor([-1.5, 2.0], dtype=float32)]()
          %a : Tensor = aten::clamp(%c, %zero)
          %b : Tensor = aten::mul(%x, %a)
          return (%b)
        """, checks="""
        CHECK: %a : Float(2) = prim::Constant[value=tensor([0.0, 2.0], dtype=float32)]()
        """, inputs=[np.ones(2, np.float32)])


def test_raise_seeding_and_list_writes_with_constant_inputs_stay():
    # every input is a constant, but each node has an effect: the raise in the taken branch
    # is inlined and kept, the seed is set, and the list appended to is not a constant (so
    # neither is its length)
    check_pass(constant_propagation, """
        graph(%x : Float(*)):
          %one : int = prim::Constant[value=1]()
          %two : int = prim::Constant[value=2]()
          %f : bool = prim::Constant[value=False]()
          %msg : str = prim::Constant[value="negative"]()
          %cls : str = prim::Constant[value="ValueError"]()
          %s : int = prim::Constant[value=7]()
           = aten::manual_seed(%s)
          %l : int[] = prim::ListConstruct(%one, %two)
           = aten::append(%l, %two)
          %n : int = aten::len(%l)
          %y : Tensor = aten::mul(%x, %n)
           = prim::If(%f)
            block0():
              -> ()
            block1():
               = prim::RaiseException(%msg, %cls)
              -> ()
          return (%y)
        """, checks="""
        CHECK: = aten::manual_seed(%s)
        CHECK-NEXT: %l : int[] = prim::ListConstruct(%one, %two)
        CHECK-NEXT: = aten::append(%l, %two)
        CHECK-NEXT: %n : int = aten::len(%l)
        CHECK-NEXT: %y : Tensor = aten::mul(%x, %n)
        CHECK-NEXT: = prim::RaiseException(%msg, %cls)
        CHECK-NEXT: return (%y)
        """)

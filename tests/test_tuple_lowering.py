"""Tuple lowering: tuples that every branch of an If builds are returned element by element
and rebuilt after the If; other tuple outputs are left as they are."""
from graph_checks import check_pass

from minitorch_jit.passes.tuple_lowering import tuple_lowering


def test_if_returning_built_tuples_returns_their_elements():
    check_pass(tuple_lowering, """
        graph(%c : bool, %x : int, %y : int):
          %b : (int, int) = prim::If(%c)
            block0():
              %1 : (int, int) = prim::TupleConstruct(%x, %y)
              -> (%1)
            block1():
              %2 : (int, int) = prim::TupleConstruct(%y, %x)
              -> (%2)
          %u : int, %v : int = prim::TupleUnpack(%b)
          return (%v, %b)
        """, """
        graph(%c : bool, %x : int, %y : int):
          %1 : int, %2 : int = prim::If(%c)
            block0():
              %3 : (int, int) = prim::TupleConstruct(%x, %y)
              -> (%x, %y)
            block1():
              %4 : (int, int) = prim::TupleConstruct(%y, %x)
              -> (%y, %x)
          %b : (int, int) = prim::TupleConstruct(%1, %2)
          %u : int, %v : int = prim::TupleUnpack(%b)
          return (%v, %b)
        """)


def test_tuples_not_built_in_every_branch_stay_and_other_outputs_keep_their_order():
    check_pass(tuple_lowering, """
        graph(%c : bool, %t : (int, float), %x : int, %f : float):
          %n : int, %b : (int, float), %d : (int, float) = prim::If(%c)
            block0():
              %1 : (int, float) = prim::TupleConstruct(%x, %f)
              -> (%x, %t, %1)
            block1():
              %2 : (int, float) = prim::TupleConstruct(%x, %f)
              -> (%x, %2, %2)
          return (%n, %b, %d)
        """, """
        graph(%c : bool, %t : (int, float), %x : int, %f : float):
          %n : int, %b : (int, float), %1 : int, %2 : float = prim::If(%c)
            block0():
              %3 : (int, float) = prim::TupleConstruct(%x, %f)
              -> (%x, %t, %x, %f)
            block1():
              %4 : (int, float) = prim::TupleConstruct(%x, %f)
              -> (%x, %4, %x, %f)
          %d : (int, float) = prim::TupleConstruct(%1, %2)
          return (%n, %b, %d)
        """)


def test_nothing_to_lower():
    check_pass(tuple_lowering, """
        graph(%c : bool, %t : (int, int)):
          %b : (int, int) = prim::If(%c)
            block0():
              -> (%t)
            block1():
              -> (%t)
          return (%b)
        """, changed=False)

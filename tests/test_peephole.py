"""Peephole rewrites: identities that hold given the types, and the look-alikes that do not."""
import numpy as np
import pytest
from graph_checks import assert_computes_the_same, check_pass, dedent

from minitorch_jit.ir import parse_graph, print_graph, verify
from minitorch_jit.passes.peephole import peephole, size_reads


def test_t_t_is_x():
    check_pass(peephole, """
        graph(%x : Float(*, *)):
          %a : Float(*, *) = aten::t(%x)
          %b : Float(*, *) = aten::t(%a)
          %c : Tensor = aten::relu(%b)
          return (%c)
        """, """
        graph(%x : Float(*, *)):
          %c : Tensor = aten::relu(%x)
          return (%c)
        """)


def test_t_t_of_unknown_rank_stays():
    # t() of a 3-d tensor raises: without the rank the rewrite could hide that error
    check_pass(peephole, """
        graph(%x : Tensor):
          %1 : Tensor = aten::t(%x)
          %2 : Tensor = aten::t(%1)
          return (%2)
        """, changed=False, values=False)


def test_transposing_back_is_x_but_other_dims_are_not():
    check_pass(peephole, """
        graph(%x : Float(*, *, *)):
          %zero : int = prim::Constant[value=0]()
          %two : int = prim::Constant[value=2]()
          %last : int = prim::Constant[value=-1]()
          %a : Tensor = aten::transpose(%x, %zero, %two)
          %b : Tensor = aten::transpose(%a, %last, %zero)
          %c : Tensor = aten::transpose(%x, %zero, %two)
          %d : Tensor = aten::transpose(%c, %zero, %last)
          %e : Tensor = aten::transpose(%d, %zero, %zero)
          %f : Tensor = aten::add(%b, %e)
          return (%f)
        """, checks="""
        CHECK: %last : int = prim::Constant[value=-1]()
        CHECK-NEXT: %e : Tensor = aten::transpose(%x, %zero, %zero)
        CHECK-NEXT: %f : Tensor = aten::add(%x, %e)
        """)


def test_view_reshape_expand_to_the_same_sizes_are_x():
    check_pass(peephole, """
        graph(%x : Float(2, 3), %y : Float(2, 3)):
          %same : int[] = prim::Constant[value=[2, -1]]()
          %keep : int[] = prim::Constant[value=[-1, 3]]()
          %other : int[] = prim::Constant[value=[3, 2]]()
          %a : Float(2, 3) = aten::view(%x, %same)
          %b : Float(2, 3) = aten::reshape(%a, %keep)
          %c : Float(2, 3) = aten::expand(%b, %keep)
          %d : Float(3, 2) = aten::view(%c, %other)
          %e : Float(2, 3) = aten::expand_as(%x, %y)
          %f : Float(3, 2) = aten::reshape_as(%e, %d)
          return (%f)
        """, """
        graph(%x : Float(2, 3), %y : Float(2, 3)):
          %same : int[] = prim::Constant[value=[2, -1]]()
          %keep : int[] = prim::Constant[value=[-1, 3]]()
          %other : int[] = prim::Constant[value=[3, 2]]()
          %d : Float(3, 2) = aten::view(%x, %other)
          %f : Float(3, 2) = aten::reshape_as(%x, %d)
          return (%f)
        """)


def test_views_of_unknown_sizes_stay():
    check_pass(peephole, """
        graph(%x : Float(*, 3)):
          %s : int[] = prim::Constant[value=[2, 3]]()
          %a : Float(2, 3) = aten::view(%x, %s)
          %b : Float(2, 3) = aten::expand(%a, %s)
          %c : Float(2, 3) = aten::expand(%x, %s)
          %r : Tensor = aten::add(%b, %c)
          return (%r)
        """, checks="""
        CHECK: aten::view(%x, %s)
        CHECK-NEXT: %c : Float(2, 3) = aten::expand(%x, %s)
        CHECK-NEXT: aten::add(%a, %c)
        """, inputs=[np.ones((2, 3), np.float32)])


def test_conversions_to_the_same_dtype_are_x():
    check_pass(peephole, """
        graph(%x : Float(*), %l : Long(*)):
          %f : ScalarType = prim::Constant[value="float32"]()
          %dd : ScalarType = prim::Constant[value="float64"]()
          %no : bool = prim::Constant[value=False]()
          %yes : bool = prim::Constant[value=True]()
          %a : Float(*) = aten::to(%x, %f)
          %b : Float(*) = aten::to(%a, %f, %no, %no)
          %c : Float(*) = aten::to(%b, %f, %no, %yes)
          %d : Double(*) = aten::to(%x, %dd)
          %e : Float(*) = aten::type_as(%x, %x)
          %g : Long(*) = aten::type_as(%x, %l)
          %h : Float(*) = aten::_cast_Float(%e)
          %k : Long(*) = aten::_cast_Long(%h)
          return (%c, %d, %g, %k)
        """, checks="""
        CHECK: %c : Float(*) = aten::to(%x, %f, %no, %yes)
        CHECK-NEXT: %d : Double(*) = aten::to(%x, %dd)
        CHECK-NEXT: %g : Long(*) = aten::type_as(%x, %l)
        CHECK-NEXT: %k : Long(*) = aten::_cast_Long(%x)
        """, inputs=[np.array([1.5, -2.0, -0.0], np.float32), np.array([3, -4, 0])])


def test_contiguous_of_a_value_typed_contiguous_is_that_value():
    # the executor types x contiguous (its inputs were) and says nothing of y; a
    # contiguous() result is contiguous by its type rule
    text = dedent("""
        graph(%x : Float(*, *, contiguous), %y : Float(*, *)):
          %a : Float(*, *, contiguous) = aten::contiguous(%x)
          %b : Float(*, *) = aten::t(%y)
          %c : Float(*, *, contiguous) = aten::contiguous(%b)
          %d : Float(*, *, contiguous) = aten::contiguous(%c)
          %e : Float(*, *, contiguous) = aten::contiguous(%y)
          %f : Float() = aten::sum(%y)
          %g : Float() = aten::contiguous(%f)
          return (%a, %d, %e, %g)
        """)
    g = parse_graph(text)
    before = g.copy()
    assert print_graph(before) == text  # the copy keeps the facts
    assert peephole(g)
    verify(g)
    assert print_graph(g) == dedent("""
        graph(%x : Float(*, *, contiguous), %y : Float(*, *)):
          %b : Float(*, *) = aten::t(%y)
          %c : Float(*, *, contiguous) = aten::contiguous(%b)
          %e : Float(*, *, contiguous) = aten::contiguous(%y)
          %f : Float() = aten::sum(%y)
          return (%x, %c, %e, %f)
        """)
    assert not peephole(g)
    x = np.arange(4, dtype=np.float32).reshape(2, 2)
    assert_computes_the_same(before, g, [x, x.T])


def test_detach_and_dropout_that_does_not_train_are_x():
    check_pass(peephole, """
        graph(%x : Float(*)):
          %p : float = prim::Constant[value=0.5]()
          %zero : float = prim::Constant[value=0.0]()
          %no : bool = prim::Constant[value=False]()
          %yes : bool = prim::Constant[value=True]()
          %a : Tensor = aten::detach(%x)
          %b : Tensor = aten::dropout(%a, %p, %no)
          %c : Tensor = aten::dropout(%b, %zero, %yes)
          %d : Tensor = aten::exp(%c)
          return (%d)
        """, checks="""
        CHECK-NOT: detach
        CHECK-NOT: dropout
        CHECK: %d : Tensor = aten::exp(%x)
        """)


def test_arithmetic_identities_that_are_exact():
    check_pass(peephole, """
        graph(%x : Float(*, 3), %n : Long(*)):
          %zero : int = prim::Constant[value=0]()
          %one : int = prim::Constant[value=1]()
          %ones : Float(3) = prim::Constant[value=tensor([1.0, 1.0, 1.0], dtype=float32)]()
          %a : Tensor = aten::mul(%x, %one)
          %b : Tensor = aten::div(%a, %one)
          %c : Tensor = aten::sub(%b, %zero)
          %d : Tensor = aten::mul(%ones, %c)
          %e : Tensor = aten::neg(%d)
          %f : Tensor = aten::neg(%e)
          %g : Tensor = aten::exp(%f)
          %m : Tensor = aten::add(%n, %zero)
          %k : Tensor = aten::add(%zero, %m)
          %r : Tensor = aten::abs(%k)
          return (%g, %r)
        """, """
        graph(%x : Float(*, 3), %n : Long(*)):
          %zero : int = prim::Constant[value=0]()
          %one : int = prim::Constant[value=1]()
          %ones : Float(3) = prim::Constant[value=tensor([1.0, 1.0, 1.0], dtype=float32)]()
          %g : Tensor = aten::exp(%x)
          %r : Tensor = aten::abs(%n)
          return (%g, %r)
        """)


@pytest.mark.parametrize("why, text", [
    ("x + 0 of floats turns -0.0 into 0.0", """
        graph(%x : Float(*)):
          %0 : int = prim::Constant[value=0]()
          %1 : Tensor = aten::add(%x, %0)
          %2 : Tensor = aten::exp(%1)
          return (%2)
        """),
    ("x - (-0.0) is x + 0.0", """
        graph(%x : Float(*)):
          %z : float = prim::Constant[value=-0.0]()
          %1 : Tensor = aten::sub(%x, %z)
          %2 : Tensor = aten::exp(%1)
          return (%2)
        """),
    ("an int tensor times 1.0 is a float tensor", """
        graph(%x : Long(*)):
          %1 : float = prim::Constant[value=1.0]()
          %2 : Tensor = aten::mul(%x, %1)
          %3 : Tensor = aten::abs(%2)
          return (%3)
        """),
    ("x / 1 of ints is a float tensor", """
        graph(%x : Long(*)):
          %1 : int = prim::Constant[value=1]()
          %2 : Tensor = aten::div(%x, %1)
          %3 : Tensor = aten::abs(%2)
          return (%3)
        """),
    ("a broadcasting operand may grow x (its size may be 1)", """
        graph(%x : Float(*)):
          %ones : Float(3) = prim::Constant[value=tensor([1.0, 1.0, 1.0], dtype=float32)]()
          %1 : Tensor = aten::mul(%x, %ones)
          %2 : Tensor = aten::abs(%1)
          return (%2)
        """),
    ("alpha scales the zero", """
        graph(%x : Float(*)):
          %0 : float = prim::Constant[value=0.0]()
          %m : int = prim::Constant[value=-1]()
          %1 : Tensor = aten::sub(%x, %0, %m)
          %2 : Tensor = aten::abs(%1)
          return (%2)
        """),
    ("the result is written in place: it must stay a new tensor", """
        graph(%x : Float(*)):
          %1 : int = prim::Constant[value=1]()
          %2 : Tensor = aten::mul(%x, %1)
          %3 : Tensor = aten::add_(%2, %1)
          %4 : Tensor = aten::exp(%x)
          return (%4)
        """),
    ("the caller gets x and x * 1: two tensors, not one", """
        graph(%x : Float(*)):
          %1 : int = prim::Constant[value=1]()
          %2 : Tensor = aten::mul(%x, %1)
          return (%2)
        """),
    ("the inner negation is written in place (through a view) before the outer reads it", """
        graph(%x : Float(*, *)):
          %1 : Float(*, *) = aten::neg(%x)
          %2 : Float(*, *) = aten::t(%1)
          %3 : int = prim::Constant[value=1]()
          %4 : Float(*, *) = aten::add_(%2, %3)
          %5 : Float(*, *) = aten::neg(%1)
          %6 : Float(*, *) = aten::exp(%5)
          return (%6)
        """),
    ("negating a bool tensor is an error", """
        graph(%x : Bool(*)):
          %1 : Tensor = aten::neg(%x)
          %2 : Tensor = aten::neg(%1)
          %3 : Tensor = aten::logical_not(%2)
          return (%3)
        """),
])
def test_identities_that_would_change_the_result_stay(why, text):
    check_pass(peephole, text, changed=False)


def test_size_queries_of_known_sizes_fold():
    check_pass(peephole, """
        graph(%x : Float(2, *), %y : Long(4, 5)):
          %zero : int = prim::Constant[value=0]()
          %one : int = prim::Constant[value=1]()
          %a : int = aten::dim(%x)
          %b : int = aten::size(%x, %zero)
          %c : int = aten::size(%x, %one)
          %d : int[] = aten::size(%y)
          %e : int = aten::numel(%y)
          %f : int = aten::numel(%x)
          %g : (int, int, int, int[], int, int) = prim::TupleConstruct(%a, %b, %c, %d, %e, %f)
          return (%g)
        """, checks="""
        CHECK: %a : int = prim::Constant[value=2]()
        CHECK: %b : int = prim::Constant[value=2]()
        CHECK: %c : int = aten::size(%x, %one)
        CHECK: %d : int[] = prim::Constant[value=[4, 5]]()
        CHECK: %e : int = prim::Constant[value=20]()
        CHECK: %f : int = aten::numel(%x)
        """)


def test_number_and_boolean_algebra():
    check_pass(peephole, """
        graph(%n : int, %b : bool, %c : bool, %f : float):
          %0 : int = prim::Constant[value=0]()
          %1 : int = prim::Constant[value=1]()
          %t : bool = prim::Constant[value=True]()
          %no : bool = prim::Constant[value=False]()
          %fz : float = prim::Constant[value=0.0]()
          %a : int = aten::add(%0, %n)
          %m : int = aten::mul(%a, %1)
          %s : int = aten::sub(%m, %0)
          %d : int = aten::floor_divide(%s, %1)
          %z : int = aten::mul(%n, %0)
          %g : float = aten::add(%f, %fz)
          %nb : bool = aten::__not__(%b)
          %nnb : bool = aten::__not__(%nb)
          %and : bool = prim::If(%nnb)
            block0():
              -> (%t)
            block1():
              -> (%no)
          %not : bool = prim::If(%c)
            block0():
              -> (%no)
            block1():
              -> (%t)
          %same : int = prim::If(%c)
            block0():
              = prim::Print(%n)
              -> (%n)
            block1():
              -> (%n)
          %r : (int, int, float, bool, bool, int) = prim::TupleConstruct(%d, %z, %g, %and, %not, %same)
          return (%r)
        """, checks="""
        CHECK: %z : int = prim::Constant[value=0]()
        CHECK: %g : float = aten::add(%f, %fz)
        CHECK: %not : bool = aten::__not__(%c)
        CHECK: prim::If(%c)
        CHECK: prim::Print(%n)
        CHECK: prim::TupleConstruct(%n, %z, %g, %b, %not, %n)
        """)


def test_unpacking_what_was_just_built():
    check_pass(peephole, """
        graph(%x : Float(*), %n : int):
          %1 : int = prim::Constant[value=1]()
          %t : (Tensor, int) = prim::TupleConstruct(%x, %n)
          %a : Tensor, %b : int = prim::TupleUnpack(%t)
          %c : int = prim::TupleIndex(%t, %1)
          %l : int[] = prim::ListConstruct(%n, %b)
          %d : int, %e : int = prim::ListUnpack(%l)
          %r : (Tensor, int, int, int) = prim::TupleConstruct(%a, %c, %d, %e)
          return (%r)
        """, checks="""
        CHECK: %r : (Tensor, int, int, int) = prim::TupleConstruct(%x, %n, %n, %n)
        """)


def test_size_reads_name_the_input_sizes_queries_need():
    g = parse_graph(dedent("""
        graph(%x : Float(*, *, 1), %y : Float(*, *), %w : Float(*, *)):
          %0 : int = prim::Constant[value=0]()
          %m : int = prim::Constant[value=-1]()
          %a : int = aten::size(%x, %0)
          %b : int = aten::size(%x, %m)
          %p : Float(*, *) = aten::mm(%y, %w)
          %c : int[] = aten::size(%p)
          %r : (int, int, int[]) = prim::TupleConstruct(%a, %b, %c)
          return (%r)
        """))
    # x's last dim is known to be 1; the size of a product reads the sizes of its factors
    assert size_reads(g) == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]


def test_sizes_only_used_as_operands_of_pointwise_ops_are_not_read():
    g = parse_graph(dedent("""
        graph(%x : Float(*, *), %y : Float(*)):
          %0 : int = prim::Constant[value=0]()
          %n : int = aten::size(%x, %0)
          %a : Float(*, *) = aten::mul(%x, %n)
          %k : int = aten::numel(%y)
          %b : Float(*) = aten::add(%y, %k, %k)
          %m : int = aten::size(%y, %0)
          %m2 : int = aten::mul(%m, %m)
          %c : Float(*) = aten::div(%y, %m2)
          return (%a, %b, %c)
        """))
    # n and k are only pointwise operands (kernel arguments); m goes through int arithmetic
    assert size_reads(g) == [(1, 0)]


def test_len_and_indexing_of_known_values_fold():
    check_pass(peephole, """
        graph(%x : Float(4, *), %y : Float(*), %n : int):
          %one : int = prim::Constant[value=1]()
          %xs : Tensor[] = prim::ListConstruct(%x, %y)
          %a : int = aten::len(%xs)
          %b : int = aten::len(%x)
          %c : int = aten::len(%y)
          %d : Tensor = aten::__getitem__(%xs, %one)
          %e : Tensor = aten::__getitem__(%xs, %n)
          %r : (int, int, int, Tensor, Tensor) = prim::TupleConstruct(%a, %b, %c, %d, %e)
          return (%r)
        """, checks="""
        CHECK: %a : int = prim::Constant[value=2]()
        CHECK: %b : int = prim::Constant[value=4]()
        CHECK: %c : int = aten::len(%y)
        CHECK: %e : Tensor = aten::__getitem__(%xs, %n)
        CHECK: prim::TupleConstruct(%a, %b, %c, %y, %e)
        """, inputs=[np.ones((4, 2), np.float32), np.ones(3, np.float32), 0])


def test_isinstance_that_the_type_decides_is_a_constant():
    # a specialization made the Any input a tensor; a union input of only lists is never an int
    check_pass(peephole, """
        graph(%x : Float(*, *), %y : Union(float[], int[])):
          %1 : bool = prim::isinstance[types=[Tensor]](%x)
          %2 : bool = prim::isinstance[types=[int, str]](%y)
          %3 : (bool, bool) = prim::TupleConstruct(%1, %2)
          return (%3)
        """, """
        graph(%x : Float(*, *), %y : Union(float[], int[])):
          %1 : bool = prim::Constant[value=True]()
          %2 : bool = prim::Constant[value=False]()
          %3 : (bool, bool) = prim::TupleConstruct(%1, %2)
          return (%3)
        """, inputs=[np.ones((2, 2), np.float32), [1.0]])


def test_isinstance_that_only_the_value_decides_stays():
    check_pass(peephole, """
        graph(%x : Any, %y : Union(int, str)):
          %1 : bool = prim::isinstance[types=[int[]]](%x)
          %2 : bool = prim::isinstance[types=[str]](%y)
          %3 : (bool, bool) = prim::TupleConstruct(%1, %2)
          return (%3)
        """, changed=False, inputs=[[1, 2], "a"])


def test_items_and_length_of_a_list_no_op_writes_fold_though_its_items_are_in_written_lists():
    """The alias db keeps a list in one set with its items: appending %x to another list
    counts as writing %l. No use of %l itself writes or aliases it, so its length and items
    are still known."""
    check_pass(peephole, """
        graph(%x : Tensor, %y : Tensor):
          %l : Tensor[] = prim::ListConstruct(%x, %y)
          %other : Tensor[] = prim::ListConstruct(%x)
          = aten::append(%other, %x)
          %n : int = aten::len(%l)
          %i : int = prim::Constant[value=-1]()
          %z : Tensor = aten::__getitem__(%l, %i)
          %r : (int, Tensor, Tensor[]) = prim::TupleConstruct(%n, %z, %other)
          return (%r)
        """, checks="""
          CHECK: prim::Constant[value=2]()
          CHECK: prim::TupleConstruct(%n, %y, %other)
        """, values=False)

"""The fuser (passes/fusion.py): which groups form, why ops stay out, and that fused graphs
compute what the unfused ones do."""
import numpy as np
import pytest
from graph_checks import check_pass, dedent

import minitorch_jit as torch
from minitorch_jit.bench.programs.lstm_cell import lstm_cell
from minitorch_jit.bench.programs.pointwise import gelu, square5
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.ir.parser import parse_graph
from minitorch_jit.ir.printer import print_graph
from minitorch_jit.ir.verifier import verify
from minitorch_jit.passes.fusion import fuse, recording
from minitorch_jit.runtime import config


def groups(graph):
    return [n for n in graph.nodes if n.kind == "prim::FusionGroup"]


def test_ratio_iou_is_one_group_and_matches_eager():
    args = [torch.rand(100, 30) + 0.1 for _ in range(8)]
    traced = torch.jit.trace(ratio_iou, tuple(args))
    g = traced.graph_for(*args)
    (group,) = groups(g)
    assert [n.kind for n in g.nodes] == ["prim::FusionGroup"]
    # 20 ops written, 19 computed: common subexpression elimination merges the two `wi * hi`
    assert len([n for n in group.subgraph.nodes if n.kind != "prim::Constant"]) == 19
    assert "with prim::FusionGroup_0 = graph(" in str(g)
    np.testing.assert_array_equal(traced(*args).numpy(), ratio_iou(*args).numpy())


def test_square5_gelu_and_lstm_tail_are_one_group():
    x = torch.randn(1000)
    g = torch.jit.trace(square5, (x,)).graph_for(x)
    assert [n.kind for n in g.nodes] == ["prim::FusionGroup"]
    g = torch.jit.trace(gelu, (x,)).graph_for(x)
    assert [n.kind for n in g.nodes] == ["prim::FusionGroup"]
    args = (torch.randn(4, 8), torch.randn(4, 16), torch.randn(4, 16), torch.randn(64, 8), torch.randn(64, 16),
            torch.randn(64), torch.randn(64))
    traced = torch.jit.trace(lstm_cell, args)
    g = traced.graph_for(*args)
    (group,) = groups(g)
    assert len(group.outputs) == 2 and len(group.subgraph.nodes) == 9
    for fused, eager in zip(traced(*args), lstm_cell(*args)):
        np.testing.assert_allclose(fused.numpy(), eager.numpy(), rtol=1e-6, atol=1e-6)


def test_fused_graph_prints_parses_and_verifies_and_fusing_again_changes_nothing():
    g = parse_graph("""graph(%x : Float(*, *), %y : Float(*)):
  %1 : Float(*, *) = aten::mul(%x, %y)
  %2 : int = prim::Constant[value=1]()
  %3 : Float(*, *) = aten::add(%1, %2)
  %4 : Float() = aten::sum(%3)
  %5 : Float(*, *) = aten::tanh(%3)
  return (%4, %5)
""")
    assert fuse(g)
    verify(g)
    text = print_graph(g)
    assert print_graph(parse_graph(text)) == text
    assert [n.kind for n in g.nodes] == ["prim::FusionGroup", "aten::sum"]
    assert [str(v.type) for v in g.nodes[0].outputs] == ["Float(*, *)", "Float(*, *)"]
    assert not fuse(g)
    assert print_graph(g) == text


def explain(text):
    g = parse_graph(text)
    with recording() as report:
        fuse(g)
    return g, report


def test_a_node_between_two_ops_that_uses_the_first_keeps_them_apart():
    # %s (a reduction) reads %a and feeds %c: fusing %a with %c would be a cycle
    g, report = explain("""graph(%x : Float(*)):
  %a : Float(*) = aten::exp(%x)
  %b : Float(*) = aten::neg(%a)
  %s : Float() = aten::sum(%b)
  %c : Float(*) = aten::mul(%a, %s)
  %d : Float(*) = aten::relu(%c)
  return (%d)
""")
    kinds = [n.kind for n in g.nodes]
    assert kinds == ["prim::FusionGroup", "aten::sum", "prim::FusionGroup"]
    assert not report.left_out


def test_explain_gives_each_left_out_op_its_reason(monkeypatch):
    monkeypatch.setenv("MINITORCH_JIT_DONT_FUSE", "tanh")
    g, report = explain("""graph(%x : Float(*), %y : Tensor, %o : float?):
  %1 : Float(*) = aten::tanh(%x)
  %2 : Tensor = aten::exp(%y)
  %3 : Float(*) = aten::clamp(%x, %o)
  %4 : Float(*) = aten::neg(%x)
  %5 : Float(*) = aten::add_(%x, %4)
  %6 : Float(*) = aten::sub(%x, %x)
  return (%1, %2, %3, %5, %6)
""")
    reasons = {node.kind: why for node, why in report.left_out}
    assert reasons["aten::tanh"] == "it is excluded by MINITORCH_JIT_DONT_FUSE"
    assert "dtype of %y is unknown" in reasons["aten::exp"]
    assert "is not a number or a constant" in reasons["aten::clamp"]
    assert "may alias a tensor written in place" in reasons["aten::neg"]
    assert "fewer than the minimum of 2" in reasons["aten::sub"] or "alias" in reasons["aten::sub"]
    assert not groups(g)
    text = str(report)
    assert text.startswith("0 fusion groups") and "because it is excluded by MINITORCH_JIT_DONT_FUSE" in text


def test_shapes_that_cannot_broadcast_stay_out():
    g, report = explain("""graph(%x : Float(3), %y : Float(4)):
  %1 : Float(3) = aten::neg(%x)
  %2 : Float(4) = aten::neg(%y)
  %3 : Float(*) = aten::add(%1, %2)
  return (%3)
""")
    (why,) = [w for node, w in report.left_out if node.kind == "aten::add"]
    assert "do not broadcast" in why and "The size of tensor a (3) must match the size of tensor b (4)" in why


def test_script_function_explain_and_fusion_off_give_the_same_values(monkeypatch):
    args = [torch.rand(7) + 0.1 for _ in range(8)]
    traced = torch.jit.trace(ratio_iou, tuple(args))
    assert "1 fusion group" in traced.explain(*args) and "19 ops" in traced.explain(*args)  # one CSE merge
    monkeypatch.setattr(config, "_fusion", None)
    unfused = torch.jit.trace(ratio_iou, tuple(args))
    assert not groups(unfused.graph_for(*args))
    np.testing.assert_array_equal(unfused(*args).numpy(), traced(*args).numpy())


def test_ops_inside_loops_and_ifs_fuse_within_their_block():
    g = parse_graph("""graph(%x : Float(*), %n : int):
  %t : bool = prim::Constant[value=True]()
  %r : Float(*) = prim::Loop(%n, %t, %x)
    block0(%i : int, %h : Float(*)):
      %1 : Float(*) = aten::mul(%h, %h)
      %2 : Float(*) = aten::sigmoid(%1)
      -> (%t, %2)
  return (%r)
""")
    assert fuse(g)
    verify(g)
    loop = g.nodes[-1]
    assert [n.kind for n in loop.blocks[0].nodes] == ["prim::FusionGroup"]


# -- IR text in, printed IR out, with check_pass (round trip, idempotence, same values) ----------


def test_a_chain_fuses_and_a_value_used_outside_is_a_group_output():
    check_pass(fuse, """
        graph(%x : Float(*, *), %y : Float(*)):
          %m : Float(*, *) = aten::mul(%x, %y)
          %one : int = prim::Constant[value=1]()
          %a : Float(*, *) = aten::add(%m, %one)
          %s : Float() = aten::sum(%a)
          %t : Float(*, *) = aten::tanh(%a)
          return (%s, %t)
        """, """
        graph(%x : Float(*, *), %y : Float(*)):
          %a : Float(*, *), %t : Float(*, *) = prim::FusionGroup_0(%x, %y)
          %s : Float() = aten::sum(%a)
          return (%s, %t)
        with prim::FusionGroup_0 = graph(%x : Float(*, *), %y : Float(*)):
          %m : Float(*, *) = aten::mul(%x, %y)
          %one : int = prim::Constant[value=1]()
          %a : Float(*, *) = aten::add(%m, %one)
          %t : Float(*, *) = aten::tanh(%a)
          return (%a, %t)
        """)


def test_an_in_place_write_keeps_its_readers_out_and_no_group_spans_it():
    # %x may be %y (the caller may pass one tensor twice), so exp(%x) reads a written
    # tensor; sin and cos may not fuse across the write; cos and neg, after it, do
    check_pass(fuse, """
        graph(%x : Float(*), %y : Float(*)):
          %one : int = prim::Constant[value=1]()
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          %w : Float(*) = aten::add_(%y, %one)
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::neg(%c)
          return (%d, %w)
        """, """
        graph(%x : Float(*), %y : Float(*)):
          %one : int = prim::Constant[value=1]()
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          %w : Float(*) = aten::add_(%y, %one)
          %d : Float(*) = prim::FusionGroup_0(%b)
          return (%d, %w)
        with prim::FusionGroup_0 = graph(%b : Float(*)):
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::neg(%c)
          return (%d)
        """)


def test_a_print_between_two_ops_keeps_them_in_two_groups():
    check_pass(fuse, """
        graph(%x : Float(*)):
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          = prim::Print(%x)
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::neg(%c)
          return (%d)
        """, """
        graph(%x : Float(*)):
          %b : Float(*) = prim::FusionGroup_0(%x)
          = prim::Print(%x)
          %d : Float(*) = prim::FusionGroup_1(%b)
          return (%d)
        with prim::FusionGroup_0 = graph(%x : Float(*)):
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          return (%b)
        with prim::FusionGroup_1 = graph(%b : Float(*)):
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::neg(%c)
          return (%d)
        """, values=False)


def test_an_unknown_op_in_the_middle_is_neither_fused_nor_spanned():
    # the verifier refuses ops the registry does not know, so this one is checked by hand;
    # foo::bar takes no input here: one taking %x might write it, and keep exp(%x) out too
    g = parse_graph(dedent("""
        graph(%x : Float(*)):
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          %u : Float(*) = foo::bar()
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::mul(%c, %u)
          return (%d)
        """))
    assert fuse(g)
    assert print_graph(g) == dedent("""
        graph(%x : Float(*)):
          %b : Float(*) = prim::FusionGroup_0(%x)
          %u : Float(*) = foo::bar()
          %d : Float(*) = prim::FusionGroup_1(%b, %u)
          return (%d)
        with prim::FusionGroup_0 = graph(%x : Float(*)):
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          return (%b)
        with prim::FusionGroup_1 = graph(%b : Float(*), %u : Float(*)):
          %c : Float(*) = aten::cos(%b)
          %d : Float(*) = aten::mul(%c, %u)
          return (%d)
        """)
    assert not fuse(g)


def test_the_optimizer_removes_errors_integer_division_is_not_broadcast_away_in_a_group():
    # issue 12 item 8: with c of shape (0, 1) the product is empty, and a kernel computing it
    # would never divide; eagerly a // b raises for a zero in b
    check_pass(fuse, """
        graph(%a : Long(*), %b : Long(*), %c : Long(*, 1)):
          %q : Long(*) = aten::floor_divide(%a, %b)
          %p : Long(*, *) = aten::mul(%q, %c)
          %r : Long(*, *) = aten::neg(%p)
          %s : Long(*, *) = aten::abs(%r)
          return (%s)
        """, """
        graph(%a : Long(*), %b : Long(*), %c : Long(*, 1)):
          %q : Long(*) = aten::floor_divide(%a, %b)
          %p : Long(*, *) = aten::mul(%q, %c)
          %s : Long(*, *) = prim::FusionGroup_0(%p)
          return (%s)
        with prim::FusionGroup_0 = graph(%p : Long(*, *)):
          %r : Long(*, *) = aten::neg(%p)
          %s : Long(*, *) = aten::abs(%r)
          return (%s)
        """, inputs=[np.array([1, 2], np.int64), np.array([0, 1], np.int64), np.zeros((0, 1), np.int64)])
    # at known, equal sizes every quotient is computed: the division fuses
    check_pass(fuse, """
        graph(%a : Long(4), %b : Long(4), %c : Long(4)):
          %q : Long(4) = aten::floor_divide(%a, %b)
          %p : Long(4) = aten::mul(%q, %c)
          return (%p)
        """, checks="""
        CHECK: prim::FusionGroup_0(%a, %b, %c)
        CHECK: aten::floor_divide(%a, %b)
        CHECK-NEXT: aten::mul(%q, %c)
        """)


def test_integer_division_by_a_constant_it_accepts_fuses_at_any_sizes():
    check_pass(fuse, """
        graph(%a : Long(*), %c : Long(*, 1)):
          %two : int = prim::Constant[value=2]()
          %zero : int = prim::Constant[value=0]()
          %q : Long(*) = aten::floor_divide(%a, %two)
          %p : Long(*, *) = aten::mul(%q, %c)
          %r : Long(*) = aten::remainder(%a, %zero)
          %s : Long(*, *) = aten::mul(%r, %c)
          return (%p, %s)
        """, checks="""
        CHECK: %p : Long(*, *) = prim::FusionGroup_0(%a, %c)
        CHECK: %r : Long(*) = aten::remainder(%a, %zero)
        CHECK-NEXT: %s : Long(*, *) = aten::mul(%r, %c)
        CHECK: aten::floor_divide(%a, %two)
        CHECK-NEXT: aten::mul(%q, %c)
        """)


def test_the_optimizer_removes_errors_scripted_integer_division_raises_as_eager():
    @torch.script
    def f(a, b, c):
        return (a // b) * c

    a, b, c = torch.tensor([1, 2]), torch.tensor([0, 1]), torch.zeros((0, 1), dtype=torch.int64)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        (a // b) * c
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        f(a, b, c)
    assert ("because it would broadcast the result of aten::floor_divide, which may raise for some values "
            "(integer division by zero), to sizes that could skip its elements") in f.explain(a, b, c)


def test_an_unused_op_that_may_raise_stays_out_of_groups():
    check_pass(fuse, """
        graph(%x : Float(*), %y : Float(*)):
          %s : Float(*) = aten::add(%x, %y)
          %a : Float(*) = aten::exp(%x)
          %b : Float(*) = aten::sin(%a)
          return (%b)
        """, checks="""
        CHECK: %s : Float(*) = aten::add(%x, %y)
        CHECK-NEXT: %b : Float(*) = prim::FusionGroup_0(%x)
        """)


def add_then_double(a, b):
    return (a + b) * 2


def test_a_fused_result_has_the_layout_eager_gives_it():
    """Found by the random-program test: fused results were allocated C-contiguous while eager
    (numpy's order "K") keeps a transposed input's layout, so view() worked only fused."""
    def f(x):
        a = -(-x)
        return a.view(-1)

    traced = torch.jit.trace(f, (torch.rand(3, 4),))
    x = torch.from_numpy(np.random.rand(4, 3).astype(np.float32)).t()  # not contiguous
    assert groups(traced.graph_for(x))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        f(x)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        traced(x)
    # the layout follows the inputs of the result's shape when they agree, as numpy's does;
    # broadcast inputs take no part; inputs that disagree give C order
    g = torch.jit.script(add_then_double)
    y = torch.from_numpy(np.random.rand(5, 3, 4).astype(np.float32)).permute(1, 2, 0)
    for a, b in [(y, y), (y, torch.ones(5)), (y, torch.ones(3, 4, 5))]:
        assert g(a, b).stride() == add_then_double(a, b).stride()

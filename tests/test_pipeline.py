"""The pipeline: pass order, fixed point, dumps, verification, and the seeds' examples."""
import numpy as np
import pytest
from graph_checks import assert_computes_the_same, dedent, filecheck
from programs import PROGRAMS, script_from_ir

import minitorch_jit as torch
from minitorch_jit.ir import Graph, VerifyError, parse_graph, print_graph
from minitorch_jit.passes import pipeline
from minitorch_jit.passes.pipeline import optimize, pass_names, run_pipeline


def dumb_function(x):
    return x.t().t()


def test_graph_for_of_dumb_function_is_its_input():
    traced = torch.jit.trace(dumb_function, torch.ones(2, 2))
    assert str(traced.graph_for(torch.ones(2, 2))) == "graph(%x : Float(*, *, contiguous)):\n  return (%x)\n"


def test_passes_are_listed_in_order():
    assert pass_names() == ["shape_propagation", "inlining", "constant_propagation", "value_refinement", "peephole",
                            "tuple_lowering", "loop_unrolling", "common_subexpression_elimination",
                            "dead_code_elimination", "remove_mutation", "decomposition", "reduction_fusion",
                            "fusion"]


def test_range_5_of_x_times_x_becomes_five_muls():
    # what the scripter emits for `for i in range(5): x = x * x`
    g = parse_graph(dedent("""
        graph(%x.1 : Float(*)):
          %t : bool = prim::Constant[value=True]()
          %n : int = prim::Constant[value=5]()
          %x : Tensor = prim::Loop(%n, %t, %x.1)
            block0(%i : int, %x.2 : Tensor):
              %x.3 : Tensor = aten::mul(%x.2, %x.2)
              -> (%t, %x.3)
          return (%x)
        """))
    before = g.copy()
    optimized = optimize(g.copy())
    assert [n.kind for n in optimized.nodes] == ["aten::mul"] * 5
    assert_computes_the_same(before, optimized)
    # and the fuser, last in the pipeline, makes them one kernel, as on the seeds' slide
    filecheck(str(run_pipeline(g)), """
        CHECK: graph(%x.1 : Float(*)):
        CHECK-NEXT: : Float(*) = prim::FusionGroup_0(%x.1)
        CHECK-NEXT: return
        CHECK: with prim::FusionGroup_0 = graph(
        CHECK-COUNT-5: : Float(*) = aten::mul(
        """)


def test_my_function_with_a_constant_condition_folds_to_one_branch():
    # my_function scripted, its condition made constant by the specialization: x.dim() == 2
    fn = script_from_ir("""
        graph(%x : Tensor):
          %two : int = prim::Constant[value=2]()
          %d : int = aten::dim(%x)
          %c : bool = aten::eq(%d, %two)
          %r : int = prim::If(%c)
            block0():
              %one : int = prim::Constant[value=1]()
              -> (%one)
            block1():
              %other : int = prim::Constant[value=2]()
              -> (%other)
          return (%r)
        """)
    assert str(fn.graph_for(torch.ones(2, 2))) == dedent("""
        graph(%x : Float(*, *, contiguous)):
          %one : int = prim::Constant[value=1]()
          return (%one)
        """)
    assert str(fn.graph_for(torch.ones(3))) == dedent("""
        graph(%x : Float(*, contiguous)):
          %two : int = prim::Constant[value=2]()
          return (%two)
        """)
    assert (fn(torch.ones(2, 2)), fn(torch.ones(3))) == (1, 2)


def test_a_literal_constant_condition_folds_without_specialization():
    g = parse_graph(dedent("""
        graph(%x : Tensor):
          %c : bool = prim::Constant[value=True]()
          %r : Tensor = prim::If(%c)
            block0():
              %a : Tensor = aten::exp(%x)
              -> (%a)
            block1():
              %b : Tensor = aten::neg(%x)
              -> (%b)
          return (%r)
        """))
    assert print_graph(optimize(g)) == dedent("""
        graph(%x : Tensor):
          %a : Tensor = aten::exp(%x)
          return (%a)
        """)


def test_the_pipeline_reaches_a_fixed_point():
    for text in [SQUARES, NESTED]:
        g = parse_graph(dedent(text))
        optimize(g)
        printed = print_graph(g)
        for _, fn in pipeline.OPTIMIZATIONS:
            assert fn(g) is False, fn.__name__
        assert print_graph(optimize(g)) == printed


SQUARES = """
    graph(%x : Float(*, *), %n : int):
      %t : bool = prim::Constant[value=True]()
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %x.1 : Tensor):
          %a : Tensor = aten::t(%x.1)
          %b : Tensor = aten::t(%a)
          %c : Tensor = aten::mul(%b, %b)
          -> (%t, %c)
      return (%y)
    """

NESTED = """
    graph(%x : Float(2, 3), %f : bool):
      %one : int = prim::Constant[value=1]()
      %s : int = aten::size(%x, %one)
      %r : Tensor = prim::If(%f)
        block0():
          %a : Tensor = aten::mul(%x, %s)
          %b : Tensor = aten::mul(%x, %s)
          %c : Tensor = aten::add(%a, %b)
          -> (%c)
        block1():
          %t : bool = prim::Constant[value=True]()
          %y : Tensor = prim::Loop(%s, %t, %x)
            block0(%i : int, %x.1 : Tensor):
              %x.2 : Tensor = aten::add(%x.1, %i)
              -> (%t, %x.2)
          -> (%y)
      return (%r)
    """


def test_lowerings_run_once_after_the_fixed_point(monkeypatch):
    seen = []

    def lowering(graph: Graph) -> bool:
        seen.append(print_graph(graph))
        return False
    monkeypatch.setattr(pipeline, "LOWERINGS", [("fusion", lowering)])
    g = parse_graph(dedent(SQUARES))
    run_pipeline(g)
    assert len(seen) == 1 and seen[0] == print_graph(g)
    assert pass_names()[-1] == "fusion"


def test_a_pass_that_breaks_the_graph_is_named(monkeypatch):
    def breaker(graph: Graph) -> bool:
        node = graph.nodes[-1]
        node.move_before(graph.nodes[0])
        return True
    monkeypatch.setattr(pipeline, "OPTIMIZATIONS", [("breaker", breaker)])
    with pytest.raises(VerifyError, match="broken after pass breaker"):
        run_pipeline(parse_graph(dedent(NESTED)))


def test_dump_all_or_one_pass(monkeypatch, capsys):
    monkeypatch.setenv("MINITORCH_JIT_DUMP", "all")
    run_pipeline(parse_graph(dedent(SQUARES)))
    err = capsys.readouterr().err
    assert "[minitorch_jit] before the pipeline:" in err
    for name in ("shape_propagation", "peephole", "loop_unrolling"):
        assert f"[minitorch_jit] after {name}:\ngraph(" in err
    monkeypatch.setenv("MINITORCH_JIT_DUMP", "peephole")
    run_pipeline(parse_graph(dedent(SQUARES)))
    err = capsys.readouterr().err
    assert err.startswith("[minitorch_jit] after peephole:\ngraph(")
    assert "after shape_propagation" not in err and "before the pipeline" not in err


@pytest.mark.parametrize("text", [SQUARES, NESTED], ids=["squares", "nested"])
def test_the_pipeline_computes_the_same_values(text):
    g = parse_graph(dedent(text))
    before = g.copy()
    optimize(g)
    for n in (0, 3, 9):
        for f in (True, False):
            args = [np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5, n if "%n" in text else f]
            assert_computes_the_same(before, g, args)


@pytest.mark.filterwarnings("ignore::minitorch_jit.TracerWarning")
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_optimized_programs_are_at_a_fixed_point(program):
    fn = program.build()
    for example in program.examples():
        g = fn.graph_for(*example).copy()
        for name, pass_fn in pipeline.OPTIMIZATIONS:
            assert pass_fn(g) is False, f"{name} changed the optimized graph of {program.name}:\n{g}"


def test_passes_that_never_settle_are_an_error_when_verifying(monkeypatch):
    def restless(graph: Graph) -> bool:
        return True
    monkeypatch.setattr(pipeline, "OPTIMIZATIONS", [("restless", restless)])
    with pytest.raises(RuntimeError, match="did not reach a fixed point in 16 rounds"):
        run_pipeline(parse_graph(dedent(NESTED)))

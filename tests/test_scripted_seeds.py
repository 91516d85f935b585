"""The seeds' scripted programs through the passes: what graph_for must show, and the same
results with and without passes."""
import numpy as np
import pytest
from differential import assert_same_with_and_without_passes, random_like
from programs import my_function_of_ints as my_function

import minitorch_jit as torch
from minitorch_jit.bench.programs.peephole import dumb_function
from minitorch_jit.bench.programs.pointwise import square5
from minitorch_jit.jit import ScriptFunction
from minitorch_jit.runtime import config

script = torch.script


def by_rank(x):
    if x.dim() == 2:
        r = x * 2
    else:
        r = x + 1
    return r


def dim_loop(x):
    for i in range(x.dim()):
        x = x * x
    return x


def lunif2(x, t: int = 2):
    xnorm = torch.norm(x, p=2, dim=1).pow(2)
    sq_pdist = xnorm[None] + xnorm[:, None] - 2 * torch.mm(x, x.t())
    exp = sq_pdist.mul(-t).exp().tril(diagonal=-1)
    N = x.size(0)
    res = exp.sum().mul(2 / (N * N - N)).log()
    return res


def kinds(graph):
    return [n.kind for n in graph.all_nodes() if n.kind != "prim::Constant"]


def test_range_5_of_x_times_x_is_five_muls():
    fused = script(square5)
    with config.using(fusion=None):
        unfused = ScriptFunction(fused.graph, fused.signature, fused.name)
    assert str(unfused.graph_for(torch.rand(5))) == (
        "graph(%x : Float(*, contiguous)):\n"
        "  %x.4 : Float(*) = aten::mul(%x, %x)\n"
        "  %x.5 : Float(*) = aten::mul(%x.4, %x.4)\n"
        "  %x.6 : Float(*) = aten::mul(%x.5, %x.5)\n"
        "  %x.7 : Float(*) = aten::mul(%x.6, %x.6)\n"
        "  %x.8 : Float(*) = aten::mul(%x.7, %x.7)\n"
        "  return (%x.8)\n")
    # and with fusion, the five muls are one group
    g = fused.graph_for(torch.rand(5))
    assert kinds(g) == ["prim::FusionGroup"]
    assert kinds(g.nodes[-1].subgraph) == ["aten::mul"] * 5


def test_dumb_function_scripted_is_its_input():
    assert str(script(dumb_function).graph_for(torch.ones(2, 2))) == "graph(%x : Float(*, *, contiguous)):\n  return (%x)\n"


def my_function_on_a_constant(x):
    # the seed's my_function with its condition on a constant tensor: a constant condition
    if bool(torch.ones(2, 2).mean() > 1.0):
        r = 1
    else:
        r = 2
    return r


def test_my_function_with_a_constant_condition_folds_to_one_branch():
    fn = script(my_function_on_a_constant)
    assert "prim::If" in kinds(fn.graph)
    assert str(fn.graph_for(torch.ones(2, 2))) == (
        "graph(%x : Float(*, *, contiguous)):\n"
        "  %r : int = prim::Constant[value=2]()\n"
        "  return (%r)\n")
    assert fn(torch.ones(3)) == 2
    # with a condition that depends on x's values the branch stays
    assert "prim::If" in kinds(script(my_function).graph_for(torch.ones(2, 2)))


def test_a_condition_constant_under_specialization_folds_to_one_branch():
    fn = script(by_rank)
    assert "prim::If" in kinds(fn.graph)
    assert str(fn.graph_for(torch.ones(2, 2))) == (
        "graph(%x : Float(*, *, contiguous)):\n"
        "  %1 : int = prim::Constant[value=2]()\n"
        "  %r.2 : Float(*, *) = aten::mul(%x, %1)\n"
        "  return (%r.2)\n")
    assert str(fn.graph_for(torch.ones(3))) == (
        "graph(%x : Float(*, contiguous)):\n"
        "  %1 : int = prim::Constant[value=1]()\n"
        "  %r.1 : Float(*) = aten::add(%x, %1)\n"
        "  return (%r.1)\n")
    np.testing.assert_array_equal(fn(torch.ones(2, 2)).numpy(), np.full((2, 2), 2.0, np.float32))
    np.testing.assert_array_equal(fn(torch.ones(3)).numpy(), np.full(3, 2.0, np.float32))


def test_lunif2_n_folds_to_a_constant():
    fn = script(lunif2)
    assert "aten::size" in kinds(fn.graph)
    for n in (16, 8):
        x = torch.randn(n, 4)
        g = fn.graph_for(x)
        assert "aten::size" not in kinds(g)
        # N * N - N is known, and so is the factor 2 / (N * N - N) the sum is scaled by
        assert str(g).startswith(f"graph(%x : Float({n}, *, contiguous), %t : int):")
        assert f"prim::Constant[value={2 / (n * n - n)!r}]()" in str(g)
        np.testing.assert_allclose(fn(x).numpy(), lunif2(x).numpy(), rtol=1e-5)


@pytest.mark.parametrize("fn, examples", [
    (my_function, [(torch.ones(2, 2),), (torch.ones(2, 2) + 1,)]),
    (my_function_on_a_constant, [(torch.ones(2, 2),)]),
    (by_rank, [(torch.randn(2, 2),), (torch.randn(3),)]),
    (dim_loop, [(torch.rand(3),), (torch.rand(2, 2),)]),
    (lunif2, [(torch.randn(8, 3),), (torch.randn(5, 3).double(),)]),
], ids=["my_function", "my_function_on_a_constant", "by_rank", "dim_loop", "lunif2"])
def test_scripted_seeds_agree_with_and_without_passes(fn, examples):
    scripted = script(fn)
    for example in examples:
        assert_same_with_and_without_passes(scripted, *example)
        assert_same_with_and_without_passes(scripted, *random_like(example, 1), seed=1)

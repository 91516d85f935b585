"""Reduction fusion (passes/reduction_fusion.py) and row kernels (codegen/llvm/row_kernel.py):
which groups form and why reductions stay out (IR text in, FileCheck out), and that the row
kernels compute what the eager kernels do: exact for integers, within the mathlib's bound for
transcendentals and the stated summation bound for float sums."""
import math

import numpy as np
import pytest
from graph_checks import check_pass, random_tensor

import minitorch_jit as torch
from minitorch_jit.bench.programs.normalization import layer_norm, softmax
from minitorch_jit.codegen.llvm.row_kernel import ROW_OPS, has_rows
from minitorch_jit.ir import parse_graph, registry
from minitorch_jit.passes.fusion import recording
from minitorch_jit.passes.reduction_fusion import reduction_fusion


def groups(graph):
    return [n for n in graph.nodes if n.kind == "prim::FusionGroup"]


def test_every_op_with_a_row_form_has_a_row_kernel_recipe():
    assert {op.qualified_name for op in registry.all_ops() if op.row is not None} == set(ROW_OPS)


# -- IR text in, FileCheck out ------------------------------------------------------------------

SOFTMAX = """
    graph(%x : Float(*, *)):
      %t : bool = prim::Constant[value=True]()
      %d : int[] = prim::Constant[value=[1]]()
      %m : Float(*, 1) = aten::amax(%x, %d, %t)
      %s : Float(*, *) = aten::sub(%x, %m)
      %e : Float(*, *) = aten::exp(%s)
      %z : Float(*, 1) = aten::sum(%e, %d, %t)
      %y : Float(*, *) = aten::div(%e, %z)
      return (%y)
    """


def test_softmax_written_out_is_one_group():
    check_pass(reduction_fusion, SOFTMAX, checks="""
        CHECK: graph(%x : Float(*, *)):
        CHECK-NEXT: prim::FusionGroup_0(%x)
        CHECK-NEXT: return
        CHECK: with prim::FusionGroup_0 = graph(%x : Float(*, *)):
        CHECK: aten::amax
        CHECK-NEXT: aten::sub
        CHECK-NEXT: aten::exp
        CHECK-NEXT: aten::sum
        CHECK-NEXT: aten::div
        CHECK-NEXT: return
        """)


def test_layer_norm_written_out_is_one_group_with_its_scalar():
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *), %w : Float(*), %b : Float(*), %eps : float):
          %t : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[1]]()
          %mean : Float(*, 1) = aten::mean(%x, %d, %t)
          %c : Float(*, *) = aten::sub(%x, %mean)
          %sq : Float(*, *) = aten::mul(%c, %c)
          %var : Float(*, 1) = aten::mean(%sq, %d, %t)
          %ve : Float(*, 1) = aten::add(%var, %eps)
          %r : Float(*, 1) = aten::rsqrt(%ve)
          %n : Float(*, *) = aten::mul(%c, %r)
          %nw : Float(*, *) = aten::mul(%n, %w)
          %y : Float(*, *) = aten::add(%nw, %b)
          return (%y)
        """, checks="""
        CHECK: prim::FusionGroup_0(%x, %eps, %w, %b)
        CHECK-NEXT: return
        CHECK: with prim::FusionGroup_0
        CHECK-COUNT-2: aten::mean
        """)


def test_ops_with_their_pointwise_neighbours_fuse_and_a_flat_result_is_only_returned():
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *, *), %y : Float(*, *, *)):
          %f : bool = prim::Constant[value=False]()
          %none : NoneType = prim::Constant()
          %d : int = prim::Constant[value=2]()
          %dl : int[] = prim::Constant[value=[-1]]()
          %a : Float(*, *, *) = aten::mul(%x, %y)
          %p : Float(*, *, *) = aten::log_softmax(%a, %d, %none)
          %q : Float(*, *, *) = aten::neg(%p)
          %s : Float(*, *) = aten::sum(%a, %dl, %f)
          %t : Float(*, *) = aten::tanh(%s)
          return (%q, %t)
        """, checks="""
        CHECK: %q : Float(*, *, *), %s : Float(*, *) = prim::FusionGroup_0(%x, %y)
        CHECK-NEXT: aten::tanh(%s)
        CHECK: with prim::FusionGroup_0
        CHECK-NEXT: aten::mul
        CHECK: aten::log_softmax
        CHECK-NEXT: aten::neg
        CHECK: aten::sum
        CHECK-NEXT: return (%q, %s)
        """)


def test_reductions_over_several_dims_or_unknown_ones_stay_and_say_why():
    g = parse_graph("""graph(%x : Float(*, *), %n : int):
  %t : bool = prim::Constant[value=True]()
  %d0 : int[] = prim::Constant[value=[0, 1]]()
  %a : Float(1, 1) = aten::sum(%x, %d0, %t)
  %dn : int[] = prim::ListConstruct(%n)
  %b : Tensor = aten::amax(%x, %dn, %t)
  return (%a, %b)
""")
    with recording() as report:
        assert reduction_fusion(g) is False
    text = str(report)
    assert "reductions left out:" in text
    assert "it reduces dims [0, 1] of a rank-2 tensor: row kernels reduce one dim" in text
    assert "the dims it reduces are not a constant" in text or "rank or dtype of its input is unknown" in text


def test_a_dim_with_only_ones_after_it_fuses_as_rows():
    """Where every dim after the reduced one is 1, its rows are contiguous: a row kernel's
    group (reductions over other dims: test_blocked_reductions.py)."""
    check_pass(reduction_fusion, SOFTMAX.replace("[1]", "[1]").replace("(*, *)", "(*, *, 1)")
               .replace("(*, 1)", "(*, 1, 1)"), checks="""
        CHECK: prim::FusionGroup_0(%x)
        CHECK: aten::amax
        """)


def test_a_print_between_reductions_splits_the_group():
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *)):
          %t : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[1]]()
          %m : Float(*, 1) = aten::amax(%x, %d, %t)
           = prim::Print(%m)
          %s : Float(*, *) = aten::sub(%x, %m)
          %z : Float(*, 1) = aten::sum(%s, %d, %t)
          return (%z)
        """, checks="""
        CHECK: %m : Float(*, 1) = prim::FusionGroup_0(%x)
        CHECK-NEXT: prim::Print(%m)
        CHECK-NEXT: prim::FusionGroup_1(%x, %m)
        """)


def test_explain_names_why_a_reduction_was_not_fused():
    def total(x):
        return x.sum(dim=(0, 1)) * 2

    text = torch.jit.script(total).explain(torch.randn(8, 4))
    assert "reductions left out:" in text and "row kernels reduce one dim" in text


# -- fused vs eager -----------------------------------------------------------------------------

FLOAT_RTOL = {"float32": 2e-5, "float64": 1e-12}


def _compare(fused, eager, dtype):
    assert fused.dtype == eager.dtype and fused.shape == eager.shape
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(fused, eager, rtol=FLOAT_RTOL[dtype], atol=1e-6 if dtype == "float32" else 1e-12)
    else:
        np.testing.assert_array_equal(fused, eager)


# the ops blocked kernels compute over a dim with others after it (RowForm.blocked)
BLOCKED = {"sum", "mean", "amax", "amin", "max.dim", "min.dim", "prod", "var", "std", "norm", "logsumexp", "softmax",
           "log_softmax"}


def _cases():
    ops = [
        ("sum", lambda x, d, k: x.sum(dim=d, keepdim=k), "any"),
        ("mean", lambda x, d, k: x.mean(dim=d, keepdim=k), "float"),
        ("amax", lambda x, d, k: torch.amax(x, dim=d, keepdim=k), "number"),
        ("amin", lambda x, d, k: torch.amin(x, dim=d, keepdim=k), "number"),
        ("max.dim", lambda x, d, k: torch.max(x % 4 if x.dtype.is_floating_point else x % 4, d, k), "number"),
        ("min.dim", lambda x, d, k: x.min(d, k), "number"),
        ("prod", lambda x, d, k: torch.prod(x * 0.5 + 1 if x.dtype.is_floating_point else x % 3, d, k), "number"),
        ("var", lambda x, d, k: x.var(dim=d, keepdim=k), "float"),
        ("std", lambda x, d, k: x.std(dim=d, unbiased=False, keepdim=k), "float"),
        ("norm", lambda x, d, k: torch.norm(x, 2, dim=d, keepdim=k), "float"),
        ("logsumexp", lambda x, d, k: torch.logsumexp(x, dim=d, keepdim=k), "float"),
        ("softmax", lambda x, d, k: torch.softmax(x * 2, dim=d), "float"),
        ("log_softmax", lambda x, d, k: torch.log_softmax(x, dim=d) - 1, "float"),
    ]
    rng = np.random.default_rng(7)
    cases = []
    for name, fn, kinds in ops:
        dtypes = {"float": ["float32", "float64"], "number": ["float32", "int32", "int64"],
                  "any": ["float32", "float64", "int32", "int64", "bool"]}[kinds]
        for dtype in dtypes:
            rank = int(rng.integers(1, 4))
            shape = tuple(int(s) for s in rng.integers(2, 40, size=rank))
            cases.append(pytest.param(fn, dtype, shape, bool(rng.integers(0, 2)), name in BLOCKED,
                                      id=f"{name}-{dtype}-{shape}"))
    return cases


@pytest.mark.parametrize("fn,dtype,shape,keepdim,blocked", _cases())
def test_row_kernels_compute_what_eager_does(fn, dtype, shape, keepdim, blocked):
    rng = np.random.default_rng(0)
    x = random_tensor(shape, dtype, rng)
    # innermost rows (row kernels), and others (blocked kernels, or eager)
    for dim in sorted({-1, len(shape) - 1, 0, len(shape) // 2}):
        traced = torch.jit.trace(lambda x, dim=dim: fn(x, dim, keepdim), (x,))
        innermost = all(s == 1 for s in shape[dim % len(shape) + 1:])
        groups = [n.subgraph for n in traced.graph_for(x).nodes if n.kind == "prim::FusionGroup"]
        assert any(has_rows(g) for g in groups) == (innermost or blocked), traced.graph_for(x)
        fused, eager = traced(x), fn(x, dim, keepdim)
        for a, b in zip(fused if isinstance(fused, tuple) else (fused,), eager if isinstance(eager, tuple) else (eager,)):
            _compare(a.numpy(), b.numpy(), str(b.numpy().dtype))


def test_hand_written_softmax_and_layer_norm_are_one_kernel_each_and_match_eager():
    rng = np.random.default_rng(1)
    x, w, b = random_tensor((300, 500), "float32", rng), random_tensor((500,), "float32", rng), random_tensor((500,), "float32", rng)
    for fn, args in ((softmax, (x,)), (layer_norm, (x, w, b)), (layer_norm, (x.t().contiguous().t(), w, b))):
        fused = torch.jit.script(fn)
        g = fused.graph_for(*args)
        assert [n.kind for n in g.nodes] == ["prim::FusionGroup"], g
        _compare(fused(*args).numpy(), fn(*args).numpy(), "float32")


def test_layer_norm_op_with_and_without_parameters_and_a_wrong_shape():
    rng = np.random.default_rng(2)
    x, w, b = random_tensor((4, 6, 32), "float32", rng), random_tensor((32,), "float32", rng), random_tensor((32,), "float32", rng)
    for args in ((w, b), (None, None), (w, None)):
        f = torch.jit.trace(lambda x, args=args: torch.nn.functional.layer_norm(x, [32], *args, 1e-3), (x,))
        assert any(n.kind == "prim::FusionGroup" for n in f.graph_for(x).nodes)
        _compare(f(x).numpy(), torch.nn.functional.layer_norm(x, [32], *args, 1e-3).numpy(), "float32")

    def ln(x, w):
        return torch.nn.functional.layer_norm(x, [32], w)

    scripted = torch.jit.script(ln)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        scripted(random_tensor((4, 16), "float32", rng), random_tensor((16,), "float32", rng))


def test_special_values_nan_rows_all_minus_inf_rows_and_empty_dims():
    x = torch.tensor(np.array([[1.0, np.nan, 2.0, 0.5], [-np.inf] * 4, [np.inf, 1, 2, 3], [-0.0, 0.0, -1, 1]],
                              np.float32))
    for fn in (lambda x: torch.softmax(x, -1), lambda x: torch.log_softmax(x, -1),
               lambda x: torch.amax(x, -1), lambda x: torch.amin(x, -1, True), lambda x: x.sum(-1),
               lambda x: torch.logsumexp(x, -1), lambda x: x.var(-1), lambda x: torch.max(x, -1)[1],
               lambda x: torch.min(x, -1, True)[0]):
        traced = torch.jit.trace(fn, (x,))
        np.testing.assert_allclose(traced(x).numpy(), fn(x).numpy(), rtol=2e-5)
    for shape in ((0, 5), (5, 0), (3, 0, 4)):
        e = torch.zeros(*shape)
        for fn in (lambda x: x.sum(-1), lambda x: torch.softmax(x, -1)):
            traced = torch.jit.trace(fn, (torch.ones(2, 3),))
            np.testing.assert_array_equal(traced(e).numpy(), fn(e).numpy())
    traced = torch.jit.trace(lambda x: torch.amax(x, -1), (torch.ones(2, 3),))
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        traced(torch.zeros(5, 0))


def test_broadcast_and_strided_operands():
    rng = np.random.default_rng(3)
    x = random_tensor((64, 48), "float32", rng)
    col = random_tensor((64, 1), "float32", rng)
    row = random_tensor((48,), "float32", rng)

    for dim in (-1, 0):
        def f(x, col, row, dim=dim):
            y = (x + row) * col
            return y - y.amax(dim, keepdim=True), (y * y).sum(dim)

        traced = torch.jit.trace(f, (x, col, row))
        if dim == -1:  # (over dim 0 the sum is a blocked kernel's; x - amax(x) is a row value of a column's max)
            assert [n.kind for n in traced.graph_for(x, col, row).nodes] == ["prim::FusionGroup",
                                                                             "prim::TupleConstruct"]
        strided = random_tensor((64, 96), "float32", rng)[:, ::2]
        for args in ((x, col, row), (x.t().contiguous().t(), col, row), (strided, col, row)):
            for a, b in zip(traced(*args), f(*args)):
                _compare(a.numpy(), b.numpy(), "float32")


# -- accuracy ------------------------------------------------------------------------------------

def _exact_sums(a):
    return np.array([math.fsum(r) for r in a.astype(np.float64)])


def test_float32_sums_are_within_the_stated_bound_and_no_worse_than_numpys():
    rng = np.random.default_rng(4)
    long_row = rng.random((1, 10 ** 7), dtype=np.float32)
    # ill-conditioned rows: large terms that cancel, leaving a small sum
    big = rng.standard_normal((8, 4096)).astype(np.float32) * 1e4
    ill = np.concatenate([big, -big, rng.standard_normal((8, 64)).astype(np.float32)], axis=1)
    traced = torch.jit.trace(lambda x: x.sum(-1), (torch.ones(2, 3),))
    for a in (long_row, ill):
        exact = _exact_sums(a)
        ours = traced(torch.tensor(a)).numpy().astype(np.float64)
        numpy_error = np.abs(a.sum(axis=-1).astype(np.float64) - exact)
        magnitude = np.abs(a.astype(np.float64)).sum(axis=-1)
        bound = 2.0 ** -24 * np.abs(exact) + 1.2e-9 * magnitude
        assert np.all(np.abs(ours - exact) <= bound)
        assert np.all(np.abs(ours - exact) <= numpy_error + np.spacing(np.abs(exact).astype(np.float32)))


def test_a_compiled_softmax_still_runs_on_the_tape_with_grad():
    x = torch.randn(6, 10, requires_grad=True)
    fused = torch.jit.script(softmax)
    y = fused(x)
    (y * torch.arange(10.0)).sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    (softmax(x2) * torch.arange(10.0)).sum().backward()
    # the gradient s * (g - sum(s * g)) is a difference of terms up to 9: float32 rounding of
    # either order of evaluation leaves absolute errors of a few 9 * 2^-24
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-5, atol=4e-6)


def test_float32_sums_ask_for_a_register_of_float32_lanes():
    """Summed in float64, a float32 row would get half as many lanes as its float32 work (the
    exp of a softmax): the loop carries a width hint; float64 sums do not. A float max loop
    (two reductions: the max of the numbers and whether a NaN was seen) carries one too."""
    from minitorch_jit.codegen.launch import LAYOUT
    from minitorch_jit.codegen.llvm import row_kernel, target
    from minitorch_jit.codegen.llvm.kernel import Spec, TensorArg

    def text(op, dtype):
        g = parse_graph(f"graph(%x : {dtype}(*, *)):\n  %d : int[] = prim::Constant[value=[1]]()\n"
                        f"  %k : bool = prim::Constant[value=0]()\n"
                        f"  %1 : {dtype}(*) = aten::{op}(%x, %d, %k)\n  return (%1)\n")
        name = {"Float": "float32", "Double": "float64"}[dtype]
        spec = Spec(2, (TensorArg(name, False, 1),), (TensorArg(name, False, 0),))
        return row_kernel.build(g, spec, LAYOUT).text

    hint = f'!"llvm.loop.vectorize.width", i32 {target.vector_bits() // 32}'
    assert hint in text("sum", "Float")
    assert "llvm.loop" not in text("sum", "Double")
    assert hint in text("amax", "Float")


def softmax_op(x):
    return torch.softmax(x, dim=1)


def logsumexp_op(x):
    return torch.logsumexp(x, 1)


def log_softmax_op(x):
    return torch.log_softmax(x, dim=1)


def test_log_softmax_of_rows_spanning_the_whole_exponent_range():
    """log_softmax sums exps whose results below 2^-126.5 (float32) are 0
    (mathlib.exp_of_shifted): the sum holds a 1, so nothing changes beyond its rounding."""
    rng = np.random.default_rng(8)
    for dtype, low in (("float32", -200.0), ("float64", -1600.0)):
        x = torch.tensor(rng.uniform(low, 0.0, (16, 300)).astype(dtype))
        x[:, 7] = 0.0
        x[3, :] = -300.0 if dtype == "float32" else -2000.0  # every term the same: log(1/300)
        _compare(torch.jit.script(log_softmax_op)(x).numpy(), log_softmax_op(x).numpy(), dtype)


@pytest.mark.parametrize("fn", [softmax, softmax_op, logsumexp_op, log_softmax_op])
def test_rows_of_every_length_around_the_vector_blocks(fn):
    """float32 sums run whole vector blocks, then the rest of the row masked (the exps kept for
    softmax's output are stored by both loops)."""
    rng = np.random.default_rng(5)
    scripted = torch.jit.script(fn)
    for n in list(range(2, 40)) + [63, 64, 65, 127, 129, 1000, 1031]:
        x = torch.tensor(rng.standard_normal((3, n)).astype(np.float32) * 5)
        _compare(scripted(x).numpy(), fn(x).numpy(), "float32")


def test_each_hinted_loop_keeps_its_own_hints():
    """A float32 sum runs whole blocks (interleaved) then the rest (masked): two loops, two
    loop IDs. llvmlite hands back the existing node for equal metadata, so one shared ID once
    gave both loops the tail's hints and the whole blocks ran without their interleave."""
    from minitorch_jit.codegen.launch import LAYOUT
    from minitorch_jit.codegen.llvm import row_kernel
    from minitorch_jit.codegen.llvm.kernel import Spec, TensorArg

    g = parse_graph("graph(%x : Float(*, *)):\n  %d : int[] = prim::Constant[value=[1]]()\n"
                    "  %k : bool = prim::Constant[value=0]()\n"
                    "  %1 : Float(*) = aten::sum(%x, %d, %k)\n  return (%1)\n")
    spec = Spec(2, (TensorArg("float32", False, 1),), (TensorArg("float32", False, 0),))
    text = row_kernel.build(g, spec, LAYOUT).text
    ids = {line.split("!llvm.loop ")[1] for line in text.splitlines() if "!llvm.loop " in line}
    nodes = [text.split(f"\n{i} = ")[1].split("\n")[0] for i in sorted(ids)]
    hint = {m: next(line.split(" = ")[0] for line in text.splitlines() if line.startswith("!") and m in line)
            for m in ("interleave.count", "predicate.enable")}
    assert len(nodes) == 2
    assert sorted(f"{hint['interleave.count']} " in n or f"{hint['interleave.count']}}}" in n for n in nodes) == \
        [False, True]
    assert sorted(f"{hint['predicate.enable']} " in n or f"{hint['predicate.enable']}}}" in n for n in nodes) == \
        [False, True]



def test_softmax_divides_by_its_sum_as_a_multiply_and_other_rows_still_divide():
    """A row divided by softmax's sum (at least 1) is multiplied by its reciprocal: exp (1 ulp),
    the sum's rounding, the reciprocal's and the product's, within 5 * 2^-24 of the exact
    softmax; a row divided by another per-row value (a subnormal sum here, whose reciprocal
    overflows) is divided: the sum's rounding and the quotient's."""
    def by_sum(x):
        return x / x.sum(dim=1, keepdim=True)

    x = np.abs(np.random.default_rng(14).standard_normal((5, 70)).astype(np.float32))
    x[2] *= np.float32(1e-41)  # subnormal terms: 1 / sum is inf
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    for fn, exact, rtol in ((softmax, e / e.sum(axis=1, keepdims=True), 5 * 2.0 ** -24),
                            (by_sum, x64 / x64.sum(axis=1, keepdims=True), 2 * 2.0 ** -24)):
        scripted = torch.jit.script(fn)
        got = scripted(torch.tensor(x)).numpy()
        assert len(groups(scripted.graph_for(torch.tensor(x)))) == 1
        normal = [0, 1, 3, 4]  # (a subnormal sum has fewer bits than 2^-24 says)
        np.testing.assert_allclose(got[normal], exact[normal], rtol=rtol, atol=0)
        np.testing.assert_allclose(got[2], exact[2], rtol=1e-5, atol=0)


def _rows_around_the_blocks(rng, put):
    """Rows of lengths around the vector blocks, each with ``put(row)`` applied."""
    for n in (1, 2, 15, 16, 17, 63, 64, 65, 100, 1000, 1031):
        x = (rng.standard_normal((4, n)) * 5).astype(np.float32)
        for row in x:
            put(row)
        yield x


@pytest.mark.parametrize("fn", [lambda x: torch.amax(x, 1), lambda x: torch.amin(x, 1, True),
                                lambda x: torch.max(x, 1)[1], softmax])
def test_a_nan_anywhere_in_a_row_is_its_max_and_min(fn):
    """Float max and min keep the max of the numbers and whether a NaN was seen apart (the
    vector max instruction alone drops NaN): a NaN first, last, in the masked rest of a row,
    or alone."""
    rng = np.random.default_rng(12)
    traced = torch.jit.trace(fn, (torch.ones(2, 3),))

    def put(row):
        row[rng.integers(0, len(row))] = np.nan
    for x in _rows_around_the_blocks(rng, put):
        x[0, 0], x[1, -1] = np.nan, np.nan
        t = torch.tensor(x)
        np.testing.assert_array_equal(traced(t).numpy(), fn(t).numpy())


def test_softmax_exps_are_exact_zeros_for_minus_inf_and_flush_below_the_normal_range():
    """softmax's exps of x - max (mathlib.exp_of_shifted): -inf masks give exact zeros, exps
    below 2^-126.5 are 0 (an absolute error below the smallest normal float32), NaN rows are
    NaN, the rest within the usual bound; by op and written by hand."""
    rng = np.random.default_rng(13)
    x = (rng.standard_normal((6, 300)) * 30).astype(np.float32)
    x[0, ::3] = -np.inf
    x[1, :] = np.linspace(-110.0, 0.0, 300)  # e^x down through the subnormal range
    x[2, 5] = np.nan
    x[3, :] = -np.inf
    x[4, :] = 0.0
    for fn in (softmax, softmax_op):
        got, want = torch.jit.script(fn)(torch.tensor(x)).numpy(), fn(torch.tensor(x)).numpy()
        assert np.all(got[0, ::3] == 0.0)
        assert np.all(np.isnan(got[2])) and np.all(np.isnan(got[3]))
        tiny = 2.0 ** -126
        with np.errstate(invalid="ignore"):
            e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
        assert np.all(got[e < 2.0 ** -126.5 * 0.999] == 0.0)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=tiny)


def test_layer_norm_multiplies_by_its_reciprocal_standard_deviation():
    """layer_norm's (x - mean) / sqrt(var + eps) is (x - mean) * (1 / sqrt(var + eps)): within
    a few roundings of the exact result for rows of any scale, and NaN for a constant row with
    eps 0 (0 * inf, as eager's 0 / 0)."""
    def ln(x, eps: float):
        return torch.nn.functional.layer_norm(x, [x.shape[1]], eps=eps)

    rng = np.random.default_rng(15)
    x = rng.standard_normal((4, 333)).astype(np.float32)
    x[1] *= np.float32(1e-20)
    x[2] = x[2] * np.float32(1e15) + np.float32(3e15)
    x[3] = 7.0
    scripted = torch.jit.script(ln)
    got = scripted(torch.tensor(x), 0.0).numpy()
    assert len(groups(scripted.graph_for(torch.tensor(x), 0.0))) == 1
    x64 = x.astype(np.float64)
    centered = x64 - x64.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        exact = centered / np.sqrt((centered ** 2).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(got[:3], exact[:3], rtol=2e-6, atol=1e-6)
    assert np.all(np.isnan(got[3])) and np.all(np.isnan(ln(torch.tensor(x), 0.0).numpy()[3]))


def _streamed_specs(compiled, x):
    from minitorch_jit.codegen.launch import compile_group
    node = groups(compiled.graph_for(x))[0]
    return [o.stream for spec in compile_group(node)._kernels for o in spec.outputs]


@pytest.mark.parametrize("fn", [softmax, softmax_op, log_softmax_op, lambda x: x * x.amax(1, True),
                                lambda x: torch.nn.functional.layer_norm(x, [x.shape[1]])])
def test_streamed_row_outputs_match_eager_at_every_alignment(fn, monkeypatch):
    """A call moving more than the last-level cache holds stores its row output with
    non-temporal stores, whole 64-byte lines of it (softmax's exps kept in a scratch row
    instead): forced here for small arrays, whose rows start at every alignment (np.empty's
    blocks, rows of 1 to 1031 floats), the lines and the elements around them match eager."""
    from collections import OrderedDict

    from minitorch_jit.codegen import launch, row_launch
    monkeypatch.setattr(row_launch, "STREAM_MIN", 0)
    monkeypatch.setattr(launch, "_groups", OrderedDict())
    rng = np.random.default_rng(16)
    traced = torch.jit.trace(fn, (torch.ones(2, 3),))
    for rows, n in [(5, n) for n in (1, 15, 16, 17, 33, 100, 1000, 1031)] + [(2048, 1000)]:  # (rows split)
        x = torch.tensor((rng.standard_normal((rows, n)) * 4).astype(np.float32))
        _compare(traced(x).numpy(), fn(x).numpy(), "float32")
    assert _streamed_specs(traced, x) == [True]
    monkeypatch.setattr(row_launch, "STREAM_MIN", 1 << 62)
    monkeypatch.setattr(launch, "_groups", OrderedDict())
    traced = torch.jit.trace(fn, (torch.ones(2, 3),))
    _compare(traced(x).numpy(), fn(x).numpy(), "float32")
    assert _streamed_specs(traced, x) == [False]


def test_which_row_outputs_stream():
    from minitorch_jit.codegen.llvm.kernel import TensorArg
    from minitorch_jit.codegen.row_launch import STREAM_MIN, STREAM_ROW_MAX, streams
    big = STREAM_MIN + 1
    assert streams(TensorArg("float32", False, 1), 1024, big)
    assert not streams(TensorArg("float32", False, 1), 1024, STREAM_MIN)     # fits in the cache
    assert not streams(TensorArg("float32", False, 4), 1024, big)            # strided rows
    assert not streams(TensorArg("bool", False, 1), 1024, big)
    assert not streams(TensorArg("float64", False, 1), STREAM_ROW_MAX + 1, big)  # no scratch row that long


def test_layer_norm_takes_mean_and_variance_in_one_pass_shifted_by_the_rows_first_element():
    """mean and variance from the sums of x - x[0] and its square in float64: rows far from 0
    (mean 1e4, std 1), a first element far from the rest (the shift's worst case: it cancels
    at most n + 1 times the rounding), constant rows; by op and written by hand, whose
    variance's pass comes with the mean's."""
    def ln_op(x, w, b):
        return torch.nn.functional.layer_norm(x, [x.shape[1]], w, b)

    rng = np.random.default_rng(17)
    n = 1000
    x = rng.standard_normal((5, n))
    x[1] += 1e4
    x[2, 0] = 1e6
    x[3] = 3.0
    x[4] *= 1e-3
    x = x.astype(np.float32)
    w, b = np.ones(n, np.float32), np.zeros(n, np.float32)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=1, keepdims=True)
    # the mean rounded to float32 (as eager's) is what each element is centred by
    exact = (x64 - mean.astype(np.float32)) / np.sqrt(var + 1e-5)
    for fn in (ln_op, layer_norm):
        scripted = torch.jit.script(fn)
        args = (torch.tensor(x), torch.tensor(w), torch.tensor(b))
        got = scripted(*args).numpy()
        np.testing.assert_allclose(got, exact, rtol=1e-5, atol=2e-5)
        text = _row_kernel_text(scripted.graph_for(*args))
        assert text.count("!llvm.loop") == 2  # one pass (whole blocks, then the rest) for both sums



def _row_kernel_text(graph):
    """The LLVM IR of the row kernel of ``graph``'s fusion group, as its last call built it."""
    from minitorch_jit.codegen.launch import compile_group
    kernel = compile_group(groups(graph)[0])
    return kernel.build(next(iter(kernel._kernels))).text

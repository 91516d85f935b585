"""Blocked kernels (codegen/llvm/block_kernel.py): reductions over a dim with other dims after
it, fused with their pointwise producers and consumers. Which groups the fuser forms (IR text
in, FileCheck out), and that the kernels compute what the eager kernels do on random shapes,
dims, dtypes and layouts: exact for integers, within the stated bound for float sums."""
import dataclasses
import math

import numpy as np
import pytest
from graph_checks import check_pass, random_tensor

import minitorch_jit as torch
from minitorch_jit.codegen import launch as launch_module
from minitorch_jit.codegen.llvm import block_kernel
from minitorch_jit.codegen.llvm.row_kernel import has_rows
from minitorch_jit.ir import parse_graph, registry
from minitorch_jit.passes.fusion import recording
from minitorch_jit.passes.reduction_fusion import reduction_fusion


def test_every_op_marked_blocked_has_a_blocked_recipe():
    assert {op.qualified_name for op in registry.all_ops() if op.row and op.row.blocked} == set(block_kernel.BLOCK_OPS)


# -- IR text in, FileCheck out ------------------------------------------------------------------

def test_a_column_sum_fuses_with_its_producers_and_consumers():
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *), %b : Float(*)):
          %two : int = prim::Constant[value=2]()
          %one : int = prim::Constant[value=1]()
          %t : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[0]]()
          %y : Float(*, *) = aten::mul(%x, %two)
          %z : Float(*, *) = aten::add(%y, %b, %one)
          %s : Float(1, *) = aten::sum(%z, %d, %t)
          %r : Float(1, *) = aten::mul(%s, %two)
          return (%r)
        """, checks="""
        CHECK: graph(%x : Float(*, *), %b : Float(*)):
        CHECK-NEXT: %r : Float(1, *) = prim::FusionGroup_0(%x, %b)
        CHECK-NEXT: return (%r)
        CHECK: with prim::FusionGroup_0 = graph(
        CHECK: aten::mul(%x
        CHECK: aten::add(%y, %b
        CHECK: aten::sum(%z
        CHECK-NEXT: aten::mul(%s
        CHECK-NEXT: return (%r)
        """)


def test_softmax_written_out_over_dim_0_is_one_group_and_a_softmax_op_is_alone():
    """The max, the sum of exp(x - max) and the divide are one group (the kernel's passes read
    the results of the passes before); softmax by op takes passes of its own: a sum of it
    stays out of its group."""
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *)):
          %t : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[0]]()
          %m : Float(1, *) = aten::amax(%x, %d, %t)
          %s : Float(*, *) = aten::sub(%x, %m)
          %e : Float(*, *) = aten::exp(%s)
          %z : Float(1, *) = aten::sum(%e, %d, %t)
          %y : Float(*, *) = aten::div(%e, %z)
          return (%y)
        """, checks="""
        CHECK: %y : Float(*, *) = prim::FusionGroup_0(%x)
        CHECK-NEXT: return (%y)
        CHECK: with prim::FusionGroup_0 = graph(
        CHECK: aten::amax
        CHECK-NEXT: aten::sub
        CHECK-NEXT: aten::exp
        CHECK: aten::sum
        CHECK-NEXT: aten::div
        CHECK-NEXT: return (%y)
        """)
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *)):
          %t : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[0]]()
          %zero : int = prim::Constant[value=0]()
          %n : NoneType = prim::Constant()
          %y : Float(*, *) = aten::softmax(%x, %zero, %n)
          %z : Float(1, *) = aten::sum(%y, %d, %t)
          return (%z)
        """, checks="""
        CHECK: %y : Float(*, *) = prim::FusionGroup_0(%x)
        CHECK-NEXT: %z : Float(1, *) = prim::FusionGroup_1(%y)
        CHECK: with prim::FusionGroup_0 = graph(
        CHECK-NOT: aten::sum
        CHECK: aten::softmax
        CHECK-NEXT: return (%y)
        """)


def test_var_std_and_logsumexp_over_an_outer_dim_fuse_with_producers_and_consumers():
    """Their recipes read one reduction's result in the next (the mean, the max): each takes
    two passes of the group's kernel, and a reduction of the std's result a third."""
    check_pass(reduction_fusion, """
        graph(%x : Float(*, *, *), %w : Float(*)):
          %u : bool = prim::Constant[value=True]()
          %f : bool = prim::Constant[value=False]()
          %two : int = prim::Constant[value=2]()
          %d : int[] = prim::Constant[value=[1]]()
          %y : Float(*, *, *) = aten::mul(%x, %w)
          %v : Float(*, 1, *) = aten::var(%y, %d, %f, %u)
          %s : Float(*, 1, *) = aten::std(%y, %d, %u, %u)
          %z : Float(*, *, *) = aten::div(%y, %s)
          %t : Float(*, *) = aten::sum(%z, %d, %f)
          %l : Float(*, 1, *) = aten::logsumexp(%y, %d, %u)
          %r : Float(*, 1, *) = aten::add(%v, %l, %two)
          return (%r, %t)
        """, checks="""
        CHECK: %t : Float(*, *), %r : Float(*, 1, *) = prim::FusionGroup_0(%x, %w)
        CHECK-NEXT: return (%r, %t)
        CHECK: with prim::FusionGroup_0 = graph(
        CHECK: aten::mul(%x, %w)
        CHECK: aten::var(%y
        CHECK: aten::std(%y
        CHECK: aten::div(%y, %s)
        CHECK: aten::sum(%z
        CHECK: aten::logsumexp(%y
        CHECK: aten::add(%v, %l
        """)
    graph = parse_graph("""
        graph(%x : Float(*, *, *)):
          %u : bool = prim::Constant[value=True]()
          %d : int[] = prim::Constant[value=[1]]()
          %s : Float(*, 1, *) = aten::std(%x, %d, %u, %u)
          %z : Float(*, *, *) = aten::div(%x, %s)
          %t : Float(*, 1, *) = aten::sum(%z, %d, %u)
          return (%t)
        """)
    assert block_kernel._levels(graph)[graph.outputs[0]] == 3  # std's two passes, then the sum's


def test_a_reduction_the_registry_does_not_mark_blocked_stays_and_says_why(monkeypatch):
    op = registry.node_op(parse_graph(VAR_OVER_DIM_1).nodes[-1])
    monkeypatch.setattr(op, "row", dataclasses.replace(op.row, blocked=False))
    with recording() as report:
        assert reduction_fusion(parse_graph(VAR_OVER_DIM_1)) is False
    assert "it reduces dim 1 of a rank-3 tensor, not the innermost one" in str(report)
    assert "the blocked kernel computes only amax, amin, log_softmax, logsumexp, max, mean, min, norm, prod, " \
        "softmax, std, sum" in str(report)


VAR_OVER_DIM_1 = """
    graph(%x : Float(*, *, *)):
      %u : bool = prim::Constant[value=True]()
      %f : bool = prim::Constant[value=False]()
      %d : int[] = prim::Constant[value=[1]]()
      %v : Float(*, *) = aten::var(%x, %d, %u, %f)
      return (%v)
    """


def test_explain_no_longer_names_var_std_and_logsumexp_over_an_outer_dim():
    def column_stats(x):
        return x.var(0), torch.std(x * 2, 1, correction=0, keepdim=True), torch.logsumexp(x, 0)

    text = torch.jit.script(column_stats).explain(torch.randn(16, 8, 4))
    assert "left out" not in text, text
    for name in ("aten::var", "aten::std", "aten::logsumexp"):
        assert name in text, text


# -- fused vs eager -----------------------------------------------------------------------------

OPS = {
    "sum": (lambda x, d, k: (x * 3).sum(dim=d, keepdim=k) if x.dtype != torch.bool else x.sum(d, k), "any"),
    "mean": (lambda x, d, k: (x - 1).mean(dim=d, keepdim=k) * 2, "float"),
    "amax": (lambda x, d, k: torch.amax(x + x, dim=d, keepdim=k), "number"),
    "amin": (lambda x, d, k: torch.amin(x, dim=d, keepdim=k), "number"),
    "max.dim": (lambda x, d, k: torch.max(x % 4, d, k), "number"),
    "min.dim": (lambda x, d, k: x.min(d, k), "number"),
    "prod": (lambda x, d, k: torch.prod(x * 0.25 + 1 if x.dtype.is_floating_point else x % 3, d, k), "number"),
    "norm": (lambda x, d, k: torch.norm(x, 2, dim=d, keepdim=k), "float"),
    "var": (lambda x, d, k: (x * 2).var(d, keepdim=k) + 1, "float"),
    "var.correction": (lambda x, d, k: torch.var(x, d, correction=0, keepdim=k), "float"),
    "std": (lambda x, d, k: x.std(d, unbiased=False, keepdim=k), "float"),
    "std.correction": (lambda x, d, k: torch.std(x - 1, d, correction=2, keepdim=k) * 3, "float"),
    "logsumexp": (lambda x, d, k: torch.logsumexp(x * 4, d, keepdim=k), "float"),
    "softmax": (lambda x, d, k: torch.softmax(x * 2, dim=d).exp(), "float"),
    "log_softmax": (lambda x, d, k: torch.log_softmax(x, dim=d) - 1, "float"),
}
DTYPES = {"float": ["float32", "float64"], "number": ["float32", "float64", "int32", "int64"],
          "any": ["float32", "float64", "int32", "int64", "bool"]}


def _cases():
    rng = np.random.default_rng(11)
    cases = []
    for name, (fn, kinds) in OPS.items():
        for dtype in DTYPES[kinds]:
            rank = int(rng.integers(2, 5))
            shape = tuple(int(s) for s in rng.integers(2, 30, size=rank))
            dim = int(rng.integers(0, rank - 1))  # not the innermost
            cases.append(pytest.param(fn, dtype, shape, dim, bool(rng.integers(0, 2)),
                                      id=f"{name}-{dtype}-{shape}-dim{dim}"))
    return cases


def _compare(fused, eager):
    fused = fused if isinstance(fused, tuple) else (fused,)
    eager = eager if isinstance(eager, tuple) else (eager,)
    for a, b in zip(fused, eager):
        a, b = a.numpy(), b.numpy()
        assert a.dtype == b.dtype and a.shape == b.shape
        if b.dtype.kind == "f":
            tol = 2e-5 if b.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(a, b)


def _blocked_groups(traced, *args):
    return [n for n in traced.graph_for(*args).nodes if n.kind == "prim::FusionGroup" and has_rows(n.subgraph)]


@pytest.mark.parametrize("fn,dtype,shape,dim,keepdim", _cases())
def test_blocked_kernels_compute_what_eager_does(fn, dtype, shape, dim, keepdim):
    x = random_tensor(shape, dtype, np.random.default_rng(0))
    traced = torch.jit.trace(lambda x: fn(x, dim, keepdim), (x,))
    assert _blocked_groups(traced, x), traced.graph_for(x)
    _compare(traced(x), fn(x, dim, keepdim))


@pytest.mark.parametrize("largest", [True, False])
def test_column_max_and_min_give_the_first_index_of_ties_and_of_nan(largest):
    x = np.array([[1.0, 5.0, np.nan, -np.inf, 2.0],
                  [3.0, 5.0, 1.0, -np.inf, np.nan],
                  [3.0, -1.0, np.nan, -np.inf, 2.0],
                  [0.0, 5.0, 0.0, -np.inf, np.nan]], np.float32)
    fn = (lambda t: torch.max(t, 0)) if largest else (lambda t: torch.min(t, 0))
    t = torch.tensor(x)
    traced = torch.jit.trace(fn, (t,))
    assert _blocked_groups(traced, t)
    _compare(traced(t), fn(t))
    values, indices = traced(t)
    assert indices.numpy().tolist() == ([1, 0, 0, 0, 1] if largest else [3, 2, 0, 0, 1])
    ints = torch.tensor(np.array([[-2 ** 31, 7], [-2 ** 31, 7], [2 ** 31 - 1, 7]], np.int32))
    _compare(traced(ints), fn(ints))


def test_special_values_nan_and_inf_columns_and_empty_dims():
    x = torch.tensor(np.array([[1.0, np.nan, np.inf, -np.inf, 0.0, -0.0],
                               [2.0, 1.0, 1.0, -np.inf, -0.0, 0.0],
                               [np.nan, 3.0, -np.inf, -np.inf, 0.0, 0.0]], np.float32))
    for fn in (lambda x: x.sum(0), lambda x: x.mean(0, True), lambda x: torch.amax(x, 0), lambda x: torch.amin(x, 0),
               lambda x: torch.prod(x, 0), lambda x: torch.norm(x, 2, dim=0)):
        traced = torch.jit.trace(fn, (x,))
        assert _blocked_groups(traced, x)
        np.testing.assert_array_equal(traced(x).numpy(), fn(x).numpy())
    traced = torch.jit.trace(lambda x: (x * 2).sum(0), (torch.ones(2, 3),))
    for shape in ((0, 5), (5, 0), (3, 0, 4)):
        e = torch.zeros(*shape)
        np.testing.assert_array_equal(traced(e).numpy(), (e * 2).sum(0).numpy())
    traced = torch.jit.trace(lambda x: torch.amax(x, 0), (torch.ones(2, 3),))
    with pytest.raises(IndexError, match="Expected reduction dim 0 to have non-zero size"):
        traced(torch.zeros(0, 5))


def test_softmax_over_an_outer_dim_of_special_columns():
    """A NaN in a column makes it NaN, an inf makes the column NaN where the inf is minus inf
    (inf - inf), a column of -inf is NaN (as eager), exps below float32's normal range are 0
    (mathlib.exp_of_shifted, as in the row kernels)."""
    x = torch.tensor(np.array([[1.0, np.nan, np.inf, -np.inf, 0.0, -100.0],
                               [2.0, 1.0, 1.0, -np.inf, -0.0, 0.0],
                               [3.0, 3.0, -np.inf, -np.inf, 0.0, 100.0]], np.float32))
    for fn in (lambda x: torch.softmax(x, 0), lambda x: torch.log_softmax(x, 0)):
        traced = torch.jit.trace(fn, (x,))
        assert _blocked_groups(traced, x)
        np.testing.assert_allclose(traced(x).numpy(), fn(x).numpy(), rtol=2e-6, atol=np.finfo(np.float32).tiny)


def test_var_std_and_logsumexp_over_an_outer_dim_of_special_columns():
    """As eager: a NaN makes a column NaN; an inf makes its variance NaN (inf - inf) and its
    logsumexp inf (NaN with a NaN too); a column of -inf has logsumexp -inf (its max is
    taken as 0, as eager);
    with no degrees of freedom left (correction >= rows) the variance is inf, or NaN where
    the squares sum to 0."""
    x = torch.tensor(np.array([[1.0, np.nan, np.inf, -np.inf, 0.0, -100.0, 5.0, np.inf, 90.0],
                               [2.0, 1.0, 1.0, -np.inf, -0.0, 0.0, 5.0, np.nan, np.inf],
                               [3.0, 3.0, -np.inf, -np.inf, 0.0, 100.0, 5.0, 1.0, 3.0]], np.float32))
    fns = (lambda x: x.var(0), lambda x: x.std(0, keepdim=True), lambda x: torch.var(x, 0, correction=3),
           lambda x: torch.std(x[:2] * 1, 0, correction=2), lambda x: torch.logsumexp(x, 0),
           lambda x: torch.logsumexp(x * 1, 0, keepdim=True))
    for fn in fns:
        traced = torch.jit.trace(fn, (x,), check_trace=False)
        assert _blocked_groups(traced, x), traced.graph_for(x)
        np.testing.assert_allclose(traced(x).numpy(), fn(x).numpy(), rtol=2e-6, atol=0)
    dof0 = torch.jit.trace(lambda x: torch.var(x, 0, correction=2), (x[:2],))(x[:2]).numpy()
    assert np.isinf(dof0[[0, 5]]).all() and np.isnan(dof0[[1, 2, 3, 4, 6, 7, 8]]).all(), dof0
    # a single row: the fuser leaves a reduced dim of size 1 to eager, which gives NaN
    for fn in fns:
        traced = torch.jit.trace(fn, (x[:1],), check_trace=False)
        np.testing.assert_array_equal(traced(x[:1]).numpy(), fn(x[:1]).numpy())


def test_float32_column_variance_of_ill_conditioned_columns_is_within_the_stated_bound():
    """Two passes as the row kernel's var: the mean summed in float64 and rounded to float32
    (an error e <= 2^-24 |mean| + (m + 1) 2^-53 mean|x|), then the float32 squares of x - mean
    summed in float64. sum (x - mean - e)^2 = sum (x - mean)^2 + m e^2, so the result is
    within (4 * 2^-24 + (m + 1) * 2^-53) of var + m e^2 / dof, and that is within m e^2 / dof
    of var (block_kernel's docstring); numpy's float32 var, whose mean adds float32 terms, is
    no closer."""
    rng = np.random.default_rng(6)
    m = 4096
    traced = torch.jit.trace(lambda x: x.var(0), (torch.ones(3, 4),))
    for scale in (1.0, 1e-2):
        a = (1e4 + scale * rng.standard_normal((m, 64))).astype(np.float32)
        a64 = a.astype(np.float64)
        mean = np.array([math.fsum(c) for c in a64.T]) / m
        exact = np.array([math.fsum(d) for d in ((a64 - mean) ** 2).T]) / (m - 1)
        e = 2.0 ** -24 * np.abs(mean) * (1 + 2.0 ** -20) + (m + 1) * 2.0 ** -53 * np.abs(a64).mean(axis=0)
        shift = m * e * e / (m - 1)
        bound = (4 * 2.0 ** -24 + (m + 1) * 2.0 ** -53) * (exact + shift) + shift
        ours = traced(torch.tensor(a)).numpy().astype(np.float64)
        assert np.all(np.abs(ours - exact) <= bound)
        assert np.max(np.abs(ours - exact)) <= np.max(np.abs(a.var(axis=0, ddof=1) - exact))


@pytest.mark.parametrize("shape", [(2, 3), (7, 5), (300, 70), (4, 50, 700)])
def test_reductions_of_earlier_results_take_later_passes(shape):
    """softmax and a batch norm written out over dim 0, and a row output that reads a
    column's result (a last pass stores the rows): one group each, as eager computes them;
    var, std and logsumexp by op among them (passes of their own, results read by later ones)."""
    def softmax0(x):
        e = torch.exp(x - torch.amax(x, 0, keepdim=True))
        return e / e.sum(0, keepdim=True)

    def norm0(x, w):
        d = x - x.mean(0, keepdim=True)
        v = (d * d).mean(0, keepdim=True)
        return d / torch.sqrt(v + 1e-5) * w, v

    def norm0_by_op(x, w):
        return (x - x.mean(0, keepdim=True)) * w / torch.sqrt(x.var(0, keepdim=True) + 1e-5), \
            (x / x.std(0, keepdim=True)).sum(0), torch.logsumexp(x - x.mean(0, keepdim=True), 0, keepdim=True) * w

    def mixed(x, w):
        y = x * w
        return y, y.sum(0), (y - torch.amax(y, 0, keepdim=True)).sum(0), torch.max(y.abs() - y.mean(0, keepdim=True), 0)

    rng = np.random.default_rng(9)
    x, w = random_tensor(shape, "float32", rng), random_tensor(shape[1:], "float32", rng)
    for fn, args in ((softmax0, (x,)), (norm0, (x, w)), (mixed, (x, w)), (norm0_by_op, (x, w))):
        traced = torch.jit.trace(fn, args, check_trace=False)
        # (by op, the groups grow from each seed: several, none of the ops left eager)
        assert len(_blocked_groups(traced, *args)) == 1 or fn is norm0_by_op
        assert [n.kind for n in traced.graph_for(*args).nodes if n.kind.startswith("aten::")] == [], \
            traced.graph_for(*args)
        fused, eager = traced(*args), fn(*args)
        if fn is mixed:  # sums of differences: float32 rounding of eager's order, relative to their terms
            for a, b in zip(fused[:3], eager[:3]):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-5 * shape[0])
            _compare(fused[3], eager[3])
        else:
            _compare(fused, eager)


def test_layouts_broadcast_operands_row_outputs_and_threads(monkeypatch):
    """Operands broadcast along the reduced dim or along the columns, a row output stored by
    the pass, outer dims, a transposed input (the row kernel's), and the columns split across
    threads at ranges that end inside a unit."""
    from minitorch_jit.codegen import threads
    rng = np.random.default_rng(3)

    def f(x, col, row):
        y = (x + row) * col
        return y, (y * y).sum(1), torch.amax(y, 1, keepdim=True) - row

    for shape in ((3, 40, 33), (3, 70, 3000)):
        x = random_tensor(shape, "float32", rng)
        col = random_tensor((shape[0], shape[1], 1), "float32", rng)
        row = random_tensor((shape[2],), "float32", rng)
        traced = torch.jit.trace(f, (x, col, row))
        assert [n.kind for n in traced.graph_for(x, col, row).nodes] == ["prim::FusionGroup", "prim::TupleConstruct"]
        transposed = random_tensor((shape[2], shape[1], shape[0]), "float32", rng).permute(2, 1, 0)
        for args in ((x, col, row), (transposed, col, row)):
            _compare(traced(*args), f(*args))
    monkeypatch.setattr(launch_module, "TIMED_CALLS", 1)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 2)
    runs = []
    run_kernel = threads.run_kernel
    monkeypatch.setattr(threads, "run_kernel", lambda *args: runs.append(args[-2]) or run_kernel(*args))
    _compare(traced(x, col, row), f(x, col, row))  # 9000 columns in two ranges of 4544 and 4456
    assert runs == [2]


# -- accuracy ------------------------------------------------------------------------------------

def test_float32_column_sums_are_within_the_stated_bound_and_no_worse_than_numpys():
    """Summed in float64 down each column: error at most (m - 1) 2^-53 sum|x| + 2^-24 |sum|
    (block_kernel's docstring), where numpy's x.sum(0) adds float32 rows one after another."""
    rng = np.random.default_rng(4)
    long_columns = rng.random((2 * 10 ** 6, 3), dtype=np.float32)
    big = rng.standard_normal((4096, 8)).astype(np.float32) * 1e4
    ill = np.concatenate([big, -big, rng.standard_normal((64, 8)).astype(np.float32)], axis=0)
    traced = torch.jit.trace(lambda x: x.sum(0), (torch.ones(2, 3),))
    for a in (long_columns, ill):
        exact = np.array([math.fsum(c) for c in a.T.astype(np.float64)])
        ours = traced(torch.tensor(a)).numpy().astype(np.float64)
        numpy_error = np.abs(a.sum(axis=0).astype(np.float64) - exact)
        magnitude = np.abs(a.astype(np.float64)).sum(axis=0)
        bound = 2.0 ** -24 * np.abs(exact) + (len(a) - 1) * 2.0 ** -53 * magnitude
        assert np.all(np.abs(ours - exact) <= bound)
        assert np.all(np.abs(ours - exact) <= numpy_error + np.spacing(np.abs(exact).astype(np.float32)))


def test_a_layout_neither_kernel_reads_in_runs_runs_eagerly():
    """Columns of stride 2 and a reduced dim of stride 96: the row kernel would walk each row
    with a stride (slower than eager), the blocked kernel needs columns of stride 0 or 1."""
    from minitorch_jit.codegen import launch
    x = random_tensor((64, 96), "float32", np.random.default_rng(5))
    traced = torch.jit.trace(lambda x: (x * 2).sum(0), (x,))
    [node] = _blocked_groups(traced, x)
    kernel = launch.compile_group(node)
    strided = x.numpy()[:, ::2]
    assert isinstance(kernel.launch((strided,)), launch._EagerLaunch)
    assert not isinstance(kernel.launch((x.numpy(),)), launch._EagerLaunch)
    assert not isinstance(kernel.launch((np.ascontiguousarray(x.numpy().T).T,)), launch._EagerLaunch)
    _compare(traced(x[:, ::2]), (x[:, ::2] * 2).sum(0))

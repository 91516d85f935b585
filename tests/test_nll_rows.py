"""nll_loss of a log_softmax as one row kernel (passes/decomposition.py splits it into
prim::nll_targets, prim::nll_rows and its reduction; the reduction fuser makes nll_rows a row
kernel that writes one loss per row, never the (N, C) log-probabilities)."""
import numpy as np
import pytest
from graph_checks import check_pass

import minitorch_jit as torch
from minitorch_jit.passes.decomposition import decomposition

F = torch.nn.functional


def test_nll_loss_of_log_softmax_is_split_for_a_row_kernel():
    check_pass(decomposition, """
        graph(%x : Float(*, *), %t : Long(*)):
          %1 : int = prim::Constant[value=1]()
          %2 : Float(*, *) = aten::log_softmax(%x, %1)
          %3 : Float() = aten::nll_loss(%2, %t)
          return (%3)
        """, checks="""
        CHECK-NOT: aten::log_softmax
        CHECK: %4 : Long(*, 1) = prim::nll_targets(%t, %x, %3)
        CHECK-NEXT: %5 : Float(*) = prim::nll_rows(%x, %2, %1, %4, %3)
        CHECK-NEXT: %6 : Float() = aten::sum(%5)
        CHECK-NEXT: %7 : Bool(*) = aten::ne(%t, %3)
        CHECK-NEXT: %8 : Long() = aten::sum(%7)
        CHECK-NEXT: %9 : Float() = aten::div(%6, %8)
        CHECK-NEXT: return (%9)
        """, inputs=[np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32), np.array([0, 4, -100, 2, 1, 3])])


def _fused(fn, *args):
    scripted = torch.jit.script(fn)
    scripted(*args)
    return scripted


def mean_loss(x, t):
    return F.nll_loss(torch.log_softmax(x, dim=1), t)


def summed_loss(x, t):
    return F.nll_loss(torch.log_softmax(x, dim=-1), t, reduction="sum")


def each_loss(x, t):
    return F.nll_loss(torch.log_softmax(x * 2.0, dim=1), t, reduction="none", ignore_index=3)


@pytest.mark.parametrize("fn", [mean_loss, summed_loss, each_loss])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_losses_match_eager_on_random_shapes(fn, dtype):
    rng = np.random.default_rng(3)
    scripted = torch.jit.script(fn)
    ignore = 3 if fn is each_loss else -100
    for n, c in ((1, 2), (7, 5), (33, 17), (300, 1000)):
        x = torch.tensor((rng.standard_normal((n, c)) * 4).astype(dtype))
        targets = rng.integers(0, c, n)
        targets[rng.random(n) < 0.3] = ignore  # ignored rows count neither loss nor mean
        t = torch.tensor(targets)
        for _ in range(2):  # the first call of a layout, then the fast path
            got, want = scripted(x, t).numpy(), fn(x, t).numpy()
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=2e-5 if dtype == "float32" else 1e-12, atol=1e-6)
    graph = str(scripted.graph_for(x, t))
    assert "prim::nll_rows" in graph and "log_softmax" not in graph
    assert "FusionGroup" in graph


def test_all_targets_ignored_is_nan_for_mean_and_zero_for_sum():
    x, t = torch.randn(4, 3), torch.tensor([-100, -100, -100, -100])
    assert np.isnan(torch.jit.script(mean_loss)(x, t).item()) and np.isnan(mean_loss(x, t).item())
    assert torch.jit.script(summed_loss)(x, t).item() == 0.0


def test_special_values_in_rows():
    x = torch.tensor([[0.0, float("-inf"), 1.0], [float("nan"), 0.0, 1.0], [float("inf"), 0.0, 1.0]])
    t = torch.tensor([1, 2, 1])
    got = _fused(lambda_each, x, t)(x, t).numpy()
    np.testing.assert_array_equal(got, lambda_each(x, t).numpy())


def test_an_ignored_row_is_zero_even_where_its_log_probability_is_minus_inf():
    # PyTorch skips ignored rows (values recorded from torch 2.13: [0, 0.5], sum and mean 0.5);
    # eager once computed -(-inf) * 0 there, a NaN
    x = torch.tensor([[float("-inf"), 0.0], [0.5, -0.5]])
    t = torch.tensor([-100, 1])
    np.testing.assert_array_equal(F.nll_loss(x, t, reduction="none").numpy(), [0.0, 0.5])
    assert F.nll_loss(x, t, reduction="sum").item() == 0.5 and F.nll_loss(x, t).item() == 0.5
    fused = _fused(lambda_each, x, t)(x, t).numpy()  # log_softmax keeps the -inf
    np.testing.assert_array_equal(fused, lambda_each(x, t).numpy())
    assert fused[0] == 0.0


def lambda_each(x, t):
    return F.nll_loss(torch.log_softmax(x, dim=1), t, reduction="none")


@pytest.mark.parametrize("bad", [5, -1, 10 ** 12])
def test_out_of_range_targets_raise_pytorchs_error_before_the_kernel_runs(bad):
    x = torch.randn(3, 5)
    scripted = _fused(mean_loss, x, torch.tensor([0, 1, 2]))  # compiled and launched once
    with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
        scripted(x, torch.tensor([0, bad, 2]))
    with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
        mean_loss(x, torch.tensor([0, bad, 2]))


def test_a_wrong_target_dtype_or_size_raises_as_eager():
    x = torch.randn(3, 5)
    scripted = _fused(mean_loss, x, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="batch_size"):
        scripted(x, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="batch_size"):
        mean_loss(x, torch.tensor([0, 1]))


def weighted(x, t, w):
    return F.nll_loss(torch.log_softmax(x, dim=1), t, w)


def kept(x, t):
    logp = torch.log_softmax(x, dim=1)
    return F.nll_loss(logp, t), logp


def test_explain_says_why_an_nll_loss_stays_eager():
    x, t = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
    text = torch.jit.script(weighted).explain(x, t, torch.rand(3))
    assert "aten::nll_loss" in text and "it has a weight" in text
    text = torch.jit.script(kept).explain(x, t)
    assert "the log_softmax result is used elsewhere" in text
    for fn, args in ((weighted, (x, t, torch.rand(3))), (kept, (x, t))):
        got, want = torch.jit.script(fn)(*args), fn(*args)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=2e-5, atol=1e-6)


def test_strided_logits_and_gradients():
    rng = np.random.default_rng(11)
    x = torch.tensor(rng.standard_normal((40, 9)).astype(np.float32)).t()  # rows walked with a stride
    t = torch.tensor(rng.integers(0, 40, 9))
    scripted = torch.jit.script(mean_loss)
    for _ in range(2):
        np.testing.assert_allclose(scripted(x, t).numpy(), mean_loss(x, t).numpy(), rtol=2e-5)
    leaf = torch.tensor(rng.standard_normal((6, 4)).astype(np.float32), requires_grad=True)
    t = torch.tensor([0, 3, -100, 1, 2, 3])
    grads = []
    for f in (scripted, mean_loss):
        leaf.grad = None
        f(leaf, t).backward()
        grads.append(leaf.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=2e-5, atol=1e-7)

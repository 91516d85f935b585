"""The tensor runtime: memory sharing, printing, promotion, errors."""
import numpy as np
import pytest

import minitorch_jit as torch


def test_from_numpy_and_numpy_share_memory_both_ways():
    a = np.arange(6, dtype=np.float32)
    t = torch.from_numpy(a)
    a[0] = 42
    assert t[0].item() == 42
    t.numpy()[1] = 7
    assert a[1] == 7
    t.add_(1)
    assert a[2] == 3


@pytest.mark.parametrize("make_view", [
    lambda t: t.view(3, 2), lambda t: t.reshape(6), lambda t: t.t(), lambda t: t.transpose(0, 1),
    lambda t: t.permute(1, 0), lambda t: t.unsqueeze(0), lambda t: t[None].squeeze(0), lambda t: t.flatten(),
    lambda t: t[1], lambda t: t[:, 1:], lambda t: t[..., ::2], lambda t: t.chunk(2, 1)[1], lambda t: t.detach(),
    lambda t: t.split(1)[0], lambda t: t.contiguous(), lambda t: t.to(torch.float32),
])
def test_views_share_memory_with_their_base(make_view):
    base = torch.arange(6, dtype=torch.float32).view(2, 3)
    v = make_view(base)
    assert np.shares_memory(v.numpy(), base.numpy())
    v.fill_(-1) if v.numel() else None
    assert (base.numpy() == -1).sum() == v.numel()


def test_expand_is_a_view_that_refuses_overlapping_writes():
    base = torch.arange(3, dtype=torch.float32)
    e = base.expand(2, 3)
    assert np.shares_memory(e.numpy(), base.numpy()) and e.stride() == (0, 1)
    base.add_(10)
    assert e.tolist() == [[10., 11., 12.], [10., 11., 12.]]
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single "
                                           "memory location"):
        e.add_(1)
    assert base.tolist() == [10., 11., 12.]


def test_reshape_copies_when_it_must_and_view_refuses():
    t = torch.arange(6).view(2, 3).t()
    r = t.reshape(6)
    assert not np.shares_memory(r.numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.view(6)


def test_advanced_indexing_copies_and_index_assignment_writes():
    t = torch.tensor([[1., -2.], [-3., 4.]])
    picked = t[t < 0]
    assert picked.tolist() == [-2., -3.]
    assert not np.shares_memory(picked.numpy(), t.numpy())
    t[t < 1] = 0
    assert t.tolist() == [[1., 0.], [0., 4.]]
    t[:, 1:] = torch.tensor([[9.], [8.]])
    assert t.tolist() == [[1., 9.], [0., 8.]]
    t[torch.tensor([1])] = 5
    assert t.tolist() == [[1., 9.], [5., 5.]]
    assert t[[0, 1], [1, 0]].tolist() == [9., 5.]


def test_printing_like_pytorch():
    assert repr(torch.tensor([[1., 2.]])) == "tensor([[1., 2.]])"
    assert repr(torch.tensor([1.5, 2.25])) == "tensor([1.5000, 2.2500])"
    assert repr(torch.tensor([1, 2], dtype=torch.int32)) == "tensor([1, 2], dtype=torch.int32)"
    assert repr(torch.tensor([True, False])) == "tensor([ True, False])"
    assert repr(torch.tensor(3.0)) == "tensor(3.)"
    assert repr(torch.tensor([1., 2.], dtype=torch.float64)) == "tensor([1., 2.], dtype=torch.float64)"
    assert repr(torch.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(torch.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"
    assert repr(torch.tensor([float("nan"), float("inf"), 1.0])) == "tensor([nan, inf, 1.])"
    assert repr(torch.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"


@pytest.mark.parametrize("make, expected", [  # PyTorch 2's output, pasted
    (lambda: torch.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: torch.arange(2000.).reshape(2, 1000),
     "tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9700e+02, 9.9800e+02,\n         9.9900e+02],\n"
     "        [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.9970e+03, 1.9980e+03,\n         1.9990e+03]])"),
    (lambda: torch.arange(-14., 16.).reshape(2, 15),
     "tensor([[-14., -13., -12., -11., -10.,  -9.,  -8.,  -7.,  -6.,  -5.,  -4.,  -3.,\n          -2.,  -1.,   0.],\n"
     "        [  1.,   2.,   3.,   4.,   5.,   6.,   7.,   8.,   9.,  10.,  11.,  12.,\n          13.,  14.,  15.]])"),
    (lambda: torch.arange(-100., 100., 10, dtype=torch.float64).reshape(2, 10),
     "tensor([[-100.,  -90.,  -80.,  -70.,  -60.,  -50.,  -40.,  -30.,  -20.,  -10.],\n"
     "        [   0.,   10.,   20.,   30.,   40.,   50.,   60.,   70.,   80.,   90.]],\n       dtype=torch.float64)"),
    (lambda: torch.zeros(0, 3, dtype=torch.float64), "tensor([], size=(0, 3), dtype=torch.float64)"),
], ids=["elided 1-d", "elided 2-d", "wrapped 2-d", "dtype on its own line", "empty with dtype"])
def test_printing_wraps_and_elides_like_pytorch(make, expected):
    """Elided rows, elements per line at each depth, and a dtype that overflows the last line."""
    assert repr(make()) == expected


@pytest.mark.parametrize("expr, dtype", [
    (lambda: torch.ones(2, dtype=torch.int64) + 2.5, "float32"),
    (lambda: torch.ones(2, dtype=torch.int32) + 2, "int32"),
    (lambda: torch.ones(2, dtype=torch.int32) / torch.ones(2, dtype=torch.int32), "float32"),
    (lambda: torch.ones(2) + torch.tensor(1.0, dtype=torch.float64), "float32"),
    (lambda: torch.ones(2, dtype=torch.int32) + torch.tensor(1.5, dtype=torch.float64), "float64"),
    (lambda: torch.tensor(1, dtype=torch.int32) + 2, "int32"),
    (lambda: torch.ones(2, dtype=torch.bool) + 1, "int64"),
    (lambda: torch.ones(2) > 0, "bool"),
    (lambda: torch.ones(2, dtype=torch.int64).sum(), "int64"),
    (lambda: torch.ones(2, dtype=torch.bool).sum(), "int64"),
    (lambda: torch.ones(2, dtype=torch.float64) * torch.ones(2), "float64"),
    (lambda: torch.arange(3) * 1.0, "float32"),
    (lambda: torch.tensor([1, 2]) // 2, "int64"),
    (lambda: torch.exp(torch.tensor([1, 2])), "float32"),
])
def test_type_promotion(expr, dtype):
    assert expr().dtype.name == dtype


def test_in_place_may_not_change_category():
    t = torch.ones(2, dtype=torch.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        t.add_(1.5)


def test_integer_division_by_zero_raises():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        torch.tensor([1, 2]) // 0
    assert (torch.tensor([1.0, -1.0]) / 0).tolist() == [float("inf"), float("-inf")]


def test_errors_name_both_shapes():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                                           r"non-singleton dimension 1"):
        torch.ones(2, 3) + torch.ones(2, 2)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        torch.ones(2, 3) @ torch.ones(2, 3)


def test_invalid_combination_of_arguments_lists_the_overloads():
    with pytest.raises(TypeError, match=r"add\(\) received an invalid combination of arguments - got \(Tensor, str\)"):
        torch.add(torch.ones(1), "x")


def test_item_and_bool():
    assert torch.tensor([2.5]).item() == 2.5
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(torch.ones(2))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.ones(2).item()


def test_manual_seed_is_deterministic():
    torch.manual_seed(3)
    a = torch.randn(4)
    torch.manual_seed(3)
    assert torch.randn(4).tolist() == a.tolist()

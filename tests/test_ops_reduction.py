"""Reductions against numpy: dim/keepdim, negative dims, dim lists, 0-d and empty tensors,
result dtypes and PyTorch's errors (read off PyTorch 2.13)."""
import math

import numpy as np
import pytest

import minitorch_jit as torch

X = np.array([[[-2.5, -1.0, 4.0, 0.5], [0.0, 0.5, 3.0, -7.0], [1.0, 2.0, 2.0, 1.0]],
              [[3.0, 1.5, -0.5, 2.0], [6.0, -1.0, 0.25, 1.0], [-3.0, 2.5, 0.0, 4.0]]], np.float32)
DIMS = [None, 0, 1, 2, -1, -2, -3, [0, 2], [-1, 0], [0, 1, 2]]

with np.errstate(all="ignore"):
    NUMPY = {
        "sum": lambda a, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims),
        "mean": lambda a, axis, keepdims: np.mean(a, axis=axis, keepdims=keepdims),
        "amax": lambda a, axis, keepdims: np.max(a, axis=axis, keepdims=keepdims),
        "amin": lambda a, axis, keepdims: np.min(a, axis=axis, keepdims=keepdims),
        "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
        "std": lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1),
        "logsumexp": lambda a, axis, keepdims: np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims)),
        "norm": lambda a, axis, keepdims: np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims)),
    }


def axis(dim):
    return None if dim is None else (tuple(dim) if isinstance(dim, list) else dim)


@pytest.mark.parametrize("name", sorted(NUMPY))
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_over_dims_match_numpy(name, dim, keepdim):
    x = torch.from_numpy(X)
    if dim is None and name == "logsumexp":
        with pytest.raises(TypeError, match="logsumexp\\(\\) received an invalid combination"):
            torch.logsumexp(x)   # the dim is required
        return
    if dim is None:
        got = getattr(torch, name)(x, dim=None, keepdim=True) if keepdim and name in ("norm", "sum", "mean") \
            else getattr(torch, name)(x)
        keepdim = keepdim and name in ("norm", "sum", "mean")
    else:
        got = getattr(torch, name)(x, dim=dim, keepdim=keepdim)
    want = NUMPY[name](X.astype(np.float64), axis(dim), keepdim).astype(np.float32)
    assert got.dtype == torch.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_method_forms_and_keyword_dim():
    x = torch.from_numpy(X)
    np.testing.assert_allclose(x.sum(dim=-1).numpy(), X.sum(-1))
    np.testing.assert_allclose(x.mean((0, 2), keepdim=True).numpy(), X.mean((0, 2), keepdims=True))
    assert x.amax(keepdim=True).shape == (1, 1, 1)
    np.testing.assert_allclose(x.prod(1).numpy(), X.prod(1))
    assert x.max().item() == X.max() and x.min().item() == X.min()


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "norm", "prod", "logsumexp"])
def test_zero_dim_tensors_reduce_over_dim_0_or_minus_1(name):
    x = torch.tensor(2.5)
    for d in (0, -1):
        assert getattr(torch, name)(x, dim=d, keepdim=True).shape == ()
    want = {"var": math.nan, "std": math.nan, "logsumexp": 2.5, "norm": 2.5}.get(name, 2.5)
    np.testing.assert_equal(getattr(torch, name)(x, dim=0).item(), want)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        getattr(torch, name)(x, dim=1)


def test_dim_errors():
    x = torch.from_numpy(X)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        x.sum(3)
    with pytest.raises(IndexError, match=r"but got -4\)"):
        x.mean(-4)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.sum([0, -3])


@pytest.mark.parametrize("dtype, sum_dtype", [("float32", "float32"), ("float64", "float64"), ("int32", "int64"),
                                              ("int64", "int64"), ("bool", "int64")])
def test_sum_and_prod_accumulate_integers_in_int64(dtype, sum_dtype):
    a = np.array([[1, 0, 3], [2, 2, 1]]).astype(dtype)
    x = torch.from_numpy(a)
    for name, f in (("sum", np.sum), ("prod", np.prod)):
        out = getattr(torch, name)(x)
        assert out.dtype.name == sum_dtype and out.item() == f(a.astype(np.int64))
        out = getattr(torch, name)(x, 1)
        assert out.dtype.name == sum_dtype and out.tolist() == f(a.astype(np.int64), 1).tolist()
    assert x.cumsum(1).dtype.name == sum_dtype
    np.testing.assert_array_equal(x.cumsum(1).numpy(), np.cumsum(a.astype(np.int64), 1))
    assert torch.sum(x, dtype=torch.float64).dtype == torch.float64
    assert torch.cumsum(x, 0, dtype=torch.float64).dtype == torch.float64


def test_mean_var_std_need_floats():
    x = torch.tensor([[1, 2], [3, 4]])
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input dtype must be either a "
                                           "floating point or complex dtype. Got: Long"):
        x.mean()
    assert torch.mean(x, dtype=torch.float64).item() == 2.5
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex dtypes"):
        x.var()
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point or complex tensor as input. "
                                           "Got Long"):
        x.norm()


def test_var_std_corrections():
    x = torch.from_numpy(X)
    np.testing.assert_allclose(torch.var(x, unbiased=False).item(), X.var(), rtol=1e-6)
    np.testing.assert_allclose(torch.var(x, 1, unbiased=False, keepdim=True).numpy(), X.var(1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(torch.var(x, 1, correction=0).numpy(), X.var(1), rtol=1e-6)
    np.testing.assert_allclose(torch.var(x, correction=2).item(), X.astype(np.float64).var(ddof=2), rtol=1e-6)
    np.testing.assert_allclose(torch.std(x, dim=0, correction=0, keepdim=True).numpy(), X.std(0, keepdims=True),
                               rtol=1e-6)
    assert math.isnan(torch.std(x[:1], dim=0)[0, 0].item())    # one sample: n - 1 = 0


@pytest.mark.parametrize("p, f", [
    (1, lambda a, ax: np.abs(a).sum(ax)), (2, lambda a, ax: np.sqrt((a * a).sum(ax))),
    (3, lambda a, ax: (np.abs(a) ** 3).sum(ax) ** (1 / 3)), (0.5, lambda a, ax: (np.abs(a) ** 0.5).sum(ax) ** 2),
    (math.inf, lambda a, ax: np.abs(a).max(ax)), (-math.inf, lambda a, ax: np.abs(a).min(ax)),
    (0, lambda a, ax: (a != 0).sum(ax)),
])
def test_norms(p, f):
    x = torch.from_numpy(X)
    np.testing.assert_allclose(torch.norm(x, p).item(), f(X.astype(np.float64), None), rtol=1e-5)
    np.testing.assert_allclose(torch.norm(x, p, 1).numpy(), f(X.astype(np.float64), 1), rtol=1e-5)
    out = x.norm(p=p, dim=[0], keepdim=True)
    assert out.shape == (1, 3, 4)
    np.testing.assert_allclose(out.numpy()[0], f(X.astype(np.float64), 0), rtol=1e-5)
    assert torch.norm(x, dim=1).shape == (2, 4)



@pytest.mark.parametrize("p", [2, 1, 3, math.inf, 0])
def test_pdist_is_the_norm_of_each_pair_of_rows(p):
    rows = X.reshape(6, 4)
    pairs = [(i, j) for i in range(6) for j in range(i + 1, 6)]  # row-major order of the pairs, as PyTorch's
    expected = [torch.norm(torch.from_numpy(rows[i] - rows[j]), p).item() for i, j in pairs]
    got = torch.pdist(torch.from_numpy(rows), p)
    assert got.shape == (15,) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    assert torch.pdist(torch.ones(1, 3)).shape == (0,)


@pytest.mark.parametrize("x, p, message", [
    (torch.ones(3), 2.0, "pdist only supports 2D tensors, got: 1D"),
    (torch.ones(3, 2, dtype=torch.int64), 2.0, "pdist only supports floating-point dtypes"),
    (torch.ones(3, 2), -1.0, "pdist only supports non-negative p values"),
])
def test_pdist_errors_are_pytorchs(x, p, message):
    with pytest.raises(RuntimeError, match=message):
        torch.pdist(x, p)

@pytest.mark.parametrize("name, arg", [("max", np.argmax), ("min", np.argmin)])
def test_max_min_with_dim_give_values_and_indices(name, arg):
    x = torch.from_numpy(X)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            r = getattr(torch, name)(x, dim, keepdim=keepdim)
            idx = np.expand_dims(arg(X, dim), dim)
            values = np.take_along_axis(X, idx, dim)
            if not keepdim:
                idx, values = idx.squeeze(dim), values.squeeze(dim)
            assert r.values.dtype == torch.float32 and r.indices.dtype == torch.int64
            np.testing.assert_array_equal(r.values.numpy(), values)
            np.testing.assert_array_equal(r.indices.numpy(), idx)
            values_, indices_ = r
            assert values_ is r[0] and indices_ is r[1]
    # ties give the first index, NaN is the maximum and the minimum
    assert torch.max(torch.tensor([[1.0, 3.0, 3.0]]), 1).indices.tolist() == [1]
    r = getattr(torch, name)(torch.tensor([[1.0, math.nan, 3.0]]), 1)
    assert math.isnan(r.values.item()) and r.indices.item() == 1


@pytest.mark.parametrize("name, f", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_argmin(name, f):
    x = torch.from_numpy(X)
    assert getattr(torch, name)(x).item() == f(X)
    assert getattr(torch, name)(x, keepdim=True).shape == (1, 1, 1)
    np.testing.assert_array_equal(getattr(torch, name)(x, -1).numpy(), f(X, -1))
    assert getattr(x, name)(1, keepdim=True).shape == (2, 1, 4)
    assert getattr(torch, name)(torch.tensor(5.0), 0).item() == 0
    with pytest.raises(RuntimeError, match=f"{name}\\(\\): does not support bool input"):
        getattr(torch, name)(torch.tensor([True, False]))


@pytest.mark.parametrize("name", ["amax", "amin", "argmax"])
def test_reductions_without_identity_refuse_empty_input(name):
    e = torch.zeros(0, 3)
    full_error = IndexError if name == "argmax" else RuntimeError
    with pytest.raises(full_error, match=f"{name}\\(\\): Expected reduction dim to be specified for input.numel\\(\\) "
                                         "== 0."):
        getattr(torch, name)(e)
    with pytest.raises(IndexError, match=f"{name}\\(\\): Expected reduction dim 0 to have non-zero size."):
        getattr(torch, name)(e, 0)
    assert getattr(torch, name)(e, 1).shape == (0,)


def test_reductions_of_empty_tensors_with_an_identity():
    e = torch.zeros(0, 3)
    assert torch.sum(e).item() == 0 and torch.sum(e, 0).tolist() == [0, 0, 0]
    assert torch.prod(e, 0).tolist() == [1, 1, 1]
    assert math.isnan(torch.mean(e).item())
    assert torch.all(e).item() is True and torch.any(e).item() is False
    assert torch.logsumexp(e, 0).tolist() == [-math.inf] * 3
    assert torch.norm(e).item() == 0
    with pytest.raises(RuntimeError, match="linalg.vector_norm cannot compute the inf norm on an empty tensor"):
        torch.norm(e, math.inf)
    assert torch.softmax(e, 0).shape == (0, 3)


def test_all_any():
    b = torch.tensor([[True, False, True], [True, True, True]])
    assert torch.all(b).item() is False and torch.any(b).item() is True
    assert torch.all(b, 1).tolist() == [False, True]
    assert torch.any(b, 0, keepdim=True).tolist() == [[True, True, True]]
    assert torch.all(torch.tensor([[1.0, 0.0], [2.0, 3.0]]), -1).tolist() == [False, True]
    assert torch.all(b, (0, 1)).item() is False
    assert torch.all(b.float(), dim=[]).tolist() == b.tolist()    # an empty dim list reduces nothing
    assert torch.all(b).dtype == torch.bool and torch.any(torch.tensor([1, 0])).dtype == torch.bool


def test_softmax_family():
    x = torch.from_numpy(X)
    for dim in (0, 1, -1):
        e = np.exp(X.astype(np.float64) - X.max(dim, keepdims=True))
        want = e / e.sum(dim, keepdims=True)
        np.testing.assert_allclose(torch.softmax(x, dim).numpy(), want, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(torch.log_softmax(x, dim).numpy(), np.log(want), rtol=1e-5, atol=1e-6)
    out = torch.softmax(torch.tensor([[1, 2, 3]]), 1, dtype=torch.float64)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), np.exp([[1, 2, 3]]) / np.exp([1, 2, 3]).sum())
    # large inputs do not overflow; -inf rows give nan as in PyTorch
    np.testing.assert_allclose(torch.softmax(torch.tensor([1000.0, 1000.0]), 0).numpy(), [0.5, 0.5])
    r = torch.softmax(torch.tensor([[math.inf, 1.0], [-math.inf, -math.inf]]), 1)
    assert np.isnan(r.numpy()).all()
    assert torch.softmax(torch.tensor(3.0), 0).item() == 1.0 and torch.log_softmax(torch.tensor(3.0), 0).item() == 0
    with pytest.raises(NotImplementedError, match="\"softmax\" not implemented for 'Long'"):
        torch.softmax(torch.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.softmax(x, 3)


def test_logsumexp_is_stable_and_handles_infinities():
    x = torch.tensor([[1000.0, 1000.0], [-math.inf, -math.inf], [math.inf, 1.0]])
    got = torch.logsumexp(x, 1).numpy()
    np.testing.assert_allclose(got, [1000 + math.log(2), -math.inf, math.inf])
    assert torch.logsumexp(torch.tensor([[1, 2]]), 1).dtype == torch.float32   # integers become float


def test_cumsum():
    x = torch.from_numpy(X)
    for dim in (0, 1, 2, -1):
        np.testing.assert_allclose(torch.cumsum(x, dim).numpy(), np.cumsum(X, dim), rtol=1e-6)
    assert torch.cumsum(torch.tensor(2.0), 0).item() == 2.0
    assert torch.cumsum(torch.zeros(0, 2), 0).shape == (0, 2)
    assert torch.cumsum(torch.tensor([True, True]), 0).tolist() == [1, 2]
    with pytest.raises(IndexError, match="Dimension out of range"):
        torch.cumsum(x, 3)


# -- norm(p="fro"): values read off torch 2.13 --------------------------------------------------

FRO_X = [[3.0, -4.0, 1.5], [0.5, 2.0, -1.0]]


def test_frobenius_norm_is_the_2_norm_over_at_most_two_dims_as_in_pytorch():
    x = torch.tensor(FRO_X)
    assert x.norm(p="fro").item() == 5.7008771896362305
    assert torch.norm(x, p="fro").item() == 5.7008771896362305
    assert torch.norm(x, p="fro", dim=(0, 1)).item() == 5.7008771896362305
    assert torch.norm(x, p="fro", dim=[]).item() == 5.7008771896362305
    assert torch.norm(x, p="fro", dim=1).tolist() == [5.220153331756592, 2.291287899017334]
    assert torch.norm(x, "fro", 1).tolist() == [5.220153331756592, 2.291287899017334]
    assert torch.norm(x, p="fro", dim=[1], keepdim=True).tolist() == [[5.220153331756592], [2.291287899017334]]
    got = torch.norm(x.double(), p="fro", dim=0)
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), [3.0413812651491097, 4.47213595499958, 1.8027756377319946], rtol=1e-15)
    x3 = torch.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_allclose(torch.norm(x3, p="fro").item(), 65.7571, rtol=1e-5)
    np.testing.assert_allclose(torch.norm(x3, p="fro", dim=(0, 2)).numpy(), [27.3496, 36.8239, 47.1169], rtol=1e-5)
    assert torch.norm(x3, p="fro", dim=-1, keepdim=True).shape == (2, 3, 1)
    assert torch.norm(torch.tensor(3.0), p="fro").item() == 3.0
    assert torch.norm(torch.zeros(0, 3), p="fro").item() == 0.0
    assert torch.norm(torch.zeros(0, 3), p="fro", dim=1).shape == (0,)
    assert torch.norm(torch.tensor([1e30, 1e30]), p="fro").item() == math.inf  # no rescaling, as in PyTorch
    assert math.isnan(torch.norm(torch.tensor([math.inf, math.nan]), p="fro").item())


def test_frobenius_norm_errors_are_pytorchs():
    x, x3 = torch.tensor(FRO_X), torch.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2$"):
        torch.norm(x3, p="fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: Order abc not supported.$"):
        torch.norm(x, p="abc")
    with pytest.raises(RuntimeError, match="^linalg.matrix_norm: Order abc not supported.$"):
        torch.norm(x, p="abc", dim=1)
    with pytest.raises(RuntimeError, match="^linalg.vector_norm: Expected a floating point or complex tensor as "
                                           "input. Got Long$"):
        torch.norm(torch.tensor([1, 2]), p="fro")
    with pytest.raises(RuntimeError, match="^dim 1 appears multiple times in the list of dims$"):
        torch.norm(x, p="fro", dim=(1, 1))
    with pytest.raises(IndexError, match=r"^Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)$"):
        torch.norm(x, p="fro", dim=5)
    with pytest.raises(NotImplementedError, match="nuclear norm\\) is not supported"):  # PyTorch computes it
        torch.norm(x, p="nuc")

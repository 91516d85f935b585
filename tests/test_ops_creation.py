"""Creation ops and the random generator: values, inferred dtypes (as PyTorch 2.13 infers
them), sizes, errors, and determinism under manual_seed."""
import math

import numpy as np
import pytest

import minitorch_jit as torch


@pytest.mark.parametrize("data, dtype, shape", [
    ([1, 2], "int64", (2,)), ([1.0, 2], "float32", (2,)), ([True, False], "bool", (2,)), ([True, 2], "int64", (2,)),
    ([], "float32", (0,)), ([[]], "float32", (1, 0)), (3, "int64", ()), (3.5, "float32", ()), (True, "bool", ()),
    ([[1, 2], [3, 4]], "int64", (2, 2)), (np.array([1, 2], np.int32), "int32", (2,)),
    (np.array([1.5], np.float64), "float64", (1,)), (np.float64(2.5), "float64", ()), (np.int32(3), "int32", ()),
    ([np.float64(1.0), 2], "float64", (2,)), ([np.int32(1), 2.5], "float32", (2,)), ((1, 2), "int64", (2,)),
    ([torch.tensor(1.0), torch.tensor(2.0)], "float32", (2,)),
])
def test_tensor_infers_dtypes_like_pytorch(data, dtype, shape):
    t = torch.tensor(data)
    assert t.dtype.name == dtype and t.shape == shape
    np.testing.assert_array_equal(t.numpy(), np.array(data if not isinstance(data, list) or not data or not
                                                      isinstance(data[0], torch.Tensor) else [1.0, 2.0]))
    assert torch.tensor(data, dtype=torch.float64).dtype == torch.float64


def test_tensor_copies_and_converts():
    n = np.array([1.0, 2.0], np.float32)
    t = torch.tensor(n)
    n[0] = 9
    assert t.tolist() == [1, 2]
    assert torch.tensor([1.7, -1.7], dtype=torch.int32).tolist() == [1, -1]
    assert torch.tensor([0.0, 2.0], dtype=torch.bool).tolist() == [False, True]
    assert torch.Tensor([1, 2]).dtype == torch.float32 and torch.scalar_tensor(3).dtype == torch.float32


@pytest.mark.parametrize("data, error, message", [
    ([[1, 2], [3]], ValueError, "expected sequence of length 2 at dim 1 \\(got 1\\)"),
    ([[[1, 2]], [[1]]], ValueError, "expected sequence of length 2 at dim 2 \\(got 1\\)"),
    ("a", TypeError, "new\\(\\): invalid data type 'str'"),
    ([1, None], RuntimeError, "Could not infer dtype of NoneType"),
    (np.array([1], np.uint16), TypeError, "can't convert np.ndarray of type numpy.uint16"),
])
def test_tensor_errors(data, error, message):
    with pytest.raises(error, match=message):
        torch.tensor(data)


@pytest.mark.parametrize("name, fill", [("zeros", 0), ("ones", 1)])
def test_filled(name, fill):
    f = getattr(torch, name)
    for args, kw, shape, dtype in [((2, 3), {}, (2, 3), "float32"), (((2, 3),), {}, (2, 3), "float32"),
                                   (([2, 3],), {}, (2, 3), "float32"), (((),), {}, (), "float32"),
                                   ((0,), {}, (0,), "float32"), ((2,), {"dtype": torch.int64}, (2,), "int64"),
                                   ((2,), {"dtype": torch.bool}, (2,), "bool"), ((), {"size": (2, 3)}, (2, 3), "float32")]:
        t = f(*args, **kw)
        assert t.shape == shape and t.dtype.name == dtype
        assert (t.numpy() == fill).all()
    assert torch.empty(2, 3).shape == (2, 3) and torch.empty(0).shape == (0,)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[2, -1\]"):
        f(2, -1)
    with pytest.raises(TypeError, match=f"{name}\\(\\) received an invalid combination of arguments"):
        f(2.5)


def test_like_and_full():
    x = torch.arange(6).reshape(2, 3)
    assert torch.zeros_like(x).dtype == torch.int64 and torch.ones_like(x).tolist() == [[1, 1, 1]] * 2
    assert torch.ones_like(x, dtype=torch.float64).dtype == torch.float64
    assert torch.empty_like(x).shape == (2, 3) and torch.zeros_like(torch.tensor(2.0)).shape == ()
    assert torch.full_like(x, 2.5).tolist() == [[2, 2, 2]] * 2                     # keeps x's dtype
    assert torch.full_like(x.float(), 2.5).tolist() == [[2.5] * 3] * 2
    for value, dtype in [(1.5, "float32"), (7, "int64"), (True, "bool")]:
        t = torch.full((2,), value)
        assert t.dtype.name == dtype and t.tolist() == [value, value]
    assert torch.full((2,), 1.5, dtype=torch.int64).tolist() == [1, 1] and torch.full([], 2.0).shape == ()


@pytest.mark.parametrize("args, kw, want, dtype", [
    ((5,), {}, [0, 1, 2, 3, 4], "int64"), ((5.0,), {}, [0, 1, 2, 3, 4], "float32"), ((2, 5), {}, [2, 3, 4], "int64"),
    ((0, 1, 0.25), {}, [0, 0.25, 0.5, 0.75], "float32"), ((5, 0, -2), {}, [5, 3, 1], "int64"), ((0,), {}, [], "int64"),
    ((1, 2.5, 0.5), {}, [1, 1.5, 2], "float32"), ((0, 3), {"dtype": torch.float64}, [0, 1, 2], "float64"),
    ((-1.5, 2), {}, [-1.5, -0.5, 0.5, 1.5], "float32"), ((1, 10, 3), {}, [1, 4, 7], "int64"),
])
def test_arange(args, kw, want, dtype):
    t = torch.arange(*args, **kw)
    assert t.dtype.name == dtype
    np.testing.assert_allclose(t.numpy(), np.array(want, dtype))


def test_arange_computes_in_double_then_rounds():
    np.testing.assert_array_equal(torch.arange(0, 1, 0.1).numpy(), (np.arange(10) * 0.1).astype(np.float32))
    assert torch.arange(0.1, 0.45, 0.05).shape == (7,)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        torch.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="upper bound and larger bound inconsistent with step sign"):
        torch.arange(0, -5)
    with pytest.raises(NotImplementedError, match="\"arange\" not implemented for 'Bool'"):
        torch.arange(3, dtype=torch.bool)


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-1, 1, 4), (1, 0, 3), (0.1, 0.7, 6),
                                               (3, 3, 3), (0, 1, 100)])
def test_linspace_hits_both_ends(start, end, steps):
    t = torch.linspace(start, end, steps)
    assert t.dtype == torch.float32 and t.shape == (steps,)
    np.testing.assert_allclose(t.numpy(), np.linspace(start, end, steps), rtol=1e-6, atol=1e-7)
    if steps > 1:
        assert t[0].item() == np.float32(start) and t[-1].item() == np.float32(end)


def test_linspace_dtypes_and_errors():
    assert torch.linspace(0, 10, 7, dtype=torch.int64).tolist() == [0, 1, 3, 5, 6, 8, 10]
    assert torch.linspace(-5, 5, 11, dtype=torch.int32).tolist() == list(range(-5, 6))
    assert torch.linspace(0, 1, steps=4, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)


def test_random_ops_are_deterministic_under_manual_seed():
    def draw():
        return [torch.rand(3, 2), torch.randn(4), torch.randint(0, 10, (5,)), torch.rand_like(torch.zeros(2)),
                torch.randn_like(torch.zeros(2, dtype=torch.float64)), torch.randint(10, (3,))]
    torch.manual_seed(123)
    first = draw()
    torch.manual_seed(123)
    second = draw()
    for x, y in zip(first, second):
        assert x.dtype == y.dtype and x.tolist() == y.tolist()
    torch.manual_seed(124)
    assert torch.rand(3, 2).tolist() != first[0].tolist()


def test_random_distributions_and_dtypes():
    torch.manual_seed(0)
    u = torch.rand(20000)
    assert u.dtype == torch.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.01 and abs(u.std().item() - math.sqrt(1 / 12)) < 0.01
    n = torch.randn(20000, dtype=torch.float64)
    assert n.dtype == torch.float64 and abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    i = torch.randint(3, 10, (2000,))
    assert i.dtype == torch.int64 and i.min().item() == 3 and i.max().item() == 9
    assert torch.randint(5, (2,), dtype=torch.int32).dtype == torch.int32
    assert torch.rand(2, 3).shape == (2, 3) and torch.randn(()).shape == () and torch.rand(0).shape == (0,)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=5"):
        torch.randint(5, 5, (2,))
    with pytest.raises(NotImplementedError, match="\"normal\" not implemented for 'Long'"):
        torch.randn(2, dtype=torch.int64)
    with pytest.raises(NotImplementedError, match="\"uniform\" not implemented for 'Int'"):
        torch.rand_like(torch.zeros(2), dtype=torch.int32)

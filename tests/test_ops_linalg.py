"""Matrix products against numpy: matmul's 1-d and batch rules, mm, bmm, addmm, linear, and
PyTorch's shape and dtype errors."""
import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.nn import functional as F

M = np.arange(6, dtype=np.float32).reshape(2, 3)
N = np.arange(12, dtype=np.float32).reshape(3, 4) - 3
V = np.array([1.0, -2.0, 0.5], np.float32)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@pytest.mark.parametrize("a, b", [
    (M, N), (V, N), (M, V), (V, V), (np.broadcast_to(M, (5, 2, 3)), N),
    (np.broadcast_to(M, (5, 2, 3)), np.broadcast_to(N, (5, 3, 4))), (np.broadcast_to(M, (5, 1, 2, 3)),
                                                                      np.broadcast_to(N, (7, 3, 4))),
    (V, np.broadcast_to(N, (5, 3, 4))), (np.broadcast_to(M, (5, 2, 3)), V), (np.zeros((2, 0), np.float32),
                                                                              np.zeros((0, 3), np.float32)),
], ids=lambda a: str(np.shape(a)))
def test_matmul_matches_numpy(a, b):
    got = T(a) @ T(b)
    want = np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(torch.matmul(T(a), T(b)).numpy(), want, rtol=1e-6)


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        T(M) @ T(M)
    with pytest.raises(RuntimeError, match="both arguments to matmul need to be at least 1D, but they are 0D and 2D"):
        torch.matmul(torch.tensor(2.0), T(M))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float32 != float64"):
        T(M) @ T(N).double()
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(5\) must match the size of tensor b \(4\)"):
        T(np.broadcast_to(M, (5, 2, 3))) @ T(np.broadcast_to(N, (4, 3, 4)))
    np.testing.assert_array_equal((T(M).long() @ T(N).long()).numpy(), M.astype(np.int64) @ N.astype(np.int64))


def test_mm_and_bmm():
    np.testing.assert_allclose(torch.mm(T(M), T(N)).numpy(), M @ N)
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        torch.mm(T(V), T(N))
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        torch.mm(T(M), T(V))
    a, b = np.broadcast_to(M, (5, 2, 3)), np.broadcast_to(N, (5, 3, 4))
    np.testing.assert_allclose(torch.bmm(T(a), T(b)).numpy(), a @ b)
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        torch.bmm(T(M), T(N))
    with pytest.raises(RuntimeError, match="batch1 and batch2 must have same number of batches, got 5 and 4"):
        torch.bmm(T(a), T(b[:4]))


def test_addmm():
    c = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    np.testing.assert_allclose(torch.addmm(T(c), T(M), T(N)).numpy(), c + M @ N)
    np.testing.assert_allclose(torch.addmm(torch.ones(2, 4), T(M), T(N), beta=0.5, alpha=2).numpy(),
                               0.5 + 2 * (M @ N))
    nan = torch.full((2, 4), float("nan"))
    np.testing.assert_allclose(torch.addmm(nan, T(M), T(N), beta=0).numpy(), M @ N)   # beta=0 ignores self, even nan
    i = torch.addmm(torch.ones(2, 4, dtype=torch.int64), T(M).long(), T(N).long(), beta=2, alpha=3)
    np.testing.assert_array_equal(i.numpy(), 2 + 3 * (M.astype(np.int64) @ N.astype(np.int64)))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size \(3\)"):
        torch.addmm(torch.ones(3), T(M), T(N))
    with pytest.raises(RuntimeError, match="self and mat2 must have the same dtype, but got Double and Float"):
        torch.addmm(torch.ones(2, 4, dtype=torch.float64), T(M), T(N))


def test_linear():
    w, b = N.T.copy(), np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    np.testing.assert_allclose(F.linear(T(M), T(w), T(b)).numpy(), M @ w.T + b)
    np.testing.assert_allclose(F.linear(T(M), T(w)).numpy(), M @ w.T)
    np.testing.assert_allclose(F.linear(T(V), T(w)).numpy(), V @ w.T)
    np.testing.assert_allclose(F.linear(T(M), T(V)).numpy(), M @ V)
    np.testing.assert_allclose(F.linear(T(np.broadcast_to(M, (5, 2, 3))), T(w)).numpy(), np.broadcast_to(M, (5, 2, 3)) @ w.T)
    assert F.linear(torch.zeros(0, 3), T(w)).shape == (0, 4)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x3\)"):
        F.linear(T(M), T(N))
    with pytest.raises(RuntimeError, match="mat2 must be a matrix, got 1-D tensor"):
        F.linear(T(M), T(V), torch.tensor(2.0))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        F.linear(T(M), T(w).double())

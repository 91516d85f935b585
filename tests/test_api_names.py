"""PyTorch's names around the JIT mean what they mean in PyTorch: ``torch.trace`` is the sum
of a matrix's diagonal (the tracer is ``torch.jit.trace``), the legacy tensor types, dtypes,
``torch.device``, ``torch.ops.aten``, the switches of ``torch.jit`` and ``torch._C``, and the
package namespace holds no names it imported for itself. Values are PyTorch 2's."""
import numpy as np
import pytest

import minitorch_jit as torch

# -- torch.trace is the sum of the diagonal ------------------------------------------------------------


def test_trace_is_the_sum_of_the_diagonal_not_the_tracer():
    assert torch.trace is not torch.jit.trace
    x = torch.arange(9.0).view(3, 3)
    assert torch.trace(x).item() == 12.0
    assert x.trace().item() == 12.0
    assert torch.trace(x).dim() == 0


def test_trace_of_integers_accumulates_in_int64_and_rectangular_matrices_use_the_short_diagonal():
    r = torch.trace(torch.arange(6, dtype=torch.int32).view(2, 3))
    assert r.dtype == torch.int64 and r.item() == 4


def test_trace_of_a_vector_is_pytorchs_error():
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.trace(torch.ones(3))


def test_trace_scripts_as_the_diagonal_sum():
    @torch.jit.script
    def f(x):
        return torch.trace(x) * 2

    x = torch.randn(4, 4)
    np.testing.assert_allclose(f(x).numpy(), 2 * np.trace(x.numpy()), rtol=1e-6)

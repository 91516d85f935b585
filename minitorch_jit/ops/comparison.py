"""Whole-tensor comparisons: ``torch.equal``."""
from __future__ import annotations

import numpy as np

from .declare import op


@op("aten::equal(Tensor self, Tensor other) -> bool", names=("torch.equal", "Tensor.equal"))
def equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same sizes and the same values (compared after type promotion, as PyTorch 2 does:
    ``torch.equal(torch.ones(2), torch.ones(2, dtype=torch.long))`` is True)."""
    return a.shape == b.shape and bool(np.array_equal(a, b))

"""Gradient clipping, in place on the parameters' ``.grad``, as PyTorch's."""
from __future__ import annotations

import math
from typing import Iterable, Union

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor

Params = Union[Tensor, Iterable[Tensor]]


def _grads(parameters: Params) -> list:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


@no_grad()
def clip_grad_norm_(parameters: Params, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their joint norm is at most ``max_norm``; returns the norm
    before clipping."""
    grads = _grads(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, np.float32))
    if norm_type == math.inf:
        total = max(float(np.abs(g._a).max()) for g in grads)
    else:
        powers = sum(float((np.abs(g._a.astype(np.float64)) ** norm_type).sum()) for g in grads)
        total = float(powers) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and scale the gradients by "
                           "the non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g.mul_(coef)
    return Tensor._wrap(np.asarray(total, grads[0]._a.dtype))


@no_grad()
def clip_grad_value_(parameters: Params, clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``."""
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)

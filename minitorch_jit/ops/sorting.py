"""Ops that order elements: topk (the k largest or smallest along a dim, with their indices).

NaN is larger than every number, as in PyTorch; among equal elements the order of the
indices is unspecified there, here it is numpy's stable sort's (reversed for the largest).
"""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from .declare import derivative, op
from .dispatch import call
from .rules import norm_dim


def _topk_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t = tensor_type(types[0])
    k = consts[1]
    dim = consts[2] if len(consts) > 2 else -1
    sizes = None if t.sizes is None else tuple(None for _ in t.sizes)
    if t.sizes is not None and k is not UNKNOWN and dim is not UNKNOWN and t.sizes:
        d = norm_dim(dim, len(t.sizes))
        sizes = t.sizes[:d] + (k,) + t.sizes[d + 1:]
    elif t.sizes == ():
        sizes = ()
    return [TensorType(t.dtype, sizes), TensorType("int64", sizes)]


@op("aten::topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, "
    "Tensor indices)", names=("torch.topk", "Tensor.topk"), type_rule=_topk_rule)
def topk(a: np.ndarray, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim`` and their
    indices, in order."""
    d = norm_dim(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    order = np.argsort(a, axis=d, kind="stable")  # NaN sorts last: the largest
    order = np.flip(order, axis=d) if largest else order
    idx = np.take(order, np.arange(k), axis=d)
    return np.take_along_axis(a, idx, axis=d), idx.astype(np.int64)


@derivative("aten::topk")
def _topk_grad(ctx: Any, grads: List[Any]) -> tuple:
    """Each value's gradient back at the position it was taken from (zeros elsewhere)."""
    shape, g = ctx.shape(0), grads[0]
    if not shape:
        return (g,)
    d = norm_dim(ctx[2], len(shape))
    positions = call("torch", "arange", (shape[d],)).reshape([-1 if i == d else 1 for i in range(len(shape))])
    taken = positions.unsqueeze(d + 1) == ctx.out[1].unsqueeze(d)  # (..., n, k, ...): position i gave value j
    return ((taken * g.unsqueeze(d)).sum(d + 1),)

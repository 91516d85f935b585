"""The workloads with reductions, written in numpy by hand for the bench's numpy system (the
pointwise ones run their own Python on numpy arrays, :mod:`.elementwise`; numpy spells
reductions differently: ``axis=``, ``keepdims=``). Each computes what the workload's
function computes, the way a numpy user writes it."""
from __future__ import annotations

from typing import Callable, Dict

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(axis=1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=1, keepdims=True)
    return centered / np.sqrt(var + np.float32(eps)) * weight + bias


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(target)), target].mean()


FORMS: Dict[str, Callable[..., np.ndarray]] = {
    "softmax": softmax, "layer_norm": layer_norm, "cross_entropy": cross_entropy}

"""Hand-written numba loops for the pointwise workloads: the strongest pointwise peer.

``@vectorize`` (:mod:`.elementwise`) computes one output per call and goes through numba's
ufunc machinery; a ``numba.njit(parallel=True)`` function with a ``prange`` loop over the
elements, written by hand for each formula, is what a numba user writes for speed. The same
loops compiled without ``parallel`` are numba's plain dispatcher (a serial loop): the cost of
calling numba on tiny inputs.

Each loop takes the input arrays and fresh outputs, flattened where the workload's arrays are
contiguous (numba's ``reshape`` needs contiguous arrays) and row by row where they are strided
(the LSTM gates are column blocks of one matrix). numba computes IEEE arithmetic here
(``fastmath`` off, like our kernels) and calls libm for ``exp`` and ``tanh``.

This module imports numba: the bench imports it only when the numba systems run.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Sequence, Tuple

import numba
import numpy as np
from numba import prange


def ratio_iou(x1, y1, w1, h1, x2, y2, w2, h2, out):
    for i in prange(out.size):
        xi = max(x1[i], x2[i])
        yi = max(y1[i], y2[i])
        wi = max(min(x1[i] + w1[i], x2[i] + w2[i]) - xi, np.float32(0.0))
        hi = max(min(y1[i] + h1[i], y2[i] + h2[i]) - yi, np.float32(0.0))
        area_i = wi * hi
        area_u = w1[i] * h1[i] + w2[i] * h2[i] - wi * hi
        out[i] = area_i / max(area_u, np.float32(1e-5))


def square5(x, out):
    for i in prange(out.size):
        v = x[i]
        for _ in range(5):
            v = v * v
        out[i] = v


def gelu(x, out):
    c = np.float32(math.sqrt(2 / math.pi))
    for i in prange(out.size):
        v = x[i]
        out[i] = np.float32(0.5) * v * (np.float32(1.0) + math.tanh(c * (v + np.float32(0.044715) * v * v * v)))


def lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx, hy, cy):
    rows, cols = cx.shape
    one = np.float32(1.0)
    for r in prange(rows):
        for c in range(cols):
            i = one / (one + math.exp(-ingate[r, c]))
            f = one / (one + math.exp(-forgetgate[r, c]))
            g = math.tanh(cellgate[r, c])
            o = one / (one + math.exp(-outgate[r, c]))
            cell = f * cx[r, c] + i * g
            cy[r, c] = cell
            hy[r, c] = o * math.tanh(cell)


def triad(b, c, out):
    for i in prange(out.size):
        out[i] = b[i] + np.float32(3.0) * c[i]


# family -> (loop, number of outputs, whether it walks its arrays flat)
LOOPS: Dict[str, Tuple[Callable[..., None], int, bool]] = {
    "ratio_iou": (ratio_iou, 1, True), "square5": (square5, 1, True), "gelu": (gelu, 1, True),
    "lstm_pointwise": (lstm_pointwise, 2, False), "triad": (triad, 1, True),
}

_compiled: Dict[Tuple[str, bool], Any] = {}


def runner(family: str, inputs: Sequence[np.ndarray], parallel: bool) -> Callable[[], Any]:
    """A call of the hand-written loop of ``family`` on ``inputs`` (KeyError: none for it)."""
    fn, n_outputs, flat = LOOPS[family]
    key = (family, parallel)
    if key not in _compiled:
        _compiled[key] = numba.njit(parallel=parallel)(fn)
    loop = _compiled[key]
    shape, dtype = inputs[0].shape, inputs[0].dtype
    if flat:
        if not all(a.flags.c_contiguous for a in inputs):
            raise ValueError(f"the {family} loop walks its inputs flat and needs them contiguous")
        args = [a.reshape(-1) for a in inputs]

        def call() -> Any:
            out = np.empty(shape, dtype)
            loop(*args, out.reshape(-1))
            return out
        return call

    def call_rows() -> Any:
        outs = tuple(np.empty(shape, dtype) for _ in range(n_outputs))
        loop(*inputs, *outs)
        return outs
    return call_rows

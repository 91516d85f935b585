"""Print tensors the way PyTorch does: ``tensor([[1., 2.], [3., 4.]])``."""
from __future__ import annotations

import math
from typing import Callable, List, Optional

import numpy as np

_LINE_WIDTH = 80
_THRESHOLD = 1000   # summarize tensors with more elements
_EDGE = 3           # items shown at each end of a summarized dimension


def _float_formatter(values: np.ndarray) -> Callable[[float], str]:
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    int_mode = bool(np.all(np.ceil(finite) == finite)) if finite.size else True
    sci = False
    if nonzero.size:
        lo, hi = nonzero.min(), nonzero.max()
        sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)

    def fmt(v: float) -> str:
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if sci:
            return f"{v:.4e}"
        if int_mode:
            return f"{v:.0f}."
        return f"{v:.4f}"
    return fmt


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that are printed, for computing the common width."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * _EDGE:
        parts = [a[:_EDGE], a[-_EDGE:]]
    else:
        parts = [a]
    return np.concatenate([_summarized(p[i]).reshape(-1) for p in parts for i in range(p.shape[0])]) \
        if a.shape[0] else a.reshape(-1)


def format_array(a: np.ndarray, prefix: str = "tensor(") -> str:
    """The PyTorch repr body (without the dtype suffix)."""
    summarize = a.size > _THRESHOLD
    shown = _summarized(a) if summarize else a.reshape(-1)
    if a.dtype.kind == "f":
        fmt = _float_formatter(shown)
    elif a.dtype.kind == "b":
        def fmt(v: object) -> str:
            return "True" if v else "False"
    else:
        def fmt(v: object) -> str:
            return str(int(v))
    # like PyTorch, the column width comes from the finite values; nan and inf just take theirs
    finite = shown[np.isfinite(shown)] if a.dtype.kind == "f" else shown
    width = max((len(fmt(v)) for v in (finite if finite.size else shown).tolist()), default=0)

    def elem(v: object) -> str:
        return fmt(v).rjust(width)

    indent = len(prefix)

    def rec(x: np.ndarray, depth: int) -> str:
        if x.ndim == 0:
            return elem(x.item())
        n = x.shape[0]
        idx: List[object] = list(range(n))
        if summarize and n > 2 * _EDGE:
            idx = list(range(_EDGE)) + [None] + list(range(n - _EDGE, n))
        if x.ndim == 1:
            # PyTorch's elision item is " ...", so it lines up after the ", " separator
            items = [" ..." if i is None else elem(x[i].item()) for i in idx]
            per_line = max(1, (_LINE_WIDTH - indent - depth) // (width + 2))
            lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + depth + 1)).join(lines) + "]"
        sep = "," + "\n" * (x.ndim - 1) + " " * (indent + depth + 1)
        return "[" + sep.join("..." if i is None else rec(x[i], depth + 1) for i in idx) + "]"

    return rec(a, 0)


def tensor_repr(a: np.ndarray, requires_grad: bool = False, grad_fn: Optional[str] = None) -> str:
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.shape != (0,):
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        body = format_array(a)
    if a.dtype.name not in ("float32", "int64", "bool"):
        suffixes.append(f"dtype=torch.{a.dtype.name}")
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes("tensor(" + body, suffixes)


def _add_suffixes(text: str, suffixes: List[str]) -> str:
    """PyTorch's rule: a suffix that would overflow the last line goes on a line of its own."""
    indent = len("tensor(")
    # counted as PyTorch counts it (two more than the line's length)
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > _LINE_WIDTH:
            text += ",\n" + " " * indent + suffix
            last_line = indent + len(suffix)
        else:
            text += ", " + suffix
            last_line += len(suffix) + 2
    return text + ")"

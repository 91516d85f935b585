"""Attributes of tensors in scripted code that are not methods (``x.T``, ``x.device``...),
besides ``shape``, ``ndim``, ``dtype`` and ``data``, which the expression builder reads
itself. Each gives the value eager code gets: every tensor here lives on the CPU and has no
gradient, since compiled functions run on arrays."""
from __future__ import annotations

from typing import Any, Callable, Dict

from minitorch_jit.ir import Value

from .errors import SourceRange


def _transposed(b: Any, v: Value, where: SourceRange) -> Value:
    return b.structural("aten::numpy_T", [v])


def _requires_grad(b: Any, v: Value, where: SourceRange) -> Value:
    return b.error("x.requires_grad is not supported in script functions: compiled functions do not see whether "
                   "their inputs require grad", where)


TENSOR_PROPERTIES: Dict[str, Callable[[Any, Value, SourceRange], Value]] = {
    "T": _transposed,
    "device": lambda b, v, where: b.structural("prim::device", [v]),
    "is_cuda": lambda b, v, where: b.structural("prim::is_cuda", [v]),
    "grad": lambda b, v, where: b.constant(None),
    "requires_grad": _requires_grad,
}

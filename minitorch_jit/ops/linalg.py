"""Matrix products: matmul, mm, mv, bmm, addmm, linear; and trace (the sum of the diagonal)."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.codegen import threads
from minitorch_jit.ir.registry import UNKNOWN
from minitorch_jit.ir.types import SHORT_NAME, TensorType, Type, tensor_type

from . import rules
from .declare import derivative, op
from .dispatch import call
from .pointwise import where
from .shape import expanded_sizes


def _same_dtype(a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}")


def _shapes_error(a: Sequence[Optional[int]], b: Sequence[Optional[int]]) -> RuntimeError:
    def fmt(s: Sequence[Optional[int]]) -> str:
        return "x".join("?" if d is None else str(d) for d in s)
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({fmt(a)} and {fmt(b)})")


def matmul_sizes(a: Optional[tuple], b: Optional[tuple]) -> Optional[tuple]:
    """torch.matmul's result sizes (None entries unknown)."""
    if a is None or b is None:
        return None
    if not a or not b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    k1, k2 = a2[-1], b2[-2]
    if k1 is not None and k2 is not None and k1 != k2:
        raise _shapes_error(a2[-2:], b2[-2:])
    batch = rules.broadcast_sizes(a2[:-2], b2[:-2])
    out = tuple(batch) + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _matmul_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    a, b = tensor_type(types[0]), tensor_type(types[1])
    return [TensorType(a.dtype if a.dtype == b.dtype else None, matmul_sizes(a.sizes, b.sizes))]


@op("aten::matmul(Tensor self, Tensor other) -> Tensor",
    names=("torch.matmul", "Tensor.matmul", "Tensor.__matmul__"), type_rule=_matmul_rule)
def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The @ operator: batch dims broadcast, 1-d operands are promoted and squeezed back."""
    _same_dtype(a, b)
    matmul_sizes(a.shape, b.shape)
    return threads.matmul(a, b)


@op("aten::mm(Tensor self, Tensor mat2) -> Tensor", names=("torch.mm", "Tensor.mm"), type_rule=_matmul_rule)
def mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    return matmul(a, b)


@op("aten::mv(Tensor self, Tensor vec) -> Tensor", names=("torch.mv", "Tensor.mv"), type_rule=_matmul_rule)
def mv(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Matrix times vector."""
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({v.shape[0]})")
    return matmul(a, v)


@op("aten::bmm(Tensor self, Tensor mat2) -> Tensor", names=("torch.bmm", "Tensor.bmm"), type_rule=_matmul_rule)
def bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if a.ndim != 3 else "batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)


def _addmm_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    mm_t = tensor_type(_matmul_rule(types[1:3], consts[1:3])[0])
    return [TensorType(mm_t.dtype, rules.broadcast_sizes(tensor_type(types[0]).sizes, mm_t.sizes))]


@op("aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
    names=("torch.addmm", "Tensor.addmm"), type_rule=_addmm_rule)
def addmm(c: np.ndarray, a: np.ndarray, b: np.ndarray, beta: Any = 1, alpha: Any = 1) -> np.ndarray:
    """``beta * self + alpha * (mat1 @ mat2)``."""
    if c.dtype != a.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {SHORT_NAME[c.dtype.name]} and "
                           f"{SHORT_NAME[a.dtype.name]}")
    p = mm(a, b)
    expanded_sizes(c.shape, p.shape)  # self must expand to the product's shape
    if alpha != 1:
        p = p * p.dtype.type(alpha)
    if beta == 0:  # PyTorch ignores self (even nan) when beta is 0
        return np.broadcast_to(p, rules.broadcast_sizes(c.shape, p.shape)).copy()
    return (c if beta == 1 else c * c.dtype.type(beta)) + p


def _linear_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    x, w = tensor_type(types[0]), tensor_type(types[1])
    sizes = None
    if x.sizes is not None and w.sizes is not None and x.sizes:
        sizes = x.sizes[:-1] + ((w.sizes[0],) if len(w.sizes) == 2 else ())
    return [TensorType(x.dtype if x.dtype == w.dtype else None, sizes)]


@op("aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
    names=("torch.linear", "functional.linear"), type_rule=_linear_rule)
def linear(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None) -> np.ndarray:
    """``input @ weight.T + bias``."""
    _same_dtype(x, w)
    if b is not None and w.ndim == 1:
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    if x.shape[-1:] != w.shape[-1:]:
        raise _shapes_error((int(np.prod(x.shape[:-1])), x.shape[-1]) if x.ndim > 1 else x.shape,
                            w.shape[::-1])
    return threads.linear(x, w, b)


def _diag_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    t, k = tensor_type(types[0]), consts[1] if len(consts) > 1 else 0
    if t.sizes is None or k is UNKNOWN or len(t.sizes) not in (1, 2) or None in t.sizes:
        return [TensorType(t.dtype, None if t.sizes is None else (None,) * (3 - len(t.sizes)))]
    if len(t.sizes) == 1:
        n = t.sizes[0] + abs(k)
        return [TensorType(t.dtype, (n, n))]
    rows, cols = [s or 0 for s in t.sizes]  # (known: checked above)
    return [TensorType(t.dtype, (max(0, min(rows + min(k, 0), cols - max(k, 0))),))]


@op("aten::diag(Tensor self, int diagonal=0) -> Tensor", names=("torch.diag", "Tensor.diag"), type_rule=_diag_rule)
def diag(a: np.ndarray, diagonal: int = 0) -> np.ndarray:
    """A 1-D tensor as the ``diagonal``-th diagonal of a square matrix; of a matrix, that
    diagonal as a 1-D tensor (a copy)."""
    if a.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    return np.diag(a, diagonal).copy()


@op("aten::trace(Tensor self) -> Tensor", names=("torch.trace", "Tensor.trace"),
    type_rule=rules.reduction(rules.sum_dtype, dim_arg=None))
def trace(a: np.ndarray) -> np.ndarray:
    """The sum of a matrix's diagonal (``torch.jit.trace`` is the tracer), accumulated as
    ``sum`` accumulates: integers and bools in int64."""
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    return np.trace(a, dtype=a.dtype if a.dtype.kind == "f" else np.int64)


# ---------------------------------------------------------------------------------------------
# gradient formulas


def _mT(x: Any) -> Any:
    return x.transpose(-1, -2)


@derivative("aten::mm")
def _mm_grad(ctx: Any, g: Any) -> tuple:
    return (g.mm(ctx[1].t()) if ctx.needs(0) else None), (ctx[0].t().mm(g) if ctx.needs(1) else None)


@derivative("aten::mv")
def _mv_grad(ctx: Any, g: Any) -> tuple:
    return (g.unsqueeze(1).mm(ctx[1].unsqueeze(0)) if ctx.needs(0) else None), \
        (ctx[0].t().mv(g) if ctx.needs(1) else None)


@derivative("aten::bmm")
def _bmm_grad(ctx: Any, g: Any) -> tuple:
    return (g.bmm(_mT(ctx[1])) if ctx.needs(0) else None), (_mT(ctx[0]).bmm(g) if ctx.needs(1) else None)


@derivative("aten::matmul")
def _matmul_grad(ctx: Any, g: Any) -> tuple:
    """Vectors become matrices as matmul makes them; batch dims are summed back by the engine."""
    a, b = ctx[0], ctx[1]
    if a.dim() == 1 and b.dim() == 1:
        return (g * b if ctx.needs(0) else None), (g * a if ctx.needs(1) else None)
    if a.dim() == 1:
        g2 = g.unsqueeze(-2)
        return ((g2.matmul(_mT(b))).squeeze(-2) if ctx.needs(0) else None,
                a.unsqueeze(-1).matmul(g2) if ctx.needs(1) else None)
    if b.dim() == 1:
        g2 = g.unsqueeze(-1)
        return (g2.matmul(b.unsqueeze(-2)) if ctx.needs(0) else None,
                (_mT(a).matmul(g2)).squeeze(-1) if ctx.needs(1) else None)
    return (g.matmul(_mT(b)) if ctx.needs(0) else None), (_mT(a).matmul(g) if ctx.needs(1) else None)


def _diagonal_mask(rows: int, cols: int, k: int) -> Any:
    """True on the ``k``-th diagonal of a (rows, cols) matrix."""
    return (call("torch", "arange", (cols,)).unsqueeze(0) - call("torch", "arange", (rows,)).unsqueeze(1)) == k


@derivative("aten::diag")
def _diag_grad(ctx: Any, g: Any) -> tuple:
    shape, k = ctx.shape(0), ctx[1]
    if len(shape) == 1:  # the vector became a diagonal: read it back
        i = call("torch", "arange", (shape[0],))
        return (g[i + max(-k, 0), i + max(k, 0)],)
    # the matrix's diagonal became a vector: put it back on the diagonal, zeros elsewhere;
    # its i-th element sits in row i (k >= 0) or in column i (k < 0)
    rows, cols = shape
    along = rows if k >= 0 else cols
    padded = call("torch", "cat", ([g, call("torch", "zeros", ([along - g.shape[0]],), {"dtype": g.dtype})],))
    return (where(_diagonal_mask(rows, cols, k), padded.unsqueeze(1 if k >= 0 else 0), 0.0),)


@derivative("aten::trace")
def _trace_grad(ctx: Any, g: Any) -> tuple:
    rows, cols = ctx.shape(0)
    return (where(_diagonal_mask(rows, cols, 0), g, 0.0),)


@derivative("aten::linear")
def _linear_grad(ctx: Any, g: Any) -> tuple:
    x, w = ctx[0], ctx[1]
    gx = g.matmul(w) if ctx.needs(0) else None
    gw = None
    if ctx.needs(1):
        if x.dim() == 1:
            gw = g.unsqueeze(1) * x.unsqueeze(0)
        else:
            gw = g.reshape([-1, g.shape[-1]]).t().mm(x.reshape([-1, x.shape[-1]]))
    return gx, gw, (g if ctx.needs(2) else None)


@derivative("aten::addmm")
def _addmm_grad(ctx: Any, g: Any) -> tuple:
    m1, m2, beta, alpha = ctx[1], ctx[2], ctx[3], ctx[4]
    return ((g * beta if beta != 1 else g) if ctx.needs(0) else None,
            (g.mm(m2.t()) * alpha if ctx.needs(1) else None),
            (m1.t().mm(g) * alpha if ctx.needs(2) else None))

"""layer_norm and embedding of float32 tensors in an exported library.

layer_norm normalizes each row of the trailing ``normalized_shape`` elements as the eager
kernel does — the mean, the (biased) mean of squared deviations, then
``(x - mean) / sqrt(var + eps) * weight + bias`` in float32 — with the two means summed in
double (numpy sums float32 pairwise), so results agree within float32 rounding. embedding
copies the weight's row of each index, checking every index is in range.
"""
from __future__ import annotations

from typing import Any, List

from llvmlite import ir

from minitorch_jit.codegen.llvm.builder import F32
from minitorch_jit.ir.graph import Node

from .emitter import RT, Emitter
from .loops import I64, div, eq, for_range, mul, product, value
from .ops import _float32, _tensor, copy_into, lowering
from .prepare import ExportError

F64 = ir.DoubleType()


@lowering("aten::layer_norm")
def layer_norm(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x, shape, weight, bias, eps = args[:5]
    x = _tensor(x, "layer_norm's input")
    _float32(x)
    if x.view or not isinstance(shape, list) or not isinstance(eps, float):
        raise ExportError("layer_norm of a view, or with a shape or eps known only at run time, is not lowered")
    irb = em.irb
    k = len(shape)
    if k > x.rank:
        raise ExportError(f"layer_norm over {k} dimensions of a tensor of rank {x.rank}")
    for d, s in enumerate(shape):
        em.check(eq(irb, x.sizes[x.rank - k + d], s), "MTJ_ERR_SIZE",
                 f"layer_norm over [{', '.join(map(str, shape))}] of an input of size %lld at dimension "
                 f"{x.rank - k + d}", x.sizes[x.rank - k + d])
    affine = [_tensor(t, "layer_norm's weight or bias") if t is not None else None for t in (weight, bias)]
    for t in affine:
        if t is not None and (t.rank != k or t.view):
            raise ExportError("layer_norm's weight and bias must be contiguous tensors of normalized_shape")
    out = em.buffer("float32", x.sizes)
    if not em.running:
        return [out]
    width = product(irb, shape)
    rows = div(irb, product(irb, x.sizes), width) if width else 0
    total = em.local(F64)

    def mean(row: ir.Value, term: Any) -> ir.Value:
        irb.store(ir.Constant(F64, 0.0), total)
        with for_range(irb, 0, width) as i:
            irb.store(irb.fadd(irb.load(total), irb.fpext(term(irb.load(irb.gep(row, [i]))), F64)), total)
        return irb.fptrunc(irb.fdiv(irb.load(total), ir.Constant(F64, float(width))), F32)

    sqrt = em.module.declare_intrinsic("llvm.sqrt", [F32])
    with for_range(irb, 0, rows) as r:
        start = value(irb, mul(irb, r, width))
        src, dst = irb.gep(x.ptr, [start]), irb.gep(out.ptr, [start])
        m = mean(src, lambda v: v)
        var = mean(src, lambda v: irb.fmul(irb.fsub(v, m), irb.fsub(v, m)))
        scale = irb.call(sqrt, [irb.fadd(var, ir.Constant(F32, eps))])
        with for_range(irb, 0, width) as i:
            y = irb.fdiv(irb.fsub(irb.load(irb.gep(src, [i])), m), scale)
            if affine[0] is not None:
                y = irb.fmul(y, irb.load(irb.gep(affine[0].ptr, [i])))
            if affine[1] is not None:
                y = irb.fadd(y, irb.load(irb.gep(affine[1].ptr, [i])))
            irb.store(y, irb.gep(dst, [i]))
    return [out]


@lowering("aten::embedding")
def embedding(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    index, weight = _tensor(args[0], "embedding's indices"), _tensor(args[1], "embedding's weight")
    if index.dtype not in ("int64", "int32") or index.view or weight.rank != 2:
        raise ExportError("embedding is lowered for contiguous integer indices and a matrix of rows only")
    irb = em.irb
    rows, width = weight.sizes
    out = em.buffer(weight.dtype, [*index.sizes, width])
    if not em.running:
        return [out]
    n = value(irb, product(irb, index.sizes))
    with for_range(irb, 0, n) as i:
        at = irb.load(irb.gep(index.ptr, [i]))
        at = irb.sext(at, I64) if index.dtype == "int32" else at
        em.check(irb.and_(irb.icmp_signed(">=", at, ir.Constant(I64, 0)), irb.icmp_signed("<", at, value(irb, rows))),
                 "MTJ_ERR_VALUE", "index %lld is out of range for %lld rows", at, rows, always=True)
        row = RT(weight.dtype, [width], [weight.strides[1]],
                 irb.gep(weight.ptr, [irb.mul(at, value(irb, weight.strides[0]))]), view=True)
        copy_into(em, row, irb.gep(out.ptr, [irb.mul(i, value(irb, width))]))
    return [out]

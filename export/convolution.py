"""Convolution and pooling of (N, C, H, W) float32 tensors in an exported library.

conv2d unfolds each image into scratch memory (im2col: one row per input channel and
kernel position, one column per output position; zeros where the window reaches into the
padding) and multiplies the weight, seen as an (O, C*KH*KW) matrix, by it with the GEMM:
the product is the image's (O, OH*OW) output in place. max_pool2d takes the max over each
window, NaN winning, padding counting as -inf (as the eager kernel).
"""
from __future__ import annotations

from typing import Any, List, Tuple

from llvmlite import ir

from minitorch_jit.codegen.llvm.builder import F32
from minitorch_jit.ir.graph import Node

from .emitter import RT, Emitter
from .gemm import gemm_function
from .loops import Size, add, div, eq, for_nest, for_range, mul, value
from .ops import _float32, _tensor, lowering
from .prepare import ExportError


def _pair(v: Any, what: str) -> Tuple[int, int]:
    if isinstance(v, int):
        return v, v
    if isinstance(v, (list, tuple)) and len(v) in (1, 2) and all(isinstance(x, int) for x in v):
        return (v[0], v[0]) if len(v) == 1 else (v[0], v[1])
    raise ExportError(f"{what} must be known at export, got {v!r}")


def _out_size(em: Emitter, size: Size, kernel: int, stride: int, pad: int, dilation: int) -> Size:
    irb = em.irb
    span = add(irb, size, 2 * pad - dilation * (kernel - 1) - 1)
    if isinstance(span, int):
        if span < 0:
            raise ExportError(f"an input of size {size} is smaller than the kernel")
    else:
        em.check(irb.icmp_signed(">=", span, value(irb, 0)), "MTJ_ERR_SIZE",
                 f"an input of size %lld is smaller than the kernel ({kernel}, dilation {dilation}, padding {pad})",
                 size)
    return add(irb, div(irb, span, stride), 1)


def _image(x: RT) -> RT:
    if x.rank != 4:
        raise ExportError(f"only 4-d (N, C, H, W) inputs are lowered, got rank {x.rank}")
    if x.view:
        raise ExportError("a view as a convolution's or pooling's input is not lowered")
    _float32(x)
    return x


def _window(irb: ir.IRBuilder, x: RT, n: ir.Value, c: ir.Value, ih: ir.Value, iw: ir.Value,
            fill: float) -> ir.Value:
    """x[n, c, ih, iw], or ``fill`` outside the image (never loading from there)."""
    zero = ir.Constant(ir.IntType(64), 0)
    inside = irb.and_(irb.and_(irb.icmp_signed(">=", ih, zero), irb.icmp_signed("<", ih, value(irb, x.sizes[2]))),
                      irb.and_(irb.icmp_signed(">=", iw, zero), irb.icmp_signed("<", iw, value(irb, x.sizes[3]))))
    offset: Size = 0
    for i, s in zip((n, c, irb.select(inside, ih, zero), irb.select(inside, iw, zero)), x.strides):
        offset = add(irb, offset, mul(irb, i, s))
    return irb.select(inside, irb.load(irb.gep(x.ptr, [value(irb, offset)])), ir.Constant(F32, fill))


@lowering("aten::conv2d")
def conv2d(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x, w, bias = _image(_tensor(args[0], "conv2d's input")), _tensor(args[1], "conv2d's weight"), args[2]
    (sh, sw), (ph, pw), (dh, dw) = (_pair(a, n) for a, n in zip(args[3:6], ("stride", "padding", "dilation")))
    if args[6] != 1:
        raise ExportError("grouped convolution is not lowered")
    if w.rank != 4 or w.view or not all(isinstance(s, int) for s in w.sizes[2:]):
        raise ExportError("conv2d's weight must be a contiguous (O, C, KH, KW) tensor of known kernel size")
    _float32(w)
    irb = em.irb
    o, c, kh, kw = w.sizes
    assert isinstance(kh, int) and isinstance(kw, int)
    em.check(eq(irb, x.sizes[1], c), "MTJ_ERR_SIZE", "an input of %lld channels, the weight takes %lld",
             x.sizes[1], c)
    if bias is not None:
        bias = _tensor(bias, "conv2d's bias")
        em.check(eq(irb, bias.sizes[0], o), "MTJ_ERR_SIZE", "a bias of %lld elements for %lld channels",
                 bias.sizes[0], o)
    oh = _out_size(em, x.sizes[2], kh, sh, ph, dh)
    ow = _out_size(em, x.sizes[3], kw, sw, pw, dw)
    out = em.buffer("float32", [x.sizes[0], o, oh, ow])
    rows = mul(irb, c, kh * kw)
    positions = mul(irb, oh, ow)
    col = em.scratch(mul(irb, mul(irb, rows, positions), 4))
    if not em.running:
        return [out]
    cols = irb.bitcast(col, F32.as_pointer())
    gemm = gemm_function(em.module)
    with for_range(irb, 0, x.sizes[0]) as n:
        with for_nest(irb, [c, kh, kw, oh, ow]) as (ci, i, j, y, z):
            ih = irb.add(irb.sub(irb.mul(y, ir.Constant(y.type, sh)), ir.Constant(y.type, ph)),
                         irb.mul(i, ir.Constant(y.type, dh)))
            iw = irb.add(irb.sub(irb.mul(z, ir.Constant(z.type, sw)), ir.Constant(z.type, pw)),
                         irb.mul(j, ir.Constant(z.type, dw)))
            row = add(irb, mul(irb, add(irb, mul(irb, ci, kh), i), kw), j)
            at = add(irb, mul(irb, row, positions), add(irb, mul(irb, y, ow), z))
            irb.store(_window(irb, x, n, ci, ih, iw, 0.0), irb.gep(cols, [value(irb, at)]))
        dst = irb.gep(out.ptr, [irb.mul(n, value(irb, out.strides[0]))])
        irb.call(gemm, [value(irb, o), value(irb, positions), value(irb, rows), w.ptr, value(irb, rows), cols,
                        value(irb, positions), ir.Constant(ir.IntType(64), 1), dst, value(irb, positions)])
        if bias is not None:
            with for_nest(irb, [o, positions]) as (oc, p):
                at = irb.gep(dst, [irb.add(irb.mul(oc, value(irb, positions)), p)])
                b = irb.load(irb.gep(bias.ptr, [irb.mul(oc, value(irb, bias.strides[0]))]))
                irb.store(irb.fadd(irb.load(at), b), at)
    return [out]


@lowering("aten::max_pool2d")
def max_pool2d(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x = _image(_tensor(args[0], "max_pool2d's input"))
    kh, kw = _pair(args[1], "kernel_size")
    (sh, sw) = _pair(args[2], "stride") if args[2] not in ([], ()) else (kh, kw)
    (ph, pw), (dh, dw) = _pair(args[3], "padding"), _pair(args[4], "dilation")
    if args[5] is not False:
        raise ExportError("max_pool2d with ceil_mode is not lowered")
    irb = em.irb
    oh = _out_size(em, x.sizes[2], kh, sh, ph, dh)
    ow = _out_size(em, x.sizes[3], kw, sw, pw, dw)
    out = em.buffer("float32", [x.sizes[0], x.sizes[1], oh, ow])
    if not em.running:
        return [out]
    with for_nest(irb, out.sizes) as (n, c, y, z):
        m = ir.Constant(F32, float("-inf"))
        for i in range(kh):
            for j in range(kw):
                ih = irb.add(irb.mul(y, ir.Constant(y.type, sh)), ir.Constant(y.type, i * dh - ph))
                iw = irb.add(irb.mul(z, ir.Constant(z.type, sw)), ir.Constant(z.type, j * dw - pw))
                v = _window(irb, x, n, c, ih, iw, float("-inf"))
                take = irb.or_(irb.fcmp_ordered(">", v, m), irb.fcmp_unordered("uno", v, v))
                m = irb.select(irb.and_(take, irb.fcmp_ordered("ord", m, m)), v, m)
        at: Size = 0
        for idx, s in zip((n, c, y, z), out.strides):
            at = add(irb, at, mul(irb, idx, s))
        irb.store(m, irb.gep(out.ptr, [value(irb, at)]))
    return [out]

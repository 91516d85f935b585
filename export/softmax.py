"""softmax and log_softmax over the last dimension of a float32 tensor in an exported
library, row by row as the eager kernels compute them: the row's max, the sum of
exp(x - max), then ``e / sum`` or ``(x - max) - log(sum)``. exp and log are the fuser's
vectorizable ones (codegen's math library, within its stated error of numpy's); the sum
runs in order, where numpy's is pairwise."""
from __future__ import annotations

from typing import Any, List

from llvmlite import ir

import minitorch_jit.codegen.llvm.mathlib as mathlib
from minitorch_jit.codegen.llvm.builder import F32, Builder, V
from minitorch_jit.ir.graph import Node

from .emitter import Emitter
from .loops import div, for_range, mul, product, value
from .ops import _dim, _float32, _tensor, lowering
from .prepare import ExportError


@lowering("aten::softmax.int", "aten::log_softmax.int")
def softmax(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x = _tensor(args[0], "softmax's input")
    _float32(x)
    if x.rank == 0 or _dim(args[1], x.rank) != x.rank - 1 or args[2] is not None:
        raise ExportError("softmax is lowered over the last dimension, without a dtype, only")
    if x.view:
        raise ExportError("softmax of a view is not lowered")
    log = node.kind.startswith("aten::log_softmax")
    out = em.buffer("float32", x.sizes)
    if not em.running:
        return [out]
    irb = em.irb
    b = Builder(irb)
    width = x.sizes[-1]
    total = product(irb, x.sizes)
    rows = div(irb, total, width) if not (isinstance(width, int) and width == 0) else 0
    m_slot, s_slot = em.local(F32), em.local(F32)
    with for_range(irb, 0, rows) as r:
        row = value(irb, mul(irb, r, width))
        src, dst = irb.gep(x.ptr, [row]), irb.gep(out.ptr, [row])
        irb.store(ir.Constant(F32, float("-inf")), m_slot)
        with for_range(irb, 0, width) as i:
            v, m = irb.load(irb.gep(src, [i])), irb.load(m_slot)
            take = irb.or_(irb.fcmp_ordered(">", v, m), irb.fcmp_unordered("uno", v, v))
            irb.store(irb.select(irb.and_(take, irb.fcmp_ordered("ord", m, m)), v, m), m_slot)
        m = irb.load(m_slot)
        irb.store(ir.Constant(F32, 0.0), s_slot)
        with for_range(irb, 0, width) as i:
            e = mathlib.call(b, "exp", V(b, irb.fsub(irb.load(irb.gep(src, [i])), m)))
            if not log:
                irb.store(e.v, irb.gep(dst, [i]))
            irb.store(irb.fadd(irb.load(s_slot), e.v), s_slot)
        total_exp = irb.load(s_slot)
        scale = mathlib.call(b, "log", V(b, total_exp)).v if log else total_exp
        with for_range(irb, 0, width) as i:
            if log:
                irb.store(irb.fsub(irb.fsub(irb.load(irb.gep(src, [i])), m), scale), irb.gep(dst, [i]))
            else:
                at = irb.gep(dst, [i])
                irb.store(irb.fdiv(irb.load(at), scale), at)
    return [out]

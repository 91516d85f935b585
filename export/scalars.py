"""Arithmetic on the numbers of a graph (sizes, loop counters) in an exported library, as
Python computes it: on Python numbers at export time where they are known, else in IR
(i64 for ints, double for floats, i1 for bools)."""
from __future__ import annotations

import operator
from typing import Any, Callable, List, Union

from llvmlite import ir

from minitorch_jit.ir.graph import Node

from .emitter import Emitter
from .loops import I1, I64
from .ops import lowering
from .prepare import ExportError

F64 = ir.DoubleType()
Number = Union[int, float, bool, ir.Value]


def _is_float(x: Number) -> bool:
    return isinstance(x, float) or (isinstance(x, ir.Value) and x.type == F64)


def _as(irb: ir.IRBuilder, x: Number, t: ir.Type) -> ir.Value:
    if not isinstance(x, ir.Value):
        return ir.Constant(t, float(x) if t == F64 else int(x))
    if x.type == t:
        return x
    if t == F64:
        return irb.sitofp(x, F64) if x.type == I64 else irb.uitofp(x, F64)
    return irb.zext(x, t)


def _binary(python: Callable[[Any, Any], Any], ints: Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value],
            floats: Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value]) -> Callable[..., List[Any]]:
    def lower(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
        a, b = args
        if not all(isinstance(x, (int, float, ir.Value)) for x in (a, b)):
            raise ExportError(f"arithmetic on {a!r} and {b!r} is not lowered")
        if not isinstance(a, ir.Value) and not isinstance(b, ir.Value):
            return [python(a, b)]
        irb = em.irb
        t = F64 if _is_float(a) or _is_float(b) else I64
        return [(floats if t == F64 else ints)(irb, _as(irb, a, t), _as(irb, b, t))]
    return lower


def _remainder(irb: ir.IRBuilder, a: ir.Value, b: ir.Value) -> ir.Value:
    """Python's: the result takes the sign of the divisor."""
    r = irb.srem(a, b)
    fix = irb.and_(irb.icmp_signed("!=", r, ir.Constant(I64, 0)),
                   irb.icmp_signed("!=", irb.icmp_signed("<", r, ir.Constant(I64, 0)),
                                   irb.icmp_signed("<", b, ir.Constant(I64, 0))))
    return irb.select(fix, irb.add(r, b), r)


lowering("aten::add.num", "aten::add.int")(_binary(operator.add, ir.IRBuilder.add, ir.IRBuilder.fadd))
lowering("aten::sub.num", "aten::sub.int")(_binary(operator.sub, ir.IRBuilder.sub, ir.IRBuilder.fsub))
lowering("aten::mul.num", "aten::mul.int")(_binary(operator.mul, ir.IRBuilder.mul, ir.IRBuilder.fmul))
lowering("aten::div.num", "aten::div.int")(_binary(
    operator.truediv, lambda irb, a, b: irb.fdiv(irb.sitofp(a, F64), irb.sitofp(b, F64)), ir.IRBuilder.fdiv))
lowering("aten::eq.num", "aten::eq.int")(_binary(
    operator.eq, lambda irb, a, b: irb.icmp_signed("==", a, b), lambda irb, a, b: irb.fcmp_ordered("==", a, b)))
lowering("aten::lt.num", "aten::lt.int")(_binary(
    operator.lt, lambda irb, a, b: irb.icmp_signed("<", a, b), lambda irb, a, b: irb.fcmp_ordered("<", a, b)))


@lowering("aten::remainder.num", "aten::remainder.int")
def remainder(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    a, b = args
    if _is_float(a) or _is_float(b):
        raise ExportError("remainder of floats is not lowered")
    if isinstance(b, int) and b == 0:
        raise ExportError("integer remainder by zero")
    if isinstance(a, int) and isinstance(b, int):
        return [a % b]
    if not isinstance(b, int):
        em.check(em.irb.icmp_signed("!=", b, ir.Constant(I64, 0)), "MTJ_ERR_VALUE", "integer remainder by zero")
    return [_remainder(em.irb, _as(em.irb, a, I64), _as(em.irb, b, I64))]


@lowering("aten::Int.num", "aten::Int.float")
def to_int(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x = args[0]
    if not isinstance(x, ir.Value):
        return [int(x)]
    return [em.irb.fptosi(x, I64) if x.type == F64 else _as(em.irb, x, I64) if x.type == I1 else x]

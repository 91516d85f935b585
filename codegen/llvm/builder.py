"""Typed values over llvmlite's IRBuilder, so lowerings and the math library read as
arithmetic: ``(x - k * LN2_HI) * 0.5`` emits the fsub/fmul it says, constants take the
type of the value they meet, and float intrinsics vectorize (``llvm.fma``, ``llvm.rint``).

Nothing here uses fast-math flags: every operation rounds as IEEE 754 says, so a fused
kernel computes what the eager ops compute, operation by operation.
"""
from __future__ import annotations

from typing import Any, Sequence, Union

from llvmlite import ir

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()

# How each dtype is held in registers; in memory bools are bytes.
REGISTER = {"bool": I1, "int32": I32, "int64": I64, "float32": F32, "float64": F64}
MEMORY = {"bool": I8, "int32": I32, "int64": I64, "float32": F32, "float64": F64}

Operand = Union["V", float, int, bool]


def is_float_type(t: ir.Type) -> bool:
    return isinstance(t, (ir.FloatType, ir.DoubleType))


class V:
    """An LLVM value with operators. Float ops are IEEE (no fast-math); int division is
    signed; comparisons of floats are ordered (false when either side is NaN) unless the
    method says otherwise."""

    __slots__ = ("b", "v")

    def __init__(self, b: "Builder", v: ir.Value):
        self.b = b
        self.v = v

    @property
    def type(self) -> ir.Type:
        return self.v.type

    @property
    def is_float(self) -> bool:
        return is_float_type(self.v.type)

    def _other(self, o: Operand) -> ir.Value:
        return o.v if isinstance(o, V) else self.b.const(self.v.type, o)

    def _bin(self, o: Operand, fop: str, iop: str, swap: bool = False) -> "V":
        a, c = self.v, self._other(o)
        if swap:
            a, c = c, a
        return V(self.b, getattr(self.b.ir, fop if self.is_float else iop)(a, c))

    def __add__(self, o: Operand) -> "V": return self._bin(o, "fadd", "add")
    def __radd__(self, o: Operand) -> "V": return self._bin(o, "fadd", "add", True)
    def __sub__(self, o: Operand) -> "V": return self._bin(o, "fsub", "sub")
    def __rsub__(self, o: Operand) -> "V": return self._bin(o, "fsub", "sub", True)
    def __mul__(self, o: Operand) -> "V": return self._bin(o, "fmul", "mul")
    def __rmul__(self, o: Operand) -> "V": return self._bin(o, "fmul", "mul", True)
    def __truediv__(self, o: Operand) -> "V": return self._bin(o, "fdiv", "sdiv")
    def __rtruediv__(self, o: Operand) -> "V": return self._bin(o, "fdiv", "sdiv", True)
    def __and__(self, o: Operand) -> "V": return self._bin(o, "and_", "and_")
    def __or__(self, o: Operand) -> "V": return self._bin(o, "or_", "or_")
    def __xor__(self, o: Operand) -> "V": return self._bin(o, "xor", "xor")
    def __lshift__(self, o: Operand) -> "V": return self._bin(o, "shl", "shl")
    def __rshift__(self, o: Operand) -> "V": return self._bin(o, "ashr", "ashr")

    def srem(self, o: Operand) -> "V":
        return V(self.b, self.b.ir.srem(self.v, self._other(o)))

    def frem(self, o: Operand) -> "V":
        return V(self.b, self.b.ir.frem(self.v, self._other(o)))

    def __neg__(self) -> "V":
        if self.is_float:
            return V(self.b, self.b.ir.fneg(self.v))
        return V(self.b, self.b.ir.neg(self.v))

    def __invert__(self) -> "V":
        return V(self.b, self.b.ir.not_(self.v))

    # comparisons: i1 results
    def compare(self, op: str, o: Operand, unordered: bool = False) -> "V":
        other = self._other(o)
        if self.is_float:
            f = self.b.ir.fcmp_unordered if unordered else self.b.ir.fcmp_ordered
            return V(self.b, f(op, self.v, other))
        return V(self.b, self.b.ir.icmp_signed(op, self.v, other))

    def lt(self, o: Operand) -> "V": return self.compare("<", o)
    def le(self, o: Operand) -> "V": return self.compare("<=", o)
    def gt(self, o: Operand) -> "V": return self.compare(">", o)
    def ge(self, o: Operand) -> "V": return self.compare(">=", o)
    def eq(self, o: Operand) -> "V": return self.compare("==", o)

    def ne(self, o: Operand) -> "V":
        """Not equal; for floats unordered, so NaN != anything is true (as in numpy)."""
        return self.compare("!=", o, unordered=True)

    def isnan(self) -> "V":
        return V(self.b, self.b.ir.fcmp_unordered("uno", self.v, self.v))


class Builder:
    """Wraps an ``ir.IRBuilder`` positioned in a function of ``module``."""

    def __init__(self, builder: ir.IRBuilder):
        self.ir = builder
        self.module: ir.Module = builder.module

    def const(self, t: ir.Type, value: Any) -> ir.Value:
        if is_float_type(t):
            return ir.Constant(t, float(value))
        return ir.Constant(t, int(value))

    def c(self, t: ir.Type, value: Any) -> V:
        return V(self, self.const(t, value))

    def wrap(self, v: ir.Value) -> V:
        return V(self, v)

    def select(self, cond: V, a: Operand, b: Operand) -> V:
        t = a.type if isinstance(a, V) else b.type  # type: ignore[union-attr]
        av = a.v if isinstance(a, V) else self.const(t, a)
        bv = b.v if isinstance(b, V) else self.const(t, b)
        return V(self, self.ir.select(cond.v, av, bv))

    def intrinsic(self, name: str, *args: V) -> V:
        t = args[0].type
        fn = self.module.declare_intrinsic(f"llvm.{name}", [t], ir.FunctionType(t, [a.type for a in args]))
        return V(self, self.ir.call(fn, [a.v for a in args]))

    def fabs(self, x: V) -> V: return self.intrinsic("fabs", x)
    def floor(self, x: V) -> V: return self.intrinsic("floor", x)
    def ceil(self, x: V) -> V: return self.intrinsic("ceil", x)
    def trunc(self, x: V) -> V: return self.intrinsic("trunc", x)
    def rint(self, x: V) -> V: return self.intrinsic("rint", x)  # round half to even
    def sqrt(self, x: V) -> V: return self.intrinsic("sqrt", x)
    def copysign(self, x: V, s: V) -> V: return self.intrinsic("copysign", x, s)

    def fma(self, a: V, b: Operand, c: Operand) -> V:
        """a * b + c with one rounding."""
        bb = b if isinstance(b, V) else self.c(a.type, b)
        cc = c if isinstance(c, V) else self.c(a.type, c)
        return self.intrinsic("fma", a, bb, cc)

    def poly(self, x: V, coeffs: Sequence[float]) -> V:
        """c0 + c1 x + c2 x^2 + ... by Horner's rule with fused multiply-adds."""
        acc = self.c(x.type, coeffs[-1])
        for c in reversed(coeffs[:-1]):
            acc = self.fma(acc, x, c)
        return acc

    # conversions
    def fpext(self, x: V, t: ir.Type) -> V: return V(self, self.ir.fpext(x.v, t))
    def fptrunc(self, x: V, t: ir.Type) -> V: return V(self, self.ir.fptrunc(x.v, t))
    def sitofp(self, x: V, t: ir.Type) -> V: return V(self, self.ir.sitofp(x.v, t))
    def uitofp(self, x: V, t: ir.Type) -> V: return V(self, self.ir.uitofp(x.v, t))
    def fptosi(self, x: V, t: ir.Type) -> V: return V(self, self.ir.fptosi(x.v, t))
    def sext(self, x: V, t: ir.Type) -> V: return V(self, self.ir.sext(x.v, t))
    def zext(self, x: V, t: ir.Type) -> V: return V(self, self.ir.zext(x.v, t))
    def itrunc(self, x: V, t: ir.Type) -> V: return V(self, self.ir.trunc(x.v, t))
    def bitcast(self, x: V, t: ir.Type) -> V: return V(self, self.ir.bitcast(x.v, t))

"""Transcendental functions written in LLVM IR, so loops that use them vectorize.

Every function is computed in double precision by range reduction and a polynomial, with
selects instead of branches (a loop with branches or libm calls does not vectorize). The
float32 versions extend their argument to double, run the same algorithm with polynomials
of lower degree (still accurate to about 2^-30), and round once to float32, so they are
correctly rounded in nearly every case.

Accuracy: maximum error in ulps of the result against references computed in higher
precision, as tests/test_mathlib.py measures it on millions of values across the whole range
(including 0, -0, +-inf, NaN, subnormals and the overflow and underflow boundaries); the
bound stated is what the tests assert.

=========  ===================================  ==================================
function   float32 (measured; asserted bound)   float64 (measured; asserted bound)
=========  ===================================  ==================================
exp        0.503; 1                             0.86; 1.5
expm1      0.500; 1                             1.9; 2.5
log        0.500; 1                             0.80; 1.5
log1p      0.500; 1                             0.79; 1.5
tanh       0.500; 1                             2.4; 3
sigmoid    0.502; 1                             2.5; 3
erf        0.500; 1                             2.0; 2.5
pow        0.500; 1                             libm ``pow``
sin, cos   libm ``sinf``/``cosf``               libm ``sin``/``cos``
=========  ===================================  ==================================

sin and cos call libm (``llvm.sin``/``llvm.cos``) because their argument reduction over the
whole range (Payne-Hanek) is not written here yet, and float64 pow calls libm because its
double-double logarithm is not either: loops containing them are correct but stay scalar.
Special values follow C99 (and numpy): NaN in gives NaN out, exp(-inf) = 0, log(0) = -inf,
log(-1) = NaN, tanh(+-inf) = +-1, erf(+-inf) = +-1, pow(x, 0) = 1, and so on.

Polynomials are Taylor series, whose coefficients are computed here exactly, except two
fits of erf (see tools/fit_coefficients.py).
"""
from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import Callable, Dict, List

from llvmlite import ir

from .builder import F32, F64, I32, I64, Builder, V

getcontext().prec = 60
_LN2 = Decimal("0.693147180559945309417232121458176568075500134360255254120680")
# ln 2 in two parts: the high part has 21 trailing zero bits, so k * LN2_HI is exact for
# the |k| <= 1100 exp needs, and x - k * LN2_HI is exact near k ln 2.
LN2_HI = float.fromhex("0x1.62e42fee00000p-1")
LN2_LO = float(_LN2 - Decimal(LN2_HI))
INV_LN2 = 1.4426950408889634
SQRT2 = math.sqrt(2.0)
TWO_OVER_SQRT_PI = 1.1283791670955126

# erf on [1, 2] in u = a - 1.5, and exp(a^2) erfc(a) on [2, 6] in t = 1/a: fits from
# tools/fit_coefficients.py (measured relative errors 1.1e-16 and 2.9e-16).
ERF_MID = (0.9661051464753108, 0.11893028922362937, -0.17839543383544407, 0.13875200409423427,
           -0.04459885845886102, -0.014866286152953656, 0.01932617199883977, -0.004743053201181193,
           -0.002362677620737122, 0.0017098195516060358, -9.291428846018159e-05, -0.0002544483937281704,
           7.769002091425329e-05, 1.795528479503738e-05, -1.409239894578532e-05, 5.954217304117869e-07,
           1.53247221387064e-06, -3.360059100295138e-07, -1.0426224512690827e-07, 4.9580697866286415e-08,
           2.4583003708865067e-09, -4.3798494441915205e-09, 3.495247251751202e-10)
ERFCX_TAIL = (-8.462943599846682e-09, 0.5641901423813941, -1.7283852262768e-05, -0.28176245509073133,
              -0.004444565385060615, 0.46692815842354607, -0.32789257558303186, 0.8369705893749665,
              -8.46097120088246, 32.45658724396562, -71.19277697160076, 97.51314396825634,
              -70.85113290766924, -16.68173087408294, 111.19996528486769, -142.14487198023062,
              100.00912286985941, -39.67073736540733, 7.000124186360799)


def _taylor(term: Callable[[int], Fraction], n: int) -> List[float]:
    return [float(term(i)) for i in range(n)]


# Degrees: (float32 results, float64 results). |r| <= ln2/2 for exp and expm1, s^2 <= 0.0295
# for log, |a| <= 1 for erf.
EXP = {p: _taylor(lambda i: Fraction(1, math.factorial(i)), n) for p, n in ((32, 9), (64, 15))}
EXPM1 = {p: _taylor(lambda i: Fraction(1, math.factorial(i + 1)), n) for p, n in ((32, 9), (64, 14))}
LOG_R = {p: _taylor(lambda i: Fraction(2, 2 * i + 3), n) for p, n in ((32, 5), (64, 11))}
ERF_SMALL = {p: _taylor(lambda i: Fraction((-1) ** i, math.factorial(i) * (2 * i + 1)) *
                        Fraction(TWO_OVER_SQRT_PI), n) for p, n in ((32, 12), (64, 19))}


# ---------------------------------------------------------------------------------------------
# the algorithms, on doubles; ``p`` is the precision of the result (32 or 64)


def _scale(b: Builder, y: V, k: V) -> V:
    """y * 2^k for an integral double k in [-1080, 1080], in two exact steps so that
    subnormal and overflowing results are rounded once."""
    # via i32: AVX2 converts vectors of doubles to i32, not to i64
    ki = b.sext(b.fptosi(k, I32), I64)
    k1 = ki >> 1
    k2 = ki - k1
    s1 = b.bitcast((k1 + 1023) << 52, F64)
    s2 = b.bitcast((k2 + 1023) << 52, F64)
    return y * s1 * s2


def _reduce_ln2(b: Builder, x: V) -> tuple:
    """k and r with x = k ln2 + r, |r| <= ln2/2 (x finite and |x| < 1100)."""
    k = b.rint(x * INV_LN2)
    r = (x - k * LN2_HI) - k * LN2_LO
    return k, r


def _no_nan(b: Builder, x: V) -> V:
    """x, with NaN replaced by 0: float-to-int conversions of NaN are undefined."""
    return b.select(x.isnan(), b.c(F64, 0.0), x)


def exp(b: Builder, x: V, p: int) -> V:
    xc = _no_nan(b, x)
    xc = b.select(xc.gt(710.0), b.c(F64, 710.0), b.select(xc.lt(-746.0), b.c(F64, -746.0), xc))
    k, r = _reduce_ln2(b, xc)
    y = _scale(b, b.poly(r, EXP[p]), k)
    return b.select(x.isnan(), x, y)


def expm1(b: Builder, x: V, p: int) -> V:
    xc = _no_nan(b, x)
    xc = b.select(xc.gt(40.0), b.c(F64, 40.0), b.select(xc.lt(-40.0), b.c(F64, -40.0), xc))
    k, r = _reduce_ln2(b, xc)
    em = r + r * r * b.poly(r, EXPM1[p][1:])   # e^r - 1, exact for r = x when k = 0
    t = _scale(b, b.c(F64, 1.0), k)
    y = b.fma(t, em, t - 1.0)                 # 2^k (e^r - 1) + (2^k - 1)
    y = b.select(x.gt(40.0), exp(b, x, p), b.select(x.lt(-40.0), b.c(F64, -1.0), y))
    return b.select(x.isnan() | x.eq(0.0), x, y)  # expm1(-0) is -0


def _log_parts(b: Builder, u: V) -> tuple:
    """For finite u > 0: k and f with u = 2^k (1 + f), sqrt(1/2) <= 1 + f < sqrt(2)."""
    sub = u.lt(2.2250738585072014e-308)
    u = b.select(sub, u * 18014398509481984.0, u)  # 2^54: subnormals become normal
    bits = b.bitcast(u, I64)
    e = (bits >> 52) - 1023 - b.select(sub, b.c(I64, 54), b.c(I64, 0))
    m = b.bitcast((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000, F64)
    big = m.gt(SQRT2)
    m = b.select(big, m * 0.5, m)
    e = e + b.select(big, b.c(I64, 1), b.c(I64, 0))
    return b.sitofp(b.itrunc(e, I32), F64), m - 1.0  # i32: AVX2 has no i64 -> double


def _log1pf(b: Builder, k: V, f: V, c: V, p: int) -> V:
    """k ln2 + log(1 + f) + c, as fdlibm arranges the sum to keep its rounding small."""
    s = f / (f + 2.0)
    z = s * s
    r = z * b.poly(z, LOG_R[p])
    hfsq = 0.5 * f * f
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + (k * LN2_LO + c))) - f)


def log(b: Builder, x: V, p: int) -> V:
    k, f = _log_parts(b, x)
    y = _log1pf(b, k, f, b.c(F64, 0.0), p)
    y = b.select(x.eq(0.0), b.c(F64, -math.inf), y)
    y = b.select(x.lt(0.0), b.c(F64, math.nan), y)
    return b.select(x.eq(math.inf) | x.isnan(), x, y)


def log1p(b: Builder, x: V, p: int) -> V:
    u = 1.0 + x
    k, f = _log_parts(b, b.select(u.gt(0.0) & u.lt(math.inf), u, b.c(F64, 1.0)))
    # the rounding error of 1 + x, relative to u
    c = b.select(u.ge(2.0), 1.0 - (u - x), x - (u - 1.0)) / u
    y = _log1pf(b, k, f, c, p)
    y = b.select(x.eq(-1.0), b.c(F64, -math.inf), y)
    y = b.select(x.lt(-1.0), b.c(F64, math.nan), y)
    return b.select(x.eq(math.inf) | x.isnan() | x.eq(0.0), x, y)  # log1p(-0) is -0


def tanh(b: Builder, x: V, p: int) -> V:
    a = b.fabs(x)
    t = expm1(b, 2.0 * b.select(a.gt(20.0), b.c(F64, 20.0), a), p)
    y = b.select(a.gt(20.0), b.c(F64, 1.0), t / (t + 2.0))
    return b.select(x.isnan(), x, b.copysign(y, x))


def sigmoid(b: Builder, x: V, p: int) -> V:
    e = exp(b, -b.fabs(x), p)  # never overflows, so sigmoid(-720) is a subnormal, not 0
    s = 1.0 / (1.0 + e)
    return b.select(x.lt(0.0), e * s, s)


def erf(b: Builder, x: V, p: int) -> V:
    a = b.fabs(x)
    small = a * b.poly(a * a, ERF_SMALL[p])
    mid = b.poly(a - 1.5, ERF_MID)
    ac = b.select(a.lt(2.0), b.c(F64, 2.0), b.select(a.gt(6.0), b.c(F64, 6.0), a))
    tail = 1.0 - exp(b, -(ac * ac), 64) * b.poly(1.0 / ac, ERFCX_TAIL)
    y = b.select(a.lt(1.0), small, b.select(a.lt(2.0), mid, b.select(a.lt(6.0), tail, b.c(F64, 1.0))))
    return b.select(x.isnan(), x, b.copysign(y, x))


def _is_odd_integer(b: Builder, y: V) -> V:
    half = y * 0.5
    return b.floor(y).eq(y) & b.floor(half).ne(half) & b.fabs(y).lt(9007199254740992.0)


def pow32(b: Builder, x: V, y: V) -> V:
    """pow for float32 arguments extended to double: exp(y log|x|) in double has a relative
    error below 2^-45 wherever the float32 result is finite, then C99's special cases."""
    ax = b.fabs(x)
    r = exp(b, y * log(b, ax, 64), 64)
    integer = b.floor(y).eq(y)
    odd = _is_odd_integer(b, y)
    r = b.select(x.lt(0.0) & odd, -r, r)
    # a negative finite base to a non-integral finite power has no real value
    negative_finite = x.lt(0.0) & x.gt(-math.inf)
    r = b.select(negative_finite & ~integer & b.fabs(y).lt(math.inf), b.c(F64, math.nan), r)
    r = b.select(x.eq(0.0) & odd, b.copysign(r, x), r)  # pow(-0, odd) keeps the sign
    r = b.select(x.eq(1.0) | (x.eq(-1.0) & b.fabs(y).eq(math.inf)), b.c(F64, 1.0), r)
    return b.select(y.eq(0.0), b.c(F64, 1.0), r)


def int_pow(b: Builder, x: V, y: V) -> V:
    """x ** y for integers, wrapping like numpy, by square-and-multiply over every bit of y
    (a fixed number of steps, so it vectorizes). Negative y gives 0 here; the caller
    reports it as an error."""
    bits = x.type.width
    result = b.c(x.type, 1)
    e = b.select(y.lt(0), b.c(y.type, 0), y)
    base = x
    for _ in range(bits - 1):
        result = b.select((e & 1).ne(0), result * base, result)
        base = base * base
        e = V(b, b.ir.lshr(e.v, b.const(e.type, 1)))
    return result


# ---------------------------------------------------------------------------------------------
# functions in the module

_ALGORITHMS: Dict[str, Callable[..., V]] = {
    "exp": exp, "expm1": expm1, "log": log, "log1p": log1p, "tanh": tanh, "sigmoid": sigmoid, "erf": erf,
}
_LIBM = {"sin", "cos"}


def call(b: Builder, name: str, *args: V) -> V:
    """Call math function ``name`` on float32 or float64 values, defining it in the module
    (internal, always inlined into the loop) on first use."""
    t = args[0].type
    if name in _LIBM or (name == "pow" and t == F64):
        return b.intrinsic(name, *args)
    suffix = "f32" if t == F32 else "f64"
    fname = f"mtj.{name}.{suffix}"
    fn = b.module.globals.get(fname)
    if fn is None:
        fn = _define(b.module, fname, name, t, len(args))
    return V(b, b.ir.call(fn, [a.v for a in args]))


def _define(module: ir.Module, fname: str, name: str, t: ir.Type, arity: int) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(t, [t] * arity), fname)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fb = Builder(ir.IRBuilder(fn.append_basic_block("entry")))
    args = [V(fb, a) for a in fn.args]
    if t == F32:
        wide = [fb.fpext(a, F64) for a in args]
        r = pow32(fb, *wide) if name == "pow" else _ALGORITHMS[name](fb, wide[0], 32)
        r = fb.fptrunc(r, F32)
    else:
        r = _ALGORITHMS[name](fb, args[0], 64)
    fb.ir.ret(r.v)
    return fn

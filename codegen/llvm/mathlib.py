"""Transcendental functions written in LLVM IR, so loops that use them vectorize.

Every function is a range reduction and a polynomial with selects instead of branches (a
loop with branches or libm calls does not vectorize), computed in the precision of its
argument: float32 functions use float32 arithmetic, so vector loops over float32 carry twice
as many lanes as over float64 (8 in a ymm register). The only exception is float32 ``pow``,
which runs in double (``exp(y log|x|)`` there is accurate enough to round correctly).

Accuracy: maximum error in ulps of the result against references computed in higher
precision, as tests/test_mathlib.py measures it on millions of values across the whole range
(including 0, -0, +-inf, NaN, subnormals and the overflow and underflow boundaries, and for
sin and cos the floats nearest to multiples of pi/2); the bound is what the tests assert.

=========  ===================================  ==================================
function   float32 (measured; asserted bound)   float64 (measured; asserted bound)
=========  ===================================  ==================================
exp        0.92; 1                              0.85; 1.5
expm1      1.42; 1.5                            1.95; 2.5
log        0.82; 1                              0.82; 1.5
log1p      0.85; 1                              0.82; 1.5
tanh       1.26; 2                              1.83; 3
sigmoid    2.40; 2.5                            2.28; 2.5
erf        0.97; 1.5                            2.0; 2.5
sin, cos   0.78; 1                              0.78; 1
pow        0.50; 1                              0.99; 1.5
=========  ===================================  ==================================

sin and cos reduce their argument by pi/2 with Cody-Waite: k = rint(x 2/pi) and
r = x - k pi/2 with pi/2 split in three parts (72 bits in float32, 159 in float64) and the
first subtraction done exactly by a fused multiply-add, r kept as a pair of floats. That is
accurate for |x| up to :data:`TRIG_LIMIT` (2^16 for float32, 2^30 for float64). Larger
finite arguments take a slower path inside the same kernel: the vectorized loop over a row
also notes whether any element was beyond the limit, and if one was, the kernel runs that
row again in a scalar loop that computes those elements with libm's ``sinf``/``sin`` (which
reduces exactly, Payne-Hanek) and every other element exactly as the vector loop did (see
:func:`beyond_reach`; codegen/llvm/kernel.py runs the two loops).

float64 pow computes log|x| as a double-double (about 2^-66 relative error), multiplies it by
y keeping the product's low part, and passes that low part to exp's reduced argument.

Special values follow C99 (and numpy): NaN in gives NaN out, exp(-inf) = 0, log(0) = -inf,
log(-1) = NaN, tanh(+-inf) = +-1, erf(+-inf) = +-1, sin(inf) = NaN, pow(x, 0) = 1, and so on.

Polynomials are Taylor series, whose coefficients are computed here exactly, except the
fits (near minimax) printed by tools/fit_coefficients.py.
"""
from __future__ import annotations

import contextlib
import math
import struct
from dataclasses import dataclass
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from llvmlite import ir

from .builder import F32, F64, I32, I64, Builder, V

getcontext().prec = 80
_LN2 = Decimal("0.693147180559945309417232121458176568075500134360255254120680")
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899863")
INV_LN2 = 1.4426950408889634
SQRT2 = math.sqrt(2.0)
TWO_OVER_PI = 0.6366197723675814
TWO_OVER_SQRT_PI = 1.1283791670955126


def _split(x: Decimal, parts: int, rounding: Callable[[float], float]) -> Tuple[float, ...]:
    """x as a sum of ``parts`` floats, each the rounding of what the previous ones left."""
    out: List[float] = []
    for _ in range(parts):
        out.append(rounding(float(x - sum(Decimal(p) for p in out))))
    return tuple(out)


def _to_float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


@dataclass(frozen=True)
class Format:
    """What the algorithms need to know of a float type."""
    bits: int
    ftype: ir.Type
    itype: ir.Type           # the integer type of the same width
    mantissa: int            # explicit mantissa bits
    bias: int
    tiny: float              # smallest normal number
    exp_range: Tuple[float, float]  # exp's argument is clamped to this (its results are 0 and inf beyond)
    expm1_limit: float       # beyond +-this, expm1 is exp(x) or -1 in this precision
    ln2: Tuple[float, float]  # ln 2 = hi + lo, hi with trailing zero bits: k hi is exact
    pio2: Tuple[float, float, float]  # pi/2 = p1 + p2 + p3 (each the rounding of the rest)
    trig_limit: float        # |x| up to which sin and cos reduce their argument here


FORMATS = {
    32: Format(32, F32, I32, 23, 127, 1.1754943508222875e-38, (-104.0, 89.0), 20.0,
               # 0.693359375 has 9 significant bits: k hi is exact for |k| < 2^15
               (0.693359375, _to_float32(float(_LN2 - Decimal(0.693359375)))),
               _split(_PI / 2, 3, _to_float32), 65536.0),
    64: Format(64, F64, I64, 52, 1023, 2.2250738585072014e-308, (-746.0, 710.0), 40.0,
               # the high part has 21 trailing zero bits: k hi is exact for |k| <= 1100
               (float.fromhex("0x1.62e42fee00000p-1"), float(_LN2 - Decimal(float.fromhex("0x1.62e42fee00000p-1")))),
               _split(_PI / 2, 3, float), 1073741824.0),
}
TRIG_LIMIT = {bits: f.trig_limit for bits, f in FORMATS.items()}


def _format(x: V) -> Format:
    return FORMATS[32 if x.type == F32 else 64]


def _taylor(term: Callable[[int], Fraction], n: int) -> List[float]:
    return [float(term(i)) for i in range(n)]


# Taylor series, by precision. |r| <= ln2/2 for exp and expm1, s^2 <= 0.0295 for log.
EXP = {p: _taylor(lambda i: Fraction(1, math.factorial(i)), n) for p, n in ((32, 8), (64, 15))}
EXPM1 = {p: _taylor(lambda i: Fraction(1, math.factorial(i + 2)), n) for p, n in ((32, 7), (64, 13))}
LOG_R = {p: _taylor(lambda i: Fraction(2, 2 * i + 3), n) for p, n in ((32, 5), (64, 11))}
ERF_SMALL64 = _taylor(lambda i: Fraction((-1) ** i, math.factorial(i) * (2 * i + 1)) * Fraction(TWO_OVER_SQRT_PI), 19)

# Fits from tools/fit_coefficients.py (see there for the measured errors).
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
TANH32_SMALL = (-0.3333333432674408, 0.13333304226398468, -0.053959257900714874, 0.02176891826093197,
                -0.008343945257365704, 0.002292744815349579)
TANH32_NEAR0 = (-0.33333319425582886, 0.13332055509090424, -0.053755298256874084, 0.020595870912075043,
                -0.005577822215855122)
EXP2X32 = (1.0, 2.0, 2.0, 1.333312749862671, 0.6666615009307861, 0.26801955699920654, 0.08922696858644485)
EXPNEG32 = (1.0, -1.0, 0.5, -0.16666412353515625, 0.04166634753346443, -0.00837536808103323, 0.0013941411161795259)
ERF32_SMALL = (0.12837916612625122, -0.3761262595653534, 0.11283594369888306, -0.02685421146452427,
               0.005189087241888046, -0.000801686430349946, 7.875874871388078e-05)
ERFC32_MID = (0.013328328728675842, -0.052774980664253235, 0.09235620498657227, -0.0901578813791275,
              0.04810353368520737, -0.006618595216423273, -0.008976282551884651, 0.0060370382852852345,
              -0.0006756556686013937, -0.0008625054033473134, 0.00034371743095107377)
ERFC32_TAIL = (4.3027434912801255e-06, -2.918863538070582e-05, 9.486733324592933e-05, -0.0001958443463081494,
               0.00028654205380007625, -0.0003133083810098469, 0.00026349443942308426, -0.00017238323925994337,
               8.248884842032567e-05, -2.1247562472126447e-05)
SIN = {32: (-0.1666666716337204, 0.008333331905305386, -0.00019840025925077498, 2.7242092528467765e-06),
       64: (-0.16666666666666663, 0.008333333333330627, -0.00019841269836278898, 2.755731585691312e-06,
            -2.5051081300319015e-08, 1.5914533820346306e-10)}
COS = {32: (0.0416666679084301, -0.00138888880610466, 2.480054899933748e-05, -2.7294422011436836e-07),
       64: (0.041666666666666664, -0.0013888888888887196, 2.4801587298465612e-05, -2.7557317118060557e-07,
            2.0876114647930045e-09, -1.1380383100821594e-11)}


# ---------------------------------------------------------------------------------------------
# building blocks


def _scale(b: Builder, y: V, k: V, steps: int = 2) -> V:
    """y * 2^k for an integral k (a float). In two exact steps by default, so that k may span
    the exponent range plus the mantissa and subnormal and overflowing results are rounded
    once; in one step where 2^k is known to be a normal number."""
    f = _format(y)
    ki = b.fptosi(k, I32)  # via i32: AVX2 converts vectors of doubles to i32, not to i64
    if f.bits == 64:
        ki = b.sext(ki, I64)
    parts = [ki] if steps == 1 else [ki >> 1, ki - (ki >> 1)]
    for part in parts:
        y = y * b.bitcast((part + f.bias) << f.mantissa, f.ftype)
    return y


def _reduce_ln2(b: Builder, x: V) -> Tuple[V, V]:
    """k and r with x = k ln2 + r, |r| <= ln2/2 (x finite, within exp's clamp). x - k hi is
    exact; the fused multiply-add rounds r once."""
    hi, lo = _format(x).ln2
    k = b.rint(x * INV_LN2)
    return k, b.fma(k, -lo, b.fma(k, -hi, x))


def _no_nan(b: Builder, x: V) -> V:
    """x, with NaN replaced by 0: float-to-int conversions of NaN are undefined."""
    return b.select(x.isnan(), b.c(x.type, 0.0), x)


def _clamp(b: Builder, x: V, lo: float, hi: float) -> V:
    return b.select(x.gt(hi), b.c(x.type, hi), b.select(x.lt(lo), b.c(x.type, lo), x))


def _two_sum(b: Builder, x: V, y: V) -> Tuple[V, V]:
    """s + e = x + y exactly, s the rounded sum."""
    s = x + y
    bb = s - x
    return s, (x - (s - bb)) + (y - bb)


def _two_prod(b: Builder, x: V, y: V) -> Tuple[V, V]:
    """p + e = x * y exactly, p the rounded product."""
    p = x * y
    return p, b.fma(x, y, -p)


def _rint_by_magic(b: Builder, x: V, scale: float) -> Tuple[V, V]:
    """t and k, k = x * scale rounded to the nearest integer (the product exact, rounded once)
    and t = 1.5 * 2^mantissa + k, for |x * scale| < 2^(mantissa - 1): adding the magic number
    leaves no fraction bits, and k in t's low bits (see :func:`_k_bits`). No conversion to an
    integer (undefined for NaN: here NaN gives NaN), no rint: two instructions."""
    magic = 1.5 * 2.0 ** _format(x).mantissa
    t = b.fma(x, scale, magic)
    return t, t - magic


def _k_bits(b: Builder, t: V) -> V:
    """k << mantissa, the exponent field of 2^k, from t of :func:`_rint_by_magic` (an integer of
    t's width): the magic number's bits are shifted out. Not a number for NaN t."""
    f = _format(t)
    return b.bitcast(t, f.itype) << f.mantissa


# ---------------------------------------------------------------------------------------------
# exp, expm1, log, log1p


def exp(b: Builder, x: V, tail: Optional[V] = None) -> V:
    """e^(x + tail), for a ``tail`` far below x's ulp (pow's low part)."""
    y = _exp_of_number(b, _clamp(b, _no_nan(b, x), *_format(x).exp_range), tail)
    return b.select(x.isnan(), x, y)


def exp_of_shifted(b: Builder, x: V) -> V:
    """e^x for x <= 0 or NaN (``x - max`` over a row: softmax's exps, and the sums of
    log_softmax, logsumexp and nll_loss), within exp's bound where the result is at least
    2^-(bias - 1/2) (2^-126.5 in float32) and 0 below (an absolute error under the smallest
    normal number; e^-inf is 0 exactly).

    It skips what exp spends on arguments that cannot occur here: x is clamped at -bias ln 2
    alone (where 2^k is 0: the flush), k is rounded by adding 1.5 * 2^mantissa, whose bits
    then hold k for the scale (no conversion to an integer, undefined for NaN, and no clamp
    against it: a NaN argument gives a NaN polynomial), and 2^k is one multiply. 15 vector
    instructions an element where exp takes 27."""
    f = _format(x)
    lo = -f.bias * float(_LN2)
    x = b.select(x.lt(lo), b.c(x.type, lo), x)  # NaN stays
    t, k = _rint_by_magic(b, x, INV_LN2)  # k = x / ln 2 rounded to nearest
    hi, low = f.ln2
    r = b.fma(k, -low, b.fma(k, -hi, x))
    biased = _k_bits(b, t) + (f.bias << f.mantissa)  # 2^k's bits, 0 at the clamp
    return b.poly(r, EXP[f.bits]) * b.bitcast(biased, f.ftype)


def _exp_of_number(b: Builder, x: V, tail: Optional[V] = None, steps: int = 2) -> V:
    """e^(x + tail) for x a number within exp's clamp (|x| <= 20 for ``steps`` 1); callers
    that know as much of their argument skip exp's checks."""
    k, r = _reduce_ln2(b, x)
    if tail is not None:
        r = r + tail
    return _scale(b, b.poly(r, EXP[_format(x).bits]), k, steps)


def _expm1_of_number(b: Builder, x: V, steps: int = 2) -> V:
    """e^x - 1 for x a number within +-expm1_limit (where 2^k is normal for ``steps`` 1)."""
    k, r = _reduce_ln2(b, x)
    em = r + r * r * b.poly(r, EXPM1[_format(x).bits])  # e^r - 1, exact for r = x when k = 0
    t = _scale(b, b.c(x.type, 1.0), k, steps)
    return b.fma(t, em, t - 1.0)                  # 2^k (e^r - 1) + (2^k - 1)


def expm1(b: Builder, x: V) -> V:
    limit = _format(x).expm1_limit
    y = _expm1_of_number(b, _clamp(b, _no_nan(b, x), -limit, limit))
    y = b.select(x.gt(limit), exp(b, x), b.select(x.lt(-limit), b.c(x.type, -1.0), y))
    return b.select(x.isnan() | x.eq(0.0), x, y)  # expm1(-0) is -0


def _log_parts(b: Builder, u: V) -> Tuple[V, V]:
    """For finite u > 0: k and m with u = 2^k m, sqrt(1/2) <= m < sqrt(2)."""
    f = _format(u)
    sub = u.lt(f.tiny)
    u = b.select(sub, u * float(2 ** (f.mantissa + 2)), u)  # subnormals become normal
    bits = b.bitcast(u, f.itype)
    e = (bits >> f.mantissa) - f.bias - b.select(sub, b.c(f.itype, f.mantissa + 2), b.c(f.itype, 0))
    one = f.bias << f.mantissa
    m = b.bitcast((bits & ((1 << f.mantissa) - 1)) | one, f.ftype)
    big = m.gt(SQRT2)
    m = b.select(big, m * 0.5, m)
    e = e + b.select(big, b.c(f.itype, 1), b.c(f.itype, 0))
    if f.bits == 64:
        e = b.itrunc(e, I32)  # AVX2 has no i64 -> double
    return b.sitofp(e, f.ftype), m


def _log1pf(b: Builder, k: V, f: V, c: V) -> V:
    """k ln2 + log(1 + f) + c, as fdlibm arranges the sum to keep its rounding small."""
    fmt = _format(f)
    hi, lo = fmt.ln2
    s = f / (f + 2.0)
    z = s * s
    r = z * b.poly(z, LOG_R[fmt.bits])
    hfsq = 0.5 * f * f
    return k * hi - ((hfsq - (s * (hfsq + r) + (k * lo + c))) - f)


def log(b: Builder, x: V) -> V:
    k, m = _log_parts(b, x)
    y = _log1pf(b, k, m - 1.0, b.c(x.type, 0.0))
    y = b.select(x.eq(0.0), b.c(x.type, -math.inf), y)
    y = b.select(x.lt(0.0), b.c(x.type, math.nan), y)
    return b.select(x.eq(math.inf) | x.isnan(), x, y)


def log1p(b: Builder, x: V) -> V:
    u = 1.0 + x
    k, m = _log_parts(b, b.select(u.gt(0.0) & u.lt(math.inf), u, b.c(x.type, 1.0)))
    # the rounding error of 1 + x, relative to u
    c = b.select(u.ge(2.0), 1.0 - (u - x), x - (u - 1.0)) / u
    y = _log1pf(b, k, m - 1.0, c)
    y = b.select(x.eq(-1.0), b.c(x.type, -math.inf), y)
    y = b.select(x.lt(-1.0), b.c(x.type, math.nan), y)
    return b.select(x.eq(math.inf) | x.isnan() | x.eq(0.0), x, y)  # log1p(-0) is -0


# ---------------------------------------------------------------------------------------------
# tanh, sigmoid, erf


# |x| beyond which tanh(x) rounds to +-1 (1 - tanh(x) is below half an ulp of 1)
TANH_SATURATION = {32: 10.0, 64: 20.0}


# float32 tanh: the polynomial below this |x|, 1 - 2 / (e^2|x| + 1) from it (tanh(0.7) = 0.60: the
# quotient's error, relative to 2 / (e^2|x| + 1) <= 0.4, shrinks in the difference)
TANH32_CUT = 0.7


def tanh(b: Builder, x: V) -> V:
    """float32: :func:`_tanh32`; float64: :func:`tanh_expm1`."""
    return _tanh32(b, x) if x.type == F32 else tanh_expm1(b, x)


def _tanh32(b: Builder, x: V) -> V:
    """float32 tanh: x + x^3 p(x^2) for |x| < TANH32_CUT, 1 - 2 / (e^2|x| + 1) beyond, both
    computed and one selected: the loop body of a tanh kernel (AVX-512) is 28 instructions
    where the expm1 form's (:func:`tanh_expm1`, float64's) is 36. A polynomial and e^2|x|
    cost less than expm1 and the correction of its quotient. A rational form x P(x^2) / Q(x^2)
    (one division, no exp; 17 instructions) measured 5.2 ulps in float32 with a 5/4 fit on
    [0, 9.02] whose own error is 1.4e-9: near 1, every rounding of the two Horner sums costs up
    to an ulp. Evaluated in double it is exact enough (0.52 ulp) but 1.7x slower than this.

    e^2|x| = 2^k e^(2s), k = rint(2|x| / ln2) by the magic number (no rint, no conversion),
    s = |x| - k ln2/2 with ln2/2 one float32: its rounding error grows with k as the weight of
    e^2|x|'s error in the result, 2 / (e^2|x| + 1), shrinks (at the clamp, k = 29, the error
    of s is 2.8e-8 and the weight 4e-9). 2^k goes into e^(2s)'s exponent bits by an integer
    add (the result is normal: k <= 29). |x| is clamped at the saturation point, where the
    result rounds to 1.

    NaN: the clamp keeps it and the polynomial returns it (the select takes the polynomial
    unless |x| >= the cut, false for NaN); e^2|x| is not a number there (the integer add), and
    not selected."""
    a = b.fabs(x)
    limit = TANH_SATURATION[32]
    a = b.select(a.gt(limit), b.c(F32, limit), a)
    z = a * a
    near0 = b.fma(a * z, b.poly(z, TANH32_NEAR0), a)
    t, k = _rint_by_magic(b, a, 2.0 / math.log(2.0))
    s = b.fma(k, -_to_float32(math.log(2.0) / 2.0), a)
    e = b.bitcast(b.bitcast(b.poly(s, EXP2X32), I32) + _k_bits(b, t), F32)  # e^2|x|
    y = b.select(a.ge(TANH32_CUT), 1.0 - 2.0 / (e + 1.0), near0)
    return b.copysign(y, x)


def tanh_expm1(b: Builder, x: V) -> V:
    """t / (t + 2) with t = e^2|x| - 1, for every x: one expm1 (whose relative error carries
    over, shrinking as t grows) and one division, with no second branch to compute and
    select from; |x| is held below the saturation point, where the quotient rounds to 1.
    Near 0, t is 2x exactly (no cancellation to fear). float64's tanh; float32's until
    :func:`_tanh32` (``forms(tanh="tanh_expm1")`` builds it, to measure one against the other)."""
    a = b.fabs(x)
    limit = TANH_SATURATION[_format(x).bits]
    t = _expm1_of_number(b, 2.0 * b.select(a.lt(limit), a, b.c(x.type, limit)), steps=1)
    d, d_lo = _two_sum(b, t, b.c(x.type, 2.0))    # t + 2 = d + d_lo exactly
    inv = 1.0 / d
    q = t * inv
    # t / (d + d_lo) = q + (t - q d - q d_lo) / d, the residual t - q d exact by an fma: the
    # rounding of t + 2 alone cost float32 up to 2.3 ulps near 0.03
    y = b.fma(b.fma(-q, d_lo, b.fma(-q, d, t)), inv, q)
    return b.select(x.isnan(), x, b.copysign(y, x))


def tanh_two_branch(b: Builder, x: V) -> V:
    """float32 tanh as minitorch_jit 0.1.0 computed it: a polynomial near 0 and
    1 - 2 / (e^2|x| + 1) beyond, both computed for every element, then one selected. Kept so
    that ``bench`` measures what :func:`tanh` gains in the same run (see :data:`FORMS`)."""
    a = b.fabs(x)
    z = a * a
    small = b.fma(a * z, b.poly(z, TANH32_SMALL), a)
    big = 1.0 - 2.0 / (_exp_of_number(b, 2.0 * b.select(a.lt(10.0), a, b.c(F32, 10.0)), steps=1) + 1.0)
    y = b.select(a.lt(0.625), small, big)
    return b.select(x.isnan(), x, b.copysign(y, x))


def sigmoid(b: Builder, x: V) -> V:
    """float32: :func:`_sigmoid32`; float64: :func:`sigmoid_exp`."""
    return _sigmoid32(b, x) if x.type == F32 else sigmoid_exp(b, x)


def sigmoid_exp(b: Builder, x: V) -> V:
    """1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below: e^-|x| never overflows, so
    sigmoid(-720) is a subnormal double, not 0; one division either way. float64's sigmoid;
    float32's until :func:`_sigmoid32` (``forms(sigmoid="sigmoid_exp")`` builds it)."""
    low = _format(x).exp_range[0]
    t = -b.fabs(x)
    e = _exp_of_number(b, b.select(t.gt(low), t, b.c(x.type, low)))  # NaN becomes `low` here
    y = b.select(x.lt(0.0), e, b.c(x.type, 1.0)) / (1.0 + e)
    return b.select(x.isnan(), x, y)


# float32 sigmoid: |x| is clamped here (sigmoid(-90) = 8e-40; lowering.py gives 0 below -88.72,
# where e^-x overflows, as the eager kernel does)
SIGMOID32_CLAMP = 90.0


def _sigmoid32(b: Builder, x: V) -> V:
    """float32 sigmoid as :func:`sigmoid_exp` with e^-|x| computed scaled by 2^24: 2^(k + 24)
    e^-s, k = rint(-|x| / ln2) by the magic number, s = |x| + k ln2 (Cody-Waite, ln2 in two
    parts: k reaches -130). 2^(k + 24) is a normal number down to the clamp, so one multiply
    scales, and the quotients 2^24 e^-|x| / (2^24 e^-|x| + 2^24) and 2^24 / (...) are
    sigmoid's, a subnormal one rounded once by the division. The loop body of a sigmoid
    kernel (AVX-512) is 22 instructions where the general exp path's was 31; the multiply (not
    an integer add to the exponent bits) keeps NaN a NaN."""
    a = b.fabs(x)
    a = b.select(a.gt(SIGMOID32_CLAMP), b.c(F32, SIGMOID32_CLAMP), a)  # NaN stays
    t, k = _rint_by_magic(b, a, -1.0 / math.log(2.0))
    hi, lo = FORMATS[32].ln2
    s = b.fma(k, lo, b.fma(k, hi, a))
    e = b.poly(s, EXPNEG32) * b.bitcast(_k_bits(b, t) + ((127 + 24) << 23), F32)
    scaled_one = b.c(F32, 2.0 ** 24)
    return b.select(x.lt(0.0), e, scaled_one) / (e + scaled_one)


def erf(b: Builder, x: V) -> V:
    a = b.fabs(x)
    if x.type == F32:
        small = b.fma(a, b.poly(a * a, ERF32_SMALL), a)
        mid = 1.0 - b.poly(a - 1.75, ERFC32_MID)
        tail = 1.0 - b.poly(b.select(a.gt(4.0), b.c(F32, 4.0), a) - 3.25, ERFC32_TAIL)
        y = b.select(a.lt(1.0), small, b.select(a.lt(2.5), mid, b.select(a.lt(4.0), tail, b.c(F32, 1.0))))
    else:
        small = a * b.poly(a * a, ERF_SMALL64)
        mid = b.poly(a - 1.5, ERF_MID)
        ac = b.select(a.lt(2.0), b.c(F64, 2.0), b.select(a.gt(6.0), b.c(F64, 6.0), a))
        tail = 1.0 - exp(b, -(ac * ac)) * b.poly(1.0 / ac, ERFCX_TAIL)
        y = b.select(a.lt(1.0), small, b.select(a.lt(2.0), mid, b.select(a.lt(6.0), tail, b.c(F64, 1.0))))
    return b.select(x.isnan(), x, b.copysign(y, x))


# ---------------------------------------------------------------------------------------------
# sin, cos


def _reduce_pio2(b: Builder, x: V) -> Tuple[V, V, V]:
    """n (i32), r and rlo with x = n pi/2 + r + rlo, |r| <= pi/4 (a little more in float32,
    where x 2/pi rounds), rlo below r's ulp; for |x| <= the format's trig limit.

    x - n p1 is exact: with an fma it is rounded once, and it is a multiple of p1's ulp (or of
    x's, if smaller) below 2 in magnitude. n p2 is split exactly into two floats, the
    difference summed exactly (two-sum), and n p3 only adds to the low part."""
    p1, p2, p3 = _format(x).pio2
    k = b.rint(x * TWO_OVER_PI)
    hi = b.fma(-k, p1, x)
    t, te = _two_prod(b, k, b.c(x.type, p2))
    s, se = _two_sum(b, hi, -t)
    lo = (se - te) - k * p3
    r = s + lo
    return b.fptosi(k, I32), r, lo - (r - s)


def _sin_kernel(b: Builder, r: V, rlo: V) -> V:
    """sin(r + rlo) = r + r^3 p(r^2) + rlo (1 - r^2/2)."""
    z = r * r
    return r + b.fma(z * r, b.poly(z, SIN[_format(r).bits]), rlo * (1.0 - 0.5 * z))


def _cos_kernel(b: Builder, r: V, rlo: V) -> V:
    """cos(r + rlo) = 1 - r^2/2 + r^4 q(r^2) - r rlo, with 1 - r^2/2 rounded once (fdlibm)."""
    z = r * r
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * (z * b.poly(z, COS[_format(r).bits])) - r * rlo))


def _sin_or_cos(b: Builder, x: V, quarter_turns: int) -> V:
    """sin(x + quarter_turns pi/2) for |x| within the trig limit; NaN elsewhere (infinities and
    NaN, whose sin is NaN, and finite x beyond the limit, which :func:`beyond_reach` sends to
    libm)."""
    a = b.fabs(x)
    inside = a.le(_format(x).trig_limit)
    n, r, rlo = _reduce_pio2(b, b.select(inside, x, b.c(x.type, 0.0)))
    n = n + quarter_turns
    y = b.select((n & 1).ne(0), _cos_kernel(b, r, rlo), _sin_kernel(b, r, rlo))
    y = b.select((n & 2).ne(0), -y, y)
    return b.select(inside, y, b.c(x.type, math.nan))


def sin(b: Builder, x: V) -> V:
    return b.select(x.eq(0.0), x, _sin_or_cos(b, x, 0))  # sin(-0) is -0


def cos(b: Builder, x: V) -> V:
    return _sin_or_cos(b, x, 1)


# ---------------------------------------------------------------------------------------------
# pow


def _log_dd(b: Builder, u: V) -> Tuple[V, V]:
    """log(u) = hi + lo with a relative error near 2^-66, for finite double u > 0.

    With u = 2^k m and s = (m - 1) / (m + 1) as a double-double, log m = 2 atanh(s)
    = 2s + 2/3 s^3 + s^5 R(s^2): the first two terms in double-double, the rest (below 2^-12
    of the sum) in double."""
    k, m = _log_parts(b, u)
    num = m - 1.0                                   # exact
    den, den_lo = _two_sum(b, m, b.c(F64, 1.0))
    s = num / den
    s_lo = (b.fma(-s, den, num) - s * den_lo) / den  # num - s den exactly, then the rest
    z, z_lo = _two_prod(b, s, s)
    c, c_lo = _two_prod(b, z, s)                    # s^3 = c + c_lo (+ what s_lo adds)
    c_lo = c_lo + z_lo * s + 3.0 * z * s_lo
    third_hi = 2.0 / 3.0
    third_lo = float(Decimal(2) / 3 - Decimal(third_hi))
    t, t_lo = _two_prod(b, c, b.c(F64, third_hi))   # 2/3 s^3 = t + t_lo
    t_lo = t_lo + c * third_lo + c_lo * third_hi
    rest = c * z * b.poly(z, LOG_R[64][1:])
    hi, lo = _two_sum(b, 2.0 * s, t)
    lo = lo + (2.0 * s_lo + t_lo + rest)
    ln2_hi, ln2_lo = FORMATS[64].ln2
    ln2_lo2 = float(_LN2 - Decimal(ln2_hi) - Decimal(ln2_lo))
    q, q_lo = _two_prod(b, k, b.c(F64, ln2_lo))     # k ln2_hi is exact
    head, head_lo = _two_sum(b, k * ln2_hi, hi)
    lo = head_lo + (lo + q + (q_lo + k * ln2_lo2))
    top = head + lo
    return top, lo - (top - head)


def _pow_special_cases(b: Builder, x: V, y: V, r: V) -> V:
    """pow's result ``r`` for positive x (computed as e^(y log|x|)) made C99's for all x."""
    integer = b.floor(y).eq(y)
    half = y * 0.5
    odd = integer & b.floor(half).ne(half) & b.fabs(y).lt(9007199254740992.0)
    r = b.select(x.lt(0.0) & odd, -r, r)
    # a negative finite base to a non-integral finite power has no real value
    negative_finite = x.lt(0.0) & x.gt(-math.inf)
    r = b.select(negative_finite & ~integer & b.fabs(y).lt(math.inf), b.c(r.type, math.nan), r)
    r = b.select(x.eq(0.0) & odd, b.copysign(r, x), r)  # pow(-0, odd) keeps the sign
    r = b.select(x.eq(1.0) | (x.eq(-1.0) & b.fabs(y).eq(math.inf)), b.c(r.type, 1.0), r)
    return b.select(y.eq(0.0), b.c(r.type, 1.0), r)


def pow(b: Builder, x: V, y: V) -> V:
    if x.type == F32:
        # in double, e^(y log|x|) has a relative error below 2^-45 wherever the float32 result
        # is finite: correctly rounded but for the rarest ties
        xd, yd = b.fpext(x, F64), b.fpext(y, F64)
        return b.fptrunc(_pow_special_cases(b, xd, yd, exp(b, yd * log(b, b.fabs(xd)))), F32)
    ax = b.fabs(x)
    normal = ax.gt(0.0) & ax.lt(math.inf)
    hi, lo = _log_dd(b, b.select(normal, ax, b.c(F64, 1.0)))
    hi = b.select(normal, hi, log(b, ax))           # -inf, inf or NaN
    t, t_lo = _two_prod(b, y, hi)
    # the low part matters (and is a number) only where e^t is neither 0 nor inf
    t_lo = b.select(b.fabs(t).lt(1000.0), t_lo + y * b.select(normal, lo, b.c(F64, 0.0)), b.c(F64, 0.0))
    return _pow_special_cases(b, x, y, exp(b, t, t_lo))


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
    "sin": sin, "cos": cos, "pow": pow, "tanh_two_branch": tanh_two_branch, "tanh_expm1": tanh_expm1,
    "sigmoid_exp": sigmoid_exp,
}
# The algorithm each function name uses for float32 kernels built now: the bench swaps in an
# earlier form (``with forms(tanh="tanh_two_branch")``) to measure a kernel with it.
FORMS: Dict[str, str] = {}


@contextlib.contextmanager
def forms(**chosen: str) -> Iterator[None]:
    """Kernels built inside the block compute function ``name`` (float32) with the algorithm
    ``chosen[name]`` of :data:`_ALGORITHMS`."""
    saved = dict(FORMS)
    FORMS.update(chosen)
    try:
        yield
    finally:
        FORMS.clear()
        FORMS.update(saved)
_LIMITED = {"sin", "cos"}  # functions whose IR algorithm covers |x| up to TRIG_LIMIT only


def call(b: Builder, name: str, *args: V) -> V:
    """Call math function ``name`` on float32 or float64 values, defining it in the module
    (internal, always inlined into the loop) on first use. For sin and cos, elements that
    :func:`beyond_reach` flags get NaN here and need :func:`libm`."""
    t = args[0].type
    if t == F32:
        name = FORMS.get(name, name)
    fname = f"mtj.{name}.{'f32' if t == F32 else 'f64'}"
    fn = b.module.globals.get(fname)
    if fn is None:
        fn = _define(b.module, fname, name, t, len(args))
    return V(b, b.ir.call(fn, [a.v for a in args]))


def beyond_reach(b: Builder, name: str, *args: V) -> Optional[V]:
    """Where (an i1) :func:`call` does not compute ``name``: finite arguments of sin and cos
    beyond the trig limit. None for functions computed everywhere."""
    if name not in _LIMITED:
        return None
    a = b.fabs(args[0])
    return a.gt(_format(a).trig_limit) & a.lt(math.inf)


def libm(b: Builder, name: str, *args: V) -> V:
    """``name`` by a call into the C library (through the LLVM intrinsic): exact argument
    reduction for every argument, one element at a time."""
    return b.intrinsic(name, *args)


def _define(module: ir.Module, fname: str, name: str, t: ir.Type, arity: int) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(t, [t] * arity), fname)
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fb = Builder(ir.IRBuilder(fn.append_basic_block("entry")))
    fb.ir.ret(_ALGORITHMS[name](fb, *[V(fb, a) for a in fn.args]).v)
    return fn

"""Fit the polynomial coefficients of codegen/llvm/mathlib.py that are not Taylor series.

Run ``python tools/fit_coefficients.py`` (needs mpmath, a development tool only) and paste
its output into mathlib.py. Each fit is mpmath's Chebyshev fit (near minimax) computed with
50 digits, its coefficients rounded to the precision the kernel computes in (float32 tables
for the float32 algorithms), then checked by evaluating those coefficients with Horner's
rule in 50 digits against the function; the printed error is that measured error, relative
to the function (or to ``scale``: for a polynomial that is one term of a sum, relative to the
sum, and absolute for erfc beside 1).
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 50
sqrt = mp.sqrt


def fit(name, f, lo, hi, degree, single=False, scale=None):
    poly = mp.chebyfit(f, [mp.mpf(lo), mp.mpf(hi)], degree + 1)
    coeffs = [float(np.float32(c)) if single else float(c) for c in reversed(poly)]  # lowest degree first
    worst = 0.0
    for u in np.linspace(float(lo), float(hi), 4001):
        acc = mp.mpf(0)
        for c in reversed(coeffs):
            acc = acc * u + c
        ref = f(mp.mpf(u))
        worst = max(worst, abs(float((acc - ref) / (scale(mp.mpf(u)) if scale else ref))))
    print(f"# {name}: degree {degree} on [{float(lo):.6g}, {float(hi):.6g}], measured error {worst:.2e}")
    print(f"{name} = (" + ", ".join(repr(c) for c in coeffs) + ")")


def odd_part(fn, z):
    """(fn(x) - x) / x^3 at x = sqrt(z): fn(x) = x + x^3 p(x^2)."""
    x = sqrt(z)
    return (fn(x) - x) / (z * x)


if __name__ == "__main__":
    # float64 erf on [1, 2] as a polynomial in u = a - 1.5
    fit("ERF_MID", lambda u: mp.erf(u + mp.mpf(1.5)), -0.5, 0.5, 22)
    # float64 exp(a^2) erfc(a) on [2, 6] as a polynomial in t = 1/a
    fit("ERFCX_TAIL", lambda t: mp.exp(1 / t**2) * mp.erfc(1 / t), 1 / 6, 0.5, 18)
    # the weight of p's error in tanh(x) = x + x^3 p(x^2) is x^3 / tanh(x): none at 0
    tanh_scale = lambda z: mp.tanh(sqrt(z)) / (z * sqrt(z)) if z else mp.inf  # noqa: E731
    # float32 tanh(x) = x + x^3 p(x^2) for |x| < 0.625 (z = x^2); error relative to tanh
    fit("TANH32_SMALL", lambda z: odd_part(mp.tanh, z) if z else mp.mpf(-1) / 3, 0, 0.625**2, 5, True,
        scale=tanh_scale)
    # float32 tanh (mathlib.tanh): x + x^3 p(x^2) for |x| < TANH32_CUT = 0.7, a shorter polynomial
    # than TANH32_SMALL's (the 0.1.0 form's), and e^(2s) for |s| <= ln2/4 (with room for the
    # rounding of k) in e^2|x| = 2^k e^(2s) beyond it; errors relative to tanh and to e^(2s)
    fit("TANH32_NEAR0", lambda z: odd_part(mp.tanh, z) if z else mp.mpf(-1) / 3, 0, mp.mpf("0.7") ** 2, 4, True,
        scale=tanh_scale)
    quarter = mp.log(2) / 4 + mp.mpf("0.001")
    fit("EXP2X32", lambda s: mp.exp(2 * s), -quarter, quarter, 6, True)
    # float32 sigmoid (mathlib.sigmoid): e^-s for |s| <= ln2/2 (with room) in e^-|x| = 2^k e^-s
    half = mp.log(2) / 2 + mp.mpf("0.001")
    fit("EXPNEG32", lambda s: mp.exp(-s), -half, half, 6, True)
    # float32 erf(x) = x + x p(x^2) for |x| < 1; error relative to erf
    fit("ERF32_SMALL", lambda z: mp.erf(sqrt(z)) / sqrt(z) - 1 if z else 2 / sqrt(mp.pi) - 1, 0, 1, 6, True,
        scale=lambda z: mp.erf(sqrt(z)) / sqrt(z) if z else 1)
    # float32 erfc(a) on [1, 2.5] in u = a - 1.75 and on [2.5, 4] in u = a - 3.25; erf = 1 - erfc,
    # so the error is absolute
    fit("ERFC32_MID", lambda u: mp.erfc(u + mp.mpf(1.75)), -0.75, 0.75, 10, True, scale=lambda u: 1)
    fit("ERFC32_TAIL", lambda u: mp.erfc(u + mp.mpf(3.25)), -0.75, 0.75, 9, True, scale=lambda u: 1)
    # sin(r) = r + r^3 p(r^2) and cos(r) = 1 - r^2/2 + r^4 q(r^2) for |r| <= pi/4 + 0.01 (the
    # reduced argument, with room for the rounding of its quadrant in float32); error relative
    # to sin and cos
    reach = (mp.pi / 4 + mp.mpf("0.01")) ** 2
    sin_scale = lambda z: mp.sin(sqrt(z)) / (z * sqrt(z)) if z else 1  # noqa: E731
    cos_scale = lambda z: mp.cos(sqrt(z)) / (z * z) if z else 1  # noqa: E731
    sin_part = lambda z: odd_part(mp.sin, z) if z else mp.mpf(-1) / 6  # noqa: E731
    cos_part = lambda z: (mp.cos(sqrt(z)) - 1 + z / 2) / (z * z) if z else mp.mpf(1) / 24  # noqa: E731
    fit("SIN32", sin_part, 0, reach, 3, True, scale=sin_scale)
    fit("COS32", cos_part, 0, reach, 3, True, scale=cos_scale)
    fit("SIN64", sin_part, 0, reach, 5, scale=sin_scale)
    fit("COS64", cos_part, 0, reach, 5, scale=cos_scale)

"""Fit the polynomial coefficients of codegen/llvm/mathlib.py that are not Taylor series.

Run ``python tools/fit_coefficients.py`` (needs mpmath, a development tool only) and paste
its output into mathlib.py. Each fit is mpmath's Chebyshev fit (near minimax) computed with
50 digits, then checked by evaluating the double coefficients with Horner's rule in double
precision against the 50-digit function; the printed error is that measured relative error.
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 50


def fit(name, f, lo, hi, degree, to_x=lambda u: u):
    poly = mp.chebyfit(f, [mp.mpf(lo), mp.mpf(hi)], degree + 1)
    coeffs = [float(c) for c in reversed(poly)]  # lowest degree first
    worst = 0.0
    for u in np.linspace(lo, hi, 4001):
        acc = 0.0
        for c in reversed(coeffs):
            acc = acc * u + c
        ref = f(mp.mpf(u))
        worst = max(worst, abs(float((mp.mpf(acc) - ref) / ref)))
    print(f"# {name}: degree {degree} on [{lo}, {hi}], measured relative error {worst:.2e}")
    print(f"{name} = (" + ", ".join(repr(c) for c in coeffs) + ")")


if __name__ == "__main__":
    # erf on [1, 2] as a polynomial in u = a - 1.5
    fit("ERF_MID", lambda u: mp.erf(u + mp.mpf(1.5)), -0.5, 0.5, 22)
    # exp(a^2) erfc(a) on [2, 6] as a polynomial in t = 1/a
    fit("ERFCX_TAIL", lambda t: mp.exp(1 / t**2) * mp.erfc(1 / t), 1 / 6, 0.5, 18)

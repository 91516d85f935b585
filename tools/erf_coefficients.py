"""Print the coefficient tables of minitorch_jit/ops/erf.py and their fit errors.

Needs mpmath (``pip install mpmath``); not a dependency of the package.
Usage: python tools/erf_coefficients.py
"""
import mpmath as mp

mp.mp.dps = 50
C0 = 2 / mp.sqrt(mp.pi)
SMALL = 0.84375                     # erf(x) = x (c0 + z h(z)) below, 1 - exp(-x*x) r(x) above
H_DEGREE = 10
R_PIECES = [(0.84375, 1.75, 16), (1.75, 2.5, 13), (2.5, 3.5, 13), (3.5, 4.75, 13), (4.75, 6, 12)]


def h(z):
    return (mp.erf(mp.sqrt(z)) / mp.sqrt(z) - C0) / z if z else -C0 / 3


def r(x):
    return mp.erfc(x) * mp.exp(x * x)


def fit(f, lo, hi, degree):
    """Chebyshev fit of f around the interval's centre: (centre, coefficients highest power
    first, maximum relative error)."""
    centre = (lo + hi) / 2
    poly, err = mp.chebyfit(lambda s: f(s + centre), [lo - centre, hi - centre], degree + 1, error=True)
    scale = min(abs(f(mp.mpf(lo))), abs(f(mp.mpf(hi))))
    return centre, [float(p) for p in poly], float(err / scale)


def main() -> None:
    centre, coefs, err = fit(h, 0, SMALL ** 2, H_DEGREE)
    print(f"_H_CENTER = {centre!r}  # relative fit error {err:.1e}")
    print(f"_H = {tuple(coefs)!r}")
    print("_R = (")
    for lo, hi, degree in R_PIECES:
        centre, coefs, err = fit(r, lo, hi, degree)
        print(f"    ({lo!r}, {hi!r}, {centre!r}, {tuple(coefs)!r}),  # relative fit error {err:.1e}")
    print(")")


if __name__ == "__main__":
    main()

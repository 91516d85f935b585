"""Chains of pointwise ops become one kernel: the seeds' ``x = x * x`` five times, and GELU
in its tanh form (a transcendental function, computed in the kernel's vector registers).
Prints each function's optimized graph and times eager and fused calls.

    python examples/pointwise.py
"""
import os
import timeit

import minitorch_jit as torch
from minitorch_jit.bench.programs.pointwise import gelu, square5


def main() -> None:
    n = 1000 if os.environ.get("MINITORCH_JIT_SMALL") == "1" else 1 << 22
    x = torch.rand(n)
    for fn in (square5, gelu):
        fused = torch.jit.script(fn)
        print(fused.graph_for(x))
        for name, f in (("eager", fn), ("fused", fused)):
            seconds = min(timeit.repeat(lambda: f(x), number=10, repeat=5)) / 10
            print(f"{fn.__name__} {name}: {seconds * 1e3:8.3f} ms per call on {n} floats")
        print()


if __name__ == "__main__":
    main()

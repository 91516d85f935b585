"""The uniformity loss of Wang and Isola (arXiv 2005.10242), two ways (from the seeds):
``lunif`` as in the paper, with ``pdist``, and ``lunif2`` from |x - y|^2 = |x|^2 + |y|^2 -
2<x, y>, a matrix product. Same value (checked in float64), very different cost: the formula
is the first thing to optimize, then the JIT fuses what is pointwise in it.

    python examples/uniformity_loss.py
"""
import os
import timeit

import minitorch_jit as torch
from minitorch_jit.bench.programs.uniformity_loss import lunif, lunif2


def main() -> None:
    n, d = (64, 8) if os.environ.get("MINITORCH_JIT_SMALL") == "1" else (1024, 128)
    x = torch.randn(n, d)
    x /= x.norm(p=2, dim=1, keepdim=True)
    print(f"lunif2 - lunif in float64: {(lunif2(x.double()) - lunif(x.double())).item():.3g}")
    fused = torch.jit.script(lunif2)
    print(fused.graph_for(x))
    for name, fn in (("lunif eager", lunif), ("lunif2 eager", lunif2), ("lunif2 fused", fused)):
        seconds = min(timeit.repeat(lambda: fn(x), number=3, repeat=3)) / 3
        print(f"{name:>13}: {seconds * 1e3:8.2f} ms for x of shape ({n}, {d})")


if __name__ == "__main__":
    main()

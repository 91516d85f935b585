"""Softmax and layer norm written out as PyTorch users write them by hand: reductions with
pointwise ops between them. Each becomes one row kernel (passes/reduction_fusion.py): per
row, one pass for each reduction with the row in cache, then one that writes the result.

    python examples/normalization.py
"""
import os
import timeit

import minitorch_jit as torch
from minitorch_jit.bench.programs.normalization import layer_norm, softmax


def main() -> None:
    n = 16 if os.environ.get("MINITORCH_JIT_SMALL") == "1" else 1024
    x, weight, bias = torch.randn(n, n), torch.randn(n), torch.randn(n)
    for fn, args in ((softmax, (x,)), (layer_norm, (x, weight, bias))):
        fused = torch.jit.script(fn)
        print(fused.graph_for(*args))
        for name, f in (("eager", fn), ("fused", fused)):
            seconds = min(timeit.repeat(lambda: f(*args), number=10, repeat=5)) / 10
            print(f"{fn.__name__} {name}: {seconds * 1e3:8.3f} ms on ({n}, {n})")
        print()


if __name__ == "__main__":
    main()

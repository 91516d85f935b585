"""Reductions over an outer dim (blocked kernels, codegen/llvm/block_kernel.py), side by side
in one process: the traced function (fused) against eager mode, the same formula in numpy, and
for the sum the plan before blocked kernels (the pointwise ops fused, the reduction eager).
Interleaved rounds, medians.

    python benchmarks/bench_blocked.py [ROUNDS [NAME...]]

(with names, only the cases whose name starts with one of them)
"""
import statistics
import sys
import time

import numpy as np

import minitorch_jit as torch


def pointwise(x):
    return x * 2 + 1


def numpy_softmax0(a):
    e = np.exp(a - a.max(0, keepdims=True))
    return e / e.sum(0, keepdims=True)


def softmax0(x):
    e = torch.exp(x - torch.amax(x, 0, keepdim=True))
    return e / e.sum(0, keepdim=True)


def batch_norm(x):
    d = x - x.mean(0, keepdim=True)
    return d / torch.sqrt((d * d).mean(0, keepdim=True) + 1e-5)


def numpy_batch_norm(a):
    d = a - a.mean(0, keepdims=True)
    return d / np.sqrt((d * d).mean(0, keepdims=True) + np.float32(1e-5))


def numpy_logsumexp0(a):
    m = a.max(0)
    m = np.where(np.isfinite(m), m, np.float32(0))
    return np.log(np.exp(a - m).sum(0)) + m


def main(rounds: int, names=()) -> None:
    fused_pointwise = torch.jit.script(pointwise)
    big, square = torch.randn(8192, 1024), torch.randn(1024, 1024)
    cases = [
        ("(x*2+1).sum(0) (8192, 1024)", big, lambda x: (x * 2 + 1).sum(0), lambda a: (a * 2 + 1).sum(0),
         lambda x: fused_pointwise(x).sum(0)),
        ("x.sum(0) (8192, 1024)", big, lambda x: x.sum(0), lambda a: a.sum(0), None),
        ("x.amax(0) (8192, 1024)", big, lambda x: torch.amax(x, 0), lambda a: a.max(0), None),
        ("softmax(x, 0) (1024, 1024)", square, lambda x: torch.softmax(x, 0), numpy_softmax0, None),
        ("log_softmax(x, 0) (1024, 1024)", square, lambda x: torch.log_softmax(x, 0), None, None),
        ("softmax(x, 0) (8192, 1024)", big, lambda x: torch.softmax(x, 0), numpy_softmax0, None),
        ("softmax over dim 0 by hand (1024, 1024)", square, softmax0, numpy_softmax0, None),
        ("batch norm by hand (8192, 1024)", big, batch_norm, numpy_batch_norm, None),
        ("x.var(0) (8192, 1024)", big, lambda x: x.var(0), lambda a: a.var(0, ddof=1), None),
        ("x.std(0) (8192, 1024)", big, lambda x: x.std(0), lambda a: a.std(0, ddof=1), None),
        ("logsumexp(x, 0) (8192, 1024)", big, lambda x: torch.logsumexp(x, 0), numpy_logsumexp0, None),
    ]
    for name, x, fn, in_numpy, before in cases:
        if names and not name.startswith(tuple(names)):
            continue
        a = x.numpy()
        fused = torch.jit.trace(fn, (x,), check_trace=False)
        fused(x)
        systems = {"fused": lambda: fused(x), "eager": lambda: fn(x)}
        if in_numpy is not None:
            systems["numpy"] = lambda: in_numpy(a)
        if before is not None:
            systems["pointwise fused, reduction eager"] = lambda: before(x)
        times = {k: [] for k in systems}
        for _ in range(rounds):
            for k, call in systems.items():
                start = time.perf_counter()
                call()
                times[k].append(time.perf_counter() - start)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name:40s} " + "  ".join(f"{k} {v * 1e3:.3f} ms" for k, v in med.items()) + "  | " +
              "  ".join(f"{k}/fused {v / med['fused']:.2f}x" for k, v in med.items() if k != "fused"), flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41, sys.argv[2:])

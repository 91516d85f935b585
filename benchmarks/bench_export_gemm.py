"""The exported libraries' GEMM against numpy's BLAS on one thread, side by side in one run.

A scripted ``matmul`` is exported (its two operands passed at run time) and called through
ctypes into a preallocated output; numpy's ``matmul(a, b, out=out)`` runs with its BLAS held
to one thread (set the BLAS's variable before numpy loads, as below). Interleaved rounds;
the best of each is kept. Small shapes are dominated by the call's fixed cost (ctypes).

    OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/bench_export_gemm.py
"""
import os
import tempfile
import time

import numpy as np

import minitorch_jit as torch
from minitorch_jit.export import export_library
from minitorch_jit.export.loaded import Exported
from minitorch_jit.ir.parser import parse_type_str

SHAPES = ((64, 512, 2048), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024))


def matmul(a, b):
    return torch.matmul(a, b)


def best(fn, reps: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main() -> None:
    folder = tempfile.mkdtemp()
    export_library(torch.jit.script(matmul), os.path.join(folder, "mm.so"), [parse_type_str("Float(*, *)")] * 2)
    lib = Exported(os.path.join(folder, "mm.so"))
    rng = np.random.default_rng(0)
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        lib.run([a, b], [out])
        np.testing.assert_allclose(out, a @ b, rtol=1e-4, atol=1e-3)
        reps = max(3, int(3e8 // (2 * m * n * k)))
        ours, theirs = [], []
        for _ in range(7):
            ours.append(best(lambda: lib.run([a, b], [out]), reps))
            theirs.append(best(lambda: np.matmul(a, b, out=out), reps))
        flops = 2 * m * n * k
        print(f"{m}x{k} @ {k}x{n}: exported {flops / min(ours) / 1e9:6.1f} GFLOP/s, "
              f"numpy {flops / min(theirs) / 1e9:6.1f} GFLOP/s: exported/numpy speed {min(theirs) / min(ours):.2f}x")


if __name__ == "__main__":
    main()

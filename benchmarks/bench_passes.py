"""What the pass pipeline costs and what it saves, side by side in one run.

For each program: the time the pipeline takes on its graph (optimizations and fusion; LLVM
compiles happen later, at code generation, and are not counted), and the time per call with
no passes, with the optimizations only, and with the whole pipeline (fusion included), as
interleaved repeats' medians, with the ratios to no passes. Run from the repository root
(it reads the test suite's program table from tests/):

    python benchmarks/bench_passes.py
"""
import statistics
import sys
import time
from typing import Any, Callable, List, Tuple

import minitorch_jit as torch
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.peephole import dumb_function
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.bench.programs.uniformity_loss import lunif2
from minitorch_jit.passes.pipeline import optimize, run_pipeline
from minitorch_jit.runtime import config

sys.path.insert(0, "tests")
from programs import LOOPS, script_from_ir  # noqa: E402


def median_time(fn: Callable[[], Any], number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t) / number


def programs() -> List[Tuple[str, Callable[[], Any], Tuple[Any, ...], int]]:
    torch.manual_seed(0)
    net = LeNet().eval()
    return [
        ("dumb_function (64, 64)", lambda: torch.jit.trace(dumb_function, torch.ones(2, 2)),
         (torch.randn(64, 64),), 2000),
        ("ratio_iou (10,)", lambda: torch.jit.trace(ratio_iou, tuple(torch.rand(10) for _ in range(8))),
         tuple(torch.rand(10) for _ in range(8)), 500),
        ("lunif2 (256, 32)", lambda: torch.jit.trace(lunif2, torch.randn(256, 32)), (torch.randn(256, 32),), 50),
        ("LeNet (8, 1, 28, 28)", lambda: torch.jit.trace(net, torch.randn(8, 1, 28, 28)),
         (torch.randn(8, 1, 28, 28),), 20),
        ("loops IR (16,), n=100", lambda: script_from_ir(LOOPS, "loops"), (torch.randn(16), 100, True), 200),
    ]


def main() -> None:
    print(f"{'program':<26}{'pipeline ms':>12}{'none us':>10}{'optimized us':>14}{'fused us':>10}"
          f"{'optimized':>11}{'fused':>8}")
    for name, build, args, number in programs():
        variants = []
        for optimizer, fusion in ((None, None), (optimize, None), (run_pipeline, config.fusion())):
            with config.using(optimizer=optimizer, fusion=fusion):
                fn = build()
            fn(*args)  # compile the plan
            variants.append(fn)
        method = variants[2]._methods["forward"] if hasattr(variants[2], "_methods") else variants[2]
        g = method.executor.graph
        compile_ms = 1e3 * statistics.median(median_time(lambda: run_pipeline(g.copy()), 1) for _ in range(5))
        times: List[List[float]] = [[], [], []]
        for _ in range(7):
            for fn, ts in zip(variants, times):
                ts.append(median_time(lambda: fn(*args), number))
        none, optimized, fused = (statistics.median(ts) for ts in times)
        print(f"{name:<26}{compile_ms:>12.2f}{none * 1e6:>10.1f}{optimized * 1e6:>14.1f}{fused * 1e6:>10.1f}"
              f"{none / optimized:>10.2f}x{none / fused:>7.2f}x")


if __name__ == "__main__":
    main()

"""How the passes grow with graph size: dead code elimination, common subexpression
elimination and the whole pipeline (optimizations and fusion; no code generation) on
generated straight-line graphs of 1k to 16k nodes (see tests/generated_graphs.py; the
straight line fuses into many small groups, the add chain into groups as big as allowed).
Each time is the best of a few runs (CPU time), with its ratio to the previous size's (2.0
is linear growth). Run from the repository root:

    python benchmarks/bench_graph_size.py [sizes...]
"""
import sys

from minitorch_jit.passes.common_subexpression_elimination import common_subexpression_elimination
from minitorch_jit.passes.dead_code_elimination import dead_code_elimination
from minitorch_jit.passes.pipeline import run_pipeline

sys.path.insert(0, "tests")
from generated_graphs import add_chain, best_time, dead_chain, straight_line, twin_chains  # noqa: E402

CASES = [
    ("DCE, dead chain", dead_code_elimination, dead_chain),
    ("CSE, twin chains", common_subexpression_elimination, twin_chains),
    ("pipeline, straight line", run_pipeline, straight_line),
    ("pipeline, add chain", run_pipeline, add_chain),
]


def main(sizes) -> None:
    print(f"{'nodes':>7}" + "".join(f"{name + ' ms':>28}" for name, _, _ in CASES))
    previous = None
    for n in sizes:
        times = [best_time(fn, lambda: build(n), 3) for _, fn, build in CASES]
        cells = []
        for i, t in enumerate(times):
            ratio = f" ({t / previous[i]:.1f}x)" if previous else ""
            cells.append(f"{t * 1e3:.1f}{ratio}")
        print(f"{n:>7}" + "".join(f"{c:>28}" for c in cells), flush=True)
        previous = times


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 4000, 8000, 16000])

"""A long run of the fused-vs-eager fuzzer of tests/test_kernels.py: random fusion groups
(tests/fused_programs.py) compiled to native kernels and run against the eager kernels on
the same inputs, with out-of-range Python ints, int extremes, inputs whose sigmoid and exp
are subnormal or zero, and ops that fail on values before ops that fail on dtypes.

    python tools/fuzz_fused.py [--programs 10000] [--seed 0] [--jobs 2]

Prints the number of programs run and of disagreements (a different value, dtype, shape,
sign of zero, or error type or message; float results of transcendental functions within
the math library's bounds), with the first few disagreeing programs; exits 1 if any.
"""
import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from typing import List, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

BATCH = 250


def _run_batch(first: int, count: int, seed: int) -> Tuple[int, List[str]]:
    """Programs ``first .. first + count`` of the run: (how many ran, the disagreements)."""
    import numpy as np
    from fused_programs import RandomChoices, assert_close, assert_exact, random_group, run_both

    failures = []
    for k in range(first, first + count):
        choices = RandomChoices(seed * 1_000_003 + k)
        exact = k % 3 != 2  # a third with transcendental functions
        text, inputs = random_group(choices, exact)
        try:
            with np.errstate(all="ignore"):
                pairs = run_both(text, inputs)
                if exact:
                    assert_exact(pairs)
                else:
                    assert_close(pairs, text, inputs)
        except AssertionError as e:
            failures.append(f"program {k}:\n{text}inputs: {inputs!r}\n{str(e)[:600]}")
    return count, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    # a fresh kernel cache: the run compiles every kernel and leaves the user's cache alone
    os.environ["MINITORCH_JIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="fuzz_fused_")
    start = time.perf_counter()
    batches = [(b, min(BATCH, args.programs - b), args.seed) for b in range(0, args.programs, BATCH)]
    ran, failures = 0, []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for count, batch_failures in pool.map(_run_batch, *zip(*batches)):
            ran += count
            failures += batch_failures
    for f in failures[:5]:
        print(f, end="\n\n")
    print(f"{ran} programs, {len(failures)} disagreements ({time.perf_counter() - start:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""First-call time of a scripted function against its length: ``n`` lines of ``x = x + c``
(issue 12, item 13), scripted and called once on a tensor of 1000 floats, in a fresh process
per size with an empty kernel cache directory. With ``--distinct`` each line adds its own
constant (``x = x + c + i``), so that no two fusion groups share a kernel and every group
pays LLVM's compile time. Run from the repository root:

    python benchmarks/bench_first_call.py [--distinct] [sizes...]
"""
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import importlib.util, sys, time
import minitorch_jit as torch
spec = importlib.util.spec_from_file_location("program", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
start = time.perf_counter()
f = torch.jit.script(module.f)
scripted = time.perf_counter()
f(torch.ones(1000), 0.5)
called = time.perf_counter()
print(f"{scripted - start:.2f} {called - scripted:.2f}")
"""


def program(n: int, distinct: bool) -> str:
    lines = [f"    x = x + c + {i}\n" if distinct else "    x = x + c\n" for i in range(n)]
    return "def f(x, c: float):\n" + "".join(lines) + "    return x\n"


def main(sizes, distinct: bool) -> None:
    print(f"{'lines':>7}{'script s':>10}{'first call s':>14}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "program.py")
            with open(path, "w") as f:
                f.write(program(n, distinct))
            env = dict(os.environ, MINITORCH_JIT_CACHE_DIR=os.path.join(tmp, "cache"))
            # run in the temporary directory: from the checkout, `-c` would import its folders
            out = subprocess.run([sys.executable, "-c", CHILD, path], env=env, cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.split()
        print(f"{n:>7}{out[0]:>10}{out[1]:>14}", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    distinct = "--distinct" in args
    sizes = [int(a) for a in args if a != "--distinct"]
    main(sizes or [500, 1000, 2000, 5000], distinct)

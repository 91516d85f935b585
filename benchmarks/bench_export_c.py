"""A forward call of the tiny MLP (8-64-1, traced at batch 8) from C: the exported library
run by examples/c/run_model.c's own timing loop (``--repeat``), no Python in the process.
Needs a C compiler (``cc``, or ``$CC``).

    python benchmarks/bench_export_c.py
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import minitorch_jit as torch
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.export import export_library

ROOT = Path(__file__).resolve().parents[1]
CALLS = 1_000_000


def main() -> None:
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        raise SystemExit("needs a C compiler (cc)")
    d = Path(tempfile.mkdtemp())
    torch.manual_seed(0)
    export_library(torch.jit.trace(mlp(), torch.randn(8, 8)), str(d / "mlp.so"))
    subprocess.run([cc, "-O2", f"-I{d}", "-o", str(d / "run_model"), str(ROOT / "examples" / "c" / "run_model.c"),
                    "-ldl"], check=True)
    for batch in (1, 8, 64):
        np.save(d / "x.npy", np.random.default_rng(batch).standard_normal((batch, 8), dtype=np.float32))
        done = subprocess.run([str(d / "run_model"), str(d / "mlp.so"), str(d / "x.npy"), str(d / "y.npy"),
                               "--repeat", str(CALLS)], check=True, capture_output=True, text=True)
        print(f"batch {batch:3d}: {done.stdout.strip()}")


if __name__ == "__main__":
    main()

"""Compile time across processes: the first call of a scripted function in a new process,
with an empty kernel cache, then in another with the kernels the first left on disk."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Tuple

# the child scripts ratio_iou and calls it once, on the boxes of the seeds' timing, (100, 1000)
_CHILD = """
import time
import minitorch_jit as torch
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
boxes = torch.randn(8, 100, 1000).exp()
start = time.perf_counter()
torch.jit.script(ratio_iou)(*boxes)
print(time.perf_counter() - start)
"""


def _first_call(cache: str) -> float:
    env = dict(os.environ, MINITORCH_JIT_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def first_calls() -> Tuple[float, float]:
    """Seconds of the first call with an empty kernel cache, and with a warm one on disk."""
    with tempfile.TemporaryDirectory() as cache:
        return _first_call(cache), _first_call(cache)

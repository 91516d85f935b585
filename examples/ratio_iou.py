"""Intersection over union of boxes (the seeds' ``ratio_iou``): 20 pointwise ops that the
JIT fuses into one native kernel. Prints the graph that runs, with its fusion group, checks
it against eager mode and times both.

    python examples/ratio_iou.py
"""
import os
import timeit

import numpy as np

import minitorch_jit as torch
from minitorch_jit.bench.programs.ratio_iou import ratio_iou


def main() -> None:
    size = 10 if os.environ.get("MINITORCH_JIT_SMALL") == "1" else 1000
    boxes = torch.randn(8, 100, size).exp()
    fused = torch.jit.script(ratio_iou)
    print(fused.graph_for(*boxes))
    print(fused.explain(*boxes))
    difference = np.abs(fused(*boxes).numpy() - ratio_iou(*boxes).numpy()).max()
    print(f"largest difference from eager mode: {difference}")
    for name, fn in (("eager", ratio_iou), ("fused", fused)):
        seconds = min(timeit.repeat(lambda: fn(*boxes), number=20, repeat=5)) / 20
        print(f"{name}: {seconds * 1e6:9.1f} us per call for boxes of shape (100, {size})")


if __name__ == "__main__":
    main()

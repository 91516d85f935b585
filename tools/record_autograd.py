"""Record, once, what PyTorch computes for tests/autograd_programs.py: the gradient of each
program's loss with respect to each input, and the parameters along each optimizer's steps.

    /path/to/venv-with-torch/bin/python tools/record_autograd.py   # writes tests/data/autograd.npz
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from autograd_programs import OPTIMIZERS, PROGRAMS, optimizer_run  # noqa: E402


def main() -> None:
    torch.set_default_dtype(torch.float64)
    out = {}
    for name, (program, values) in PROGRAMS.items():
        inputs = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
        loss = program(torch, inputs)
        grads = torch.autograd.grad(loss, list(inputs.values()))
        out[f"{name}/loss"] = loss.detach().numpy()
        for k, g in zip(inputs, grads):
            out[f"{name}/grad/{k}"] = g.numpy()
    for name in OPTIMIZERS:
        for k, v in optimizer_run(torch, name).items():
            out[f"optim/{name}/{k}"] = v
    np.savez_compressed(ROOT / "tests" / "data" / "autograd.npz", **out)
    print(f"recorded {len(out)} arrays with torch {torch.__version__}")


if __name__ == "__main__":
    main()

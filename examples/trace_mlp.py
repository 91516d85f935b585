"""Trace a small MLP, print its graph and the Python code that runs it, check that the trace
made with batch size 8 gives eager mode's answers at batch size 32, then save it and load it
back.

    python examples/trace_mlp.py
"""
import os
import tempfile

import numpy as np

import minitorch_jit as torch
from minitorch_jit.bench.programs.mlp import mlp


def main() -> None:
    torch.manual_seed(0)
    model = mlp()
    traced = torch.trace(model, torch.randn(8, 8))
    print(traced.graph)
    print(traced.code)

    x = torch.randn(32, 8)
    same = np.array_equal(traced(x).numpy(), model(x).numpy())
    print(f"traced(x) == model(x) for a batch of 32: {same}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mlp.mtj")
        traced.save(path)
        loaded = torch.jit.load(path)
        same = np.array_equal(loaded(x).numpy(), traced(x).numpy())
        print(f"saved to a {os.path.getsize(path)}-byte archive and loaded back; loaded(x) == traced(x): {same}")


if __name__ == "__main__":
    main()

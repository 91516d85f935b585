"""Trace a LeNet-style convolutional net in eval mode: its graph, the code that runs it, and
a save/load round trip that gives the same outputs bit for bit.

    python examples/trace_lenet.py
"""
import os
import tempfile

import numpy as np

import minitorch_jit as torch
from minitorch_jit.bench.programs.lenet import LeNet


def main() -> None:
    torch.manual_seed(0)
    net = LeNet().eval()
    images = torch.randn(8, 1, 28, 28)
    traced = torch.jit.trace(net, images)
    print(traced.graph)
    print(traced.code)
    print(traced.graph_for(images))

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "lenet.mtj")
        traced.save(path)
        loaded = torch.jit.load(path)
        same = np.array_equal(loaded(images).numpy(), net(images).numpy())
        print(f"saved and loaded back; loaded(images) == net(images): {same}")


if __name__ == "__main__":
    main()

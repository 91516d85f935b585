"""Trace a LeNet-style convolutional net in eval mode: its graph, the code that runs it, and
a save/load round trip that gives the same outputs bit for bit.

    python examples/trace_lenet.py
"""
import os
import tempfile

import numpy as np

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.nn import functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = self.drop(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


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

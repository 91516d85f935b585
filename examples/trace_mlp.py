"""Trace a small MLP, print its graph and the Python code that runs it, and check that the
trace made with batch size 8 gives the same answers as eager mode at batch size 32."""
import numpy as np

import minitorch_jit as torch
from minitorch_jit import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 1))
traced = torch.trace(model, torch.randn(8, 8))

print(traced.graph)
print(traced.code)

x = torch.randn(32, 8)
same = np.array_equal(traced(x).numpy(), model(x).numpy())
print(f"traced(x) == model(x) for a batch of 32: {same}")

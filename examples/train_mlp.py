"""Train a small MLP on two interleaved half-moons, as one trains in PyTorch: autograd's
``loss.backward()``, an optimizer's ``step()``, ``no_grad`` for evaluation. The model is
scripted, so training runs its graph on autograd's tape and evaluation runs the fused plan.

    python examples/train_mlp.py
"""
import math
import os

import numpy as np

import minitorch_jit as torch
from minitorch_jit import nn

SMALL = os.environ.get("MINITORCH_JIT_SMALL") == "1"


def two_moons(n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, math.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], 1) + rng.normal(0, 0.1, (n, 2))
    return torch.tensor(points, dtype=torch.float32), torch.tensor(label)


def make_model() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))


def main() -> None:
    torch.manual_seed(0)
    train_x, train_y = two_moons(256 if SMALL else 1024, seed=1)
    test_x, test_y = two_moons(512, seed=2)
    model = torch.jit.script(make_model())
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    epochs = 30 if SMALL else 60
    shuffle = np.random.default_rng(3)
    for epoch in range(epochs):
        order = torch.tensor(shuffle.permutation(len(train_x)))
        for start in range(0, len(train_x), 64):
            idx = order[start:start + 64]
            opt.zero_grad()
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}")
    with torch.no_grad():
        accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"test accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()

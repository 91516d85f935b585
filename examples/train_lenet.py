"""Train the LeNet of the benchmarks to tell horizontal bars, vertical bars and crosses apart
in noisy 28x28 images: convolution, pooling, dropout and the loss all differentiate on
autograd's tape (the net is scripted: its graph runs op by op while it trains); Adam updates
the parameters; evaluation runs under ``no_grad`` in eval mode, on the fused plan.

    python examples/train_lenet.py
"""
import os

import numpy as np

import minitorch_jit as torch
from minitorch_jit.bench.programs.lenet import LeNet

SMALL = os.environ.get("MINITORCH_JIT_SMALL") == "1"


def shapes(n: int, seed: int) -> tuple:
    """Images of a horizontal bar (class 0), a vertical bar (1) or a cross (2), placed at random, in noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    images = rng.normal(0, 0.2, (n, 1, 28, 28))
    for img, label, (r, c) in zip(images, labels, rng.integers(6, 22, (n, 2))):
        if label in (0, 2):
            img[0, r - 1:r + 2, 4:24] += 2.0
        if label in (1, 2):
            img[0, 4:24, c - 1:c + 2] += 2.0
    return torch.tensor(images, dtype=torch.float32), torch.tensor(labels)


def main() -> None:
    torch.manual_seed(0)
    train_x, train_y = shapes(256 if SMALL else 1024, seed=1)
    test_x, test_y = shapes(200, seed=2)
    net = torch.jit.script(LeNet())  # trains on autograd's tape; evaluates with the fused plan
    opt = torch.optim.Adam(net.parameters(), lr=0.003)
    epochs = 4 if SMALL else 6
    for epoch in range(epochs):
        net.train()
        for start in range(0, len(train_x), 16):
            opt.zero_grad()
            loss = torch.nn.functional.nll_loss(net(train_x[start:start + 16]), train_y[start:start + 16])
            loss.backward()
            opt.step()
        print(f"epoch {epoch}  loss {loss.item():.4f}")
    net.eval()
    with torch.no_grad():
        accuracy = (net(test_x).argmax(1) == test_y).float().mean().item()
    print(f"test accuracy: {accuracy:.3f}")


if __name__ == "__main__":
    main()

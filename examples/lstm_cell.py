"""The seeds' LSTM cell, scripted: the two matrix products stay library calls, and the nine
pointwise ops after ``chunk`` fuse into one kernel with two outputs (``hy`` and ``cy``).

    python examples/lstm_cell.py
"""
import os
import timeit

import minitorch_jit as torch
from minitorch_jit.nn import functional as F


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    gates = F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)
    ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
    return lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx)


def lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx):
    ingate = torch.sigmoid(ingate)
    forgetgate = torch.sigmoid(forgetgate)
    cellgate = torch.tanh(cellgate)
    outgate = torch.sigmoid(outgate)
    cy = (forgetgate * cx) + (ingate * cellgate)
    hy = outgate * torch.tanh(cy)
    return hy, cy


def lstm_inputs(batch: int, input_size: int, hidden: int):
    """input, hx, cx and the weights and biases of a cell (PyTorch's argument order)."""
    return (torch.randn(batch, input_size), torch.randn(batch, hidden), torch.randn(batch, hidden),
            torch.randn(4 * hidden, input_size) * 0.05, torch.randn(4 * hidden, hidden) * 0.05,
            torch.randn(4 * hidden), torch.randn(4 * hidden))


def main() -> None:
    batch, input_size, hidden = (4, 8, 8) if os.environ.get("MINITORCH_JIT_SMALL") == "1" else (64, 512, 512)
    args = lstm_inputs(batch, input_size, hidden)
    fused = torch.jit.script(lstm_cell)
    print(fused.graph_for(*args))
    for name, fn in (("eager", lstm_cell), ("fused", fused)):
        seconds = min(timeit.repeat(lambda: fn(*args), number=20, repeat=5)) / 20
        print(f"{name}: {seconds * 1e6:9.1f} us per step (batch {batch}, input {input_size}, hidden {hidden})")


if __name__ == "__main__":
    main()

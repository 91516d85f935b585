"""The seeds' LSTM cell, scripted: the two matrix products stay library calls, and the nine
pointwise ops after ``chunk`` fuse into one kernel with two outputs (``hy`` and ``cy``).

    python examples/lstm_cell.py
"""
import os
import timeit

import minitorch_jit as torch
from minitorch_jit.bench.programs.lstm_cell import lstm_cell, lstm_inputs


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

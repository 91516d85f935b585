"""A PyTorch-style script module (the seeds' RNN): ``@torch.jit.script_method`` compiles
``forward`` with its loop over time and a ``print`` that runs every tenth step.

    python examples/rnn_module.py
"""
import minitorch_jit as torch
from minitorch_jit.bench.programs.rnn_module import RNN


def main() -> None:
    torch.manual_seed(0)
    inputs, hidden, outputs = 3, 16, 2
    rnn = RNN(torch.randn(inputs, hidden) * 0.5, torch.randn(hidden, hidden) * 0.2, torch.randn(hidden, outputs),
              torch.zeros(hidden), torch.zeros(outputs))
    print(rnn.graph)
    print(rnn.code)
    y, h = rnn(torch.randn(25, 4, inputs), torch.zeros(4, hidden))   # 25 steps: prints at steps 0, 10 and 20
    print(f"y: {tuple(y.shape)}, h: {tuple(h.shape)}")


if __name__ == "__main__":
    main()

"""A PyTorch-style script module (the seeds' RNN): ``@torch.jit.script_method`` compiles
``forward`` with its loop over time and a ``print`` that runs every tenth step.

    python examples/rnn_module.py
"""
import minitorch_jit as torch
from minitorch_jit.bench.programs.rnn_module import RNN

INPUTS, HIDDEN, OUTPUTS = 3, 16, 2


def make_rnn() -> RNN:
    torch.manual_seed(0)
    return RNN(torch.randn(INPUTS, HIDDEN) * 0.5, torch.randn(HIDDEN, HIDDEN) * 0.2, torch.randn(HIDDEN, OUTPUTS),
               torch.zeros(HIDDEN), torch.zeros(OUTPUTS))


def main() -> None:
    rnn = make_rnn()
    print(rnn.graph)
    print(rnn.code)
    y, h = rnn(torch.randn(25, 4, INPUTS), torch.zeros(4, HIDDEN))   # 25 steps: prints at steps 0, 10 and 20
    print(f"y: {tuple(y.shape)}, h: {tuple(h.shape)}")


if __name__ == "__main__":
    main()

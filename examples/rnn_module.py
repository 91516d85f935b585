"""A PyTorch-style script module (the seeds' RNN): ``@torch.jit.script_method`` compiles
``forward`` with its loop over time and a ``print`` that runs every tenth step.

    python examples/rnn_module.py
"""
import minitorch_jit as torch
from minitorch_jit import nn


class RNN(torch.jit.ScriptModule):
    def __init__(self, W_h, U_h, W_y, b_h, b_y):
        super(RNN, self).__init__()
        self.W_h = nn.Parameter(W_h)
        self.U_h = nn.Parameter(U_h)
        self.W_y = nn.Parameter(W_y)
        self.b_h = nn.Parameter(b_h)
        self.b_y = nn.Parameter(b_y)

    @torch.jit.script_method
    def forward(self, x, h):
        y = []
        for t in range(x.size(0)):
            h = torch.tanh(x[t] @ self.W_h + h @ self.U_h + self.b_h)
            y += [torch.tanh(h @ self.W_y + self.b_y)]
            if t % 10 == 0:
                print("stats: ", h.mean(), h.var())
        return torch.stack(y), h


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

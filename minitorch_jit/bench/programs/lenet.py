"""A LeNet-style convolutional net.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
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


def lenet() -> nn.Module:
    """The LeNet the bench times (a function, so the bench can build it under PyTorch too)."""
    return LeNet()

"""The residual block of PyTorch's fast-neural-style example, as the seeds show it: two 3x3
convolutions behind reflection padding (the example's ``ConvLayer``), instance norm, ReLU and
a residual add. The style network holds five of them at 128 channels and a quarter of the
image's side.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
from minitorch_jit import nn


class ConvLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


def residual_block() -> nn.Module:
    """The bench's model: one block at the style network's 128 channels."""
    return ResidualBlock(128)

"""Conv1d, Conv2d, Conv3d and ConvTranspose2d, initialised as PyTorch initialises them
(uniform within 1/sqrt(fan_in), fan_in taken from the weight's dim 1 and kernel)."""
from __future__ import annotations

import math
from typing import Sequence, Union

from ..tensor import Tensor
from . import functional as F
from .layers import _uniform
from .module import Module


def _ntuple(v: Union[int, Sequence[int]], n: int) -> tuple:
    return (v,) * n if isinstance(v, int) else tuple(v)


class _ConvNd(Module):
    """What Conv1d, Conv2d, Conv3d and ConvTranspose2d share: arguments as tuples of ``spatial``
    ints (padding may also be PyTorch's "same" or "valid"), PyTorch's initialisation, and the
    repr. A transposed convolution's weight is (in, out / groups, *kernel)."""
    spatial = 0
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Sequence[int]],
                 stride: Union[int, Sequence[int]] = 1, padding: Union[int, str, Sequence[int]] = 0,
                 dilation: Union[int, Sequence[int]] = 1, groups: int = 1, bias: bool = True,
                 output_padding: Union[int, Sequence[int]] = 0):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        n = self.spatial
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.dilation = (_ntuple(v, n) for v in (kernel_size, stride, dilation))
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        if self.transposed:
            self.output_padding = _ntuple(output_padding, n)
        shape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        bound = 1.0 / math.sqrt(shape[1] * math.prod(self.kernel_size))
        self.weight = _uniform(shape + self.kernel_size, bound)
        self.register_parameter("bias", _uniform((out_channels,), bound) if bias else None)

    def extra_repr(self) -> str:
        n = self.spatial
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.transposed and self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    spatial = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    spatial = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv3d(_ConvNd):
    spatial = 3

    def forward(self, x: Tensor) -> Tensor:
        return F.conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    spatial = 2
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Sequence[int]],
                 stride: Union[int, Sequence[int]] = 1, padding: Union[int, Sequence[int]] = 0,
                 output_padding: Union[int, Sequence[int]] = 0, groups: int = 1, bias: bool = True,
                 dilation: Union[int, Sequence[int]] = 1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         output_padding)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, list(self.stride), list(self.padding),
                                  list(self.output_padding), self.groups, list(self.dilation))

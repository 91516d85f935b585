"""Normalization layers: BatchNorm1d/2d (batch statistics while training, running ones in
eval mode), InstanceNorm2d and GroupNorm, with PyTorch's arguments, state_dict keys and reprs."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..tensor import Parameter, Tensor
from . import functional as F
from .module import Module


def _filled(n: int, value: float) -> Tensor:
    return Tensor._wrap(np.full((n,), value, np.float32))


class _NormBase(Module):
    """The state BatchNorm and InstanceNorm share: affine weight and bias, running mean and
    variance and the count of training batches (buffers, when ``track_running_stats``)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(_filled(num_features, 1.0)) if affine else None)
        self.register_parameter("bias", Parameter(_filled(num_features, 0.0)) if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", _filled(num_features, 0.0))
            self.register_buffer("running_var", _filled(num_features, 1.0))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def _check_input_dim(self, x: Tensor) -> None:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        self._check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        # the buffers are None without track_running_stats: tested with `is not None`, which
        # scripting decides when it compiles
        if self.num_batches_tracked is not None:
            if self.training:
                self.num_batches_tracked.add_(1)
                if self.momentum is None:  # a cumulative average
                    factor = 1.0 / float(self.num_batches_tracked)
        if self.running_mean is not None:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                                factor, self.eps)
        return F.batch_norm(x, None, None, self.weight, self.bias, True, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L) input."""

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() != 2 and x.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {x.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Over (N, C, H, W) input."""

    def _check_input_dim(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f"expected 4D input (got {x.dim()}D input)")


class InstanceNorm2d(_NormBase):
    """Each sample's channels normalized over H and W; (C, H, W) input is one sample. No
    affine parameters and no running statistics unless asked for, as in PyTorch."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = False,
                 track_running_stats: bool = False):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 and x.dim() != 4:
            raise ValueError(f"expected 3D or 4D input (got {x.dim()}D input)")
        factor = 0.0 if self.momentum is None else self.momentum
        use_input_stats = self.training or not self.track_running_stats
        if x.dim() == 3:
            return F.instance_norm(x.unsqueeze(0), self.running_mean, self.running_var, self.weight, self.bias,
                                   use_input_stats, factor, self.eps).squeeze(0)
        return F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                               factor, self.eps)


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.register_parameter("weight", Parameter(_filled(num_channels, 1.0)) if affine else None)
        self.register_parameter("bias", Parameter(_filled(num_channels, 0.0)) if affine else None)

    def forward(self, x: Tensor) -> Tensor:
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"

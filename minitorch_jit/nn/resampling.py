"""Padding and resampling layers: ZeroPad2d, ConstantPad2d, ReflectionPad2d,
ReplicationPad2d, CircularPad2d and Upsample, with PyTorch's arguments and reprs."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

from ..tensor import Tensor
from . import functional as F
from .module import Module


def _quadruple(padding: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """(left, right, top, bottom) from one int or four."""
    return (padding,) * 4 if isinstance(padding, int) else tuple(padding)


class _Pad2d(Module):
    def __init__(self, padding: Union[int, Sequence[int]], mode: str):
        super().__init__()
        self.padding, self.mode = _quadruple(padding), mode

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, list(self.padding), self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad2d(_Pad2d):
    """Pads with the input's reflection about its edges (the edge itself not repeated)."""

    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__(padding, "reflect")


class ReplicationPad2d(_Pad2d):
    """Pads by repeating the edge values."""

    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__(padding, "replicate")


class CircularPad2d(_Pad2d):
    """Pads with the input wrapped around (the other side's values)."""

    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__(padding, "circular")


class ConstantPad2d(Module):
    def __init__(self, padding: Union[int, Sequence[int]], value: float):
        super().__init__()
        self.padding, self.value = _quadruple(padding), value

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x, list(self.padding), "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding: Union[int, Sequence[int]]):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class Upsample(Module):
    """Resizes H and W of (N, C, H, W) input to ``size`` or by ``scale_factor``, in mode
    ``nearest`` or ``bilinear`` (see ``F.interpolate``)."""

    def __init__(self, size: Optional[Union[int, Sequence[int]]] = None,
                 scale_factor: Optional[Union[float, Sequence[float]]] = None, mode: str = "nearest",
                 align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None):
        super().__init__()
        self.size = tuple(size) if isinstance(size, (list, tuple)) else size
        self.scale_factor: Optional[Union[float, Tuple[float, ...]]] = None
        if isinstance(scale_factor, (int, float)):
            self.scale_factor = float(scale_factor)
        elif scale_factor is not None:
            self.scale_factor = tuple(float(s) for s in scale_factor)
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode='{self.mode}'"

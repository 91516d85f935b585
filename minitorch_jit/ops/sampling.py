"""``torch.normal``: samples of normal distributions from the global generator
(:func:`.creation.generator`), in PyTorch's four forms: tensor or float mean and std, or
floats and a size."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from minitorch_jit.ir.types import DEFAULT_FLOAT, TensorType, Type, tensor_type

from . import rules
from .creation import _OPTS, _check_size, _sized, generator
from .declare import derivative, not_implemented, op


def _check_std(std: Any) -> None:
    low = float(np.min(std)) if isinstance(std, np.ndarray) and std.size else std
    if not isinstance(low, np.ndarray) and low < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {low}")


def _sample(mean: Any, std: Any, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    if dtype.kind != "f":
        raise not_implemented("normal_kernel_cpu", dtype.name)
    _check_std(std)
    draws = generator().standard_normal(list(shape), dtype=dtype if dtype.itemsize >= 4 else np.float32)
    return (draws * std + mean).astype(dtype)


def _like_rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
    """The tensor arguments broadcast; their (floating) dtype."""
    tensors = [tensor_type(t) for t in types if isinstance(t, TensorType)]
    dtype: Optional[str] = tensors[0].dtype
    if any(t.dtype != dtype for t in tensors):
        dtype = None
    return [TensorType(dtype, rules.tensor_sizes(types))]


@op("aten::normal.Tensor_float(Tensor mean, float std=1.) -> Tensor", names=("torch.normal",),
    type_rule=_like_rule, random=True)
def normal_tensor_float(mean: np.ndarray, std: float = 1.0) -> np.ndarray:
    return _sample(mean, std, mean.shape, mean.dtype)


@op("aten::normal.float_Tensor(float mean, Tensor std) -> Tensor", names=("torch.normal",),
    type_rule=_like_rule, random=True)
def normal_float_tensor(mean: float, std: np.ndarray) -> np.ndarray:
    return _sample(mean, std, std.shape, std.dtype)


@op("aten::normal.Tensor_Tensor(Tensor mean, Tensor std) -> Tensor", names=("torch.normal",),
    type_rule=_like_rule, random=True)
def normal_tensor_tensor(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    if mean.dtype != std.dtype:
        raise RuntimeError(f"normal: mean and std must have the same dtype, got {mean.dtype} and {std.dtype}")
    rules.broadcast_sizes(mean.shape, std.shape)  # PyTorch's error when they do not broadcast
    return _sample(mean, std, np.broadcast_shapes(mean.shape, std.shape), mean.dtype)


@op(f"aten::normal.float_float(float mean, float std, int[] size, *, {_OPTS}) -> Tensor", names=("torch.normal",),
    type_rule=_sized(size_arg=2, dtype_arg=3), random=True)
def normal_float_float(mean: float, std: float, size: List[int], dtype: Any = None, device: Any = None,
                       requires_grad: bool = False) -> np.ndarray:
    return _sample(mean, std, _check_size(size), np.dtype(dtype if dtype is not None else DEFAULT_FLOAT))


# -- gradient formulas: a draw is mean + std * noise, the noise a constant of the call ----------


@derivative("aten::normal.Tensor_float")
def _normal_mean_grad(ctx: Any, g: Any) -> tuple:
    return (g,)


@derivative("aten::normal.float_Tensor")
def _normal_std_grad(ctx: Any, g: Any) -> tuple:
    return (None, g * (ctx.out - ctx[0]) / ctx[1])


@derivative("aten::normal.Tensor_Tensor")
def _normal_grad(ctx: Any, g: Any) -> tuple:
    return (g, g * (ctx.out - ctx[0]) / ctx[1] if ctx.needs(1) else None)

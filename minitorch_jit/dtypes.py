"""dtype objects with PyTorch's names (``torch.float32``, ``torch.long``, ...)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from minitorch_jit.ir.types import DTYPES, is_float


class dtype:
    """A tensor element type. ``name`` is the numpy name; ``np`` the numpy dtype."""

    __slots__ = ("name", "np")

    def __init__(self, name: str):
        self.name = name
        self.np = np.dtype(name)

    @property
    def is_floating_point(self) -> bool:
        return is_float(self.name)

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> Any:
        return (_by_name, (self.name,))


BY_NAME: Dict[str, dtype] = {name: dtype(name) for name in DTYPES}

float32 = float = BY_NAME["float32"]
float64 = double = BY_NAME["float64"]
int64 = long = BY_NAME["int64"]
int32 = int = BY_NAME["int32"]
int16 = short = BY_NAME["int16"]
int8 = BY_NAME["int8"]
uint8 = BY_NAME["uint8"]
float16 = half = BY_NAME["float16"]
bool = BY_NAME["bool"]  # noqa: A001 - PyTorch's name


def _by_name(name: str) -> dtype:
    return BY_NAME[name]


def to_dtype(value: Any) -> dtype:
    """A dtype from a dtype, a numpy dtype, a dtype name or a Python type (``float`` is
    float64 in PyTorch, as in ``x.to(float)``)."""
    import builtins
    if isinstance(value, dtype):
        return value
    if value is builtins.float:
        return float64
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool
    try:
        name = np.dtype(value).name
    except TypeError:
        raise TypeError(f"not a dtype: {value!r}") from None
    if name not in BY_NAME:
        raise TypeError(f"dtype {name} is not supported (supported: {', '.join(DTYPES)})")
    return BY_NAME[name]


def get_default_dtype() -> dtype:
    """Always float32: like PyTorch's default, and not settable here."""
    return float32


_LEGACY = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
           "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
           "bool": "BoolTensor"}


def legacy_type_name(name: str) -> str:
    """``torch.FloatTensor`` for float32: the name PyTorch's messages and ``Tensor.type()`` use."""
    return "torch." + _LEGACY.get(name, name)

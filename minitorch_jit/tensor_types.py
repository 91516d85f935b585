"""PyTorch's legacy tensor types: ``torch.FloatTensor``, ``LongTensor``... Each is a
constructor (``torch.FloatTensor(2, 3)`` of sizes, ``torch.LongTensor([1, 2])`` of data) and a
class that ``isinstance`` answers for tensors of its dtype; ``t.type()`` is its name, and
``t.type(torch.DoubleTensor)`` (or its name, or a dtype) converts."""
from __future__ import annotations

from typing import Any, Dict, Union

from . import dtypes
from .tensor import Tensor, legacy_array

# legacy name -> dtype name
NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16", "LongTensor": "int64",
         "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
         "BoolTensor": "bool"}


class LegacyTensorType(type):
    """The metaclass: ``isinstance(t, torch.FloatTensor)`` is ``t.dtype == torch.float32``."""

    dtype: dtypes.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args: Any) -> Tensor:
        """``torch.FloatTensor(2, 3)`` of sizes, ``torch.FloatTensor([1, 2])`` of data."""
        return Tensor._wrap(legacy_array(args, cls.dtype.np, cls.__name__))

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


BY_DTYPE: Dict[str, LegacyTensorType] = {
    dtype: LegacyTensorType(name, (), {"dtype": dtypes.BY_NAME[dtype], "__module__": __name__})
    for name, dtype in NAMES.items()}


def _type(self: Tensor, dtype: Union[None, str, dtypes.dtype, LegacyTensorType] = None,
          non_blocking: bool = False) -> Any:
    """``t.type()``: the legacy type's name (``"torch.FloatTensor"``); ``t.type(T)``: ``t``
    converted to ``T`` (a legacy type, its name, or a dtype), ``t`` itself when it is one."""
    if dtype is None:
        return f"torch.{BY_DTYPE[self.dtype.name].__name__}"
    if isinstance(dtype, str):
        name = dtype[len("torch."):] if dtype.startswith("torch.") else dtype
        if name not in NAMES:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = BY_DTYPE[NAMES[name]]
    target = dtype.dtype if isinstance(dtype, LegacyTensorType) else dtypes.to_dtype(dtype)
    return self.to(target)


Tensor.type = _type  # type: ignore[attr-defined]

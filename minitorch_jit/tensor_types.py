"""PyTorch's legacy tensor types: ``torch.FloatTensor``, ``LongTensor``... Each is a
constructor (``torch.FloatTensor(2, 3)`` of sizes, ``torch.LongTensor([1, 2])`` of data) and a
class that ``isinstance`` answers for tensors of its dtype; ``t.type()`` is its name, and
``t.type(torch.DoubleTensor)`` (or its name, or a dtype) converts."""
from __future__ import annotations

from typing import Any, Dict, Union

import numpy as np

from . import dtypes
from .tensor import Size, Tensor

# legacy name -> dtype name
NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16", "LongTensor": "int64",
         "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
         "BoolTensor": "bool"}


class TensorType(type):
    """The metaclass: ``isinstance(t, torch.FloatTensor)`` is ``t.dtype == torch.float32``."""

    dtype: dtypes.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args: Any) -> Tensor:
        """Sizes when every argument is an int (the values are zeros here, not PyTorch's
        uninitialized memory), else the data of one sequence, array or tensor."""
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            if any(a < 0 for a in args):
                raise RuntimeError(f"Trying to create tensor with negative dimension: {list(args)}")
            return Tensor._wrap(np.zeros(tuple(int(a) for a in args) if args else (0,), cls.dtype.np))
        if len(args) == 1 and isinstance(args[0], Size):
            return cls(*args[0])
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got "
                            f"{', '.join(type(a).__name__ for a in args)}")
        data = args[0]._a if isinstance(args[0], Tensor) else args[0]
        return Tensor._wrap(np.array(data, dtype=cls.dtype.np))

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


BY_DTYPE: Dict[str, TensorType] = {}
for _name, _dtype in NAMES.items():
    if _dtype in dtypes.BY_NAME:
        BY_DTYPE[_dtype] = TensorType(_name, (), {"dtype": dtypes.BY_NAME[_dtype], "__module__": __name__})


def _type(self: Tensor, dtype: Union[None, str, dtypes.dtype, TensorType] = None, non_blocking: bool = False) -> Any:
    """``t.type()``: the legacy type's name (``"torch.FloatTensor"``); ``t.type(T)``: ``t``
    converted to ``T`` (a legacy type, its name, or a dtype), ``t`` itself when it is one."""
    if dtype is None:
        return f"torch.{BY_DTYPE[self.dtype.name].__name__}"
    if isinstance(dtype, str):
        name = dtype[len("torch."):] if dtype.startswith("torch.") else dtype
        if name not in NAMES or NAMES[name] not in BY_DTYPE:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = BY_DTYPE[NAMES[name]]
    target = dtype.dtype if isinstance(dtype, TensorType) else dtypes.to_dtype(dtype)
    return self.to(target)


Tensor.type = _type  # type: ignore[attr-defined]

"""Tensors as dict keys: a ``Dict[Tensor, V]`` hashes its keys by identity, as Python's and
TorchScript's do. Graphs hold tensors as numpy arrays, which cannot be hashed, so a dict's
tensor keys are held as :class:`TensorKey` (the array, hashed and compared by identity), made
when a key goes in and taken apart when keys come out."""
from __future__ import annotations

from typing import Any

import numpy as np


class TensorKey:
    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array

    def __hash__(self) -> int:
        return id(self.array)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TensorKey) and other.array is self.array

    def __repr__(self) -> str:
        from .._format import tensor_repr
        return tensor_repr(self.array)


def key(k: Any) -> Any:
    """A key as a dict holds it."""
    return TensorKey(k) if isinstance(k, np.ndarray) else k


def unkey(k: Any) -> Any:
    """A key as graphs see it."""
    return k.array if isinstance(k, TensorKey) else k

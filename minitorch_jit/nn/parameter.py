"""``nn.Parameter`` and ``nn.Buffer``: tensors that mark what a module attribute is.

``self.x = nn.Buffer(t)`` registers ``x`` as a buffer, as ``self.register_buffer("x", t)``
would (``persistent=False`` keeps it out of the state dict); the Buffer shares ``t``'s data.
"""
from __future__ import annotations

from typing import Any, Optional

from ..tensor import Parameter, Tensor


class Buffer(Tensor):
    """A tensor that a Module registers as a buffer when assigned as an attribute."""

    __slots__ = ("persistent",)
    persistent: bool

    def __new__(cls, data: Optional[Tensor] = None, *, persistent: bool = True) -> "Buffer":
        if data is not None and not isinstance(data, Tensor):
            raise TypeError(f"Buffer() expects a Tensor, got {type(data).__name__}")
        b: Buffer = cls._wrap(data._a if data is not None else Tensor()._a)  # type: ignore[assignment]
        b.requires_grad = data.requires_grad if data is not None else False
        b.persistent = persistent
        return b

    def __init__(self, data: Optional[Tensor] = None, *, persistent: bool = True):
        pass


def is_buffer(value: Any) -> bool:
    return isinstance(value, Buffer)


__all__ = ["Buffer", "Parameter", "is_buffer"]

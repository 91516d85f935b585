"""``torch.autograd.Variable``: the old name of tensors that autograd tracks, kept for code
written for it. ``Variable(t)`` is ``t`` detached (sharing its data), requiring grad when asked;
every tensor is an instance of it."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Any:  # type: ignore[misc]
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()  # a method the ops attach to Tensor
        if requires_grad:
            out.requires_grad_(True)
        return out

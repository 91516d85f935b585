"""The autograd methods of Tensor, attached when autograd is imported (tensor.py stays below it)."""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..tensor import Tensor
from . import engine


def backward(self: Tensor, gradient: Optional[Tensor] = None, retain_graph: Optional[bool] = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradient of this tensor into the leaves' ``.grad``."""
    engine.backward(self, None if gradient is None else [gradient], retain_graph, create_graph, inputs)


def register_hook(self: Tensor, hook: Callable[[Tensor], Optional[Tensor]]) -> Any:
    return engine.register_hook(self, hook)


def retain_grad(self: Tensor) -> None:
    engine.retain_grad(self)


def attach() -> None:
    Tensor.backward = backward  # type: ignore[attr-defined]
    Tensor.register_hook = register_hook  # type: ignore[attr-defined]
    Tensor.retain_grad = retain_grad  # type: ignore[attr-defined]

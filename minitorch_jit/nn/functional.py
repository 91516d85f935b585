"""``nn.functional``: every op the registry names ``functional.<name>``, and the
``inplace=`` argument PyTorch's activations take."""
from __future__ import annotations

from typing import Callable

from minitorch_jit.ir import registry as _registry

from .. import ops as _ops
from ..tensor import Tensor

for _name in _registry.python_names("functional"):
    globals()[_name] = _ops.function("functional", _name)


def _inplace_form(name: str) -> Callable[..., Tensor]:
    """``F.<name>(input, inplace=False)``: with ``inplace``, the in-place op ``input.<name>_()``."""
    out_of_place = _ops.function("functional", name)

    def f(input: Tensor, inplace: bool = False) -> Tensor:
        return _ops.call("Tensor", f"{name}_", (input,)) if inplace else out_of_place(input)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = out_of_place.__doc__
    return f


relu = _inplace_form("relu")
silu = _inplace_form("silu")

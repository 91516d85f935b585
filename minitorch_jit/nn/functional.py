"""``nn.functional``: every op the registry names ``functional.<name>``, and the
``inplace=`` argument PyTorch's activations take."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minitorch_jit.ir import registry as _registry

from .. import ops as _ops
from ..tensor import Tensor

for _name in _registry.python_names("functional"):
    globals()[_name] = _ops.function("functional", _name)

if TYPE_CHECKING:
    # The functions above are made from the registry at import, so mypy cannot see them: this
    # module __getattr__ (PEP 562), declared for mypy only and never defined at run time, says
    # any other name of the module is such a function.
    def __getattr__(name: str) -> Callable[..., Any]: ...


def _inplace_form(name: str, n_params: int = 0, method: bool = False) -> Callable[..., Tensor]:
    """``F.<name>(input, <n_params arguments>, inplace=False)``: with ``inplace``, the result
    is written into ``input``, by the in-place op ``input.<name>_()`` where it is one
    (``method``), else copied in."""
    out_of_place = _ops.function("functional", name)

    def f(input: Tensor, *args: Any, inplace: bool = False, **kwargs: Any) -> Tensor:
        if len(args) > n_params + 1:
            raise TypeError(f"{name}() takes at most {n_params + 2} positional arguments but {len(args) + 1} "
                            "were given")
        if len(args) > n_params:
            args, inplace = args[:n_params], args[n_params]
        if not inplace:
            return out_of_place(input, *args, **kwargs)
        if method:
            return _ops.call("Tensor", f"{name}_", (input,) + args, kwargs)
        return _ops.call("Tensor", "copy_", (input, out_of_place(input, *args, **kwargs)))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = out_of_place.__doc__
    return f


relu = _inplace_form("relu", method=True)
silu = _inplace_form("silu", method=True)
elu = _inplace_form("elu", 1)
selu = _inplace_form("selu")
leaky_relu = _inplace_form("leaky_relu", 1)
threshold = _inplace_form("threshold", 2, method=True)
hardswish = _inplace_form("hardswish")
mish = _inplace_form("mish")

"""The ops: importing this package fills the registry (``ir.registry``) with every op's
schema, type rule and numpy kernel, and attaches the ``Tensor`` methods named there."""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

from minitorch_jit.ir import registry

from ..tensor import Tensor
from . import (  # noqa: F401 (they register)
    activations,
    convolution,
    creation,
    dicts,
    linalg,
    lists,
    nn,
    normalization,
    objects,
    pointwise,
    pooling,
    prims,
    python,
    python_builtins,
    recurrent,
    reduction,
    resampling,
    selection,
    shape,
    strings,
    tensor_methods,
    warn,
)
from .dispatch import call, run, select, state

_FUNCTIONS: Dict[Tuple[str, str], Callable[..., Any]] = {}


def function(namespace: str, name: str) -> Callable[..., Any]:
    """The Python function calling ``<namespace>.<name>`` through the registry: one per name,
    so that the scripter knows it by identity however it was imported."""
    if (namespace, name) in _FUNCTIONS:
        return _FUNCTIONS[namespace, name]

    def f(*args: Any, **kwargs: Any) -> Any:
        return call(namespace, name, args, kwargs)
    f.__name__ = f.__qualname__ = name
    ops = registry.python_overloads(namespace, name)
    f.__doc__ = "\n".join(o.schema.text for o in ops) + "\n\n" + (ops[0].doc if ops else "")
    _FUNCTIONS[namespace, name] = f
    return f


def _method(name: str) -> Callable[..., Any]:
    operator = name.startswith("__") and name.endswith("__")
    reflected = operator and name.startswith("__r") and name not in ("__rshift__",)

    def m(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        call_args = (args[0], self) + args[1:] if reflected else (self,) + args
        if operator:
            try:
                op, bound = select("Tensor", name, call_args, kwargs)
            except TypeError:
                return NotImplemented  # let Python try the other operand or raise its own error
            return run(op, bound)
        return call("Tensor", name, call_args, kwargs)
    m.__name__ = m.__qualname__ = name
    return m


def _attach_methods() -> None:
    for name in registry.python_names("Tensor"):
        if name not in Tensor.__dict__:
            setattr(Tensor, name, _method(name))


tensor_methods.attach()
_attach_methods()

__all__ = ["call", "function", "state"]

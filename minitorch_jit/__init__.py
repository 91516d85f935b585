"""minitorch_jit: a numpy-backed tensor library with PyTorch's names, and a tracing and
scripting JIT compiler for it.

    import minitorch_jit as torch
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from minitorch_jit.ir import registry as _registry

from . import dtypes
from . import ops as _ops
from .dtypes import bool, double, dtype, float, float32, float64, get_default_dtype, int, int32, int64, long  # noqa: A004
from .tensor import Parameter, Size, Tensor

for _name in _registry.python_names("torch"):
    globals()[_name] = _ops.function("torch", _name)

if TYPE_CHECKING:
    # The functions above are made from the registry at import, so mypy cannot see them: this
    # module __getattr__ (PEP 562), declared for mypy only and never defined at run time, says
    # any other name of the module is such a function.
    def __getattr__(name: str) -> Callable[..., Any]: ...

from . import nn  # noqa: E402
from .nn import functional  # noqa: E402,F401


def is_tensor(obj: Any) -> "bool":
    return isinstance(obj, Tensor)


from . import (  # noqa: E402
    autograd,
    jit,  # noqa: E402
    optim,
)
from ._version import __version__  # noqa: E402,F401
from .autograd import (  # noqa: E402,F401
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .jit import (  # noqa: E402,F401
    LoadError,
    ScriptFunction,
    ScriptModule,
    TracerWarning,
    TracingCheckError,
    load,
    save,
    trace,
)
from .scripter import ScriptError, script, script_method  # noqa: E402,F401

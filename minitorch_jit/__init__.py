"""minitorch_jit: a numpy-backed tensor library with PyTorch's names, and a tracing and
scripting JIT compiler for it.

    import minitorch_jit as torch
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Iterator

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


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """There is no autograd here, so nothing is ever recorded for gradients: a no-op."""
    yield


inference_mode = no_grad

from . import jit  # noqa: E402
from ._version import __version__  # noqa: E402,F401
from .jit import (  # noqa: E402,F401
    LoadError,
    ScriptFunction,
    ScriptModule,
    TracerWarning,
    TracingCheckError,
    trace,
)
from .scripter import ScriptError, script, script_method  # noqa: E402,F401
from .scripter.jit_functions import _check  # noqa: E402,F401
from .serialization import load_object as load  # noqa: E402
from .serialization import save_object as save  # noqa: E402

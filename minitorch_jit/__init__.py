"""minitorch_jit: a numpy-backed tensor library with PyTorch's names, and a tracing and
scripting JIT compiler for it.

    import minitorch_jit as torch
"""
# Names imported for this module's own use are bound with a leading underscore, so that the
# torch namespace holds PyTorch's names only (``torch.Any``, ``torch.contextlib`` are not).
import typing as _typing

from minitorch_jit.ir import registry as _registry

from . import dtypes
from . import ops as _ops
from .devices import device
from .dtypes import (  # noqa: A004
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .tensor import Parameter, Size, Tensor

for _name in _registry.python_names("torch"):
    globals()[_name] = _ops.function("torch", _name)

from . import tensor_types as _tensor_types  # noqa: E402

for _legacy in _tensor_types.BY_DTYPE.values():  # torch.FloatTensor, torch.LongTensor, ...
    globals()[_legacy.__name__] = _legacy

if _typing.TYPE_CHECKING:
    # The functions above are made from the registry at import, so mypy cannot see them: this
    # module __getattr__ (PEP 562), declared for mypy only and never defined at run time, says
    # any other name of the module is such a function.
    def __getattr__(name: str) -> _typing.Callable[..., _typing.Any]: ...

from . import nn  # noqa: E402
from .nn import functional  # noqa: E402,F401


def is_tensor(obj: _typing.Any) -> "bool":
    return isinstance(obj, Tensor)


from minitorch_jit.codegen.threads import get_num_threads, set_num_threads  # noqa: E402,F401

from . import _C, autograd, jit, optim  # noqa: E402,F401
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
)
from .scripter import ScriptError, script, script_method  # noqa: E402,F401
from .scripter.jit_functions import _check  # noqa: E402,F401
from .serialization import load_object as load  # noqa: E402
from .serialization import save_object as save  # noqa: E402

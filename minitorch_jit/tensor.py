"""``Tensor``: a numpy array with PyTorch's names and semantics.

A Tensor wraps one ndarray (``_a``); views are numpy views, so memory is shared exactly
as PyTorch shares it, and ``numpy()`` / ``from_numpy`` are zero-copy. Every op method
(``add``, ``__mul__``, ``view``...) is attached from the op registry when
``minitorch_jit.ops`` is imported, and so are the methods the tracer must see (indexing, size
queries, conversions to Python values: :mod:`minitorch_jit.ops.tensor_methods`). The methods
written here are the ones that never go through dispatch, so this module imports no op.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

import numpy as np

from . import dtypes
from ._format import tensor_repr


class Size(tuple):
    """``torch.Size``: a tuple of ints."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor:
    __slots__ = ("_a", "requires_grad", "__weakref__")
    # numpy must defer to our reflected operators (np.float32(2) * t), not wrap us in arrays
    __array_ufunc__ = None
    # the size queries the tracer must see, attached by minitorch_jit.ops (ops/tensor_methods.py)
    shape: Size
    size: Callable[..., Any]
    dim: Callable[[], int]
    numel: Callable[[], int]

    if TYPE_CHECKING:
        # The op methods (t.relu(), t.view(...)) are attached at import from the registry
        # (minitorch_jit.ops), so mypy cannot see them: this declaration, never defined at run
        # time, says any other attribute is such a method. Operators are looked up on the class,
        # not through __getattr__, so `t + 1` stays unchecked by this.
        def __getattr__(self, name: str) -> Callable[..., Any]: ...

    def __init__(self, data: Any = ()):
        # torch.Tensor(data): the legacy constructor, always the default float dtype
        arr = data._a if isinstance(data, Tensor) else np.asarray(data)
        self._a = np.array(arr, dtype=np.float32)
        self.requires_grad = False

    @classmethod
    def _wrap(cls, arr: np.ndarray) -> "Tensor":
        t = object.__new__(cls)
        t._a = arr
        t.requires_grad = False
        return t

    # -- queries ----------------------------------------------------------------------------
    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.BY_NAME[self._a.dtype.name]

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def ndim(self) -> int:
        return self.dim()

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def data(self) -> "Tensor":
        """The same memory as a tensor of its own (a trace sees it as a constant, as
        PyTorch's does: reading ``.data`` leaves the recorded data flow)."""
        return Tensor._wrap(self._a)

    @property
    def grad(self) -> None:
        return None

    @property
    def T(self) -> "Tensor":
        return self.permute(list(range(self._a.ndim - 1, -1, -1)))

    def element_size(self) -> int:
        return self._a.itemsize

    def stride(self, dim: Optional[int] = None) -> Any:
        """Strides in elements, as PyTorch counts them."""
        strides = tuple(s // self._a.itemsize for s in self._a.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self) -> bool:
        return bool(self._a.flags.c_contiguous)

    def data_ptr(self) -> int:
        return int(self._a.__array_interface__["data"][0])

    def is_floating_point(self) -> bool:
        return self._a.dtype.kind == "f"

    def nelement(self) -> int:
        return self.numel()

    def cpu(self) -> "Tensor":
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def backward(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("minitorch_jit has no autograd: backward() is not supported")

    # -- conversion to Python ---------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._a if dtype is None else self._a.astype(dtype)

    def _scalar(self) -> Any:
        if self._a.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._a.reshape(()).item()

    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._a.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        from .ops.dispatch import state  # the tensor type is below the ops that trace
        if state.tracer is not None:
            state.tracer.warn_iteration(self)
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return tensor_repr(self._a, self.requires_grad)

    def __format__(self, spec: str) -> str:
        if self._a.ndim == 0 and spec:
            return format(self._a.item(), spec)
        return repr(self)

    def __reduce_ex__(self, protocol: int) -> Any:
        return (Tensor._wrap, (self._a,))


class Parameter(Tensor):
    """``nn.Parameter``: a tensor that a Module registers as a parameter."""

    __slots__ = ()

    def __new__(cls, data: Optional[Tensor] = None, requires_grad: bool = True) -> "Parameter":
        t = object.__new__(cls)
        t._a = np.zeros(0, np.float32) if data is None else data._a
        t.requires_grad = requires_grad
        return t

    def __init__(self, data: Optional[Tensor] = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


"""``Tensor``: a numpy array with PyTorch's names and semantics.

A Tensor wraps one ndarray (``_a``); views are numpy views, so memory is shared exactly
as PyTorch shares it, and ``numpy()`` / ``from_numpy`` are zero-copy. Every op method
(``add``, ``__mul__``, ``view``...) is attached from the op registry when
``minitorch_jit.ops`` is imported, and so are the methods the tracer must see (indexing, size
queries, conversions to Python values: :mod:`minitorch_jit.ops.tensor_methods`). The methods
written here are the ones that never go through dispatch, so this module imports no op.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from . import devices, dtypes
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


class Version:
    """The version counter of a storage: bumped by every in-place write, shared by the views
    of one tensor, so autograd can tell that a tensor it saved has been overwritten."""
    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


class TensorMeta:
    """What autograd keeps on the few tensors that need more than a flag: a leaf's gradient
    and hooks, a view's base, a non-leaf's output number. Most tensors never have one."""
    __slots__ = ("grad", "hooks", "retains_grad", "output_nr", "accumulator", "view_base", "view_fn",
                 "view_version", "name")

    def __init__(self) -> None:
        self.grad: Any = None
        self.hooks: list = []
        self.retains_grad = False
        self.output_nr = 0
        self.accumulator: Any = None  # a weak reference to the leaf's AccumulateGrad node
        self.view_base: Any = None    # for a differentiable view: the tensor it views
        self.view_fn: Any = None      # base -> this view, replayed through dispatch
        self.view_version = 0         # the version at which grad_fn was last set
        self.name: Optional[str] = None


class Tensor:
    # _requires_grad: a leaf that requires grad, or the result of a recorded op (grad_fn set)
    __slots__ = ("_a", "_requires_grad", "grad_fn", "_version_box", "_meta", "__weakref__")
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

    def __init__(self, *args: Any):
        # torch.Tensor(data) or torch.Tensor(2, 3): the legacy constructor, always the default
        # float dtype
        self._a = legacy_array(args, np.dtype(np.float32), "Tensor")
        self._requires_grad = False
        self.grad_fn: Any = None
        self._version_box: Optional[Version] = None
        self._meta: Optional[TensorMeta] = None

    @classmethod
    def _wrap(cls, arr: np.ndarray) -> "Tensor":
        t = object.__new__(cls)
        t._a = arr
        t._requires_grad = False
        t.grad_fn = None
        t._version_box = None
        t._meta = None
        return t

    # -- autograd state (the engine lives in minitorch_jit.autograd) ---------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None:
            if value:
                return
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use "
                               "a computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if value and self._a.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def _get_meta(self) -> TensorMeta:
        if self._meta is None:
            self._meta = TensorMeta()
        return self._meta

    @property
    def grad(self) -> Optional["Tensor"]:
        return None if self._meta is None else self._meta.grad

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._a.shape != self._a.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value._a.dtype != self._a.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._get_meta().grad = value

    @property
    def retains_grad(self) -> bool:
        return self._meta is not None and self._meta.retains_grad

    @property
    def output_nr(self) -> int:
        return 0 if self._meta is None else self._meta.output_nr

    @property
    def _version(self) -> int:
        return 0 if self._version_box is None else self._version_box.v

    def _box(self) -> Version:
        """The version counter, made on first need (most tensors are never written in place)."""
        if self._version_box is None:
            self._version_box = Version()
        return self._version_box

    def detach_(self) -> "Tensor":
        if self._meta is not None and self._meta.view_base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- queries ----------------------------------------------------------------------------
    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.BY_NAME[self._a.dtype.name]

    @property
    def device(self) -> devices.device:
        return devices.CPU

    @property
    def ndim(self) -> int:
        return self.dim()

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def data(self) -> "Tensor":
        """The same memory as a tensor of its own, detached from autograd (a trace sees it as
        a constant, as PyTorch's does: reading ``.data`` leaves the recorded data flow; an
        in-place change through it bumps the version counter the storage shares)."""
        t = Tensor._wrap(self._a)
        t._version_box = self._box()
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._a = value._a

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


    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        if self.grad_fn is not None:
            return tensor_repr(self._a, grad_fn=type(self.grad_fn).__name__)
        return tensor_repr(self._a, self._requires_grad)

    def __format__(self, spec: str) -> str:
        if self._a.ndim == 0 and spec:
            return format(self._a.item(), spec)
        return repr(self)

    def __reduce_ex__(self, protocol: int) -> Any:
        return (Tensor._wrap, (self._a,))


def legacy_array(args: Any, dtype: np.dtype, name: str) -> np.ndarray:
    """The array of PyTorch's legacy constructors (``torch.Tensor``, ``torch.FloatTensor``...):
    of sizes when every argument is an int or one is a ``torch.Size`` (zeros here, not
    PyTorch's uninitialized memory), else of the data of one sequence, array or tensor."""
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        if any(a < 0 for a in args):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(args)}")
        return np.zeros(tuple(int(a) for a in args) if args else (0,), dtype)
    if len(args) != 1:
        raise TypeError(f"{name}(): expected sizes (ints) or one sequence of data, got "
                        f"{', '.join(type(a).__name__ for a in args)}")
    data = args[0]._a if isinstance(args[0], Tensor) else args[0]
    return np.array(data, dtype=dtype)


class Parameter(Tensor):
    """``nn.Parameter``: a tensor that a Module registers as a parameter."""

    __slots__ = ()

    def __new__(cls, data: Optional[Tensor] = None, requires_grad: bool = True) -> "Parameter":
        t = object.__new__(cls)
        t._a = np.zeros(0, np.float32) if data is None else data._a
        t._requires_grad = False
        t.grad_fn = None
        t._version_box = None if data is None else data._version_box
        t._meta = None
        t.requires_grad = requires_grad
        return t

    def __init__(self, data: Optional[Tensor] = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


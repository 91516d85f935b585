"""The Tensor methods that are not registry ops but go through dispatch, or that the tracer
must see: ``t[index]`` (lowered to op calls by :mod:`.getitem`), the size queries (fast when
nothing is traced, recorded while tracing) and the conversions to Python values (which freeze
a traced value into the trace, so they warn). Attached to Tensor when ``minitorch_jit.ops`` is
imported: ``tensor.py`` stays below the ops and imports none of them.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np

from minitorch_jit.ir import registry

from ..tensor import Size, Tensor
from . import getitem
from .dispatch import call, run, state


def _warn_if_traced(t: Tensor, what: str) -> None:
    if state.tracer is not None:
        state.tracer.warn_conversion(t, what)


def shape(self: Tensor) -> Size:
    if state.tracer is not None:
        return self.size()
    return Size(self._a.shape)


def size(self: Tensor, dim: Optional[int] = None) -> Any:
    """``torch.Size`` of all dims, or one dim's size (recorded while tracing)."""
    if dim is not None:
        return call("Tensor", "size", (self, dim))
    if state.tracer is None:
        return Size(self._a.shape)
    return Size(self.size(i) for i in range(self._a.ndim))


def dim(self: Tensor) -> int:
    return self._a.ndim if state.tracer is None else call("Tensor", "dim", (self,))


def numel(self: Tensor) -> int:
    return int(self._a.size) if state.tracer is None else call("Tensor", "numel", (self,))


def numpy(self: Tensor) -> np.ndarray:
    _warn_if_traced(self, "Converting a tensor to a NumPy array")
    return self._a


def tolist(self: Tensor) -> Any:
    _warn_if_traced(self, "Converting a tensor to a Python list")
    return self._a.tolist()


def item(self: Tensor) -> Any:
    _warn_if_traced(self, "Converting a tensor to a Python number")
    if self._a.size != 1:
        raise RuntimeError(f"a Tensor with {self._a.size} elements cannot be converted to Scalar")
    return self._a.reshape(()).item()


def __bool__(self: Tensor) -> bool:
    _warn_if_traced(self, "Converting a tensor to a Python boolean")
    if self._a.size != 1:
        raise RuntimeError("Boolean value of Tensor with "
                           + ("no values" if self._a.size == 0 else "more than one value") + " is ambiguous")
    return bool(self._a.reshape(()))


def __int__(self: Tensor) -> int:
    _warn_if_traced(self, "Converting a tensor to a Python integer")
    return int(self._scalar())


def __float__(self: Tensor) -> float:
    _warn_if_traced(self, "Converting a tensor to a Python float")
    return float(self._scalar())


def __index__(self: Tensor) -> int:
    if self._a.dtype.kind not in "iub":
        raise TypeError("only integer tensors of a single element can be converted to an index")
    # no warning: PyTorch's tracer gives none for a tensor used as an index
    return int(self._scalar())


def transposed(self: Tensor) -> Tensor:
    """``x.T``: the dims reversed (``aten::numpy_T``, as a script computes it)."""
    return run(registry.get("aten::numpy_T"), [self])


def __iter__(self: Tensor) -> Iterator[Tensor]:
    if self._a.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    if state.tracer is not None:
        state.tracer.warn_iteration(self)
    return iter(self.unbind(0))


_detach_in_place = Tensor.detach_


def detach_(self: Tensor) -> Tensor:
    """``x.detach_()``: recorded by a trace as TorchScript records it, ``aten::detach`` of the
    value, which the tensor is from then on."""
    tracer = state.tracer
    if tracer is not None and tracer.traced(self):
        detached = call("Tensor", "detach", (self,))
        tracer.values[id(self)] = (self, tracer.values[id(detached)][1])
    return _detach_in_place(self)


_METHODS = {"shape": property(shape), "detach_": detach_, "T": property(transposed),
            "size": size, "dim": dim, "numel": numel, "numpy": numpy, "tolist": tolist,
            "item": item, "__bool__": __bool__, "__int__": __int__, "__float__": __float__, "__index__": __index__,
            "__getitem__": getitem.getitem, "__setitem__": getitem.setitem, "__iter__": __iter__}


def attach() -> None:
    """Give Tensor these methods (before the registry's generic ones, which skip names Tensor has)."""
    for name, method in _METHODS.items():
        setattr(Tensor, name, method)

"""``map_location=`` of ``torch.load`` and ``torch.jit.load``: where loaded tensors go. Every
tensor here lives on the CPU, so a location is checked (CUDA is refused with PyTorch's
message) and a callable gets each tensor to replace."""
from __future__ import annotations

from typing import Any, Callable

from ..tensor import Tensor

_CUDA = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are "
         "running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your "
         "storages to the CPU.")


def _device_type(d: Any, what: str) -> str:
    kind = getattr(d, "type", d)
    if not isinstance(kind, str):
        raise TypeError(f"{what} should be a string, a device, a dict or a callable, not {type(d).__name__}")
    kind = kind.split(":", 1)[0]
    if kind == "cuda":
        raise RuntimeError(_CUDA)
    if kind not in ("cpu", "meta"):
        raise RuntimeError(f"don't know how to restore data location of a tensor to device '{kind}'")
    if kind == "meta":
        raise NotImplementedError("map_location='meta' is not supported: tensors here always hold their data")
    return kind


def placement(map_location: Any) -> Callable[[Tensor], Tensor]:
    """What ``map_location`` does to each loaded tensor (saved on the CPU)."""
    if map_location is None:
        return lambda t: t
    if isinstance(map_location, dict):
        target = map_location.get("cpu", "cpu")
        _device_type(target, "map_location['cpu']")
        return lambda t: t
    if callable(map_location) and not isinstance(map_location, str) and not hasattr(map_location, "type"):
        def call(t: Tensor) -> Tensor:
            result = map_location(t, "cpu")
            if result is None:
                return t
            if not isinstance(result, Tensor):
                raise TypeError(f"map_location returned a {type(result).__name__}, expected a tensor or None")
            return result
        return call
    _device_type(map_location, "map_location")
    return lambda t: t

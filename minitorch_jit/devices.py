"""``torch.device``: where a tensor lives. Only the CPU here: other devices can be named, as
in PyTorch without their hardware, but nothing can be put on them."""
from __future__ import annotations

from typing import Any, Optional, Union

# PyTorch's device types (a device string must start with one of them)
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:
    """``torch.device("cpu")``, ``torch.device("cuda", 0)``, ``torch.device("cpu:0")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: Union[str, "device"], index: Optional[int] = None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            if index is None:
                index = type.index
            type = type.type
        if not isinstance(type, str):
            raise TypeError(f"device(): argument 'type' must be str, not {type.__class__.__name__}")
        kind, colon, number = type.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                               f"{type}")
        if colon:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type: str = kind
        self.index: Optional[int] = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> Any:
        return (device, (self.type, self.index))


CPU = device("cpu")


def is_cpu(value: Any) -> bool:
    """Does ``value`` (a device, a device string, None) name the CPU?"""
    if value is None:
        return True
    if isinstance(value, str):
        value = device(value)
    return isinstance(value, device) and value.type == "cpu"

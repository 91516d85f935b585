"""``BroadcastingList2[float]``: TorchScript's annotation of a ``List[float]`` parameter that
also takes one number, repeated to the list's length (as ``F.max_pool2d(x, 2)`` takes a
``kernel_size`` of 2 for ``[2, 2]``). Schemas print it with its length, ``float[2] x``.

The annotation object sits on the compiled function's signature; calls from Python and from
scripts widen a number passed for it (tuples and lists pass as they are).
"""
from __future__ import annotations

from typing import Any


class BroadcastList:
    """The annotation ``BroadcastingList{n}[elem]``."""

    def __init__(self, n: int, elem: Any = None):
        self.n, self.elem = n, elem

    def widen(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return list(value)
        return value if isinstance(value, list) else [value] * self.n

    def __repr__(self) -> str:
        return f"BroadcastingList{self.n}[{getattr(self.elem, '__name__', self.elem)}]"


class BroadcastingList:
    """``BroadcastingList{n}``: subscripted with the element type, the annotation."""

    def __init__(self, n: int):
        self.n = n

    def __getitem__(self, elem: Any) -> BroadcastList:
        return BroadcastList(self.n, elem)

    def __repr__(self) -> str:
        return f"BroadcastingList{self.n}"


BroadcastingList1, BroadcastingList2, BroadcastingList3 = (BroadcastingList(n) for n in (1, 2, 3))

"""``torch.nn.modules.utils``: ``_single``, ``_pair``, ``_triple``, ``_quadruple`` turn a number
into a tuple of that many copies (and any iterable into a tuple), as layers normalize their
``kernel_size``-like arguments. Scripts may call them too."""
from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any, Callable, Tuple


def _ntuple(n: int, name: str) -> Callable[[Any], Tuple[Any, ...]]:
    def parse(x: Any) -> Tuple[Any, ...]:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = parse.__qualname__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")

NTUPLES = {_single: 1, _pair: 2, _triple: 3, _quadruple: 4}

__all__ = ["_single", "_pair", "_triple", "_quadruple", "NTUPLES"]

"""What new graph executors use to optimize graphs and to compile fusion groups.

The pass pipeline and the fusion compiler live in lower layers (``passes``, ``codegen``);
this is the one place that picks them, so tests can swap them (for example to run a graph
with no passes at all and compare).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ir import Graph

Optimizer = Callable[[Graph], Graph]

_optimizer: Optional[Optimizer] = None
_fusion: Optional[Callable[..., Any]] = None


def optimizer() -> Optional[Optimizer]:
    return _optimizer


def fusion() -> Optional[Callable[..., Any]]:
    return _fusion

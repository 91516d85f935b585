"""What new graph executors use to optimize graphs and to compile fusion groups.

The pass pipeline and the fusion compiler live in lower layers (``passes``, ``codegen``);
this is the one place that picks them, so tests can swap them (for example to run a graph
with no passes at all and compare).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from codegen.launch import compile_group
from ir import Graph

Optimizer = Callable[[Graph], Graph]

_optimizer: Optional[Optimizer] = None
# prim::FusionGroup nodes become native kernels (codegen/launch.py). With no optimizer set,
# executors that have a fusion compiler run the fuser themselves (GraphExecutor.specialize).
_fusion: Optional[Callable[..., Any]] = compile_group


def optimizer() -> Optional[Optimizer]:
    return _optimizer


def fusion() -> Optional[Callable[..., Any]]:
    return _fusion

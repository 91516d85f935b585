"""What new graph executors use to optimize graphs and to compile fusion groups, and whether
the JIT is on at all.

The pass pipeline and the fusion compiler live in lower layers (``passes``, ``codegen``);
this is the one place that picks them, so tests can swap them (for example to run a graph
with no passes at all and compare, see :func:`using`).

``MINITORCH_JIT_DISABLE=1`` (or PyTorch's ``PYTORCH_JIT=0``) turns the JIT off: ``script``
and ``trace`` then return objects that run the plain Python code, so it can be debugged with
ordinary tools. It is read when they are called.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterator, Optional

from minitorch_jit.codegen.launch import compile_group
from minitorch_jit.passes.pipeline import optimize, run_pipeline

from .executor import Optimizer

_optimizer: Optional[Optimizer] = run_pipeline
_fusion: Optional[Callable[..., Any]] = compile_group


def optimizer() -> Optional[Optimizer]:
    """The optimizer for new executors. The whole pipeline ends by forming fusion groups,
    which only a fusion compiler can run: without one, the pipeline stops before."""
    if _optimizer is run_pipeline and _fusion is None:
        return optimize
    return _optimizer


def fusion() -> Optional[Callable[..., Any]]:
    return _fusion


def disabled() -> bool:
    """Is the JIT turned off (``MINITORCH_JIT_DISABLE`` set to anything but 0, or PyTorch's
    ``PYTORCH_JIT=0``)?"""
    return os.environ.get("MINITORCH_JIT_DISABLE", "") not in ("", "0") or os.environ.get("PYTORCH_JIT") == "0"


_UNCHANGED: Any = object()


@contextlib.contextmanager
def using(optimizer: Any = _UNCHANGED, fusion: Any = _UNCHANGED) -> Iterator[None]:
    """Executors created inside the block use this optimizer (None: no passes) or fusion
    compiler; the previous choice comes back after it."""
    global _optimizer, _fusion
    saved = _optimizer, _fusion
    if optimizer is not _UNCHANGED:
        _optimizer = optimizer
    if fusion is not _UNCHANGED:
        _fusion = fusion
    try:
        yield
    finally:
        _optimizer, _fusion = saved

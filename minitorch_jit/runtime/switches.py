"""PyTorch's process-wide switches of the graph executor, read each time a plan is compiled:
``torch.jit.optimized_execution(False)`` runs graphs as the frontend built them (no passes, no
fusion), and ``torch.jit.fuser("none")`` / ``torch._C._jit_override_can_fuse_on_cpu(False)``
optimize without forming fusion groups.

Plans compiled under other settings are dropped when a switch changes (every live executor
forgets its plans), so the next call of each compiled function compiles for the new
settings; calls under unchanged settings pay nothing for the switches.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any, Callable, Iterator, Optional, Tuple

from minitorch_jit.passes.pipeline import optimize, run_pipeline

_optimized_execution = True
_fuse_on_cpu = True
_executors: "weakref.WeakSet[Any]" = weakref.WeakSet()

# torch.jit.fuser's names: which of them fuse here (the others are GPU or oneDNN fusers)
FUSERS = {"fuser0": True, "fuser1": True, "none": False}


def track(executor: Any) -> None:
    """``executor`` forgets its plans (its ``forget_plans()``) when a switch changes."""
    _executors.add(executor)


def _changed() -> None:
    for executor in list(_executors):
        executor.forget_plans()


def effective(optimizer: Optional[Callable[..., Any]], fusion: Optional[Callable[..., Any]]
              ) -> Tuple[Optional[Callable[..., Any]], Optional[Callable[..., Any]]]:
    """The optimizer and fusion compiler an executor made with these uses under the current
    switches."""
    if not _optimized_execution:
        return None, None
    if not _fuse_on_cpu:
        return (optimize if optimizer is run_pipeline else optimizer), None
    return optimizer, fusion


def can_fuse_on_cpu() -> bool:
    return _fuse_on_cpu


def set_fuse_on_cpu(enabled: bool) -> None:
    global _fuse_on_cpu
    if bool(enabled) != _fuse_on_cpu:
        _fuse_on_cpu = bool(enabled)
        _changed()


def set_optimized_execution(enabled: bool) -> bool:
    """Set the switch; returns its previous value."""
    global _optimized_execution
    previous = _optimized_execution
    if bool(enabled) != previous:
        _optimized_execution = bool(enabled)
        _changed()
    return previous


@contextlib.contextmanager
def optimized_execution(should_optimize: bool) -> Iterator[None]:
    """``torch.jit.optimized_execution(False)``: compiled functions called in the block run
    their graphs unoptimized and unfused."""
    previous = set_optimized_execution(should_optimize)
    try:
        yield
    finally:
        set_optimized_execution(previous)


@contextlib.contextmanager
def fuser(name: str) -> Iterator[None]:
    """``torch.jit.fuser(name)``: ``"fuser0"`` and ``"fuser1"`` (PyTorch's CPU fusers) fuse
    with ours, ``"none"`` turns fusion off; the GPU and oneDNN fusers do not exist here."""
    if name not in FUSERS:
        if name in ("fuser2", "fuser3"):
            raise RuntimeError(f"torch.jit.fuser({name!r}): {'nvFuser' if name == 'fuser2' else 'oneDNN Graph'} "
                               "is not available: minitorch_jit has one CPU fuser ('fuser0' or 'fuser1' to use "
                               "it, 'none' to turn it off)")
        raise RuntimeError(f"unrecognized fuser option (name: {name})")
    previous = _fuse_on_cpu
    set_fuse_on_cpu(FUSERS[name])
    try:
        yield
    finally:
        set_fuse_on_cpu(previous)

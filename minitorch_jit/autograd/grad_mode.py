"""Grad mode: whether ops record the tape, per thread, as in PyTorch.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode`` work as context
managers and as decorators. ``set_grad_enabled(False)`` called as a plain function sets the
mode at once (PyTorch's behaviour); used in a ``with``, the previous mode comes back after it.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Optional


class _Local(threading.local):
    # a class attribute, so a thread that never set the mode reads the default without
    # getattr's caught AttributeError (380 ns a call, on every compiled call's lean path)
    enabled = True
    inference = False


_local = _Local()


def is_grad_enabled() -> bool:
    return _local.enabled


def _set(mode: bool) -> None:
    _local.enabled = mode


class _Mode:
    """Sets grad mode on entry, restores the previous one on exit; decorates functions."""
    mode = True
    # the modes to restore, one per `with` this object is in; made by the first, so that no
    # __init__ runs for each `with no_grad():`
    prev: Optional[list] = None

    # the thread-local read and written in place, not through is_grad_enabled and _set: a
    # `with no_grad():` around each small compiled call is a sizeable part of the call
    def __enter__(self) -> None:
        local = _local
        if self.prev is None:
            self.prev = [local.enabled]
        else:
            self.prev.append(local.enabled)
        local.enabled = self.mode

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self.prev is not None, "__exit__ without __enter__"
        _local.enabled = self.prev.pop()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_Mode):
    """Ops inside do not record: their results do not require grad."""
    mode = False


class enable_grad(_Mode):
    """Ops inside record, even inside ``no_grad``."""
    mode = True


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)``: sets the mode now; in a ``with``, until the block ends."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.before = is_grad_enabled()
        self.prev = [self.before]
        _set(self.mode)

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        _set(self.before)  # as a decorator it does not change the mode of the caller
        mode = self.mode

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapped


class inference_mode(_Mode):
    """``no_grad`` for code that will never need the tape (the same here: nothing records)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__()
        self.mode = not mode
        self.inference: list = []

    def __enter__(self) -> None:
        super().__enter__()
        self.inference.append(is_inference_mode_enabled())
        _local.inference = not self.mode

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _local.inference = self.inference.pop()
        super().__exit__(exc_type, exc, tb)

    def __call__(self, fn: Optional[Callable[..., Any]] = None) -> Any:  # type: ignore[override]
        mode = self.mode

        @functools.wraps(fn)  # type: ignore[arg-type]
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(not mode):
                return fn(*args, **kwargs)  # type: ignore[misc]
        return wrapped


def is_inference_mode_enabled() -> bool:
    return getattr(_local, "inference", False)

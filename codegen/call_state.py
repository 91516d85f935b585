"""State that lives for one call of a compiled function: which ``once_per_call`` nodes (a
``warnings.warn``) have run. Host code asks :func:`once` before running such a node; the
top-level function of a plan that has any starts a fresh record for each call (functions it
calls share it, so a warning in a function called from a loop is shown once per call of the
whole, as in TorchScript)."""
from __future__ import annotations

import contextvars
import functools
from typing import Any, Callable, Optional, Set

_RAN: contextvars.ContextVar[Optional[Set[int]]] = contextvars.ContextVar("minitorch_jit_once_per_call", default=None)


def once(site: int) -> bool:
    """Should node ``site`` run now? Only the first time in this call (every time outside one)."""
    ran = _RAN.get()
    if ran is None:
        return True
    if site in ran:
        return False
    ran.add(site)
    return True


def with_call_state(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with a fresh record of the nodes that ran for each call."""
    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        token = _RAN.set(set())
        try:
            return fn(*args)
        finally:
            _RAN.reset(token)
    return call

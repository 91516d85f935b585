"""Anomaly detection: nodes remember the forward stack that made them, and a backward that
fails names the op and shows that stack (``torch.autograd.set_detect_anomaly(True)``)."""
from __future__ import annotations

import warnings
from typing import Any


class _State:
    enabled = False


state = _State()


def is_anomaly_enabled() -> bool:
    return state.enabled


class set_detect_anomaly:
    """Turns anomaly detection on or off: at once, or for a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        state.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class detect_anomaly(set_detect_anomaly):
    """``with torch.autograd.detect_anomaly():`` (warns, as PyTorch does, that it is slow)."""

    def __init__(self) -> None:
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", UserWarning, stacklevel=2)
        super().__init__(True)

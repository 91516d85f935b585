"""Autograd: the tape of eager ops and the engine that runs it backward (``torch.autograd``).

Ops record as they run (:mod:`.record`, called by the dispatcher) when grad mode is on and an
input requires grad; each op's gradient formula sits beside it in the registry
(``OpDef.derivative``). :mod:`.engine` runs the graph; :mod:`.grad_mode` is ``no_grad`` and
its kin; :mod:`.function` is ``torch.autograd.Function``.
"""
from __future__ import annotations

from . import tensor_methods
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node
from .variable import Variable

tensor_methods.attach()

__all__ = ["Function", "FunctionCtx", "GradcheckError", "Node", "backward", "detect_anomaly", "enable_grad", "grad",
           "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_enabled", "is_grad_enabled",
           "is_inference_mode_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled", "Variable"]

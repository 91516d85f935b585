"""Adam and AdamW (decoupled weight decay), by PyTorch's update formulas (amsgrad included)."""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Tuple

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class Adam(Optimizer):
    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, b in enumerate(betas):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {b}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, p: Tensor, grad: Any, group: Dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = Tensor._wrap(np.zeros((), np.float32))  # a tensor, as PyTorch keeps it
            state["exp_avg"] = Tensor._wrap(np.zeros_like(p._a))
            state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._a))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._a))
        state["step"].add_(1)
        step = int(state["step"].item())
        if wd:
            if self.decoupled:
                p.mul_(1 - lr * wd)
            else:
                grad = grad + p * wd
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
        bias1 = 1 - beta1 ** step
        bias2 = 1 - beta2 ** step
        if group["amsgrad"]:
            state["max_exp_avg_sq"].copy_(state["max_exp_avg_sq"].maximum(exp_avg_sq))
            denom = (state["max_exp_avg_sq"].sqrt() / math.sqrt(bias2)).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / math.sqrt(bias2)).add_(eps)
        p.add_(exp_avg / denom, alpha=-lr / bias1)


class AdamW(Adam):
    """Adam with decoupled weight decay (the parameter shrinks by ``lr * weight_decay`` first)."""
    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

"""Running a compiled graph on autograd's tape: when grad mode is on and an input requires
grad, the graph's host code runs on Tensors with every op through the dispatcher, so each op
records its backward node as in eager mode and gradients flow through the call. (The fused
plans compute on arrays and record nothing; differentiating graphs themselves, so that the
backward fuses too, is prim::DifferentiableGraph's job.)"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from minitorch_jit.codegen.host import Target
from minitorch_jit.ir.registry import OpDef

from ..autograd.grad_mode import is_grad_enabled
from ..ops.declare import fill_defaults
from ..ops.dispatch import run
from ..tensor import Tensor


class TapeTarget(Target):
    def kernel(self, op: OpDef) -> Callable[..., Any]:
        if "Tensor" not in op.schema.text:
            # ops on numbers, strings and lists run as they are: nothing to record, and a list
            # they mutate (``y += [x]``) must be the caller's own, not the dispatcher's copy
            return op.kernel

        def call(*args: Any) -> Any:
            return run(op, fill_defaults(op, list(args)))
        call.__name__ = op.kernel.__name__
        return call

    def constant(self, array: np.ndarray) -> Any:
        return Tensor._wrap(super().constant(array))


TAPE = TapeTarget()


def records(args: Sequence[Any]) -> bool:
    """Would a call with these arguments record for autograd?"""
    return is_grad_enabled() and any(_requires_grad(a) for a in args)


def _requires_grad(v: Any) -> bool:
    if isinstance(v, Tensor):
        return v._requires_grad
    if isinstance(v, (list, tuple)):
        return any(_requires_grad(x) for x in v)
    return False

"""Module backward hooks (``register_full_backward_hook``): ``hook(module, grad_input,
grad_output)`` runs when the gradients with respect to the module's tensor inputs have been
computed; a result that is not None replaces ``grad_input``.

As PyTorch does it, the call passes the inputs through an identity Function before ``forward``
and the outputs through another after it: the second's backward sees ``grad_output``, the
first's sees exactly the gradients this call sends to its inputs (other uses of the same tensors
add theirs elsewhere). When no input wants a gradient, the hooks run from the outputs' backward
with ``grad_input`` all None. Compiled code has no place to run them: tracing or scripting a
module that has one is refused, as in TorchScript.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

from ..autograd.function import Function, FunctionCtx
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor


class _Call:
    """One call of the module: its hooks and what the outputs' backward saw."""

    def __init__(self, module: Any, hooks: List[Callable[..., Any]], n_inputs: int, inputs_wait: bool):
        self.module, self.hooks, self.n_inputs, self.inputs_wait = module, hooks, n_inputs, inputs_wait
        self.grad_output: Tuple[Any, ...] = ()

    def run(self, grad_input: Tuple[Any, ...]) -> Tuple[Any, ...]:
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook returned an invalid number of grad_input, got "
                                       f"{len(result)}, but expected {len(grad_input)}")
                grad_input = result
        return grad_input


class _Identity(Function):
    """Passes tensors through; its subclasses' backward sees their gradients."""

    @staticmethod
    def forward(ctx: FunctionCtx, call: _Call, *tensors: Tensor) -> Tuple[Tensor, ...]:
        ctx.call = call  # type: ignore[attr-defined]
        return tensors


class _Inputs(_Identity):
    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        return (None,) + ctx.call.run(grads)  # type: ignore[attr-defined]


class _Outputs(_Identity):
    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        call = ctx.call  # type: ignore[attr-defined]
        call.grad_output = grads
        if not call.inputs_wait:  # no input takes a gradient: the hooks run now
            call.run((None,) * call.n_inputs)
        return (None,) + grads


def _wants_grad(t: Any) -> bool:
    return isinstance(t, Tensor) and t.requires_grad


def with_backward_hooks(module: Any, hooks: Dict[int, Callable[..., Any]], forward: Callable[..., Any],
                        args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """``forward(*args, **kwargs)`` with the module's backward hooks attached to its gradients."""
    if not is_grad_enabled():
        return forward(*args, **kwargs)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    waiting = [i for i in positions if _wants_grad(args[i])]
    call = _Call(module, list(hooks.values()), len(positions), bool(waiting))
    if waiting:
        passed = _Inputs.apply(call, *[args[i] for i in waiting])
        args = tuple(passed[waiting.index(i)] if i in waiting else a for i, a in enumerate(args))
    out = forward(*args, **kwargs)
    single = isinstance(out, Tensor)
    outputs = (out,) if single else out
    if not isinstance(outputs, tuple) or not any(_wants_grad(o) for o in outputs):
        return out
    slots = [i for i, o in enumerate(outputs) if _wants_grad(o)]
    passed = _Outputs.apply(call, *[outputs[i] for i in slots])
    result = tuple(passed[slots.index(i)] if i in slots else o for i, o in enumerate(outputs))
    return result[0] if single else result


def refuse_compiling(module: Any) -> None:
    """TorchScript's refusal, for a module (or submodule) that has backward hooks."""
    stack = [module]
    while stack:  # (a module whose __init__ skipped Module's is left to the compiler's own check)
        m = stack.pop()
        hooks = m.__dict__.get("_hooks")
        if hooks is not None and hooks.backward:
            raise RuntimeError(f"Modules that have backward hooks assigned can't be compiled: {m}")
        stack.extend(v for v in m.__dict__.get("_modules", {}).values() if v is not None)




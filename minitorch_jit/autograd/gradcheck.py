"""``gradcheck`` and ``gradgradcheck``: the analytical Jacobian (from the engine) against
central finite differences, as PyTorch checks its own formulas (use float64 inputs)."""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ..tensor import Tensor
from .engine import grad
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    pass


def _outputs(out: Any) -> List[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o._a.dtype.kind == "f"]


def _numerical(func: Callable[..., Any], inputs: Sequence[Any], i: int, eps: float) -> List[np.ndarray]:
    """d(each output)/d(input i), one column per element of input i."""
    x = inputs[i]._a
    flat = x.reshape(-1)  # a view of the input's own memory (inputs to check are contiguous)
    with no_grad():
        sizes = [o._a.size for o in _outputs(func(*inputs))]
        cols = [np.zeros((n, x.size)) for n in sizes]
        for j in range(x.size):
            orig = flat[j].copy()
            flat[j] = orig + eps
            plus = [o._a.astype(np.float64).reshape(-1) for o in _outputs(func(*inputs))]
            flat[j] = orig - eps
            minus = [o._a.astype(np.float64).reshape(-1) for o in _outputs(func(*inputs))]
            flat[j] = orig
            for c, p, m in zip(cols, plus, minus):
                c[:, j] = (p - m) / (2 * eps)
    return cols


def _analytical(outputs: List[Tensor], inputs: Sequence[Tensor]) -> List[List[np.ndarray]]:
    """[output][input] Jacobians, row by row through the engine."""
    jac = [[np.zeros((o._a.size, t._a.size)) for t in inputs] for o in outputs]
    for k, o in enumerate(outputs):
        if not o._requires_grad:
            continue
        for r in range(o._a.size):
            seed = np.zeros(o._a.size, o._a.dtype)
            seed[r] = 1
            gs = grad([o], list(inputs), [Tensor._wrap(seed.reshape(o._a.shape))], retain_graph=True,
                      allow_unused=True)
            for c, g in enumerate(gs):
                if g is not None:
                    jac[k][c][r, :] = g._a.reshape(-1)
    return jac


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_: Any) -> bool:
    """True when every output's Jacobian with respect to every input that requires grad
    matches finite differences; otherwise a GradcheckError (or False)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    for i in diff:
        if not inputs[i]._a.flags.c_contiguous:
            raise ValueError("gradcheck: inputs that require grad must be contiguous")
    outputs = _outputs(func(*inputs))
    analytical = _analytical(outputs, [inputs[i] for i in diff])
    for c, i in enumerate(diff):
        numerical = _numerical(func, inputs, i, eps)
        for k in range(len(outputs)):
            a, n = analytical[k][c], numerical[k]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {k} with respect to input {i},\n"
                                     f"numerical:{n}\nanalytical:{a}\n")
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Optional[Sequence[Tensor]] = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0, **_: Any) -> bool:
    """gradcheck of the gradient itself (the backward must record: create_graph)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    outputs = _outputs(func(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor._wrap(rng.standard_normal(o._a.shape).astype(o._a.dtype)) for o in outputs]
        for g in grad_outputs:
            g.requires_grad_()
    n = len(inputs)

    def first_grad(*args: Any) -> Tuple[Optional[Tensor], ...]:
        with enable_grad():  # also when gradcheck evaluates it for finite differences
            outs = _outputs(func(*args[:n]))
            gs = grad(outs, [args[i] for i in diff], list(args[n:]), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)

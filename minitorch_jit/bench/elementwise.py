"""The pointwise workloads for numpy, numexpr and numba, from the workloads' own Python.

numpy runs the formula as array expressions, one temporary per operation (what "eager
numpy" means in the issues' bars); numexpr evaluates a string; numba's ``@vectorize``
compiles a function of scalars. Both come from running the workload function (see
:mod:`.rebind`) with ``torch`` bound to a namespace of the same names: for numexpr each call
builds expression text, for numba each is a jitted scalar function. Only what the pointwise
workloads call is defined; anything else is an AttributeError that the bench reports as the
reason the peer did not run.
"""
from __future__ import annotations

import math
import types
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

import numpy as np

from .rebind import rebind
from .workloads import NotApplicable

Number = Union[int, float]


# -- numpy ---------------------------------------------------------------------------------------


def _np_clamp(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:
    return np.clip(x, min, max)


NUMPY_TORCH = types.SimpleNamespace(
    max=np.maximum, min=np.minimum, clamp=_np_clamp, exp=np.exp, tanh=np.tanh, pow=np.power,
    sigmoid=lambda x: 1 / (1 + np.exp(-x)))


def numpy_runner(fn: Callable[..., Any], inputs: Sequence[np.ndarray]) -> Callable[[], Any]:
    numpy_fn = rebind(fn, {"torch": NUMPY_TORCH})
    return lambda: numpy_fn(*inputs)


# -- numexpr --------------------------------------------------------------------------------------


class Term:
    """A numexpr expression being built. Float constants become float32 variables: numexpr
    reads a float literal as a double and would compute the whole expression in float64."""

    def __init__(self, text: str, constants: Dict[str, np.float32]):
        self.text = text
        self.constants = constants

    def operand(self, other: Any) -> str:
        if isinstance(other, Term):
            return other.text
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            raise TypeError(f"numexpr terms combine with numbers, not {type(other).__name__}")
        if isinstance(other, int):
            return str(other)
        name = f"c{len(self.constants)}"
        self.constants[name] = np.float32(other)
        return name

    def _make(self, text: str) -> "Term":
        return Term(text, self.constants)

    def _binary(op: str, reflected: bool = False) -> Callable[["Term", Any], "Term"]:  # type: ignore[misc]
        def method(self: "Term", other: Any) -> "Term":
            a, b = self.text, self.operand(other)
            return self._make(f"({b} {op} {a})" if reflected else f"({a} {op} {b})")
        return method

    __add__, __radd__ = _binary("+"), _binary("+", True)
    __sub__, __rsub__ = _binary("-"), _binary("-", True)
    __mul__, __rmul__ = _binary("*"), _binary("*", True)
    __truediv__, __rtruediv__ = _binary("/"), _binary("/", True)
    __pow__ = _binary("**")
    __gt__, __lt__ = _binary(">"), _binary("<")

    def __neg__(self) -> "Term":
        return self._make(f"(-{self.text})")


def _call(name: str) -> Callable[[Term], Term]:
    return lambda x: x._make(f"{name}({x.text})")


def _where(cond: Term, a: Any, b: Any) -> Term:
    return cond._make(f"where({cond.text}, {cond.operand(a)}, {cond.operand(b)})")


def _ne_clamp(x: Term, min: Any = None, max: Any = None) -> Term:
    if min is not None:
        x = _where(x < min, min, x)
    if max is not None:
        x = _where(x > max, max, x)
    return x


# numexpr has no float32 maximum/minimum (its maximum returns doubles): where() it is
NUMEXPR_TORCH = types.SimpleNamespace(
    max=lambda a, b: _where(a > b, a, b), min=lambda a, b: _where(a < b, a, b), clamp=_ne_clamp,
    exp=_call("exp"), tanh=_call("tanh"), sigmoid=lambda x: 1 / (1 + _call("exp")(-x)),
    pow=lambda x, e: x ** e)


def expressions(fn: Callable[..., Any], n_inputs: int) -> Tuple[List[str], Dict[str, np.float32]]:
    """The numexpr expression of each output of ``fn`` (inputs named a0, a1, ...) and the
    float32 constants they read."""
    constants: Dict[str, np.float32] = {}
    result = rebind(fn, {"torch": NUMEXPR_TORCH})(*[Term(f"a{i}", constants) for i in range(n_inputs)])
    outputs = result if isinstance(result, tuple) else (result,)
    return [o.text for o in outputs], constants


def numexpr_runner(fn: Callable[..., Any], inputs: Sequence[np.ndarray]) -> Callable[[], Tuple[np.ndarray, ...]]:
    import numexpr

    texts, constants = expressions(fn, len(inputs))
    env: Dict[str, Any] = dict(constants)
    env.update({f"a{i}": a for i, a in enumerate(inputs)})
    return lambda: tuple(numexpr.evaluate(e, local_dict=env) for e in texts)


# -- numba ---------------------------------------------------------------------------------------


def numba_torch() -> types.ModuleType:
    """A module of jitted scalar functions with torch's names (numba resolves attributes of
    module globals at compile time; other objects it cannot see into)."""
    import numba

    @numba.njit
    def maximum(a: Number, b: Number) -> Number:
        return a if a > b else b

    @numba.njit
    def minimum(a: Number, b: Number) -> Number:
        return a if a < b else b

    @numba.njit
    def clamp(x: Number, min: Any = None, max: Any = None) -> Number:
        if min is not None and x < min:
            x = min
        if max is not None and x > max:
            x = max
        return x

    @numba.njit
    def sigmoid(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    @numba.njit
    def power(x: float, e: Number) -> float:
        return x ** e

    @numba.njit
    def exp(x: float) -> float:
        return math.exp(x)

    @numba.njit
    def tanh(x: float) -> float:
        return math.tanh(x)

    module = types.ModuleType("numba_torch")
    module.__dict__.update(max=maximum, min=minimum, clamp=clamp, sigmoid=sigmoid, pow=power, exp=exp, tanh=tanh)
    return module


def numba_runner(fn: Callable[..., Any], inputs: Sequence[np.ndarray]) -> Callable[[], np.ndarray]:
    import numba

    outputs = len(expressions(fn, len(inputs))[0])
    if outputs != 1:
        raise NotApplicable(f"@vectorize computes one output per call and this workload has {outputs}")
    dtype = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64"}[inputs[0].dtype]
    signature = f"{dtype}({', '.join([dtype] * len(inputs))})"
    ufunc = numba.vectorize([signature], target="parallel")(rebind(fn, {"torch": numba_torch()}))
    return lambda: ufunc(*inputs)

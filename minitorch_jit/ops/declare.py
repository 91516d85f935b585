"""How ops are declared: ``@op(schema, names=..., type_rule=..., flags)`` on a kernel, and
the families (unary and binary pointwise ops) that declare several overloads at once.

Kernels take numpy arrays, Python scalars and numpy dtypes and return arrays. The wrapper
put around each kernel here makes that contract hold at the edges: 0-d results come back as
arrays (numpy returns scalars for them) and numpy's broadcasting errors become PyTorch's.
Kernels check their arguments themselves and raise PyTorch's errors (types and messages).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.registry import OpDef
from minitorch_jit.ir.types import SHORT_NAME, TensorType, can_cast, is_float

from . import rules

Kernel = Callable[..., Any]


def _as_array(r: Any) -> np.ndarray:
    return r if type(r) is np.ndarray else np.asarray(r)


def _wrap_kernel(op: OpDef, kernel: Kernel) -> Kernel:
    returns = op.schema.returns
    tensor_out = len(returns) == 1 and isinstance(returns[0].type, TensorType)
    tuple_out = len(returns) > 1
    formals = [] if op.schema.is_vararg else list(op.schema.arguments)

    def run(*args: Any) -> Any:
        if len(args) < len(formals):  # graph nodes may omit trailing arguments left at their defaults
            args = args + tuple(_default(a) for a in formals[len(args):])
        try:
            with rules.quiet():  # inf and nan come out silently, as in PyTorch (no RuntimeWarning)
                r = kernel(*args)
        except ValueError as e:
            if op.pointwise and "broadcast" in str(e):
                rules.broadcast_sizes(*[a.shape for a in args if isinstance(a, np.ndarray)])
            raise
        if tensor_out:
            return r if type(r) is np.ndarray else np.asarray(r)
        if tuple_out:
            return tuple(_as_array(x) if isinstance(t.type, TensorType) else x for x, t in zip(r, returns))
        return r

    run.__name__ = run.__qualname__ = op.qualified_name.replace("::", "_").replace(".", "_")
    run.__doc__ = f"Eager kernel of {op.schema.text}"
    return run


def fill_defaults(op: OpDef, args: list) -> list:
    """A graph node's arguments with the trailing ones it leaves at their defaults filled in."""
    formals = op.schema.arguments
    if op.schema.is_vararg or len(args) >= len(formals):
        return args
    return args + [_default(a) for a in formals[len(args):]]


def _default(a: Any) -> Any:
    """An omitted argument's default, as the dispatcher would bind it."""
    d = a.default
    if isinstance(d, list):
        return list(d)
    if a.fixed_len and isinstance(d, int) and not isinstance(d, bool):
        return [d] * a.fixed_len  # int[2] stride=1
    return d


def not_implemented(what: str, dtype: str) -> NotImplementedError:
    """PyTorch's error for an op that has no kernel for a dtype (``abs`` of a bool tensor)."""
    return NotImplementedError(f"\"{what}\" not implemented for '{SHORT_NAME[dtype]}'")


def op(schema: str, *, names: Sequence[str] = (), type_rule: Optional[rules.TypeRule] = None,
       **flags: Any) -> Callable[[Kernel], Kernel]:
    """Register the decorated kernel as the overload ``schema``."""
    def deco(kernel: Kernel) -> Kernel:
        defn = registry.register(schema, kernel, names=tuple(names), type_rule=type_rule,
                                 doc=kernel.__doc__ or "", **flags)
        defn.kernel = _wrap_kernel(defn, kernel)
        return kernel
    return deco


def register(schema: str, kernel: Kernel, **kw: Any) -> None:
    op(schema, **kw)(kernel)


Formula = Callable[..., Any]


def derivative(*qualified: str, name: Optional[str] = None, reads_self: bool = False) -> Callable[[Formula], Formula]:
    """Put the decorated gradient formula beside the ops ``qualified`` (``aten::mul.Tensor``)
    in the registry. ``formula(ctx, grad)`` returns a gradient (or None) per argument of the
    op, computed with the registry's own ops (Tensor methods), so that the backward records
    when it must (``create_graph``) and graphs can be differentiated with the same table.
    Gradients may keep the broadcast shape: the engine sums them to their input's shape.
    ``reads_self``: the formula reads ``ctx[0]``, so the in-place ops among ``qualified``
    save their input before writing it (see OpDef.saves_self)."""
    def deco(formula: Formula) -> Formula:
        for q in qualified:
            defn = registry.get(q)
            if defn.derivative is not None:
                raise ValueError(f"{q} has two derivative formulas")
            defn.derivative = formula
            defn.saves_self = reads_self and 0 in defn.written
            if name is not None:
                defn.backward_name = name
        return formula
    return deco


def non_differentiable(*qualified: str) -> None:
    """Ops whose results never require grad (detach, comparisons, random draws, factories)."""
    for q in qualified:
        registry.get(q).differentiable = False


# ---------------------------------------------------------------------------------------------
# families


def unary(name: str, fn: Callable[[np.ndarray, str], np.ndarray], result: str = "first",
          also: Sequence[str] = (), inplace: bool = True, **flags: Any) -> None:
    """``aten::<name>(Tensor self) -> Tensor`` and its in-place ``<name>_``.

    ``fn(a, dtype)`` computes the result in ``dtype``; ``result`` is "first" (the input's
    dtype), "float" (integers become float32) or "bool". The op is ``torch.<name>`` and
    ``Tensor.<name>``, and also the Python names in ``also``.
    """
    def out_dtype(a: np.ndarray) -> str:
        if result == "float":
            return rules.float_dtype(rules.np_dtype_name(a.dtype))
        return "bool" if result == "bool" else rules.np_dtype_name(a.dtype)

    def kernel(a: np.ndarray) -> np.ndarray:
        return fn(a, out_dtype(a))

    register(f"aten::{name}(Tensor self) -> Tensor", kernel, names=(f"torch.{name}", f"Tensor.{name}") + tuple(also),
             type_rule=rules.pointwise(result), pointwise=True, **flags)
    if inplace:
        def kernel_(a: np.ndarray) -> np.ndarray:
            check_inplace(a, out_dtype(a))
            np.copyto(a, fn(a, out_dtype(a)), casting="unsafe")
            return a
        register(f"aten::{name}_(Tensor(a!) self) -> Tensor(a!)", kernel_,
                 names=(f"Tensor.{name}_", f"torch.{name}_"), type_rule=rules.same_as_input(0), **flags)


def check_inplace(a: np.ndarray, result: str) -> None:
    if not can_cast(result, a.dtype.name):
        raise RuntimeError(f"result type {SHORT_NAME[result]} can't be cast to the desired output type "
                           f"{SHORT_NAME[a.dtype.name]}")
    check_no_overlap(a)
    check_writable(a)


def check_no_overlap(a: np.ndarray) -> None:
    """PyTorch's refusal to compute into an expanded tensor (only a stride of 0 makes elements
    share memory here: no op makes other overlapping views)."""
    if any(st == 0 and n > 1 for st, n in zip(a.strides, a.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location. Please clone() the tensor before performing the "
                           "operation.")


def check_no_partial_overlap(a: np.ndarray, b: Any) -> None:
    """PyTorch's refusal to read an operand that shares only some of the written-to tensor's
    memory (``x.add_(x.t())``, ``x[1:].add_(x[:-1])``): the answer would depend on the order
    elements are written in. As PyTorch, it tells only when both are dense blocks; the same
    block with the same strides (``x.add_(x)``) is allowed."""
    if not isinstance(b, np.ndarray) or not np.may_share_memory(a, b):
        return
    span_a, span_b = _dense_span(a), _dense_span(b)
    if span_a is None or span_b is None or not (span_a[0] < span_b[1] and span_b[0] < span_a[1]):
        return
    if span_a == span_b and a.strides == b.strides and a.shape == b.shape:
        return
    raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor refer "
                       "to a single memory location. Please clone() the tensor before performing the operation.")


def _dense_span(a: np.ndarray) -> Optional[Tuple[int, int]]:
    """The bytes [start, end) that ``a``'s elements fill when they fill a block exactly (in some
    order of the dims, positive strides), else None."""
    dims = sorted((st, n) for st, n in zip(a.strides, a.shape) if n != 1)
    step = a.itemsize
    for st, n in dims:
        if st != step:
            return None
        step *= n
    start = a.__array_interface__["data"][0]
    return start, start + step


def check_writable(a: np.ndarray) -> None:
    """Graph constants are read-only, so that an in-place op cannot change later calls."""
    if not a.flags.writeable:
        raise RuntimeError("unsupported operation: the written-to tensor is read-only (a constant of a "
                           "compiled graph). Please clone() the tensor before performing the operation.")


def check_broadcast_into(a: np.ndarray, *others: Any) -> None:
    """An in-place op's operands must broadcast to self's own shape."""
    shape = rules.broadcast_sizes(a.shape, *[np.shape(o) for o in others])
    if shape != a.shape:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast shape {list(shape)}")


def binary(name: str, fn: Union[np.ufunc, Callable[[Any, Any, str], Any]], result: str = "promote",
           dunder: Optional[str] = None, reflected: bool = True, torch_reflected: bool = False,
           alpha: bool = False, num: Optional[Callable[[Any, Any], Any]] = None, num_result: str = "arith",
           also: Sequence[str] = (), inplace: bool = True, scalar: bool = True,
           check: Optional[Callable[[Any, Any], None]] = None, wrap_ints: bool = False, **flags: Any) -> None:
    """The overloads of a binary pointwise op:

    - ``aten::<name>.Tensor(Tensor self, Tensor other)`` and ``.Scalar(Tensor self, Scalar other)``
      as ``torch.<name>``, ``Tensor.<name>``, the names in ``also`` and, with a ``dunder``,
      the operator ``Tensor.__<dunder>__``;
    - ``.Scalar_Tensor(Scalar self, Tensor other)`` for the reflected operator
      ``Tensor.__r<dunder>__`` (and ``torch.<name>`` when ``torch_reflected``);
    - in-place ``<name>_.Tensor`` / ``<name>_.Scalar`` as ``Tensor.<name>_`` and ``__i<dunder>__``;
    - without ``scalar``, only the tensor overloads (``torch.maximum(t, 2)`` is a TypeError in PyTorch);
    - ``.num(Scalar a, Scalar b)``: the Python operator on plain numbers (``operator.__<dunder>__``,
      and ``torch.<name>`` as TorchScript compiles ``torch.add(1, 2)`` to an int), computed by
      ``num``; its type is by ``num_result`` ("arith": int op int is int, "float", or "bool").

    ``fn(a, b, dtype)`` computes in ``dtype``, which is the promoted dtype of the operands
    (made floating for ``result="float"``); for ``result="bool"`` the output is bool.
    With ``alpha``, the overloads take ``alpha`` and compute ``fn(self, alpha * other)``.
    ``check(a, b)`` refuses operands before anything else is looked at (in-place casts included).
    With ``wrap_ints``, a Python int operand is taken as PyTorch's arithmetic takes it
    (:func:`rules.arithmetic_int`); without, as numpy does (comparisons are exact for any int).
    ``fn`` may be a numpy ufunc (an op without special cases): then an in-place op whose dtype
    is self's computes straight into self (one pass, no temporary).
    """
    ufunc = fn if isinstance(fn, np.ufunc) else None
    if ufunc is not None:
        fn = functools.partial(_ufunc_in, ufunc)

    def dtype(a: Any, b: Any) -> str:
        dt = rules.result_dtype(a, b)
        return rules.float_dtype(dt) if result == "float" else dt

    def operands(a: Any, b: Any, alpha_: Any) -> Tuple[Any, Any, str]:
        """``fn``'s arguments: the operands (ints wrapped, ``other`` scaled by alpha) and the dtype."""
        dt = dtype(a, b)
        if wrap_ints:
            a, b = rules.arithmetic_int(a, dt), rules.arithmetic_int(b, dt)
        if alpha_ != 1:
            if isinstance(alpha_, float) and not is_float(dt):
                raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
            # bools: other * alpha is other AND alpha (True + True * 2 is True)
            b = np.logical_and(b, bool(alpha_)) if dt == "bool" else np.multiply(b, alpha_, dtype=dt)
        return a, b, dt

    def kernel(a: Any, b: Any, alpha_: Any = 1) -> Any:
        if check is not None:
            check(a, b)
        return fn(*operands(a, b, alpha_))

    def kernel_(a: np.ndarray, b: Any, alpha_: Any = 1) -> np.ndarray:
        if check is not None:
            check(a, b)
        check_inplace(a, "bool" if result == "bool" else dtype(a, b))
        check_broadcast_into(a, b)
        check_no_partial_overlap(a, b)
        x, y, dt = operands(a, b, alpha_)
        if ufunc is not None and dt == a.dtype.name:
            # numpy copies an operand that overlaps self before writing, so a.add_(a.flip(0)) is
            # computed from a's old values, as through a temporary
            ufunc(x, y, out=a, dtype=dt)
        else:
            np.copyto(a, fn(x, y, dt), casting="unsafe")
        return a

    a_tail = ", *, Scalar alpha=1" if alpha else ""
    a_tail_s = ", Scalar alpha=1" if alpha else ""
    operator = (f"Tensor.__{dunder}__",) if dunder else ()
    names = (f"torch.{name}", f"Tensor.{name}") + tuple(also) + operator
    rule = rules.pointwise(result, args=(0, 1))
    pw = dict(pointwise=True, **flags)
    register(f"aten::{name}.Tensor(Tensor self, Tensor other{a_tail}) -> Tensor", kernel,
             names=names, type_rule=rule, **pw)
    if scalar:
        register(f"aten::{name}.Scalar(Tensor self, Scalar other{a_tail_s}) -> Tensor", kernel,
                 names=names, type_rule=rule, **pw)
    reflected_names = ((f"Tensor.__r{dunder}__",) if dunder and reflected else ()) + \
        ((f"torch.{name}",) if torch_reflected else ())
    if reflected_names:
        register(f"aten::{name}.Scalar_Tensor(Scalar self, Tensor other) -> Tensor", kernel,
                 names=reflected_names, type_rule=rule, **pw)
    if inplace:
        inames = (f"Tensor.{name}_",) + ((f"Tensor.__i{dunder}__",) if dunder else ())
        register(f"aten::{name}_.Tensor(Tensor(a!) self, Tensor other{a_tail}) -> Tensor(a!)", kernel_,
                 names=inames, type_rule=rules.same_as_input(0), **flags)
        if scalar:
            register(f"aten::{name}_.Scalar(Tensor(a!) self, Scalar other{a_tail_s}) -> Tensor(a!)", kernel_,
                     names=inames, type_rule=rules.same_as_input(0), **flags)
    if num is not None:  # comparisons of numbers never raise: they are total
        register(f"aten::{name}.num(Scalar a, Scalar b) -> Scalar", num,
                 names=(f"operator.__{dunder or name}__", f"torch.{name}"), type_rule=num_rule(num_result),
                 total=num_result == "bool")


def _ufunc_in(ufunc: np.ufunc, a: Any, b: Any, dt: str) -> Any:
    return ufunc(a, b, dtype=dt)


def num_rule(kind: str) -> rules.TypeRule:
    """Types of Python arithmetic on numbers: int op int is int (bools count as ints)."""
    from minitorch_jit.ir.types import BOOL, FLOAT, INT, NUMBER, BoolType, FloatType, IntType

    def rule(types: Sequence[Any], consts: Sequence[Any]) -> list:
        if kind == "bool":
            return [BOOL]
        if kind == "float":
            return [FLOAT]
        if any(isinstance(t, FloatType) for t in types):
            return [FLOAT]
        if all(isinstance(t, (IntType, BoolType)) for t in types):
            return [INT]
        return [NUMBER]
    return rule

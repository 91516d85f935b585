"""Calling an op from Python: pick the overload, bind the arguments, run the kernel, wrap
the result, and let the tracer record the call when one is active."""
from __future__ import annotations

import enum
from collections import namedtuple
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.registry import OpDef
from minitorch_jit.ir.schema import Argument, FunctionSchema
from minitorch_jit.ir.types import (
    AnyType,
    BoolType,
    DeviceType,
    DictType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    NumberType,
    OptionalType,
    ScalarTypeType,
    StrType,
    TensorType,
    TupleType,
    Type,
    TypeVar,
    UnionType,
    value_has_type,
)

from .. import dtypes
from ..autograd import record
from ..autograd.grad_mode import is_grad_enabled
from ..devices import is_cpu
from ..tensor import Tensor
from .containers import ScriptDict, ScriptList
from .tensor_keys import key


class _State:
    """``tracer`` is the active Tracer while a trace is being recorded, else None."""
    tracer: Any = None


state = _State()

_NOFIT = object()


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


# Values of user-defined types (classes, enums, interfaces: see ir.class_types), converted by
# the function the runtime registers for their type's class.
_object_converters: Dict[type, Any] = {}


def register_object_converter(type_class: type, fn: Any) -> None:
    """``fn(value, t)`` converts values for parameters of types of class ``type_class``."""
    _object_converters[type_class] = fn


def _tensor_as_number(value: Tensor, t: Type) -> Any:
    """A tensor passed for a number, as PyTorch's Python binding takes it: a 0-dim one for a
    float or Scalar, a 0-dim integer one for an int (``x.topk(torch.tensor(2))``). As in
    PyTorch, a trace follows the tensor into an int (it records aten::Int) but reads any
    other number now, a constant of the trace (which warns, as ``float(t)`` does)."""
    a = value._a
    if a.ndim != 0 or not isinstance(t, (IntType, FloatType, NumberType)) or \
            (isinstance(t, IntType) and a.dtype.kind not in "iu"):
        return _NOFIT
    if isinstance(t, IntType):
        return convert(call("builtins", "int", (value,)), t)
    if state.tracer is not None:
        state.tracer.warn_conversion(value, "Converting a tensor to a Python number")
    return convert(a.item(), t)


def convert(value: Any, t: Type, arg: Optional[Argument] = None, tensor_numbers: bool = False) -> Any:
    """``value`` as an argument of type ``t`` (an int for ``int[2]`` becomes ``[v, v]``,
    numpy scalars become Python ones), or ``_NOFIT`` when it is not one."""
    if type(t) in _object_converters:
        return _object_converters[type(t)](value, t)
    if isinstance(t, (AnyType, TypeVar)):
        return value
    if isinstance(t, UnionType):  # a member as it is: no conversion decides which one
        for m in t.types:  # but objects (enums, classes) are what their member's converter makes them
            if type(m) in _object_converters and _object_converters[type(m)](value, m) is not _NOFIT:
                return _object_converters[type(m)](value, m)
        return value if value_has_type(value, t, _is_tensor) else _NOFIT
    if isinstance(t, TensorType):
        return value if isinstance(value, Tensor) else _NOFIT
    if isinstance(t, OptionalType):
        return None if value is None else convert(value, t.elem, arg, tensor_numbers)
    if isinstance(value, Tensor):
        return _tensor_as_number(value, t) if tensor_numbers else _NOFIT
    if isinstance(t, IntType):
        return (value if isinstance(value, int) else int(value)) if _is_int(value) else _NOFIT
    if isinstance(t, FloatType):
        if _is_int(value) or isinstance(value, (float, np.floating)):
            return value if isinstance(value, (int, float)) else value.item()
        return _NOFIT
    if isinstance(t, BoolType):
        return bool(value) if isinstance(value, (bool, np.bool_)) else _NOFIT
    if isinstance(t, NumberType):
        if isinstance(value, (bool, int, float)):
            return value
        return value.item() if isinstance(value, np.generic) and value.dtype.kind in "biuf" else _NOFIT
    if isinstance(t, StrType):
        return value if isinstance(value, str) else _NOFIT
    if isinstance(t, ScalarTypeType):
        try:
            return dtypes.to_dtype(value)
        except TypeError:
            return _NOFIT
    if isinstance(t, DeviceType):
        try:
            cpu = is_cpu(value)
        except RuntimeError:  # not a device string
            return _NOFIT
        if not cpu:
            raise RuntimeError(f"device {value!r} is not supported: minitorch_jit runs on the CPU only")
        return "cpu"
    if isinstance(value, (ScriptList, ScriptDict)):  # passed as it is: the graph shares it
        return value if value.type.is_subtype_of(t) else _NOFIT
    if isinstance(t, DictType):
        if not isinstance(value, dict):
            return _NOFIT
        pairs = [(convert(k, t.key), convert(v, t.value)) for k, v in value.items()]
        return _NOFIT if any(k is _NOFIT or v is _NOFIT for k, v in pairs) else dict(pairs)
    if isinstance(t, ListType):
        if arg is not None and arg.fixed_len and _is_int(value):
            return [int(value)] * arg.fixed_len
        if not isinstance(value, (list, tuple)):
            return _NOFIT
        items = [convert(v, t.elem) for v in value]
        return _NOFIT if any(i is _NOFIT for i in items) else items
    if isinstance(t, TupleType):
        if not isinstance(value, tuple) or len(value) != len(t.elems):
            return _NOFIT
        items = [convert(v, e) for v, e in zip(value, t.elems)]
        return _NOFIT if any(i is _NOFIT for i in items) else tuple(items)
    if isinstance(t, NoneType):
        return None if value is None else _NOFIT
    return _NOFIT


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def value_type_name(value: Any) -> str:
    """The script type of a user value, as TorchScript's messages name it: ``int``,
    ``List[str]``, ``Dict[str, int]``, ``Tuple[int, Tensor]`` (containers by their first
    elements)."""
    if isinstance(value, Tensor):
        return "Tensor"
    if value is None:
        return "NoneType"
    if isinstance(value, list):
        return f"List[{value_type_name(value[0]) if value else 'Any'}]"
    if isinstance(value, dict):
        k, v = next(iter(value.items()), ("Any", "Any"))
        return f"Dict[{value_type_name(k) if value else k}, {value_type_name(v) if value else v}]"
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple, as TorchScript names it
        return f"{type(value).__name__} (aka NamedTuple({', '.join(value._fields)}))"
    if isinstance(value, tuple):
        return "Tuple[" + ", ".join(value_type_name(v) for v in value) + "]"
    return type(value).__name__


def bind(schema: FunctionSchema, args: Sequence[Any], kwargs: Dict[str, Any],
         tensor_numbers: bool = False) -> Optional[List[Any]]:
    """Arguments in schema order with defaults filled in, or None when they do not fit.
    A bare int where the last positional argument is an ``int[]`` starts a varargs size,
    as in ``x.view(2, 3)``. The ``self`` argument may be passed as ``input=``. With
    ``tensor_numbers``, a 0-dim tensor may be passed for a number (see _tensor_as_number)."""
    formals = schema.arguments
    out: List[Any] = []
    pos = 0
    used = 0
    last_positional = schema.last_positional
    for i, a in enumerate(formals):
        if a.vararg:
            for v in args[pos:]:
                c = convert(v, a.type, a, tensor_numbers)
                if c is _NOFIT:
                    return None
                out.append(c)
            pos = len(args)
            continue
        name = "input" if a.name == "self" and "input" in kwargs else a.name
        if not a.kwarg_only and pos < len(args):
            if name in kwargs:
                return None
            v = args[pos]
            pos += 1
            if i == last_positional and isinstance(_unoptional(a.type), ListType) and _is_int(v) \
                    and not a.fixed_len and pos <= len(args):
                v = list(args[pos - 1:])
                pos = len(args)
        elif name in kwargs:
            v = kwargs[name]
            used += 1
        elif a.has_default:
            v = list(a.default) if isinstance(a.default, list) else a.default
        else:
            return None
        c = convert(v, a.type, a, tensor_numbers)
        if c is _NOFIT:
            return None
        out.append(c)
    if pos < len(args) or used != len(kwargs):
        return None
    return out


def _unoptional(t: Type) -> Type:
    return t.elem if isinstance(t, OptionalType) else t


def unwrap(v: Any) -> Any:
    """A bound argument as kernels take it: arrays for tensors, numpy dtypes, plain ints."""
    if isinstance(v, Tensor):
        return v._a
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    if isinstance(v, dict):
        return {key(unwrap(k)): unwrap(x) for k, x in v.items()}
    if isinstance(v, (ScriptList, ScriptDict)):
        return v._raw
    if isinstance(v, tuple):
        return tuple(unwrap(x) for x in v)
    if isinstance(v, dtypes.dtype):
        return v.np
    if type(v) is not int and isinstance(v, int) and not isinstance(v, (bool, enum.Enum)):
        return int(v)  # a traced SymInt: kernels must not record arithmetic
    return v


_RESULT_TUPLES: Dict[str, Any] = {}


def result_tuple(op: OpDef) -> Any:
    """What an op with several results returns: a named tuple when the schema names them."""
    names = tuple(r.name for r in op.schema.returns)
    if not all(names):
        return tuple
    key = op.name.split("::")[1] + "".join(names)
    if key not in _RESULT_TUPLES:
        _RESULT_TUPLES[key] = namedtuple(op.name.split("::")[1], names)
    cls = _RESULT_TUPLES[key]
    return lambda items: cls(*items)


def wrap_result(op: OpDef, bound: List[Any], out: Any) -> Any:
    returns = op.schema.returns
    if len(returns) == 1:
        return _wrap_one(op, returns[0], bound, out)
    if not returns:
        return None
    return result_tuple(op)([_wrap_one(op, r, bound, o) for r, o in zip(returns, out)])


def _wrap_one(op: OpDef, ret: Argument, bound: List[Any], out: Any) -> Any:
    # PyTorch returns the very tensor that was written (in-place ops), and an aliasing op
    # whose kernel had nothing to do (contiguous, to) returns its input itself
    if ret.alias is not None:
        for a, b in zip(op.schema.arguments, bound):
            if a.alias == ret.alias and (ret.mutates or (isinstance(b, Tensor) and b._a is out)):
                return b
    if isinstance(ret.type, TensorType):
        return Tensor._wrap(out)
    if isinstance(ret.type, ListType) and isinstance(ret.type.elem, TensorType):
        items = [Tensor._wrap(o) for o in out]
        return tuple(items) if op.tuple_result else items
    return out


def _run_untraced(op: OpDef, bound: List[Any]) -> Any:
    """Run an op autograd needs for itself (the copy of an input an in-place op overwrites),
    which is no part of a trace."""
    tracer, state.tracer = state.tracer, None
    try:
        return run(op, bound)
    finally:
        state.tracer = tracer


def run(op: OpDef, bound: List[Any]) -> Any:
    """Run one bound overload eagerly (recording it when tracing, and on autograd's tape)."""
    if op.when_recorded is not None and state.tracer is None and is_grad_enabled() and _any_grad(bound):
        return op.when_recorded(bound)
    inplace = op.inplace
    original = None
    if inplace:
        original = record.before_write(op, bound, _run_untraced)
        if state.tracer is not None:
            state.tracer.before_write(op, bound)
    out = op.kernel(*[unwrap(v) for v in bound])
    result = wrap_result(op, bound, out)
    if inplace or op.view or (is_grad_enabled() and _any_grad(bound)) or op.requires_grad_arg is not None:
        result = record.after_call(op, bound, result, run, original)
    if state.tracer is not None:
        result = state.tracer.record(op, bound, result)
    return result


def _any_grad(bound: List[Any]) -> bool:
    for v in bound:
        if isinstance(v, Tensor):
            if v._requires_grad:
                return True
        elif isinstance(v, list) and v:
            if any(isinstance(x, Tensor) and x._requires_grad for x in v):
                return True
    return False


def describe(value: Any) -> str:
    if isinstance(value, Tensor):
        return "Tensor"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(v) for v in value[:3]) + (", ..." if len(value) > 3 else "")
        return f"{type(value).__name__}[{inner}]"
    return type(value).__name__


def no_match(name: str, ops: Sequence[OpDef], args: Sequence[Any], kwargs: Dict[str, Any]) -> TypeError:
    got = ", ".join([describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()])
    expected = "\n".join(" * " + o.schema.text[o.schema.text.index("("):o.schema.text.rindex(" ->")]
                         for o in ops)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{expected}")


def select(namespace: str, name: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Tuple[OpDef, List[Any]]:
    ops = registry.python_overloads(namespace, name)
    for tensor_numbers in (False, True):  # a tensor goes to a Tensor parameter before a number one
        for op in ops:
            op_kwargs = op.select_kwargs(kwargs)
            bound = None if op_kwargs is None else bind(op.schema, args, op_kwargs, tensor_numbers)
            if bound is not None:
                return op, bound
    raise no_match(name, ops, args, kwargs)


def call(namespace: str, name: str, args: Sequence[Any], kwargs: Optional[Dict[str, Any]] = None) -> Any:
    """Call ``<namespace>.<name>(*args, **kwargs)`` (e.g. "torch", "add") eagerly. ``out=``
    (a tensor) takes the result, as in PyTorch: see :func:`_into`."""
    if kwargs and "out" in kwargs:
        rest = {k: v for k, v in kwargs.items() if k != "out"}
        return _into(kwargs["out"], call(namespace, name, args, rest), name)
    if namespace in ("torch", "aten") and args and isinstance(args[0], (bool, int, float)) and \
            _takes_numbers(namespace, name):
        # torch.add(1, 2) is the int 3 in script functions (the number overload) but tensor(3)
        # in PyTorch's eager mode, whose binding takes the number as a 0-d tensor
        args = (scalar_tensor(args[0]),) + tuple(args[1:])
    try:
        op, bound = select(namespace, name, args, kwargs or {})
    except TypeError:
        symbol = _symbolic(args)
        if symbol is None:
            raise
        return symbol.registry_call(namespace, name, args, kwargs or {})
    return run(op, bound)


def _symbolic(args: Sequence[Any]) -> Any:
    """An argument standing for a graph value (``passes.autodiff.Symbol``: a gradient formula
    run on a graph being differentiated), which emits the call as a node. Looked for only once
    no overload took the arguments, so eager calls pay nothing for it."""
    for a in args:
        if hasattr(a, "registry_call"):
            return a
        if isinstance(a, (list, tuple)):
            inner = _symbolic(a)
            if inner is not None:
                return inner
    return None


_TAKES_NUMBERS: Dict[Tuple[str, str], bool] = {}


def _takes_numbers(namespace: str, name: str) -> bool:
    """Has ``torch.<name>`` an overload on plain numbers (``aten::add.num``)?"""
    if (namespace, name) not in _TAKES_NUMBERS:
        _TAKES_NUMBERS[namespace, name] = any(o.schema.overload == "num"
                                              for o in registry.python_overloads(namespace, name))
    return _TAKES_NUMBERS[namespace, name]


def scalar_tensor(value: Any) -> Tensor:
    """A Python number as the 0-d tensor PyTorch makes of it (bool, int64, or float32)."""
    dtype = np.bool_ if isinstance(value, bool) else (np.int64 if isinstance(value, int) else np.float32)
    return Tensor._wrap(np.array(value, dtype=dtype))


def call_op(qualified_name: str, *args: Any, **kwargs: Any) -> Any:
    """Call one overload by its qualified name (``aten::select_backward``), for ops that have no
    Python name (gradient formulas call these)."""
    op = registry.get(qualified_name)
    bound = bind(op.schema, args, kwargs)
    if bound is None:
        symbol = _symbolic(args)
        if symbol is not None:
            return symbol.registry_call("aten", qualified_name, args, kwargs)
        raise no_match(qualified_name, [op], args, kwargs)
    return run(op, bound)


def _into(out: Any, result: Any, name: str) -> Tensor:
    """``out=``: the result in ``out``'s dtype, copied into it (through its views) when the
    sizes agree, else ``out`` resized to hold it; returns ``out``. A trace records the copy
    into an ``out`` it knows (an input, or computed); one it does not know is a constant of
    the graph, which takes the result's value instead (the same graph whether or not this
    call resized it)."""
    if not isinstance(out, Tensor) or not isinstance(result, Tensor):
        raise TypeError(f"{name}(): out= takes a Tensor, for an op returning one Tensor")
    tracer = state.tracer
    same = out._a.shape == result._a.shape
    if same and (tracer is None or tracer.traced(out)):
        return call("Tensor", "copy_", (out, result))
    if result.dtype != out.dtype:
        result = call("Tensor", "to", (result, out.dtype))
    if same:
        np.copyto(out._a, result._a)
    else:
        out._a = result._a.copy()
    if tracer is not None and id(result) in tracer.values:
        tracer.values[id(out)] = (out, tracer.values[id(result)][1])
    return out

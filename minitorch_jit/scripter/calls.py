"""Calls of registry ops from scripted code: bind the arguments to the schema of the first
overload of a Python name (``torch.add``, ``Tensor.sum``, ``operator.__add__``,
``list.append``) that accepts their types, and emit the node.

Overloads are tried in declaration order, first without conversions (every argument's type
is the parameter's type), then with them (an int where a float or Scalar is expected), as
TorchScript does; with tensors there is rarely more than one candidate, so the choice is the
eager dispatcher's. As in eager calls, ``x.view(2, 3)`` packs trailing ints into the
``int[]`` parameter, an int fills an ``int[2]``, and a tuple is accepted for a list.
Arguments equal to their defaults at the end are omitted from the node, as the tracer
omits them: ``aten::sum(%x)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from minitorch_jit.ir import Value, registry
from minitorch_jit.ir.registry import UNKNOWN, OpDef
from minitorch_jit.ir.schema import Argument, FunctionSchema, match_type, substitute
from minitorch_jit.ir.types import (
    DEVICE,
    DeviceType,
    FloatType,
    IntType,
    ListType,
    NumberType,
    OptionalType,
    StrType,
    TensorType,
    TupleType,
    Type,
    TypeVar,
    type_of_constant,
)

from ..devices import is_cpu
from .errors import SourceRange
from .types import erase, type_name


@dataclass
class Arg:
    """An argument at a call site: its value, where it is, whether it is the literal ``[]``
    (which takes the element type of the list parameter it is passed to), and whether it is a
    list or dict literal or comprehension (built for this call: it may take the parameter's
    type, ``[x, None]`` a ``List[Optional[Tensor]]``, as TorchScript types literals)."""
    value: Value
    where: SourceRange
    empty_list: bool = False
    literal: bool = False


Entry = Tuple[str, Any]  # ("value", Value) | ("list", ([Value], elem type)) | ("default", Argument) | ...


def _list_formal(a: Argument) -> Optional[ListType]:
    t = a.type.elem if isinstance(a.type, OptionalType) else a.type
    return t if isinstance(t, ListType) else None


def _fits(formal: Type, actual: Type, bindings: Dict[str, Type], exact: bool) -> bool:
    return match_type(formal, actual, bindings, exact)


def _convert(a: Argument, arg: Arg, rest: Optional[Sequence[Arg]], bindings: Dict[str, Type],
             exact: bool) -> Tuple[Optional[Entry], int, str]:
    """How ``arg`` is passed for parameter ``a``: (entry, extra positional args consumed, why not).
    ``rest`` are the positional arguments after it when ``a`` is the last positional parameter."""
    t = arg.value.type
    device = a.type.elem if isinstance(a.type, OptionalType) else a.type
    if isinstance(device, DeviceType) and isinstance(t, StrType):  # device="cpu", as TorchScript converts
        given = arg.value
        if given.node.kind != "prim::Constant":
            return None, 0, f"argument '{a.name}' takes a device: a string naming one must be a constant"
        try:
            cpu = is_cpu(given.constant)
        except RuntimeError:
            return None, 0, f"argument '{a.name}' takes a device, and {given.constant!r} does not name one"
        if not cpu:
            return None, 0, f"device {given.constant!r} is not supported: minitorch_jit runs on the CPU only"
        return ("device", None), 0, ""
    lst = _list_formal(a)
    if lst is not None and arg.empty_list:
        return ("empty_list", lst), 0, ""
    if lst is not None and isinstance(lst.elem, IntType) and isinstance(t, IntType):
        if a.fixed_len:  # int[2] stride=1
            return ("list", ([arg.value] * a.fixed_len, lst.elem)), 0, ""
        if rest is not None:  # x.view(2, 3): the trailing ints are the list
            extra = list(rest)
            bad = next((r for r in extra if not isinstance(r.value.type, IntType)), None)
            if bad is not None:
                return None, 0, f"argument '{a.name}' takes ints, got {type_name(bad.value.type)}"
            return ("list", ([arg.value] + [r.value for r in extra], lst.elem)), len(extra), ""
    if lst is not None and isinstance(t, TupleType) and all(_fits(lst.elem, e, bindings, exact) for e in t.elems):
        return ("tuple_list", (arg.value, lst.elem)), 0, ""
    if _fits(a.type, t, bindings, exact):
        return ("value", arg.value), 0, ""
    implicit = _IMPLICIT.get(type(a.type.elem if isinstance(a.type, OptionalType) else a.type))
    if not exact and implicit is not None and isinstance(t, TensorType):
        return ("implicit", (arg.value, implicit)), 0, ""
    why = f"argument '{a.name}' must be {type_name(substitute(a.type, bindings))}, not {type_name(t)}"
    if isinstance(a.type, TypeVar) and a.type.name in bindings:  # and in TorchScript's words
        v, bound = a.type.name, type_name(bindings[a.type.name])
        why += f" (Could not match type {type_name(t)} to {v} in argument '{a.name}': Type variable '{v}' " \
               f"previously matched to type {bound} is matched to type {type_name(t)})"
    elif not isinstance(a.type, TypeVar):  # and in TorchScript's words
        why += f" (Expected a value of type '{type_name(substitute(a.type, bindings))}' for argument '{a.name}' " \
               f"but instead found type '{type_name(t)}')"
    return None, 0, why


# A tensor passed to a number parameter is converted when the call runs (only a 0-dim tensor,
# and for an int one of an integer type), as TorchScript converts it.
_IMPLICIT: Dict[type, str] = {IntType: "aten::IntImplicit", FloatType: "aten::FloatImplicit",
                              NumberType: "aten::ScalarImplicit"}


def plan_call(schema: FunctionSchema, args: Sequence[Arg], kwargs: Dict[str, Arg],
              exact: bool) -> Union[List[Entry], str]:
    """How the call binds to ``schema``: one entry per parameter, or why it does not fit."""
    formals = schema.arguments
    positional = [i for i, a in enumerate(formals) if not a.kwarg_only and not a.vararg]
    last_positional = positional[-1] if positional else -1
    plan: List[Entry] = []
    bindings: Dict[str, Type] = {}
    pos, used = 0, set()
    for i, a in enumerate(formals):
        if a.vararg:
            for arg in args[pos:]:
                if not _fits(a.type, arg.value.type, bindings, exact):
                    return f"argument '{a.name}' must be {type_name(a.type)}, not {type_name(arg.value.type)}"
                plan.append(("value", arg.value))
            pos = len(args)
            continue
        key = "input" if a.name == "self" and "input" in kwargs else a.name
        if not a.kwarg_only and pos < len(args):
            if key in kwargs:
                return f"got multiple values for argument '{a.name}'"
            arg = args[pos]
            pos += 1
            rest = args[pos:] if i == last_positional else None
        elif key in kwargs:
            arg, rest = kwargs[key], None
            used.add(key)
        elif a.has_default:
            plan.append(("default", a))
            continue
        else:
            return f"missing argument '{a.name}'"
        entry, consumed, why = _convert(a, arg, rest, bindings, exact)
        if entry is None:
            return why
        pos += consumed
        plan.append(entry)
    if pos < len(args):
        return f"takes {len(positional)} positional arguments but {len(args)} were given"
    unknown = [k for k in kwargs if k not in used]
    if unknown:
        return f"unexpected keyword argument '{unknown[0]}'"
    return plan


def _is_default(entry: Entry, a: Argument) -> bool:
    if entry[0] == "default":
        return True
    return entry[0] == "value" and entry[1].node.kind == "prim::Constant" and a.is_default(entry[1].constant)


def emit_plan(b: Any, schema: FunctionSchema, plan: List[Entry]) -> List[Value]:
    """The node inputs for a bound call: lists packed, trailing defaults left out."""
    formals = list(schema.arguments)
    if schema.is_vararg:
        formals = formals[:-1] + [formals[-1]] * (len(plan) - len(formals) + 1)
    n = len(plan)
    while n and not formals[n - 1].vararg and _is_default(plan[n - 1], formals[n - 1]):
        n -= 1
    inputs = []
    for (kind, x), a in zip(plan[:n], formals[:n]):
        if kind == "value":
            inputs.append(x)
        elif kind == "list":
            inputs.append(b.make_list(x[0], x[1]))
        elif kind == "tuple_list":
            inputs.append(b.make_list(b.tuple_items(x[0]), x[1]))
        elif kind == "empty_list":
            inputs.append(b.constant([], x))
        elif kind == "device":
            inputs.append(b.constant("cpu", DEVICE))
        elif kind == "implicit":
            inputs.append(b.structural(x[1], [x[0]]))
        else:
            inputs.append(default_value(b, a))
    return inputs


def default_value(b: Any, a: Argument) -> Value:
    d = a.default
    if d is None:
        return b.constant(None)
    if isinstance(d, list):
        return b.constant(list(d), _list_formal(a) or a.type)
    if a.fixed_len and isinstance(d, int):  # int[2] stride=1 is [1, 1]
        return b.constant([d] * a.fixed_len, _list_formal(a) or a.type)
    return b.constant(d, type_of_constant(d))


def emit_op(b: Any, op: OpDef, inputs: List[Value], display: str, where: SourceRange) -> List[Value]:
    """Insert ``op``'s node; its output types come from the op's type rule (tensor
    refinements forgotten: script graphs say ``Tensor``)."""
    if registry.resolve(op.name, [v.type for v in inputs]) is not op:
        inputs = _ints_to_floats(b, op, inputs, where)
    if registry.resolve(op.name, [v.type for v in inputs]) is not op:  # the node must call what was chosen
        b.error(f"{display}(): the arguments ({', '.join(type_name(v.type) for v in inputs)}) do not identify one "
                f"overload of {op.name}", where)
    consts = [v.constant if v.node.kind == "prim::Constant" else UNKNOWN for v in inputs]
    try:
        types = op.output_types([v.type for v in inputs], consts)
    except Exception as e:  # a type rule rejecting constant arguments: an error in the user's call
        b.error(f"{display}(): {e}", where)
    node = b.insert(op.name, inputs, [erase(t) for t in types])
    return node.outputs


def _ints_to_floats(b: Any, op: OpDef, inputs: List[Value], where: SourceRange) -> List[Value]:
    """A node calls the overload its input types select, which for ints passed to float
    parameters may be another one: ``math.pow(x, 2)`` chose ``aten::pow.float_float``, but
    ``aten::pow(float, int)`` is ``aten::pow.num``. Converting those ints to float, as
    TorchScript's implicit conversion does, makes the node call the overload that was chosen.

    Given ``%2 : int = prim::Constant[value=2]()`` for ``float b``: ``%3 : float =
    prim::Constant[value=2.0]()``; a value that is not a constant goes through ``aten::Float``."""
    out = []
    for v, a in zip(inputs, op.schema.arguments):
        if isinstance(a.type, FloatType) and isinstance(v.type, IntType):
            v = b.constant(float(v.constant)) if v.node.kind == "prim::Constant" else \
                b.op_call("builtins", "float", [Arg(v, where)], {}, where, "float")
        out.append(v)
    return out + list(inputs[len(out):])


def call_op(b: Any, namespace: str, name: str, args: Sequence[Arg], kwargs: Dict[str, Arg], where: SourceRange,
            display: Optional[str] = None) -> List[Value]:
    """Emit ``<namespace>.<name>(*args, **kwargs)``; returns the node's outputs."""
    display = display or f"{namespace}.{name}"
    out = kwargs.get("out") if namespace in ("torch", "Tensor") else None
    if out is not None:  # out=: the op, then its result written into out (which the call returns)
        kwargs = {k: a for k, a in kwargs.items() if k != "out"}
    found = resolve_call(namespace, name, args, kwargs)
    if isinstance(found, str):
        b.error(found.replace("%s", display), where, fix=_fix(b, namespace, args, kwargs, found))
    op, plan = found
    outputs = emit_op(b, op, emit_plan(b, op.schema, plan), display, where)
    if out is None:
        return outputs
    if len(outputs) != 1 or not isinstance(outputs[0].type, TensorType) or \
            not isinstance(out.value.type, TensorType):
        b.error(f"{display}(): out= takes a Tensor, for an op returning one Tensor", out.where)
    return emit_op(b, registry.get("aten::_copy_from_and_resize"), [outputs[0], out.value], display, where)


def _fix(b: Any, namespace: str, args: Sequence[Arg], kwargs: Dict[str, Arg], why: str) -> str:
    """The likely fix when a call does not fit: a list that is ``List[Tensor]`` because it
    started as ``[]``, or, when a Tensor was passed where something else was expected, a
    parameter that is a Tensor because it is not annotated. Other failures (a misspelt
    keyword...) have no fix to offer."""
    values = [a.value for a in list(args) + list(kwargs.values())]
    if namespace == "list" and isinstance(values[0].type, ListType) and isinstance(values[0].type.elem, TensorType):
        return "an empty list `[]` is a List[Tensor]: annotate it, as in `xs: List[int] = []`"
    return b.annotate_hint(values) if re.search(r"\b(not|got) Tensor\b", why) else ""


def resolve_call(namespace: str, name: str, args: Sequence[Arg],
                 kwargs: Dict[str, Arg]) -> Union[Tuple[OpDef, List[Entry]], str]:
    """The overload and its binding, or an error message (with ``%s`` for the callee's name)."""
    ops = registry.python_overloads(namespace, name)
    reasons: List[str] = []
    for exact in (True, False):
        reasons = []
        for op in ops:
            op_kwargs = op.select_kwargs(kwargs, _constant)
            if op_kwargs is None:
                keyword, value = op.selector  # type: ignore[misc]
                plan: Union[List[Entry], str] = f"takes {keyword}={value}, which must be a constant: it picks the " \
                    "overload"
            else:
                plan = plan_call(op.schema, args, op_kwargs, exact)
            if not isinstance(plan, str):
                return op, plan
            reasons.append(plan)
    got = ", ".join([type_name(a.value.type) for a in args] +
                    [f"{k}={type_name(a.value.type)}" for k, a in kwargs.items()])
    if len(ops) == 1:
        return f"%s(): {reasons[0]}"
    lines = [f" * {_signature(op.schema)}: {why}" for op, why in zip(ops, reasons)]
    return f"Arguments for call are not valid: %s() received an invalid combination of arguments - got ({got}), " \
        "but expected one of:\n" + \
        "\n".join(lines)


def _constant(arg: Arg) -> Any:
    """The value of a constant argument (None for others): keywords that pick an overload
    must be known when the call is compiled."""
    v = arg.value
    return v.constant if v.node.kind == "prim::Constant" else None


def _signature(schema: FunctionSchema) -> str:
    text = schema.text
    return text[text.index("("):text.rindex(" ->")]

"""Op schemas in TorchScript's notation, and matching argument types against them.

``aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor``: a qualified
name with an optional overload name, typed arguments (``*`` starts keyword-only ones),
defaults, alias annotations (``Tensor(a!)`` is written to), ``t`` type variables, ``T...``
for a variadic tail, and the return types.
"""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from .lexer import TokenStream
from .parser import parse_type, parse_type_suffixes
from .types import (
    ANY,
    AnyType,
    BoolType,
    DictType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    NumberType,
    OptionalType,
    TensorType,
    TupleType,
    Type,
    TypeVar,
    unify,
)

NO_DEFAULT = object()


@dataclass(frozen=True)
class Argument:
    name: str
    type: Type
    default: Any = NO_DEFAULT
    kwarg_only: bool = False
    mutates: bool = False     # Tensor(a!)
    alias: Optional[str] = None
    fixed_len: Optional[int] = None  # int[2]: an int is accepted and repeated
    vararg: bool = False      # t... : the rest of the positional arguments

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def is_default(self, value: Any) -> bool:
        """Is ``value`` this argument's default (the same type and value: False is not 0)?
        Frontends leave such arguments out of a node when nothing after them is given."""
        if not self.has_default:
            return False
        try:
            return type(value) is type(self.default) and bool(value == self.default)
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class FunctionSchema:
    name: str                     # aten::add
    overload: str                 # Tensor ('' when none)
    arguments: Sequence[Argument]
    returns: Sequence[Argument] = field(default_factory=tuple)
    text: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.name}.{self.overload}" if self.overload else self.name

    @functools.cached_property
    def last_positional(self) -> int:
        """The index of the last argument that may be passed by position (-1 when none)."""
        return max((i for i, a in enumerate(self.arguments) if not a.kwarg_only), default=-1)

    @property
    def is_vararg(self) -> bool:
        return bool(self.arguments) and self.arguments[-1].vararg

    def __str__(self) -> str:
        return self.text


def parse_schema(text: str) -> FunctionSchema:
    ts = TokenStream(text)
    qual = ts.expect_kind("name", "an op name").text
    name, _, overload = qual.partition(".")
    if "::" not in name:
        ts.error("op names have a namespace, like aten::add")
    ts.expect("(")
    args: List[Argument] = []
    kwarg_only = False
    while not ts.at(")"):
        if ts.accept("*"):
            kwarg_only = True
        else:
            args.append(_parse_argument(ts, kwarg_only, with_name=True))
        if not ts.accept(","):
            break
    ts.expect(")")
    ts.expect("->")
    returns: List[Argument] = []
    if ts.at("(") and not _is_tuple_type(ts):
        ts.next()
        while not ts.at(")"):
            returns.append(_parse_argument(ts, False, with_name=False))
            if not ts.accept(","):
                break
        ts.expect(")")
    else:
        returns.append(_parse_argument(ts, False, with_name=False))
    if ts.peek.kind != "eof":
        ts.error("unexpected text after the schema")
    return FunctionSchema(name, overload, tuple(args), tuple(returns), text)


def _is_tuple_type(ts: TokenStream) -> bool:
    # `-> (Tensor, Tensor)` lists returns; `-> (int, int)[]` would be a type. We only use the
    # former, so a parenthesised return is a list of returns unless followed by [] or ?.
    depth, k = 0, 0
    while True:
        tok = ts.peek_at(k)
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
            if depth == 0:
                nxt = ts.peek_at(k + 1).text
                return nxt in ("[", "?")
        elif tok.kind == "eof":
            return False
        k += 1


def _parse_argument(ts: TokenStream, kwarg_only: bool, with_name: bool) -> Argument:
    t = parse_type(ts, allow_typevars=True)
    mutates, alias, fixed_len, vararg = False, None, None, False
    if ts.at("(") and ts.peek_at(1).kind == "name":  # Tensor(a!), t[](a!)
        ts.next()
        alias = ts.expect_kind("name", "an alias set").text
        mutates = bool(ts.accept("!"))
        ts.expect(")")
    if ts.at("[") and ts.peek_at(1).kind == "number":   # int[2]
        ts.next()
        fixed_len = int(ts.next().text)
        ts.expect("]")
        t = ListType(t)
    t = parse_type_suffixes(ts, t)  # after an alias annotation or a fixed length
    if ts.accept("..."):
        vararg = True
    if with_name:
        name = ts.expect_kind("name", "an argument name").text
    else:  # returns may be named: (Tensor values, Tensor indices)
        name = ts.next().text if ts.peek.kind == "name" else ""
    default = NO_DEFAULT
    if with_name and ts.accept("="):
        default = _parse_default(ts)
    return Argument(name, t, default, kwarg_only, mutates, alias, fixed_len, vararg)


def _parse_default(ts: TokenStream) -> Any:
    tok = ts.next()
    if tok.text == "None":
        return None
    if tok.text in ("True", "False"):
        return tok.text == "True"
    if tok.text == "inf":
        return float("inf")
    if tok.text == "[":
        items = []
        while not ts.at("]"):
            items.append(_parse_default(ts))
            if not ts.accept(","):
                break
        ts.expect("]")
        return items
    if tok.kind in ("number", "string"):
        if tok.text == "-inf":
            return float("-inf")
        return ast.literal_eval(tok.text)
    ts.error("bad default value", tok)


# ---------------------------------------------------------------------------------------------
# matching


def match_type(formal: Type, actual: Type, bindings: Dict[str, Type], exact: bool = False) -> bool:
    """Can a value of type ``actual`` be passed where ``formal`` is expected? Binds type
    variables in ``bindings``. Ints are accepted for floats and numbers for Scalars (Python's
    numeric tower) unless ``exact``: then only a float is a float and only a Scalar a Scalar."""
    if isinstance(formal, TypeVar):
        bound = bindings.get(formal.name)
        if bound is None:
            bindings[formal.name] = actual
            return True
        if actual.is_subtype_of(bound):
            return True
        if bound.is_subtype_of(actual):
            bindings[formal.name] = actual
            return True
        if isinstance(bound, TensorType) and isinstance(actual, TensorType):
            # tensors refined differently (Float(2, *) and Float(1, *)): t is their join
            bindings[formal.name] = unify(bound, actual)
            return True
        if _maybe_tensor(bound) and _maybe_tensor(actual):
            # Tensor? and tensors refined differently ([Float(2, 2), None, Float(*, *)]): their join
            joined = unify(bound, actual)
            if joined is not None:
                bindings[formal.name] = joined
                return True
        if isinstance(bound, NoneType) or isinstance(actual, NoneType):  # [None, t]: a list of Tensor?
            joined = actual if isinstance(bound, NoneType) else bound
            bindings[formal.name] = joined if isinstance(joined, OptionalType) else OptionalType(joined)
            return True
        if isinstance(bound, OptionalType) and isinstance(bound.elem, TensorType) and isinstance(actual, TensorType):
            # [None, i, j] with i and j refined differently: Tensor? of their join
            joined_tensor = unify(bound.elem, actual)
            if joined_tensor is not None:
                bindings[formal.name] = OptionalType(joined_tensor)
                return True
        return False
    if isinstance(formal, AnyType):
        return True
    if isinstance(formal, TensorType):
        return isinstance(actual, TensorType)
    if isinstance(formal, FloatType):
        return isinstance(actual, FloatType) or (not exact and isinstance(actual, IntType))
    if isinstance(formal, NumberType):
        return isinstance(actual, NumberType) or (not exact and isinstance(actual, (IntType, FloatType, BoolType)))
    if isinstance(formal, OptionalType):
        if isinstance(actual, NoneType):
            return True
        if isinstance(actual, OptionalType):
            return match_type(formal.elem, actual.elem, bindings, exact)
        return match_type(formal.elem, actual, bindings, exact)
    if isinstance(formal, ListType):
        return isinstance(actual, ListType) and match_type(formal.elem, actual.elem, bindings, exact)
    if isinstance(formal, DictType):
        # keys are matched exactly: an int key is no float key (each key type has its overload)
        return isinstance(actual, DictType) and (
            match_type(formal.key, actual.key, bindings, exact) if isinstance(formal.key, TypeVar)
            else actual.key == formal.key) and match_type(formal.value, actual.value, bindings, exact)
    if isinstance(formal, TupleType):
        return (isinstance(actual, TupleType) and len(actual.elems) == len(formal.elems)
                and all(match_type(f, a, bindings, exact) for f, a in zip(formal.elems, actual.elems)))
    return actual == formal or actual.is_subtype_of(formal)  # an enum for AnyEnumType


def _maybe_tensor(t: Type) -> bool:
    return isinstance(t, (TensorType, NoneType)) or (isinstance(t, OptionalType) and isinstance(t.elem, TensorType))


def match_schema(schema: FunctionSchema, types: Sequence[Type], exact: bool = False) -> Optional[Dict[str, Type]]:
    """Type-variable bindings when node inputs of ``types`` (one per argument, in schema order,
    varargs flattened, trailing defaults optional) fit ``schema``, else None. ``exact``: see
    :func:`match_type`."""
    args = schema.arguments
    if schema.is_vararg:
        fixed = args[:-1]
        if len(types) < len(fixed):
            return None
        formals = list(fixed) + [args[-1]] * (len(types) - len(fixed))
    else:
        # trailing arguments left at their defaults may be omitted, as in `aten::sum(%x)`
        if len(types) > len(args) or any(not a.has_default for a in args[len(types):]):
            return None
        formals = list(args[:len(types)])
    bindings: Dict[str, Type] = {}
    for formal, actual in zip(formals, types):
        if not match_type(formal.type, actual, bindings, exact):
            return None
    return bindings


def with_defaults(schema: FunctionSchema, types: Sequence[Type], consts: Sequence[Any]) -> tuple:
    """``types`` and ``consts`` extended by the omitted trailing arguments' defaults."""
    from .types import NONE, type_of_constant
    types, consts = list(types), list(consts)
    for a in schema.arguments[len(types):]:
        if a.vararg or not a.has_default:
            break
        d = a.default
        try:
            types.append(NONE if d is None else (a.type if isinstance(d, list) else type_of_constant(d)))
        except (TypeError, ValueError):
            types.append(a.type)
        consts.append(d)
    return types, consts


def substitute(t: Type, bindings: Dict[str, Type]) -> Type:
    """Replace type variables by what they were bound to (Any when unbound)."""
    if isinstance(t, TypeVar):
        return bindings.get(t.name, ANY)
    if isinstance(t, ListType):
        return ListType(substitute(t.elem, bindings))
    if isinstance(t, OptionalType):
        return OptionalType(substitute(t.elem, bindings))
    if isinstance(t, TupleType):
        return t.with_elems([substitute(e, bindings) for e in t.elems])
    if isinstance(t, DictType):
        return DictType(substitute(t.key, bindings), substitute(t.value, bindings))
    return t


__all__ = ["Argument", "FunctionSchema", "NO_DEFAULT", "parse_schema", "match_type", "match_schema",
           "substitute"]

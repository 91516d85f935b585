"""Compile-time values: what a name or expression means when it is not one graph value.

``torch``, ``F`` and ``math`` are namespaces whose attributes are registry ops; ``range``,
``len``, ``print`` are builtins; another script function or Python function is a callee
(a ``prim::CallFunction`` of its graph); ``self`` in a method is a module whose parameters
and buffers are graph inputs, whose constant attributes are baked in, and whose submodules
and methods are callees; ``for`` loops iterate over iterables (ranges, lists, tensors, and
tuples or module lists, which are unrolled).
"""
from __future__ import annotations

import ast
import builtins
import collections
import enum
import inspect
import math
import types as pytypes
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir import Value, registry
from minitorch_jit.ir.types import (
    BOOL,
    DEVICE,
    INT,
    SCALARTYPE,
    STR,
    TENSOR,
    BoolType,
    DictType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    StrType,
    TensorType,
    TupleType,
    Type,
)
from minitorch_jit.passes.inlining import WARN_ID, new_warn_id

from .. import devices, ops
from .. import nn as nn_module
from ..dtypes import dtype as DType
from ..nn import functional
from ..nn.module import Module
from ..nn.modules.utils import NTUPLES
from ..ops.containers import ScriptDict, ScriptList
from ..ops.namespaces import OpNamespace, OpOverloadPacket
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule
from ..tensor import Size, Tensor
from ..tensor_types import LegacyTensorType
from ..tracer.recorder import is_tracing
from . import attributes
from .calls import Arg
from .constants import constant_names, constant_value
from .containers import script_container
from .errors import ScriptError, SourceRange
from .hooks import emit_hooked_call, hooks_of
from .jit_functions import CHECK_MESSAGE, _check, _unwrap_optional, annotate, is_scripting
from .jit_functions import isinstance as jit_isinstance
from .modifiers import IGNORE, UNUSED, modifier
from .overloads import choose, declarations
from .source import Definition, defined_method
from .types import is_number, python_type, type_name

EXCEPTIONS = {c.__name__: c for c in (Exception, ValueError, RuntimeError, AssertionError, TypeError, IndexError,
                                      KeyError, NotImplementedError, ZeroDivisionError)}


class CallSite:
    """The arguments of one call, emitted on demand (left to right, keywords last)."""

    def __init__(self, b: Any, node: ast.Call, where: SourceRange):
        self.b = b
        self.node = node
        self.where = where
        for k in node.keywords:
            if k.arg is None:
                b.unsupported(k, "`**kwargs` in calls is not supported in script functions",
                              fix="pass the keyword arguments by name")

    def values(self) -> Tuple[List[Arg], Dict[str, Arg]]:
        """The arguments, left to right; ``*t`` of a tuple passes its items."""
        b = self.b
        args: List[Arg] = []
        for a in self.node.args:
            if not isinstance(a, ast.Starred):
                args.append(b.arg(a))
                continue
            t = b.emit_value(a.value)
            if not isinstance(t.type, TupleType):
                b.unsupported(a, f"`*args` in calls is not supported in script functions for a value of type "
                              f"{type_name(t.type)} (only for a tuple, whose length is known)",
                              fix="pass the arguments one by one")
            where = b.range(a)
            args.extend(Arg(v, where) for v in b.tuple_items(t))
        kwargs = {k.arg: b.arg(k.value) for k in self.node.keywords}
        return args, kwargs  # type: ignore[return-value]

    def no_keywords(self, what: str) -> None:
        if self.node.keywords:
            self.b.error(f"{what} takes no keyword arguments", self.b.range(self.node.keywords[0]))


class Sugar:
    """A compile-time value. Each use it does not support is a ScriptError naming it."""

    def describe(self) -> str:
        return "this value"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        b.error(f"{self.describe()} has no attribute '{name}' in script functions", where)

    def call(self, b: Any, site: CallSite) -> Any:
        b.error(f"{self.describe()} cannot be called in script functions", site.where)

    def iterate(self, b: Any, where: SourceRange) -> "Iterable":
        b.error(f"{self.describe()} cannot be iterated over in script functions", where)

    def getitem(self, b: Any, index: ast.expr, where: SourceRange) -> Any:
        b.error(f"{self.describe()} cannot be indexed in script functions", where)

    def as_value(self, b: Any, where: SourceRange) -> Value:
        b.error(f"{self.describe()} cannot be used as a value in script functions", where)

    def static_len(self) -> Optional[int]:
        return None


# -- ops ----------------------------------------------------------------------------------------


class OpName(Sugar):
    """``torch.add``, ``F.relu``, ``x.sum`` (with ``self_value``), ``l.append``: registry ops
    reachable under one Python name."""

    def __init__(self, namespace: str, name: str, display: str, self_value: Optional[Value] = None):
        self.namespace, self.name, self.display, self.self_value = namespace, name, display, self_value

    def describe(self) -> str:
        return f"{self.display}"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        if self.self_value is not None:
            args = [Arg(self.self_value, site.where)] + args
        return b.op_call(self.namespace, self.name, args, kwargs, site.where, self.display)

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        """``torch.ops.aten.add.Tensor``: one overload of an op."""
        qualified = f"{self.name}.{name}"
        if self.namespace in registry.OP_NAMESPACES and "." not in self.name and \
                registry.python_overloads(self.namespace, qualified):
            return OpName(self.namespace, qualified, f"{self.display}.{name}")
        return super().attr(b, name, where)


class Namespace(Sugar):
    """A Python module whose functions are registry ops under ``namespace``."""

    def __init__(self, namespace: Optional[str], module: Any, display: str):
        self.namespace, self.module, self.display = namespace, module, display

    def describe(self) -> str:
        return f"module '{self.display}'"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        if self.namespace is not None and registry.python_overloads(self.namespace, name):
            return OpName(self.namespace, name, f"{self.display}.{name}")
        if not hasattr(self.module, name):
            b.error(f"module '{self.display}' has no attribute '{name}'", where)
        return python_value(b, getattr(self.module, name), where, f"{self.display}.{name}")


class JitNamespace(Sugar):
    """``torch.jit``: ``annotate``, ``is_scripting`` and ``is_tracing`` have meaning inside
    script functions."""

    def __init__(self, module: pytypes.ModuleType):
        self.module = module

    def describe(self) -> str:
        return "module 'torch.jit'"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        meaning = jit_function(getattr(self.module, name, None))
        if meaning is None:
            b.error(f"torch.jit.{name} is not supported inside script functions", where)
        return meaning


def jit_function(obj: Any) -> Optional[Sugar]:
    """What a function of ``torch.jit`` means in a script, however it was imported."""
    if obj is annotate:
        return Annotate()
    if obj is jit_isinstance:
        return IsInstance("torch.jit.isinstance")
    if obj is _unwrap_optional:
        return OpName("jit", "_unwrap_optional", "torch.jit._unwrap_optional")
    if obj is is_scripting:
        return ConstantCall("torch.jit.is_scripting", True)
    if obj is is_tracing:
        return ConstantCall("torch.jit.is_tracing", False)
    return None


class Annotate(Sugar):
    def describe(self) -> str:
        return "torch.jit.annotate"

    def call(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("torch.jit.annotate")
        if len(site.node.args) != 2:
            b.error("torch.jit.annotate(type, value) takes two arguments", site.where)
        t = b.annotation(site.node.args[0])
        arg = site.node.args[1]
        tolist = isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "tolist"
        if isinstance(t, (FloatType, IntType, BoolType)) and not tolist:  # (x.tolist() is typed by the annotation)
            v = b.emit_value(arg)
            if isinstance(v.type, TensorType):  # a tensor annotated as a number converts, as TorchScript does
                name = {FloatType: "float", IntType: "int", BoolType: "bool"}[type(t)]
                return b.op_call("builtins", name, [Arg(v, site.where)], {}, site.where, name)
            if not v.type.is_subtype_of(t):
                b.error(f"expected an expression of type {type_name(t)} but found {type_name(v.type)}", site.where)
            return v
        v = b.typed_value(site.node.args[1], t)
        if v.type != t and not isinstance(v.type, TensorType):  # None as an int?: the value has the type
            v = b.insert("prim::unchecked_cast", [v], [t]).output
        return v


class IsInstance(Sugar):
    """``isinstance`` and ``torch.jit.isinstance``: a condition that refines its operand (see
    ``ExpressionBuilder.isinstance_cond``)."""

    def __init__(self, display: str):
        self.display = display

    def describe(self) -> str:
        return self.display

    def call(self, b: Any, site: CallSite) -> Any:
        return b.cond_value(b.isinstance_cond(site.node))


class ConstantCall(Sugar):
    """A function whose answer a script knows when it is compiled."""

    def __init__(self, display: str, value: Any):
        self.display, self.value = display, value

    def describe(self) -> str:
        return self.display

    def call(self, b: Any, site: CallSite) -> Any:
        if site.node.args or site.node.keywords:
            b.error(f"{self.display}() takes no arguments", site.where)
        return b.constant(self.value)


# -- builtins -----------------------------------------------------------------------------------


# ``len(obj)``, ``int(obj)``... of an object of a user-defined class: its magic method (set
# by .classes): ``object_builtin(b, name, value, where)``, None when ``value`` is no object.
object_builtin: Optional[Callable[[Any, str, Value, SourceRange], Optional[Value]]] = None


# A module attribute holding an object of a user-defined class (set by .classes):
# ``object_attribute(b, module_value, name, value, where)``, None for other values.
object_attribute: Optional[Callable[[Any, Any, str, Any, SourceRange], Any]] = None


class DeviceClass(Sugar):
    """``torch.device("cpu")``: a constant device, made when the function is compiled (its
    arguments must be constants); only the CPU can be used here."""

    def describe(self) -> str:
        return "torch.device"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        values = {}
        for key, a in list(enumerate(args)) + list(kwargs.items()):
            if a.value.node.kind != "prim::Constant":
                b.error("torch.device() takes constant arguments in script functions", a.where)
            values[key] = a.value.constant
        try:
            made = devices.device(*[values[i] for i in range(len(args))],
                                  **{k: v for k, v in values.items() if isinstance(k, str)})
        except (TypeError, RuntimeError) as e:
            b.error(f"torch.device(): {e}", site.where)
        if made.type != "cpu":
            b.error(f"device {str(made)!r} is not supported: minitorch_jit runs on the CPU only", site.where)
        return b.constant("cpu", DEVICE)


class Builtin(Sugar):
    """A Python builtin: ``range``/``enumerate``/``zip`` make iterables, ``isinstance`` and
    ``len`` of tuples are answered statically, the others are registry ops (``builtins.len``)."""

    def __init__(self, name: str):
        self.name = name

    def describe(self) -> str:
        return f"builtin {self.name}()"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        """``list.count``, ``str.format``, ``dict.keys``: the methods, called with their object first."""
        if self.name in ("list", "str", "dict") and registry.python_overloads(self.name, name):
            return OpName(self.name, name, f"{self.name}.{name}")
        return super().attr(b, name, where)

    def call(self, b: Any, site: CallSite) -> Any:
        special = getattr(self, f"call_{self.name}", None)
        if special is not None:
            return special(b, site)
        if not registry.python_overloads("builtins", self.name):
            b.error(f"Python builtin {self.name}() is not supported in script functions", site.where)
        args, kwargs = site.values()
        if len(args) == 1 and not kwargs and object_builtin is not None:
            r = object_builtin(b, self.name, args[0].value, site.where)
            if r is not None:
                return r
        return b.op_call("builtins", self.name, args, kwargs, site.where, self.name)

    def call_range(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("range()")
        args, _ = site.values()
        if not args:
            b.error("range() expects 1 argument but got 0", site.where)
        if len(args) > 3:
            b.error(f"range() expects at most 3 arguments but got {len(args)}", site.where)
        for a in args:
            if not isinstance(a.value.type, IntType):
                b.error(f"range() arguments must be int, not {type_name(a.value.type)}", a.where,
                        fix=b.annotate_hint([a.value]))
        return RangeIter([a.value for a in args])

    def call_enumerate(self, b: Any, site: CallSite) -> Any:
        node = site.node
        if not 1 <= len(node.args) + len(node.keywords) <= 2 or any(k.arg != "start" for k in node.keywords):
            b.error("enumerate(iterable, start=0) takes an iterable and an optional start", site.where)
        inner = b.iterable(node.args[0])
        start_node = node.args[1] if len(node.args) > 1 else (node.keywords[0].value if node.keywords else None)
        start = b.emit_value(start_node) if start_node is not None else None
        if start is not None and not isinstance(start.type, IntType):
            b.error(f"enumerate() start must be int, not {type_name(start.type)}", b.range(start_node))
        return EnumerateIter(inner, start)

    def call_zip(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("zip()")
        if not site.node.args:
            b.error("zip() needs at least one iterable", site.where)
        return ZipIter([b.iterable(a) for a in site.node.args], site.where)

    def call_len(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("len()")
        if len(site.node.args) != 1:
            b.error("len() takes exactly one argument", site.where)
        x = b.emit_expr(site.node.args[0])
        if isinstance(x, ModuleValue) and x.overrides("__len__"):
            return BoundMethod(x, "__len__").call_args(b, [], {}, site.where)
        if isinstance(x, Sugar):
            n = x.static_len()
            if n is None:
                b.error(f"len() of {x.describe()} is not supported", site.where)
            return b.constant(n)
        if isinstance(x.type, TupleType):
            return b.constant(len(x.type.elems))
        if object_builtin is not None:
            r = object_builtin(b, "len", x, site.where)
            if r is not None:
                return r
        return b.op_call("builtins", "len", [Arg(x, b.range(site.node.args[0]))], {}, site.where, "len")

    def call_list(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("list()")
        if len(site.node.args) != 1:
            b.error("list() of nothing is ambiguous in script functions", site.where,
                    fix="write `torch.jit.annotate(List[int], [])` or `x: List[int] = []`")
        arg = site.node.args[0]
        x = b.emit_expr(arg)
        if isinstance(x, Iterable):  # list(range(n)), list(zip(a, b)): [v for v in ...]
            return b.comprehension(_comprehension(arg, ast.ListComp, ["$v"]), iterable=x)
        if isinstance(x, Value) and isinstance(x.type, TupleType):
            elem = b.common_type(x.type.elems, site.where, "list()")
            return b.make_list(b.tuple_items(x), elem, fresh=True)
        if isinstance(x, Value) and isinstance(x.type, DictType):  # its keys, as in Python
            return b.op_call("dict", "keys", [Arg(x, site.where)], {}, site.where, "list")
        args = [Arg(b.to_value(x, site.where), site.where)]
        return b.op_call("builtins", "list", args, {}, site.where, "list")

    def call_dict(self, b: Any, site: CallSite) -> Any:
        """``dict()``, ``dict(mapping)`` (a copy), ``dict(iterable of pairs)`` and keyword
        arguments (str keys) added to any of them. Empty, it is a ``Dict[str, Tensor]``, as
        TorchScript's default (annotate it for another type)."""
        node = site.node
        if len(node.args) > 1:
            b.error(f"dict expected at most 1 argument, got {len(node.args)}", site.where)
        result = None
        if node.args and not (isinstance(node.args[0], ast.List) and not node.args[0].elts):
            arg = node.args[0]
            x = b.emit_expr(arg)
            if isinstance(x, Value) and isinstance(x.type, DictType):
                result = x if isinstance(arg, (ast.Dict, ast.DictComp)) else \
                    b.op_call("dict", "copy", [Arg(x, site.where)], {}, site.where, "dict")
            else:
                if not isinstance(x, Iterable):
                    v = b.to_value(x, site.where)
                    if not isinstance(v.type, ListType):
                        b.error("dict() takes a dict, or a list or iterable of (key, value) pairs", b.range(arg))
                    x = ValueIter(v, b.range(arg))
                result = b.dict_comprehension(_comprehension(arg, ast.DictComp, ["$k", "$v"]), iterable=x)
        keys, values = [], []
        for k in node.keywords:
            keys.append(b.constant(k.arg))
            values.append(b.emit_value(k.value))
        if result is None:
            t = b.dict_type([STR] * len(keys), [v.type for v in values], site.where, "dict()")
            return b.insert("prim::DictConstruct", [x for kv in zip(keys, values) for x in kv], [t]).output
        for k, v in zip(keys, values):
            b.op_call("dict", "__setitem__", [Arg(result, site.where), Arg(k, site.where), Arg(v, site.where)], {},
                      site.where, "dict")
        return result

    def _constant_name(self, b: Any, site: CallSite, what: str) -> Tuple[Any, str]:
        """``what(obj, "name", ...)``: obj as scripted, and the name, which must be known when
        scripting (the attributes of a module or object are)."""
        site.no_keywords(f"{what}()")
        node = site.node
        if not 2 <= len(node.args) <= (3 if what == "getattr" else 2):
            b.error(f"{what}() takes {'2 or 3' if what == 'getattr' else '2'} arguments", site.where)
        name = b.emit_value(node.args[1])
        if name.node.kind != "prim::Constant" or not isinstance(name.constant, str):
            b.error(f"{what}'s second argument must be a string literal (the attribute's name is needed when "
                    "scripting)", b.range(node.args[1]))
        return b.emit_expr(node.args[0]), name.constant

    def call_hasattr(self, b: Any, site: CallSite) -> Any:
        """``hasattr(module, "name")``: a constant, so ``if hasattr(m, "a"): m.a`` compiles
        the branch only for modules that have ``a``."""
        obj, name = self._constant_name(b, site, "hasattr")
        if isinstance(obj, ModuleValue):
            return b.constant(obj.has_attr(name))
        what = obj.describe() if isinstance(obj, Sugar) else f"a value of type {type_name(obj.type)}"
        return b.error(f"hasattr() of {what} is not supported in script functions: its first argument must be a "
                       "module", b.range(site.node.args[0]))

    def call_getattr(self, b: Any, site: CallSite) -> Any:
        """``getattr(module, "name"[, default])``: ``module.name``, or the default when the
        module has no such attribute."""
        obj, name = self._constant_name(b, site, "getattr")
        if not isinstance(obj, ModuleValue):
            what = obj.describe() if isinstance(obj, Sugar) else f"a value of type {type_name(obj.type)}"
            return b.error(f"getattr() of {what} is not supported in script functions: write `x.{name}`",
                           b.range(site.node.args[0]))
        if len(site.node.args) == 3 and not obj.has_attr(name):
            return b.emit_expr(site.node.args[2])
        return obj.attr(b, name, site.where)

    def call_slice(self, b: Any, site: CallSite) -> Any:
        """``slice(stop)``, ``slice(start, stop[, step])``: the bounds of an index, as
        ``x[start:stop:step]`` has them."""
        if site.node.keywords:
            b.error("Slice does not accept any keyword arguments", site.where,
                    fix="pass start, stop and step by position")
        args, _ = site.values()
        if not 1 <= len(args) <= 3:
            b.error(f"slice expected 1 to 3 arguments, got {len(args)}", site.where)
        bounds: List[Optional[Value]] = []
        for a in args:
            t = a.value.type
            if not isinstance(t, (IntType, NoneType)):
                b.error(f"slice indices must be int or None, not {type_name(t)}", a.where)
            bounds.append(None if isinstance(t, NoneType) else a.value)
        if len(bounds) == 1:
            bounds.insert(0, None)
        return SliceValue(bounds[0], bounds[1], bounds[2] if len(bounds) == 3 else None)

    def call_tuple(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("tuple()")
        if len(site.node.args) != 1:
            b.error(f"tuple() expected at most 1 argument, got {len(site.node.args)}", site.where)
        x = b.emit_expr(site.node.args[0])
        if isinstance(x, Value) and isinstance(x.type, TupleType):
            return x
        b.error("cannot statically infer the expected size of a list in this context: tuple() takes a tuple in "
                "script functions", site.where, fix="write the tuple's items: (a[0], a[1])")

    def call_print(self, b: Any, site: CallSite) -> Any:
        for k in site.node.keywords:
            b.error(f"print doesn't accept any keyword arguments ('{k.arg}')", b.range(k))
        args, _ = site.values()
        return b.op_call("builtins", "print", args, {}, site.where, "print")


def _comprehension(iterable: ast.expr, kind: type, names: List[str]) -> Any:
    """The comprehension ``[v for v in <iterable>]`` (``kind`` ListComp) or ``{k: v for k, v
    in <iterable>}`` (DictComp) over an iterable the caller has emitted, placed where it is;
    ``names`` are variables no Python code can name."""
    def name(n: str, ctx: ast.expr_context) -> ast.Name:
        return ast.copy_location(ast.Name(id=n, ctx=ctx), iterable)

    target: ast.expr = name(names[0], ast.Store()) if len(names) == 1 else \
        ast.copy_location(ast.Tuple(elts=[name(n, ast.Store()) for n in names], ctx=ast.Store()), iterable)
    gen = ast.comprehension(target=target, iter=iterable, ifs=[], is_async=0)
    node = kind(elt=name(names[0], ast.Load()), generators=[gen]) if kind is ast.ListComp else \
        kind(key=name(names[0], ast.Load()), value=name(names[1], ast.Load()), generators=[gen])
    return ast.copy_location(node, iterable)


def _builtin_names() -> Dict[int, str]:
    return {id(getattr(builtins, n)): n for n in dir(builtins) if not n.startswith("_")}


_BUILTINS = _builtin_names()


class SliceValue(Sugar):
    """A ``slice(...)`` object: usable only as an index (``x[s]``), where it means
    ``x[start:stop:step]``; None bounds are left out."""

    def __init__(self, start: Optional[Value], stop: Optional[Value], step: Optional[Value]):
        self.bounds = (start, stop, step)

    def describe(self) -> str:
        return "a slice object"


class Warn(Sugar):
    """``warnings.warn(message, category=UserWarning, stacklevel=1)``: the category is a
    built-in warning class, known when scripting."""

    def describe(self) -> str:
        return "warnings.warn"

    def call(self, b: Any, site: CallSite) -> Any:
        node = site.node
        names = ("message", "category", "stacklevel")
        given: Dict[str, ast.expr] = dict(zip(names, node.args))
        if len(node.args) > len(names):
            b.error(f"warnings.warn() takes at most {len(names)} arguments", site.where)
        for k in node.keywords:
            if k.arg not in names or k.arg in given:
                b.error(f"warnings.warn() got an unexpected or repeated keyword argument '{k.arg}'", b.range(k))
            given[str(k.arg)] = k.value
        if "message" not in given:
            b.error("warnings.warn() missing required argument 'message'", site.where)
        message = b.emit_value(given["message"])
        if not isinstance(message.type, StrType):
            b.error(f"warnings.warn() message must be str, not {type_name(message.type)}", b.range(given["message"]),
                    fix="format the message into a string")
        category = "UserWarning"
        if "category" in given:
            named = given["category"]
            cls = b.resolve_type_name(named) if isinstance(named, (ast.Name, ast.Attribute)) else None
            name = getattr(cls, "__name__", "")
            if not (getattr(builtins, name, None) is cls and isinstance(cls, type) and issubclass(cls, Warning)):
                b.error("warnings.warn() category must be a built-in warning class (UserWarning, DeprecationWarning, "
                        "...)", b.range(given["category"]))
            category = name
        stacklevel = b.emit_value(given["stacklevel"]) if "stacklevel" in given else b.constant(2)
        if not isinstance(stacklevel.type, IntType):
            b.error("warnings.warn() stacklevel must be int", b.range(given["stacklevel"]))
        inputs = [message, stacklevel] + ([b.constant(category)] if category != "UserWarning" else [])
        b.insert("aten::warn", inputs, [], {WARN_ID: new_warn_id()})
        return b.constant(None)


class TorchCheck(Sugar):
    """``torch._check(cond, message=None)``: raises RuntimeError(message) where ``cond`` does
    not hold, as an ``assert`` does (the message is computed only then)."""

    def describe(self) -> str:
        return "torch._check"

    def call(self, b: Any, site: CallSite) -> Any:
        node = site.node
        if not 1 <= len(node.args) + len(node.keywords) <= 2:
            b.error("torch._check() expects 1 or 2 arguments: cond and an optional message", site.where)
        given: Dict[str, ast.expr] = dict(zip(("cond", "message"), node.args))
        for k in node.keywords:
            if k.arg not in ("cond", "message"):
                b.error(f"torch._check() got an unexpected keyword argument '{k.arg}'", b.range(k))
            if k.arg in given:
                b.error(f"torch._check() got multiple values for argument '{k.arg}'", b.range(k))
            given[str(k.arg)] = k.value
        if "cond" not in given:
            b.error("torch._check() missing required argument 'cond'", site.where)
        b.raise_unless(given["cond"], given.get("message"), CHECK_MESSAGE, "RuntimeError")
        return b.constant(None)


class ExceptionClass(Sugar):
    """A built-in exception class, as raised by ``raise ValueError("...")``."""

    def __init__(self, cls: type):
        self.cls = cls

    def describe(self) -> str:
        return f"exception {self.cls.__name__}"

    def call(self, b: Any, site: CallSite) -> Any:
        site.no_keywords(self.cls.__name__)
        if len(site.node.args) > 1:
            b.error(f"{self.cls.__name__}() with more than one argument is not supported in script functions",
                    site.where, fix="format one message string")
        args, _ = site.values()
        msg = args[0] if args else None
        if msg is not None and not isinstance(msg.value.type, StrType):
            msg = Arg(b.op_call("builtins", "str", [msg], {}, msg.where, "str"), msg.where)
        return ExceptionValue(self.cls, msg.value if msg else b.constant(""))


class ExceptionValue(Sugar):
    def __init__(self, cls: type, message: Value):
        self.cls, self.message = cls, message

    def describe(self) -> str:
        return f"exception {self.cls.__name__}"

    def as_value(self, b: Any, where: SourceRange) -> Value:
        return b.error("exception message cannot be used as a value: an exception can only be raised", where)


# -- script callees --------------------------------------------------------------------------------


class Callee(Sugar):
    """A script function (or a Python function, compiled when first called). ``holder`` says
    which module attribute holds it, when one does (an error compiling it says so)."""

    def __init__(self, fn: Any, display: str, holder: str = ""):
        self.fn, self.display, self.holder = fn, display, holder

    def describe(self) -> str:
        return f"function '{self.display}'"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        overload = choose(b, self.fn, args, kwargs, site.where, self.display) if declarations(self.fn) else None
        try:
            compiled = b.compiler.function(self.fn, site.where, overload)
        except ScriptError as e:
            if self.holder:
                e.notes.append((f"{self.holder} holds a function, which failed to compile", site.where))
            raise
        return b.call_function(compiled, args, kwargs, [], site.where, self.display)


class NTuple(Sugar):
    """``_single``/``_pair``/``_triple``/``_quadruple`` (``torch.nn.modules.utils``): a number
    becomes a tuple of ``n`` copies of it, a tuple stays itself."""

    def __init__(self, name: str, n: int):
        self.name, self.n = name, n

    def describe(self) -> str:
        return f"{self.name}()"

    def call(self, b: Any, site: CallSite) -> Any:
        site.no_keywords(self.name)
        args, _ = site.values()
        if len(args) != 1:
            b.error(f"{self.name}() takes one argument", site.where)
        v = args[0].value
        if isinstance(v.type, TupleType):
            return v
        if not is_number(v.type):
            b.error(f"{self.name}() takes a number or a tuple in script functions, not {type_name(v.type)} (a list's "
                    "length is not known when compiling)", args[0].where)
        return b.insert("prim::TupleConstruct", [v] * self.n, [TupleType([v.type] * self.n)]).output


class LegacyConstructor(Sugar):
    """``torch.LongTensor(2, 3)`` (sizes: an uninitialized tensor) and ``torch.LongTensor([1, 2])``
    (data), TorchScript's two schemas of the legacy constructors, with that type's dtype."""

    SCHEMAS = ("Legacy Tensor Constructor only supports two schemas in TorchScript: 'new(IntArrayRef size, *, "
               "Device? device=None)', 'new(PyObject* data, *, Device? device=None)'")

    def __init__(self, cls: Any):
        self.cls = cls

    def describe(self) -> str:
        return f"torch.{self.cls.__name__}"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        for k, a in kwargs.items():
            if k != "device":
                b.error(f"{self.SCHEMAS}. Got kwarg {k}", a.where)
        keywords = dict(kwargs, dtype=Arg(b.constant(self.cls.dtype.name, SCALARTYPE), site.where))
        name = f"torch.{self.cls.__name__}"
        if not args:
            sizes = Arg(b.constant([0], ListType(INT)), site.where)
            return b.op_call("torch", "empty", [sizes], keywords, site.where, name)
        if all(isinstance(a.value.type, IntType) for a in args):
            return b.op_call("torch", "empty", args, keywords, site.where, name)
        if len(args) > 1:
            b.error(f"{self.SCHEMAS}. Got multiple positional arguments that were not all integers", site.where)
        return b.op_call("torch", "tensor", args, keywords, site.where, name)


class IgnoredClass(Sugar):
    """A class marked ``@torch.jit.ignore``: Python's, which a script cannot make."""

    def __init__(self, cls: type):
        self.cls = cls

    def describe(self) -> str:
        return f"class '{self.cls.__name__}' (@torch.jit.ignore)"

    def call(self, b: Any, site: CallSite) -> Any:
        b.error(f"Cannot instantiate class '{self.cls.__name__}' in a script: it is marked @torch.jit.ignore",
                site.where)


class ModuleValue(Sugar):
    """A module seen from a method: ``module`` is the Python object (its attributes and
    methods' source), ``mirror`` the ScriptModule its compiled methods belong to, ``path`` its
    dotted name from the method's ``self``."""

    def __init__(self, module: Module, mirror: Module, path: str):
        self.module, self.mirror, self.path = module, mirror, path

    def describe(self) -> str:
        return f"module '{self.path or 'self'}' ({type(self.module).__name__})"

    def _path(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        m = self.module
        if name == "training":
            if name in attributes.assigned_attributes(type(m)):  # a method assigns it: read what it last set
                b.may_assign(self._path(name), BOOL)
            return b.attribute_value(self._path(name), BOOL)
        for table in ("_parameters", "_buffers"):
            if name in m.__dict__[table]:
                t = m.__dict__[table][name]
                if t is None:
                    return b.constant(None)
                if table == "_buffers" and name in attributes.assigned_attributes(type(m)):
                    b.may_assign(self._path(name), TENSOR)
                return b.attribute_value(self._path(name), TENSOR)
        if name in m.__dict__["_modules"]:
            sub = m.__dict__["_modules"][name]
            if sub is None:
                return b.constant(None)
            return ModuleValue(sub, self.mirror.__dict__["_modules"][name], self._path(name))
        own = self._own_tensors(b, name)
        if own is not None:
            return own
        prop = self._property(name)
        if prop is not None:
            return self.property_access(b, name, prop, None, where)
        if self.is_constant(name):
            return b.python_constant(constant_value(m, name, where))
        if defined_method(self.mirror, name) is not None:
            return BoundMethod(self, name)
        raw = m.__dict__[name] if name in m.__dict__ else inspect.getattr_static(type(m), name, None)
        if modifier(raw) == IGNORE and callable(raw):  # a method (or instance override) left to Python
            from .python_calls import ignored  # it builds on this module's Sugar
            call = ignored(getattr(m, name), self._path(name))
            if call is not None:
                return call
        if name in m.__dict__ and object_attribute is not None:  # an object (its annotation an interface)
            obj = object_attribute(b, self, name, m.__dict__[name], where)
            if obj is not None:
                return obj
        if isinstance(m.__dict__.get(name), (list, dict)) and name not in attributes.assigned_attributes(type(m)) \
                and not any(isinstance(v, Module) for v in m.__dict__[name]):
            # changed in place only: the ScriptModule holds it as a ScriptList or ScriptDict that
            # the graph takes as it is, so what a call does to it stays (and Python sees it)
            return self.container(b, name, where)
        if (name in m.__dict__ or hasattr(type(m), name) and not callable(getattr(type(m), name))) and \
                attributes.is_state(m, name):
            return b.attribute_value(self._path(name), self._state(b, name, where))
        if name in m.__dict__:
            value = m.__dict__[name]
            if isinstance(value, ScriptMethod):  # the module's own compiled method
                return BoundMethod(self, name)
            if isinstance(value, (pytypes.FunctionType, ScriptFunction)) or id(value) in _generated_op_functions():
                meaning = python_value(b, value, where, self._path(name))
                if isinstance(meaning, Callee):
                    meaning.holder = f"attribute '{self._path(name)}' of module {type(m).__name__}"
                return meaning
            if isinstance(value, (list, dict)) and not _holds_modules(value):
                return self.container(b, name, where)
            return module_constant(b, value, where, f"{self.describe()}.{name}")
        if name in ("keys", "values", "items") and self.kind() in ("dict", "parameter_dict") and \
                not self.overrides(name):
            return ContainerMethod(self, name)
        method = inspect.getattr_static(type(m), name, None)
        if isinstance(getattr(method, "fn", method), pytypes.FunctionType) or name in m.__dict__.get("_methods", {}):
            return BoundMethod(self, name)
        b.error(f"module '{type(m).__name__}' has no attribute '{name}'", where)

    def container(self, b: Any, name: str, where: SourceRange) -> Value:
        """A list or dict attribute: the ScriptModule holds it as a ScriptList or ScriptDict
        (typed by the class's annotation of it, else by its elements), which the method's
        graph takes as an input, so what a script does to it stays, as a TorchScript
        module's attribute does."""
        shared = self.mirror.__dict__.get(name)
        if not isinstance(shared, (ScriptList, ScriptDict)):
            hint = _class_annotation(type(self.module), name)
            try:
                shared = script_container(self.module.__dict__[name], hint)
            except TypeError as e:
                b.error(f"{self.describe()}.{name}: {e}", where)
            self.mirror.__dict__[name] = shared
        assert shared is not None
        return b.attr_input(self._path(name), shared.type)

    def has_attr(self, name: str) -> bool:
        """Whether ``self.<name>`` means something in a method (``hasattr``)."""
        m = self.module
        if name == "training" or any(name in m.__dict__[t] for t in ("_parameters", "_buffers", "_modules")):
            return True
        return name in m.__dict__ or hasattr(type(m), name)

    def _state(self, b: Any, name: str, where: SourceRange) -> Type:
        """The type of state attribute ``name``, its value copied to the ScriptModule (once),
        which holds it from now on; marked assignable if a method assigns it."""
        t = attributes.state_type(self.module, name, where)
        value = self.module.__dict__.get(name)
        if t is None and _holds_modules(value):
            raise ScriptError("Could not infer type of list element: Cannot infer concrete type of torch.nn.Module",
                              where, fix="hold the modules in an nn.ModuleList")
        if t is None:
            raise ScriptError(f"the type of attribute '{name}' of module '{type(self.module).__name__}' cannot be "
                              "inferred from its value", where,
                              fix="annotate it in the class body (`x: List[int]`) or wrap the value in "
                                  "torch.jit.Attribute(value, type)")
        mirror = self.mirror.__dict__
        if name not in mirror or isinstance(mirror[name], attributes.Attribute):
            mirror[name] = attributes.state_value(self.module, name)
        if name in attributes.assigned_attributes(type(self.module)) or isinstance(t, (ListType, DictType)):
            b.may_assign(self._path(name), t)
        if isinstance(t, (ListType, DictType)) and self._path(name) not in b.written_paths:
            # a list or dict the method may change in place is written back
            b.written_paths.append(self._path(name))
        return t

    def call_method(self, b: Any, method: ScriptMethod, args: List[Arg], kwargs: Dict[str, Arg],
                    where: SourceRange) -> Any:
        """Call a compiled method of this module: its arguments, then the attributes it reads;
        the attributes it writes are written for the caller too."""
        inputs = method.graph.inputs[len(method.signature.parameters):]
        written = [self._path(p) for p in method.written_paths]
        for p in written:
            b.may_assign(p, next(v.type for q, v in zip(method.attr_paths, inputs) if self._path(q) == p))
        attrs = [b.attribute_value(self._path(p), v.type) for p, v in zip(method.attr_paths, inputs)]
        return b.call_function(method, args, kwargs, attrs, where, self._path(method.name), written,
                               implicit_self=True)

    def _property(self, name: str) -> Optional[property]:
        """The user's property ``name`` of the module's class (nn's own are not compiled)."""
        prop = inspect.getattr_static(type(self.module), name, None)
        if not isinstance(prop, property) or name in self.module.__dict__ or \
                getattr(prop.fget, "__module__", "").startswith(_NN_PACKAGE):
            return None
        return prop

    def property_access(self, b: Any, name: str, prop: property, value: Optional[Value], where: SourceRange) -> Any:
        """Read (``value`` None) or write a property: a call of its getter or setter compiled
        as a method, as TorchScript compiles them. Properties in the class's
        ``__jit_unused_properties__`` or marked ``@torch.jit.unused`` are left out."""
        cls = type(self.module)
        if name in getattr(cls, "__jit_unused_properties__", ()) or modifier(prop.fget) == UNUSED:
            b.error(f"property '{name}' of module '{cls.__name__}' is left out of the script "
                    "(__jit_unused_properties__ or @torch.jit.unused)", where)
        fn = prop.fget if value is None else prop.fset
        if fn is None:
            b.error(f"property '{name}' of module '{cls.__name__}' has no setter", where)
        kind = "getter" if value is None else "setter"
        method = b.compiler.bound_function(self.module, self.mirror, fn, f"__{name}_{kind}", where)
        args = [] if value is None else [Arg(value, where)]
        return self.call_method(b, method, args, {}, where)

    def set_attr(self, b: Any, name: str, value: Value, where: SourceRange) -> None:
        """``self.<name> = value`` in a method: an attribute set in ``__init__``, assigned a
        value of its type (or a property's setter)."""
        m = self.module
        prop = self._property(name)
        if prop is not None:
            self.property_access(b, name, prop, value, where)
            return
        if name in m.__dict__["_parameters"] or name in m.__dict__["_modules"]:
            kind = "parameter" if name in m.__dict__["_parameters"] else "submodule"
            b.error(f"cannot assign the {kind} '{name}' of module '{type(m).__name__}' in a script method", where)
        if name == "training":  # a bool the module keeps (__setstate__ restores it), read at each call
            if not value.type.is_subtype_of(BOOL):
                raise attributes.wrong_type(BOOL, value.type, where)
            b.may_assign(self._path(name), BOOL)
            b.assign_attribute(self._path(name), value)
            return
        if name in m.__dict__["_buffers"]:
            t: Optional[Type] = TENSOR
        elif name not in attributes.assigned_attributes(type(m)) or (
                name not in m.__dict__ and not hasattr(type(m), name)):
            raise attributes.nonexistent(name, where)
        else:
            t = attributes.state_type(m, name, where)
        if t is None:
            raise attributes.nonexistent(name, where)
        if not value.type.is_subtype_of(t):
            raise attributes.wrong_type(t, value.type, where)
        if name in m.__dict__["_buffers"]:
            b.may_assign(self._path(name), t)
        else:
            self._state(b, name, where)
        b.assign_attribute(self._path(name), value)

    def _own_tensors(self, b: Any, name: str) -> Optional[Value]:
        """A list or tuple (an attribute, or a property of nn's own layers, like the recurrent
        layers' ``_flat_weights``) of the module's own parameters and buffers: a list of those
        graph inputs, so a call reads them as they are then. (A user's property is never run
        when scripting.)"""
        m = self.module
        prop = inspect.getattr_static(type(m), name, None)
        if name in m.__dict__:
            value = m.__dict__[name]
        elif isinstance(prop, property) and getattr(prop.fget, "__module__", "").startswith(_NN_PACKAGE):
            value = getattr(m, name)
        else:
            return None
        if not (isinstance(value, (list, tuple)) and value and all(isinstance(t, Tensor) for t in value)):
            return None
        names = {id(t): k for table in ("_parameters", "_buffers") for k, t in m.__dict__[table].items()
                 if t is not None}
        if not all(id(t) in names for t in value):
            return None
        return b.make_list([b.attr_input(self._path(names[id(t)]), TENSOR) for t in value], TENSOR, fresh=True)

    def is_constant(self, name: str) -> bool:
        """Whether attribute ``name`` is declared constant (``Final``, ``__constants__``)."""
        return name in constant_names(type(self.module))

    def call(self, b: Any, site: CallSite) -> Any:
        forward = BoundMethod(self, "forward")
        if any(hooks_of(self.module)):
            return emit_hooked_call(b, self, lambda b, args: forward.call_args(b, args, {}, site.where), site)
        return forward.call(b, site)

    # -- containers (nn/containers.py) ------------------------------------------------------------
    def kind(self) -> Optional[str]:
        """"list", "dict", "parameter_list", "parameter_dict", or None for other modules."""
        return self.module._container_kind

    def items(self, b: Any) -> List[Tuple[str, Any]]:
        """A container's items by name: submodules as ModuleValues (None as a constant),
        parameters as graph inputs."""
        m = self.module
        if self.kind() in ("parameter_list", "parameter_dict"):
            return [(k, b.attr_input(self._path(k), TENSOR)) for k in m.__dict__["_parameters"]]
        mirrors = self.mirror.__dict__["_modules"]
        return [(k, b.constant(None) if sub is None else ModuleValue(sub, mirrors[k], self._path(k)))
                for k, sub in m.__dict__["_modules"].items()]

    def overrides(self, name: str) -> bool:
        """Whether the module's class defines ``name`` (``__len__``, ``__contains__``) itself,
        rather than taking the container's: a script calls the override."""
        for cls in type(self.module).__mro__:
            if name in vars(cls):
                return cls.__module__ not in _CONTAINER_MODULES
        return False

    def iterate(self, b: Any, where: SourceRange) -> "Iterable":
        kind = self.kind()
        if kind is None:
            b.error(f"{self.describe()} cannot be iterated over; only Sequential, ModuleList, ModuleDict, "
                    "ParameterList and ParameterDict can", where)
        items = self.items(b)
        if kind in ("list", "parameter_list"):
            return StaticIter([v for _, v in items])
        return StaticIter([b.constant(k) for k, _ in items])

    def static_len(self) -> Optional[int]:
        m = self.module
        if self.kind() is None:
            return None
        return len(m.__dict__["_parameters"] if self.kind() in ("parameter_list", "parameter_dict")
                   else m.__dict__["_modules"])

    def getitem(self, b: Any, index: ast.expr, where: SourceRange) -> Any:
        kind = self.kind()
        if kind is None:
            b.error(f"{self.describe()} cannot be indexed in script functions; only Sequential, ModuleList, "
                    "ModuleDict, ParameterList and ParameterDict can", where)
        items = self.items(b)
        if kind in ("list", "parameter_list"):
            if isinstance(index, ast.Slice):
                bounds = [None if n is None else b.constant_int(n) for n in (index.lower, index.upper, index.step)]
                if any(n is not None and v is None for n, v in zip((index.lower, index.upper, index.step), bounds)):
                    b.error(f"{self.describe()} can only be sliced with constant int bounds", where)
                if bounds[2] == 0:
                    b.error("slice step cannot be zero", where)
                return StaticTuple([v for _, v in items][slice(*bounds)])
            i = b.constant_int(index)
            if i is None:
                value = b.emit_value(index)
                message = ("Expected integer literal for index but got " + _index_kind(value) + ". "
                           "ModuleList/Sequential indexing is only supported with integer literals. For example, "
                           "'i = 4; self.layers[i](x)' will fail because i is not a literal. Enumeration is "
                           "supported, e.g. 'for index, v in enumerate(self): out = v(inp)'")
                if kind == "list" and isinstance(value.type, IntType) and items:
                    return ModuleChoice(self, value, where, message)
                b.error(message, where)
            if not -len(items) <= i < len(items):
                b.error(f"Index {i} out of range (the {type(self.module).__name__} has {len(items)} items)", where)
            return items[i][1]
        key = index.value if isinstance(index, ast.Constant) else None
        if isinstance(key, str):
            found = dict(items)
            if key not in found:
                b.error(f"Key Error, {key}", where)
            return found[key]
        message = ("Unable to extract string literal index. ModuleDict indexing is only supported with string "
                   "literals. For example, 'i = \"a\", self.layers[i](x)' will fail because i is not a literal.")
        value = b.emit_value(index)
        if kind == "dict" and isinstance(value.type, StrType) and items:
            return ModuleChoice(self, value, where, message)
        b.error(message, where)

    def contains(self, b: Any, key: Any, where: SourceRange) -> Value:
        """``key in self.container``: known when scripting for a string literal key."""
        if self.overrides("__contains__"):
            return BoundMethod(self, "__contains__").call_args(b, [Arg(b.to_value(key, where), where)], {}, where)
        if self.kind() not in ("dict", "parameter_dict"):
            b.error(f"`in` is not supported for {self.describe()}", where)
        if not (isinstance(key, Value) and key.node.kind == "prim::Constant" and isinstance(key.constant, str)):
            b.error("`in` a ModuleDict or ParameterDict takes a string literal key", where)
        return b.constant(key.constant in dict(self.items(b)))


def compare_modules(b: Any, op: ast.cmpop, left: Any, right: Any, where: SourceRange) -> Value:
    """A comparison where an operand is a compile-time value: modules compare by identity
    (``self.items[0] is self.relu``), ``in`` a ModuleDict or ParameterDict tests its keys."""
    if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(left, ModuleValue) and isinstance(right, ModuleValue):
        return b.constant((left.module is right.module) == isinstance(op, ast.Is))
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, ModuleValue):
        found = right.contains(b, left, where)
        return b.op_call("operator", "__not__", [Arg(found, where)], {}, where, "not in") \
            if isinstance(op, ast.NotIn) else found
    return b.compare(op, b.to_value(left, where), b.to_value(right, where), where)


_NN_PACKAGE = nn_module.__name__ + "."
_CONTAINER_MODULES = {"minitorch_jit.nn.containers", "minitorch_jit.runtime.compiled", "minitorch_jit.nn.module"}


def _index_kind(value: Value) -> str:
    """How TorchScript names a non-literal index: an int variable, or the type it has."""
    return "a variable or non-integer" if isinstance(value.type, IntType) else f"type {type_name(value.type)}"


class ModuleChoice(Sugar):
    """``self.layers[i]`` or ``self.table[key]`` with an index known only when the script runs.
    As in TorchScript, only a module interface makes it usable (``m: Iface = self.layers[i]``,
    every module of the container checked to implement it); a call of one of the interface's
    methods runs the chosen module's: the index is looked up in a list (or dict) of the
    positions, which raises for one out of range (or a missing key), then a ``prim::If`` chain
    calls the module at that position."""

    def __init__(self, container: ModuleValue, index: Value, where: SourceRange, unannotated: str,
                 interface: Any = None):
        self.container, self.index, self.where, self.unannotated = container, index, where, unannotated
        self.interface = interface

    def describe(self) -> str:
        return f"an item of {self.container.describe()}"

    def _error(self, b: Any) -> Any:
        return b.error(self.unannotated, self.where)

    def as_value(self, b: Any, where: SourceRange) -> Value:
        return self._error(b)

    def call(self, b: Any, site: CallSite) -> Any:
        return self.attr(b, "forward", site.where).call(b, site)

    def annotated(self, b: Any, interface: Any, where: SourceRange) -> "ModuleChoice":
        """This choice typed by a module interface: each module must have its methods, taking
        what the interface passes and returning what it returns."""
        for key, module in self.container.items(b):
            ok = isinstance(module, ModuleValue)
            for name, (args, ret) in interface.methods.items():
                if not ok:
                    break
                method = b.compiler.method(module.module, module.mirror, name, where) \
                    if _has_method(module.module, name) else None
                params = [] if method is None else method.graph.inputs[:len(method.signature.parameters)]
                ok = method is not None and len(params) == len(args) and \
                    all(a.is_subtype_of(p.type) for a, p in zip(args, params)) and \
                    method.graph.outputs[0].type.is_subtype_of(ret)
            if not ok:
                b.error(f"Attribute {key} is not of annotated type {interface.name}", self.where)
        return ModuleChoice(self.container, self.index, self.where, self.unannotated, interface)

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        if self.interface is None:
            self._error(b)
        if name not in self.interface.methods:
            b.error(f"interface {self.interface.name} has no method '{name}'", where)
        return ChosenMethod(self, name)


def _has_method(module: Module, name: str) -> bool:
    fn = inspect.getattr_static(type(module), name, None)
    return isinstance(getattr(fn, "fn", fn), pytypes.FunctionType) or name in module.__dict__.get("_methods", {})


class ChosenMethod(Sugar):
    """A method of the module a :class:`ModuleChoice` picks when the script runs."""

    def __init__(self, choice: ModuleChoice, name: str):
        self.choice, self.name = choice, name

    def describe(self) -> str:
        return f"method '{self.name}' of {self.choice.describe()}"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        where = site.where
        choice = self.choice
        items = choice.container.items(b)
        if choice.container.kind() == "list":
            positions = b.insert("prim::ListConstruct", [b.constant(k) for k in range(len(items))],
                                 [ListType(INT)]).output
        else:
            keys = [v for pos, (k, _) in enumerate(items) for v in (b.constant(k), b.constant(pos))]
            positions = b.insert("prim::DictConstruct", keys, [DictType(STR, INT)]).output
        position = b.op_call("list" if choice.container.kind() == "list" else "dict", "__getitem__",
                             [Arg(positions, where), Arg(choice.index, where)], {}, where, "module index")
        ret = choice.interface.methods[self.name][1]

        def call_at(k: int) -> Value:
            module = items[k][1]
            method = b.compiler.method(module.module, module.mirror, self.name, where)
            out = module.call_method(b, method, args, kwargs, where)
            return out if out.type == ret else b.insert("prim::unchecked_cast", [out], [ret]).output

        def chain(k: int) -> Value:
            if k == len(items) - 1:
                return call_at(k)
            hit = b.binop("__eq__", position, b.constant(k))
            return b.emit_branches(hit, lambda: call_at(k), lambda: chain(k + 1), {}, {})
        return chain(0)



class ContainerMethod(Sugar):
    """``keys``, ``values``, ``items`` of a ModuleDict or ParameterDict: unrolled by loops."""

    def __init__(self, owner: ModuleValue, name: str):
        self.owner, self.name = owner, name

    def describe(self) -> str:
        return f"method '{self.owner._path(self.name)}'"

    def call(self, b: Any, site: CallSite) -> Any:
        if site.node.args or site.node.keywords:
            b.error(f"{self.name}() takes no arguments", site.where)
        items = self.owner.items(b)
        if self.name == "keys":
            return StaticIter([b.constant(k) for k, _ in items])
        if self.name == "values":
            return StaticIter([v for _, v in items])
        return StaticIter([(b.constant(k), v) for k, v in items])


class BoundMethod(Sugar):
    """``self.helper`` or a submodule's ``forward``: compiled on first call into a ScriptMethod
    of the module; calls pass the method's arguments and the attributes it reads."""

    def __init__(self, owner: ModuleValue, name: str):
        self.owner, self.name = owner, name

    def describe(self) -> str:
        return f"method '{self.owner._path(self.name)}'"

    def call(self, b: Any, site: CallSite) -> Any:
        args, kwargs = site.values()
        return self.call_args(b, args, kwargs, site.where)

    def call_args(self, b: Any, args: List[Arg], kwargs: Dict[str, Arg], where: SourceRange) -> Any:
        fn = getattr(inspect.getattr_static(type(self.owner.module), self.name, None), "fn", None) or \
            inspect.getattr_static(type(self.owner.module), self.name, None)
        overload = choose(b, fn, args, kwargs, where, self.owner._path(self.name), skip_self=True) \
            if fn is not None and declarations(fn) else None
        method = b.compiler.method(self.owner.module, self.owner.mirror, self.name, where, overload)
        return self.owner.call_method(b, method, args, kwargs, where)


def _class_annotation(cls: type, name: str) -> Any:
    """The typing object a class annotates attribute ``name`` with (None when there is none,
    or only as a string that would need evaluating)."""
    for klass in cls.__mro__:
        hint = klass.__dict__.get("__annotations__", {}).get(name)
        if hint is not None:
            return None if isinstance(hint, str) else hint
    return None


def _holds_modules(value: Any) -> bool:
    """A plain list or tuple of modules, which TorchScript cannot type (an nn.ModuleList can)."""
    return isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value)


def module_constant(b: Any, value: Any, where: SourceRange, what: str) -> Any:
    """A plain module attribute: ints, floats, bools, strings, None and tuples of them are
    baked into the graph."""
    if isinstance(value, Tensor):
        b.error(f"{what} is a Tensor that is neither a parameter nor a buffer", where,
                fix="register it with self.register_buffer(name, tensor)")
    if _holds_modules(value):
        b.error("Could not infer type of list element: Cannot infer concrete type of torch.nn.Module", where,
                fix="hold the modules in an nn.ModuleList")
    ok, _ = python_type(value)
    if ok:
        return b.python_constant(value)
    if user_objects is not None and isinstance(value, enum.Enum):
        return user_objects(b, value, where, what)
    b.error(f"{what} has type {type(value).__name__}, which script functions cannot use", where)


# -- iterables -------------------------------------------------------------------------------------


class Iterable(Sugar):
    """What a ``for`` loop can iterate: either static items (the loop is unrolled) or a trip
    count and the item of each iteration."""

    def describe(self) -> str:
        return "an iterator"

    def items(self) -> Optional[List[Any]]:
        return None

    def length(self, b: Any) -> Value:
        raise NotImplementedError

    def item(self, b: Any, i: Value) -> Any:
        raise NotImplementedError

    def as_value(self, b: Any, where: SourceRange) -> Value:
        b.error("range(), enumerate() and zip() can only be iterated over by a for loop or a list comprehension",
                where, fix="write `list(range(n))` as a list comprehension: `[i for i in range(n)]`")


class StaticIter(Iterable):
    """A tuple, or the modules of a Sequential/ModuleList: unrolled."""

    def __init__(self, items: Sequence[Any]):
        self._items = list(items)

    def items(self) -> Optional[List[Any]]:
        return self._items

    def static_len(self) -> Optional[int]:
        return len(self._items)


class StaticTuple(StaticIter):
    """A tuple literal holding modules or functions: usable only where it can be unrolled."""

    def describe(self) -> str:
        return "a tuple of modules or functions"

    def getitem(self, b: Any, index: ast.expr, where: SourceRange) -> Any:
        i = b.constant_int(index)
        if i is None or not -len(self._items) <= i < len(self._items):
            b.error("a tuple of modules or functions can only be indexed by a constant int in range", where)
        return self._items[i]

    def iterate(self, b: Any, where: SourceRange) -> Iterable:
        return self

    def as_value(self, b: Any, where: SourceRange) -> Value:
        return b.error(f"{self.describe()} cannot be used as a value in script functions (it can be iterated over, "
                "indexed by a constant int and measured with len())", where)


class RangeIter(Iterable):
    def __init__(self, args: List[Value]):
        self.args = args

    def describe(self) -> str:
        return "range()"

    def length(self, b: Any) -> Value:
        if len(self.args) == 1:
            return self.args[0]
        start, end = self.args[0], self.args[1]
        step = self.args[2] if len(self.args) == 3 else b.constant(1)
        return b.structural("aten::__range_length", [start, end, step])

    def item(self, b: Any, i: Value) -> Any:
        if len(self.args) == 1:
            return i
        step = self.args[2] if len(self.args) == 3 else b.constant(1)
        return b.structural("aten::__derive_index", [i, self.args[0], step])


class ValueIter(Iterable):
    """A list (its elements) or a tensor (its slices along dim 0)."""

    def __init__(self, value: Value, where: SourceRange):
        self.value, self.where = value, where

    def length(self, b: Any) -> Value:
        return b.op_call("builtins", "len", [Arg(self.value, self.where)], {}, self.where, "len")

    def item(self, b: Any, i: Value) -> Any:
        if isinstance(self.value.type, TensorType):
            return b.op_call("Tensor", "select", [Arg(self.value, self.where), Arg(b.constant(0), self.where),
                                                  Arg(i, self.where)], {}, self.where, "select")
        return b.op_call("list", "__getitem__", [Arg(self.value, self.where), Arg(i, self.where)], {}, self.where,
                         "list index")


class EnumerateIter(Iterable):
    def __init__(self, inner: Iterable, start: Optional[Value]):
        self.inner, self.start = inner, start

    def items(self) -> Optional[List[Any]]:
        inner = self.inner.items()
        if inner is None:
            return None
        if self.start is not None and self.start.node.kind != "prim::Constant":
            return None
        first = 0 if self.start is None else self.start.constant
        return [(first + k, x) for k, x in enumerate(inner)]  # Python ints become constants when bound

    def length(self, b: Any) -> Value:
        return self.inner.length(b)

    def item(self, b: Any, i: Value) -> Any:
        index = i if self.start is None else b.binop("__add__", i, self.start)
        return (index, self.inner.item(b, i))


class ZipIter(Iterable):
    def __init__(self, inners: List[Iterable], where: SourceRange):
        self.inners, self.where = inners, where

    def items(self) -> Optional[List[Any]]:
        all_items = [it.items() for it in self.inners]
        if any(x is None for x in all_items):
            return None
        return [tuple(xs) for xs in zip(*all_items)]  # type: ignore[call-overload]

    def length(self, b: Any) -> Value:
        n = self.inners[0].length(b)
        for it in self.inners[1:]:
            n = b.op_call("builtins", "min", [Arg(n, self.where), Arg(it.length(b), self.where)], {}, self.where,
                          "min")
        return n

    def item(self, b: Any, i: Value) -> Any:
        return tuple(it.item(b, i) for it in self.inners)


# -- Python objects ---------------------------------------------------------------------------------


# What classes, enums and NamedTuples from the function's scope mean (set by .classes, which
# builds on this module): ``user_objects(b, obj, where, name)``, None for other objects.
user_objects: Optional[Callable[[Any, Any, SourceRange, str], Any]] = None


def python_value(b: Any, obj: Any, where: SourceRange, name: str) -> Any:
    """What a Python object from the function's scope (a global, a closure cell, a module
    attribute) means in the script."""
    if _is_module(obj, _ROOT):
        return Namespace("torch", obj, name)
    if obj is functional:
        return Namespace("functional", obj, name)
    if obj is math:
        return Namespace("math", obj, name)
    if obj is nn_module or obj is warnings:
        return Namespace(None, obj, name)
    if obj is warnings.warn:
        return Warn()
    if obj is _check:
        return TorchCheck()
    if _is_module(obj, f"{_ROOT}.jit"):
        return JitNamespace(obj)
    if obj is devices.device:
        return DeviceClass()
    if obj is Size:  # TorchScript's torch.Size is a List[int]: Size([2, 2]) is list([2, 2])
        return Builtin("list")
    if obj is ops:  # torch.ops: its attributes are the op namespaces
        return Namespace(None, obj, name)
    if isinstance(obj, OpNamespace):  # torch.ops.aten
        return Namespace(obj.name, obj, name)
    if isinstance(obj, OpOverloadPacket):  # torch.ops.aten.add, however it was named
        return OpName(obj.namespace, obj.name, name)
    meaning = jit_function(obj)
    if meaning is not None:
        return meaning
    generated = _generated_op_functions().get(id(obj))
    if generated is not None:
        return OpName(generated[0], generated[1], name)
    if isinstance(obj, DType):
        return b.constant(obj.name, SCALARTYPE)
    if isinstance(obj, LegacyTensorType):
        return LegacyConstructor(obj)
    if isinstance(obj, type) and modifier(obj) == IGNORE:
        return IgnoredClass(obj)
    if obj is collections.OrderedDict:  # TorchScript's dicts keep insertion order: an OrderedDict is a dict
        return Builtin("dict")
    if user_objects is not None:
        meaning = user_objects(b, obj, where, name)
        if meaning is not None:
            return meaning
    if isinstance(obj, ScriptFunction):
        return Callee(obj, name)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        if obj.__name__ not in EXCEPTIONS or EXCEPTIONS[obj.__name__] is not obj:
            b.error(f"raising {obj.__name__} is not supported in script functions", where,
                    fix="raise a built-in exception: " + ", ".join(EXCEPTIONS))
        return ExceptionClass(obj)
    if obj is builtins.isinstance:
        return IsInstance("isinstance")
    if id(obj) in _BUILTINS and _BUILTINS[id(obj)] == getattr(obj, "__name__", None):
        return Builtin(obj.__name__)
    if isinstance(obj, pytypes.FunctionType) and obj in NTUPLES:
        return NTuple(obj.__name__, NTUPLES[obj])
    if isinstance(obj, (pytypes.FunctionType, pytypes.MethodType)):
        from .python_calls import ignored  # it builds on this module's Sugar
        call = ignored(obj, name)
        if call is not None:
            return call
    if isinstance(obj, (pytypes.FunctionType, Definition)):
        return Callee(obj, name)
    if isinstance(obj, pytypes.ModuleType):
        if obj.__name__.split(".")[0] in _OPAQUE_MODULES:
            b.error(f"module '{obj.__name__}' cannot be used in script functions", where)
        return Namespace(None, obj, name)  # its attributes mean what they are in Python
    if isinstance(obj, Tensor):
        b.error(f"'{name}' is a Tensor from outside the function; script functions cannot capture tensors",
                where, fix="pass it as an argument (or make it a parameter or buffer of the module)")
    if isinstance(obj, ScriptModule):
        b.error(f"Cannot call a ScriptModule that is not a submodule of the caller: '{name}' is a module from "
                "outside the function", where, fix="make it a submodule and script the parent module")
    if isinstance(obj, Module):
        # (PyTorch's words for a compiled one)
        what = "Cannot call a ScriptModule that is not a submodule of the caller: " if isinstance(obj, ScriptModule) \
            else ""
        b.error(f"{what}'{name}' is a module from outside the function; script functions cannot capture modules",
                where, fix="make it a submodule and script the parent module")
    if isinstance(obj, np.generic):
        obj = obj.item()
    ok, _ = python_type(obj)
    if ok:
        return b.python_constant(obj)
    return PythonObject(obj, name)


class PythonObject(Namespace):
    """Another Python object: not a value of the script, but its attributes are looked up in
    Python when the script is compiled (``helpers.Point(1, 2)``), as TorchScript does."""

    def __init__(self, obj: Any, display: str):
        super().__init__(None, obj, display)

    def describe(self) -> str:
        return f"python value of type '{type(self.module).__name__}'"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        try:
            value = getattr(self.module, name)
        except AttributeError:
            b.error(f"{self.describe()} has no attribute '{name}'", where)
        return python_value(b, value, where, f"{self.display}.{name}")

    def as_value(self, b: Any, where: SourceRange) -> Value:
        return b.error(f"python value of type '{type(self.module).__name__}' cannot be used as a value: "
                       f"'{self.display}' is not a value script functions have", where)


# Modules whose functions are compiled code (not Python source a script could compile)
_OPAQUE_MODULES = ("numpy", "builtins", "sys", "os")


# The package whose namespace is ``torch`` (and ``torch.jit``) in scripts. It imports the
# scripter, so it is known by name here rather than imported.
_ROOT = __name__.split(".")[0]


def _is_module(obj: Any, name: str) -> bool:
    return isinstance(obj, pytypes.ModuleType) and obj.__name__ == name


_GENERATED: Dict[int, Tuple[str, str]] = {}


def _generated_op_functions() -> Dict[int, Tuple[str, str]]:
    """``torch.add`` and ``F.relu`` are Python wrappers around registry ops (``ops.function``
    makes one per name; F's activations are wrapped again for ``inplace=``); imported by name
    (``from minitorch_jit import tanh``) they still mean the op."""
    if not _GENERATED:
        for n in registry.python_names("torch"):
            _GENERATED[id(ops.function("torch", n))] = ("torch", n)
        for n in registry.python_names("functional"):
            _GENERATED[id(getattr(functional, n))] = ("functional", n)
    return _GENERATED

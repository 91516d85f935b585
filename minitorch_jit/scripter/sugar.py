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
import inspect
import math
import types as pytypes
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir import Value, registry
from minitorch_jit.ir.types import BOOL, SCALARTYPE, TENSOR, IntType, StrType, TensorType, TupleType

from .. import nn as nn_module
from .. import ops
from ..dtypes import dtype as DType
from ..nn import functional
from ..nn.module import Module
from ..runtime.compiled import ScriptFunction
from ..tensor import Tensor
from ..tracer.recorder import is_tracing
from .calls import Arg
from .constants import constant_names, constant_value
from .errors import SourceRange
from .hooks import emit_hooked_call, hooks_of
from .jit_functions import annotate, is_scripting
from .types import python_type, type_name

EXCEPTIONS = {c.__name__: c for c in (Exception, ValueError, RuntimeError, AssertionError, TypeError, IndexError,
                                      KeyError, NotImplementedError, ZeroDivisionError)}


class CallSite:
    """The arguments of one call, emitted on demand (left to right, keywords last)."""

    def __init__(self, b: Any, node: ast.Call, where: SourceRange):
        self.b = b
        self.node = node
        self.where = where
        for a in node.args:
            if isinstance(a, ast.Starred):
                b.unsupported(a, "`*args` in calls is not supported in script functions",
                              fix="pass the arguments one by one")
        for k in node.keywords:
            if k.arg is None:
                b.unsupported(k, "`**kwargs` in calls is not supported in script functions",
                              fix="pass the keyword arguments by name")

    def values(self) -> Tuple[List[Arg], Dict[str, Arg]]:
        b = self.b
        args = [b.arg(a) for a in self.node.args]
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
        return b.typed_value(site.node.args[1], t)


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


class Builtin(Sugar):
    """A Python builtin: ``range``/``enumerate``/``zip`` make iterables, ``isinstance`` and
    ``len`` of tuples are answered statically, the others are registry ops (``builtins.len``)."""

    def __init__(self, name: str):
        self.name = name

    def describe(self) -> str:
        return f"builtin {self.name}()"

    def call(self, b: Any, site: CallSite) -> Any:
        special = getattr(self, f"call_{self.name}", None)
        if special is not None:
            return special(b, site)
        if not registry.python_overloads("builtins", self.name):
            b.error(f"Python builtin {self.name}() is not supported in script functions", site.where)
        args, kwargs = site.values()
        return b.op_call("builtins", self.name, args, kwargs, site.where, self.name)

    def call_range(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("range()")
        args, _ = site.values()
        if not 1 <= len(args) <= 3:
            b.error(f"range expected 1 to 3 arguments, got {len(args)}", site.where)
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

    def call_isinstance(self, b: Any, site: CallSite) -> Any:
        return b.cond_value(b.isinstance_cond(site.node))

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
        return b.op_call("builtins", "len", [Arg(x, b.range(site.node.args[0]))], {}, site.where, "len")

    def call_list(self, b: Any, site: CallSite) -> Any:
        site.no_keywords("list()")
        if len(site.node.args) != 1:
            b.error("list() of nothing is ambiguous in script functions", site.where,
                    fix="write `torch.jit.annotate(List[int], [])` or `x: List[int] = []`")
        x = b.emit_expr(site.node.args[0])
        if isinstance(x, Value) and isinstance(x.type, TupleType):
            elem = b.common_type(x.type.elems, site.where, "list()")
            return b.make_list(b.tuple_items(x), elem, fresh=True)
        args = [Arg(b.to_value(x, site.where), site.where)]
        return b.op_call("builtins", "list", args, {}, site.where, "list")

    def call_print(self, b: Any, site: CallSite) -> Any:
        for k in site.node.keywords:
            b.error(f"print() keyword argument '{k.arg}' is not supported in script functions", b.range(k))
        args, _ = site.values()
        return b.op_call("builtins", "print", args, {}, site.where, "print")


def _builtin_names() -> Dict[int, str]:
    return {id(getattr(builtins, n)): n for n in dir(builtins) if not n.startswith("_")}


_BUILTINS = _builtin_names()


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


# -- script callees --------------------------------------------------------------------------------


class Callee(Sugar):
    """A script function (or a Python function, compiled when first called)."""

    def __init__(self, fn: Any, display: str):
        self.fn, self.display = fn, display

    def describe(self) -> str:
        return f"function '{self.display}'"

    def call(self, b: Any, site: CallSite) -> Any:
        compiled = b.compiler.function(self.fn, site.where)
        args, kwargs = site.values()
        return b.call_function(compiled, args, kwargs, [], site.where, self.display)


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
            return b.attr_input(self._path("training"), BOOL)
        for table in ("_parameters", "_buffers"):
            if name in m.__dict__[table]:
                t = m.__dict__[table][name]
                return b.constant(None) if t is None else b.attr_input(self._path(name), TENSOR)
        if name in m.__dict__["_modules"]:
            sub = m.__dict__["_modules"][name]
            if sub is None:
                return b.constant(None)
            return ModuleValue(sub, self.mirror.__dict__["_modules"][name], self._path(name))
        own = self._own_tensors(b, name)
        if own is not None:
            return own
        if self.is_constant(name):
            return b.python_constant(constant_value(m, name, where))
        if name in m.__dict__:
            return module_constant(b, m.__dict__[name], where, f"{self.describe()}.{name}")
        if name in ("keys", "values", "items") and self.kind() in ("dict", "parameter_dict") and \
                not self.overrides(name):
            return ContainerMethod(self, name)
        method = inspect.getattr_static(type(m), name, None)
        if isinstance(getattr(method, "fn", method), pytypes.FunctionType) or name in m.__dict__.get("_methods", {}):
            return BoundMethod(self, name)
        b.error(f"module '{type(m).__name__}' has no attribute '{name}'", where)

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
            i = b.constant_int(index)
            if i is None:
                what = _index_kind(b, index)
                b.error("Expected integer literal for index but got " + what + ". ModuleList/Sequential indexing is "
                        "only supported with integer literals. For example, 'i = 4; self.layers[i](x)' will fail "
                        "because i is not a literal. Enumeration is supported, e.g. 'for index, v in "
                        "enumerate(self): out = v(inp)'", where)
            if not -len(items) <= i < len(items):
                b.error(f"Index {i} out of range (the {type(self.module).__name__} has {len(items)} items)", where)
            return items[i][1]
        key = index.value if isinstance(index, ast.Constant) else None
        if isinstance(key, str):
            found = dict(items)
            if key not in found:
                b.error(f"Key Error, {key}", where)
            return found[key]
        b.error("Unable to extract string literal index. ModuleDict indexing is only supported with string "
                "literals. For example, 'i = \"a\", self.layers[i](x)' will fail because i is not a literal.", where)

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


def _index_kind(b: Any, index: ast.expr) -> str:
    """How TorchScript names a non-literal index: an int variable, or the type it has."""
    value = b.emit_value(index)
    return "a variable or non-integer" if isinstance(value.type, IntType) else f"type {type_name(value.type)}"


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
        method = b.compiler.method(self.owner.module, self.owner.mirror, self.name, where)
        attrs = [b.attr_input(self.owner._path(p), v.type)
                 for p, v in zip(method.attr_paths, method.graph.inputs[len(method.signature.parameters):])]
        return b.call_function(method, args, kwargs, attrs, where, self.owner._path(self.name))


def module_constant(b: Any, value: Any, where: SourceRange, what: str) -> Any:
    """A plain module attribute: ints, floats, bools, strings, None and tuples of them are
    baked into the graph."""
    if isinstance(value, Tensor):
        b.error(f"{what} is a Tensor that is neither a parameter nor a buffer", where,
                fix="register it with self.register_buffer(name, tensor)")
    if isinstance(value, (list, tuple)) and any(isinstance(v, Module) for v in value):
        b.error("Could not infer type of list element: Cannot infer concrete type of torch.nn.Module", where,
                fix="hold the modules in an nn.ModuleList")
    ok, _ = python_type(value)
    if ok:
        return b.python_constant(value)
    if isinstance(value, list):
        b.error(f"{what} is a list: list attributes are not supported (a compiled copy would not see changes)",
                where, fix="use a tuple for a constant sequence")
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


def python_value(b: Any, obj: Any, where: SourceRange, name: str) -> Any:
    """What a Python object from the function's scope (a global, a closure cell, a module
    attribute) means in the script."""
    if _is_module(obj, _ROOT):
        return Namespace("torch", obj, name)
    if obj is functional:
        return Namespace("functional", obj, name)
    if obj is math:
        return Namespace("math", obj, name)
    if obj is nn_module:
        return Namespace(None, obj, name)
    if _is_module(obj, f"{_ROOT}.jit"):
        return JitNamespace(obj)
    meaning = jit_function(obj)
    if meaning is not None:
        return meaning
    generated = _generated_op_functions().get(id(obj))
    if generated is not None:
        return OpName(generated[0], generated[1], name)
    if isinstance(obj, DType):
        return b.constant(obj.name, SCALARTYPE)
    if isinstance(obj, ScriptFunction):
        return Callee(obj, name)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        if obj.__name__ not in EXCEPTIONS or EXCEPTIONS[obj.__name__] is not obj:
            b.error(f"raising {obj.__name__} is not supported in script functions", where,
                    fix="raise a built-in exception: " + ", ".join(EXCEPTIONS))
        return ExceptionClass(obj)
    if id(obj) in _BUILTINS and _BUILTINS[id(obj)] == getattr(obj, "__name__", None):
        return Builtin(obj.__name__)
    if isinstance(obj, pytypes.FunctionType):
        return Callee(obj, name)
    if isinstance(obj, pytypes.ModuleType):
        b.error(f"module '{obj.__name__}' cannot be used in script functions", where)
    if isinstance(obj, Tensor):
        b.error(f"'{name}' is a Tensor from outside the function; script functions cannot capture tensors",
                where, fix="pass it as an argument (or make it a parameter or buffer of the module)")
    if isinstance(obj, Module):
        b.error(f"'{name}' is a module from outside the function; script functions cannot capture modules", where,
                fix="make it a submodule and script the parent module")
    if isinstance(obj, np.generic):
        obj = obj.item()
    ok, _ = python_type(obj)
    if ok:
        return b.python_constant(obj)
    b.error(f"'{name}' has type {type(obj).__name__}, which script functions cannot use", where)


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

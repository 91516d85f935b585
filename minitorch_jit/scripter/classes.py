"""User-defined classes in scripts, as TorchScript has them.

A Python class is compiled when ``torch.jit.script(Cls)`` is called or when a script first
uses it (constructs it, or names it in an annotation): ``__init__`` first, whose top-level
assignments ``self.x = ...`` declare the fields (typed by the value, or by an annotation
``self.x: List[int] = []``), then every other method, each a graph taking the object first.
The type is printed ``__torch__.<module>.<Name>`` (see :mod:`minitorch_jit.ir.class_types`).

In a script, ``Cls(...)`` is ``prim::CreateObject`` followed by a call of ``__init__``;
``obj.x`` and ``obj.x = v`` are ``prim::GetAttr``/``prim::SetAttr``; ``obj.m(...)`` calls the
method's graph (``prim::CallFunction``, which inlines); ``@property`` getters and setters
are called for reads and writes; static methods are called on the class, class methods on
an instance. Python's operator protocol reaches the magic methods TorchScript supports:
``+ - * / // % ** & | ^ << >>``, comparisons, unary ``-``/``~``, ``len``, ``in``,
``x[i]``, ``x[i] = v``, ``del x[i]``, ``x(...)``, ``int()``/``float()``/``bool()``/``str()``,
truth in conditions, and ``with`` (``__enter__``/``__exit__``).

Classes that inherit from another class, recursive field types and assignments to fields
not declared in ``__init__`` are errors worded as TorchScript words them.
"""
from __future__ import annotations

import ast
import enum
import inspect
import types as pytypes
import typing
from typing import Any, Dict, List, Optional, Sequence, Tuple

from minitorch_jit.ir import Value
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType, qualified_name
from minitorch_jit.ir.types import FLOAT, INT, NONE, STR, TENSOR, BoolType, ListType, OptionalType, Type

from ..nn.module import Module
from ..runtime.compiled import ScriptFunction
from ..tensor import Tensor
from . import sugar
from .calls import Arg
from .errors import ScriptError, SourceRange
from .modifiers import UNUSED, modifier
from .source import FunctionSource
from .types import erase, type_name

# The builtins that call an object's magic method
CONVERSIONS = {"int": "__int__", "float": "__float__", "bool": "__bool__", "str": "__str__", "len": "__len__"}
_METHOD_DECORATORS = (staticmethod, classmethod, property)

_class_types: Dict[Any, ClassType] = {}
_compiling_init: Dict[ClassType, Value] = {}  # the class whose __init__ is being compiled: its self


def interface(cls: type) -> type:
    """``@torch.jit.interface``: the class lists methods (with their types) that values of
    the interface have; any compiled class with those methods is one."""
    cls.__torchscript_interface__ = True  # type: ignore[attr-defined]
    return cls


def is_user_class(obj: Any) -> bool:
    """A Python class a script may compile (not a builtin, a module or an exception)."""
    return isinstance(obj, type) and obj.__module__ not in ("builtins", "typing") and not issubclass(
        obj, (BaseException, Module, enum.Enum, tuple)) and not obj.__module__.startswith("minitorch_jit") and \
        bool(obj.__flags__ & _HEAPTYPE)


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement (not one written in C, as io.BytesIO)


def _own_methods(cls: type) -> Dict[str, Any]:
    return {k: v for k, v in vars(cls).items() if isinstance(v, (pytypes.FunctionType,) + _METHOD_DECORATORS)}


# -- compiling a class --------------------------------------------------------------------------------


def class_type(compiler: Any, cls: type, where: Optional[SourceRange] = None) -> ClassType:
    """The type of ``cls``, compiling the class the first time."""
    t = _class_types.get(cls)
    if t is not None:
        return t
    bases = [b for b in cls.__bases__ if b is not object]
    if bases:
        raise ScriptError(f"class {cls.__name__} inherits from {bases[0].__name__}: TorchScript does not support "
                          "inheritance", where, fix="copy the methods it needs into the class")
    if "__init__" not in vars(cls):
        raise ScriptError(f"class {cls.__name__} has no __init__ method: TorchScript classes must define one",
                          where)
    t = _class_types[cls] = ClassType(qualified_name(cls), cls)
    try:
        method(compiler, t, "__init__", where)
        for name, fn in _own_methods(cls).items():
            if isinstance(fn, property):
                _property(compiler, t, name, where)
            elif name not in t.methods and not _unused(fn):
                method(compiler, t, name, where)
    except BaseException:
        del _class_types[cls]
        raise
    return t


def _unused(fn: Any) -> bool:
    return modifier(getattr(fn, "__func__", fn)) == UNUSED


def _property(compiler: Any, t: ClassType, name: str, where: Optional[SourceRange]) -> None:
    cls = t.py_class
    unused = getattr(cls, "__jit_unused_properties__", ())
    prop = vars(cls)[name]
    if name in unused or _unused(prop.fget):
        return
    getter = _compile(compiler, t, name, prop.fget, where, f"{name} (property)")
    setter = _compile(compiler, t, name, prop.fset, where, f"{name} (setter)") if prop.fset is not None else None
    t.properties[name] = (getter, setter)


def method(compiler: Any, t: ClassType, name: str, where: Optional[SourceRange]) -> ScriptFunction:
    """The compiled method ``name`` of class ``t`` (compiled on first use)."""
    found = t.methods.get(name)
    if found is not None:
        return found  # type: ignore[no-any-return]
    raw = inspect.getattr_static(t.py_class, name)
    fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    compiled = _compile(compiler, t, name, fn, where, name, static=isinstance(raw, staticmethod),
                        cls_method=isinstance(raw, classmethod))
    t.methods[name] = compiled
    return compiled


def _compile(compiler: Any, t: ClassType, name: str, fn: Any, where: Optional[SourceRange], display: str,
             static: bool = False, cls_method: bool = False) -> ScriptFunction:
    from .statements import FunctionBuilder
    qualified = f"{t.py_class.__name__}.{display}"
    with compiler._compiling((t.name, display), qualified, where):
        self_value = ClassValue(t.py_class, t) if cls_method else None
        source = MethodSource.of(fn)
        assert isinstance(source, MethodSource)
        source.owner = t.py_class
        builder = _method_builder(FunctionBuilder)(source, compiler, self_value)
        builder.class_type = t
        builder.static = static or cls_method
        builder.is_init = name == "__init__"
        graph, signature = builder.build()
    return ScriptFunction(graph, signature, name, qualified)


class MethodSource(FunctionSource):
    """A method's source: the class's own name means the class, even while the class
    statement that defines it is still running (``@torch.jit.script`` on the class)."""
    owner: Any = None

    def python_value(self, name: str) -> Tuple[bool, Any]:
        found, obj = super().python_value(name)
        if not found and self.owner is not None and name == self.owner.__name__:
            return True, self.owner
        return found, obj


_builders: Dict[type, type] = {}


def _method_builder(base: type) -> type:
    """The function builder for methods: ``self`` is an input of the class's type; the
    decorators of methods are allowed; ``__init__`` declares fields."""
    if base in _builders:
        return _builders[base]

    class MethodBuilder(base):  # type: ignore[misc, valid-type]
        class_type: ClassType
        static = False
        is_init = False

        def _check_decorators(self, tree: ast.FunctionDef) -> None:
            kept = [d for d in tree.decorator_list if not _method_decorator(d)]
            saved, tree.decorator_list = tree.decorator_list, kept
            try:
                super()._check_decorators(tree)
            finally:
                tree.decorator_list = saved

        def _parameter_type(self, a: ast.arg, default: Any) -> Type:
            if not self.static and self.graph.inputs == [] and self.self_value is None:
                return self.class_type
            if isinstance(default, (list, dict)):
                self.error("Mutable default parameters are not supported because Python binds them to the "
                           "function and they persist across function calls", self.range(a),
                           fix="default to None and create the value in the function")
            return super()._parameter_type(a, default)  # type: ignore[no-any-return]

    _builders[base] = MethodBuilder
    return MethodBuilder


def _method_decorator(d: ast.expr) -> bool:
    if isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod", "property"):
        return True
    return isinstance(d, ast.Attribute) and d.attr in ("setter", "getter", "deleter")


def init_self(b: Any) -> Optional[Value]:
    """The object an ``__init__`` being built declares fields on (None elsewhere)."""
    if getattr(b, "is_init", False) and b.graph.inputs:
        return b.graph.inputs[0]  # type: ignore[no-any-return]
    return None


# -- objects in expressions -----------------------------------------------------------------------------


def get_attr(b: Any, obj: Value, name: str, where: SourceRange) -> Any:
    """``obj.name`` for an object of a class: a field, a property, or a bound method."""
    t = obj.type
    assert isinstance(t, ClassType)
    if name in t.fields:
        return b.insert("prim::GetAttr", [obj], [t.fields[name]], {"name": name}).output
    cls = t.py_class
    raw = inspect.getattr_static(cls, name, None) if cls is not None else None
    if isinstance(raw, property) and name not in getattr(cls, "__jit_unused_properties__", ()) and \
            not _unused(raw.fget):
        if name not in t.properties:
            _property(b.compiler, t, name, where)
        getter = t.properties[name][0]
        return b.call_function(getter, [Arg(obj, where)], {}, [], where, f"{cls.__name__}.{name}")
    if name in t.methods or isinstance(raw, (pytypes.FunctionType, staticmethod, classmethod)):
        return BoundMethod(obj, name)
    if cls is not None and hasattr(cls, name):
        b.error(f"'{t.name}' object has no attribute or method '{name}'. '{name}' is defined as a class "
                "attribute, which TorchScript does not support", where,
                fix=f"assign it in __init__: `self.{name} = ...`")
    b.error(f"'{t.name}' object has no attribute or method '{name}'", where,
            fix="fields are declared by assigning them in __init__")


def set_attr(b: Any, obj: Value, name: str, value: Value, where: SourceRange, annotated: Optional[Type] = None) -> None:
    """``obj.name = value``: a field (declared here when this is its ``__init__``), or a
    property's setter."""
    t = obj.type
    assert isinstance(t, ClassType)
    cls = t.py_class
    raw = inspect.getattr_static(cls, name, None) if cls is not None else None
    if isinstance(raw, property) and name not in t.fields:
        if name not in t.properties:
            _property(b.compiler, t, name, where)
        setter = t.properties.get(name, (None, None))[1]
        if setter is None:
            b.error(f"property '{name}' of {t.name} has no setter", where)
        b.call_function(setter, [Arg(obj, where), Arg(value, where)], {}, [], where, f"{cls.__name__}.{name}")
        return
    if name not in t.fields:
        if obj is not init_self(b):
            b.error(f"Tried to set nonexistent attribute: {name}. Did you forget to initialize it in __init__()?",
                    where)
        if b.frame.block is not b.graph.block:
            b.error(f"the first assignment of attribute '{name}' in __init__ cannot be in a control-flow block: "
                    "assignment cannot be in a control-flow block", where,
                    fix=f"assign `self.{name}` before the `if` or loop")
        ft = annotated if annotated is not None else erase(value.type)
        if _mentions(ft, t):
            b.error(f"field '{name}' of {t.name} has type {type_name(ft)}: recursive class types are not "
                    "supported", where)
        t.fields[name] = ft
    ft = t.fields[name]
    if not value.type.is_subtype_of(ft):
        b.error(f"Wrong type for attribute assignment. Expected {type_name(ft)} but got {type_name(value.type)}",
                where)
    b.insert("prim::SetAttr", [obj, value], [], {"name": name})


def _mentions(t: Type, c: ClassType) -> bool:
    if t == c:
        return True
    return any(_mentions(e, c) for e in getattr(t, "elems", ()) + ((t.elem,) if hasattr(t, "elem") else ()))


class BoundMethod(sugar.Sugar):
    """``obj.method``: compiled when first called; the object is its first argument."""

    def __init__(self, obj: Value, name: str):
        self.obj, self.name = obj, name

    def describe(self) -> str:
        return f"method '{self.name}' of {self.obj.type}"

    def call(self, b: Any, site: sugar.CallSite) -> Any:
        t = self.obj.type
        args, kwargs = site.values()
        if isinstance(t, InterfaceType):
            return call_interface(b, self.obj, self.name, args, kwargs, site.where)
        assert isinstance(t, ClassType)
        fn = method(b.compiler, t, self.name, site.where)
        raw = inspect.getattr_static(t.py_class, self.name)
        first = [] if isinstance(raw, (staticmethod, classmethod)) else [Arg(self.obj, site.where)]
        return b.call_function(fn, first + args, kwargs, [], site.where, f"{t.py_class.__name__}.{self.name}")


def call_magic(b: Any, obj: Value, name: str, args: Sequence[Value],
               where: Optional[SourceRange]) -> Optional[Value]:
    """``obj.<name>(*args)`` when the object's class defines it (None when it does not)."""
    t = obj.type
    at = where or b.where
    if isinstance(t, InterfaceType):
        if name not in t.methods:
            return None
        return call_interface(b, obj, name, [Arg(a, at) for a in args], {}, at)
    if not isinstance(t, ClassType) or t.py_class is None or not callable(getattr(t.py_class, name, None)) or \
            name not in vars(t.py_class):
        return None
    fn = method(b.compiler, t, name, where)
    return b.call_function(fn, [Arg(obj, at)] + [Arg(a, at) for a in args], {}, [], at,  # type: ignore[no-any-return]
                           f"{t.py_class.__name__}.{name}")


def magic(b: Any, obj: Value, name: str, args: Sequence[Value], where: Optional[SourceRange], what: str) -> Value:
    """Like :func:`call_magic`, an error naming ``what`` when the class lacks the method."""
    r = call_magic(b, obj, name, args, where)
    if r is None:
        b.error(f"'{obj.type}' object has no attribute or method '{name}' ({what})", where,
                fix=f"define {name} in the class")
    assert r is not None
    return r


def truth(b: Any, obj: Value, where: SourceRange) -> Value:
    """``if obj:``: its ``__bool__``, which must give a bool."""
    r = magic(b, obj, "__bool__", [], where, "its truth value")
    if not isinstance(r.type, BoolType):
        b.error(f"expected a bool expression for condition but found {type_name(r.type)} (from "
                f"{obj.type}.__bool__)", where)
    return r


def call_interface(b: Any, obj: Value, name: str, args: List[Arg], kwargs: Dict[str, Arg],
                   where: SourceRange) -> Value:
    t = obj.type
    assert isinstance(t, InterfaceType)
    if name not in t.methods:
        b.error(f"interface {t.name} has no method '{name}'", where)
    if kwargs:
        b.error("methods of an interface take positional arguments only", where)
    params, ret = t.methods[name]
    if len(args) != len(params):
        b.error(f"{name}() of interface {t.name} takes {len(params)} arguments, {len(args)} given", where)
    for a, p in zip(args, params):
        if not a.value.type.is_subtype_of(p):
            b.error(f"{name}() of interface {t.name} expected a value of type {type_name(p)}, got "
                    f"{type_name(a.value.type)}", a.where)
    node = b.insert("prim::CallMethod", [obj] + [a.value for a in args], [ret], {"name": name})
    return node.output


# -- classes as values in scripts ----------------------------------------------------------------------


class ClassValue(sugar.Sugar):
    """A class named in a script: called, it constructs an object; its static methods are
    attributes."""

    def __init__(self, cls: type, t: Optional[ClassType] = None):
        self.cls, self.t = cls, t

    def describe(self) -> str:
        return f"class '{self.cls.__name__}'"

    def type(self, b: Any, where: SourceRange) -> ClassType:
        if self.t is None:
            self.t = class_type(b.compiler, self.cls, where)
        return self.t

    def call(self, b: Any, site: sugar.CallSite) -> Any:
        t = self.type(b, site.where)
        obj = b.insert("prim::CreateObject", [], [t]).output
        init = method(b.compiler, t, "__init__", site.where)
        args, kwargs = site.values()
        b.call_function(init, [Arg(obj, site.where)] + args, kwargs, [], site.where, f"{self.cls.__name__}")
        return obj

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        t = self.type(b, where)
        raw = inspect.getattr_static(self.cls, name, None)
        if isinstance(raw, staticmethod):
            return StaticMethod(t, name)
        b.error(f"class '{self.cls.__name__}' has no static method '{name}' in script functions", where,
                fix="class methods are called on an instance")


class StaticMethod(sugar.Sugar):
    def __init__(self, t: ClassType, name: str):
        self.t, self.name = t, name

    def call(self, b: Any, site: sugar.CallSite) -> Any:
        fn = method(b.compiler, self.t, self.name, site.where)
        args, kwargs = site.values()
        return b.call_function(fn, args, kwargs, [], site.where, f"{self.t.py_class.__name__}.{self.name}")


# -- enums ------------------------------------------------------------------------------------------------

_enum_types: Dict[Any, EnumType] = {}


def enum_type(cls: type, where: Optional[SourceRange] = None) -> EnumType:
    """The type of an Enum class whose values are all ints, all floats or all strings."""
    t = _enum_types.get(cls)
    if t is not None:
        return t
    kinds: List[Type] = []
    for member in cls:  # type: ignore[attr-defined]
        v = member.value
        if isinstance(v, Tensor):
            raise ScriptError("Cannot create Enum with value type 'Tensor': enum values must be int, float or str",
                              where)
        vt = {int: INT, float: FLOAT, str: STR}.get(type(v))
        if vt is None:
            raise ScriptError(f"Cannot create Enum with value type '{type(v).__name__}': enum values must be int, "
                              "float or str", where)
        kinds.append(vt)
    if len(set(kinds)) > 1:
        raise ScriptError(f"Could not unify type list of the values of enum {cls.__name__} ("
                          + ", ".join(dict.fromkeys(str(k) for k in kinds)) + "): enum values must have one type",
                          where)
    t = _enum_types[cls] = EnumType(qualified_name(cls), kinds[0] if kinds else NONE, cls)
    return t


class EnumClass(sugar.Sugar):
    """An Enum class named in a script: its members are constants; iterating gives them all."""

    def __init__(self, cls: type):
        self.cls = cls

    def describe(self) -> str:
        return f"enum '{self.cls.__name__}'"

    def attr(self, b: Any, name: str, where: SourceRange) -> Any:
        t = enum_type(self.cls, where)
        member = self.cls.__members__.get(name)  # type: ignore[attr-defined]
        if member is None:
            b.error(f"'{self.cls.__name__}' has no attribute '{name}'", where)
        return b.constant(member, t)

    def iterate(self, b: Any, where: SourceRange) -> sugar.Iterable:
        t = enum_type(self.cls, where)
        items = [b.constant(m, t) for m in self.cls]  # type: ignore[attr-defined]
        lst = b.insert("prim::ListConstruct", items, [ListType(t)]).output
        return sugar.ValueIter(lst, where)


def enum_attr(b: Any, v: Value, name: str, where: SourceRange) -> Value:
    """``e.name`` and ``e.value``: constants for a constant member."""
    t = v.type
    assert isinstance(t, EnumType)
    if name not in ("name", "value"):
        b.error(f"enum {t} has no attribute '{name}' in script functions (only .name and .value)", where)
    if v.node.kind == "prim::Constant":
        return b.constant(getattr(v.constant, name))  # type: ignore[no-any-return]
    return b.structural("prim::EnumName" if name == "name" else "prim::EnumValue", [v])  # type: ignore[no-any-return]


def enum_compare(b: Any, dunder: str, left: Value, right: Value) -> Optional[Value]:
    if dunder not in ("__eq__", "__ne__") or not isinstance(left.type, EnumType) or \
            not isinstance(right.type, EnumType):
        return None
    return b.structural("aten::eq" if dunder == "__eq__" else "aten::ne", [left, right])  # type: ignore[no-any-return]


# -- named tuples -----------------------------------------------------------------------------------------


def is_named_tuple(cls: Any) -> bool:
    """A ``typing.NamedTuple`` class, or a ``collections.namedtuple`` one (its fields are Tensors)."""
    return isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")


def named_tuple_type(cls: type, where: Optional[SourceRange]) -> NamedTupleType:
    from minitorch_jit.ir.types import TENSOR

    from .types import annotation_type_of_object
    fields = list(cls._fields)  # type: ignore[attr-defined]
    if "__annotations__" not in vars(cls):  # collections.namedtuple: TorchScript types every field Tensor
        return NamedTupleType(qualified_name(cls), fields, [TENSOR] * len(fields), cls)
    try:
        hints = typing.get_type_hints(cls)
    except NameError as e:  # a forward reference to nothing: TorchScript's ValueError, at the use
        at = f'File "{where.file}", line {where.line}' if where is not None else "an unknown place"
        raise ValueError(f"Unknown type annotation in NamedTuple {cls.__name__} ({e}). Issue occurred at  {at}") \
            from None
    elems = [annotation_type_of_object(hints[f], where) if f in hints else None for f in fields]
    if any(e is None for e in elems):
        raise ScriptError(f"every field of the NamedTuple {cls.__name__} must be annotated", where)
    return NamedTupleType(qualified_name(cls), fields, elems, cls)  # type: ignore[arg-type]


class NamedTupleClass(sugar.Sugar):
    """A NamedTuple class named in a script: called, it builds the tuple (fields by position
    or by name, defaults filled in)."""

    def __init__(self, cls: type):
        self.cls = cls

    def describe(self) -> str:
        return f"NamedTuple '{self.cls.__name__}'"

    def call(self, b: Any, site: sugar.CallSite) -> Any:
        t = named_tuple_type(self.cls, site.where)
        args, kwargs = site.values()
        defaults = getattr(self.cls, "_field_defaults", {})
        if len(args) > len(t.names):
            b.error(f"{self.cls.__name__}() takes {len(t.names)} arguments but {len(args)} were given", site.where)
        values: List[Value] = []
        for i, (name, et) in enumerate(zip(t.names, t.elems)):
            if i < len(args):
                a = args[i]
            elif name in kwargs:
                a = kwargs.pop(name)
            elif name in defaults:
                a = Arg(b.python_constant(defaults[name]), site.where)
            else:
                b.error(f"{self.cls.__name__}() missing argument '{name}'", site.where)
            v = a.value
            if not v.type.is_subtype_of(et):
                if str(et) == "float" and str(v.type) == "int":
                    v = b.op_call("builtins", "float", [a], {}, a.where, "float")
                else:
                    b.error(f"{self.cls.__name__}(): Expected a value of type '{type_name(et)}' for argument "
                            f"'{name}' but instead found type '{type_name(v.type)}'", a.where)
            values.append(v)
        if kwargs:
            b.error(f"{self.cls.__name__}() got an unexpected keyword argument '{next(iter(kwargs))}'", site.where)
        return b.insert("prim::TupleConstruct", values, [t]).output


# -- what Python objects mean in scripts -----------------------------------------------------------------


def python_object(b: Any, obj: Any, where: SourceRange, name: str) -> Any:
    """The meaning of a class, enum or enum member from the function's scope (None for
    other objects)."""
    if isinstance(obj, enum.Enum):
        return b.constant(obj, enum_type(type(obj), where))
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        return EnumClass(obj)
    if is_named_tuple(obj):
        return NamedTupleClass(obj)
    if getattr(obj, "__torchscript_interface__", False):
        return None
    if is_user_class(obj):
        return ClassValue(obj)
    if isinstance(obj, pytypes.ModuleType) and obj.__name__.split(".")[0] not in _LIBRARIES:
        return sugar.Namespace(None, obj, name)  # a module of the program: its classes and functions
    return None


# Python modules whose contents scripts do not reach through the module (the scripter knows
# what torch, math and nn mean; numpy and the standard library's modules are not script code)
_LIBRARIES = {"numpy", "builtins", "typing", "os", "sys", "enum", "collections", "functools", "itertools"}


def user_type(compiler: Any, obj: Any, where: Optional[SourceRange]) -> Optional[Type]:
    """The type an annotation naming a class, an enum, an interface or a NamedTuple means."""
    if isinstance(obj, type) and issubclass(obj, enum.Enum):
        return enum_type(obj, where)
    if is_named_tuple(obj):
        return named_tuple_type(obj, where)
    if getattr(obj, "__dict__", {}).get("__torchscript_interface__", False):
        return interface_type(compiler, obj, where)
    if is_user_class(obj):
        return class_type(compiler, obj, where)
    return None


# -- interfaces --------------------------------------------------------------------------------------------

_interfaces: Dict[Any, InterfaceType] = {}


def interface_type(compiler: Any, cls: type, where: Optional[SourceRange]) -> InterfaceType:
    t = _interfaces.get(cls)
    if t is not None:
        return t
    from .statements import FunctionBuilder
    methods: Dict[str, Tuple[Tuple[Type, ...], Type]] = {}
    for name, fn in vars(cls).items():
        if not isinstance(fn, pytypes.FunctionType):
            continue
        builder = FunctionBuilder(FunctionSource.of(fn), compiler)
        tree = builder.source.tree
        params = (list(tree.args.posonlyargs) + list(tree.args.args))[1:]
        args = tuple(builder.annotation(p.annotation) if p.annotation is not None else TENSOR for p in params)
        ret = builder.annotation(tree.returns) if tree.returns is not None else NONE
        methods[name] = (args, ret)
    t = _interfaces[cls] = InterfaceType(qualified_name(cls), methods, cls)
    t.signatures_of = lambda c, names: _signatures(compiler, c, names)
    return t


def _signatures(compiler: Any, c: ClassType, names: Sequence[str]) -> Dict[str, Tuple[Tuple[Type, ...], Type]]:
    out = {}
    for name in names:
        if c.py_class is None or name not in vars(c.py_class):
            continue
        fn = method(compiler, c, name, None)
        out[name] = (tuple(v.type for v in fn.graph.inputs[1:]), fn.graph.outputs[0].type)
    return out


def check_interface(b: Any, v: Value, t: Type, where: SourceRange) -> None:
    """A ScriptError worded as TorchScript's when ``v`` is passed where interface ``t`` is
    expected and its class does not have the methods."""
    if isinstance(t, OptionalType):
        t = t.elem
    if isinstance(t, InterfaceType):
        why = t.mismatch(v.type)
        if why is not None:
            b.error(why, where)


__all__ = ["interface", "class_type", "enum_type", "user_type", "python_object", "get_attr", "set_attr", "magic",
           "call_magic", "truth", "ClassValue", "EnumClass", "enum_attr", "enum_compare", "CONVERSIONS"]


# -- objects held by modules -------------------------------------------------------------------------------


def module_object(b: Any, owner: Any, name: str, value: Any, where: SourceRange) -> Optional[Value]:
    """A module attribute holding an object of a compiled class: converted once into a
    ScriptObject the compiled module holds, and read by its methods as a graph input."""
    from minitorch_jit.codegen.objects import ScriptObject

    from ..runtime.objects import object_of
    declared = getattr(type(owner.module), "__annotations__", {}).get(name)
    t: Optional[Type] = None
    if declared is not None:
        t = user_type(b.compiler, declared, where)
    if isinstance(value, ScriptObject):
        obj = value
    elif isinstance(t, InterfaceType) and type(value) not in _class_types:
        # as TorchScript: an interface's value is an object of a class compiled already
        b.error(f"module attribute '{name}' is annotated with the interface {t.name}, but the value is not a "
                f"TorchScript compatible type: {type(value).__name__} is not a scripted class", where,
                fix=f"decorate {type(value).__name__} with @torch.jit.script")
    elif is_user_class(type(value)):
        try:
            ct = class_type(b.compiler, type(value), where)
        except ScriptError as e:
            b.error(f"module attribute '{name}' failed to convert Python type {type(value).__name__} to a "
                    f"TorchScript type: {e.msg}", where)
        obj = object_of(value, ct)
    elif t is not None:
        b.error(f"module attribute '{name}' is annotated {t}, but the value is not a TorchScript compatible type "
                f"({type(value).__name__})", where)
    else:
        return None
    if t is None:
        t = obj._mtj_type
    elif isinstance(t, InterfaceType):
        why = t.mismatch(obj._mtj_type)
        if why is not None:
            b.error(f"module attribute '{name}': {why}: {obj._mtj_type} is not compatible with interface {t.name}",
                    where)
    mirror = owner.mirror
    if mirror.__dict__.get(name) is not obj:
        object.__setattr__(mirror, name, obj)
    return b.attr_input(owner._path(name), t)  # type: ignore[no-any-return]


def check_ordering(b: Any, lst: Value, where: SourceRange) -> None:
    """Sorting a list of objects compares them with their class's ``__lt__``, which must
    take another object and give a bool (TorchScript's error otherwise)."""
    t = lst.type
    elem = t.elem if isinstance(t, ListType) else None
    if not isinstance(elem, ClassType):
        return
    lt = method(b.compiler, elem, "__lt__", where) if elem.py_class is not None and \
        "__lt__" in vars(elem.py_class) else None
    if lt is None or len(lt.graph.inputs) != 2 or not isinstance(lt.graph.outputs[0].type, BoolType):
        b.error(f"Error sorting a list of {elem.name}: the class must define a __lt__ method that takes "
                f"another {elem.py_class.__name__ if elem.py_class else elem.name} and returns a bool", where)


def object_builtin(b: Any, name: str, v: Value, where: SourceRange) -> Optional[Value]:
    if name == "sorted":
        check_ordering(b, v, where)
        return None
    if not isinstance(v.type, (ClassType, InterfaceType)):
        return None
    dunder = CONVERSIONS.get(name)
    if dunder is None:
        return None
    return magic(b, v, dunder, [], where, f"{name}()")


sugar.user_objects = python_object
sugar.object_builtin = object_builtin
sugar.object_attribute = module_object

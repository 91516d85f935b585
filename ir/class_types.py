"""User-defined types of the script language: classes, enums, interfaces and named tuples.

Each is named as TorchScript names it: ``__torch__.`` followed by the Python module and the
class name (``__torch__.models.Point``; a class of ``__main__`` is ``__torch__.Point``), with
``___torch_mangle_N`` inserted when two different Python classes would get one name (two
local classes ``Foo`` of one test file). Printed::

    __torch__.models.Point                       a class
    Enum<__torch__.models.Color>                 an enum
    __torch__.models.OneTwo                      an interface
    NamedTuple(x : int, y : Tensor)              a named tuple

Types compare by name. A class type is created empty and its fields are declared as its
``__init__`` is compiled (their order is the order of declaration); ``methods`` holds what
the frontend compiled for each method, which nothing here looks into.
"""
from __future__ import annotations

import enum
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .types import NAMED_TYPES, TupleType, Type, _Singleton

MethodSignature = Tuple[Tuple[Type, ...], Type]  # (argument types after self, return type)

_names: Dict[str, Any] = {}  # qualified name -> the Python class that holds it
_lock = threading.Lock()


def qualified_name(py_class: Any) -> str:
    """The TorchScript name of a Python class, unique among the classes named so far."""
    with _lock:
        found = getattr(py_class, "__dict__", {}).get("__torchscript_name__")
        if found is not None:
            return str(found)
        module = getattr(py_class, "__module__", None) or "__main__"
        base = "__torch__." + ("" if module == "__main__" else module + ".")
        name, n = base + py_class.__name__, 0
        while name in _names and _names[name] is not py_class:
            name = f"{base}___torch_mangle_{n}.{py_class.__name__}"
            n += 1
        _names[name] = py_class
        try:
            type.__setattr__(py_class, "__torchscript_name__", name)
        except (TypeError, AttributeError):  # a built-in or frozen class: named again each time
            pass
        return name


class ClassType(Type):
    """A class compiled from Python (``torch.jit.script(Foo)``): named fields, methods."""

    __slots__ = ("name", "fields", "methods", "properties", "py_class")

    def __init__(self, name: str, py_class: Any = None):
        self.name = name
        self.fields: Dict[str, Type] = {}
        self.methods: Dict[str, Any] = {}
        self.properties: Dict[str, Tuple[Any, Any]] = {}  # name -> (getter, setter or None)
        self.py_class = py_class

    def _key(self) -> tuple:
        return (self.name,)

    def __str__(self) -> str:
        return self.name

    def is_subtype_of(self, other: Type) -> bool:
        if isinstance(other, InterfaceType):
            return other.mismatch(self) is None
        return super().is_subtype_of(other)

    def has_value(self, value: Any) -> bool:
        """Is a run-time value an object of this class (for ``isinstance``)?"""
        t = getattr(value, "_mtj_type", None)
        return isinstance(t, ClassType) and t.is_subtype_of(self)


class InterfaceType(Type):
    """``@torch.jit.interface``: the methods (and their types) a value of it has."""

    __slots__ = ("name", "methods", "py_class", "signatures_of")

    def __init__(self, name: str, methods: Dict[str, MethodSignature], py_class: Any = None):
        self.name = name
        self.methods = methods
        self.py_class = py_class
        # (class type) -> {method: signature}: set by the frontend, which compiles the methods
        self.signatures_of: Any = None

    def _key(self) -> tuple:
        return (self.name,)

    def __str__(self) -> str:
        return self.name

    def mismatch(self, t: Type) -> Optional[str]:
        """Why a value of type ``t`` is not of this interface (None when it is)."""
        if isinstance(t, InterfaceType):
            have: Dict[str, MethodSignature] = t.methods
        elif isinstance(t, ClassType) and self.signatures_of is not None:
            have = self.signatures_of(t, list(self.methods))
        else:
            return f"{t} is not a class"
        for name, (args, ret) in self.methods.items():
            if name not in have:
                return f"{t} does not have method '{name}' of interface {self.name}"
            got_args, got_ret = have[name]
            if len(got_args) != len(args) or any(a != b for a, b in zip(got_args, args)) or \
                    not got_ret.is_subtype_of(ret):
                return f"method '{name}' of {t} is not compatible with interface {self.name}"
        return None

    def is_subtype_of(self, other: Type) -> bool:
        if isinstance(other, InterfaceType) and other != self:
            return other.mismatch(self) is None
        return super().is_subtype_of(other)

    def has_value(self, value: Any) -> bool:
        t = getattr(value, "_mtj_type", None)
        return isinstance(t, ClassType) and t.is_subtype_of(self)


class AnyEnumType(_Singleton):
    """Schemas' type of an enum of any enum class (``aten::eq.enum(AnyEnumType a, ...)``)."""
    name = "AnyEnumType"


ANY_ENUM = AnyEnumType()
NAMED_TYPES[ANY_ENUM.name] = ANY_ENUM  # type: ignore[assignment]  # so that schemas can name it


class EnumType(Type):
    """A Python ``Enum`` whose values are all ints, all floats or all strings."""

    __slots__ = ("name", "value_type", "py_class")

    def __init__(self, name: str, value_type: Type, py_class: Any = None):
        self.name = name
        self.value_type = value_type
        self.py_class = py_class

    def _key(self) -> tuple:
        return (self.name,)

    def __str__(self) -> str:
        return f"Enum<{self.name}>"

    def is_subtype_of(self, other: Type) -> bool:
        return isinstance(other, AnyEnumType) or super().is_subtype_of(other)

    def has_value(self, value: Any) -> bool:
        return isinstance(value, enum.Enum) and qualified_name(type(value)) == self.name

    def members(self) -> List[Any]:
        return list(self.py_class) if self.py_class is not None else []


class NamedTupleType(TupleType):
    """A ``typing.NamedTuple`` class: a tuple whose elements also have names."""

    __slots__ = ("names", "name", "py_class")

    def __init__(self, name: str, names: Sequence[str], elems: Sequence[Type], py_class: Any = None):
        super().__init__(elems)
        self.name = name
        self.names = tuple(names)
        self.py_class = py_class

    def _key(self) -> tuple:
        return (self.name, self.names, self.elems)

    def with_elems(self, elems: Sequence[Type]) -> "NamedTupleType":
        return NamedTupleType(self.name, self.names, elems, self.py_class)

    def __str__(self) -> str:
        return "NamedTuple(" + ", ".join(f"{n} : {t}" for n, t in zip(self.names, self.elems)) + ")"


def enum_literal(value: enum.Enum) -> str:
    """How an enum constant prints: ``__torch__.models.Color.RED``."""
    return f"{qualified_name(type(value))}.{value.name}"


__all__ = ["ClassType", "InterfaceType", "EnumType", "NamedTupleType", "qualified_name", "enum_literal",
           "MethodSignature"]

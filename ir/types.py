"""The IR's type system: dtypes and their promotion, and the types every Value carries.

Plain data: nothing here knows numpy. Dtypes are named by their numpy names
(``"float32"``); the short TorchScript names (``Float``) are only used in text.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, Sequence, Tuple

# ---------------------------------------------------------------------------------------------
# dtypes

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
SHORT_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
              "float16": "Half", "float32": "Float", "float64": "Double"}
FROM_SHORT_NAME = {v: k for k, v in SHORT_NAME.items()}
DEFAULT_FLOAT = "float32"
DEFAULT_INT = "int64"
# The dtypes fused kernels compute in (the LLVM lowering's); tensors of the others run eagerly.
KERNEL_DTYPES = ("bool", "int32", "int64", "float32", "float64")
_FLOATS = ("float16", "float32", "float64")
_INTS = ("uint8", "int8", "int16", "int32", "int64")
_BITS = {"uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64, "float16": 16, "float32": 32, "float64": 64}


def is_float(dtype: str) -> bool:
    return dtype in _FLOATS


def is_integral(dtype: str, include_bool: bool = False) -> bool:
    return dtype in _INTS or (include_bool and dtype == "bool")


def category(dtype: str) -> int:
    """0 for bool, 1 for integers, 2 for floating point: PyTorch promotes across categories."""
    return 0 if dtype == "bool" else (2 if is_float(dtype) else 1)


def promote_types(a: Optional[str], b: Optional[str]) -> Optional[str]:
    """torch.promote_types on our dtypes: the higher category; in one category the wider
    dtype, except that uint8 and int8 meet in int16 (neither holds the other's values)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    if "uint8" in (a, b):  # and a wider signed int
        return b if a == "uint8" else a
    return a if _BITS[a] >= _BITS[b] else b


def scalar_dtype(pytype: type) -> str:
    """The dtype a Python scalar takes when it decides a result's category."""
    if pytype is bool:
        return "bool"
    if pytype is int:
        return DEFAULT_INT
    return DEFAULT_FLOAT


def _combine_categories(higher: Optional[str], lower: Optional[str]) -> Optional[str]:
    # c10's combine_categories: a lower-priority operand only matters when it is of a
    # higher category than everything above it.
    if higher is not None and is_float(higher):
        return higher
    if higher == "bool" or (lower is not None and is_float(lower)):
        return promote_types(higher, lower)
    return higher if higher is not None else lower


def result_type(operands: Iterable[Tuple[str, str]]) -> str:
    """PyTorch's result_type. ``operands`` are (kind, dtype) with kind one of
    ``"dim"`` (a tensor with at least one dimension), ``"zerodim"`` (a 0-d tensor) or
    ``"scalar"`` (a Python number, whose dtype is given by :func:`scalar_dtype`).

    >>> result_type([("dim", "int64"), ("scalar", "float32")])
    'float32'
    """
    state = {"dim": None, "zerodim": None, "scalar": None}
    for kind, dtype in operands:
        state[kind] = promote_types(state[kind], dtype)
    out = _combine_categories(state["dim"], _combine_categories(state["zerodim"], state["scalar"]))
    if out is None:
        raise ValueError("result_type needs at least one operand")
    return out


def can_cast(from_: str, to: str) -> bool:
    """torch.can_cast: the category may not go up (float into int, int into bool)."""
    return category(from_) <= category(to)


# ---------------------------------------------------------------------------------------------
# types


class Type:
    """Base of all IR types. Types are immutable and compare by value."""

    __slots__ = ()

    def _key(self) -> tuple:
        return ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return str(self)

    def is_subtype_of(self, other: "Type") -> bool:
        """True when a value of this type may be used where ``other`` is expected."""
        if self == other or isinstance(other, AnyType):
            return True
        if isinstance(self, UnionType):
            return all(m.is_subtype_of(other) for m in self.types)
        if isinstance(other, UnionType):
            if isinstance(self, OptionalType):
                return NONE.is_subtype_of(other) and self.elem.is_subtype_of(other)
            return any(self.is_subtype_of(m) for m in other.types)
        if isinstance(other, OptionalType):
            return isinstance(self, NoneType) or self.is_subtype_of(other.elem) or (
                isinstance(self, OptionalType) and self.elem.is_subtype_of(other.elem))
        if isinstance(other, NumberType):
            return isinstance(self, (IntType, FloatType, BoolType, NumberType))
        return False


class _Singleton(Type):
    __slots__ = ()
    name = "?"

    def __str__(self) -> str:
        return self.name


class IntType(_Singleton):
    name = "int"


class FloatType(_Singleton):
    name = "float"


class BoolType(_Singleton):
    name = "bool"


class StrType(_Singleton):
    name = "str"


class NoneType(_Singleton):
    name = "NoneType"


class NumberType(_Singleton):
    """A Python number of unknown kind (TorchScript's ``Scalar``): int, float or bool."""
    name = "Scalar"


class ScalarTypeType(_Singleton):
    """The type of dtype values such as ``torch.float32``."""
    name = "ScalarType"


class DeviceType(_Singleton):
    name = "Device"


class AnyType(_Singleton):
    name = "Any"


class TensorType(Type):
    """A tensor, optionally refined by dtype, sizes and contiguity.

    ``sizes`` is None when the rank is unknown, else a tuple whose entries are ints or None
    for an unknown size. ``contiguous`` says the tensor is known to be C-contiguous (numpy's
    ``flags.c_contiguous``, PyTorch's ``is_contiguous()``); False means nothing is known.
    Contiguity needs a known rank, and a 0-d tensor is always contiguous.

    Printed ``Tensor``, ``Float``, ``Float(2, 3)``, ``Float(*, *)``, ``Float()`` (0-d) or
    ``Tensor(*, 3)``; a known-contiguous tensor adds ``contiguous`` after its sizes, as
    TorchScript adds its strides: ``Float(*, 3, contiguous)`` (not for 0-d tensors, which
    always are).
    """

    __slots__ = ("dtype", "sizes", "contiguous")

    def __init__(self, dtype: Optional[str] = None, sizes: Optional[Sequence[Optional[int]]] = None,
                 contiguous: bool = False):
        if dtype is not None and dtype not in SHORT_NAME:
            raise ValueError(f"unknown dtype {dtype!r}")
        self.dtype = dtype
        self.sizes = None if sizes is None else tuple(sizes)
        if contiguous and self.sizes is None:
            raise ValueError("a tensor type can only be contiguous when its rank is known")
        self.contiguous = self.sizes == () or bool(contiguous)

    def _key(self) -> tuple:
        return (self.dtype, self.sizes, self.contiguous)

    @property
    def rank(self) -> Optional[int]:
        return None if self.sizes is None else len(self.sizes)

    def with_sizes(self, sizes: Optional[Sequence[Optional[int]]]) -> "TensorType":
        """The same dtype with other sizes (a view's: contiguity is not kept)."""
        return TensorType(self.dtype, sizes)

    def dimensioned(self) -> "TensorType":
        """Keep the dtype and rank, forget the sizes and contiguity (printed ``Float(*, *)``)."""
        return TensorType(self.dtype, None if self.sizes is None else (None,) * len(self.sizes))

    def __str__(self) -> str:
        head = "Tensor" if self.dtype is None else SHORT_NAME[self.dtype]
        if self.sizes is None:
            return head
        parts = ["*" if s is None else str(s) for s in self.sizes]
        if self.contiguous and self.sizes:
            parts.append("contiguous")
        return head + "(" + ", ".join(parts) + ")"

    def is_subtype_of(self, other: Type) -> bool:
        if isinstance(other, TensorType):
            if other.dtype is not None and other.dtype != self.dtype:
                return False
            if other.contiguous and not self.contiguous:
                return False
            if other.sizes is None:
                return True
            if self.sizes is None or len(self.sizes) != len(other.sizes):
                return False
            return all(o is None or o == s for s, o in zip(self.sizes, other.sizes))
        return super().is_subtype_of(other)


class ListType(Type):
    __slots__ = ("elem",)

    def __init__(self, elem: Type):
        self.elem = elem

    def _key(self) -> tuple:
        return (self.elem,)

    def __str__(self) -> str:
        return f"{self.elem}[]"

    def is_subtype_of(self, other: Type) -> bool:
        # Invariant, as TorchScript's lists, but for tensor refinements: Float(2)[] is a
        # Tensor[] (the refinements are facts about the values), while an int[] is not an
        # int?[], since a store through the wider type would break the narrower one's promise.
        if isinstance(other, ListType):
            return _refines(self.elem, other.elem)
        return super().is_subtype_of(other)


class DictType(Type):
    """``Dict[K, V]``: keys of a hashable kind (str, int, float, bool), printed as TorchScript
    prints it in graphs, ``Dict(str, Tensor)``. Invariant like lists (see :class:`ListType`)."""

    __slots__ = ("key", "value")

    def __init__(self, key: Type, value: Type):
        self.key = key
        self.value = value

    def _key(self) -> tuple:
        return (self.key, self.value)

    def __str__(self) -> str:
        return f"Dict({self.key}, {self.value})"

    def is_subtype_of(self, other: Type) -> bool:
        if isinstance(other, DictType):
            return _refines(self.key, other.key) and _refines(self.value, other.value)
        return super().is_subtype_of(other)


class TupleType(Type):
    __slots__ = ("elems",)

    def __init__(self, elems: Sequence[Type]):
        self.elems = tuple(elems)

    def _key(self) -> tuple:
        return self.elems

    def with_elems(self, elems: Sequence[Type]) -> "TupleType":
        """The same kind of tuple (a named one keeps its names) with these element types."""
        return TupleType(elems)

    def __str__(self) -> str:
        return "(" + ", ".join(str(e) for e in self.elems) + ")"

    def is_subtype_of(self, other: Type) -> bool:
        if isinstance(other, TupleType) and len(other.elems) == len(self.elems):
            return all(a.is_subtype_of(b) for a, b in zip(self.elems, other.elems))
        return super().is_subtype_of(other)


def _refines(a: Type, b: Type) -> bool:
    """Element types of invariant containers: equal, or the same but for tensor refinements
    (``Float(2)`` in ``Tensor``, ``Float(2)[]`` in ``Tensor[]``); anything is an ``Any``."""
    if a == b or isinstance(b, AnyType):
        return True
    if isinstance(a, TensorType) and isinstance(b, TensorType):
        return a.is_subtype_of(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (ListType, OptionalType)):
        return _refines(a.elem, b.elem)  # type: ignore[attr-defined]
    if isinstance(a, DictType):
        return a.is_subtype_of(b)
    if isinstance(a, TupleType):
        return a.is_subtype_of(b)  # tuples are immutable: covariant
    return False


class OptionalType(Type):
    __slots__ = ("elem",)

    def __init__(self, elem: Type):
        self.elem = elem

    def _key(self) -> tuple:
        return (self.elem,)

    def __str__(self) -> str:
        return f"{self.elem}?"


class UnionType(Type):
    """``Union[int, str]``: a value of one of its member types, known at run time only
    (``isinstance`` refines it). Built with :func:`union_of`, which gives it TorchScript's
    normal form: nested unions and Optionals flattened, members that are subtypes of others
    dropped, and members sorted as c10 sorts them (by kind, then by name), so that
    ``Union[str, int]`` and ``Union[int, str]`` are one type. Printed ``Union(int, str)``
    in graphs, as TorchScript prints it (``Union[int, str]`` in code and messages)."""

    __slots__ = ("types",)

    def __init__(self, types: Sequence[Type]):
        self.types = tuple(types)

    def _key(self) -> tuple:
        return self.types

    def __str__(self) -> str:
        return "Union(" + ", ".join(str(t) for t in self.types) + ")"


# c10's TypeKind order, which decides the order of a union's members
_KIND_ORDER = ("AnyType", "EnumType", "TensorType", "TupleType", "ListType", "NumberType", "FloatType", "IntType",
               "NoneType", "StrType", "BoolType", "OptionalType", "DeviceType", "ClassType", "ScalarTypeType",
               "UnionType")


def _kind_rank(t: Type) -> int:
    name = type(t).__name__
    return _KIND_ORDER.index(name) if name in _KIND_ORDER else len(_KIND_ORDER)


def union_of(types: Sequence[Type]) -> Type:
    """The union of ``types`` in normal form: ``Union[int]`` is ``int``, ``Union[int, None]``
    is ``int?``, ``Union[Union[int, str], float]`` is ``Union(float, int, str)``,
    ``Union[Tuple[int?, int], Tuple[int, int]]`` is ``(int?, int)``."""
    flat: list = []
    for t in types:
        if isinstance(t, UnionType):
            flat.extend(t.types)
        elif isinstance(t, OptionalType):
            flat.extend(union_members(t))
        else:
            flat.append(t)
    if any(isinstance(t, AnyType) for t in flat):
        return ANY
    kept: list = []
    for t in flat:
        if any(t == k for k in kept):
            continue
        if any(t.is_subtype_of(k) for k in kept):
            continue
        kept = [k for k in kept if not k.is_subtype_of(t)] + [t]
    if len(kept) == 1:
        return kept[0]
    others = [t for t in kept if not isinstance(t, NoneType)]
    if len(kept) == 2 and len(others) == 1:
        return OptionalType(others[0])
    return UnionType(sorted(kept, key=lambda t: (_kind_rank(t), str(t))))


def union_members(t: Type) -> Tuple[Type, ...]:
    """The types a value of type ``t`` may have at run time: a union's members, an
    Optional's element and None, else ``t`` itself."""
    if isinstance(t, UnionType):
        return t.types
    if isinstance(t, OptionalType):
        inner = union_members(t.elem)
        return inner + (() if any(isinstance(m, NoneType) for m in inner) else (NONE,))
    return (t,)


class TypeVar(Type):
    """A schema's type variable (``t`` in ``aten::len(t[] a) -> int``); bound by matching."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def _key(self) -> tuple:
        return (self.name,)

    def __str__(self) -> str:
        return self.name


def tensor_type(t: Type) -> TensorType:
    """``t`` as the TensorType it must be: for rules whose schema says ``Tensor`` (matching
    guarantees it) and for values known to hold tensors. A TypeError names what it was."""
    if not isinstance(t, TensorType):
        raise TypeError(f"expected a Tensor type, got {t}")
    return t


INT, FLOAT, BOOL, STR, NONE = IntType(), FloatType(), BoolType(), StrType(), NoneType()
NUMBER, SCALARTYPE, DEVICE, ANY = NumberType(), ScalarTypeType(), DeviceType(), AnyType()
TENSOR = TensorType()

NAMED_TYPES = {str(t): t for t in (INT, FLOAT, BOOL, STR, NONE, NUMBER, SCALARTYPE, DEVICE, ANY, TENSOR)}


def unify(a: Type, b: Type) -> Optional[Type]:
    """The most specific type both ``a`` and ``b`` are subtypes of, or None when there is
    none (an int on one branch and a Tensor on the other).

    Used to join the types a variable has on the two sides of an ``if``.
    """
    if a == b:
        return a
    if isinstance(a, TensorType) and isinstance(b, TensorType):
        dtype = a.dtype if a.dtype == b.dtype else None
        if a.sizes is None or b.sizes is None or len(a.sizes) != len(b.sizes):
            sizes = None
        else:
            sizes = tuple(x if x == y else None for x, y in zip(a.sizes, b.sizes))
        return TensorType(dtype, sizes, sizes is not None and a.contiguous and b.contiguous)
    if isinstance(a, UnionType) or isinstance(b, UnionType):
        if a.is_subtype_of(b):
            return b
        if b.is_subtype_of(a):
            return a
        return None  # TorchScript does not widen to a union that was not declared
    if isinstance(a, NoneType) and not isinstance(b, NoneType):
        return b if isinstance(b, OptionalType) else OptionalType(b)
    if isinstance(b, NoneType):
        return unify(b, a)
    if isinstance(a, OptionalType) or isinstance(b, OptionalType):
        inner_a = a.elem if isinstance(a, OptionalType) else a
        inner_b = b.elem if isinstance(b, OptionalType) else b
        inner = unify(inner_a, inner_b)
        return None if inner is None else OptionalType(inner)
    if isinstance(a, ListType) and isinstance(b, ListType):
        elem = unify(a.elem, b.elem)
        # Only tensor refinements may be joined inside a list: List[int] vs List[float] differ.
        if elem is not None and isinstance(elem, TensorType):
            return ListType(elem)
        return None
    if isinstance(a, DictType) and isinstance(b, DictType) and a.key == b.key:
        value = unify(a.value, b.value)
        return DictType(a.key, value) if value is not None and isinstance(value, TensorType) else None
    if isinstance(a, TupleType) and isinstance(b, TupleType) and len(a.elems) == len(b.elems):
        elems = [unify(x, y) for x, y in zip(a.elems, b.elems)]
        return None if any(e is None for e in elems) else TupleType(elems)
    if isinstance(a, NumberType) and isinstance(b, (IntType, FloatType)):
        return a
    if isinstance(b, NumberType) and isinstance(a, (IntType, FloatType)):
        return b
    return None


def _has_any(t: Type) -> bool:
    if isinstance(t, AnyType):
        return True
    if isinstance(t, (ListType, OptionalType)):
        return _has_any(t.elem)
    if isinstance(t, TupleType):
        return any(_has_any(e) for e in t.elems)
    if isinstance(t, UnionType):
        return any(_has_any(m) for m in t.types)
    return False


def _is_instance(t: Type, u: Type) -> bool:
    """Is every value of static type ``t`` (not a union) an instance of ``u`` for
    ``isinstance``? ``List[Any]`` is bare ``list``, ``Tuple[()]`` bare ``tuple``."""
    if isinstance(u, ListType) and isinstance(u.elem, AnyType):
        return isinstance(t, ListType)
    if isinstance(u, TupleType) and not u.elems:
        return isinstance(t, TupleType)
    if isinstance(u, IntType):
        return isinstance(t, (IntType, BoolType))  # bool is an int in Python
    return t.is_subtype_of(u)


def isinstance_split(t: Type, targets: Sequence[Type]) -> Optional[Tuple[Tuple[Type, ...], Tuple[Type, ...]]]:
    """``isinstance(x, targets)`` for ``x`` of static type ``t``: the members of ``t`` (see
    :func:`union_members`) for which it holds and those for which it does not, or None when
    the type cannot tell (``Any``, which only the value can).

    >>> isinstance_split(union_of([INT, ListType(INT)]), [INT, FLOAT])
    ((int,), (int[],))
    """
    # a Scalar (``number``, what ``x.item()`` gives) holds an int or a float: only the value knows
    members = (INT, FLOAT) if isinstance(t, NumberType) else union_members(t)
    if any(_has_any(m) for m in members):
        return None
    yes = tuple(m for m in members if any(_is_instance(m, u) for u in targets))
    return yes, tuple(m for m in members if m not in yes)


def annotation_str(t: Type) -> str:
    """``t`` as Python annotations write it (TorchScript's ``annotation_str``):
    ``List[int]``, ``Optional[int]``, ``Tuple[int, str]``, ``Union[int, NoneType, str]``."""
    if isinstance(t, TensorType):
        return "Tensor"
    if isinstance(t, ListType):
        return f"List[{annotation_str(t.elem)}]"
    if isinstance(t, OptionalType):
        return f"Optional[{annotation_str(t.elem)}]"
    if isinstance(t, TupleType):
        return "Tuple[" + ", ".join(annotation_str(e) for e in t.elems) + "]" if t.elems else "Tuple[()]"
    if isinstance(t, UnionType):
        return "Union[" + ", ".join(annotation_str(m) for m in t.types) + "]"
    if isinstance(t, DictType):
        return f"Dict[{annotation_str(t.key)}, {annotation_str(t.value)}]"
    if type(t).__name__ in ("EnumType", "ClassType"):  # (ir.class_types) by their qualified names
        return str(getattr(t, "name", t))
    return str(t)


def value_has_type(value: object, t: Type, is_tensor: "Callable[[object], bool]") -> bool:
    """Whether a run-time value is a ``t``, as ``isinstance`` and ``torch.jit.isinstance``
    decide it: containers by their elements (an empty list is a list of anything), an int is
    not a float nor a bool an int (TorchScript's types, not Python's tower). ``is_tensor``
    says what a tensor is where the value lives (a Tensor for users, an array in graphs)."""
    if isinstance(t, AnyType):
        return True
    held = getattr(value, "type", None)
    if isinstance(held, Type) and not is_tensor(value):  # a ScriptList or ScriptDict knows its type
        return held.is_subtype_of(t)
    if isinstance(t, TensorType):
        return is_tensor(value)
    if isinstance(t, (UnionType, OptionalType)):
        return any(value_has_type(value, m, is_tensor) for m in union_members(t))
    if isinstance(t, NoneType):
        return value is None
    if isinstance(t, BoolType):
        return isinstance(value, bool)
    if isinstance(t, IntType):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(t, FloatType):
        return isinstance(value, float)
    if isinstance(t, NumberType):
        return isinstance(value, (int, float))
    if isinstance(t, StrType):
        return isinstance(value, str)
    if isinstance(t, ListType):
        return isinstance(value, list) and all(value_has_type(v, t.elem, is_tensor) for v in value)
    if isinstance(t, DictType):
        return isinstance(value, dict) and all(value_has_type(k, t.key, is_tensor) and
                                               value_has_type(v, t.value, is_tensor) for k, v in value.items())
    if isinstance(t, TupleType):
        return isinstance(value, tuple) and len(value) == len(t.elems) and \
            all(value_has_type(v, e, is_tensor) for v, e in zip(value, t.elems))
    has_value = getattr(t, "has_value", None)  # user-defined types (ir.class_types) say themselves
    return bool(has_value(value)) if has_value is not None else False


def type_of_constant(value: object) -> Type:
    """The IR type of a Python constant (tensor constants are typed by their holder)."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, (list, tuple)):
        elems = [type_of_constant(v) for v in value]
        if isinstance(value, tuple):
            return TupleType(elems)
        if not elems:
            raise ValueError("the element type of an empty list constant must be given")
        if all(e == elems[0] for e in elems):
            return ListType(elems[0])
        raise ValueError(f"list constant with mixed element types: {value!r}")
    raise TypeError(f"no IR type for constant of Python type {type(value).__name__}")

"""Expressions: each AST expression class has a ``build_<ClassName>`` method that emits its
nodes and returns a graph Value or a compile-time value (:mod:`.sugar`). Classes without one
are not in the language: :meth:`ExpressionBuilder.unsupported` names them.

Python's semantics decide the lowering: operators try the left operand's method, then the
right operand's reflected one (``2 * x`` is ``Tensor.__rmul__``); ``and``/``or`` and chained
comparisons short-circuit (a ``prim::If``); a condition converts tensors and numbers with
``bool()``; ``x is None`` is answered at compile time when ``x``'s type says so, else it
refines ``Optional[T]`` to ``T`` on the branch where it holds.
"""
from __future__ import annotations

import ast
import contextlib
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from minitorch_jit.ir import Graph, Node, SourceLocation, Value, registry
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType
from minitorch_jit.ir.types import (
    ANY,
    BOOL,
    NONE,
    STR,
    TENSOR,
    AnyType,
    BoolType,
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
    UnionType,
    isinstance_split,
    unify,
    union_members,
    union_of,
)

from ..runtime.broadcasting_list import BroadcastingList, BroadcastList
from ..tensor import Tensor
from . import classes, subscripts, sugar
from .calls import Arg, call_op, emit_op, resolve_call
from .environment import Binding, Frame, Undefined, state_var
from .errors import ScriptError, SourceRange, UnsupportedNodeError
from .source import FunctionSource
from .ssa import refine
from .tensor_properties import TENSOR_PROPERTIES
from .types import DICT_KEYS, annotation_type, erase, is_number, language_names, type_name

# Python constructs outside the language: what to call them, and the fix where there is one.
UNSUPPORTED = {
    "Try": ("try/except", "check conditions with `if` and `raise` instead"),
    "TryStar": ("try/except*", ""),
    "With": ("with statements", "move the context manager outside the script function"),
    "AsyncWith": ("async with", ""),
    "AsyncFor": ("async for", ""),
    "AsyncFunctionDef": ("async functions", ""),
    "Await": ("await", ""),
    "Yield": ("yield (generators)", "build and return a list instead"),
    "YieldFrom": ("yield from (generators)", "build and return a list instead"),
    "GeneratorExp": ("generator expressions", "use a list comprehension"),
    "Lambda": ("lambda", "define a function with def at module level"),
    "FunctionDef": ("nested function definitions", "define the function at module level"),
    "ClassDef": ("class definitions inside script functions", "define the class at module level"),
    "Global": ("global statements", "pass the value as an argument and return the new value"),
    "Nonlocal": ("nonlocal statements", "pass the value as an argument and return the new value"),
    "Starred": ("star expressions", "unpack into named variables"),
    "NamedExpr": ("the walrus operator :=", "assign in a separate statement"),
    "Match": ("match statements", "use if/elif"),
    "Set": ("set literals", ""),
    "SetComp": ("set comprehensions", ""),
    "Import": ("import statements", "import at module level"),
    "ImportFrom": ("import statements", "import at module level"),
}

_BINOPS = {ast.Add: ("__add__", "+"), ast.Sub: ("__sub__", "-"), ast.Mult: ("__mul__", "*"),
           ast.Div: ("__truediv__", "/"), ast.FloorDiv: ("__floordiv__", "//"), ast.Mod: ("__mod__", "%"),
           ast.Pow: ("__pow__", "**"), ast.MatMult: ("__matmul__", "@"), ast.BitAnd: ("__and__", "&"),
           ast.BitOr: ("__or__", "|"), ast.BitXor: ("__xor__", "^"), ast.LShift: ("__lshift__", "<<"),
           ast.RShift: ("__rshift__", ">>")}
_COMPARE = {ast.Eq: ("__eq__", "=="), ast.NotEq: ("__ne__", "!="), ast.Lt: ("__lt__", "<"),
            ast.LtE: ("__le__", "<="), ast.Gt: ("__gt__", ">"), ast.GtE: ("__ge__", ">=")}
_SWAPPED = {"__eq__": "__eq__", "__ne__": "__ne__", "__lt__": "__gt__", "__le__": "__ge__", "__gt__": "__lt__",
            "__ge__": "__le__"}
SYMBOLS = {d: s for d, s in list(_BINOPS.values()) + list(_COMPARE.values())}
# how tuples that are equal up to the shorter one's length compare
_LENGTH_ORDER: Dict[str, Callable[[int, int], bool]] = {
    "__lt__": lambda m, n: m < n, "__le__": lambda m, n: m <= n, "__gt__": lambda m, n: m > n,
    "__ge__": lambda m, n: m >= n}


@dataclass
class Cond:
    """A condition: a bool Value, or a value known when scripting (``static``), with the
    Optional refinements that hold when it is true and when it is false."""
    value: Optional[Value]
    static: Optional[bool] = None
    if_true: Dict[str, Type] = field(default_factory=dict)
    if_false: Dict[str, Type] = field(default_factory=dict)

    def negate(self, b: "ExpressionBuilder") -> "Cond":
        if self.static is not None:
            return Cond(None, not self.static, self.if_false, self.if_true)
        v = b.op_call("operator", "__not__", [Arg(self.value, b.where)], {}, b.where, "not")
        return Cond(v, None, self.if_false, self.if_true)


def _namespace_of(t: Type) -> Optional[str]:
    """Where Python operators and methods on values of type ``t`` are registered."""
    if isinstance(t, TensorType):
        return "Tensor"
    if isinstance(t, ListType):
        return "list"
    if isinstance(t, StrType):
        return "str"
    if isinstance(t, DictType):
        return "dict"
    if is_number(t):
        return "operator"
    if isinstance(t, ScalarTypeType):  # dtypes compare
        return "operator"
    return None


class ExpressionBuilder:
    """Emits expressions into a graph under construction (see :class:`.statements.FunctionBuilder`)."""

    # Comprehensions are loops: :class:`.statements.FunctionBuilder`, which emits loops, defines them.
    comprehension: Callable[..., Value]
    dict_comprehension: Callable[..., Value]

    def __init__(self, source: FunctionSource, compiler: Any):
        self.source = source
        self.compiler = compiler
        self.graph = Graph()
        self.frame: Frame = Frame(self.graph.block, None)
        self.where: Optional[SourceRange] = None
        self.declared: Dict[str, Type] = {}
        self.locals: Set[str] = set()
        self.tuple_fields: Dict[Value, Tuple[str, ...]] = {}
        self.root = self.frame
        self.attr_values: Dict[str, Value] = {}
        self.attr_paths: List[str] = []
        self.mutable_state: Set[str] = set()  # state_var()s of attributes that may be assigned
        self.state_types: Dict[str, Type] = {}
        self.written_paths: List[str] = []  # attributes assigned, in the order of the extra outputs
        self.loop_kinds: List[str] = []
        self.returns: List[Tuple[Type, SourceRange]] = []
        self.unannotated: Dict[Value, str] = {}  # parameters that are Tensors for want of an annotation

    # -- errors -------------------------------------------------------------------------------
    def range(self, node: ast.AST) -> SourceRange:
        return self.source.range(node)

    def span(self, first: ast.AST, last: ast.AST) -> SourceRange:
        """From the start of ``first`` to the end of ``last``."""
        start, end = self.range(first), self.range(last)
        return SourceRange(start.file, start.line, start.col, end.end_line, end.end_col, start.source_line,
                           start.function)

    def error(self, message: str, where: Optional[SourceRange] = None, fix: str = "") -> Any:
        raise ScriptError(message, where or self.where, fix)

    def unsupported(self, node: ast.AST, message: Optional[str] = None, fix: str = "",
                    where: Optional[SourceRange] = None) -> Any:
        name, default_fix = UNSUPPORTED.get(type(node).__name__, (f"{type(node).__name__} nodes", ""))
        raise UnsupportedNodeError(message or f"{name} {'is' if not name.endswith('s') else 'are'} not supported "
                                   "in script functions", where or self.range(node), fix or default_fix)

    def declared_type(self, name: str) -> Optional[Type]:
        """The type a variable was annotated with (``h: Optional[Tensor] = None``), if any;
        for a module attribute's variable, the attribute's type."""
        return self.declared.get(name) or self.state_types.get(name)

    def annotate_hint(self, values: Sequence[Value], wanted: str = "int") -> str:
        """The fix when a value is a Tensor only because its parameter is not annotated."""
        name = next((self.unannotated[v] for v in values if v in self.unannotated), None)
        return f"'{name}' is a Tensor because it is not annotated: annotate it, e.g. `{name}: {wanted}`" \
            if name else ""

    def return_site(self, t: Type) -> Optional[SourceRange]:
        return next((w for rt, w in reversed(self.returns) if rt == t), None)

    # -- emitting nodes -----------------------------------------------------------------------
    def _location(self) -> Optional[SourceLocation]:
        w = self.where
        return SourceLocation(w.file, w.line, w.col + 1, w.end_line, w.end_col, w.function) if w is not None else None

    def insert(self, kind: str, inputs: Sequence[Value], types: Sequence[Type],
               attrs: Optional[Dict[str, Any]] = None) -> Node:
        return self.graph.insert(kind, inputs, types, attrs, source=self._location())

    def constant(self, value: Any, t: Optional[Type] = None) -> Value:
        if value is None:
            t = NONE
        return self.graph.insert_constant(value, t, source=self._location())

    def python_constant(self, value: Any) -> Value:
        """A constant from Python (tuples become prim::TupleConstruct of constants)."""
        if isinstance(value, tuple):
            items = [self.python_constant(v) for v in value]
            return self.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output
        return self.constant(value)

    def attr_input(self, path: str, t: Type) -> Value:
        """The graph input that carries module attribute ``path`` (``fc1.weight``,
        ``training``): added after the method's arguments when first read."""
        v = self.attr_values.get(path)
        if v is None:
            v = self.attr_values[path] = self.graph.add_input(t, f"self.{path}")
            self.attr_paths.append(path)
        return v

    def attribute_value(self, path: str, t: Type) -> Value:
        """The value of module attribute ``path``: the graph input that carries it, or, for an
        attribute that may be assigned (:meth:`may_assign`), what this method last assigned."""
        var = state_var(path)
        if var not in self.mutable_state:
            return self.attr_input(path, t)
        found = self.frame.lookup(var)
        if found is None:
            self.root.assign(var, Binding(self.attr_input(path, t)))
            found = self.frame.lookup(var)
        assert isinstance(found, Binding)
        return found.value

    def may_assign(self, path: str, t: Type) -> None:
        """Attribute ``path`` of type ``t`` may be assigned by this method or one it calls:
        its reads go through a variable (joined at ifs, carried by loops)."""
        self.mutable_state.add(state_var(path))
        self.state_types[state_var(path)] = t

    def assign_attribute(self, path: str, value: Value) -> None:
        """``self.<path> = value`` (type-checked by the caller): the method returns the
        attribute's final value as an extra output, which its caller writes back."""
        self.attribute_value(path, self.state_types.get(state_var(path), value.type))
        if path not in self.written_paths:
            self.written_paths.append(path)
        self.frame.assign(state_var(path), Binding(value, self.where))

    def structural(self, kind: str, inputs: List[Value]) -> Optional[Value]:
        """One of the ops the lowering itself needs (``aten::__range_length``, ``prim::dtype``)."""
        op = registry.resolve(kind, [v.type for v in inputs])
        assert op is not None, f"{kind} is not registered for {[str(v.type) for v in inputs]}"
        outs = emit_op(self, op, inputs, kind, self.where)
        return outs[0] if outs else None

    def op_call(self, namespace: str, name: str, args: List[Arg], kwargs: Dict[str, Arg],
                where: Optional[SourceRange], display: str) -> Value:
        """Call a registry op by its Python name; the result as Python sees it (None for no
        outputs, a tuple for several)."""
        return self.result(call_op(self, namespace, name, args, kwargs, where or self.where, display))

    def result(self, outs: List[Value]) -> Value:
        if not outs:
            return self.constant(None)
        if len(outs) == 1:
            return outs[0]
        tup = self.insert("prim::TupleConstruct", outs, [TupleType([o.type for o in outs])]).output
        op = registry.node_op(outs[0].node)
        names = tuple(r.name for r in op.schema.returns) if op is not None else ()
        if all(names):
            self.tuple_fields[tup] = names
        return tup

    def make_list(self, values: List[Value], elem: Type, fresh: bool = False) -> Value:
        """A list of ``values``: a constant when every element is one and the list is only
        read (an op argument); a ``prim::ListConstruct`` when it may be mutated (``fresh``).
        Elements of a list of a union are cast to it (``prim::ListConstruct`` takes elements
        of one type)."""
        if isinstance(elem, UnionType):
            values = [v if v.type == elem else self.insert("prim::unchecked_cast", [v], [elem]).output
                      for v in values]
        if not fresh and values and all(v.node.kind == "prim::Constant" for v in values) and \
                not isinstance(elem, (TensorType, OptionalType)):
            return self.constant([v.constant for v in values], ListType(elem))
        return self.insert("prim::ListConstruct", values, [ListType(elem)]).output

    def tuple_items(self, v: Value) -> List[Value]:
        if v.node.kind == "prim::TupleConstruct":
            return list(v.node.inputs)
        assert isinstance(v.type, TupleType)
        return list(self.insert("prim::TupleUnpack", [v], list(v.type.elems)).outputs)

    def common_type(self, types: Sequence[Type], where: Optional[SourceRange], what: str) -> Type:
        t: Optional[Type] = types[0] if types else TENSOR
        for u in types[1:]:
            t = unify(t, u) if t is not None else None
        if t is None:
            self.error(f"{what}: elements have different types ("
                       + ", ".join(dict.fromkeys(type_name(u) for u in types)) + ")", where,
                       fix="a list holds values of one type")
        return t

    def constant_int(self, node: ast.expr) -> Optional[int]:
        """The value of an int literal (``3``, ``-1``), else None."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.constant_int(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        return None

    @contextlib.contextmanager
    def in_frame(self, frame: Frame) -> Iterator[Frame]:
        saved_frame, saved_point = self.frame, self.graph.insert_point
        self.frame = frame
        self.graph.set_insert_point(frame.block)
        try:
            yield frame
        finally:
            self.frame = saved_frame
            self.graph.set_insert_point(saved_point)

    # -- dispatch -----------------------------------------------------------------------------
    def emit_expr(self, node: ast.expr) -> Any:
        method: Optional[Callable[[Any], Any]] = getattr(self, f"build_{type(node).__name__}", None)
        if method is None:
            self.unsupported(node)
        saved = self.where
        self.where = self.range(node)
        try:
            return method(node)
        finally:
            self.where = saved

    def emit_value(self, node: ast.expr) -> Value:
        return self.to_value(self.emit_expr(node), self.range(node))

    def to_value(self, x: Any, where: Optional[SourceRange]) -> Value:
        if isinstance(x, Value):
            return x
        if isinstance(x, sugar.Sugar):
            return x.as_value(self, where or self.where)
        raise AssertionError(f"not a value: {x!r}")

    def arg(self, node: ast.expr) -> Arg:
        empty = isinstance(node, ast.List) and not node.elts
        literal = isinstance(node, (ast.List, ast.ListComp, ast.Dict, ast.DictComp))
        return Arg(self.emit_value(node), self.range(node), empty, literal)

    # -- names --------------------------------------------------------------------------------
    def build_Name(self, node: ast.Name) -> Any:
        b = self.frame.lookup(node.id)
        if isinstance(b, Binding):
            return b.value
        if isinstance(b, Undefined):
            self.error(b.message, self.range(node), fix=b.fix)
        if node.id in self.locals:
            self.error(f"local variable '{node.id}' is used before it is assigned", self.range(node),
                       fix=f"assign '{node.id}' before this line, on every path")
        found, obj = self.source.python_value(node.id)
        if not found:
            self.error(f"undefined value {node.id}", self.range(node))
        return sugar.python_value(self, obj, self.range(node), node.id)

    def build_Constant(self, node: ast.Constant) -> Value:
        v = node.value
        if v is Ellipsis or isinstance(v, (bytes, complex)):
            self.error(f"{type(v).__name__} constants are not supported in script functions", self.range(node))
        return self.constant(v)

    def build_Attribute(self, node: ast.Attribute) -> Any:
        base = self.emit_expr(node.value)
        where = self.range(node)
        if isinstance(base, sugar.Sugar):
            return base.attr(self, node.attr, where)
        return self.value_attr(base, node.attr, where)

    def value_attr(self, v: Value, name: str, where: SourceRange) -> Any:
        t = v.type
        if isinstance(t, ClassType):
            return classes.get_attr(self, v, name, where)
        if isinstance(t, InterfaceType):
            return classes.BoundMethod(v, name)
        if isinstance(t, EnumType):
            return classes.enum_attr(self, v, name, where)
        if isinstance(t, NamedTupleType) and name in t.names:
            return self.tuple_items(v)[t.names.index(name)]
        if isinstance(t, TensorType):
            if name == "shape":
                return self.op_call("Tensor", "size", [Arg(v, where)], {}, where, "Tensor.size")
            if name == "ndim":
                return self.op_call("Tensor", "dim", [Arg(v, where)], {}, where, "Tensor.dim")
            if name == "dtype":
                return self.structural("prim::dtype", [v])
            if name == "device":
                return self.structural("prim::device", [v])
            if name == "data":
                return v
            if name == "tolist":
                self.error("Expected type hint for result of tolist()", where,
                           fix="annotate it: `torch.jit.annotate(List[float], x.tolist())` or `li: List[float] = "
                               "x.tolist()`")
            if name in TENSOR_PROPERTIES:
                return TENSOR_PROPERTIES[name](self, v, where)
            if registry.python_overloads("Tensor", name):
                return sugar.OpName("Tensor", name, f"Tensor.{name}", v)
            self.error(f"'Tensor' object has no attribute or method '{name}'", where)
        if isinstance(t, TupleType) and v in self.tuple_fields and name in self.tuple_fields[v]:
            return self.tuple_items(v)[self.tuple_fields[v].index(name)]
        ns = _namespace_of(t)
        if ns == "list" and name == "sort":
            classes.check_ordering(self, v, where)
        if ns in ("list", "str", "dict") and registry.python_overloads(ns, name):
            return sugar.OpName(ns, name, f"{ns}.{name}", v)
        if isinstance(t, OptionalType):
            self.error(f"'{name}' of a value of type {type_name(t)}: it may be None", where,
                       fix="check `is not None` first (the value is then known to be "
                           f"{type_name(t.elem)})")
        self.error(f"'{type_name(t)}' object has no attribute or method '{name}'", where)

    def annotation(self, node: ast.expr) -> Type:
        return annotation_type(node, self.resolve_type_name, self.range)

    def resolve_type_name(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            found, obj = self.source.python_value(node.id)
            if not found and node.id in _TYPE_NAMES:  # TorchScript knows these without an import
                return _TYPE_NAMES[node.id]
            if not found:
                found, obj = self.source.evaluated_annotation(node)
            if not found:
                language = language_names()
                if node.id not in language:
                    self.error(f"Unknown type name {node.id}", self.range(node))
                obj = language[node.id]
            return obj
        if isinstance(node, ast.Attribute):
            base = self.resolve_type_name(node.value)
            if not hasattr(base, node.attr):
                self.error(f"unknown type '{ast.unparse(node)}'", self.range(node))
            return getattr(base, node.attr)
        if isinstance(node, ast.Subscript):  # Tuple[...][...]
            self.error("Subscripted type must be a type identifier", self.range(node))
        if isinstance(node, ast.BinOp):
            symbol = ast.unparse(ast.BinOp(ast.Name("a"), node.op, ast.Name("b")))[2:-2]
            self.error(f"Expression of type {symbol} cannot be used in a type expression", self.range(node))
        self.error(f"unsupported type annotation `{ast.unparse(node)}`", self.range(node))

    def typed_value(self, node: ast.expr, t: Type, variable: Optional[str] = None) -> Value:
        """The value of ``node`` as a ``t``: list and dict literals and comprehensions (``[]``
        and ``{}`` too) take the annotated type when their elements fit it, as in TorchScript.
        ``variable``: the annotated variable, named in the error."""
        where = self.range(node)
        if isinstance(node, (ast.List, ast.ListComp)) and isinstance(t, (UnionType, OptionalType)):
            return self._list_in_union(node, t, where)
        if isinstance(node, (ast.Dict, ast.DictComp)) and isinstance(t, (UnionType, OptionalType)):
            return self._dict_in_union(node, t, where, variable)
        if isinstance(t, OptionalType) and isinstance(node, (ast.List, ast.ListComp, ast.Dict, ast.DictComp)):
            return self.typed_value(node, t.elem, variable)  # a literal is not None: typed by the element type
        if isinstance(node, ast.List) and isinstance(t, ListType):
            try:
                items = [self.typed_value(e, t.elem) for e in node.elts]
            except ScriptError:  # TorchScript names the list, not the element
                self.error(f"List type annotation `{type_name(t)}` did not match the types of the given list "
                           "elements", where)
            return self.insert("prim::ListConstruct", items, [t]).output
        if isinstance(node, ast.Dict) and isinstance(t, DictType) and None not in node.keys:
            items = [self.typed_value(x, u) for k, v in zip(node.keys, node.values)  # type: ignore[arg-type]
                     for x, u in ((k, t.key), (v, t.value))]
            return self.insert("prim::DictConstruct", items, [t]).output
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args and \
                not node.keywords and isinstance(t, (ListType, DictType)):
            callee = self.emit_expr(node.func)
            if isinstance(callee, sugar.Builtin) and callee.name == ("list" if isinstance(t, ListType) else "dict"):
                kind = "prim::ListConstruct" if isinstance(t, ListType) else "prim::DictConstruct"
                return self.insert(kind, [], [t]).output  # list() and dict() take the annotated type
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "tolist" and \
                not node.args and not node.keywords:
            base = self.emit_expr(node.func.value)
            if isinstance(base, Value) and isinstance(base.type, TensorType):
                return self.tolist(base, t, where)
        if isinstance(node, ast.ListComp) and isinstance(t, ListType):
            v = self.comprehension(node, t.elem)
        elif isinstance(node, ast.DictComp) and isinstance(t, DictType):
            v = self.dict_comprehension(node, t)
        elif isinstance(node, (ast.List, ast.ListComp, ast.Dict, ast.DictComp)) and not isinstance(t, AnyType):
            kind = "List" if isinstance(node, (ast.List, ast.ListComp)) else "Dict"
            self.error(f"Expected an annotation of type {kind} but got {type_name(t)}", where)
        else:
            v = self.emit_value(node)
            if isinstance(v.type, NoneType) and isinstance(t, OptionalType):  # None, typed as annotated
                return self.graph.insert_constant(None, t, source=self._location())
        if v.type.is_subtype_of(t):
            return v
        if isinstance(node, ast.ListComp) and isinstance(t, ListType):
            self.error(f"List type annotation `{type_name(t)}` did not match the types of the given list "
                       "elements", where)
        if isinstance(t, DictType) and isinstance(v.type, DictType) and v.type.key != t.key:
            self.error(f"Dict type annotation `{type_name(t)}` did not match the type of an actual key type "
                       f"`{type_name(v.type.key)}`", where)
        if isinstance(t, DictType) and isinstance(v.type, DictType) and not v.type.value.is_subtype_of(t.value) and \
                isinstance(node, (ast.Dict, ast.DictComp, ast.Call)):  # a dict made here, not a variable
            self.error(f"Dict type annotation `{type_name(t)}` did not match the type of an actual value type "
                       f"`{type_name(v.type.value)}`", where)
        if variable is not None:
            self.error(f"Variable '{variable}' is annotated with type {type_name(t)} but is being assigned to a "
                       f"value of type {type_name(v.type)}", where)
        fix = "write a float literal (1.0), or convert with float()" if isinstance(t, FloatType) else ""
        found = "NoneType" if isinstance(v.type, NoneType) else type_name(v.type)
        self.error(f"expected an expression of type {type_name(t)} but found {found}", where, fix=fix)

    def tolist(self, x: Value, t: Type, where: SourceRange) -> Value:
        """``x.tolist()`` typed by an annotation (``torch.jit.annotate(List[float], x.tolist())``):
        nested lists of int, float or bool, as deep as ``x`` has dims (checked when it runs)."""
        dim, elem = 0, t
        while isinstance(elem, ListType):
            dim, elem = dim + 1, elem.elem
        kind = {"int": 0, "float": 1, "bool": 2}.get(str(elem))
        if kind is None:
            self.error(f"{type_name(elem)} is not one of the supported element types for tolist: int, float, bool",
                       where)
        return self.insert("prim::tolist", [x, self.constant(dim), self.constant(kind)], [t]).output

    def dict_type(self, keys: Sequence[Type], values: Sequence[Type], where: SourceRange, what: str,
                  expected: Optional[DictType] = None) -> DictType:
        """The type of a dict with these key and value types: ``Dict[str, Tensor]`` when empty
        (TorchScript's default), the annotation's when given and they fit it."""
        if expected is not None and all(k.is_subtype_of(expected.key) for k in keys) and \
                all(v.is_subtype_of(expected.value) for v in values):
            return expected
        if not keys:
            return expected or DictType(STR, TENSOR)
        key = keys[0]
        if any(k != key for k in keys):
            self.error(f"{what}: keys have different types ("
                       + ", ".join(dict.fromkeys(type_name(k) for k in keys)) + ")", where,
                       fix="a dict's keys have one type")
        if not isinstance(key, DICT_KEYS):
            self.error(f"{what}: dict keys must be str, int, float, bool or Tensor, not {type_name(key)} (Dicts may "
                       f"only contain homogeneous keys, but the type of the first generated key was {type_name(key)})",
                       where)
        value = self.common_type(list(values), where, what)
        return DictType(key, value)

    def _list_in_union(self, node: ast.expr, t: Type, where: SourceRange) -> Value:
        lists = [m for m in union_members(t) if isinstance(m, ListType)]
        if not lists:
            self.error(f"Expected an Union type annotation with an inner List type, but got {type_name(t)}", where)
        if len(lists) == 1:
            return self.typed_value(node, lists[0])
        if isinstance(node, ast.List) and not node.elts:
            self.error(f"Union type annotation `{type_name(t)}` can hold "
                       f"{', '.join(type_name(m) for m in lists)}, but there are multiple possible List type "
                       "candidates in the Union annotation", where)
        if isinstance(node, ast.List):
            values = [self.emit_value(e) for e in node.elts]
            fits = [m for m in lists if all(v.type.is_subtype_of(m.elem) for v in values)]  # type: ignore[attr-defined]
            if fits:
                return self.make_list(values, fits[0].elem, fresh=True)  # type: ignore[attr-defined]
        else:
            v = self.emit_value(node)
            if any(v.type.is_subtype_of(m) for m in lists):
                return v
        raise ScriptError(f"Union type annotation `{type_name(t)}` can hold {', '.join(type_name(m) for m in lists)}, "
                          "but none of those types match the types of the given list elements", where)

    def _dict_in_union(self, node: ast.expr, t: Type, where: SourceRange, variable: Optional[str]) -> Value:
        dicts = [m for m in union_members(t) if isinstance(m, DictType)]
        if not dicts:
            self.error(f"Expected an Union type annotation with an inner Dict type, but got {type_name(t)}", where)
        if len(dicts) == 1:
            try:
                return self.typed_value(node, dicts[0], variable)
            except ScriptError as e:
                raise ScriptError(f"Type annotation was inferred to be `{type_name(dicts[0])}`, but the type of values "
                                  f"given by the dict literal is not its value type ({e.msg})", where) from None
        if isinstance(node, ast.Dict) and not node.keys:
            self.error(f"Union type annotation `{type_name(t)}` can hold {', '.join(type_name(m) for m in dicts)}, "
                       "but there are multiple possible Dict type candidates in the Union annotation", where)
        if isinstance(node, ast.Dict) and None not in node.keys:
            items = [self.emit_value(x) for k, v in zip(node.keys, node.values) for x in (k, v) if x is not None]
            fits = [m for m in dicts if all(x.type.is_subtype_of(m.key if i % 2 == 0 else m.value)  # type: ignore
                                            for i, x in enumerate(items))]
            if fits:
                return self.insert("prim::DictConstruct", items, [fits[0]]).output
        else:
            v = self.emit_value(node)
            if any(v.type.is_subtype_of(m) for m in dicts):
                return v
        raise ScriptError(f"Union type annotation `{type_name(t)}` can hold {', '.join(type_name(m) for m in dicts)}, "
                          "but none of those dict types can hold the types of the given keys and values", where)

    # -- calls ---------------------------------------------------------------------------------
    def build_Call(self, node: ast.Call) -> Any:
        callee = self.emit_expr(node.func)
        where = self.range(node)
        if isinstance(callee, Value) and isinstance(callee.type, (ClassType, InterfaceType)):
            callee = classes.BoundMethod(callee, "__call__")
        if not isinstance(callee, sugar.Sugar):
            self.error(f"a value of type {type_name(callee.type)} is not callable", where)
        result = callee.call(self, sugar.CallSite(self, node, where))
        return self.constant(None) if result is None else result

    def call_function(self, fn: Any, args: List[Arg], kwargs: Dict[str, Arg], extra: List[Value],
                      where: SourceRange, display: str, written: Sequence[str] = (),
                      implicit_self: bool = False) -> Value:
        """``prim::CallFunction`` of a compiled function (or method: ``extra`` are the module
        attributes it reads, ``written`` the paths of those it assigns, whose new values are
        its last outputs), its arguments bound to its signature with Python's rules."""
        params = list(fn.signature.parameters.values())
        bound: Dict[str, Arg] = {}
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(args) > len(positional):
            # TorchScript's words, counting a method's self as it does; a keyword-only parameter
            # left out is what it reports first (foo(x, x) for foo(x, *, y))
            missing = next((p for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty and
                            p.name not in kwargs), None)
            if missing is not None:
                self.error(f"{display}(): Argument {missing.name} not provided", where)
            self_arg = int(implicit_self)
            self.error(f"{display}(): Expected at most {len(positional) + self_arg} arguments but found "
                       f"{len(args) + self_arg} positional arguments", where)
        for p, a in zip(positional, args):
            bound[p.name] = a
        for k, a in kwargs.items():
            p = fn.signature.parameters.get(k)
            if p is None or p.kind == p.POSITIONAL_ONLY:
                self.error(f"{display}() got an unexpected keyword argument '{k}'", a.where)
            if k in bound:
                self.error(f"{display}() got multiple values for argument '{k}'", a.where)
            bound[k] = a
        inputs = []
        for p, formal in zip(params, fn.graph.inputs):
            a = bound.get(p.name)
            if a is None:
                if p.default is p.empty:
                    self.error(f"{display}(): Argument {p.name} not provided", where)
                inputs.append(self.python_constant(p.default))
                continue
            v = a.value
            expected = erase(formal.type)
            as_list = expected.elem if isinstance(expected, OptionalType) else expected
            if isinstance(p.annotation, BroadcastList) and isinstance(as_list, ListType) and \
                    not isinstance(v.type, (ListType, TupleType)) and v.type.is_subtype_of(as_list.elem):
                v = self.make_list([v] * p.annotation.n, as_list.elem, fresh=True)  # one number for all
            if a.empty_list and isinstance(expected, ListType):
                v = self.insert("prim::ListConstruct", [], [expected]).output
            elif isinstance(as_list, ListType) and isinstance(v.type, TupleType) and \
                    all(e.is_subtype_of(as_list.elem) for e in v.type.elems):  # a tuple passed for a list
                v = self.make_list(self.tuple_items(v), as_list.elem, fresh=True)
            elif isinstance(expected, FloatType) and isinstance(v.type, IntType):
                v = self.op_call("builtins", "float", [a], {}, a.where, "float")
            elif a.literal and _literal_fits(v.type, expected):
                v.type = expected  # built for this call, nothing else holds it: it takes the parameter's type
            elif isinstance(v.type, TupleType) and _list_of(expected) is not None and \
                    all(e.is_subtype_of(_list_of(expected).elem) for e in v.type.elems):  # type: ignore[union-attr]
                v = self.make_list(self.tuple_items(v), _list_of(expected).elem, fresh=True)  # type: ignore[union-attr]
            elif not v.type.is_subtype_of(expected):
                classes.check_interface(self, v, expected, a.where)
                self.error(f"{display}(): Expected a value of type '{type_name(expected)}' for argument "
                           f"'{p.name}' but instead found type '{type_name(v.type)}'", a.where,
                           fix=self.annotate_hint([v], type_name(expected)))
            inputs.append(v)
        sub = fn.graph.copy()
        for v in sub.inputs:  # a traced callee's inputs are refined (Float(*, *)); calls pass any Tensor
            v.type = erase(v.type)
        node = self.insert("prim::CallFunction", inputs + extra, [erase(o.type) for o in sub.outputs],
                           {"name": display, "Subgraph": sub})
        returned = len(node.outputs) - len(written)
        for path, v in zip(written, node.outputs[returned:]):
            self.assign_attribute(path, v)
        return self.result(node.outputs[:returned])

    # -- operators -----------------------------------------------------------------------------
    def build_BinOp(self, node: ast.BinOp) -> Value:
        dunder, _ = _BINOPS[type(node.op)]
        return self.binop(dunder, self.emit_value(node.left), self.emit_value(node.right))

    def binop(self, dunder: str, left: Value, right: Value) -> Value:
        """``left <op> right`` with Python's protocol: the left operand's method, then the
        right operand's reflected one (for comparisons, the swapped comparison)."""
        where = self.where
        lt, rt = left.type, right.type
        if isinstance(lt, (ClassType, InterfaceType)):
            return classes.magic(self, left, dunder, [right], where, SYMBOLS.get(dunder, dunder))
        if isinstance(lt, EnumType) or isinstance(rt, EnumType):
            r = classes.enum_compare(self, dunder, left, right)
            if r is not None:
                return r
        if isinstance(lt, TupleType) or (isinstance(rt, TupleType) and not isinstance(lt, StrType)):
            return self.tuple_binop(dunder, left, right)  # not `"%s %s" % (a, b)`
        if isinstance(lt, TensorType) or isinstance(rt, TensorType):
            attempts = []
            if isinstance(lt, TensorType):
                attempts.append((dunder, [left, right]))
            if isinstance(rt, TensorType):
                if dunder in _SWAPPED:  # 1.0 < x is x > 1.0
                    attempts.append((_SWAPPED[dunder], [right, left]))
                else:  # reflected schemas take (other, self): 2 * x is __rmul__(2, x)
                    attempts.append(("__r" + dunder[2:], [left, right]))
            for name, values in attempts:
                args = [Arg(v, where) for v in values]
                if not isinstance(resolve_call("Tensor", name, args, {}), str):
                    return self.op_call("Tensor", name, args, {}, where, SYMBOLS.get(dunder, dunder))
            return self._bad_operands(dunder, left, right)
        if dunder == "__pow__" and _int_constants(left, right) and right.constant < 0 and left.constant != 0:
            return self.constant(left.constant ** right.constant)  # 2 ** -2: a float, known when scripting
        args = [Arg(left, where), Arg(right, where)]
        ns = _namespace_of(lt)
        if ns == "operator" and isinstance(rt, ListType) and dunder == "__mul__":  # 2 * [1]: list.__rmul__
            ns, dunder, args = "list", "__rmul__", args[::-1]
        if ns is None or (ns == "operator" and is_number(lt) and not is_number(rt)) or \
                isinstance(resolve_call(ns, dunder, args, {}), str):
            return self._bad_operands(dunder, left, right)
        return self.op_call(ns, dunder, args, {}, where, SYMBOLS.get(dunder, dunder))

    def tuple_binop(self, dunder: str, left: Value, right: Value) -> Value:
        """Operators on tuples, whose lengths are known when scripting: ``+`` and ``*`` by a
        constant build the result's elements; comparisons compare the elements in order, as
        Python does (``==`` of tuples of different lengths is False)."""
        lt, rt = left.type, right.type
        if dunder == "__mul__" and isinstance(rt, TupleType) and isinstance(lt, IntType):
            left, right, lt, rt = right, left, rt, lt
        if dunder == "__mul__" and isinstance(lt, TupleType) and isinstance(rt, IntType):
            if right.node.kind != "prim::Constant":
                self.error("a tuple can only be repeated a constant number of times in script functions (the "
                           "result's type depends on it)", self.where)
            items = self.tuple_items(left) * max(0, right.constant)
            return self.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output
        if not (isinstance(lt, TupleType) and isinstance(rt, TupleType)):
            return self._bad_operands(dunder, left, right)
        a, b = self.tuple_items(left), self.tuple_items(right)
        if dunder == "__add__":
            return self.insert("prim::TupleConstruct", a + b, [TupleType([v.type for v in a + b])]).output
        if dunder in ("__eq__", "__ne__"):
            if len(a) != len(b):
                return self.constant(dunder == "__ne__")
            same = self.constant(True)
            for x, y in reversed(list(zip(a, b))):
                same = self._first_differing(self._element_compare("__eq__", x, y), same, self.constant(False))
            if dunder == "__eq__":
                return same
            return self.op_call("operator", "__not__", [Arg(same, self.range_or_here())], {}, self.where, "!=")
        if dunder in ("__lt__", "__le__", "__gt__", "__ge__"):
            # at the first elements that differ, they decide; if one tuple runs out, lengths do
            result = self.constant(_LENGTH_ORDER[dunder](len(a), len(b)))
            strict = "__lt__" if dunder in ("__lt__", "__le__") else "__gt__"
            for x, y in reversed(list(zip(a, b))):
                eq = self._element_compare("__eq__", x, y)
                result = self._first_differing(eq, result, self._element_compare(strict, x, y))
            return result
        return self._bad_operands(dunder, left, right)

    def _first_differing(self, equal: Value, rest: Value, here: Value) -> Value:
        """``rest if equal else here``: what the comparison of the elements after these says
        when these are equal, else what these say."""
        return self.emit_branches(equal, lambda: rest, lambda: here, {}, {})

    def range_or_here(self) -> SourceRange:
        assert self.where is not None
        return self.where

    def _element_compare(self, dunder: str, x: Value, y: Value) -> Value:
        r = self.binop(dunder, x, y)
        if not isinstance(r.type, BoolType):
            self.error(f"{SYMBOLS.get(dunder, dunder)} of tuples compares their items as bools, but "
                       f"{type_name(x.type)} {SYMBOLS.get(dunder, dunder)} {type_name(y.type)} is a "
                       f"{type_name(r.type)}", self.where)
        return r

    def _bad_operands(self, dunder: str, left: Value, right: Value) -> Any:
        lt, rt = left.type, right.type
        if isinstance(lt, OptionalType) or isinstance(rt, OptionalType):
            fix = "an Optional value may be None: check `is not None` first"
        elif isinstance(lt, StrType) or isinstance(rt, StrType):
            fix = "format values into strings with f-strings or str()"
        else:
            fix = self.annotate_hint([left, right])
        self.error("Arguments for call are not valid: unsupported operand types for "
                   f"{SYMBOLS.get(dunder, dunder)}: {type_name(lt)} and "
                   f"{type_name(rt)}", self.where, fix=fix)

    def build_UnaryOp(self, node: ast.UnaryOp) -> Value:
        if isinstance(node.op, ast.Not):
            return self.cond_value(self.emit_cond(node))
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant) and \
                isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            return self.constant(-node.operand.value if isinstance(node.op, ast.USub) else node.operand.value)
        v = self.emit_value(node.operand)
        if isinstance(node.op, ast.UAdd) and (is_number(v.type) or isinstance(v.type, TensorType)):
            return v
        name = {ast.USub: "__neg__", ast.Invert: "__invert__", ast.UAdd: "__pos__"}[type(node.op)]
        if isinstance(v.type, (ClassType, InterfaceType)):
            return classes.magic(self, v, name, [], self.where, name)
        ns = "Tensor" if isinstance(v.type, TensorType) else "operator"
        found = resolve_call(ns, name, [Arg(v, self.where)], {})
        if isinstance(found, str):
            symbol = {"__neg__": "-", "__invert__": "~", "__pos__": "+"}[name]
            self.error(f"bad operand type for unary {symbol}: {type_name(v.type)}", self.where)
        return self.op_call(ns, name, [Arg(v, self.where)], {}, self.where, name)

    def build_Compare(self, node: ast.Compare) -> Value:
        none_test = self._none_test(node)
        if none_test is not None:
            return self.cond_value(none_test)
        pairs = list(zip(node.ops, node.comparators))
        if _empty_list(node.left) and len(pairs) == 1:  # [] == x: the literal takes x's list type
            right = self.emit_value(pairs[0][1])
            return self.compare(pairs[0][0], self._empty_like(right), right, self.range(node))
        left = self.emit_expr(node.left)
        if len(pairs) == 1 and not _empty_list(pairs[0][1]):  # `is` and `in` may compare modules
            right = self.emit_expr(node.comparators[0])
            where = self.span(node, node.comparators[0])
            if isinstance(left, sugar.Sugar) or isinstance(right, sugar.Sugar):
                return sugar.compare_modules(self, node.ops[0], left, right, where)
            return self.compare(node.ops[0], left, right, where)
        return self._chain(self.to_value(left, self.range(node.left)), pairs, node)

    def _empty_like(self, other: Value) -> Value:
        """``[]`` compared with a list is a list of its type, as TorchScript types it."""
        t = other.type if isinstance(other.type, ListType) else ListType(TENSOR)
        return self.insert("prim::ListConstruct", [], [t]).output

    def compare(self, op: ast.cmpop, left: Value, right: Value, where: SourceRange) -> Value:
        if isinstance(op, (ast.In, ast.NotIn)):
            r = self.contains(right, left, where)
            return self.op_call("operator", "__not__", [Arg(r, where)], {}, where, "not in") \
                if isinstance(op, ast.NotIn) else r
        if isinstance(op, (ast.Is, ast.IsNot)):
            negate = isinstance(op, ast.IsNot)
            lt, rt = left.type, right.type
            if isinstance(lt, (ListType, DictType)) and lt == rt:  # the same list (or dict) object?
                return self.op_call("operator", "is_not" if negate else "is_", [Arg(left, where), Arg(right, where)],
                                    {}, where, "is")
            if not (lt.is_subtype_of(rt) or rt.is_subtype_of(lt)) and not isinstance(lt, AnyType) and \
                    not isinstance(rt, AnyType) and not (isinstance(lt, OptionalType) or isinstance(rt, OptionalType)):
                return self.constant(negate)  # values of unrelated types are never the same object
            if not (isinstance(lt, BoolType) and isinstance(rt, BoolType)):
                self.error("`is` compares only with None in script functions", where, fix="use == for values")
            # True and False are singletons: on bools `is` is `==`, as TorchScript normalizes it
            op = ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()
        dunder, symbol = _COMPARE[type(op)]
        saved, self.where = self.where, where
        try:
            return self.binop(dunder, left, right)
        finally:
            self.where = saved

    def contains(self, container: Value, item: Value, where: SourceRange) -> Value:
        t = container.type
        if isinstance(t, (ClassType, InterfaceType)):
            return classes.magic(self, container, "__contains__", [item], where, "in")
        if isinstance(t, TupleType):
            items = self.tuple_items(container)
            if not items:
                return self.constant(False)
            elem = self.common_type([v.type for v in items] + [item.type], where, "`in` a tuple")
            container, t = self.make_list(items, elem), ListType(elem)
        ns = _namespace_of(t)
        if ns in ("list", "str", "dict"):
            found = resolve_call(ns, "__contains__", [Arg(container, where), Arg(item, where)], {})
            if not isinstance(found, str):
                return self.op_call(ns, "__contains__", [Arg(container, where), Arg(item, where)], {}, where, "in")
        self.error(f"`in` is not supported for {type_name(item.type)} in {type_name(t)}", where,
                   fix="`in` works on lists of int, float, bool or str, tuples, and strings")

    # -- conditions ----------------------------------------------------------------------------
    def emit_cond(self, node: ast.expr, strict: bool = False) -> Cond:
        """A condition, with what it tells about Optional variables. ``strict`` (a value
        context): operands of and/or/not must be bool, since Python would return them as is."""
        saved = self.where
        self.where = self.range(node)
        try:
            return self._cond(node, strict)
        finally:
            self.where = saved

    def _cond(self, node: ast.expr, strict: bool) -> Cond:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.emit_cond(node.operand).negate(self)  # `not x` is a bool whatever x is
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node, strict)
        if isinstance(node, ast.Compare):
            none_test = self._none_test(node)
            if none_test is not None:
                return none_test
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and \
                isinstance(self.emit_expr(node.func), sugar.IsInstance):
            return self.isinstance_cond(node)
        v = self.emit_value(node)
        if strict and not isinstance(v.type, BoolType):
            self.error(f"`and`, `or` and `not` need bool operands in script functions, got {type_name(v.type)}",
                       self.range(node), fix="Python would return the operand itself: write bool(...) to compare "
                                             "truth values")
        return self.truth(v, self.range(node))

    def truth(self, v: Value, where: SourceRange) -> Cond:
        """``bool(v)`` as a condition."""
        t = v.type
        if isinstance(t, BoolType):
            # a constant (a module's Final flag): only the branch it takes is compiled
            return Cond(None, v.constant) if v.node.kind == "prim::Constant" else Cond(v)
        if isinstance(t, NoneType):
            return Cond(None, False)
        if isinstance(t, (ClassType, InterfaceType)):
            return Cond(classes.truth(self, v, where))
        if isinstance(t, TupleType):
            return Cond(None, bool(t.elems))
        if isinstance(t, (TensorType, IntType, FloatType, NumberType)):
            return Cond(self.op_call("builtins", "bool", [Arg(v, where)], {}, where, "bool"))
        if isinstance(t, (ListType, StrType, DictType)):
            n = self.op_call("builtins", "len", [Arg(v, where)], {}, where, "len")
            return Cond(self.binop("__ne__", n, self.constant(0)))
        if isinstance(t, OptionalType):
            self.error(f"a value of type {type_name(t)} cannot be used as a condition", where,
                       fix="compare it with None: `if x is not None:`")
        self.error(f"a value of type {type_name(t)} cannot be used as a condition", where)

    def cond_value(self, c: Cond) -> Value:
        return self.constant(c.static) if c.static is not None else c.value

    def _bool_op(self, node: ast.BoolOp, strict: bool) -> Cond:
        is_and = isinstance(node.op, ast.And)
        first = self.emit_cond(node.values[0], strict)
        rest = node.values[1:]
        if not rest:
            return first
        if first.static is not None:
            if first.static == is_and:  # True and ...; False or ...
                refined = first.if_true if is_and else first.if_false
                with self._refined(refined):
                    tail = self._bool_op(ast.BoolOp(op=node.op, values=rest), strict) if len(rest) > 1 else \
                        self.emit_cond(rest[0], strict)
                return tail
            return first

        def tail() -> Cond:
            if len(rest) == 1:
                return self.emit_cond(rest[0], strict)
            sub = ast.BoolOp(op=node.op, values=rest)
            ast.copy_location(sub, rest[0])
            sub.end_lineno, sub.end_col_offset = node.end_lineno, node.end_col_offset
            return self._bool_op(sub, strict)

        conds: List[Cond] = []

        def run_tail() -> Value:
            c = tail()
            conds.append(c)
            return self.cond_value(c)

        short = lambda: self.constant(not is_and)  # noqa: E731 - the short-circuit result
        if is_and:
            v = self.emit_branches(first.value, run_tail, short, first.if_true, first.if_false)
            return Cond(v, None, {**first.if_true, **conds[0].if_true}, {})
        v = self.emit_branches(first.value, short, run_tail, first.if_true, first.if_false)
        return Cond(v, None, {}, {**first.if_false, **conds[0].if_false})

    @contextlib.contextmanager
    def _refined(self, refinements: Dict[str, Type]) -> Iterator[None]:
        """Emit in a frame (same block) where ``refinements`` hold."""
        if not refinements:
            yield
            return
        frame = Frame(self.frame.block, self.frame)
        saved = self.frame
        self.frame = frame
        try:
            for name, t in refinements.items():
                refine(self, frame, name, t)
            yield
        finally:
            self.frame = saved

    def emit_branches(self, cond: Value, then: Callable[[], Any], orelse: Callable[[], Any],
                      refine_then: Dict[str, Type], refine_else: Dict[str, Type]) -> Value:
        """``prim::If`` whose two blocks compute one value each (a conditional expression)."""
        node = self.insert("prim::If", [cond], [])
        results = []
        for fn, refinements in ((then, refine_then), (orelse, refine_else)):
            frame = Frame(node.add_block(), self.frame)
            with self.in_frame(frame):
                for name, t in refinements.items():
                    refine(self, frame, name, t)
                results.append((frame, self.to_value(fn(), self.where)))
        t = unify(results[0][1].type, results[1][1].type)
        if t is None:
            self.error(f"the two branches of this expression have different types: "
                       f"{type_name(results[0][1].type)} and {type_name(results[1][1].type)}", self.where)
        out = node.add_output(t)
        for frame, v in results:
            frame.block.register_output(v)
        return out

    def _chain(self, left: Value, pairs: List[Tuple[ast.cmpop, ast.expr]], node: ast.Compare) -> Value:
        """``a < b < c`` is ``a < b and b < c`` with ``b`` evaluated once; a single comparison
        of tensors stays a tensor."""
        op, right_node = pairs[0]
        right = self._empty_like(left) if _empty_list(right_node) else self.emit_value(right_node)
        where = self.span(node, right_node)
        r = self.compare(op, left, right, where)
        if len(pairs) == 1:
            return r
        if not isinstance(r.type, BoolType):
            self.error(f"chained comparisons of {type_name(left.type)} and {type_name(right.type)} are not "
                       "supported in script functions", where, fix="split them with `and`")
        return self.emit_branches(r, lambda: self._chain(right, pairs[1:], node), lambda: self.constant(False),
                                  {}, {})

    def _none_test(self, node: ast.Compare) -> Optional[Cond]:
        """``x is None``, ``x is not None``, ``x == None``, ``x != None`` (either side)."""
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)):
            return None
        left, right = node.left, node.comparators[0]
        if _is_none(left):
            left, right = right, left
        if not _is_none(right):
            return None
        is_none = isinstance(node.ops[0], (ast.Is, ast.Eq))
        x = self.emit_expr(left)
        if isinstance(x, sugar.Sugar):
            return Cond(None, not is_none)
        t = x.type
        if isinstance(t, NoneType):
            return Cond(None, is_none)
        if isinstance(t, UnionType) and NONE in t.types:  # Union[int, str, None]: like an Optional
            t = OptionalType(union_of([m for m in t.types if m != NONE]))
        if not isinstance(t, OptionalType):
            if isinstance(node.ops[0], (ast.Eq, ast.NotEq)) and isinstance(t, TensorType):
                return None  # tensor == None is elementwise in PyTorch: leave it to the op
            return Cond(None, not is_none)
        where = self.range(node)
        name = "is_" if is_none else "is_not"
        v = self.op_call("operator", name, [Arg(x, where), Arg(self.constant(None), where)], {}, where, name)
        refinements = {left.id: t.elem} if isinstance(left, ast.Name) else {}
        return Cond(v, None, {} if is_none else refinements, refinements if is_none else {})

    def isinstance_cond(self, node: ast.Call) -> Cond:
        """``isinstance(x, T)`` (and ``torch.jit.isinstance``): known from ``x``'s type when
        every member of it (of a Union, of an Optional: the element and None) is a ``T`` or
        none is; else a run-time test (``prim::isinstance``, or ``x is not None`` for an
        Optional whose element is the one that is) that refines ``x`` on both branches to the
        members it holds there."""
        if len(node.args) != 2 or node.keywords:
            self.error("isinstance(x, type) takes two arguments", self.range(node))
        x = self.emit_expr(node.args[0])
        targets = [m for o in _flat_options(node.args[1]) for m in union_members(_isinstance_type(self, o))]
        if isinstance(x, sugar.Sugar):
            return Cond(None, False)
        split = isinstance_split(x.type, targets)
        name = node.args[0].id if isinstance(node.args[0], ast.Name) else None
        where = self.range(node)
        if split is None:  # Any: only the value knows
            if any(isinstance(u, AnyType) for u in targets):
                return Cond(None, True)
            v = self.insert("prim::isinstance", [x], [BOOL], {"types": targets}).output
            return Cond(v, None, {name: union_of(targets)} if name else {}, {})
        yes, no = split
        if not no or not yes:
            return Cond(None, bool(yes))
        if isinstance(x.type, OptionalType) and no == (NONE,):
            v = self.op_call("operator", "is_not", [Arg(x, where), Arg(self.constant(None), where)], {}, where,
                             "isinstance")
        else:
            v = self.insert("prim::isinstance", [x], [BOOL], {"types": targets}).output
        return Cond(v, None, {name: union_of(yes)} if name else {}, {name: union_of(no)} if name else {})

    def build_BoolOp(self, node: ast.BoolOp) -> Value:
        return self.cond_value(self.emit_cond(node, strict=True))

    def build_IfExp(self, node: ast.IfExp) -> Any:
        c = self.emit_cond(node.test)
        if c.static is not None:
            with self._refined(c.if_true if c.static else c.if_false):
                return self.emit_expr(node.body if c.static else node.orelse)
        return self.emit_branches(c.value, lambda: self.emit_expr(node.body), lambda: self.emit_expr(node.orelse),
                                  c.if_true, c.if_false)

    # -- containers -----------------------------------------------------------------------------
    def build_List(self, node: ast.List) -> Value:
        values = [self.emit_value(e) for e in node.elts]
        joined: Optional[Type] = values[0].type if values else TENSOR
        for v in values[1:]:
            joined = unify(joined, v.type) if joined is not None else None
        # elements of different types: a list of their union, as TorchScript types it
        elem = joined if joined is not None else union_of([v.type for v in values])
        return self.make_list(values, elem, fresh=True)

    def build_Dict(self, node: ast.Dict) -> Value:
        if None in node.keys:
            self.error("`**` unpacking in dict literals is not supported in script functions", self.range(node),
                       fix="copy the dict and update() it")
        items = [self.emit_value(e) for kv in zip(node.keys, node.values) for e in kv]  # type: ignore[arg-type]
        t = self.dict_type([v.type for v in items[0::2]], [v.type for v in items[1::2]], self.range(node),
                           "dict literal")
        return self.insert("prim::DictConstruct", items, [t]).output

    def build_DictComp(self, node: ast.DictComp) -> Value:
        return self.dict_comprehension(node)

    def build_Tuple(self, node: ast.Tuple) -> Any:
        items = [self.emit_expr(e) for e in node.elts]
        if any(isinstance(x, sugar.Sugar) for x in items):
            return sugar.StaticTuple(items)
        return self.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output

    def build_Subscript(self, node: ast.Subscript) -> Any:
        base = self.emit_expr(node.value)
        where = self.range(node)
        if isinstance(base, sugar.Sugar):
            return base.getitem(self, node.slice, where)
        if isinstance(base.type, (ClassType, InterfaceType)):
            return classes.magic(self, base, "__getitem__", [self.emit_value(node.slice)], where, "x[i]")
        return subscripts.getitem(self, base, node.slice, where)

    def build_JoinedStr(self, node: ast.JoinedStr) -> Value:
        """f-strings: ``aten::format`` of a format string in TorchScript's grammar (only
        ``{}`` placeholders) and the values. Text holding braces is passed as a value, not
        written into the format string. Conversions (``!r``) and format specs (``:.2f``) are
        not supported, as in TorchScript."""
        if all(isinstance(part, ast.Constant) for part in node.values):
            return self.constant("".join(str(part.value) for part in node.values))
        fmt, args = [], []
        for part in node.values:
            if isinstance(part, ast.Constant) and not any(c in str(part.value) for c in "{}"):
                fmt.append(str(part.value))
                continue
            fmt.append("{}")
            if isinstance(part, ast.Constant):
                args.append(Arg(self.constant(str(part.value)), self.range(node)))
                continue
            assert isinstance(part, ast.FormattedValue)
            if part.conversion != -1 or part.format_spec is not None:
                what = "conversions (!r, !s, !a)" if part.conversion != -1 else "format specs (like :.2f)"
                self.error(f"f-string {what} are not supported", self.range(part),
                           fix="format the value separately, for example with str() or round()")
            args.append(self.arg(part.value))
        where = self.range(node)
        return self.op_call("str", "format", [Arg(self.constant("".join(fmt)), where)] + args, {}, where, "f-string")

    def build_ListComp(self, node: ast.ListComp) -> Value:
        return self.comprehension(node)


def _literal_fits(t: Type, expected: Type) -> bool:
    """Can a list or dict literal of type ``t`` be typed ``expected`` (its elements fit)?"""
    if isinstance(t, ListType) and isinstance(expected, ListType):
        return t.elem.is_subtype_of(expected.elem)
    if isinstance(t, DictType) and isinstance(expected, DictType):
        return t.key == expected.key and t.value.is_subtype_of(expected.value)
    return False


def _empty_list(node: ast.expr) -> bool:
    return isinstance(node, ast.List) and not node.elts


def _int_constants(*values: Value) -> bool:
    return all(v.node.kind == "prim::Constant" and isinstance(v.type, IntType) for v in values)


def _list_of(t: Type) -> Optional[ListType]:
    """The list type a parameter of type ``t`` takes (a tuple passed there becomes one)."""
    t = t.elem if isinstance(t, OptionalType) else t
    return t if isinstance(t, ListType) else None


# Type names a type comment or string annotation may use unimported, as in TorchScript
_TYPE_NAMES = {"Tensor": Tensor, "List": typing.List, "Tuple": typing.Tuple, "Optional": typing.Optional,
               "Union": typing.Union, "Any": typing.Any, "Dict": typing.Dict,
               **{f"BroadcastingList{n}": BroadcastingList(n) for n in (1, 2, 3)}}


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _flat_options(target: ast.expr) -> List[ast.expr]:
    """The types of ``isinstance(x, (int, (float,), list))``: tuples nest, as in Python."""
    if isinstance(target, ast.Tuple):
        return [o for e in target.elts for o in _flat_options(e)]
    return [target]


def _isinstance_type(b: ExpressionBuilder, node: ast.expr) -> Type:
    obj = b.resolve_type_name(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if obj is list:
        return ListType(ANY)
    if obj is typing.Dict:
        b.error("Attempted to use Dict without contained types. Please add contained type, e.g. Dict[int, int]",
                b.range(node))
    if obj is tuple:
        return TupleType([])
    if obj is dict:
        return DictType(ANY, ANY)
    return b.annotation(node)

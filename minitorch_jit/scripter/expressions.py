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
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from minitorch_jit.ir import Graph, Node, SourceLocation, Value, registry
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType
from minitorch_jit.ir.types import (
    NONE,
    TENSOR,
    AnyType,
    BoolType,
    FloatType,
    IntType,
    ListType,
    NoneType,
    NumberType,
    OptionalType,
    StrType,
    TensorType,
    TupleType,
    Type,
    unify,
)

from . import classes, subscripts, sugar
from .calls import Arg, call_op, emit_op, resolve_call
from .environment import Binding, Frame, Undefined
from .errors import ScriptError, SourceRange, UnsupportedNodeError
from .source import FunctionSource
from .ssa import refine
from .types import annotation_type, erase, is_number, type_name

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
    "Dict": ("dict literals", ""),
    "Set": ("set literals", ""),
    "DictComp": ("dict comprehensions", ""),
    "SetComp": ("set comprehensions", ""),
    "Delete": ("del statements", "script functions do not need del"),
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
    if is_number(t):
        return "operator"
    return None


class ExpressionBuilder:
    """Emits expressions into a graph under construction (see :class:`.statements.FunctionBuilder`)."""

    def __init__(self, source: FunctionSource, compiler: Any):
        self.source = source
        self.compiler = compiler
        self.graph = Graph()
        self.frame: Frame = Frame(self.graph.block, None)
        self.where: Optional[SourceRange] = None
        self.declared: Dict[str, Type] = {}
        self.locals: Set[str] = set()
        self.tuple_fields: Dict[Value, Tuple[str, ...]] = {}
        self.attr_values: Dict[str, Value] = {}
        self.attr_paths: List[str] = []
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
        """The type a variable was annotated with (``h: Optional[Tensor] = None``), if any."""
        return self.declared.get(name)

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
        return SourceLocation(w.file, w.line, w.col + 1) if w is not None else None

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
        read (an op argument); a ``prim::ListConstruct`` when it may be mutated (``fresh``)."""
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
        return Arg(self.emit_value(node), self.range(node), empty)

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
            self.error(f"undefined name '{node.id}'", self.range(node))
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
            if name == "data":
                return v
            if registry.python_overloads("Tensor", name):
                return sugar.OpName("Tensor", name, f"Tensor.{name}", v)
            self.error(f"Tensor has no attribute or method '{name}' in script functions", where)
        if isinstance(t, TupleType) and v in self.tuple_fields and name in self.tuple_fields[v]:
            return self.tuple_items(v)[self.tuple_fields[v].index(name)]
        ns = _namespace_of(t)
        if ns == "list" and name == "sort":
            classes.check_ordering(self, v, where)
        if ns in ("list", "str") and registry.python_overloads(ns, name):
            return sugar.OpName(ns, name, f"{ns}.{name}", v)
        if isinstance(t, OptionalType):
            self.error(f"'{name}' of a value of type {type_name(t)}: it may be None", where,
                       fix="check `is not None` first (the value is then known to be "
                           f"{type_name(t.elem)})")
        self.error(f"{type_name(t)} has no attribute '{name}' in script functions", where)

    def annotation(self, node: ast.expr) -> Type:
        return annotation_type(node, self.resolve_type_name, self.range)

    def resolve_type_name(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            found, obj = self.source.python_value(node.id)
            if not found:
                found, obj = self.source.evaluated_annotation(node)
            if not found:
                self.error(f"unknown type '{node.id}'", self.range(node))
            return obj
        if isinstance(node, ast.Attribute):
            base = self.resolve_type_name(node.value)
            if not hasattr(base, node.attr):
                self.error(f"unknown type '{ast.unparse(node)}'", self.range(node))
            return getattr(base, node.attr)
        self.error(f"unsupported type annotation `{ast.unparse(node)}`", self.range(node))

    def typed_value(self, node: ast.expr, t: Type) -> Value:
        """The value of ``node`` as a ``t`` (``[]`` and ``None`` take the annotated type)."""
        where = self.range(node)
        if isinstance(node, ast.List) and not node.elts and isinstance(t, ListType):
            return self.insert("prim::ListConstruct", [], [t]).output
        if isinstance(node, ast.List) and isinstance(t, ListType):  # elements of the annotated type
            items = [self.typed_value(e, t.elem) for e in node.elts]
            return self.insert("prim::ListConstruct", items, [t]).output
        v = self.emit_value(node)
        if isinstance(v.type, NoneType) and isinstance(t, OptionalType):  # None, typed as annotated
            return self.graph.insert_constant(None, t, source=self._location())
        if v.type.is_subtype_of(t):
            return v
        fix = "write a float literal (1.0), or convert with float()" if isinstance(t, FloatType) else ""
        self.error(f"expected a value of type {type_name(t)}, got {type_name(v.type)}", where, fix=fix)

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
                      where: SourceRange, display: str) -> Value:
        """``prim::CallFunction`` of a compiled function (or method: ``extra`` are the module
        attributes it reads), its arguments bound to its signature with Python's rules."""
        params = list(fn.signature.parameters.values())
        bound: Dict[str, Arg] = {}
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(args) > len(positional):
            self.error(f"{display}() takes {len(positional)} positional argument{'s' * (len(positional) != 1)} "
                       f"but {len(args)} were given", where)
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
                    self.error(f"{display}() missing required argument '{p.name}'", where)
                inputs.append(self.python_constant(p.default))
                continue
            v = a.value
            expected = erase(formal.type)
            if a.empty_list and isinstance(expected, ListType):
                v = self.insert("prim::ListConstruct", [], [expected]).output
            elif isinstance(expected, FloatType) and isinstance(v.type, IntType):
                v = self.op_call("builtins", "float", [a], {}, a.where, "float")
            elif not v.type.is_subtype_of(expected):
                classes.check_interface(self, v, expected, a.where)
                self.error(f"{display}() expected a value of type {type_name(expected)} for argument "
                           f"'{p.name}' but got {type_name(v.type)}", a.where,
                           fix=self.annotate_hint([v], type_name(expected)))
            inputs.append(v)
        sub = fn.graph.copy()
        for v in sub.inputs:  # a traced callee's inputs are refined (Float(*, *)); calls pass any Tensor
            v.type = erase(v.type)
        node = self.insert("prim::CallFunction", inputs + extra, [erase(o.type) for o in sub.outputs],
                           {"name": display, "Subgraph": sub})
        return self.result(node.outputs)

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
        args = [Arg(left, where), Arg(right, where)]
        ns = _namespace_of(lt)
        if ns is None or (ns == "operator" and not is_number(rt)) or \
                isinstance(resolve_call(ns, dunder, args, {}), str):
            return self._bad_operands(dunder, left, right)
        return self.op_call(ns, dunder, args, {}, where, SYMBOLS.get(dunder, dunder))

    def _bad_operands(self, dunder: str, left: Value, right: Value) -> Any:
        lt, rt = left.type, right.type
        if isinstance(lt, OptionalType) or isinstance(rt, OptionalType):
            fix = "an Optional value may be None: check `is not None` first"
        elif isinstance(lt, StrType) or isinstance(rt, StrType):
            fix = "format values into strings with f-strings or str()"
        else:
            fix = self.annotate_hint([left, right])
        self.error(f"unsupported operand types for {SYMBOLS.get(dunder, dunder)}: {type_name(lt)} and "
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
        return self._chain(self.emit_value(node.left), list(zip(node.ops, node.comparators)), node)

    def compare(self, op: ast.cmpop, left: Value, right: Value, where: SourceRange) -> Value:
        if isinstance(op, (ast.In, ast.NotIn)):
            r = self.contains(right, left, where)
            return self.op_call("operator", "__not__", [Arg(r, where)], {}, where, "not in") \
                if isinstance(op, ast.NotIn) else r
        if isinstance(op, (ast.Is, ast.IsNot)):
            self.error("`is` compares only with None in script functions", where, fix="use == for values")
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
        if ns in ("list", "str"):
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
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" and \
                self.frame.lookup("isinstance") is None:
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
            return Cond(v)
        if isinstance(t, NoneType):
            return Cond(None, False)
        if isinstance(t, (ClassType, InterfaceType)):
            return Cond(classes.truth(self, v, where))
        if isinstance(t, TupleType):
            return Cond(None, bool(t.elems))
        if isinstance(t, (TensorType, IntType, FloatType, NumberType)):
            return Cond(self.op_call("builtins", "bool", [Arg(v, where)], {}, where, "bool"))
        if isinstance(t, (ListType, StrType)):
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
        right = self.emit_value(right_node)
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
        """``isinstance(x, T)``: known from ``x``'s type, except for an Optional ``x`` and its
        element type, where it is a None test that refines ``x``."""
        if len(node.args) != 2 or node.keywords:
            self.error("isinstance(x, type) takes two arguments", self.range(node))
        x = self.emit_expr(node.args[0])
        target = node.args[1]
        options = target.elts if isinstance(target, ast.Tuple) else [target]
        types = [_isinstance_type(self, o) for o in options]
        if isinstance(x, sugar.Sugar):
            return Cond(None, False)
        t = x.type
        if isinstance(t, OptionalType) and any(t.elem.is_subtype_of(u) or _same_kind(t.elem, u) for u in types):
            where = self.range(node)
            v = self.op_call("operator", "is_not", [Arg(x, where), Arg(self.constant(None), where)], {}, where,
                             "isinstance")
            refinements = {node.args[0].id: t.elem} if isinstance(node.args[0], ast.Name) else {}
            return Cond(v, None, refinements, {})
        return Cond(None, any(_same_kind(t, u) for u in types))

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
        elem = self.common_type([v.type for v in values], self.range(node), "list literal") if values else TENSOR
        return self.make_list(values, elem, fresh=True)

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


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _same_kind(t: Type, u: Type) -> bool:
    """For isinstance: does a value of static type ``t`` belong to Python type ``u``?"""
    if isinstance(u, ListType):
        return isinstance(t, ListType) and (isinstance(u.elem, AnyType) or t.elem.is_subtype_of(u.elem))
    if isinstance(u, TupleType) and not u.elems:
        return isinstance(t, TupleType)
    if isinstance(u, IntType):
        return isinstance(t, (IntType, BoolType))  # bool is an int in Python
    return t.is_subtype_of(u)


def _isinstance_type(b: ExpressionBuilder, node: ast.expr) -> Type:
    obj = b.resolve_type_name(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    if obj is list:
        from minitorch_jit.ir.types import ANY
        return ListType(ANY)
    if obj is tuple:
        return TupleType([])
    return b.annotation(node)

"""Statements, and the function as a whole: parameters, body, return value.

``return``, ``break`` and ``continue`` are lowered to structured control flow, as
TorchScript's exit transform does: each sets reserved variables (see :mod:`.environment`),
and when a statement may have exited, the statements after it are emitted inside a
``prim::If`` on the exit flag, so they run only on the paths that did not exit::

    for i in range(n):             %r = prim::Loop(%n, %true, %r0)
        if x[i] > 0:                 block0(%i, %r1):
            r = i                      %b = prim::If(...)      # break: b = True
            break                      ...
        r = -1                         %c = aten::__not__(%b)  # the loop stops when broken
                                       -> (%c, ...)

A loop containing ``return`` carries the returned flag and value out of the loop and stops.
"""
from __future__ import annotations

import ast
import inspect
import typing
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from minitorch_jit.ir import Graph, Value, VerifyError, verify
from minitorch_jit.ir.class_types import ClassType, InterfaceType
from minitorch_jit.ir.types import (
    ANY,
    INT,
    TENSOR,
    AnyType,
    DictType,
    FloatType,
    IntType,
    ListType,
    OptionalType,
    StrType,
    TensorType,
    TupleType,
    Type,
    UnionType,
    unify,
)
from minitorch_jit.passes.dead_code_elimination import dead_code_elimination

from ..runtime.broadcasting_list import BroadcastingList, BroadcastList
from . import classes, subscripts, sugar
from .calls import Arg
from .environment import BREAK, EXIT, RETURNED, RETVAL, Binding, Frame, Undefined, outlives_return
from .errors import ScriptError, SourceRange
from .expressions import _BINOPS, ExpressionBuilder
from .modifiers import UNUSED, modifier
from .nesting import stack_room
from .source import FunctionSource
from .ssa import LoopScope, exits, is_const, merge_if, refine
from .type_comments import comment_annotation
from .types import python_type, type_name

INFINITE_TRIPS = 9223372036854775807  # a `while` loop's trip count: it stops on its condition


def assigned_names(stmts: Sequence[ast.stmt]) -> Set[str]:
    """Names these statements assign (not counting nested functions and comprehensions)."""
    names: Set[str] = set()
    for node in _walk(stmts):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _walk(stmts: Sequence[ast.AST], stop: tuple = ()) -> Any:
    todo = list(stmts)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
                             ast.SetComp, ast.DictComp, ast.GeneratorExp) + stop):
            continue
        todo.extend(ast.iter_child_nodes(node))


def _contains(stmts: Sequence[ast.stmt], kinds: tuple, stop: tuple = ()) -> Optional[ast.AST]:
    return next((n for n in _walk(stmts, stop) if isinstance(n, kinds)), None)


def _loop_exits(stmts: Sequence[ast.stmt]) -> Optional[ast.AST]:
    """A break or continue of this loop (not of a loop nested in it)."""
    return _contains(stmts, (ast.Break, ast.Continue), stop=(ast.For, ast.While))


class FunctionBuilder(ExpressionBuilder):
    """Builds the graph of one function or method from its AST."""

    def __init__(self, source: FunctionSource, compiler: Any, self_value: Optional[sugar.ModuleValue] = None):
        super().__init__(source, compiler)
        self.self_value = self_value

    # -- the function ---------------------------------------------------------------------------
    def build(self) -> Tuple[Graph, inspect.Signature]:
        tree = self.source.tree
        self.where = self.range(tree)
        self._check_decorators(tree)
        signature = self._parameters(tree)
        if tree.returns is not None:  # returns of different types may join into an Any or Union result
            declared = self.annotation(tree.returns)
            if isinstance(declared, (AnyType, UnionType)):
                self.declared[RETVAL] = declared
        self.frame.assign(RETURNED, Binding(self.constant(False)))
        if tree.returns is not None and self.annotation(tree.returns) == ANY:
            self.declared[RETVAL] = ANY  # `-> Any`: returns of any types join as Any
        if modifier(self.source.fn) == UNUSED:  # TorchScript compiles the function as a raise
            self._raise(self.constant(f"Cannot call @unused methods: {self.source.name} was left out of the "
                                      "script by @torch.jit.unused"), "RuntimeError")
        else:
            self.locals |= assigned_names(tree.body)
            with stack_room(self.source):
                self.emit_stmts(tree.body)
        self._return(tree)
        dead_code_elimination(self.graph)
        try:
            verify(self.graph)
        except VerifyError as e:  # a bug of the scripter, not of the user's code
            raise AssertionError(f"the scripter built an invalid graph for {self.source.name}: {e}\n{self.graph}") \
                from e
        return self.graph, signature

    def _check_decorators(self, tree: ast.FunctionDef) -> None:
        """Decorators are not part of the language: as in TorchScript, what is compiled is the
        body of the ``def``. That is the function being scripted unless a decorator replaced
        it by a wrapper (``functools.wraps`` leaves ``__wrapped__``), whose own code would be
        silently dropped: that is an error."""
        if getattr(self.source.fn, "__wrapped__", None) is None:
            return
        for d in tree.decorator_list:
            obj = None
            if isinstance(d, (ast.Name, ast.Attribute)):
                try:
                    obj = self.resolve_type_name(d)
                except ScriptError:
                    obj = None
            if obj not in self.compiler.decorators:
                self.error(f"decorator @{ast.unparse(d)} replaced the function by a wrapper, whose code would not be "
                           "compiled", self.range(d), fix="script the function it wraps, or remove the decorator")

    def _parameters(self, tree: ast.FunctionDef) -> inspect.Signature:
        args = tree.args
        signature = self.source.signature()
        if modifier(self.source.fn) == UNUSED:  # as TorchScript: the body that reads them is not compiled
            variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            signature = signature.replace(parameters=[p for p in signature.parameters.values()
                                                      if p.kind not in variadic])
        elif args.vararg is not None:
            self.unsupported(args.vararg, "Compiled functions can't take variable number of arguments or use "
                             "keyword-only arguments with defaults: `*args` is not supported in script functions",
                             "give the function named parameters", self._starred(args.vararg, 1))
        elif args.kwarg is not None:
            self.unsupported(args.kwarg, "`**kwargs` is not supported in script functions",
                             "give the function named parameters", self._starred(args.kwarg, 2))
        defaulted = next((a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None), None)
        if defaulted is not None and modifier(self.source.fn) != UNUSED:
            self.unsupported(defaulted, "Compiled functions can't take variable number of arguments or use "
                             "keyword-only arguments with defaults", "give it no default, or make it positional")
        params = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
        if self.self_value is not None:
            if not params:
                self.error("a method must take `self`", self.range(tree))
            self.frame.assign(params[0].arg, Binding(self.self_value, self.range(params[0])))
            params = params[1:]
            signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        for a in params:
            default = signature.parameters[a.arg].default
            t = self._parameter_type(a, default)
            if tree.name == "__setstate__" and a.annotation is None and len(params) == 1:
                t = self._state_type(t)
            v = self.graph.add_input(t, a.arg)
            n = self._broadcast_length(a.annotation)
            if n is not None:  # the signature says so: calls widen a number given for it
                widened = signature.parameters[a.arg].replace(annotation=BroadcastList(n))
                signature = signature.replace(parameters=[widened if p.name == a.arg else p
                                                          for p in signature.parameters.values()])
            if a.annotation is None and default is inspect.Parameter.empty:
                self.unannotated[v] = a.arg
            self.frame.assign(a.arg, Binding(v, self.range(a)))
            self.locals.add(a.arg)
        return signature

    def _state_type(self, default: Type) -> Type:
        """``__setstate__(self, state)`` unannotated: ``state`` has the type ``__getstate__``
        returns, as TorchScript types it."""
        owner = self.self_value.mirror if self.self_value is not None else None
        getter = owner.__dict__.get("_methods", {}).get("__getstate__") if owner is not None else None
        return getter.graph.outputs[0].type if getter is not None else default

    def _broadcast_length(self, annotation: Optional[ast.expr]) -> Optional[int]:
        """n for an annotation ``BroadcastingList{n}[T]`` (or one of an Optional of it)."""
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, (ast.Name, ast.Attribute)):
            base = self.resolve_type_name(annotation.value)
            if isinstance(base, BroadcastingList):
                return base.n
            if base is typing.Optional:
                return self._broadcast_length(annotation.slice)
        return None

    def _starred(self, a: ast.arg, stars: int) -> SourceRange:
        r = self.range(a)
        return SourceRange(r.file, r.line, max(0, r.col - stars), r.end_line, r.end_col, r.source_line, r.function)

    def _parameter_type(self, a: ast.arg, default: Any) -> Type:
        where = self.range(a)
        has_default = default is not inspect.Parameter.empty
        if has_default:
            ok, dt = python_type(default)
            if not ok:
                self.error(f"the default value of '{a.arg}' has type {type(default).__name__}, which script "
                           "functions cannot use", where, fix="defaults must be None, numbers, strings or tuples")
        if a.annotation is not None:
            t = self.annotation(a.annotation)
            if has_default and not (dt.is_subtype_of(t) or (isinstance(t, FloatType) and isinstance(dt, IntType))):
                self.error(f"the default value of '{a.arg}' has type {type_name(dt)}, but '{a.arg}' is annotated "
                           f"{type_name(t)}", where)
            return t
        if has_default and default is not None:
            return dt  # unannotated with a default: the default's type (TorchScript would say Tensor)
        if has_default:
            self.error(f"'{a.arg}' defaults to None, so its type cannot be inferred", where,
                       fix=f"annotate it: `{a.arg}: Optional[Tensor] = None`")
        return TENSOR

    def _missing_return(self, tree: ast.FunctionDef, declared: Any) -> None:
        self.error(f"Function was not annotated as having type None, but does not return along all paths: "
                   f"{self.source.tree.name} is annotated to return {type_name(declared)}", self.range(tree),
                   fix="end every path with a return statement")

    def _return(self, tree: ast.FunctionDef) -> None:
        f = self.frame
        declared = self.annotation(tree.returns) if tree.returns is not None else None
        returned = f.value(RETURNED)
        if f.terminated:
            out = self.insert("prim::Uninitialized", [], [declared]).output if declared is not None \
                else self.constant(None)
        elif is_const(returned, True):
            out = f.value(RETVAL)
        elif is_const(returned, False) or f.lookup(RETVAL) is None:
            if declared is not None and not isinstance(declared, OptionalType) and str(declared) != "NoneType":
                self._missing_return(tree, declared)
            out = self.constant(None)
        else:
            if declared is not None and not isinstance(declared, OptionalType) and str(declared) != "NoneType":
                self._missing_return(tree, declared)
            out = self.emit_branches(returned, lambda: self.frame.value(RETVAL), lambda: self.constant(None), {}, {})
        if declared is not None and not out.type.is_subtype_of(declared):
            where = self.return_site(out.type) or self.range(tree.returns)
            self.error(f"Return value was annotated as having type {type_name(declared)} but is actually of type "
                       f"{type_name(out.type)}", where)
        self.graph.register_output(out)
        for path in self.written_paths:  # the attributes' new values, which the caller writes back
            self.graph.register_output(self.attribute_value(path, ANY))

    # -- statement lists and early exits --------------------------------------------------------
    def emit_stmts(self, stmts: Sequence[ast.stmt]) -> None:
        """Emit statements until one exits on every path; after one that may exit, the rest
        run under a ``prim::If`` on the exit flag."""
        for i, stmt in enumerate(stmts):
            self.emit_stmt(stmt)
            frame = self.frame
            if frame.terminated or exits(frame):
                return
            pending, frame.pending_refinements = frame.pending_refinements, {}
            if not is_const(frame.value(frame.exit_var), False):
                rest = stmts[i + 1:]
                if rest:
                    self.emit_guarded(lambda: self.emit_stmts(rest), pending)  # noqa: B023 - called right here
                    return
                # nothing follows here, but the paths that go on know it after the enclosing if
                # (the cast checks nothing, so it may run on the paths that exited too)
                for name, t in pending.items():
                    refine(self, frame, name, t)
                return
            for name, t in pending.items():
                refine(self, frame, name, t)

    def emit_guarded(self, work: Callable[[], None], refinements: Dict[str, Type]) -> None:
        """Run ``work`` only if the current frame has not exited:
        ``prim::If(%exited)`` with an empty first block and ``work`` in the second."""
        parent = self.frame
        node = self.insert("prim::If", [parent.value(parent.exit_var)], [])
        exited, rest = Frame(node.add_block(), parent), Frame(node.add_block(), parent)
        with self.in_frame(exited):
            exited.refined[parent.exit_var] = Binding(self.constant(True))
        with self.in_frame(rest):
            for flag in {parent.exit_var, RETURNED} | ({BREAK} if parent.exit_var == EXIT else set()):
                rest.refined[flag] = Binding(self.constant(False))
            for name, t in refinements.items():
                refine(self, rest, name, t)
            work()
        merge_if(self, node, [exited, rest], parent, ("the path that exited early", "the rest of the block"))

    def emit_stmt(self, node: ast.stmt) -> None:
        method = getattr(self, f"build_{type(node).__name__}", None)
        if method is None:
            self.unsupported(node)
        saved = self.where
        self.where = self.range(node)
        try:
            method(node)
        finally:
            self.where = saved

    # -- simple statements ------------------------------------------------------------------------
    def build_Pass(self, node: ast.Pass) -> None:
        pass

    def build_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        self.emit_expr(node.value)

    def build_Assign(self, node: ast.Assign) -> None:
        if node.type_comment and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            src = self.source
            annotation = comment_annotation(node.type_comment, src.lines, src.indent, node.lineno, self.range(node))
            annotated = ast.AnnAssign(target=node.targets[0], annotation=annotation, value=node.value, simple=1)
            self.build_AnnAssign(ast.copy_location(annotated, node))
            return
        value = self.emit_expr(node.value)
        for target in node.targets:
            self.assign_target(target, value)

    def build_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Attribute) and node.value is not None:
            t = self.annotation(node.annotation)
            value = self.typed_value(node.value, t)
            if self._object_field(node.target, value, self.range(node.target), t):
                return
        if not isinstance(node.target, ast.Name):
            self.error("only variables can be annotated in script functions", self.range(node.target))
        name = node.target.id
        t = self.annotation(node.annotation)
        if isinstance(t, InterfaceType) and isinstance(node.value, ast.Subscript):
            chosen = self.emit_expr(node.value)
            if isinstance(chosen, sugar.ModuleChoice):  # `m: Iface = self.layers[i]`, i known when run
                self.assign_target(node.target, chosen.annotated(self, t, self.range(node.value)))
                return
        if name in self.declared and self.declared[name] != t:
            self.error(f"'{name}' was annotated {type_name(self.declared[name])} before; a variable has one type",
                       self.range(node.annotation))
        self.declared[name] = t
        if node.value is not None:
            self.assign_target(node.target, self.typed_value(node.value, t, name))

    def build_AugAssign(self, node: ast.AugAssign) -> None:
        dunder, _ = _BINOPS[type(node.op)]
        target = node.target
        if isinstance(target, ast.Name):
            current = self.emit_value(ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target))
            self.assign_target(target, self.inplace(dunder, current, self.emit_value(node.value)))
        elif isinstance(target, ast.Subscript):
            if _contains([target.slice], (ast.Call,)):
                self.error("augmented assignment to an item whose index calls a function is not supported (the "
                           "index would be evaluated twice)", self.range(target.slice),
                           fix="compute the index into a variable first")
            base = self.emit_value(target.value)
            if isinstance(base.type, TupleType):
                self.error("a tuple does not support augmented assignment of its items: 'tuple' object does not "
                           "support augmented assign", self.range(target))
            current = subscripts.getitem(self, base, target.slice, self.range(target))
            result = self.inplace(dunder, current, self.emit_value(node.value))
            subscripts.setitem(self, base, target.slice, result, self.range(target))
        elif isinstance(target, ast.Attribute) and isinstance(self.emit_expr(target.value), Value):
            base = self.emit_value(target.value)
            if not isinstance(base.type, ClassType):
                self.error(f"augmented assignment to an attribute of {type_name(base.type)} is not supported",
                           self.range(target))
            current = classes.get_attr(self, base, target.attr, self.range(target))
            result = self.inplace(dunder, current, self.emit_value(node.value))
            classes.set_attr(self, base, target.attr, result, self.range(target))
        else:
            owner = self._attribute_owner(target)
            current = self.to_value(owner.attr(self, target.attr, self.range(target)), self.range(target))
            owner.set_attr(self, target.attr, self.inplace(dunder, current, self.emit_value(node.value)),
                           self.range(target))

    def build_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._delete(target)

    def _delete(self, target: ast.expr) -> None:
        """``del x[i]`` removes an item of a list or dict (or calls an object's ``__delitem__``);
        ``del x`` makes ``x`` undefined from here on (on this path: a use after an ``if`` that
        deleted it on one branch is an error too); ``del a, b`` deletes each."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._delete(t)
        elif isinstance(target, ast.Subscript):
            base = self.emit_value(target.value)
            if isinstance(base.type, ClassType):  # an object: its class's __delitem__
                where = self.range(target)
                if classes.call_magic(self, base, "__delitem__", [self.emit_value(target.slice)], where) is None:
                    self.error(f"Class does not define __delitem__: `del` of an item of a {base.type} object",
                               where, fix="define __delitem__ in the class")
                return
            subscripts.delitem(self, base, target.slice, self.range(target))
        elif isinstance(target, ast.Name):
            if not isinstance(self.frame.lookup(target.id), Binding):
                self.error(f"undefined value {target.id}", self.range(target))
            self.frame.assign(target.id, Undefined(f"undefined value {target.id}: it was deleted with `del`",
                                                   fix=f"assign '{target.id}' again before using it"))
        else:
            self.unsupported(target, "`del` of attributes is not supported in script functions",
                             fix="script functions do not need it")

    def _attribute_owner(self, target: ast.Attribute) -> sugar.ModuleValue:
        """The module whose attribute ``target`` assigns; a ScriptError for anything else and
        for a module constant (``Final``, ``__constants__``)."""
        base = self.emit_expr(target.value)
        if not isinstance(base, sugar.ModuleValue):
            what = base.describe() if isinstance(base, sugar.Sugar) else f"a value of type {type_name(base.type)}"
            self.error(f"cannot assign attribute '{target.attr}' of {what}: only module attributes can be assigned "
                       "in script methods", self.range(target))
        if base.is_constant(target.attr):
            self.error(f"'{target.attr}' of module '{type(base.module).__name__}' is a constant "
                       "(torch.jit.Final or __constants__) and cannot be assigned in a script",
                       self.range(target), fix="compute the new value into a local variable")
        return base

    def inplace(self, dunder: str, current: Value, operand: Value) -> Value:
        """``current <op>= operand``: in place for tensors (``Tensor.__iadd__``) and lists
        (``list.__iadd__``), else ``current <op> operand``."""
        iname = "__i" + dunder[2:]
        if isinstance(current.type, TensorType) or isinstance(current.type, ListType):
            ns = "Tensor" if isinstance(current.type, TensorType) else "list"
            args = [Arg(current, self.where), Arg(operand, self.where)]
            from .calls import resolve_call
            if not isinstance(resolve_call(ns, iname, args, {}), str):
                self.op_call(ns, iname, args, {}, self.where, iname)
                return current
        return self.binop(dunder, current, operand)

    def assign_target(self, target: ast.expr, value: Any) -> None:
        """Bind ``value`` (a Value, a compile-time value, a Python int, or a Python tuple of
        those from an unrolled loop) to an assignment target."""
        where = self.range(target)
        if isinstance(target, ast.Name):
            self.bind(target.id, value, where)
        elif isinstance(target, (ast.Tuple, ast.List)):
            starred = [i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred)]
            if starred:
                self._unpack_starred(target, value, starred, where)
                return
            items = self._unpack(value, len(target.elts), where)
            for t, item in zip(target.elts, items):
                self.assign_target(t, item)
        elif isinstance(target, ast.Subscript):
            base = self.emit_value(target.value)
            if isinstance(base.type, ClassType):
                classes.magic(self, base, "__setitem__", [self.emit_value(target.slice), self._as_value(value, where)],
                              where, "x[i] = v")
                return
            subscripts.setitem(self, base, target.slice, self._as_value(value, where), where)
        elif isinstance(target, ast.Attribute) and self._object_field(target, value, where):
            return
        elif isinstance(target, ast.Attribute):
            self._attribute_owner(target).set_attr(self, target.attr, self._as_value(value, where), where)
        else:
            self.unsupported(target)

    def _unpack_starred(self, target: Any, value: Any, starred: List[int], where: SourceRange) -> None:
        """``a, *rest, z = t`` for a tuple ``t``: ``rest`` is the tuple of the items between."""
        if len(starred) > 1:
            self.error("Only one starred expression is allowed on the lhs", self.range(target.elts[starred[1]]))
        if len(target.elts) == 1:
            self.error("A Starred expression may only appear on the lhs within the presence of another "
                       "non-starred expression", where)
        value = self._as_value(value, where) if not isinstance(value, sugar.Sugar) else value
        if not isinstance(value, Value) or not isinstance(value.type, TupleType):
            what = type_name(value.type) if isinstance(value, Value) else value.describe()
            self.unsupported(target.elts[starred[0]], f"starred assignment targets are not supported for {what} in "
                             "script functions (only tuples unpack with a star)",
                             fix="unpack into a fixed number of names")
        items = self.tuple_items(value)
        k, after = starred[0], len(target.elts) - starred[0] - 1
        if len(items) < k + after:
            self.error(f"not enough values to unpack (expected at least {k + after}, got {len(items)})", where)
        middle = items[k:len(items) - after]
        rest = self.insert("prim::TupleConstruct", middle, [TupleType([v.type for v in middle])]).output
        for t, item in zip(target.elts, items[:k] + [rest] + items[len(items) - after:]):
            self.assign_target(t.value if isinstance(t, ast.Starred) else t, item)

    def _object_field(self, target: ast.Attribute, value: Any, where: SourceRange,
                      annotated: Optional[Type] = None) -> bool:
        """``obj.x = value`` for an object of a compiled class (False for other bases)."""
        base = self.emit_expr(target.value)
        if not isinstance(base, Value) or not isinstance(base.type, ClassType):
            return False
        classes.set_attr(self, base, target.attr, self._as_value(value, where), where, annotated)
        return True

    def _as_value(self, x: Any, where: SourceRange) -> Value:
        if isinstance(x, bool) or isinstance(x, int):
            return self.constant(x)
        if isinstance(x, tuple):
            items = [self._as_value(v, where) for v in x]
            return self.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output
        return self.to_value(x, where)

    def bind(self, name: str, value: Any, where: SourceRange) -> None:
        if isinstance(value, tuple) and any(isinstance(v, sugar.Sugar) for v in value):
            value = sugar.StaticTuple(value)  # (key, module) of an unrolled ModuleDict.items()
        if not isinstance(value, sugar.Sugar) or (isinstance(value, sugar.Iterable) and
                                                  not isinstance(value, sugar.StaticTuple)):
            value = self._as_value(value, where)
        declared = self.declared.get(name)
        if declared is not None:
            if not value.type.is_subtype_of(declared):
                self.error(f"Variable '{name}' is annotated with type {type_name(declared)} but is being assigned "
                           f"to a value of type {type_name(value.type)}", where)
        if isinstance(value, Value) and value.name is None and value.node.kind != "prim::Constant" and \
                not name.startswith("$"):  # the scripter's own variables ($v of list(range(n))) stay unnamed
            value.name = name
        self.frame.assign(name, Binding(value, where))

    def _unpack(self, value: Any, n: int, where: SourceRange) -> List[Any]:
        if isinstance(value, tuple):
            items: List[Any] = list(value)
        elif isinstance(value, sugar.StaticTuple):
            items = list(value.items() or [])
        elif isinstance(value, sugar.Sugar):
            self.error(f"{value.describe()} cannot be used as a tuple", where)
        elif isinstance(value.type, TupleType):
            items = self.tuple_items(value)
        elif isinstance(value.type, ListType):
            return list(self.insert("prim::ListUnpack", [value], [value.type.elem] * n).outputs)
        elif isinstance(value.type, TensorType):
            parts = self.op_call("Tensor", "unbind", [Arg(value, where)], {}, where, "unpack a tensor")
            return list(self.insert("prim::ListUnpack", [parts], [TENSOR] * n).outputs)
        else:
            self.error(f"cannot unpack a value of type {type_name(value.type)}", where)
        if len(items) != n:
            # TorchScript's words
            if len(items) > n:
                self.error(f"too many values to unpack: need {n} but found {len(items)}", where)
            self.error(f"need {n} values to unpack but found only {len(items)}", where)
        return items

    def build_With(self, node: ast.With) -> None:
        """``with obj as x:``: ``obj.__enter__()`` (bound to ``x``), the body, then
        ``obj.__exit__(None, None, None)``, as TorchScript runs context managers (an exception
        in the body ends the program, so ``__exit__`` runs only when the body finishes). The
        body may not exit early: ``__exit__`` would be skipped."""
        managers = []
        for item in node.items:
            where = self.range(item.context_expr)
            try:
                obj = self.emit_expr(item.context_expr)
            except ScriptError:
                obj = None
            if not isinstance(obj, Value) or not isinstance(obj.type, ClassType):
                self.unsupported(node, fix="`with` takes objects of compiled classes that define __enter__ and "
                                           "__exit__; move other context managers outside the script function")
            entered = classes.magic(self, obj, "__enter__", [], where, "with")
            if item.optional_vars is not None:
                self.assign_target(item.optional_vars, entered)
            managers.append((obj, where))
        exit_ = _contains(node.body, (ast.Return, ast.Break, ast.Continue))
        if exit_ is not None:
            self.error("return, break and continue inside a `with` block are not supported in script functions",
                       self.range(exit_), fix="set a variable and leave the block at its end")
        self.emit_stmts(node.body)
        if self.frame.terminated:
            return
        for obj, where in reversed(managers):
            none = self.constant(None)
            classes.magic(self, obj, "__exit__", [none, none, none], where, "with")

    # -- return, break, continue, raise, assert --------------------------------------------------
    def build_Return(self, node: ast.Return) -> None:
        where = self.range(node)
        v = self.emit_value(node.value) if node.value is not None else self.constant(None)
        self.returns.append((v.type, where))
        f = self.frame
        f.assign(RETVAL, Binding(v, where))
        f.assign(RETURNED, Binding(self.constant(True)))
        if f.exit_var == EXIT:  # inside a loop: leave it
            f.assign(EXIT, Binding(self.constant(True)))
            f.assign(BREAK, Binding(self.constant(True)))

    def _loop_exit(self, node: ast.stmt, what: str) -> None:
        if self.loop_kinds and self.loop_kinds[-1] == "unrolled":
            self.error(f"{what} is not supported in a loop over a tuple or a module list (the loop is unrolled)",
                       self.range(node), fix="loop over a list or a range instead")

    def build_Break(self, node: ast.Break) -> None:
        self._loop_exit(node, "break")
        self.frame.assign(BREAK, Binding(self.constant(True)))
        self.frame.assign(EXIT, Binding(self.constant(True)))

    def build_Continue(self, node: ast.Continue) -> None:
        self._loop_exit(node, "continue")
        self.frame.assign(EXIT, Binding(self.constant(True)))

    def build_Raise(self, node: ast.Raise) -> None:
        where = self.range(node)
        if node.exc is None:
            self.error("a bare `raise` is not supported in script functions", where,
                       fix="raise an exception: `raise RuntimeError(\"...\")`")
        if node.cause is not None:
            self.error("`raise ... from ...` is not supported in script functions", self.range(node.cause))
        exc = self.emit_expr(node.exc)
        if isinstance(exc, sugar.ExceptionClass):
            exc = sugar.ExceptionValue(exc.cls, self.constant(""))
        if not isinstance(exc, sugar.ExceptionValue):
            self.error("exceptions must derive from BaseException: only built-in exceptions can be raised in "
                       "script functions", self.range(node.exc))
        self._raise(exc.message, exc.cls.__name__)

    def _raise(self, message: Value, cls: str) -> None:
        self.structural("prim::RaiseException", [message, self.constant(cls)])
        self.frame.terminated = True

    def build_Assert(self, node: ast.Assert) -> None:
        self.raise_unless(node.test, node.msg, "", "AssertionError")

    def raise_unless(self, test: ast.expr, msg: Optional[ast.expr], default: str, cls: str) -> None:
        """``assert test, msg`` (``torch._check(test, msg)``): raise ``cls`` with ``msg``
        (converted with str(), ``default`` when there is none) on the path where ``test``
        does not hold, which only then computes the message."""
        c = self.emit_cond(test)
        if c.static is True:
            return

        def fail() -> None:
            message = self.constant(default)
            if msg is not None:
                message = self.emit_value(msg)
                if str(message.type) != "str":
                    message = self.op_call("builtins", "str", [Arg(message, self.range(msg))], {},
                                           self.range(msg), "str")
            self._raise(message, cls)

        if c.static is False:
            fail()
            return
        if_node = self.insert("prim::If", [c.value], [])
        ok, failed = Frame(if_node.add_block(), self.frame), Frame(if_node.add_block(), self.frame)
        with self.in_frame(failed):
            fail()
        merge_if(self, if_node, [ok, failed], self.frame, ("the check's passing path", "its failing path"))
        self.frame.pending_refinements = c.if_true

    # -- if -----------------------------------------------------------------------------------------
    def build_If(self, node: ast.If) -> None:
        c = self.emit_cond(node.test)
        if c.static is not None:  # decided by types (`x is None` for a non-Optional x): one branch only
            self.emit_stmts(node.body if c.static else node.orelse)
            return
        if_node = self.insert("prim::If", [c.value], [])
        frames = []
        for stmts, refinements in ((node.body, c.if_true), (node.orelse, c.if_false)):
            frame = Frame(if_node.add_block(), self.frame)
            with self.in_frame(frame):
                for name, t in refinements.items():
                    refine(self, frame, name, t)
                self.emit_stmts(stmts)
            frames.append(frame)
        exited = [exits(f) for f in frames]
        merge_if(self, if_node, frames, self.frame, ("the if branch", "the else branch"))
        for k, cond in ((1, c.if_false), (0, c.if_true)):
            if exited[1 - k] and not exited[k]:  # only this branch goes on: what it knew holds after the if
                known = {n: b.value.type for n, b in frames[k].refined.items()
                         if isinstance(b.value, Value) and not outlives_return(n)}
                self.frame.pending_refinements = {**cond, **known}

    # -- loops --------------------------------------------------------------------------------------
    def iterable(self, node: ast.expr) -> sugar.Iterable:
        x = self.emit_expr(node)
        where = self.range(node)
        if isinstance(x, sugar.Iterable):
            return x
        if isinstance(x, sugar.Sugar):
            return x.iterate(self, where)
        t = x.type
        if isinstance(t, DictType):  # its keys, as they are when the loop starts
            x = self.op_call("dict", "keys", [Arg(x, where)], {}, where, "dict.keys")
            t = x.type
        elif isinstance(t, StrType):  # its characters
            x = self.op_call("builtins", "list", [Arg(x, where)], {}, where, "list")
            t = x.type
        if isinstance(t, (ListType, TensorType)):
            return sugar.ValueIter(x, where)
        if isinstance(t, TupleType):
            return sugar.StaticIter(self.tuple_items(x))
        fix = "check `is not None` first" if isinstance(t, OptionalType) else ""
        self.error(f"'{type_name(t)}' object is not iterable (a script can iterate over lists, tensors, tuples, "
                   "range(), enumerate() and zip())", where, fix=fix)

    def build_For(self, node: ast.For) -> None:
        if node.orelse:
            self.unsupported(node.orelse[0], "for/else is not supported in script functions", "use a flag variable")
        if isinstance(node.iter, ast.Tuple) and any(isinstance(e, ast.List) for e in node.iter.elts):
            self.error("List of iterables is not supported currently", self.range(node.iter),
                       fix="loop over a list of lists, or over each list in turn")
        if isinstance(node.target, ast.Starred):  # `for *a in ...`
            self.error("A Starred expression may only appear on the lhs within the presence of another "
                       "non-starred expression", self.range(node.target))
        it = self.iterable(node.iter)
        items = it.items()
        if items is not None:
            self._unroll(node, items)
            return
        self._loop(node, it.length(self), self.constant(True),
                   lambda counter: self.assign_target(node.target, it.item(self, counter)), None)

    def build_While(self, node: ast.While) -> None:
        if node.orelse:
            self.unsupported(node.orelse[0], "while/else is not supported in script functions",
                             "use a flag variable")
        c = self.emit_cond(node.test)
        if c.static is False or (isinstance(node.test, ast.Constant) and not node.test.value):
            return
        forever = c.static is True or (isinstance(node.test, ast.Constant) and bool(node.test.value))
        first = self.constant(True) if forever or c.static is not None else c.value
        self._loop(node, self.constant(INFINITE_TRIPS), first, None, node.test, forever)

    def _loop(self, node: Any, trips: Value, first: Value, bind: Optional[Callable[[Value], None]],
              test: Optional[ast.expr], forever: bool = False) -> None:
        assigned = assigned_names(node.body)
        if isinstance(node, ast.For):
            assigned |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        returns = _contains(node.body, (ast.Return,)) is not None
        if returns:
            assigned |= {RETVAL, RETURNED}
        loop = self.insert("prim::Loop", [trips, first], [])
        body = loop.add_block()
        counter = body.add_param(INT)
        scope = LoopScope(self, loop, assigned)
        frame = scope.frame = Frame(body, self.frame, loop=scope, exit_var=EXIT)
        self.loop_kinds.append("loop")
        try:
            with self.in_frame(frame):
                frame.assign(EXIT, Binding(self.constant(False)))
                frame.assign(BREAK, Binding(self.constant(False)))
                frame.refined[RETURNED] = Binding(self.constant(False))
                if bind is not None:
                    bind(counter)
                self.emit_stmts(node.body)
                cond = self._next_condition(frame, test)
        finally:
            self.loop_kinds.pop()
        scope.finish(frame, cond, self.range(node))
        if returns:
            f = self.frame
            if forever and _loop_exits(node.body) is None:  # it ends only by returning
                f.assign(RETURNED, Binding(self.constant(True)))
            returned = f.value(RETURNED)
            if f.exit_var == EXIT:
                f.assign(EXIT, Binding(returned))
                f.assign(BREAK, Binding(returned))

    def _next_condition(self, frame: Frame, test: Optional[ast.expr]) -> Value:
        """Whether the loop runs again: not after a break; for `while`, its test again."""
        if frame.terminated:
            return self.constant(False)
        broke = frame.value(BREAK)
        if test is None:
            return self.constant(True) if is_const(broke, False) else \
                self.op_call("operator", "__not__", [Arg(broke, self.where)], {}, self.where, "not")
        if is_const(broke, True):
            return self.constant(False)
        if is_const(broke, False):
            return self.cond_value(self.emit_cond(test))
        return self.emit_branches(broke, lambda: self.constant(False), lambda: self.cond_value(self.emit_cond(test)),
                                  {}, {})

    def _unroll(self, node: ast.For, items: List[Any]) -> None:
        """A loop over a tuple or module list: the body once per item."""
        self.loop_kinds.append("unrolled")
        try:
            for k, item in enumerate(items):
                self.assign_target(node.target, item)
                self.emit_stmts(node.body)
                frame = self.frame
                if frame.terminated or exits(frame):
                    return
                if not is_const(frame.value(frame.exit_var), False):
                    rest = items[k + 1:]
                    if rest:
                        self.emit_guarded(lambda: self._unroll(node, rest), {})  # noqa: B023 - called right here
                    return
        finally:
            self.loop_kinds.pop()

    # -- list and dict comprehensions ---------------------------------------------------------------
    def comprehension(self, node: ast.ListComp, expected: Optional[Type] = None,
                      iterable: Optional[sugar.Iterable] = None) -> Value:
        """``[elt for x in xs if c]``: a list appended to in a loop. ``expected``: the element
        type an annotation gives (``x: List[Optional[int]] = [None for _ in ...]``);
        ``iterable``: what ``xs`` is, when the caller has emitted it (``list(range(n))``)."""
        result = self.insert("prim::ListConstruct", [], [ListType(ANY)]).output
        elem_types: List[Type] = []

        def leaf() -> None:
            v = self.emit_value(node.elt)
            if elem_types and unify(elem_types[0], v.type) is None:
                self.error(f"list comprehension elements have different types: {type_name(elem_types[0])} and "
                           f"{type_name(v.type)}", self.range(node.elt))
            elem_types.append(v.type)
            where = self.range(node.elt)
            self.op_call("list", "append", [Arg(result, where), Arg(v, where)], {}, where, "append")

        self._comprehend(node, leaf, iterable)
        elem = self.common_type(elem_types, self.range(node.elt), "list comprehension") if elem_types else TENSOR
        if expected is not None and all(t.is_subtype_of(expected) for t in elem_types):
            elem = expected
        result.type = ListType(elem)
        return result

    def dict_comprehension(self, node: ast.DictComp, expected: Optional[DictType] = None,
                           iterable: Optional[sugar.Iterable] = None) -> Value:
        """``{k: v for x in xs if c}``: a dict assigned to in a loop."""
        result = self.insert("prim::DictConstruct", [], [DictType(ANY, ANY)]).output
        keys: List[Type] = []
        values: List[Type] = []

        def leaf() -> None:
            k, v = self.emit_value(node.key), self.emit_value(node.value)
            keys.append(k.type)
            values.append(v.type)
            # typed once the loop has seen every element: the node's overload follows the dict's type
            self.insert("aten::_set_item", [result, k, v], [])

        self._comprehend(node, leaf, iterable)
        result.type = self.dict_type(keys, values, self.range(node), "dict comprehension", expected)
        return result

    def _comprehend(self, node: Any, leaf: Callable[[], None], it: Optional[sugar.Iterable]) -> None:
        if len(node.generators) != 1:
            what = "list" if isinstance(node, ast.ListComp) else "dict"
            self.error(f"{what} comprehensions with more than one `for` are not supported in script functions",
                       self._comprehension_range(node.generators[1]), fix="nest the loops as statements")
        gen = node.generators[0]
        if gen.is_async:
            self.unsupported(node, "async comprehensions are not supported in script functions")
        if it is None:
            it = self.iterable(gen.iter)

        def element() -> None:
            self._comprehension_element(gen.ifs, leaf)

        items = it.items()
        if items is not None:
            for item in items:
                with self.in_frame(Frame(self.frame.block, self.frame)):
                    self.assign_target(gen.target, item)
                    element()
        else:
            loop = self.insert("prim::Loop", [it.length(self), self.constant(True)], [])
            body = loop.add_block()
            counter = body.add_param(INT)
            scope = LoopScope(self, loop, set(), comprehension=True)
            frame = scope.frame = Frame(body, self.frame, loop=scope, exit_var=EXIT)
            self.loop_kinds.append("comprehension")
            try:
                with self.in_frame(frame):
                    self.assign_target(gen.target, it.item(self, counter))
                    element()
                    again = self.constant(True)
            finally:
                self.loop_kinds.pop()
            scope.finish(frame, again, self.range(node))

    def _comprehension_range(self, gen: ast.comprehension) -> SourceRange:
        """``x in xs if c`` of one ``for`` of a comprehension (the node has no position itself)."""
        return self.span(gen.target, (gen.ifs or [gen.iter])[-1])

    def _comprehension_element(self, ifs: List[ast.expr], leaf: Callable[[], None]) -> None:
        if ifs:
            c = self.emit_cond(ifs[0])
            if c.static is False:
                return
            if c.static is None:
                if_node = self.insert("prim::If", [c.value], [])
                frame = Frame(if_node.add_block(), self.frame)
                with self.in_frame(frame):
                    for name, t in c.if_true.items():
                        refine(self, frame, name, t)
                    self._comprehension_element(ifs[1:], leaf)
                if_node.add_block()
                return
            ifs = ifs[1:]
            if ifs:
                self._comprehension_element(ifs, leaf)
                return
        leaf()

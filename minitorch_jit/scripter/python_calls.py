"""Calls from a script back into Python: functions and methods marked ``@torch.jit.ignore``.

The call is a ``prim::PythonOp`` node holding the Python callable (never printed, so a graph
with one is not saved: :mod:`minitorch_jit.serialization` refuses it, as TorchScript refuses to
export Python calls). Its arguments are typed by the function's annotations, a parameter
without one being a Tensor (or its default's type); its result by the return annotation, or
None when the body returns no value, else Tensor::

    @torch.jit.ignore
    def log(x: Tensor, tag: str) -> None: ...       %3 : NoneType = prim::PythonOp[name="log"](%x, %2)

At run time the callable gets Tensors (the graph's arrays wrapped), and what it returns is
checked against the declared type: a value of another type is a RuntimeError naming it.
"""
from __future__ import annotations

import ast
import inspect
import types
from typing import Any, Callable, List, Optional, Tuple

from minitorch_jit.ir import PYTHON_OBJECT, Value
from minitorch_jit.ir.types import NONE, TENSOR, FloatType, IntType, ListType, NoneType, Type

from ..ops.dispatch import _NOFIT, convert, describe, unwrap
from ..runtime.executor import wrap
from .calls import Arg
from .errors import SourceRange
from .modifiers import IGNORE, modifier
from .source import FunctionSource
from .sugar import CallSite, Sugar
from .types import annotation_type, erase, language_names, python_type, type_name


def _returns_value(tree: ast.FunctionDef) -> bool:
    """Whether the body (not nested functions) has a ``return <value>``."""
    todo: List[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def python_signature(b: Any, fn: Callable[..., Any]) -> Tuple[inspect.Signature, List[Type], Type]:
    """The signature of a Python function (or bound method) a script calls back, with its
    parameters' and its result's types (read from its source's annotations, resolved in its
    own scope)."""
    skip_self = isinstance(fn, types.MethodType)
    target = getattr(fn, "__func__", fn)
    source = FunctionSource.of(target)
    signature = inspect.signature(target)
    params = list(signature.parameters.values())
    args = source.tree.args
    nodes = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    if skip_self:
        params, nodes = params[1:], nodes[1:]
        signature = signature.replace(parameters=params)
    def annotation(node: ast.expr) -> Type:
        return annotation_type(node, lambda n: resolve_in(b, source, n), source.range)

    param_types: List[Type] = []
    for p, a in zip(params, nodes):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            b.error(f"{source.name}: a function called from a script cannot take *args or **kwargs",
                    source.range(a))
        if a.annotation is not None:
            param_types.append(annotation(a.annotation))
        elif p.default is not p.empty and p.default is not None and python_type(p.default)[0]:
            param_types.append(python_type(p.default)[1])
        else:
            param_types.append(TENSOR)
    if source.tree.returns is not None:
        result = annotation(source.tree.returns)
    else:
        result = TENSOR if _returns_value(source.tree) else NONE
    return signature, param_types, result


def resolve_in(b: Any, source: FunctionSource, node: ast.AST) -> Any:
    """The Python object an annotation's name denotes in ``source``'s scope."""
    if isinstance(node, ast.Name):
        found, obj = source.python_value(node.id)
        if not found:
            language = language_names()
            if node.id not in language:
                b.error(f"Unknown type name {node.id}", source.range(node))
            obj = language[node.id]
        return obj
    if isinstance(node, ast.Attribute):
        base = resolve_in(b, source, node.value)
        if not hasattr(base, node.attr):
            b.error(f"unknown type '{ast.unparse(node)}'", source.range(node))
        return getattr(base, node.attr)
    b.error(f"unsupported type annotation `{ast.unparse(node)}`", source.range(node))


class PythonCallable:
    """What a ``prim::PythonOp`` calls: the Python function on Tensors, its result checked
    against the declared type and handed back as graphs hold values."""

    def __init__(self, fn: Callable[..., Any], name: str, result: Type):
        self.fn, self.name, self.result = fn, name, result

    def __call__(self, *args: Any) -> Any:
        value = self.fn(*[wrap(a, {}) for a in args])
        fits = value is None if isinstance(self.result, NoneType) else convert(value, self.result) is not _NOFIT
        if not fits:
            raise RuntimeError(f"{self.name}() was called from a script, which expected a value of type "
                               f"{type_name(self.result)} as its result, but instead got value of type "
                               f"{describe(value)}")
        return unwrap(value)


class PythonCall(Sugar):
    """An ``@torch.jit.ignore`` function (or bound method): called back in Python."""

    def __init__(self, fn: Callable[..., Any], display: str):
        self.fn, self.display = fn, display

    def describe(self) -> str:
        return f"the Python function '{self.display}' (@torch.jit.ignore)"

    def call(self, b: Any, site: CallSite) -> Any:
        signature, param_types, result = python_signature(b, self.fn)
        args, kwargs = site.values()
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as e:
            b.error(f"{self.display}(): {e}", site.where)
        inputs: List[Value] = []
        for p, t in zip(signature.parameters.values(), param_types):
            if p.name not in bound.arguments:
                inputs.append(b.python_constant(p.default))
                continue
            a = bound.arguments[p.name]
            inputs.append(_argument(b, a.value, t, p.name, a.where, a.empty_list, self.display))
        node = b.insert("prim::PythonOp", inputs, [erase(result)],
                        {"name": self.display, PYTHON_OBJECT: PythonCallable(self.fn, self.display, result)})
        return node.output


def _argument(b: Any, v: Value, t: Type, name: str, where: SourceRange, empty_list: bool, display: str) -> Value:
    if empty_list and isinstance(t, ListType):
        return b.insert("prim::ListConstruct", [], [t]).output
    if isinstance(t, FloatType) and isinstance(v.type, IntType):
        return b.python_constant(float(v.constant)) if v.node.kind == "prim::Constant" else \
            b.op_call("builtins", "float", [Arg(v, where)], {}, where, "float")
    if not v.type.is_subtype_of(t):
        b.error(f"{display}(): Expected a value of type '{type_name(t)}' for argument '{name}' but instead found "
                f"type '{type_name(v.type)}'", where)
    return v


def ignored(fn: Any, display: str) -> Optional[PythonCall]:
    """The call back into Python for a function (or bound method) marked ``@torch.jit.ignore``,
    else None."""
    return PythonCall(fn, display) if modifier(fn) == IGNORE and callable(fn) else None

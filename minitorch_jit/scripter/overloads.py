"""``torch.jit._overload`` and ``torch.jit._overload_method``: one Python function, several
typed signatures, as TorchScript has them::

    @torch.jit._overload
    def scale(x: int) -> int: ...
    @torch.jit._overload
    def scale(x: float) -> float: ...
    def scale(x):                  # the implementation, compiled once per declaration used
        return x * 2

A script's call picks the first declaration whose parameter types accept the arguments' types
(an int is accepted for a float, as in every call) and compiles the implementation with that
declaration's annotations; each such compilation is its own function (a method's is named
``<name>__<i>``, as TorchScript mangles them). The implementation cannot be scripted by itself:
nothing would say which signature it has.

Declarations are recorded by the module and qualified name they are defined under, so a
later ``def`` of the same name (the implementation) finds them.
"""
from __future__ import annotations

import ast
import copy
import inspect
from typing import Any, Callable, Dict, List, Sequence, Tuple, TypeVar

from minitorch_jit.ir.types import FloatType, IntType, ListType, Type

from .calls import Arg
from .errors import ScriptError, SourceRange
from .source import FunctionSource
from .types import annotation_type, type_name

F = TypeVar("F", bound=Callable[..., Any])

_DECLARATIONS: Dict[Tuple[str, str], List[Callable[..., Any]]] = {}


def _key(fn: Any) -> Tuple[str, str]:
    return getattr(fn, "__module__", "") or "", getattr(fn, "__qualname__", "") or ""


def _overload(fn: F) -> F:
    """Declare one signature of the function defined next under the same name."""
    _DECLARATIONS.setdefault(_key(fn), []).append(fn)
    return fn


def _overload_method(fn: F) -> F:
    """Declare one signature of the module method defined next under the same name."""
    return _overload(fn)


def declarations(fn: Any) -> List[Callable[..., Any]]:
    """The ``_overload`` declarations of ``fn`` (empty when it has none, or is one)."""
    found = _DECLARATIONS.get(_key(getattr(fn, "__func__", fn)), [])
    return [d for d in found if d is not getattr(fn, "__func__", fn)]


def _declared_types(b: Any, decl: Callable[..., Any], skip_self: bool) -> Tuple[inspect.Signature, List[Type]]:
    from .python_calls import resolve_in  # annotations resolve in the declaration's own scope
    source = FunctionSource.of(decl)
    signature = inspect.signature(decl)
    params = list(signature.parameters.values())
    nodes = list(source.tree.args.posonlyargs) + list(source.tree.args.args) + list(source.tree.args.kwonlyargs)
    if skip_self:
        params, nodes = params[1:], nodes[1:]
        signature = signature.replace(parameters=params)
    types = []
    for a in nodes:
        if a.annotation is None:
            raise ScriptError(f"every parameter of an overload declaration must be annotated ('{a.arg}' is not)",
                              source.range(a))
        types.append(annotation_type(a.annotation, lambda n: resolve_in(b, source, n), source.range))
    return signature, types


def _accepts(t: Type, arg: Arg) -> bool:
    v = arg.value.type
    if arg.empty_list:
        return isinstance(t, ListType)
    return v.is_subtype_of(t) or (isinstance(t, FloatType) and isinstance(v, IntType))


def choose(b: Any, fn: Any, args: Sequence[Arg], kwargs: Dict[str, Arg], where: SourceRange, display: str,
           skip_self: bool = False) -> int:
    """The index of the first declaration of ``fn`` that accepts these arguments."""
    tried = []
    for i, decl in enumerate(declarations(fn)):
        signature, types = _declared_types(b, decl, skip_self)
        by_name = dict(zip(signature.parameters, types))
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            tried.append(f"({', '.join(type_name(t) for t in types)})")
            continue
        if all(_accepts(by_name[name], a) for name, a in bound.arguments.items()):
            return i
        tried.append(f"({', '.join(type_name(t) for t in types)})")
    got = ", ".join([type_name(a.value.type) for a in args] + [f"{k}={type_name(a.value.type)}"
                                                               for k, a in kwargs.items()])
    b.error(f"Could not match any of the overloads of '{display}' to the arguments ({got}); it is declared for "
            + " or ".join(tried), where)
    raise AssertionError("unreachable")


def overloaded_source(fn: Any, index: int) -> FunctionSource:
    """The implementation's source with the annotations of declaration ``index``."""
    impl = getattr(fn, "__func__", fn)
    source = FunctionSource.of(impl)
    decl = FunctionSource.of(declarations(fn)[index]).tree
    tree = source.tree
    impl_args = list(tree.args.posonlyargs) + list(tree.args.args) + list(tree.args.kwonlyargs)
    decl_args = list(decl.args.posonlyargs) + list(decl.args.args) + list(decl.args.kwonlyargs)
    if [a.arg for a in impl_args] != [a.arg for a in decl_args]:
        raise _mismatch(source, tree)
    for a, d in zip(impl_args, decl_args):
        a.annotation = _moved(d.annotation, a)
    tree.returns = _moved(decl.returns, tree) if decl.returns is not None else None
    return source


def _moved(node: Any, to: ast.AST) -> Any:
    """A copy of an annotation node placed at ``to`` (errors point into the implementation)."""
    if node is None:
        return None
    node = copy.deepcopy(node)
    for n in ast.walk(node):
        ast.copy_location(n, to)
    return node


def _mismatch(source: FunctionSource, tree: ast.FunctionDef) -> Exception:
    return ScriptError(f"the parameters of {source.name} differ from those of its overload declarations",
                       source.range(tree))


def check_not_overloaded(fn: Any, where: Any) -> None:
    """Scripting an overloaded implementation by itself is an error, as in TorchScript."""
    if declarations(fn):
        name = getattr(fn, "__name__", "?")
        raise ScriptError(f"Function {name} cannot be directly compiled because it is overloaded. It must be used in "
                          "a context of a function where its inputs can determine which overload to call.", where)


__all__ = ["_overload", "_overload_method", "declarations", "choose", "overloaded_source", "check_not_overloaded"]

"""Forward hooks in scripts, as TorchScript compiles them.

Scripting a module compiles the forward pre-hooks and hooks registered on it (and on each
submodule) as methods of its ScriptModule (the hook's first parameter is ``self``), checks
their signatures against ``forward``'s as TorchScript does, and keeps them in order: calling
the ScriptModule runs them around ``forward``. In a compiled method, ``self.sub(x)`` calls
``sub``'s hooks around its ``forward`` (``self.sub.forward(x)`` calls none):

- the pre-hooks each take the arguments as a tuple; a result that is not None replaces them
  (a value that is not a tuple becomes a 1-tuple);
- the hooks each take that tuple and the output; a result that is not None replaces the output.
"""
from __future__ import annotations

import types
from typing import Any, Dict, List, Optional, Sequence, Tuple

from minitorch_jit.ir import Value
from minitorch_jit.ir.types import NoneType, TupleType, Type

from ..nn.hooks import hook_tables
from ..nn.module import Module
from ..runtime.compiled import ScriptMethod, ScriptModule
from .calls import Arg
from .errors import ScriptError, SourceRange
from .types import erase, type_name


def hooks_of(module: Module) -> Tuple[List[Any], List[Any]]:
    """The Python functions registered as forward pre-hooks and hooks of ``module``."""
    tables = hook_tables(module)
    if tables is None:
        return [], []
    if tables.pre_with_kwargs or tables.post_with_kwargs:
        raise ScriptError(f"hooks of {type(module).__name__} registered with with_kwargs=True cannot be scripted "
                          "(TorchScript hooks take the positional arguments as a tuple)")
    return list(tables.pre.values()), list(tables.post.values())


def compile_hooks(compiler: Any, module: Module, owner: ScriptModule,
                  where: Optional[SourceRange] = None) -> Tuple[List[ScriptMethod], List[ScriptMethod]]:
    """Compile ``module``'s hooks onto ``owner`` (once), checked against its ``forward``."""
    compiled = owner.__dict__.setdefault("_compiled_hook_sources", {})
    pre_fns, post_fns = hooks_of(module)
    if not pre_fns and not post_fns:
        return [], []
    key = tuple(map(id, pre_fns)), tuple(map(id, post_fns))
    if compiled.get("key") == key:
        return owner._script_pre_hooks, owner._script_hooks
    forward = compiler.method(module, owner, "forward", where)
    cls = type(module).__name__
    definitions: Dict[str, Any] = {}
    kinds: Dict[str, str] = {}
    for kind, fns in (("Pre-hook", pre_fns), ("Hook", post_fns)):
        for fn in fns:
            name = getattr(fn, "__name__", None)
            if not isinstance(fn, types.FunctionType) or name is None:
                raise ScriptError(f"{kind} {fn!r} on module '{cls}' is not a Python function, so it cannot be "
                                  "scripted", where)
            if name in definitions and definitions[name] is not fn:
                raise ScriptError(f"{kind} '{name}' on module '{cls}' has at least two different python definitions."
                                  " Please use unique names for all hooks.", where)
            if name not in definitions and _is_method(module, owner, name):
                raise ScriptError(f"Can't define hook: {name} on class: __torch__.{cls} because a method or hook with "
                                  "that name already exists.", where)
            definitions[name] = fn
            kinds[name] = "pre-hook" if kind == "Pre-hook" else "hook"
    methods = {}
    for name, fn in definitions.items():
        try:
            methods[name] = compiler.hook(module, owner, fn, where)
        except ScriptError as e:
            e.msg += (f"\nThis error occurred while scripting the forward {kinds[name]} '{name}' on module '{cls}'. "
                      f"If you did not want to script this {kinds[name]} remove it from the original NN module "
                      "before scripting.")
            raise
    pre = [methods[fn.__name__] for fn in pre_fns]
    post = [methods[fn.__name__] for fn in post_fns]
    _check_signatures(cls, forward, pre, post, pre_fns)
    owner._script_pre_hooks.clear()
    owner._script_hooks.clear()
    for m in pre:
        owner._add_hook("pre", m)
    for m in post:
        owner._add_hook("post", m)
    compiled["key"] = key
    return pre, post


def _is_method(module: Module, owner: ScriptModule, name: str) -> bool:
    """Whether the module's class defines a method ``name`` (nn.Module's own, like ``train``,
    are not compiled, so a hook may take their names)."""
    if name in owner._methods:
        return True
    for cls in type(module).__mro__:
        if name in vars(cls):
            attr = vars(cls)[name]
            return cls not in (Module, ScriptModule) and isinstance(getattr(attr, "fn", attr), types.FunctionType)
    return False


def _forward_types(forward: ScriptMethod) -> List[Type]:
    return [erase(v.type) for v in forward.graph.inputs[:len(forward.signature.parameters)]]


def _inputs_str(arg_types: Sequence[Type]) -> str:
    return ", ".join(type_name(t) for t in arg_types) if arg_types else "()"


def _params(method: ScriptMethod) -> List[Type]:
    return [erase(v.type) for v in method.graph.inputs[:len(method.signature.parameters)]]


def _output(method: ScriptMethod) -> Type:
    return erase(method.graph.outputs[0].type)


def _check_signatures(cls: str, forward: ScriptMethod, pre: List[ScriptMethod], post: List[ScriptMethod],
                      pre_fns: List[Any]) -> None:
    """TorchScript's checks of hook signatures (and its messages)."""
    args = _forward_types(forward)
    inputs = _inputs_str(args)
    for hook, fn in zip(pre, pre_fns):
        hook_id = f"Pre-hook '{hook.name}' on module '{cls}' "
        single = f", '{type_name(args[0])}'," if len(args) == 1 and not isinstance(args[0], TupleType) else ""
        hint = (f"This error occurred while scripting the forward pre-hook '{hook.name}' on module '{cls}'. If you "
                "did not want to script this pre-hook remove it from the original NN module before scripting. "
                f"Pre-hooks for module '{cls}' are expected to have the following signature: {hook.name}(self, "
                f"input: Tuple[{inputs}]) with a return type of either 'None'{single} or 'Tuple[{inputs}]'.")
        params = _params(hook)
        if len(params) != 1:
            raise ScriptError(f"{hook_id}was expected to only have exactly 2 inputs but it had {len(params) + 1} "
                              f"inputs. {hint}")
        _check_input_tuple(hook_id, hint, params[0], args)
        if "return" not in getattr(fn, "__annotations__", {}):
            raise ScriptError(f"{hook_id}is missing a return annotation. Return annotations are required, please "
                              f"add one.\n{hint}")
        ret = _output(hook)
        wrong = f"{hook_id}returned the wrong type of: '{type_name(ret)}'."
        if isinstance(ret, NoneType):
            continue
        if len(args) == 1 and ret == args[0]:
            if isinstance(ret, TupleType):
                raise ScriptError(f"{wrong} When forward has a single tuple input argument, the return needs to be "
                                  "'None' or a nested tuple containing forward's input tuple argument as in: "
                                  f"'Tuple[{type_name(args[0])}]'.\n{hint}")
            continue
        if not isinstance(ret, TupleType):
            raise ScriptError(f"{wrong}{hint}")
        if not args and ret.elems:
            raise ScriptError(f"{wrong} Was expecting either 'None' or 'Tuple[()]' since forward had no "
                              f"arguments.\n{hint}")
        if len(ret.elems) != len(args):
            raise ScriptError(f"{wrong} The returned tuple contains the wrong number of contained types.\n{hint}")
        if list(ret.elems) != args:
            raise ScriptError(f"{wrong} The returned tuple contains the wrong inner types.\n{hint}")
    previous = _output(forward)
    for hook in post:
        hook_id = f"Hook '{hook.name}' on module '{cls}' "
        hint = (f"This error occurred while scripting the forward hook '{hook.name}' on module {cls}. If you did not "
                "want to script this hook remove it from the original NN module before scripting. This hook was "
                f"expected to have the following signature: {hook.name}(self, input: Tuple[{inputs}], output: "
                f"{type_name(previous)}). The type of the output arg is the returned type from either the forward "
                "method or the previous hook if it exists. Note that hooks can return anything, but if the hook is on "
                "a submodule the outer module is expecting the same return type as the submodule's forward.")
        params = _params(hook)
        if len(params) != 2:
            raise ScriptError(f"{hook_id}was expected to only have exactly 3 inputs but it had {len(params) + 1} "
                              f"inputs. {hint}")
        _check_input_tuple(hook_id, hint, params[0], args)
        if params[1] != previous:
            raise ScriptError(f"{hook_id}has the wrong type for the output argument. Received type: "
                              f"'{type_name(params[1])}'. Expected type: '{type_name(previous)}'.\n{hint}")
        previous = _output(hook)


def _check_input_tuple(hook_id: str, hint: str, t: Type, args: List[Type]) -> None:
    if not isinstance(t, TupleType):
        raise ScriptError(f"{hook_id}expected the input argument to be typed as a Tuple but found type: "
                          f"'{type_name(t)}' instead.\n{hint}")
    if not args:
        if t.elems:
            raise ScriptError(f"{hook_id}was expecting Tuple[()] as the input type. Received type: "
                              f"'{type_name(t)}'.\n{hint}")
        return
    if len(t.elems) != len(args):
        raise ScriptError(f"{hook_id}has the wrong number of contained types for the input argument's Tuple. "
                          f"Received type: '{type_name(t)}'.\n{hint}")
    if list(t.elems) != args:
        raise ScriptError(f"{hook_id}has the wrong inner types for the input tuple argument. Received type: "
                          f"'{type_name(t)}'.\n{hint}")


def emit_hooked_call(b: Any, module_value: Any, forward: Any, site: Any) -> Any:
    """``self.sub(...)`` for a submodule with hooks: the pre-hooks, ``forward`` on what they
    leave of the arguments, then the hooks on its output."""
    pre, post = compile_hooks(b.compiler, module_value.module, module_value.mirror, site.where)
    args, kwargs = site.values()
    method = b.compiler.method(module_value.module, module_value.mirror, "forward", site.where)
    values = _bind(b, method, args, kwargs, site.where)
    where = site.where
    inputs = b.insert("prim::TupleConstruct", values, [TupleType([v.type for v in values])]).output
    for hook in pre:
        result = _call(b, module_value, hook, [inputs], where)
        if isinstance(result.type, NoneType):
            continue
        if not isinstance(result.type, TupleType):
            result = b.insert("prim::TupleConstruct", [result], [TupleType([result.type])]).output
        inputs = result
    items = [Arg(v, where) for v in b.tuple_items(inputs)]
    output = forward(b, items)
    for hook in post:
        result = _call(b, module_value, hook, [inputs, output], where)
        if not isinstance(result.type, NoneType):
            output = result
    return output


def _bind(b: Any, method: ScriptMethod, args: List[Arg], kwargs: Dict[str, Arg], where: SourceRange) -> List[Value]:
    """The call's arguments in the order of ``forward``'s parameters (defaults filled in)."""
    try:
        bound = method.signature.bind(*args, **kwargs)
    except TypeError as e:
        b.error(f"forward(): {e}", where)
    bound.apply_defaults()
    return [a.value if isinstance(a, Arg) else b.python_constant(a) for a in bound.arguments.values()]


def _call(b: Any, module_value: Any, hook: ScriptMethod, values: List[Value], where: SourceRange) -> Value:
    attrs = [b.attr_input(module_value._path(p), v.type)
             for p, v in zip(hook.attr_paths, hook.graph.inputs[len(hook.signature.parameters):])]
    return b.call_function(hook, [Arg(v, where) for v in values], {}, attrs, where,
                           module_value._path(hook.name))

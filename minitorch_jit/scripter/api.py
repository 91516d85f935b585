"""``script``: compile a function, or a module's methods, from their Python source.

- ``script(fn)`` (also as ``@script``) returns a :class:`ScriptFunction`; functions it
  calls are compiled too, each once, and called as ``prim::CallFunction`` nodes.
- ``script(module)`` returns a ScriptModule mirroring the module (sharing its parameters and
  buffers) whose ``forward``, the methods it calls and every submodule's ``forward`` are
  compiled into :class:`ScriptMethod` s. A method's graph takes its arguments and then the
  module attributes it reads (parameters, buffers, ``training``), read at each call.
- ``@torch.jit.export`` on a module's method: compiled with ``forward`` (of that module and of
  every submodule), though ``forward`` does not call it; ``@torch.jit.unused``: its body is not
  compiled, it raises when a script calls it (the Python method is untouched).
- ``class M(torch.jit.ScriptModule)`` with ``@torch.jit.script_method`` methods: compiled when
  the constructor returns, as in PyTorch.
- ``MINITORCH_JIT_DISABLE=1``: ``script`` returns what it was given, to debug with Python.
"""
from __future__ import annotations

import inspect
import types
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union

from ..nn.backward_hooks import refuse_compiling
from ..nn.module import Module
from ..runtime import compiled
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, mirror
from ..runtime.config import disabled
from . import classes
from . import types as script_types
from .constants import constant_names, constant_value
from .containers import script_container
from .errors import ScriptError, SourceRange, UnsupportedNodeError
from .hooks import compile_hooks
from .modifiers import EXPORT, IGNORE, export, ignore, modifier, unused
from .overloads import check_not_overloaded, overloaded_source
from .source import DEFINED, Definition, FunctionSource, defined_method
from .statements import FunctionBuilder
from .sugar import ModuleValue


class Compiler:
    """Compiles each function and each (module, method) once, and refuses recursion."""

    def __init__(self) -> None:
        # compiled functions live as long as the Python functions they came from
        self.functions: "weakref.WeakKeyDictionary[Callable[..., Any], ScriptFunction]" = weakref.WeakKeyDictionary()
        # an overloaded function's compilations, by the index of their declaration
        self.overloaded: "weakref.WeakKeyDictionary[Callable[..., Any], Dict[Any, ScriptFunction]]" = \
            weakref.WeakKeyDictionary()
        self.active: Set[Any] = set()

    @property
    def decorators(self) -> Tuple[Callable[..., Any], ...]:
        """The decorators a function being compiled may carry."""
        return script, script_method, export, unused, ignore

    def function(self, fn: Any, where: Optional[SourceRange] = None, overload: Optional[int] = None) -> ScriptFunction:
        """``fn`` compiled (once); ``overload``: with the annotations of its ``_overload``
        declaration of that index."""
        if isinstance(fn, ScriptFunction):
            return fn
        cache: Any = self.functions if overload is None else self.overloaded.setdefault(fn, {})
        key = fn if overload is None else overload
        if key in cache:
            return cache[key]
        name = getattr(fn, "__qualname__", repr(fn))
        if overload is not None:
            source = overloaded_source(fn, overload)
        elif isinstance(fn, Definition):
            source = fn.source
        else:
            check_not_overloaded(fn, where)
            source = FunctionSource.of(fn)
        with self._compiling((fn, overload), name, where):
            graph, signature = FunctionBuilder(source, self).build()
        compiled = ScriptFunction(graph, signature, fn.__name__, name)
        compiled.__doc__ = fn.__doc__
        cache[key] = compiled
        return compiled

    def method(self, module: Module, owner: ScriptModule, name: str,
               where: Optional[SourceRange] = None, overload: Optional[int] = None) -> ScriptMethod:
        """Method ``name`` of ``module`` compiled into ``owner`` (once); ``overload``: with the
        annotations of its ``_overload_method`` declaration of that index, as ``<name>__<i>``."""
        compiled_name = name if overload is None else f"{name}__{overload}"
        methods = owner.__dict__["_methods"]
        if compiled_name in methods:
            return methods[compiled_name]
        qualified = f"{type(module).__name__}.{compiled_name}"
        source = defined_method(owner, name)
        if source is None:
            fn = inspect.getattr_static(type(module), name, None)
            fn = getattr(fn, "fn", fn)  # a @script_method stub holds the function
            if not isinstance(fn, types.FunctionType):
                raise ScriptError(f"'{qualified}' is not a method that can be compiled", where)
            if overload is None:
                check_not_overloaded(fn, where)
            source = FunctionSource.of(fn) if overload is None else overloaded_source(fn, overload)
        with self._compiling((id(owner), compiled_name), qualified, where):
            builder = FunctionBuilder(source, self, ModuleValue(module, owner, ""))
            graph, signature = builder.build()
        method = ScriptMethod(graph, signature, compiled_name, builder.attr_paths, qualified, builder.written_paths)
        method.__doc__ = getattr(getattr(source, "fn", None), "__doc__", None)
        owner._add_method(method)
        return method

    def bound_function(self, module: Module, owner: ScriptModule, fn: types.FunctionType, name: str,
                       where: Optional[SourceRange] = None) -> ScriptMethod:
        """Compile ``fn`` (whose first parameter is ``self``: a forward hook of ``module``, see
        :mod:`.hooks`, or a property's getter or setter) as a method ``name`` of ``owner``,
        once per function."""
        cache = owner.__dict__.setdefault("_bound_functions", {})
        if fn in cache:
            return cache[fn]
        qualified = f"{type(module).__name__}.{name}"
        with self._compiling((id(owner), "bound", id(fn)), qualified, where):
            builder = FunctionBuilder(FunctionSource.of(fn), self, ModuleValue(module, owner, ""))
            graph, signature = builder.build()
        cache[fn] = ScriptMethod(graph, signature, name, builder.attr_paths, qualified, builder.written_paths)
        return cache[fn]

    def _compiling(self, key: Any, name: str, where: Optional[SourceRange]) -> "_Active":
        return _Active(self, key, name, where)


class _Active:
    """Marks a function as being compiled; a call back into it is recursion, which the
    language does not have. Errors in a callee say where it was called from."""

    def __init__(self, compiler: Compiler, key: Any, name: str, where: Optional[SourceRange]):
        self.compiler, self.key, self.name, self.where = compiler, key, name, where

    def __enter__(self) -> None:
        if self.key in self.compiler.active:
            raise ScriptError(f"{self.name} is called recursively involving itself: recursion is not supported in "
                              "script functions", self.where, fix="write the recursion as a loop")
        self.compiler.active.add(self.key)

    def __exit__(self, kind: Any, e: Any, tb: Any) -> None:
        self.compiler.active.discard(self.key)
        if isinstance(e, ScriptError) and self.where is not None:
            e.called_from(self.name.rsplit(".", 1)[-1], self.where)


_compiler = Compiler()
script_types.user_types = lambda obj, where: classes.user_type(_compiler, obj, where)


def script(obj: Any, type_hint: Any = None) -> Any:
    """Compile a function (``@script`` or ``script(fn)``: a :class:`ScriptFunction`) or a module
    (``script(module)``: a ScriptModule sharing its parameters) from its Python source into
    graphs; constructs outside the script language raise :class:`ScriptError` here, naming the
    line. A list or dict becomes a ScriptList or ScriptDict shared with scripted functions,
    typed by ``type_hint`` (``List[int]``) or its elements. With ``MINITORCH_JIT_DISABLE=1`` it
    returns ``obj`` unchanged."""
    if disabled():
        return obj
    if isinstance(obj, (list, dict)):
        return script_container(obj, type_hint)
    if isinstance(obj, (ScriptFunction, ScriptModule)):
        return obj
    obj = prepare_scriptable(obj, {})
    if isinstance(obj, Module):
        refuse_compiling(obj)
        return _script_module(obj)
    if isinstance(obj, types.MethodType):
        raise TypeError(f"script() of the bound method {obj.__qualname__}: script the module instead")
    if isinstance(obj, types.FunctionType):
        return _compiler.function(obj)
    if isinstance(obj, type):
        if classes.user_type(_compiler, obj, None) is None:
            raise TypeError(f"script() of the class {obj.__name__} is not supported: script a class of your own, "
                            "an Enum, an instance of a module, or a function")
        return obj  # as in TorchScript: the class, compiled, is usable from scripts
    call = inspect.getattr_static(type(obj), "__call__", None)
    if isinstance(call, types.FunctionType):  # a callable object: TorchScript reads its __call__
        tree = FunctionSource.of(call)
        star = tree.tree.args.vararg or tree.tree.args.kwarg
        if star is not None:
            raise UnsupportedNodeError("Compiled functions can't take variable number of arguments or use "
                                       "keyword-only arguments with defaults", tree.range(star))
    if classes.is_user_class(type(obj)):  # an instance: an object scripts and Python share
        from ..runtime.objects import object_of
        return object_of(obj, classes.class_type(_compiler, type(obj)))
    raise TypeError(f"script() takes a function or an nn.Module, not {type(obj).__name__}")


def prepare_scriptable(obj: Any, memo: Dict[int, Any]) -> Any:
    """What scripting ``obj`` compiles: ``obj.__prepare_scriptable__()`` where it defines one
    (PyTorch's hook to swap in a scriptable stand-in), and so for each submodule, and each
    module held in a plain attribute; the submodules are replaced in place, as in PyTorch.
    ``memo`` keeps shared (and cyclic) modules to one visit."""
    if id(obj) in memo:
        return memo[id(obj)]
    prepare = getattr(obj, "__prepare_scriptable__", None)
    prepared = prepare() if callable(prepare) else obj
    memo[id(obj)] = prepared
    if isinstance(prepared, Module) and not isinstance(prepared, ScriptModule):
        modules = prepared.__dict__.get("_modules", {})
        for name, sub in list(modules.items()):
            if sub is not None:
                modules[name] = prepare_scriptable(sub, memo)
        for name, value in list(prepared.__dict__.items()):
            if isinstance(value, Module) and not isinstance(value, ScriptModule):
                prepared.__dict__[name] = prepare_scriptable(value, memo)
    return prepared


def _script_module(module: Module) -> ScriptModule:
    """``module``'s ScriptModule, with the entry points of it and its submodules compiled (a
    module without any still scripts, as in PyTorch: its tensors and submodules are kept)."""
    if "_parameters" not in module.__dict__:
        raise RuntimeError(f"'{type(module).__name__}' has not been initialized, did you forget to call 'super()'?")
    root = mirror(module)
    for sub, owner in _pairs(module, root):
        if not isinstance(sub, ScriptModule):
            for name in entry_points(sub):
                _compiler.method(sub, owner, name)
            compile_hooks(_compiler, sub, owner)
            _add_constants(sub, owner)
            _add_python_methods(sub, owner)
    return root


def _add_python_methods(module: Module, owner: ScriptModule) -> None:
    """The ScriptModule has the module's ``@torch.jit.ignore`` methods, which stay Python
    (bound to the module, as the script's calls of them are)."""
    names = {n for cls in type(module).__mro__ for n in vars(cls)} | set(module.__dict__)
    for name in sorted(names):
        if name.startswith("__"):
            continue
        fn = getattr(module, name, None)
        if callable(fn) and modifier(fn) == IGNORE:
            owner.__dict__[name] = fn


def _add_constants(module: Module, owner: ScriptModule) -> None:
    """Give ``owner`` the constants ``module`` declares, checked as TorchScript checks them
    when it scripts a module (a constant no method reads must be valid too)."""
    tables = [module.__dict__[t] for t in ("_parameters", "_buffers", "_modules")]
    for name in sorted(constant_names(type(module))):
        if not any(name in t for t in tables):
            owner.add_constant(name, constant_value(module, name, None))


def entry_points(module: Module) -> List[str]:
    """The methods scripting ``module`` compiles whether or not another reaches them: its
    ``forward`` and its ``@export`` methods, in the order the classes define them."""
    cls = type(module)
    names = ["forward"] if cls.forward is not Module.forward else []
    for base in reversed(cls.__mro__):
        for name in vars(base):
            if name not in names and modifier(inspect.getattr_static(cls, name)) == EXPORT:
                names.append(name)
    return names


def _pairs(module: Module, owner: Module) -> Any:
    yield module, owner
    for name, sub in module.__dict__["_modules"].items():
        if sub is not None:
            yield from _pairs(sub, owner.__dict__["_modules"][name])


# -- torch.jit.ScriptModule subclasses ---------------------------------------------------------------


class ScriptMethodStub:
    """What ``@script_method`` leaves in the class: the compiled method once the instance is
    constructed (the plain function while ``__init__`` runs)."""

    def __init__(self, fn: types.FunctionType):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        compiled = obj.__dict__.get("_methods", {}).get(self.name)
        return compiled if compiled is not None else self.fn.__get__(obj, objtype)


def script_method(fn: types.FunctionType) -> Union[ScriptMethodStub, types.FunctionType]:
    """Mark a method of a ``torch.jit.ScriptModule`` subclass for compilation."""
    if disabled():
        return fn
    return ScriptMethodStub(fn)


_CONSTRUCTED = "_constructed"  # set on a ScriptModule subclass instance once its constructor returned


def compile_script_methods(module: ScriptModule) -> None:
    """After a ScriptModule subclass's constructor: its plain submodules become ScriptModules
    (sharing their parameters), and its ``@script_method`` methods (and those given as text
    with ``define``) are compiled."""
    object.__setattr__(module, _CONSTRUCTED, True)
    stubs = {name for cls in type(module).__mro__ for name, v in vars(cls).items() if isinstance(v, ScriptMethodStub)}
    stubs |= set(module.__dict__.get(DEFINED, {}))
    if not stubs:
        return
    modules = module.__dict__["_modules"]
    for name, sub in list(modules.items()):
        if sub is not None and not isinstance(sub, ScriptModule):
            modules[name] = _script_module(sub)
    for name in sorted(stubs, key=lambda n: n != "forward"):
        _compiler.method(module, module, name)
    _add_constants(module, module)


def compile_defined_methods(module: ScriptModule, names: List[str]) -> None:
    """Compile methods just given as text, unless the constructor of the ScriptModule subclass
    is still running (then :func:`compile_script_methods` compiles them when it returns)."""
    if type(module) is not ScriptModule and not module.__dict__.get(_CONSTRUCTED, False):
        return
    for name in names:
        _compiler.method(module, module, name)


def compile_traced_exports(module: Module, traced: ScriptModule) -> None:
    """A traced module's ``@torch.jit.export`` methods (and its submodules'), compiled into
    the ScriptModules the trace made (``forward`` stays the trace)."""
    for sub, owner in _pairs(module, traced):
        if isinstance(sub, ScriptModule) or not isinstance(owner, ScriptModule):
            continue
        for name in entry_points(sub):
            if name != "forward":
                _compiler.method(sub, owner, name)


compiled.when_subclass_constructed(compile_script_methods)
compiled.compiles_exports(compile_traced_exports)


__all__ = ["script", "script_method", "compile_script_methods", "entry_points", "Compiler"]


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
from typing import Any, Callable, List, Optional, Set, Tuple, Union

from ..nn.module import Module
from ..runtime import compiled
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, mirror
from ..runtime.config import disabled
from .constants import constant_names, constant_value
from .errors import ScriptError, SourceRange
from .hooks import compile_hooks
from .modifiers import EXPORT, export, modifier, unused
from .source import FunctionSource
from .statements import FunctionBuilder
from .sugar import ModuleValue


class Compiler:
    """Compiles each function and each (module, method) once, and refuses recursion."""

    def __init__(self) -> None:
        # compiled functions live as long as the Python functions they came from
        self.functions: "weakref.WeakKeyDictionary[Callable[..., Any], ScriptFunction]" = weakref.WeakKeyDictionary()
        self.active: Set[Any] = set()

    @property
    def decorators(self) -> Tuple[Callable[..., Any], ...]:
        """The decorators a function being compiled may carry."""
        return script, script_method, export, unused

    def function(self, fn: Any, where: Optional[SourceRange] = None) -> ScriptFunction:
        if isinstance(fn, ScriptFunction):
            return fn
        if fn in self.functions:
            return self.functions[fn]
        name = getattr(fn, "__qualname__", repr(fn))
        with self._compiling(fn, name, where):
            graph, signature = FunctionBuilder(FunctionSource.of(fn), self).build()
        compiled = ScriptFunction(graph, signature, fn.__name__, name)
        self.functions[fn] = compiled
        return compiled

    def method(self, module: Module, owner: ScriptModule, name: str,
               where: Optional[SourceRange] = None) -> ScriptMethod:
        methods = owner.__dict__["_methods"]
        if name in methods:
            return methods[name]
        fn = inspect.getattr_static(type(module), name, None)
        fn = getattr(fn, "fn", fn)  # a @script_method stub holds the function
        qualified = f"{type(module).__name__}.{name}"
        if not isinstance(fn, types.FunctionType):
            raise ScriptError(f"'{qualified}' is not a method that can be compiled", where)
        with self._compiling((id(owner), name), qualified, where):
            builder = FunctionBuilder(FunctionSource.of(fn), self, ModuleValue(module, owner, ""))
            graph, signature = builder.build()
        method = ScriptMethod(graph, signature, name, builder.attr_paths, qualified)
        owner._add_method(method)
        return method

    def hook(self, module: Module, owner: ScriptModule, fn: types.FunctionType,
             where: Optional[SourceRange] = None) -> ScriptMethod:
        """Compile ``fn`` (a forward hook of ``module``: its first parameter is ``self``) as a
        method of ``owner``; see :mod:`.hooks`."""
        qualified = f"{type(module).__name__}.{fn.__name__}"
        with self._compiling((id(owner), "hook", fn.__name__), qualified, where):
            builder = FunctionBuilder(FunctionSource.of(fn), self, ModuleValue(module, owner, ""))
            graph, signature = builder.build()
        return ScriptMethod(graph, signature, fn.__name__, builder.attr_paths, qualified)

    def _compiling(self, key: Any, name: str, where: Optional[SourceRange]) -> "_Active":
        return _Active(self, key, name, where)


class _Active:
    """Marks a function as being compiled; a call back into it is recursion, which the
    language does not have. Errors in a callee say where it was called from."""

    def __init__(self, compiler: Compiler, key: Any, name: str, where: Optional[SourceRange]):
        self.compiler, self.key, self.name, self.where = compiler, key, name, where

    def __enter__(self) -> None:
        if self.key in self.compiler.active:
            raise ScriptError(f"{self.name} calls itself: recursion is not supported in script functions",
                              self.where, fix="write the recursion as a loop")
        self.compiler.active.add(self.key)

    def __exit__(self, kind: Any, e: Any, tb: Any) -> None:
        self.compiler.active.discard(self.key)
        if isinstance(e, ScriptError) and self.where is not None:
            e.called_from(f"in {self.name}, called from here:", self.where)


_compiler = Compiler()


def script(obj: Any) -> Any:
    """Compile a function (``@script`` or ``script(fn)``: a :class:`ScriptFunction`) or a module
    (``script(module)``: a ScriptModule sharing its parameters) from its Python source into
    graphs; constructs outside the script language raise :class:`ScriptError` here, naming the
    line. With ``MINITORCH_JIT_DISABLE=1`` it returns ``obj`` unchanged."""
    if disabled():
        return obj
    if isinstance(obj, (ScriptFunction, ScriptModule)):
        return obj
    if isinstance(obj, Module):
        return _script_module(obj)
    if isinstance(obj, types.MethodType):
        raise TypeError(f"script() of the bound method {obj.__qualname__}: script the module instead")
    if isinstance(obj, types.FunctionType):
        return _compiler.function(obj)
    if isinstance(obj, type):
        raise TypeError(f"script() of the class {obj.__name__} is not supported: script an instance of a module, "
                        "or a function")
    raise TypeError(f"script() takes a function or an nn.Module, not {type(obj).__name__}")


def _script_module(module: Module) -> ScriptModule:
    """``module``'s ScriptModule, with the entry points of it and its submodules compiled (a
    module without any still scripts, as in PyTorch: its tensors and submodules are kept)."""
    root = mirror(module)
    for sub, owner in _pairs(module, root):
        if not isinstance(sub, ScriptModule):
            for name in entry_points(sub):
                _compiler.method(sub, owner, name)
            compile_hooks(_compiler, sub, owner)
            _add_constants(sub, owner)
    return root


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


def compile_script_methods(module: ScriptModule) -> None:
    """After a ScriptModule subclass's constructor: its plain submodules become ScriptModules
    (sharing their parameters), and its ``@script_method`` methods are compiled."""
    stubs = {name for cls in type(module).__mro__ for name, v in vars(cls).items() if isinstance(v, ScriptMethodStub)}
    if not stubs:
        return
    modules = module.__dict__["_modules"]
    for name, sub in list(modules.items()):
        if sub is not None and not isinstance(sub, ScriptModule):
            modules[name] = _script_module(sub)
    for name in sorted(stubs, key=lambda n: n != "forward"):
        _compiler.method(module, module, name)
    _add_constants(module, module)


compiled.when_subclass_constructed(compile_script_methods)


__all__ = ["script", "script_method", "compile_script_methods", "entry_points", "Compiler"]


"""Compiled callables: ScriptFunction (a scripted or traced function) and ScriptModule (a
module whose methods are graphs over its parameters).

The frontends and serialization build these objects from graphs; the runtime imports none of
them back. The two places where a compiled object must call up into them take what they
registered: ``save`` the archive writer of :mod:`minitorch_jit.serialization`, and a
ScriptModule subclass's constructor the scripter's compiler of ``@script_method`` methods.
"""
from __future__ import annotations

import functools
import inspect
import io
import operator
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen.host import generate
from minitorch_jit.codegen.launch import MISS, register_wrapper
from minitorch_jit.ir import Graph
from minitorch_jit.ir.types import ListType, TensorType, TupleType, UnionType, annotation_str
from minitorch_jit.passes.inlining import inlining

from ..autograd.grad_mode import is_grad_enabled
from ..nn.module import Module
from ..ops import dispatch
from ..ops.dispatch import _NOFIT, convert
from ..tensor import Tensor
from . import config
from .broadcasting_list import BroadcastList
from .executor import GraphExecutor
from .objects import holds_named_tuples, holds_objects, named_tuples
from .user_errors import at_user_line

_writer: Optional[Callable[..., None]] = None
_subclass_compiler: Optional[Callable[["ScriptModule"], None]] = None
_definer: Optional[Callable[["ScriptModule", str, int], None]] = None


def writes_archives(save: Callable[..., None]) -> None:
    """Serialization registers ``save(obj, f, _extra_files=None)``, which ``ScriptFunction.save``
    and ``ScriptModule.save`` call."""
    global _writer
    _writer = save


def when_subclass_constructed(compile_methods: Callable[["ScriptModule"], None]) -> None:
    """The scripter registers what runs when the constructor of a ScriptModule subclass returns
    (it compiles the ``@script_method`` methods, which only the scripter can make)."""
    global _subclass_compiler
    _subclass_compiler = compile_methods


class ArgumentTypeError(TypeError, RuntimeError):
    """An argument that is not of its parameter's type: a TypeError, as Python raises for bad
    arguments, and a RuntimeError, as TorchScript raises it."""


_export_compiler: Optional[Callable[[Module, "ScriptModule"], None]] = None


def compiles_exports(compile_exports: Callable[[Module, "ScriptModule"], None]) -> None:
    """The scripter registers ``compile_exports(module, traced)``: a traced module gets the
    ``@torch.jit.export`` methods of the module and its submodules compiled, as TorchScript
    scripts them beside the traced forward."""
    global _export_compiler
    _export_compiler = compile_exports


def compile_exports(module: Module, traced: "ScriptModule") -> None:
    if _export_compiler is not None:
        _export_compiler(module, traced)


def defines_methods(define: Callable[["ScriptModule", str, int], None]) -> None:
    """The scripter registers what ``ScriptModule.define(src)`` runs: ``define(module, src,
    frames_up)`` compiles the methods the text defines (names in it resolve in the scope
    ``frames_up`` frames above it)."""
    global _definer
    _definer = define


class Attribute(NamedTuple):
    """``torch.jit.Attribute(value, type)``: in ``__init__``, a module attribute whose type
    is given (``self.names = torch.jit.Attribute([], List[str])``). A ScriptModule subclass
    keeps the value (and the type for its methods); a plain module keeps the pair until it is
    scripted, as in PyTorch."""
    value: Any
    type: Any


def _save(obj: Any, f: Any, _extra_files: Optional[Dict[str, Any]] = None) -> None:
    if _writer is None:
        raise RuntimeError("saving needs minitorch_jit.serialization, which is not imported")
    _writer(obj, f, _extra_files=_extra_files)


class CallError(TypeError, RuntimeError):
    """Arguments that do not fit a compiled function's signature: Python's TypeError, and
    the RuntimeError TorchScript raises for them."""


class ScriptFunction:
    """A graph with the calling convention of the Python function it came from."""

    def __init__(self, graph: Graph, signature: inspect.Signature, name: str, qualified_name: Optional[str] = None):
        self._graph = graph
        self.signature = signature
        self.__name__ = self.name = name
        self.qualified_name = qualified_name or name
        self.executor = GraphExecutor(graph, name, optimize=config.optimizer(), fusion=config.fusion())
        self._code: Optional[str] = None
        # calls with this many positional tensors bind in order with nothing to check but
        # their types (None: every call binds its arguments through the signature)
        self._tensor_arity = _tensor_arity(signature, graph)
        # calls with this many positional arguments may go to the previous call's launch as
        # they are: they are all the graph's inputs (a method's attributes are more)
        self._lean_arity = self._tensor_arity
        # (required count, the defaults of every parameter, their names) when positional
        # arguments bind in order: no keyword-only or variadic parameters, no BroadcastList
        # annotations (widened by bind's path); None: calls bind through the signature
        self._plain = _plain_binding(signature)
        # a result holding NamedTuples: the type that makes them so when Python gets it
        out = graph.outputs[0].type if len(graph.outputs) == 1 else None
        self._named_result = out if out is not None and holds_named_tuples(out) else None
        # a trace's arguments that are not the graph's values as they are (dicts, passed to
        # the graph as tuples), and a result that is not (dicts, returned as tuples)
        self.adapters: Dict[int, Callable[[Any], Any]] = {}
        self.rebuild: Optional[Callable[[Any], Any]] = None

    @property
    def graph(self) -> Graph:
        """The graph as the frontend built it (not specialized or optimized)."""
        return self._graph

    @property
    def schema(self) -> str:
        """The calling convention as TorchScript prints schemas: ``foo(Tensor x, int n=2) ->
        Tensor`` (a tuple result in parentheses: ``-> ((Tensor, Tensor))``)."""
        params = []
        for p, v in zip(self.signature.parameters.values(), self._graph.inputs):
            if p.kind == p.KEYWORD_ONLY and "*" not in params:
                params.append("*")
            default = "" if p.default is p.empty else f"={p.default!r}"
            shown = str(v.type)
            if isinstance(p.annotation, BroadcastList) and isinstance(v.type, ListType):
                shown = f"{v.type.elem}[{p.annotation.n}]"
            params.append(f"{shown} {p.name}{default}")
        outputs = self._graph.outputs
        result = str(outputs[0].type) if len(outputs) == 1 else "(" + ", ".join(str(o.type) for o in outputs) + ")"
        if len(outputs) == 1 and isinstance(outputs[0].type, TupleType):
            result = f"({result})"
        return f"{self.name}({', '.join(params)}) -> {result}"

    @property
    def inlined_graph(self) -> Graph:
        """The graph with every call of another compiled function or method replaced by the
        callee's nodes (a copy: ``graph`` keeps its calls)."""
        g = self._graph.copy()
        inlining(g)
        return g

    @property
    def code(self) -> str:
        """The graph as the Python source that runs it."""
        if self._code is None:
            self._code = generate(self._graph, self.name).source
        return self._code

    def _inputs(self, args: Sequence[Any], kwargs: Dict[str, Any]) -> List[Any]:
        plain = self._plain
        if plain is not None and not kwargs and plain[0] <= len(args) <= len(plain[1]):
            # positional arguments and the defaults of the rest: what bind() makes of them,
            # without its cost (tens of microseconds, most of a small scripted call's time)
            names, values = plain[2], list(args) + plain[1][len(args):]
        else:
            names, values = self._bound_inputs(args, kwargs)
        for i, adapt in self.adapters.items():
            values[i] = adapt(values[i])
        for i, (pname, v, inp) in enumerate(zip(names, values, self._graph.inputs)):
            c = convert(v, inp.type)
            if c is _NOFIT:
                if isinstance(inp.type, UnionType):
                    raise ArgumentTypeError(f"{self.name}(): Expected a member of {annotation_str(inp.type)} but "
                                            f"instead found type {dispatch.value_type_name(v)} for argument "
                                            f"'{pname}'")
                raise ArgumentTypeError(f"{self.name}(): Expected a value of type '{annotation_str(inp.type)}' for "
                                        f"argument '{pname}' but instead found type '{dispatch.value_type_name(v)}'")
            if holds_objects(inp.type):  # a Python object converted into one compiled code holds
                values[i] = c
        return values

    def _bound_inputs(self, args: Sequence[Any], kwargs: Dict[str, Any]) -> Tuple[List[str], List[Any]]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            params = list(self.signature.parameters.values())
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(args) > len(positional) and all(p.kind != p.VAR_POSITIONAL for p in params):
                raise CallError(f"{self.name}() expected at most {len(positional)} argument(s) but received "
                                f"{len(args)} argument(s) ({e})") from None
            missing = re.search(r"missing a required (?:keyword-only )?argument: '(\w+)'", str(e))
            if missing:
                raise CallError(f"{self.name}() is missing value for argument '{missing.group(1)}' ({e})") from None
            raise TypeError(f"{self.name}(): {e}") from None
        bound.apply_defaults()
        values = [self.signature.parameters[name].annotation.widen(v)
                  if isinstance(self.signature.parameters[name].annotation, BroadcastList) else v
                  for name, v in bound.arguments.items()]
        return list(bound.arguments), values

    def _positional_inputs(self, args: Tuple[Any, ...]) -> Sequence[Any]:
        """The graph's inputs for positional arguments that bind in order."""
        return args

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fast = self.executor.fast
        if fast is not None and len(args) == self._lean_arity and not kwargs and self._named_result is None \
                and dispatch.state.tracer is None:
            # the lean path: every argument a tensor, none recording for autograd; the launch of the
            # previous call, whose kernel checks that the arrays have its layout (see
            # GraphExecutor.run_tensors) and, for a kernel that takes the Tensors themselves,
            # that they are Tensors and (in grad mode) do not require grad
            native = fast.native
            if native is not None:
                # the whole call in native code (see codegen/native_call.py); None: a miss. It
                # refuses inputs that require grad in any mode: no_grad calls with them go on
                # below, where grad mode is asked
                out = native(*args)
                if out is not None:
                    return out
                return self._call(*args)
            try:
                out = fast.attempt_wrapped(args, is_grad_enabled()) if fast.wrapped is not None \
                    else _attempt_arrays(fast, args)
            except Exception as e:
                reported = at_user_line(e)
                if reported is None:
                    raise
                raise reported from None
            if out is not MISS:  # a fused kernel's outputs: fresh arrays
                return Tensor._wrap(out) if type(out) is np.ndarray else tuple(map(Tensor._wrap, out))
        if self._named_result is not None:
            return named_tuples(self._call(*args, **kwargs), self._named_result)
        return self._call(*args, **kwargs)

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        try:
            if len(args) == self._tensor_arity and not kwargs and dispatch.state.tracer is None:
                values = self._positional_inputs(args)
                raw = [a._a for a in values if type(a) is Tensor or isinstance(a, Tensor)]
                if len(raw) == len(values):
                    return self.executor.run_tensors(values, raw)
            values = self._inputs(args, kwargs)
            result = self.executor.run(values)
        except Exception as e:
            # an error of the compiled code: raised again here, its message at the user's line
            reported = at_user_line(e)
            if reported is None:
                raise
            raise reported from None
        tracer = dispatch.state.tracer
        if tracer is not None:
            result = tracer.record_call(self._graph, self.name, values, result, isinstance(self, ScriptMethod))
        return result if self.rebuild is None else self.rebuild(result)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The function called as a module's forward is (code written for a traced module
        calls ``.forward`` on traced functions too)."""
        return self(*args, **kwargs)

    def adapt(self, adapters: Dict[int, Callable[[Any], Any]], rebuild: Optional[Callable[[Any], Any]]) -> None:
        """Calls convert argument ``i`` with ``adapters[i]`` before the graph takes it, and the
        graph's result with ``rebuild`` (see :mod:`minitorch_jit.tracer.inputs`)."""
        self.adapters = dict(adapters)
        self.rebuild = rebuild
        if adapters or rebuild is not None:
            self._tensor_arity = self._lean_arity = None  # such calls bind through the signature

    def run_graph_values(self, *raw: Any) -> Any:
        """Run on arguments as graphs hold them (arrays for tensors), giving the result as
        graphs hold it: a call from generated code (``prim::CallMethod``)."""
        return self.executor.plan(list(raw)).code.fn(*raw)

    def graph_for(self, *args: Any, **kwargs: Any) -> Graph:
        """The specialized, optimized graph that runs for inputs like these."""
        return self.executor.plan_for(self._inputs(args, kwargs)).graph

    def explain(self, *args: Any, **kwargs: Any) -> str:
        """The fusion groups formed for inputs like these and, for each pointwise op left
        out of them, the fuser's checklist item that kept it out (as the plan for these
        inputs was compiled: compiling it now if need be)."""
        return f"{self.qualified_name}: {self.executor.plan_for(self._inputs(args, kwargs)).explain()}"

    def code_for(self, *args: Any, **kwargs: Any) -> str:
        """The Python source that runs for inputs like these."""
        return self.executor.plan_for(self._inputs(args, kwargs)).code.source

    def save(self, f: Any, _extra_files: Optional[Dict[str, Any]] = None) -> None:
        """Write this function to an archive (a path or a binary file); see
        :func:`minitorch_jit.jit.save`."""
        _refuse_adapted(self)
        _save(self, f, _extra_files)

    def save_to_buffer(self, _extra_files: Optional[Dict[str, Any]] = None) -> bytes:
        """The archive :meth:`save` writes, as bytes."""
        buf = io.BytesIO()
        self.save(buf, _extra_files)
        return buf.getvalue()

    def __repr__(self) -> str:
        return f"<ScriptFunction {self.qualified_name}>"


def _refuse_adapted(fn: "ScriptFunction") -> None:
    if fn.adapters or fn.rebuild is not None:
        raise RuntimeError(f"{fn.qualified_name}: a trace taking or returning dicts cannot be saved (the archive "
                           "format holds graphs, and its dicts are not in its graph)")


_ARRAY = operator.attrgetter("_a")  # a Tensor's array (AttributeError for anything else)
_REQUIRES_GRAD = operator.attrgetter("_requires_grad")
register_wrapper(Tensor, "_a", "_requires_grad", Tensor._wrap)


def _attempt_arrays(fast: Any, args: Tuple[Any, ...]) -> Any:
    """``fast.attempt`` on the arrays of ``args``; MISS unless they are Tensors, none of which
    records for autograd."""
    try:
        raw = tuple(map(_ARRAY, args))
    except AttributeError:
        return MISS
    if is_grad_enabled() and any(map(_REQUIRES_GRAD, args)):
        return MISS
    return fast.attempt(*raw)


def _plain_binding(signature: inspect.Signature) -> Optional[Tuple[int, List[Any], List[str]]]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = list(signature.parameters.values())
    if any(p.kind not in kinds or isinstance(p.annotation, BroadcastList) for p in params):
        return None
    required = sum(p.default is p.empty for p in params)
    return required, [p.default for p in params], [p.name for p in params]


def _tensor_arity(signature: inspect.Signature, graph: Graph, attributes: int = 0) -> Optional[int]:
    """The number of parameters of the signature when the graph's inputs are all tensors and
    they are the parameters, bound in order with no defaults or variadics involved, and then
    ``attributes`` more (a method's parameters and buffers)."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = list(signature.parameters.values())
    if len(params) + attributes != len(graph.inputs) or any(p.kind not in kinds for p in params):
        return None
    if not all(isinstance(v.type, TensorType) for v in graph.inputs):
        return None
    return len(params)


class ScriptMethod(ScriptFunction):
    """A method of a ScriptModule: its graph takes the method's arguments followed by the
    module's parameters and buffers at ``attr_paths`` ("fc1.weight"), read at each call so
    that ``load_state_dict`` and in-place updates are seen."""

    def __init__(self, graph: Graph, signature: inspect.Signature, name: str, attr_paths: Sequence[str],
                 qualified_name: Optional[str] = None, written_paths: Sequence[str] = ()):
        super().__init__(graph, signature, name, qualified_name)
        self.attr_paths = list(attr_paths)
        self.written_paths = list(written_paths)
        self.owner: Optional["ScriptModule"] = None
        self._tensor_arity = _tensor_arity(signature, graph, len(self.attr_paths))
        # the launch takes the attributes too, which _positional_inputs reads: calls go through _call
        self._lean_arity = self._tensor_arity if not self.attr_paths else None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        if not self.written_paths:
            return result
        # the graph returns the attributes it assigned after its result: write them back
        assert self.owner is not None, "a ScriptMethod must belong to a module"
        for path, value in zip(self.written_paths, result[1:]):
            self.owner.set_attr_path(path, value)
        return result[0]

    def _attributes(self) -> List[Any]:
        assert self.owner is not None, "a ScriptMethod must belong to a module"
        return [self.owner.get_attr_path(p) for p in self.attr_paths]

    def _positional_inputs(self, args: Tuple[Any, ...]) -> Sequence[Any]:
        return [*args, *self._attributes()]

    def _inputs(self, args: Sequence[Any], kwargs: Dict[str, Any]) -> List[Any]:
        return super()._inputs(args, kwargs) + self._attributes()


class ScriptModule(Module):
    """A module whose methods are compiled graphs. Its parameters, buffers and submodules
    mirror the module it came from (and share its tensors).

    Also the base class of PyTorch-style script modules: a subclass's ``@script_method``
    methods are compiled when its constructor returns."""

    def __init__(self, original_name: Optional[str] = None):
        super().__init__()
        if isinstance(original_name, bool):  # PyTorch's old ScriptModule(optimize) argument
            original_name = None
        object.__setattr__(self, "original_name", original_name or type(self).__name__)
        object.__setattr__(self, "_methods", {})
        object.__setattr__(self, "_constants", {})
        # compiled forward pre-hooks and hooks, in the order they run (see nn/hooks.py)
        object.__setattr__(self, "_script_pre_hooks", [])
        object.__setattr__(self, "_script_hooks", [])

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__init__

        @functools.wraps(init)
        def __init__(self: "ScriptModule", *args: Any, **kw: Any) -> None:
            init(self, *args, **kw)
            # once the most derived constructor has finished (without the scripter imported there
            # can be no @script_method to compile)
            if type(self) is cls and _subclass_compiler is not None:
                _subclass_compiler(self)

        cls.__init__ = __init__  # type: ignore[method-assign]

    def define(self, src: str) -> None:
        """Compile the ``def`` s of TorchScript source text ``src`` as methods of this module
        (``self`` first); names in it resolve in the caller's scope."""
        if _definer is None:
            raise RuntimeError("define needs minitorch_jit.scripter, which is not imported")
        _definer(self, src, 1)

    def _add_method(self, method: ScriptMethod) -> None:
        method.owner = self
        self._methods[method.name] = method
        self.__dict__[method.name] = method  # `module.forward` is the compiled method, as in PyTorch

    def _add_hook(self, kind: str, method: ScriptMethod) -> None:
        """Run ``method`` around each call of the module: ``kind`` "pre" before ``forward``
        (it takes the arguments as a tuple), "post" after it (the arguments and the output)."""
        method.owner = self
        (self._script_pre_hooks if kind == "pre" else self._script_hooks).append(method)

    def register_forward_pre_hook(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("register_forward_pre_hook is not supported on ScriptModules")

    def register_forward_hook(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("register_forward_hook is not supported on ScriptModules")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pre, post = self.__dict__["_script_pre_hooks"], self.__dict__["_script_hooks"]
        if not (pre or post):
            return super().__call__(*args, **kwargs)
        # as TorchScript runs a module's compiled hooks (and as nn/hooks.py runs Python's)
        for hook in pre:
            result = hook(args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in post:
            result = hook(args, output)
            if result is not None:
                output = result
        return output

    def add_constant(self, name: str, value: Any) -> None:
        """``name`` is a constant of this module's scripts (``Final``, ``__constants__``): read
        as an attribute, never assigned (the graphs hold its value)."""
        self._constants[name] = value
        self.__dict__[name] = value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("_constants", {}):
            raise AttributeError(f"cannot assign '{name}' of {self.original_name}: it is a constant "
                                 "(torch.jit.Final or __constants__) that the compiled methods hold")
        if isinstance(value, Attribute):  # a ScriptModule holds the value; its methods know the type
            self.__dict__.setdefault("_attribute_types", {})[name] = value.type
            value = value.value
        super().__setattr__(name, value)

    def get_attr_path(self, path: str) -> Any:
        obj: Any = self
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    def set_attr_path(self, path: str, value: Any) -> None:
        """Write what a compiled method assigned to attribute ``path`` (a buffer stays one)."""
        *parents, name = path.split(".")
        obj: Any = self.get_attr_path(".".join(parents)) if parents else self
        if name in obj.__dict__["_buffers"]:
            obj.__dict__["_buffers"][name] = value
        else:
            obj.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:
        methods = self.__dict__.get("_methods", {})
        if name in methods:
            return methods[name]
        if name in ("graph", "inlined_graph", "code") and "_methods" in self.__dict__:
            # the property raised AttributeError (no compiled forward), and Python asks here:
            # the property's message says why
            self._compiled_forward(name)
        return super().__getattr__(name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if "forward" not in self._methods:
            raise RuntimeError(f"{self.original_name} has no compiled forward method")
        return self._methods["forward"](*args, **kwargs)

    def _compiled_forward(self, attribute: str) -> ScriptMethod:
        """The compiled forward, whose graph, code... ``attribute`` reads."""
        method = self._methods.get("forward")
        if method is None:
            why = " (the JIT is disabled: MINITORCH_JIT_DISABLE=1 or PYTORCH_JIT=0)" if config.disabled() else \
                " (it has no compiled forward method)"
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attribute}'{why}")
        return method

    @property
    def graph(self) -> Graph:
        return self._compiled_forward("graph").graph

    @property
    def inlined_graph(self) -> Graph:
        return self._compiled_forward("inlined_graph").inlined_graph

    @property
    def code(self) -> str:
        return self._compiled_forward("code").code

    def graph_for(self, *args: Any, **kwargs: Any) -> Graph:
        return self._compiled_forward("graph_for").graph_for(*args, **kwargs)

    def code_for(self, *args: Any, **kwargs: Any) -> str:
        """The Python source that runs forward for inputs like these."""
        return self._compiled_forward("code_for").code_for(*args, **kwargs)

    def save(self, f: Any, _extra_files: Optional[Dict[str, Any]] = None) -> None:
        """Write this module, its submodules, parameters, buffers and compiled methods to an
        archive (a path or a binary file); see :func:`minitorch_jit.jit.save`."""
        for method in self._methods.values():
            _refuse_adapted(method)
        _save(self, f, _extra_files)

    def save_to_buffer(self, _extra_files: Optional[Dict[str, Any]] = None) -> bytes:
        """The archive :meth:`save` writes, as bytes."""
        buf = io.BytesIO()
        self.save(buf, _extra_files)
        return buf.getvalue()

    def explain(self, *args: Any, **kwargs: Any) -> str:
        return self._compiled_forward("explain").explain(*args, **kwargs)

    def _get_name(self) -> str:
        return "RecursiveScriptModule"

    def extra_repr(self) -> str:
        return f"original_name={self.original_name}"



def new_script_module(original_name: str, container_kind: Optional[str] = None) -> ScriptModule:
    """An empty ScriptModule; a container (``container_kind``, see nn/containers.py) is a
    :class:`ScriptContainer`, which Python can index and iterate like the module it came from."""
    if container_kind is None:
        return ScriptModule(original_name)
    sm = ScriptContainer(original_name)
    object.__setattr__(sm, "_container_kind", container_kind)
    return sm


def mirror(module: Module) -> ScriptModule:
    """A ScriptModule with ``module``'s structure, sharing its parameters and buffers."""
    sm = new_script_module(type(module).__name__ if not isinstance(module, ScriptModule) else module.original_name,
                           module._container_kind)
    for name, p in module._parameters.items():
        sm.register_parameter(name, p)
    for name, b in module._buffers.items():
        sm.register_buffer(name, b, persistent=name not in module._non_persistent)
    for name, m in module._modules.items():
        sm.add_module(name, None if m is None else (m if isinstance(m, ScriptModule) else mirror(m)))
    object.__setattr__(sm, "training", module.training)
    return sm


class ScriptContainer(ScriptModule):
    """The ScriptModule of a Sequential, ModuleList, ModuleDict, ParameterList or
    ParameterDict: indexed, iterated, ``len`` and ``in`` as the original container is."""

    def _items(self) -> Dict[str, Any]:
        kind = self._container_kind
        return dict(self._parameters) if kind in ("parameter_list", "parameter_dict") else dict(self._modules)

    def _is_list(self) -> bool:
        return self._container_kind in ("list", "parameter_list")

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Any:
        items = self._items()
        return iter(items.values() if self._is_list() else items)

    def __contains__(self, key: object) -> bool:
        return key in self._items()

    def __getitem__(self, key: Any) -> Any:
        items = self._items()
        if not self._is_list():
            return items[key]
        values = list(items.values())
        if isinstance(key, slice):
            return values[key]
        if not isinstance(key, int) or not -len(values) <= key < len(values):
            raise IndexError(f"index {key} is out of range")
        return values[key]

    def keys(self) -> Any:
        return self._items().keys()

    def values(self) -> Any:
        return self._items().values()

    def items(self) -> Any:
        return self._items().items()

    def _fixed(self, *args: Any) -> Any:
        raise RuntimeError(f"cannot add modules to the scripted {self.original_name}: its compiled methods "
                           "were unrolled over the modules it had; change the Python module and script it again")

    append = extend = insert = __iadd__ = _fixed

    def __add__(self, other: Any) -> Any:
        raise RuntimeError(f"cannot concatenate the scripted {self.original_name}: its compiled methods were unrolled "
                           "over the modules it has; concatenate the Python modules and script the result")

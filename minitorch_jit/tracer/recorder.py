"""The tracer: run a function once on example inputs and record every op call into a graph.

Op calls go through the registry's dispatcher (``ops.dispatch.run``), which hands each call
to the active tracer. Tensors computed from the inputs map to graph values; other tensors
become constants. Sizes read from traced tensors (``x.size(0)``, ``x.shape``, ``x.dim()``)
are :class:`SymInt` s: ints that remember their graph value, so arithmetic on them is
recorded and a trace made with batch size 8 runs with batch size 32. Turning a traced tensor
into a Python value (``bool(t)``, ``t.item()``) freezes it and warns with the user's line.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.ir import Graph, ListType, OptionalType, SourceLocation, TensorType, TupleType, Type, Value, registry
from minitorch_jit.ir.registry import OpDef
from minitorch_jit.ir.types import ANY, DEVICE, NONE, SCALARTYPE, DictType, NumberType, type_of_constant

from ..ops import dispatch
from ..tensor import Tensor
from .inputs import children, graph_type


class TracerWarning(UserWarning):
    """A trace might not generalize to other inputs (a tensor became a Python value)."""


class TracingCheckError(RuntimeError):
    """The trace and the Python function disagree on one of the ``check_inputs``."""


def _dir_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) + os.sep


# Frames in these directories are ours; warnings and source locations name the user's code.
# The layers are subpackages, but in a checkout they live in folders of their own.
_OWN = tuple(sorted({_dir_of(importlib.util.find_spec(p).origin)
                     for p in ("minitorch_jit", "minitorch_jit.ir", "minitorch_jit.passes", "minitorch_jit.codegen")}))
# ...except the seed programs that ship with the bench: they are user code, written as users write it
_PROGRAMS = os.path.join(_dir_of(importlib.util.find_spec("minitorch_jit").origin), "bench", "programs") + os.sep


def _ours(filename: str) -> bool:
    return (filename.startswith(_OWN) and not filename.startswith(_PROGRAMS)) or filename.startswith("<minitorch_jit")


def user_frame() -> Optional[Any]:
    """The innermost stack frame that is not inside minitorch_jit itself."""
    f = sys._getframe(1)
    while f is not None and _ours(f.f_code.co_filename):
        f = f.f_back
    return f


def user_location() -> Optional[SourceLocation]:
    f = user_frame()
    if f is None:
        return None
    col = 0
    try:
        positions = list(f.f_code.co_positions())[f.f_lasti // 2]
        col = (positions[2] or 0) + 1
    except (AttributeError, IndexError):
        pass
    return SourceLocation(f.f_code.co_filename, f.f_lineno, col)


class SymInt(int):
    """An int read off a traced tensor; arithmetic on it is recorded."""

    _value: Value

    def __new__(cls, v: int, value: Value) -> "SymInt":
        s = super().__new__(cls, v)
        s._value = value
        return s

    def _op(name: str, reflected: bool = False) -> Any:  # noqa: N805 - a method factory
        def f(self: "SymInt", other: Any) -> Any:
            if not isinstance(other, int) or isinstance(other, bool):
                return getattr(int(self), name)(other)
            args = (other, self) if reflected else (self, other)
            return dispatch.call("operator", name.replace("__r", "__", 1) if reflected else name, args)
        return f

    __add__, __radd__ = _op("__add__"), _op("__radd__", True)
    __sub__, __rsub__ = _op("__sub__"), _op("__rsub__", True)
    __mul__, __rmul__ = _op("__mul__"), _op("__rmul__", True)
    __floordiv__, __rfloordiv__ = _op("__floordiv__"), _op("__rfloordiv__", True)
    __mod__, __rmod__ = _op("__mod__"), _op("__rmod__", True)
    del _op

    def __neg__(self) -> Any:
        return dispatch.call("operator", "__neg__", (self,))

    def __repr__(self) -> str:
        return int.__repr__(self)


class Tracer:
    def __init__(self, force_outplace: bool = False) -> None:
        self.graph = Graph()
        self.force_outplace = force_outplace
        self.values: Dict[int, Tuple[Any, Value]] = {}  # id(tensor) -> (tensor kept alive, value)

    # -- values -------------------------------------------------------------------------------
    def add_input(self, t: Any, name: str) -> Value:
        """A graph input for an example input: a tensor, or a tuple, list or dict of them
        (see :mod:`.inputs`), unpacked by the graph's first nodes."""
        v = self.graph.add_input(graph_type(t), name)
        self._bind_input(t, v)
        return v

    def _bind_input(self, t: Any, v: Value) -> None:
        if isinstance(t, Tensor):
            self.values[id(t)] = (t, v)
            return
        parts = children(t)
        kind = "prim::ListUnpack" if isinstance(v.type, ListType) else "prim::TupleUnpack"
        types = [v.type.elem] * len(parts) if isinstance(v.type, ListType) else \
            list(v.type.elems) if isinstance(v.type, TupleType) else []
        unpack = self.graph.insert(kind, [v], types)
        for part, out in zip(parts, unpack.outputs):
            self._bind_input(part, out)

    def traced(self, x: Any) -> bool:
        if isinstance(x, Tensor):
            return id(x) in self.values
        if isinstance(x, SymInt):
            return True
        if isinstance(x, (list, tuple)):
            return any(self.traced(e) for e in x)
        return False

    def value_for(self, x: Any, formal: Type) -> Value:
        """The graph value of an argument; untraced tensors and Python values are constants."""
        if isinstance(x, Tensor):
            hit = self.values.get(id(x))
            if hit is not None:
                return hit[1]
            if x.requires_grad:
                raise RuntimeError("Cannot insert a Tensor that requires grad as a constant. Consider making it a "
                                   "parameter or input, or detaching the gradient")
            arr = np.array(x._a)  # freeze its current contents
            return self.graph.insert_constant(arr, TensorType(arr.dtype.name, arr.shape))
        if isinstance(x, SymInt):
            return x._value
        if isinstance(formal, OptionalType) and x is not None:
            formal = formal.elem
        if isinstance(x, tuple) and isinstance(formal, TupleType) and len(formal.elems) == len(x):
            items = [self.value_for(e, t) for e, t in zip(x, formal.elems)]
            return self.graph.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output
        if isinstance(x, (list, tuple)) and (self.traced(x) or any(isinstance(e, Tensor) for e in x) or
                                              any(e is None for e in x)):
            elem = formal.elem if isinstance(formal, ListType) else ANY
            items = [self.value_for(e, elem) for e in x]
            node = self.graph.insert("prim::ListConstruct", items, [ListType(self._list_elem(items, elem))])
            return node.output
        if isinstance(x, dict) and isinstance(formal, DictType):  # a dict for a script function's Dict
            flat = [v for k, item in x.items() for v in (self.value_for(k, formal.key),
                                                         self.value_for(item, formal.value))]
            return self.graph.insert("prim::DictConstruct", flat, [formal]).output
        if x is None:
            return self.graph.insert_constant(None, NONE)
        if formal == SCALARTYPE or hasattr(x, "is_floating_point") and hasattr(x, "np"):
            return self.graph.insert_constant(x.name if hasattr(x, "name") else str(x), SCALARTYPE)
        if formal == DEVICE:
            return self.graph.insert_constant(str(x), DEVICE)
        if isinstance(x, (list, tuple)):
            value = [v.item() if isinstance(v, np.generic) else v for v in x]
            t = formal if isinstance(formal, ListType) and not value else type_of_constant(list(value))
            return self.graph.insert_constant(list(value), t)
        if isinstance(x, np.generic):
            x = x.item()
        return self.graph.insert_constant(x)

    @staticmethod
    def _list_elem(items: List[Value], formal: Type) -> Type:
        from minitorch_jit.ir.types import unify
        t: Optional[Type] = items[0].type if items else formal
        for v in items[1:]:
            t = unify(t, v.type) if t is not None else None
        return t if t is not None else formal

    def bind_result(self, x: Any, v: Value) -> Any:
        """Map a result to its graph value; ints become SymInts."""
        if isinstance(x, Tensor):
            self.values[id(x)] = (x, v)
            return x
        if isinstance(x, int) and not isinstance(x, bool):
            return SymInt(x, v)
        return x

    # -- recording ------------------------------------------------------------------------------
    def before_write(self, op: OpDef, bound: Sequence[Any]) -> None:
        """Called before an in-place op runs. An untraced tensor about to be written with traced
        data becomes a copy of its current contents in the graph, so that each call starts
        from those contents (not from what the eager run wrote, and never writing into the
        graph's constant)."""
        if not any(self.traced(b) for b in bound):
            return
        for a, b in zip(op.schema.arguments, bound):
            if a.mutates and isinstance(b, Tensor) and id(b) not in self.values:
                const = self.value_for(b, a.type)
                copy = self.graph.insert("aten::clone", [const], [const.type], source=user_location())
                self.values[id(b)] = (b, copy.output)

    def record(self, op: OpDef, bound: Sequence[Any], result: Any) -> Any:
        """Called by the dispatcher after each op ran eagerly. Every op is recorded (``ones(2,
        3)`` too: it runs on each call), except tensors made from Python data that does not
        come from the trace, which are constants, as in PyTorch's traces."""
        if op.name in _FROM_DATA and not any(self.traced(b) for b in bound):
            return result

        formals = []
        for a in op.schema.arguments:
            formals.extend([a] * (len(bound) - len(op.schema.arguments) + 1) if a.vararg else [a])
        # omit trailing arguments left at their defaults, as a person would write the call
        n = len(bound)
        while n and not formals[n - 1].vararg and formals[n - 1].is_default(bound[n - 1]) and \
                not self.traced(bound[n - 1]):
            n -= 1
        inputs = [self.value_for(b, f.type) for b, f in zip(bound[:n], formals[:n])]
        self._name_from_locals(bound[:n], inputs)
        returns = op.schema.returns
        results = list(result) if len(returns) > 1 else ([] if not returns else [result])
        types = [_runtime_type(r, ret.type) for r, ret in zip(results, returns)]
        if self.force_outplace and formals and formals[0].mutates and isinstance(bound[0], Tensor):
            return self._record_outplace(op, bound[0], inputs, types, result)
        node = self.graph.insert(op.name, inputs, types, source=user_location())
        if len(returns) > 1:
            return type(result)(*[self.bind_result(r, o) for r, o in zip(results, node.outputs)])
        if not returns:
            return result
        out = node.output
        if isinstance(result, (list, tuple)) and isinstance(out.type, ListType) and \
                isinstance(out.type.elem, TensorType):
            unpack = self.graph.insert("prim::ListUnpack", [out], [_runtime_type(r, TensorType()) for r in result])
            return type(result)(self.bind_result(r, o) for r, o in zip(result, unpack.outputs))
        return self.bind_result(result, out)

    def _record_outplace(self, op: OpDef, target: Tensor, inputs: List[Value], types: List[Type],
                         result: Any) -> Any:
        """``_force_outplace``: an in-place op recorded as the op computing the same value out of
        place (``x.add_(y)`` as ``x = x.add(y)``), so the graph writes no tensor. Views of
        the written tensor do not see the write in the graph: a warning says so when the
        tensor shares its memory with another one the trace knows of."""
        sharing = [t for t, _ in self.values.values() if np.may_share_memory(t._a, target._a)]
        if len(sharing) > 1:
            warn(f"There are {len(sharing)} live references to the data region being modified when tracing in-place "
                 f"operator {op.name.split('::')[1]} (possibly due to an assignment). This might cause the trace to "
                 "be incorrect, because all other views that also reference this data will not reflect this change "
                 "in the trace! On the other hand, if all other views use the same memory chunk, but are disjoint "
                 "(e.g. are outputs of torch.split), this might still be safe.")
        name, args = _outplace_form(op.name, inputs)
        out = self.graph.insert(name, args, [types[0]], source=user_location()).output
        if op.name == "aten::copy_":  # and in the destination's dtype
            out = self.graph.insert("aten::type_as", [out, inputs[0]], [types[0]], source=user_location()).output
        self.values[id(target)] = (target, out)
        return result

    def _name_from_locals(self, args: Sequence[Any], values: List[Value]) -> None:
        """Traced values take the names of the user's variables holding them when they are
        first read (``quick_brown_fox = torch.neg(baz)`` names ``%quick_brown_fox``), as
        TorchScript's traces do."""
        frame = None
        for a, v in zip(args, values):
            if isinstance(a, Tensor) and v.name is None and v.node.kind != "prim::Constant":
                frame = frame or user_frame()
                if frame is None:
                    return
                name = next((k for k, x in frame.f_locals.items() if x is a and k.isidentifier()), None)
                if name is not None:
                    v.name = name

    def record_call(self, graph: Graph, name: str, args: Sequence[Any], result: Any, method: bool = False) -> Any:
        """A compiled function (or module ``method``) called while tracing: one
        prim::CallFunction (prim::CallMethod) keeping its graph."""
        inputs = [self.value_for(a, p.type) for a, p in zip(args, graph.inputs)]
        kind = "prim::CallMethod" if method else "prim::CallFunction"
        node = self.graph.insert(kind, inputs, [o.type for o in graph.outputs],
                                 attrs={"name": name, "Subgraph": graph.copy()}, source=user_location())
        if len(node.outputs) == 1:
            return self.bind_structured(result, node.output)
        return tuple(self.bind_structured(r, o) for r, o in zip(result, node.outputs))

    def bind_structured(self, x: Any, v: Value) -> Any:
        """:meth:`bind_result`, and for a list or tuple (nested) holding tensors, each tensor
        bound to its element of ``v``, unpacked in the graph."""
        if isinstance(x, (list, tuple)) and x and self._holds_tensors(x) and \
                isinstance(v.type, (ListType, TupleType)):
            types = [v.type.elem] * len(x) if isinstance(v.type, ListType) else list(v.type.elems)
            if len(types) == len(x):
                kind = "prim::ListUnpack" if isinstance(v.type, ListType) else "prim::TupleUnpack"
                unpack = self.graph.insert(kind, [v], types)
                for part, out in zip(x, unpack.outputs):
                    self.bind_structured(part, out)
            return x
        return self.bind_result(x, v)

    @classmethod
    def _holds_tensors(cls, x: Any) -> bool:
        if isinstance(x, Tensor):
            return True
        return isinstance(x, (list, tuple)) and any(cls._holds_tensors(e) for e in x)

    def warn_iteration(self, t: Tensor) -> None:
        if id(t) in self.values:
            warn("Iterating over a tensor might cause the trace to be incorrect. Passing a tensor of different "
                 "shape won't change the number of iterations executed (and might lead to errors or silently give "
                 "incorrect results).")

    def warn_conversion(self, t: Tensor, what: str) -> None:
        if id(t) not in self.values:
            return
        warn(f"{what} might cause the trace to be incorrect. We can't record the data flow of Python values, so "
             "this value will be treated as a constant in the future. This means that the trace might not "
             "generalize to other inputs!")

    # -- outputs --------------------------------------------------------------------------------
    def output(self, x: Any, strict: bool = True) -> Tuple[Value, Optional[Callable[[Any], Any]]]:
        """The graph's output for what the traced function returned, and for a result holding
        dicts (``strict=False`` only) what turns the graph's result back into them: the
        graph returns a dict as the tuple of its values, its keys are the trace's."""
        if isinstance(x, dict):
            if strict:
                raise RuntimeError(_CONTAINER_OUTPUT.format("dict"))
            keys = list(x)
            if any(isinstance(k, Tensor) for k in keys):
                raise RuntimeError("a dict with tensor keys cannot be output from a trace here (its keys would have "
                                   "to be graph values); use str or int keys")
            for v in x.values():
                if not _tensors_only(v):
                    raise RuntimeError(f"Output {v!r} of traced region cannot be understood by the tracer, only "
                                       "outputs matching the types of trace inputs (tensors, and tuples, lists "
                                       "and dicts of tensors) are supported")
            value, inner = self.output(tuple(x.values()), strict)

            def rebuild_dict(result: Any) -> Any:
                return dict(zip(keys, inner(result) if inner is not None else result))
            return value, rebuild_dict
        if isinstance(x, (tuple, list)):
            if isinstance(x, list):
                if not all(isinstance(e, Tensor) for e in x):
                    raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors can be "
                                       "output from traced functions")
                if strict:
                    warn(_CONTAINER_OUTPUT.format("list"))
            parts = [self.output(e, strict) for e in x]
            items = [v for v, _ in parts]
            if isinstance(x, tuple):
                value = self.graph.insert("prim::TupleConstruct", items, [TupleType([v.type for v in items])]).output
            else:
                value = self.graph.insert("prim::ListConstruct", items, [ListType(self._list_elem(items, ANY))]).output
            inners = [f for _, f in parts]
            if all(f is None for f in inners):
                return value, None

            def rebuild(result: Any) -> Any:
                return type(result)(r if f is None else f(r) for r, f in zip(result, inners))
            return value, rebuild
        if isinstance(x, (Tensor, SymInt)) or x is None or isinstance(x, (bool, int, float, str)):
            return self.value_for(x, ANY), None
        raise TypeError(f"trace: cannot return a value of type {type(x).__name__} from a traced function "
                        "(tensors, numbers and tuples or lists of them are supported)")


# ops making a tensor of Python data (torch.tensor(...)): a constant unless the data is traced
_FROM_DATA = frozenset({"aten::tensor", "aten::from_numpy"})

_CONTAINER_OUTPUT = (
    "Encountering a {} at the output of the tracer might cause the trace to be incorrect, this is only valid if "
    "the container structure does not change based on the module's inputs. Consider using a constant container "
    "instead (e.g. for `list`, use a `tuple` instead. for `dict`, use a `NamedTuple` instead). If you absolutely "
    "need this and know the side effects, pass strict=False to trace() to allow this behavior.")


def _tensors_only(x: Any) -> bool:
    if isinstance(x, Tensor):
        return True
    return isinstance(x, (tuple, list)) and all(_tensors_only(e) for e in x)


def warn(message: str) -> None:
    """A TracerWarning attributed to the user's line."""
    f = user_frame()
    if f is None:
        warnings.warn(message, TracerWarning, stacklevel=2)
    else:
        warnings.warn_explicit(message, TracerWarning, f.f_code.co_filename, f.f_lineno)


def _outplace_form(name: str, inputs: List[Value]) -> Tuple[str, List[Value]]:
    """The out-of-place op and arguments computing what in-place op ``name`` writes: the op
    without the trailing underscore, and for the ones that have none, what TorchScript's
    tracer records (``copy_`` as ``expand_as`` of the source, ``fill_`` as ``full_like``,
    ``zero_`` as ``zeros_like``)."""
    if name == "aten::copy_":
        return "aten::expand_as", [inputs[1], inputs[0]]
    if name == "aten::fill_":
        return "aten::full_like", inputs[:2]
    if name == "aten::zero_":
        return "aten::zeros_like", inputs[:1]
    return (name[:-1], inputs) if name.endswith("_") and registry.is_registered(name[:-1]) else (name, inputs)


def _runtime_type(r: Any, declared: Type) -> Type:
    if isinstance(r, Tensor):
        return TensorType(r.dtype.name, (None,) * r._a.ndim)
    if isinstance(r, list) and r and all(isinstance(e, Tensor) for e in r):
        return ListType(TensorType(r[0].dtype.name))
    if isinstance(declared, NumberType) and isinstance(r, (bool, int, float)):
        return type_of_constant(r)
    return declared


class tracing:
    """``with tracing(tracer):`` makes ``tracer`` record op calls."""

    def __init__(self, tracer: Tracer):
        self.tracer = tracer

    def __enter__(self) -> Tracer:
        if dispatch.state.tracer is not None:
            raise RuntimeError("trace() inside a trace is not supported")
        dispatch.state.tracer = self.tracer
        return self.tracer

    def __exit__(self, *exc: Any) -> None:
        dispatch.state.tracer = None


def is_tracing() -> bool:
    """True while :func:`trace` records a function (so code can tell it is being traced);
    in a script function, False."""
    return dispatch.state.tracer is not None

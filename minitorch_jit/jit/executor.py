"""The graph executor: specialize a graph on the kind of its inputs, compile a plan once per
kind, and run it.

A call computes its inputs' specialization key (dtype, rank, which dims are 1 and
contiguity of each tensor; the type of each other argument). A miss copies the graph,
refines its input types from the key, runs the optimization pipeline, and generates host
code (and native kernels for fusion groups); the plan is cached, bounded, by key. A hit runs
the plan with no compile work.
"""
from __future__ import annotations

import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from codegen.host import HostCode, generate
from ir import Graph, TensorType, Type
from ir.types import ListType, OptionalType
from passes.fusion import fuse

from ..tensor import Tensor

log = logging.getLogger("minitorch_jit")

CACHE_SIZE = int(os.environ.get("MINITORCH_JIT_CACHE_SIZE", "64"))


def _logging(topic: str) -> bool:
    return topic in os.environ.get("MINITORCH_JIT_LOG", "").split(",")


# -- specialization keys --------------------------------------------------------------------------


_DTYPE_NAMES = {np.dtype(d): d for d in ("bool", "int32", "int64", "float32", "float64")}


def arg_key(v: Any) -> Any:
    """What a compiled plan may assume about an argument value."""
    if type(v) is np.ndarray:
        # numpy's dtype.name is computed in Python on every access; this is the hot path
        name = _DTYPE_NAMES.get(v.dtype) or v.dtype.name
        return ("T", name, tuple(d == 1 for d in v.shape), v.flags.c_contiguous)
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(arg_key(x) for x in v))
    return type(v).__name__


def describe_key(key: Any) -> str:
    if isinstance(key, tuple) and key and key[0] == "T":
        return str(specialized_type(TensorType(), key)) + ("" if key[3] else " non-contiguous")
    if isinstance(key, tuple):
        return f"{key[0]}[{', '.join(describe_key(k) for k in key[1])}]"
    return str(key)


def specialized_type(declared: Type, key: Any) -> Type:
    """The declared input type refined by what the key says of the value."""
    if isinstance(key, tuple) and key and key[0] == "T":
        return TensorType(key[1], tuple(1 if one else None for one in key[2]))
    if isinstance(declared, OptionalType) and key != "NoneType":
        return specialized_type(declared.elem, key)
    if isinstance(declared, ListType) and isinstance(key, tuple) and key[0] == "list" and key[1]:
        elems = [specialized_type(declared.elem, k) for k in key[1]]
        if all(e == elems[0] for e in elems):
            return ListType(elems[0])
    return declared


# -- running ------------------------------------------------------------------------------------


def unwrap(v: Any) -> Any:
    """A user argument as graphs see it: arrays for tensors, plain ints for SymInts."""
    if isinstance(v, Tensor):
        return v._a
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    if isinstance(v, tuple):
        return tuple(unwrap(x) for x in v)
    if hasattr(v, "np") and hasattr(v, "is_floating_point"):
        return v.np  # a dtype
    if type(v) is not int and isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    return v


def wrap(v: Any, inputs: Dict[int, Tensor]) -> Any:
    """Graph results as user values; an input array returned as is comes back as the very
    Tensor that was passed in."""
    if type(v) is np.ndarray:
        t = inputs.get(id(v))
        return t if t is not None else Tensor._wrap(v)
    if isinstance(v, np.generic):
        return Tensor._wrap(np.asarray(v))
    if isinstance(v, list):
        return [wrap(x, inputs) for x in v]
    if isinstance(v, tuple):
        return type(v)(*[wrap(x, inputs) for x in v]) if hasattr(v, "_fields") else tuple(wrap(x, inputs) for x in v)
    return v


@dataclass
class Plan:
    """What one kind of input runs: the specialized, optimized graph and its host code."""
    key: Any
    graph: Graph
    code: HostCode


Optimizer = Callable[[Graph], Graph]


class GraphExecutor:
    """Runs one graph, compiling a plan per input kind. ``optimize`` turns a graph whose input
    types are specialized into the graph to generate code for (the pass pipeline);
    ``fusion`` compiles fusion-group nodes."""

    def __init__(self, graph: Graph, name: str = "forward", optimize: Optional[Optimizer] = None,
                 fusion: Optional[Callable[..., Any]] = None):
        self.graph = graph
        self.name = name
        self.optimize = optimize
        self.fusion = fusion
        self.plans: "OrderedDict[Any, Plan]" = OrderedDict()
        self.compiles = 0

    def key(self, raw: Sequence[Any]) -> Tuple[Any, ...]:
        return tuple(arg_key(v) for v in raw)

    def plan(self, raw: Sequence[Any]) -> Plan:
        key = self.key(raw)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._compile(key)
        else:
            self.plans.move_to_end(key)
        return plan

    def _compile(self, key: Tuple[Any, ...]) -> Plan:
        if _logging("recompile") and self.plans:
            last = next(reversed(self.plans))
            changes = [f"input {i} ({v.name or i}) was {describe_key(a)}, now {describe_key(b)}"
                       for i, (v, a, b) in enumerate(zip(self.graph.inputs, last, key)) if a != b]
            log.warning("recompiling %s: %s", self.name, "; ".join(changes) or "new input kind")
        g = self.specialize(key)
        plan = Plan(key, g, generate(g, self.name, self.fusion))
        self.compiles += 1
        self.plans[key] = plan
        while len(self.plans) > CACHE_SIZE:
            self.plans.popitem(last=False)
        return plan

    def specialize(self, key: Tuple[Any, ...]) -> Graph:
        """A copy of the graph with input types refined by ``key``, optimized. Until a pass
        pipeline is configured, a graph that will have a fusion compiler is fused here."""
        g = self.graph.copy()
        for v, k in zip(g.inputs, key):
            v.type = specialized_type(v.type, k)
        if self.optimize is not None:
            g = self.optimize(g)
        elif self.fusion is not None:
            fuse(g)
        return g

    def run(self, args: Sequence[Any]) -> Any:
        raw = [unwrap(a) for a in args]
        out = self.plan(raw).code.fn(*raw)
        inputs = {id(a._a): a for a in args if isinstance(a, Tensor)}
        return wrap(out, inputs)

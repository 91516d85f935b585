"""Host code: a graph becomes the source of one Python function, which is what runs.

Like torch.fx's codegen, control flow becomes Python ``if``/``for``/``while``; each op
becomes a call of its registry kernel (``aten.add_Tensor(x, y, 1)``); lists, tuples and dicts
are Python literals. Values are numpy arrays and Python values; the caller wraps tensors at the
edges. The source is registered with ``linecache`` so tracebacks through it show its lines,
and it is what ``.code`` prints. Each line's node source location (the user's file, line and
columns) is kept in the function's globals under ``LINE_SOURCES``, so that an error raised
while it runs can be reported at the user's line (see ``runtime/user_errors.py``).

Each value is freed (``del``) right after the last statement that reads it, so an
intermediate's memory goes back to the allocator as soon as it is dead, as in eager code,
instead of when the function returns. A value read inside a loop body or a branch is dead
after the whole loop or ``if``; a loop's initial values die when the loop has read them;
loop-carried values die after the loop; values a block defines for its results die once the
block's results are assigned.
"""
from __future__ import annotations

import builtins
import enum
import keyword
import linecache
import math
import re
import types
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen.objects import ScriptObject, call_method
from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import PYTHON_OBJECT, SUBGRAPH, Block, Graph, Node, SourceLocation, Value, is_call
from minitorch_jit.ir.object_nodes import OBJECT_NODES
from minitorch_jit.ir.printer import format_literal, value_names
from minitorch_jit.ir.types import DTYPES, SCALARTYPE, TensorType, Type, value_has_type

from .call_state import once, with_call_state

# A loop's trip count this large means "until the condition fails" (a Python while loop).
INFINITE_TRIPS = 2 ** 62

_IDENT = re.compile(r"[^0-9A-Za-z_]")
# the global of generated code that maps its line numbers (1-based) to their nodes' sources
LINE_SOURCES = "__minitorch_jit_line_sources__"
_count = 0
_sites = 0  # numbers once_per_call nodes without a warn_id (downwards, apart from the ids inlining gives)


class HostCodeError(RuntimeError):
    pass


def kernel_attr(op: registry.OpDef) -> str:
    """``add_Tensor`` for aten::add.Tensor, ``exp`` when the name has one overload."""
    base = op.name.split("::")[1]
    if len(registry.overloads(op.name)) == 1 or not op.schema.overload:
        return base
    return f"{base}_{op.schema.overload}"


class HostCode:
    """Generated source and the function compiled from it. ``direct`` is set when the
    function does nothing but call one fusion kernel on its arguments and return what it
    returns: (the kernel, the positions of the arguments it takes)."""

    def __init__(self, source: str, fn: Callable[..., Any], globals_: Dict[str, Any],
                 direct: Optional[Tuple[Any, Tuple[int, ...]]] = None):
        self.source = source
        self.fn = fn
        self.globals = globals_
        self.direct = direct
        self.has_once = False  # runs once_per_call nodes (see call_state)

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def runner(self, args: Sequence[Any]) -> Callable[..., Any]:
        """A callable equivalent to ``fn`` for arguments laid out exactly like ``args``
        (shapes, strides and dtypes): for a function that is one call of a fusion kernel
        that prepares launches (``kernel.launch(args)``, see codegen.launch), the kernel's
        prepared launch for them, which skips the host function and the kernel's own
        layout lookup; ``fn`` otherwise."""
        if self.direct is None or not hasattr(self.direct[0], "launch"):
            return self.fn
        kernel, positions = self.direct
        return kernel.launch([args[i] for i in positions]).taking(positions, len(args))


class Target:
    """What the generated code computes on: by default numpy arrays, each op a call of its
    registry kernel, tensor constants read-only arrays. The runtime's autograd tape is another
    target (Tensors, each op through the dispatcher, so that it records)."""

    def kernel(self, op: registry.OpDef) -> Callable[..., Any]:
        return op.kernel

    def differentiable_graph(self, node: Node) -> Callable[..., Any]:
        """What runs a ``prim::DifferentiableGraph`` node: one autograd node for its region,
        which only the runtime's tape target can make."""
        raise HostCodeError("a prim::DifferentiableGraph runs only on autograd's tape (a compiled function called "
                            "with inputs that require grad)")

    def constant(self, array: np.ndarray) -> Any:
        # a read-only view: an in-place op writing into a constant raises instead of changing
        # what every later call computes
        frozen = array.view()
        frozen.flags.writeable = False
        return frozen


ARRAYS = Target()


class _Gen:
    def __init__(self, fusion: Optional[Callable[[Node], Callable[..., Any]]], target: Target = ARRAYS):
        self.fusion = fusion
        self.target = target
        self.globals: Dict[str, Any] = {"inf": math.inf, "nan": math.nan, "unpack_list": unpack_list, "once": once,
                                        "isinstance_of": isinstance_of, "ScriptObject": ScriptObject,
                                        "call_method": call_method}
        self.namespaces: Dict[str, types.SimpleNamespace] = {}
        self.names: Dict[Value, str] = {}
        self.printed: Dict[Value, str] = {}
        # Names the generated code reads as globals are never given to values, so an input
        # called `aten` or `dtype_float32` cannot shadow them.
        self.used: set = set(self.globals) | set(dir(builtins)) | {
            op.name.split("::")[0] for op in registry.all_ops()} | {f"dtype_{d}" for d in DTYPES}
        self.lines: List[str] = []
        self.line_sources: List[Optional[SourceLocation]] = []
        self.at: Optional[SourceLocation] = None  # the source of the node being emitted
        self.constants = 0
        self.functions = 0
        # values to free as soon as a loop has read its initial values
        self.dead_at_entry: Dict[Node, List[Value]] = {}
        self.kernels: Dict[Node, Any] = {}  # the fusion kernel of each prim::FusionGroup
        self.has_once = False  # runs once_per_call nodes, itself or in the functions it calls

    # -- naming -------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        base = _IDENT.sub("_", hint) or "_"
        if base[0].isdigit():
            base = "_" + base
        if keyword.iskeyword(base):
            base += "_"
        name, i = base, 1
        while name in self.used:
            name = f"{base}_{i}"
            i += 1
        self.used.add(name)
        return name

    def name(self, v: Value) -> str:
        """Python names follow the printed graph: %x.1 is x_1, %5 is _5."""
        if v not in self.names:
            self.names[v] = self.fresh(self.printed.get(v) or v.name or "t")
        return self.names[v]

    def ref(self, v: Value) -> str:
        """How a use of ``v`` reads: constants inline, other values by name."""
        if v.node.kind == "prim::Constant":
            return self.constant(v)
        return self.name(v)

    def constant(self, v: Value) -> str:
        value = v.node.attrs.get("value")
        if isinstance(value, np.ndarray):
            if v not in self.names:
                self.names[v] = self.fresh(f"c{self.constants}")
                self.constants += 1
                self.globals[self.names[v]] = self.target.constant(value)
            return self.names[v]
        if isinstance(value, enum.Enum):
            name = self.fresh(f"{type(value).__name__}_{value.name}")
            self.globals[name] = value
            self.names[v] = name
            return name
        if v.type == SCALARTYPE:
            name = f"dtype_{value}"
            self.globals[name] = np.dtype(value)
            self.used.add(name)
            return name
        return _literal(value)

    def kernel(self, op: registry.OpDef) -> str:
        ns, _ = op.name.split("::")
        space = self.namespaces.get(ns)
        if space is None:
            space = self.namespaces[ns] = types.SimpleNamespace()
            self.globals[ns] = space
            self.used.add(ns)
        attr = kernel_attr(op)
        setattr(space, attr, self.target.kernel(op))
        return f"{ns}.{attr}"

    # -- emission -----------------------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)
        self.line_sources.append(self.at)

    def function(self, graph: Graph, fname: str) -> None:
        self.printed = value_names(graph)
        params = ", ".join(self.name(v) for v in graph.inputs)
        self.emit(0, f"def {fname}({params}):")
        self.nodes(graph.block, 1)
        outs = [self.ref(v) for v in graph.outputs]
        if not outs:
            self.emit(1, "return None")
        elif len(outs) == 1:
            self.emit(1, f"return {outs[0]}")
        else:
            self.emit(1, f"return ({', '.join(outs)})")

    def nodes(self, block: Block, depth: int) -> List[Value]:
        """Emit the nodes of ``block``, each followed by the ``del`` of the values it was the
        last to read. Returns the values of the block that its results read: the caller frees
        them once it has assigned the results."""
        after: Dict[Optional[Node], List[Value]] = {}
        inputs = block.graph.block.param_node  # the caller holds the arguments: del frees nothing
        for v, last in _last_reads(block).items():
            if v.node.kind != "prim::Constant" and v.node is not inputs:
                after.setdefault(last, []).append(v)
        self.free(depth, after.get(block.param_node, []))
        for node in block.nodes:
            dead = after.get(node, [])
            if node.kind == "prim::Loop":
                entry = [v for v in dead if v.node is not node and _read_only_as_initial_value(v, node)]
                self.dead_at_entry[node] = entry
                dead = [v for v in dead if v not in entry]
            self.node(node, depth)
            self.free(depth, dead)
        return after.get(None, [])

    def free(self, depth: int, values: List[Value]) -> None:
        if values:
            self.emit(depth, f"del {', '.join(self.name(v) for v in values)}")

    def assign(self, depth: int, outputs: List[Value], expr: str) -> None:
        if not outputs:
            self.emit(depth, expr)
        elif len(outputs) == 1:
            self.emit(depth, f"{self.name(outputs[0])} = {expr}")
        else:
            self.emit(depth, f"{', '.join(self.name(o) for o in outputs)} = {expr}")

    def node(self, node: Node, depth: int) -> None:
        outer, self.at = self.at, node.source or self.at
        try:
            self._node(node, depth)
        finally:
            self.at = outer

    def _node(self, node: Node, depth: int) -> None:
        kind = node.kind
        args = [self.ref(v) for v in node.inputs]
        if kind == "prim::Constant":
            return  # inlined at its uses
        if kind == "prim::If":
            return self.if_node(node, depth)
        if kind == "prim::Loop":
            return self.loop_node(node, depth)
        if kind == "prim::ListConstruct":
            return self.assign(depth, node.outputs, "[" + ", ".join(args) + "]")
        if kind == "prim::DictConstruct" and not isinstance(getattr(node.output.type, "key", None), TensorType):
            # keys and values in turn (tensor keys go through the kernel, which hashes them by identity)
            return self.assign(depth, node.outputs,
                               "{" + ", ".join(f"{k}: {v}" for k, v in zip(args[0::2], args[1::2])) + "}")
        if kind == "prim::TupleConstruct":
            return self.assign(depth, node.outputs, "(" + ", ".join(args) + ("," if len(args) == 1 else "") + ")")
        if kind in ("prim::TupleUnpack", "prim::ListUnpack"):
            targets = ", ".join(self.name(o) for o in node.outputs) + ("," if len(node.outputs) == 1 else "")
            value = args[0] if kind == "prim::TupleUnpack" else f"unpack_list({args[0]}, {len(node.outputs)})"
            return self.emit(depth, f"{targets} = {value}" if node.outputs else f"_ = {value}")
        if kind == "prim::isinstance":
            types = self.fresh("types")
            self.globals[types] = tuple(node.attrs["types"])
            return self.assign(depth, node.outputs, f"isinstance_of({args[0]}, {types})")
        if kind == "prim::TupleIndex":
            return self.assign(depth, node.outputs, f"{args[0]}[{args[1]}]")
        if kind == "prim::FusionGroup":
            return self.assign(depth, node.outputs, f"{self.fusion_kernel(node)}({', '.join(args)})")
        if kind == "prim::DifferentiableGraph":
            name = self.fresh(f"differentiable_graph_{self.functions}")
            self.functions += 1
            self.globals[name] = self.target.differentiable_graph(node)
            return self.assign(depth, node.outputs, f"{name}({', '.join(args)})")
        if is_call(node):
            return self.assign(depth, node.outputs, f"{self.callee(node)}({', '.join(args)})")
        if kind in OBJECT_NODES:
            return self.object_node(node, args, depth)
        if kind == "prim::PythonOp":
            return self.assign(depth, node.outputs, f"{self.python_callable(node)}({', '.join(args)})")
        op = registry.node_op(node)
        if op is None:
            raise HostCodeError(f"no kernel for node: {node}")
        if op.once_per_call:
            site = node.attrs.get("warn_id")
            if site is None:  # a graph written without ids: each node is its own place
                global _sites
                _sites -= 1
                site = _sites
            self.has_once = True
            self.emit(depth, f"if once({site}):")
            depth += 1
        self.assign(depth, node.outputs, f"{self.kernel(op)}({', '.join(args)})")

    def object_node(self, node: Node, args: List[str], depth: int) -> None:
        kind = node.kind
        if kind == "prim::CreateObject":
            name = self.fresh("class_" + str(node.output.type).rsplit(".", 1)[-1])
            self.globals[name] = node.output.type
            return self.assign(depth, node.outputs, f"ScriptObject({name})")
        field = repr(node.attrs["name"])
        if kind == "prim::GetAttr":
            return self.assign(depth, node.outputs, f"{args[0]}._mtj_values[{field}]")
        if kind == "prim::SetAttr":
            return self.emit(depth, f"{args[0]}._mtj_values[{field}] = {args[1]}")
        return self.assign(depth, node.outputs, f"call_method({', '.join([args[0], field] + args[1:])})")

    def if_node(self, node: Node, depth: int) -> None:
        self.emit(depth, f"if {self.ref(node.inputs[0])}:")
        for i, b in enumerate(node.blocks):
            if i == 1:
                self.emit(depth, "else:")
            start = len(self.lines)
            results = self.nodes(b, depth + 1)
            for o, r in zip(node.outputs, b.returns):
                self.emit(depth + 1, f"{self.name(o)} = {self.ref(r)}")
            self.free(depth + 1, results)
            if len(self.lines) == start:
                self.emit(depth + 1, "pass")

    def loop_node(self, node: Node, depth: int) -> None:
        body = node.blocks[0]
        trip, cond, inits = node.inputs[0], node.inputs[1], node.inputs[2:]
        counter, params = body.params[0], body.params[1:]
        body_cond, nexts = body.returns[0], body.returns[1:]
        for p, v in zip(params, inits):
            self.emit(depth, f"{self.name(p)} = {self.ref(v)}")
        always = _is_true(cond) and _is_true(body_cond)
        infinite = trip.node.kind == "prim::Constant" and trip.constant >= INFINITE_TRIPS
        i = self.name(counter) if counter.uses or not always else None
        if always and not infinite:
            self.free(depth, self.dead_at_entry.pop(node))
            self.emit(depth, f"for {i or '_'} in range({self.ref(trip)}):")
        else:
            c = self.fresh("cond")
            self.emit(depth, f"{c} = {self.ref(cond)}")
            if i is not None:
                self.emit(depth, f"{i} = 0")
            self.free(depth, self.dead_at_entry.pop(node))
            test = c if infinite else f"{c} and {i} < {self.ref(trip)}"
            self.emit(depth, f"while {test}:")
        start = len(self.lines)
        # the body's params are bound again at its end: they die there only after the loop
        results = [v for v in self.nodes(body, depth + 1) if v.node is not body.param_node]
        if params:
            self.emit(depth + 1, f"{', '.join(self.name(p) for p in params)} = "
                                 f"{', '.join(self.ref(v) for v in nexts)}")
        if not (always and not infinite):
            self.emit(depth + 1, f"{c} = {self.ref(body_cond)}")
            if i is not None:
                self.emit(depth + 1, f"{i} += 1")
        self.free(depth + 1, results)
        if len(self.lines) == start:
            self.emit(depth + 1, "pass")
        for o, p in zip(node.outputs, params):
            self.emit(depth, f"{self.name(o)} = {self.name(p)}")
        self.free(depth, list(params))

    def fusion_kernel(self, node: Node) -> str:
        if self.fusion is None:
            raise HostCodeError("this graph has a prim::FusionGroup but no fusion compiler was given")
        name = self.fresh(f"fusion_group_{self.functions}")
        self.functions += 1
        self.globals[name] = self.kernels[node] = self.fusion(node)
        return name

    def python_callable(self, node: Node) -> str:
        """A call back into Python (a function left out of a script with @torch.jit.ignore):
        the callable the frontend put on the node, which takes and returns graph values."""
        fn = node.attrs.get(PYTHON_OBJECT)
        if fn is None:  # a parsed graph: the text names the function but cannot hold it
            raise HostCodeError(f"prim::PythonOp {node.attrs.get('name', '?')} has no Python function to call "
                                "(graphs read back from text cannot call Python)")
        name = self.fresh(f"python_{node.attrs.get('name', 'fn')}")
        self.globals[name] = fn
        return name

    def callee(self, node: Node) -> str:
        fname = self.fresh(node.attrs.get("name", "fn"))
        code = generate(node.attrs[SUBGRAPH], fname, self.fusion, self.target, top=False)
        self.has_once |= code.has_once
        self.globals[fname] = code.fn
        return fname


def _last_reads(block: Block) -> Dict[Value, Optional[Node]]:
    """For each value ``block`` defines (its params and its nodes' outputs), the node of the
    block after which nothing reads it: the last one that reads it, itself or in its blocks;
    None when the block's results read it; its producer (the param node for params) when
    nothing does. The counter of a loop body is left out: its loop binds it."""
    order = {n: i for i, n in enumerate(block.nodes)}
    order[block.param_node] = -1
    last: Dict[Value, Optional[Node]] = {}
    counter = block.params[0] if block.owning_node is not None and block.owning_node.kind == "prim::Loop" else None
    for v in [p for p in block.params if p is not counter] + [o for n in block.nodes for o in n.outputs]:
        at: Optional[Node] = v.node
        for use in v.uses:
            user = block.node_holding(use.user)
            if user is None:
                at = None
                break
            if order[user] > order[at]:
                at = user
        last[v] = at
    return last


def _read_only_as_initial_value(v: Value, loop: Node) -> bool:
    """Does ``loop`` read ``v`` only as the initial value of loop-carried values (not as its
    trip count or condition, nor in its body)?"""
    return all(u.offset >= 2 for u in v.uses if u.user is loop) and \
        not any(u.user is not loop and u.user.is_descendant_of(loop.blocks[0]) for u in v.uses)


def _is_true(v: Value) -> bool:
    return v.node.kind == "prim::Constant" and v.constant is True


def isinstance_of(value: Any, types: Sequence[Type]) -> bool:
    """``prim::isinstance``: is the value (tensors are arrays here) one of ``types``?"""
    return any(value_has_type(value, t, _is_array) for t in types)


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray)


def unpack_list(items: List[Any], n: int) -> List[Any]:
    """The ``n`` items of a list for ``prim::ListUnpack``. A trace records as many as the
    example input gave (``chunk``, ``split``, ``unbind``); another input may give another count."""
    if len(items) != n:
        raise RuntimeError(f"Expected {n} elements in a list but found {len(items)}")
    return items


def _literal(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, int):
        return format_literal(value)  # in hex when too long for decimal
    return repr(value)


def generate(graph: Graph, name: str = "forward",
             fusion: Optional[Callable[[Node], Callable[..., Any]]] = None, target: Target = ARRAYS,
             top: bool = True) -> HostCode:
    """Compile ``graph`` into a Python function named ``name``. ``fusion(node)`` gives the
    callable that runs a ``prim::FusionGroup`` node; ``target`` what it computes on. ``top``:
    the function is called from outside generated code (not a callee of another graph's), so
    each call is one call of the compiled function, with its own state (see call_state)."""
    global _count
    gen = _Gen(fusion, target)
    name = gen.fresh(name)
    gen.function(graph, name)
    source = "\n".join(gen.lines) + "\n"
    _count += 1
    filename = f"<minitorch_jit {name} #{_count}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = gen.globals
    namespace[LINE_SOURCES] = [None] + gen.line_sources
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated source
    fn = namespace[name]
    if top and gen.has_once:
        fn = with_call_state(fn)
    code = HostCode(source, fn, namespace, _direct_call(graph, gen.kernels))
    code.has_once = gen.has_once
    return code


def _direct_call(graph: Graph, kernels: Dict[Node, Any]) -> Optional[Tuple[Any, Tuple[int, ...]]]:
    """(kernel, argument positions) when ``graph`` is one fusion group over its inputs whose
    results it returns as they are (several as one tuple, as the kernel returns them)."""
    nodes = [n for n in graph.nodes if n.kind != "prim::Constant"]
    if len(nodes) == 2 and nodes[1].kind == "prim::TupleConstruct" and len(nodes[0].outputs) > 1 \
            and list(nodes[1].inputs) == list(nodes[0].outputs) and list(graph.outputs) == [nodes[1].output]:
        nodes = nodes[:1]
    elif list(graph.outputs) != (list(nodes[0].outputs) if len(nodes) == 1 else None):
        return None
    if nodes[0] not in kernels:
        return None
    position = {v: i for i, v in enumerate(graph.inputs)}
    if not all(v in position for v in nodes[0].inputs):
        return None
    return kernels[nodes[0]], tuple(position[v] for v in nodes[0].inputs)



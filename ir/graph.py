"""Value, Node, Block and Graph: the SSA graph IR, shaped like TorchScript's ir.h.

Every Value has one producer: a node output, or a block parameter (an output of the block's
``prim::Param`` sentinel node). A block's results are the inputs of its ``prim::Return``
sentinel, so use lists are uniform: every use is (node, input offset).

Control flow is structured: ``prim::If`` has two blocks, ``prim::Loop`` one block whose
parameters are the trip counter and the loop-carried values.
"""
from __future__ import annotations

import builtins
import contextlib
import heapq
import re
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .types import Type, type_of_constant

_NUMERIC = re.compile(r"^\d+$")
_SUFFIX = re.compile(r"^(.*)\.(\d+)$")

SUBGRAPH = "Subgraph"  # attribute holding a node's subgraph (fusion groups, calls)
# attribute holding a prim::DifferentiableGraph's backward graph (its Subgraph is the forward);
# printed as a subgraph of its own, ``with prim::DifferentiableGraph_0_backward = graph(...)``
BACKWARD = "Backward"
# attribute holding the Python callable a prim::PythonOp calls (a function left out of a script
# with @torch.jit.ignore): held by reference, never printed, so a graph with one is not saved
PYTHON_OBJECT = "PythonObject"
# Calls of compiled code, each holding the callee's graph: a function, or a module's method
# (whose graph takes the method's arguments, then the module's attributes it reads). The
# two run alike; the kind says which the program called, as TorchScript's graphs say. (A
# prim::CallMethod without a graph calls a method of an object by name: see object_nodes.)
CALLS = frozenset({"prim::CallFunction", "prim::CallMethod"})


def is_call(node: "Node") -> bool:
    """A call of compiled code whose graph the node holds (inlined, run as a subgraph)."""
    return node.kind in CALLS and SUBGRAPH in node.attrs


def _split_suffix(name: str) -> Optional[Tuple[str, int]]:
    """``x.3`` -> ("x", 3); None for a name without a suffix (``x``, ``3.5`` is not ``3`` + 5)."""
    m = _SUFFIX.match(name)
    if m is None or _NUMERIC.match(m.group(1)):
        return None
    return m.group(1), int(m.group(2))


class SourceLocation(NamedTuple):
    """Where a node came from in the user's source: ``col`` is 1-based; the span ends on
    ``end_line`` before the 1-based column ``end_col + 1`` (0 when the frontend did not say),
    inside the function named ``function``; ``caller`` is the call it was inlined from, if
    any. Text shows only ``file:line:col``."""
    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0
    function: str = ""
    caller: Optional["SourceLocation"] = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def note_source(error: BaseException, source: Optional[SourceLocation]) -> None:
    """Remember on ``error`` where the op that raised it came from, for code that runs a node
    without a line of generated code of its own (a fusion group's size checks and eager
    fallback): the innermost such note is kept."""
    if source is not None and getattr(error, ERROR_SOURCE, None) is None:
        try:
            setattr(error, ERROR_SOURCE, source)
        except AttributeError:  # an exception type with __slots__: nothing to note it on
            pass


# the attribute :func:`note_source` sets
ERROR_SOURCE = "_minitorch_jit_source"


class Use(NamedTuple):
    user: "Node"
    offset: int


class Value:
    __slots__ = ("graph", "node", "offset", "type", "uses", "_name")

    def __init__(self, graph: "Graph", node: "Node", offset: int, type: Type, name: Optional[str] = None):
        self.graph = graph
        self.node = node
        self.offset = offset
        self.type = type
        # An insertion-ordered set (a dict with None values), so that dropping one of many
        # uses is O(1).
        self.uses: Dict[Use, None] = {}
        self._name: Optional[str] = None
        if name is not None:
            self.name = name

    @property
    def name(self) -> Optional[str]:
        """The debug name (``%x``), unique in the graph, or None to be printed as a number."""
        return self._name

    @name.setter
    def name(self, name: Optional[str]) -> None:
        self.graph._rename(self, name)

    def replace_all_uses_with(self, new: "Value") -> None:
        """Given: ``%3 = f(%1); %4 = g(%1)``; ``%1.replace_all_uses_with(%2)``.
        Result: ``%3 = f(%2); %4 = g(%2)``."""
        for use in list(self.uses):
            use.user.replace_input(use.offset, new)

    @property
    def is_constant(self) -> bool:
        return self.node.kind == "prim::Constant"

    @property
    def constant(self) -> Any:
        """The value of a ``prim::Constant`` output (None for a None constant)."""
        assert self.is_constant, "not a constant"
        return self.node.attrs.get("value")

    def __repr__(self) -> str:
        return f"%{self._name or '?'} : {self.type}"


class Node:
    __slots__ = ("graph", "kind", "inputs", "outputs", "attrs", "blocks", "owning_block", "source", "prev", "next")

    def __init__(self, graph: "Graph", kind: str):
        self.graph = graph
        self.kind = kind
        self.inputs: List[Value] = []
        self.outputs: List[Value] = []
        self.attrs: Dict[str, Any] = {}
        self.blocks: List[Block] = []
        self.owning_block: Optional[Block] = None
        self.source: Optional[SourceLocation] = None
        # Neighbours in the owning block's node list (see NodeList); None while unplaced.
        self.prev: Optional[Node] = None
        self.next: Optional[Node] = None

    # -- inputs ---------------------------------------------------------------------------
    def add_input(self, value: Value) -> Value:
        assert value.graph is self.graph, f"value %{value.name} belongs to another graph"
        value.uses[Use(self, len(self.inputs))] = None
        self.inputs.append(value)
        return value

    def replace_input(self, i: int, value: Value) -> Value:
        """Given: ``f(%a, %b)``; replace_input(0, %c). Result: ``f(%c, %b)``. Returns %a."""
        old = self.inputs[i]
        del old.uses[Use(self, i)]
        self.inputs[i] = value
        value.uses[Use(self, i)] = None
        return old

    def remove_input(self, i: int) -> None:
        """Given: ``f(%a, %b, %c)``; remove_input(1). Result: ``f(%a, %c)``."""
        del self.inputs[i].uses[Use(self, i)]
        for j in range(i + 1, len(self.inputs)):
            self._move_use(self.inputs[j], j, j - 1)
        del self.inputs[i]

    def remove_all_inputs(self) -> None:
        for i in reversed(range(len(self.inputs))):
            self.remove_input(i)

    def _move_use(self, value: Value, old: int, new: int) -> None:
        del value.uses[Use(self, old)]
        value.uses[Use(self, new)] = None

    # -- outputs --------------------------------------------------------------------------
    def add_output(self, type: Type, name: Optional[str] = None) -> Value:
        v = Value(self.graph, self, len(self.outputs), type, name)
        self.outputs.append(v)
        return v

    def erase_output(self, i: int) -> None:
        v = self.outputs[i]
        assert not v.uses, f"erasing output %{v.name} of {self.kind} which still has uses"
        self.graph._rename(v, None)
        del self.outputs[i]
        for j in range(i, len(self.outputs)):
            self.outputs[j].offset = j

    @property
    def output(self) -> Value:
        assert len(self.outputs) == 1, f"{self.kind} has {len(self.outputs)} outputs"
        return self.outputs[0]

    # -- blocks ---------------------------------------------------------------------------
    def add_block(self) -> "Block":
        b = Block(self.graph, self)
        self.blocks.append(b)
        return b

    # -- placement ------------------------------------------------------------------------
    def insert_before(self, other: "Node") -> "Node":
        """Put this (unplaced) node just before ``other`` in ``other``'s block."""
        assert other is not other.owning_block.param_node, "nothing goes before a block's params"
        return self._link(other.prev, other)

    def insert_after(self, other: "Node") -> "Node":
        """Put this (unplaced) node just after ``other`` in ``other``'s block."""
        assert other is not other.owning_block.return_node, "nothing goes after a block's return"
        return self._link(other, other.next)

    def move_before(self, other: "Node") -> None:
        self._unlink()
        self.insert_before(other)

    def move_after(self, other: "Node") -> None:
        self._unlink()
        self.insert_after(other)

    def _link(self, prev: "Node", next: "Node") -> "Node":
        assert self.owning_block is None, "node is already in a block"
        block = prev.owning_block
        self.prev, self.next = prev, next
        prev.next = next.prev = self
        self.owning_block = block
        block.nodes._size += 1
        return self

    def _unlink(self) -> None:
        block = self.owning_block
        if block is not None:
            self.prev.next, self.next.prev = self.next, self.prev
            self.prev = self.next = None
            self.owning_block = None
            block.nodes._size -= 1

    def destroy(self) -> None:
        """Remove this node, its blocks and its inputs' uses. Its outputs must be unused."""
        for i in reversed(range(len(self.outputs))):
            self.erase_output(i)
        self.remove_all_inputs()
        for b in self.blocks:
            b._destroy()
        self.blocks = []
        self._unlink()

    # -- queries --------------------------------------------------------------------------
    def is_descendant_of(self, block: "Block") -> bool:
        b = self.owning_block
        while b is not None:
            if b is block:
                return True
            b = b.owning_node.owning_block if b.owning_node is not None else None
        return False

    def all_nodes(self) -> Iterator["Node"]:
        """Nodes nested in this node's blocks, depth first in program order."""
        for b in self.blocks:
            yield from b.all_nodes()

    @property
    def subgraph(self) -> "Graph":
        return self.attrs[SUBGRAPH]

    def __repr__(self) -> str:
        from .printer import node_line
        return node_line(self)


class NodeList:
    """The nodes of a block in program order: a doubly linked list between the block's param
    and return nodes (as in TorchScript's ir.h), so that inserting, moving and removing a node
    costs O(1) however long the block is.

    Iterating reads each node's successor before handing the node out, so the loop body may
    destroy or move the node it was given; for other edits iterate over ``list(block.nodes)``.
    Indexing walks from the nearer end: ``nodes[0]`` and ``nodes[-1]`` are O(1).
    """
    __slots__ = ("_head", "_tail", "_size")

    def __init__(self, head: Node, tail: Node):
        self._head, self._tail = head, tail  # the param and return nodes, never yielded
        head.next, tail.prev = tail, head
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Node]:
        node, tail = self._head.next, self._tail
        while node is not tail:
            following = node.next
            yield node
            node = following

    def __reversed__(self) -> Iterator[Node]:
        node, head = self._tail.prev, self._head
        while node is not head:
            preceding = node.prev
            yield node
            node = preceding

    def __getitem__(self, i: int) -> Node:
        n = self._size
        if not -n <= i < n:
            raise IndexError("block node index out of range")
        i %= n
        if i < n // 2:
            node = self._head.next
            for _ in range(i):
                node = node.next
        else:
            node = self._tail.prev
            for _ in range(n - 1 - i):
                node = node.prev
        return node

    def __repr__(self) -> str:
        return f"NodeList({list(self)!r})"


class Block:
    __slots__ = ("graph", "owning_node", "nodes", "param_node", "return_node")

    def __init__(self, graph: "Graph", owning_node: Optional[Node]):
        self.graph = graph
        self.owning_node = owning_node
        self.param_node = Node(graph, "prim::Param")
        self.param_node.owning_block = self
        self.return_node = Node(graph, "prim::Return")
        self.return_node.owning_block = self
        self.nodes = NodeList(self.param_node, self.return_node)

    @property
    def params(self) -> List[Value]:
        return self.param_node.outputs

    @property
    def returns(self) -> List[Value]:
        return self.return_node.inputs

    def add_param(self, type: Type, name: Optional[str] = None) -> Value:
        return self.param_node.add_output(type, name)

    def node_holding(self, node: Node) -> Optional[Node]:
        """The node of this block that is ``node`` or holds it in one of its blocks (the
        param node for the block's params); None for the block's return and for nodes
        outside the block."""
        while node.owning_block is not self:
            owner = node.owning_block.owning_node if node.owning_block is not None else None
            if owner is None:
                return None
            node = owner
        return None if node is self.return_node else node

    def erase_param(self, i: int) -> None:
        self.param_node.erase_output(i)

    def register_output(self, value: Value) -> int:
        self.return_node.add_input(value)
        return len(self.returns) - 1

    def erase_output(self, i: int) -> None:
        self.return_node.remove_input(i)

    def append(self, node: Node) -> Node:
        return node.insert_before(self.return_node)

    def all_nodes(self) -> Iterator[Node]:
        for n in self.nodes:
            yield n
            yield from n.all_nodes()

    def _destroy(self) -> None:
        # Bottom up: by SSA, every use of a value defined here is later in this block or in
        # its return, so each node is unused by the time it is destroyed.
        self.return_node.remove_all_inputs()
        for n in reversed(self.nodes):
            n.destroy()
        for i in reversed(range(len(self.params))):
            self.erase_param(i)


class Graph:
    """A function: a top block whose params are the inputs and whose returns the outputs."""

    def __init__(self) -> None:
        self._names: Dict[str, Value] = {}
        self._suffixes: Dict[str, list] = {}  # base -> [next unused suffix, heap of freed ones]
        self.block = Block(self, None)
        self._insert_before: Node = self.block.return_node

    # -- structure ------------------------------------------------------------------------
    @property
    def inputs(self) -> List[Value]:
        return self.block.params

    @property
    def outputs(self) -> List[Value]:
        return self.block.returns

    @property
    def nodes(self) -> NodeList:
        return self.block.nodes

    def add_input(self, type: Type, name: Optional[str] = None) -> Value:
        return self.block.add_param(type, name)

    def register_output(self, value: Value) -> int:
        return self.block.register_output(value)

    def all_nodes(self) -> Iterator[Node]:
        return self.block.all_nodes()

    # -- names ----------------------------------------------------------------------------
    def _rename(self, value: Value, name: Optional[str]) -> None:
        """Give ``value`` the name, or when it is taken the lowest free ``base.N`` (``x`` and
        ``x.3`` both have the base ``x``)."""
        old = value._name
        if old is not None and self._names.get(old) is value:
            del self._names[old]
            split = _split_suffix(old)
            if split is not None and split[0] in self._suffixes:
                state = self._suffixes[split[0]]
                if 1 <= split[1] < state[0]:
                    heapq.heappush(state[1], split[1])
        value._name = None
        if name is None or _NUMERIC.match(name):
            return
        if name in self._names:
            split = _split_suffix(name)
            base = split[0] if split is not None else name
            name = f"{base}.{self._free_suffix(base)}"
        self._names[name] = value
        value._name = name

    def _free_suffix(self, base: str) -> int:
        # Per base: every suffix below a counter is taken or on a heap of freed ones (which may
        # hold some taken again since), so finding the lowest free one costs O(log n)
        # amortized rather than a scan from 1 for each new ``x.N`` of a long program.
        state = self._suffixes.setdefault(base, [1, []])
        freed = state[1]
        while freed:
            i = heapq.heappop(freed)
            if f"{base}.{i}" not in self._names:
                return i
        i = state[0]
        while f"{base}.{i}" in self._names:
            i += 1
        state[0] = i + 1
        return i

    # -- creating nodes -------------------------------------------------------------------
    def create(self, kind: str, inputs: Sequence[Value] = (), output_types: Sequence[Type] = (),
               attrs: Optional[Dict[str, Any]] = None, source: Optional[SourceLocation] = None) -> Node:
        """A new node, not yet placed in a block."""
        n = Node(self, kind)
        for v in inputs:
            n.add_input(v)
        for t in output_types:
            n.add_output(t)
        if attrs:
            n.attrs.update(attrs)
        n.source = source
        return n

    def insert(self, kind: str, inputs: Sequence[Value] = (), output_types: Sequence[Type] = (),
               attrs: Optional[Dict[str, Any]] = None, source: Optional[SourceLocation] = None) -> Node:
        """Create a node and place it at the insertion point."""
        return self.insert_node(self.create(kind, inputs, output_types, attrs, source))

    def insert_node(self, node: Node) -> Node:
        return node.insert_before(self._insert_before)

    def insert_constant(self, value: Any, type: Optional[Type] = None,
                        source: Optional[SourceLocation] = None) -> Value:
        """``%c : <type> = prim::Constant[value=<value>]()`` at the insertion point."""
        t = type if type is not None else type_of_constant(value)
        attrs = {} if value is None else {"value": value}
        return self.insert("prim::Constant", (), (t,), attrs, source).output

    @property
    def insert_point(self) -> Node:
        """New nodes go just before this node (a block's return node means: at its end)."""
        return self._insert_before

    def set_insert_point(self, where: Any) -> None:
        """``where`` is a Node (insert before it) or a Block (insert at its end)."""
        self._insert_before = where.return_node if isinstance(where, Block) else where

    @contextlib.contextmanager
    def inserting_before(self, where: Any) -> Iterator[None]:
        saved = self._insert_before
        self.set_insert_point(where)
        try:
            yield
        finally:
            self._insert_before = saved

    @contextlib.contextmanager
    def inserting_after(self, node: Node) -> Iterator[None]:
        with self.inserting_before(node.next):
            yield

    # -- copying --------------------------------------------------------------------------
    def clone_node(self, node: Node, value_map: Callable[[Value], Value],
                   copy_names: bool = True) -> Node:
        """A copy of ``node`` (from any graph) in this graph, unplaced, with its blocks; inputs
        are translated by ``value_map`` and the copy's outputs are recorded in it when it is
        a dict-backed mapper (see :func:`clone_into`)."""
        n = Node(self, node.kind)
        n.attrs = {k: (v.copy() if isinstance(v, Graph) else v) for k, v in node.attrs.items()}
        n.source = node.source
        for v in node.inputs:
            n.add_input(value_map(v))
        for o in node.outputs:
            n.add_output(o.type, o.name if copy_names else None)
        return n

    def copy(self) -> "Graph":
        """A deep copy with the same names, types and attributes."""
        g = Graph()
        env: Dict[Value, Value] = {}
        for v in self.inputs:
            env[v] = g.add_input(v.type, v.name)
        clone_block_into(self.block, g.block, env)
        for v in self.outputs:
            g.register_output(env[v])
        return g

    def __str__(self) -> str:
        from .printer import print_graph
        return print_graph(self)

    def __repr__(self) -> str:
        return str(self)

    def str(self, print_source_ranges: bool = True) -> "builtins.str":
        """PyTorch's ``graph.str()``: the text, each node followed by the ``# file:line:col``
        it came from (``str(graph)`` leaves them out)."""
        from .printer import print_graph
        return print_graph(self, show_source=print_source_ranges)


def _clone_nodes(graph: Graph, nodes: Sequence[Node], env: Dict[Value, Value],
                 place: Callable[[Node], Any]) -> None:
    for node in nodes:
        n = graph.clone_node(node, lambda v: env.get(v, v))
        place(n)
        for old, new in zip(node.outputs, n.outputs):
            env[old] = new
        for sb in node.blocks:
            nb = n.add_block()
            for p in sb.params:
                env[p] = nb.add_param(p.type, p.name)
            _clone_nodes(graph, sb.nodes, env, nb.append)
            for r in sb.returns:
                nb.register_output(env.get(r, r))


def clone_block_into(src: Block, dst: Block, env: Dict[Value, Value]) -> None:
    """Append copies of ``src``'s nodes (with their blocks) to ``dst``. ``env`` maps values of
    ``src``'s scope to values visible in ``dst`` (unmapped values are kept, which is right
    within one graph) and is extended with every copied output. Params and returns of the
    block are the caller's business."""
    _clone_nodes(dst.graph, src.nodes, env, dst.append)


def inline_block(block: Block, before: Node, env: Dict[Value, Value]) -> List[Value]:
    """Copy ``block``'s nodes in front of ``before`` and return what the block returns, mapped.
    ``env`` must map the block's params.

    Given: ``%y = prim::If(%c) block0(): %a = f(%x) -> (%a)`` and ``before`` = the If.
    Result: ``%a.1 = f(%x)`` placed before the If; returns [%a.1].
    """
    _clone_nodes(before.graph, block.nodes, env, lambda n: n.insert_before(before))
    return [env.get(r, r) for r in block.returns]

"""Loop unrolling for counted loops (``for i in range(n)``: a ``prim::Loop`` whose condition
is the constant True before and after each iteration).

A constant trip count whose copies stay within ``MAX_UNROLLED_SIZE`` nodes is unrolled fully.
Given::

    %t : bool = prim::Constant[value=True]()
    %n : int = prim::Constant[value=3]()
    %y : Tensor = prim::Loop(%n, %t, %x)
      block0(%i : int, %x.1 : Tensor):
        %x.2 : Tensor = aten::mul(%x.1, %x.1)
        -> (%t, %x.2)

Result: three ``aten::mul`` nodes in a row, each copy's counter the constant 0, 1 or 2.

Other counted loops whose body (nested nodes included, constants not) has at most
``MAX_BODY_SIZE`` nodes and no loop inside are unrolled by ``UNROLL_FACTOR`` with a
remainder loop, as on the slide::

    %f : int = prim::Constant[value=8]()
    %1 : float = aten::div.num(%n, %f)
    %main : int = aten::Int.num(%1)              # n / 8 rounded toward zero, so a negative
    %2 : int = aten::mul.num(%main, %f)          # n runs neither loop
    %rem : int = aten::sub.num(%n, %2)
    %y.1 : Tensor = prim::Loop[unrolled=True](%main, %t, %x)
      block0(%j : int, %x.3 : Tensor):
        ... eight copies of the body, the k-th with counter j * 8 + k ...
        -> (%t, %x.10)
    %y : Tensor = prim::Loop[unrolled=True](%rem, %t, %y.1)
      block0(%r : int, %x.11 : Tensor):
        ... one copy of the body, with counter %2 + r ...
        -> (%t, %x.12)

The ``unrolled`` attribute stops the two loops from being unrolled again by factor (a
constant trip count may still unroll them fully). Copies keep the body's order, so side
effects happen as they did. (Trip counts of 2**53 or more are left alone: n / 8 is only exact
below that, and no such loop ends anyway.)
"""
from __future__ import annotations

from typing import Dict, List, Optional

from minitorch_jit.ir.graph import Block, Graph, Node, Value, inline_block
from minitorch_jit.ir.types import FLOAT, INT

from .rewriting import replace_value

UNROLL_FACTOR = 8
MAX_BODY_SIZE = 32
MAX_UNROLLED_SIZE = 256
_EXACT_TRIPS = 2 ** 53


def _is_true(v: Value) -> bool:
    return v.is_constant and v.constant is True


def _is_counted(loop: Node) -> bool:
    return _is_true(loop.inputs[1]) and _is_true(loop.blocks[0].returns[0])


def body_size(block: Block) -> int:
    return sum(1 for n in block.all_nodes() if n.kind != "prim::Constant")


def _has_loop(block: Block) -> bool:
    return any(n.kind == "prim::Loop" for n in block.all_nodes())


def _copy_body(body: Block, before: Node, counter: Optional[Value], carried: List[Value]) -> List[Value]:
    """Copy the body in front of ``before`` with its counter (None when the body does not
    read it) and carried parameters bound; returns the copy's carried results."""
    env: Dict[Value, Value] = dict(zip(body.params[1:], carried))
    if counter is not None:
        env[body.params[0]] = counter
    return inline_block(body, before, env)[1:]


def _unroll_fully(loop: Node, trips: int) -> None:
    graph, body = loop.graph, loop.blocks[0]
    carried = list(loop.inputs[2:])
    for k in range(max(trips, 0)):
        counter = None
        if body.params[0].uses:
            with graph.inserting_before(loop):
                counter = graph.insert_constant(k)
        carried = _copy_body(body, loop, counter, carried)
    for o, v in zip(loop.outputs, carried):
        replace_value(o, v)
    loop.destroy()


def _new_loop(template: Node, trips: Value, cond: Value, inits: List[Value]) -> Node:
    """An empty counted loop shaped like ``template``, inserted before it."""
    graph, body = template.graph, template.blocks[0]
    loop = graph.create("prim::Loop", [trips, cond] + inits, [o.type for o in template.outputs],
                        attrs={"unrolled": True}, source=template.source)
    loop.insert_before(template)
    new_body = loop.add_block()
    for p in body.params:
        new_body.add_param(p.type, p.name)
    return loop


def _unroll_by_factor(loop: Node) -> None:
    graph, body = loop.graph, loop.blocks[0]
    trips, cond = loop.inputs[0], loop.inputs[1]
    counter_used = bool(body.params[0].uses)
    with graph.inserting_before(loop):
        factor = graph.insert_constant(UNROLL_FACTOR)
        ratio = graph.insert("aten::div", [trips, factor], [FLOAT], source=loop.source).output
        main_trips = graph.insert("aten::Int", [ratio], [INT], source=loop.source).output
        done = graph.insert("aten::mul", [main_trips, factor], [INT], source=loop.source).output
        rest = graph.insert("aten::sub", [trips, done], [INT], source=loop.source).output

    main = _new_loop(loop, main_trips, cond, list(loop.inputs[2:]))
    main_body = main.blocks[0]
    end = main_body.return_node
    carried = list(main_body.params[1:])
    if counter_used:
        with graph.inserting_before(end):
            base = graph.insert("aten::mul", [main_body.params[0], factor], [INT]).output
    for k in range(UNROLL_FACTOR):
        counter = None
        if counter_used:
            with graph.inserting_before(end):
                counter = graph.insert("aten::add", [base, graph.insert_constant(k)], [INT]).output
        carried = _copy_body(body, end, counter, carried)
    main_body.register_output(cond)
    for v in carried:
        main_body.register_output(v)

    rem = _new_loop(loop, rest, cond, list(main.outputs))
    rem_body = rem.blocks[0]
    counter = None
    if counter_used:
        with graph.inserting_before(rem_body.return_node):
            counter = graph.insert("aten::add", [done, rem_body.params[0]], [INT]).output
    rem_body.register_output(cond)
    for v in _copy_body(body, rem_body.return_node, counter, list(rem_body.params[1:])):
        rem_body.register_output(v)

    for o, v in zip(loop.outputs, rem.outputs):
        replace_value(o, v)
    loop.destroy()


def _visit(block: Block) -> bool:
    changed = False
    for node in list(block.nodes):
        for b in node.blocks:  # inner loops first
            changed |= _visit(b)
        if node.kind != "prim::Loop" or not _is_counted(node):
            continue
        body = node.blocks[0]
        trips = node.inputs[0]
        size = max(body_size(body), 1)
        if trips.is_constant and trips.constant * size <= MAX_UNROLLED_SIZE:
            _unroll_fully(node, trips.constant)
            changed = True
        elif (not node.attrs.get("unrolled") and size <= MAX_BODY_SIZE and not _has_loop(body)
              and not (trips.is_constant and trips.constant >= _EXACT_TRIPS)):
            _unroll_by_factor(node)
            changed = True
    return changed


def loop_unrolling(graph: Graph) -> bool:
    """Unroll counted loops: fully when small and constant, else by ``UNROLL_FACTOR``."""
    return _visit(graph.block)

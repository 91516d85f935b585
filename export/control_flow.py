"""Control flow in an exported library: ``prim::Loop`` (for loops), ``prim::If``, lists of
tensors appended in loops and stacked after them, ``select`` (a loop over time reads
``x[t]``) and ``print``.

The plan walk goes through a loop body once, straight, with the trip count known, to size
its buffers (sizes in a body may not depend on the iteration); the run walk emits the real
loop. A tensor carried from one iteration to the next lives in a buffer of its own for the
whole loop: the body's result is copied into it at the end of each iteration. A list of
tensors built by appends in loops is one buffer of the stacked result, each append writing
its row: its capacity is the number of appends the loops make (a list appended to in a
branch is not lowered: its length would be known only at run time).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np
from llvmlite import ir

from minitorch_jit.codegen.llvm.builder import F32
from minitorch_jit.ir.graph import Block, Node
from minitorch_jit.ir.types import ListType, TensorType

from .emitter import RT, Emitter
from .loops import I64, Size, add, contiguous_strides, eq, for_range, mul, product, value
from .ops import _dim, _tensor, construct, copy_into, lowering
from .prepare import ExportError
from .walker import walk_nodes

F64 = ir.DoubleType()


@dataclass
class TensorList:
    """A list of tensors (created empty) and what the plan walk found of it: the element
    sizes, the buffer of the stacked rows and their number; in the run walk, the slot
    that counts the rows written."""
    dtype: Optional[str] = None
    sizes: Optional[List[Size]] = None
    buffer: Optional[int] = None
    capacity: Size = 0
    count: Optional[ir.Value] = None


@lowering("prim::ListConstruct")
def list_construct(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    t = node.output.type
    if args or not (isinstance(t, ListType) and isinstance(t.elem, TensorType)):
        return construct(em, node, args)
    if em.running:
        found = em.lists[node]
        found.count = em.local(I64)
        em.irb.store(ir.Constant(I64, 0), found.count)
        return [found]
    em.lists[node] = TensorList()
    return [em.lists[node]]


@lowering("aten::add_.t")
def list_extend(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    target, items = args
    if not isinstance(target, TensorList) or not isinstance(items, list):
        raise ExportError("only appends to a list of tensors created empty are lowered")
    if em.branches:
        raise ExportError("appending to a list in a branch is not lowered (its length would be known only at run time)")
    irb = em.irb
    for item in items:
        t = _tensor(item, "a list element")
        if target.sizes is None:
            target.dtype, target.sizes = t.dtype, list(t.sizes)
        if t.dtype != target.dtype or t.rank != len(target.sizes):
            raise ExportError("a list of tensors of different dtypes or ranks is not lowered")
        for d, (a, b) in enumerate(zip(t.sizes, target.sizes)):
            em.check(eq(irb, a, b), "MTJ_ERR_SIZE", f"a list element of size %lld at dimension {d}, the others %lld",
                     a, b)
        row = product(irb, target.sizes)
        if not em.running:
            if target.buffer is None:
                target.buffer = em.new_buffer(0)
            target.capacity = add(irb, target.capacity, product(irb, em.trips))
            em.resize(target.buffer, mul(irb, mul(irb, target.capacity, row), np.dtype(target.dtype).itemsize))
            continue
        assert target.buffer is not None and target.count is not None
        n = irb.load(target.count)
        base = em.buffer_pointer(target.buffer, target.dtype)
        copy_into(em, t, irb.gep(base, [irb.mul(n, value(irb, row))]))
        irb.store(irb.add(n, ir.Constant(I64, 1)), target.count)
    return [target]


@lowering("aten::stack")
def stack(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    items, dim = args
    if dim != 0:
        raise ExportError("stack along a dimension other than 0 is not lowered")
    irb = em.irb
    if isinstance(items, TensorList):
        if items.sizes is None or items.buffer is None or items.dtype is None:
            raise ExportError("stack of a list that nothing appends to is not lowered")
        sizes = [items.capacity, *items.sizes]
        ptr = em.buffer_pointer(items.buffer, items.dtype) if em.running else None
        return [RT(items.dtype, sizes, contiguous_strides(irb, sizes), ptr, items.buffer)]
    tensors = [_tensor(t, "a stacked tensor") for t in items]
    if not tensors:
        raise ExportError("stack of no tensors")
    first = tensors[0]
    for t in tensors[1:]:
        for a, b in zip(t.sizes, first.sizes):
            em.check(eq(irb, a, b), "MTJ_ERR_SIZE", "stacked tensors of sizes %lld and %lld", a, b)
    out = em.buffer(first.dtype, [len(tensors), *first.sizes])
    if em.running:
        row = value(irb, product(irb, first.sizes))
        for i, t in enumerate(tensors):
            copy_into(em, t, irb.gep(out.ptr, [irb.mul(ir.Constant(I64, i), row)]))
    return [out]


@lowering("aten::select.int")
def select(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x, index = _tensor(args[0], "select's input"), args[2]
    d = _dim(args[1], x.rank)
    irb = em.irb
    size = x.sizes[d]
    if isinstance(index, int) and isinstance(size, int):
        if not -size <= index < size:
            raise ExportError(f"index {index} is out of range for a dimension of size {size}")
        index %= size
    else:
        i, n = value(irb, index), value(irb, size)
        em.check(irb.and_(irb.icmp_signed(">=", i, irb.neg(n)), irb.icmp_signed("<", i, n)), "MTJ_ERR_SIZE",
                 "index %lld is out of range for a dimension of size %lld", i, n)
        index = irb.select(irb.icmp_signed("<", i, ir.Constant(I64, 0)), irb.add(i, n), i)
    ptr = irb.gep(x.ptr, [value(irb, mul(irb, index, x.strides[d]))]) if em.running else None
    return [RT(x.dtype, x.sizes[:d] + x.sizes[d + 1:], x.strides[:d] + x.strides[d + 1:], ptr, x.buffer,
               view=True)]


def _carry(em: Emitter, x: Any) -> Any:
    """Where a value lives across iterations."""
    if isinstance(x, RT):
        carry = em.buffer(x.dtype, x.sizes)
        if em.running:
            copy_into(em, x, carry.ptr)
        return carry
    if isinstance(x, TensorList):
        return x
    if isinstance(x, (int, ir.Value)) and not isinstance(x, bool):
        slot = em.local(I64)
        em.irb.store(value(em.irb, x), slot)
        return slot
    raise ExportError(f"a loop carrying {x!r} is not lowered")


@lowering("prim::Loop")
def loop(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    trip, cond, *init = args
    body: Block = node.blocks[0]
    again = body.returns[0]
    if cond is not True or again.node.kind != "prim::Constant" or again.constant is not True:
        raise ExportError("a while loop is not lowered (only for loops over a range)")
    if isinstance(trip, bool) or not isinstance(trip, (int, ir.Value)):
        raise ExportError(f"a loop over {trip!r} is not lowered")
    irb = em.irb
    carried = [_carry(em, x) for x in init]
    start = em.position
    env: Dict[Any, Any] = em.env
    em.depth += 1
    em.trips.append(trip)

    def iteration(index: Any) -> List[Any]:
        params = [c if not (isinstance(c, ir.Value) and isinstance(c.type, ir.PointerType)) else irb.load(c)
                  for c in carried]
        env.update(zip(body.params, [index, *params]))
        walk_nodes(em, body.nodes, env)
        em.position += 1
        results = [env[v] for v in body.returns[1:]]
        em.read(results)
        return results

    if em.running:
        with for_range(irb, 0, trip) as i:
            results = iteration(i)
            for c, r in zip(carried, results):
                if isinstance(c, RT) and r is not c:
                    copy_into(em, r, c.ptr)
                elif isinstance(c, ir.Value):
                    irb.store(value(irb, r), c)
    else:
        results = iteration(0)
    em.trips.pop()
    em.depth -= 1
    for c, r in zip(carried, results):
        if isinstance(c, RT):
            if r is not c and r.buffer == c.buffer:
                raise ExportError("a loop whose result is a view of what it carries is not lowered")
            if em.running:  # checked in the plan walk, where the body's sizes are at hand
                continue
            skipped = irb.icmp_signed("<=", value(irb, trip), ir.Constant(I64, 0))
            for d, (a, b) in enumerate(zip(r.sizes, c.sizes)):
                same = eq(irb, a, b)
                if not isinstance(same, bool):
                    same = irb.or_(skipped, same)
                em.check(same, "MTJ_ERR_SIZE", f"a loop changes the size at dimension {d} of a value it carries "
                         "(%lld to %lld)", b, a)
        elif isinstance(c, TensorList) and r is not c:
            raise ExportError("a loop that replaces a list it carries is not lowered")
    em.span_loop(start, em.position)
    return [irb.load(c) if isinstance(c, ir.Value) else c for c in carried]


@lowering("prim::If")
def if_(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    if node.outputs:
        raise ExportError("an if with results is not lowered")
    cond = args[0]
    irb = em.irb
    em.depth += 1
    em.branches += 1
    blocks = node.blocks
    if isinstance(cond, bool) and em.running:
        walk_nodes(em, blocks[0 if cond else 1].nodes, em.env)
    elif not em.running:  # both, whatever the condition in this walk
        env = em.env
        for block in blocks:
            walk_nodes(em, block.nodes, env)
    else:
        env = em.env
        with irb.if_else(cond) as (then, otherwise):
            with then:
                walk_nodes(em, blocks[0].nodes, env)
            with otherwise:
                walk_nodes(em, blocks[1].nodes, env)
    em.branches -= 1
    em.depth -= 1
    return []


@lowering("prim::Print")
def print_(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    """printf of the values, separated by spaces: strings, ints, floats (``%g``) and 0-d
    float tensors as ``tensor(%.4f)`` (the four decimals Python shows)."""
    parts: List[str] = []
    values: List[ir.Value] = []
    irb = em.irb
    for a in args:
        if isinstance(a, str):
            parts.append(a.replace("%", "%%"))
        elif isinstance(a, RT):
            if a.rank != 0 or a.dtype != "float32":
                raise ExportError("printing a tensor other than a 0-d float32 one is not lowered")
            parts.append("tensor(%.4f)")
            if em.running:
                values.append(irb.fpext(irb.load(a.ptr), F64))
        elif isinstance(a, bool) or isinstance(a, (int, float)):
            parts.append(str(a).replace("%", "%%"))
        elif isinstance(a, ir.Value) and a.type == I64:
            parts.append("%lld")
            values.append(a)
        elif isinstance(a, ir.Value) and a.type == F64:
            parts.append("%g")
            values.append(a)
        else:
            raise ExportError(f"printing {a!r} is not lowered")
    if em.running:
        printf = em.module.globals.get("printf") or ir.Function(
            em.module, ir.FunctionType(ir.IntType(32), [ir.IntType(8).as_pointer()], var_arg=True), "printf")
        irb.call(printf, [em.string(" ".join(parts) + "\n"), *values])
    return []


@lowering("aten::mean", "aten::var")
def moments(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    """The mean or variance of all elements, accumulated in double."""
    x = _tensor(args[0], "the reduced tensor")
    if x.dtype != "float32" or x.view:
        raise ExportError("mean and var are lowered for contiguous float32 tensors only")
    variance = node.kind == "aten::var"
    if variance and args[1] is not True:
        raise ExportError("var(unbiased=False) is not lowered")
    if not variance and args[1] is not None:
        raise ExportError("mean with a dtype is not lowered")
    out = em.buffer("float32", [])
    if not em.running:
        return [out]
    irb = em.irb
    n = value(irb, product(irb, x.sizes))
    total = em.local(F64)

    def accumulate(term: Any) -> ir.Value:
        irb.store(ir.Constant(F64, 0.0), total)
        with for_range(irb, 0, n) as i:
            irb.store(irb.fadd(irb.load(total), term(irb.fpext(irb.load(irb.gep(x.ptr, [i])), F64))), total)
        return irb.load(total)

    mean = irb.fdiv(accumulate(lambda v: v), irb.sitofp(n, F64))
    result = mean
    if variance:
        squares = accumulate(lambda v: irb.fmul(irb.fsub(v, mean), irb.fsub(v, mean)))
        result = irb.fdiv(squares, irb.sitofp(irb.sub(n, ir.Constant(I64, 1)), F64))
    irb.store(irb.fptrunc(result, F32), out.ptr)
    return [out]

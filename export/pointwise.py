"""Fusion groups in an exported library: the fuser's kernels (codegen's row function, the
same IR the JIT runs) called over the rows of the broadcast output.

Sizes broadcast as numpy's do, decided at run time where the export does not know them
(a size of 1 against another is checked and taken as a stride of 0). Each output is a
contiguous buffer of the arena.
"""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple, Union

from llvmlite import ir

from minitorch_jit.codegen.llvm.kernel import RUNTIME, ScalarArg, Spec, TensorArg, rows_function
from minitorch_jit.ir.graph import Node

from .emitter import RT, Emitter, tensor_type
from .loops import Size, add, eq, for_nest, mul, same, value

I32 = ir.IntType(32)


def broadcast_sizes(em: Emitter, shapes: Sequence[Sequence[Size]]) -> List[Size]:
    """numpy's broadcast of ``shapes``, with run-time checks where sizes are not known."""
    irb = em.irb
    rank = max((len(s) for s in shapes), default=0)
    out: List[Size] = []
    for d in range(rank):
        dims = [s[len(s) - rank + d] for s in shapes if len(s) - rank + d >= 0]
        size: Size = 1
        for x in dims:
            if same(x, size) or same(x, 1):
                continue
            if same(size, 1):
                size = x
                continue
            both = (size, x)
            ok = eq(irb, size, x)
            if not isinstance(ok, bool):
                ok = irb.or_(ok, irb.or_(irb.icmp_signed("==", value(irb, x), value(irb, 1)),
                                         irb.icmp_signed("==", value(irb, size), value(irb, 1))))
            em.check(ok, "MTJ_ERR_SIZE", "sizes %lld and %lld do not broadcast (dimension " + str(d - rank) + ")",
                     *both)
            if isinstance(size, int) and not isinstance(x, int):
                continue  # x is size or 1
            if isinstance(x, int):
                size = x
            else:
                vs, vx = value(irb, size), value(irb, x)
                size = irb.select(irb.icmp_signed("==", vs, value(irb, 1)), vx, vs)
        out.append(size)
    return out


def broadcast_strides(em: Emitter, t: RT, out: Sequence[Size]) -> List[Size]:
    """``t``'s strides along the dimensions of ``out``: 0 where it is broadcast."""
    irb = em.irb
    lead = len(out) - t.rank
    strides: List[Size] = [0] * lead
    for s, st in zip(t.sizes, t.strides):
        if same(s, 1):
            strides.append(0)
        elif isinstance(s, int):
            strides.append(st)
        else:
            strides.append(irb.select(irb.icmp_signed("==", s, value(irb, 1)), value(irb, 0), value(irb, st)))
    for k, (s, o) in enumerate(zip(t.sizes, out[lead:])):
        if same(s, o):
            strides[lead + k] = t.strides[k]
    return strides


def _inner(t: RT, strides: Sequence[Size]) -> int:
    if t.rank == 0 or same(strides[-1], 0):
        return 0
    if same(strides[-1], 1):
        return 1
    return RUNTIME


def fusion_group(em: Emitter, node: Node, args: Sequence[Any]) -> List[RT]:
    irb = em.irb
    sub = node.subgraph
    tensors = [a for a in args if isinstance(a, RT)]
    sizes = broadcast_sizes(em, [t.sizes for t in tensors])
    outs = [em.buffer(str(tensor_type(v).dtype), sizes) for v in node.outputs]
    if not em.running:
        return outs
    operands = tensors + outs
    strides = [broadcast_strides(em, t, sizes) for t in operands]
    spec_inputs: List[Union[TensorArg, ScalarArg]] = []
    scalars: List[ir.Value] = []
    k = 0
    for a in args:
        if isinstance(a, RT):
            spec_inputs.append(TensorArg(a.dtype, a.rank == 0, _inner(a, strides[k])))
            k += 1
        else:
            kind, v = _scalar(irb, a)
            spec_inputs.append(ScalarArg(kind))
            scalars.append(v)
    spec = Spec(len(sizes), tuple(spec_inputs), tuple(TensorArg(o.dtype, o.rank == 0, 1) for o in outs))
    key = (str(sub), spec)
    rows = em.helpers.get(key)
    if rows is None:
        rows, _ = rows_function(em.module, sub, spec, name=f"mtj.group{len(em.helpers)}")
        em.helpers[key] = rows
    runtime = [value(irb, st[-1]) for st, t in zip(strides, spec.tensors) if t.inner == RUNTIME]
    n = value(irb, sizes[-1]) if sizes else ir.Constant(ir.IntType(64), 1)
    with for_nest(irb, sizes[:-1]) as index:
        ptrs = []
        for t, st in zip(operands, strides):
            offset: Size = 0
            for i, s in zip(index, st):
                offset = add(irb, offset, mul(irb, i, s))
            ptrs.append(irb.gep(t.ptr, [value(irb, offset)]))
        status = irb.call(rows, [n, *ptrs, *runtime, *scalars])
        em.check(irb.icmp_signed("==", status, ir.Constant(I32, 0)), "MTJ_ERR_VALUE",
                 "a value error in a kernel (integer division by zero or a negative power of an integer)",
                 always=True)
    return outs


def _scalar(irb: ir.IRBuilder, a: Any) -> Tuple[str, ir.Value]:
    """How a number input of a group is passed to its kernel."""
    if isinstance(a, bool):
        return "bool", ir.Constant(ir.IntType(1), int(a))
    if isinstance(a, float):
        return "float64", ir.Constant(ir.DoubleType(), a)
    return "int64", value(irb, a)

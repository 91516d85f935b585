"""Loops and size arithmetic for the IR of an exported library.

Sizes are Python ints where the export knows them and i64 IR values where they depend on
the inputs: arithmetic on two ints folds at export time, so a model's fixed sizes become
constants in its code, and two sizes are the same when they are the same int or IR value.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence, Union

from llvmlite import ir

I1, I64 = ir.IntType(1), ir.IntType(64)

Size = Union[int, ir.Value]


def value(irb: ir.IRBuilder, s: Size) -> ir.Value:
    return ir.Constant(I64, s) if isinstance(s, int) else s


def add(irb: ir.IRBuilder, a: Size, b: Size) -> Size:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if isinstance(a, int) and a == 0:
        return b
    if isinstance(b, int) and b == 0:
        return a
    return irb.add(value(irb, a), value(irb, b))


def sub(irb: ir.IRBuilder, a: Size, b: Size) -> Size:
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    if isinstance(b, int) and b == 0:
        return a
    return irb.sub(value(irb, a), value(irb, b))


def mul(irb: ir.IRBuilder, a: Size, b: Size) -> Size:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(b, int) and b == 1:
        return a
    return irb.mul(value(irb, a), value(irb, b))


def div(irb: ir.IRBuilder, a: Size, b: Size) -> Size:
    """Floor division of non-negative sizes."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    if isinstance(b, int) and b == 1:
        return a
    return irb.sdiv(value(irb, a), value(irb, b))


def product(irb: ir.IRBuilder, sizes: Sequence[Size]) -> Size:
    p: Size = 1
    for s in sizes:
        p = mul(irb, p, s)
    return p


def maximum(irb: ir.IRBuilder, a: Size, b: Size) -> Size:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    if a is b:
        return a
    va, vb = value(irb, a), value(irb, b)
    return irb.select(irb.icmp_signed(">", va, vb), va, vb)


def same(a: Size, b: Size) -> bool:
    """Known at export time to be equal."""
    return a is b or (isinstance(a, int) and isinstance(b, int) and a == b)


def eq(irb: ir.IRBuilder, a: Size, b: Size) -> Union[bool, ir.Value]:
    """a == b: a bool when the export knows, else an i1."""
    if same(a, b):
        return True
    if isinstance(a, int) and isinstance(b, int):
        return False
    return irb.icmp_signed("==", value(irb, a), value(irb, b))


def contiguous_strides(irb: ir.IRBuilder, sizes: Sequence[Size]) -> list:
    strides: list = []
    s: Size = 1
    for d in reversed(sizes):
        strides.append(s)
        s = mul(irb, s, d)
    return strides[::-1]


@contextmanager
def for_range(irb: ir.IRBuilder, start: Size, stop: Size, step: int = 1) -> Iterator[ir.Value]:
    """``for i in range(start, stop, step)`` (step > 0); the body is emitted in the with block,
    and the builder is left after the loop."""
    fn = irb.function
    before = irb.block
    head, body, after = fn.append_basic_block("for.head"), fn.append_basic_block("for.body"), \
        fn.append_basic_block("for.end")
    irb.branch(head)
    irb.position_at_end(head)
    i = irb.phi(I64, "i")
    i.add_incoming(value(irb, start), before)
    irb.cbranch(irb.icmp_signed("<", i, value(irb, stop)), body, after)
    irb.position_at_end(body)
    yield i
    nxt = irb.add(i, ir.Constant(I64, step))
    i.add_incoming(nxt, irb.block)
    irb.branch(head)
    irb.position_at_end(after)


@contextmanager
def for_nest(irb: ir.IRBuilder, sizes: Sequence[Size]) -> Iterator[list]:
    """Loops over every index of ``sizes`` (outermost first)."""
    if not sizes:
        yield []
        return
    with for_range(irb, 0, sizes[0]) as i:
        with for_nest(irb, sizes[1:]) as rest:
            yield [i, *rest]

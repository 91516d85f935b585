"""The native entry of a prepared launch: a function CPython calls as a method (its
``METH_FASTCALL`` convention), which does a whole lean call of a fused kernel without Python
code in between::

    PyObject *mtj_kernel(PyArrayObject *state, PyObject *const *args, Py_ssize_t nargs)

``state`` is an int64 array of words that the launcher fills (see :data:`STATE_WORDS`): the
kernel's entry point and the layout row it runs on, the output's dtype and sizes, the
addresses of the CPython and numpy functions called here, and how to make the Tensor that is
returned. One entry, compiled once for every kernel: nothing in its text depends on a kernel
or on this process's addresses, so the disk cache keeps one object file for it.

The entry checks the number of arguments, allocates the output (numpy's
``PyArray_NewFromDescr``), hands the kernel the arguments and the output as the items of a
tuple it reads by address (on the stack here, laid out as a tuple's items are), and returns the
output wrapped in a new object: a copy of the template's slots (made by ``PyType_GenericAlloc``,
which tracks it for the garbage collector) with the array slot set to the output. When the
arguments are not what the kernel checks for (another count, not Tensors, requiring grad,
another layout), it frees the output and returns None (never a kernel's result): the caller
takes its other path.
"""
from __future__ import annotations

from typing import Callable

from llvmlite import ir

from .builder import I8, I32, I64
from .cache import SYMBOL

# Words of the state, in order; then the output's sizes (``ndim`` words), the position among
# the arguments of each of the kernel's inputs (``n_inputs`` words: the arguments are a
# permutation of them), then pairs (offset, object address) for the template's slots that the
# new object copies.
STATE_WORDS = ("kernel", "row", "n_inputs", "new_array", "array_type", "dtype", "ndim", "incref", "decref",
               "alloc", "wrapper_type", "array_slot", "n_slots", "none")
AT = {name: k for k, name in enumerate(STATE_WORDS)}


def build(tuple_items: int, array_data: int) -> str:
    """The entry's LLVM IR for a CPython whose tuples hold their items at byte
    ``tuple_items`` and whose ndarrays their data pointer at byte ``array_data``."""
    assert tuple_items % 8 == 0, "a tuple's items are pointer-aligned"
    i8p = I8.as_pointer()
    module = ir.Module(name="minitorch_jit_call_entry")
    fn = ir.Function(module, ir.FunctionType(i8p, [i8p, i8p.as_pointer(), I64]), SYMBOL)
    state_obj, args, nargs = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))

    def const(v: int) -> ir.Constant:
        return ir.Constant(I64, v)

    data = irb.gep(state_obj, [const(array_data)])
    state = irb.load(irb.bitcast(data, I64.as_pointer().as_pointer()))

    def word(k: ir.Value) -> ir.Value:
        return irb.load(irb.gep(state, [const(k) if isinstance(k, int) else k]))

    def function(name: str, ret: ir.Type, params: list) -> ir.Value:
        return irb.inttoptr(word(AT[name]), ir.FunctionType(ret, params).as_pointer())

    def obj(name: str) -> ir.Value:
        return irb.inttoptr(word(AT[name]), i8p)

    def incref(o: ir.Value) -> None:
        irb.call(function("incref", ir.VoidType(), [i8p]), [o])

    def decref(o: ir.Value) -> None:
        irb.call(function("decref", ir.VoidType(), [i8p]), [o])

    def slot(o: ir.Value, offset: ir.Value) -> ir.Value:
        return irb.bitcast(irb.gep(o, [offset]), i8p.as_pointer())

    miss = fn.append_basic_block("miss")
    fail = fn.append_basic_block("fail")
    counted = fn.append_basic_block("counted")
    n = word(AT["n_inputs"])
    irb.cbranch(irb.icmp_signed("==", nargs, n), counted, miss)

    irb.position_at_end(counted)
    ndim = word(AT["ndim"])
    header = tuple_items // 8
    items = irb.alloca(i8p, size=irb.add(n, const(header + 1)))

    def copy(i: ir.Value) -> None:
        position = word(irb.add(irb.add(const(len(STATE_WORDS)), ndim), i))
        irb.store(irb.load(irb.gep(args, [position])), irb.gep(items, [irb.add(i, const(header))]))
    _repeat(irb, n, copy)
    dtype = obj("dtype")
    incref(dtype)  # PyArray_NewFromDescr steals a reference to its dtype
    new_array = function("new_array", i8p, [i8p, i8p, I32, I64.as_pointer(), I64.as_pointer(), i8p, I32, i8p])
    null = ir.Constant(i8p, None)
    sizes = irb.gep(state, [const(len(STATE_WORDS))])
    no_strides = ir.Constant(I64.as_pointer(), None)  # C order
    out = irb.call(new_array, [obj("array_type"), dtype, irb.trunc(ndim, I32), sizes, no_strides, null,
                               ir.Constant(I32, 0), null])
    allocated = fn.append_basic_block("allocated")
    irb.cbranch(irb.icmp_unsigned("==", irb.ptrtoint(out, I64), const(0)), fail, allocated)

    irb.position_at_end(allocated)
    irb.store(out, irb.gep(items, [irb.add(n, const(header))]))
    kernel = function("kernel", I32, [i8p, I64.as_pointer()])
    status = irb.call(kernel, [irb.bitcast(items, i8p), irb.inttoptr(word(AT["row"]), I64.as_pointer())])
    computed, differs = fn.append_basic_block("computed"), fn.append_basic_block("differs")
    irb.cbranch(irb.icmp_signed("==", status, ir.Constant(I32, 0)), computed, differs)

    irb.position_at_end(differs)
    decref(out)
    irb.branch(miss)

    irb.position_at_end(computed)
    wrapper = irb.call(function("alloc", i8p, [i8p, I64]), [obj("wrapper_type"), const(0)])
    made, unmade = fn.append_basic_block("made"), fn.append_basic_block("unmade")
    irb.cbranch(irb.icmp_unsigned("==", irb.ptrtoint(wrapper, I64), const(0)), unmade, made)
    irb.position_at_end(unmade)
    decref(out)
    irb.branch(fail)

    irb.position_at_end(made)
    irb.store(out, slot(wrapper, word(AT["array_slot"])))  # the new object owns the output's reference
    n_slots = word(AT["n_slots"])
    first = irb.add(irb.add(const(len(STATE_WORDS)), ndim), n)

    def fill(s: ir.Value) -> None:
        pair = irb.add(first, irb.add(s, s))
        value = irb.inttoptr(word(irb.add(pair, const(1))), i8p)
        incref(value)
        irb.store(value, slot(wrapper, word(pair)))
    _repeat(irb, n_slots, fill)
    irb.ret(wrapper)

    irb.position_at_end(miss)
    none = obj("none")
    incref(none)
    irb.ret(none)

    irb.position_at_end(fail)  # an allocation failed: its exception is set
    irb.ret(null)
    return str(module)


def _repeat(irb: ir.IRBuilder, n: ir.Value, body: Callable[[ir.Value], None]) -> None:
    """Emit ``body(i)`` for i in [0, n) (an i64 count), leaving the builder after the loop."""
    fn = irb.function
    loop, done = fn.append_basic_block("loop"), fn.append_basic_block("loop_done")
    before = irb.block
    irb.cbranch(irb.icmp_signed(">", n, ir.Constant(I64, 0)), loop, done)
    irb.position_at_end(loop)
    i = irb.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), before)
    body(i)
    nxt = irb.add(i, ir.Constant(I64, 1))
    i.add_incoming(nxt, irb.block)
    irb.cbranch(irb.icmp_signed("<", nxt, n), loop, done)
    irb.position_at_end(done)

"""The native entry of a prepared launch: a function CPython calls as a method (its
``METH_FASTCALL`` convention), which does a whole lean call of a fused kernel without Python
code in between::

    PyObject *mtj_kernel(PyArrayObject *state, PyObject *const *args, Py_ssize_t nargs)

``state`` is an int64 array of words that the launcher fills (see :data:`STATE_WORDS`): the
kernel's entry point and the layout row it runs on, the outputs' dtypes and sizes, the
addresses of the CPython and numpy functions called here, and how to make the Tensors that are
returned. One entry, compiled once for every kernel: nothing in its text depends on a kernel
or on this process's addresses, so the disk cache keeps one object file for it.

The entry checks the number of arguments, allocates the outputs (numpy's
``PyArray_NewFromDescr``), hands the kernel the arguments and the outputs as the items of a
tuple it reads by address (on the stack here, laid out as a tuple's items are), and returns
each output wrapped in a new object (a tuple of them for several): a copy of the template's
slots (made by ``PyType_GenericAlloc``, which tracks it for the garbage collector) with the
array slot set to the output. When the arguments are not what the kernel checks for (another
count, not Tensors, requiring grad, another layout), it frees the outputs and returns None
(never a kernel's result): the caller takes its other path. When an allocation fails, it
frees what it made and returns NULL with the allocator's exception set.
"""
from __future__ import annotations

from typing import Callable, List

from llvmlite import ir

from .builder import I8, I32, I64
from .cache import SYMBOL

# Words of the state, in order; then the position among the arguments of each of the kernel's
# inputs (``n_inputs`` words: the arguments are a permutation of them), a record of
# OUTPUT_WORDS for each output, pairs (offset, object address) for the template's slots that a
# new object copies, and the outputs' sizes (where their records say).
STATE_WORDS = ("kernel", "row", "n_inputs", "n_outputs", "new_array", "array_type", "new_tuple", "incref", "decref",
               "alloc", "wrapper_type", "array_slot", "n_slots", "none")
OUTPUT_WORDS = ("dtype", "ndim", "sizes")  # sizes: the word where the output's sizes start
AT = {name: k for k, name in enumerate(STATE_WORDS)}

I8P = I8.as_pointer()
STATE = I64.as_pointer()


class _Emit:
    """Reading the state and calling the functions it holds, in one function's builder."""

    def __init__(self, irb: ir.IRBuilder, state: ir.Value):
        self.irb, self.state = irb, state

    def word(self, k: object) -> ir.Value:
        at = ir.Constant(I64, k) if isinstance(k, int) else k
        return self.irb.load(self.irb.gep(self.state, [at]))

    def function(self, name: str, ret: ir.Type, params: List[ir.Type]) -> ir.Value:
        return self.irb.inttoptr(self.word(AT[name]), ir.FunctionType(ret, params).as_pointer())

    def obj(self, name: str) -> ir.Value:
        return self.irb.inttoptr(self.word(AT[name]), I8P)

    def incref(self, o: ir.Value) -> None:
        self.irb.call(self.function("incref", ir.VoidType(), [I8P]), [o])

    def decref(self, o: ir.Value) -> None:
        self.irb.call(self.function("decref", ir.VoidType(), [I8P]), [o])

    def is_null(self, p: ir.Value) -> ir.Value:
        return self.irb.icmp_unsigned("==", self.irb.ptrtoint(p, I64), ir.Constant(I64, 0))

    def add(self, *terms: object) -> ir.Value:
        total = None
        for t in terms:
            v = ir.Constant(I64, t) if isinstance(t, int) else t
            total = v if total is None else self.irb.add(total, v)
        return total


def _const(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def _wrap_function(module: ir.Module) -> ir.Function:
    """``wrap(state, array)``: a new object owning ``array`` (NULL if it cannot be allocated;
    the array is then still the caller's)."""
    fn = ir.Function(module, ir.FunctionType(I8P, [STATE, I8P]), "mtj_wrap")
    fn.linkage = "internal"
    state, out = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    e = _Emit(irb, state)
    wrapper = irb.call(e.function("alloc", I8P, [I8P, I64]), [e.obj("wrapper_type"), _const(0)])
    made, unmade = fn.append_basic_block("made"), fn.append_basic_block("unmade")
    irb.cbranch(e.is_null(wrapper), unmade, made)
    irb.position_at_end(unmade)
    irb.ret(wrapper)
    irb.position_at_end(made)

    def slot(offset: ir.Value) -> ir.Value:
        return irb.bitcast(irb.gep(wrapper, [offset]), I8P.as_pointer())
    irb.store(out, slot(e.word(AT["array_slot"])))
    first = e.add(len(STATE_WORDS), e.word(AT["n_inputs"]), irb.mul(e.word(AT["n_outputs"]), _const(len(OUTPUT_WORDS))))

    def fill(s: ir.Value) -> None:
        pair = irb.add(first, irb.add(s, s))
        value = irb.inttoptr(e.word(irb.add(pair, _const(1))), I8P)
        e.incref(value)
        irb.store(value, slot(e.word(pair)))
    _repeat(irb, e.word(AT["n_slots"]), fill)
    irb.ret(wrapper)
    return fn


def _release_function(module: ir.Module) -> ir.Function:
    """``release(state, arrays, start, end)``: drop the references to arrays[start:end]."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [STATE, I8P.as_pointer(), I64, I64]), "mtj_release")
    fn.linkage = "internal"
    state, arrays, start, end = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    e = _Emit(irb, state)
    _repeat(irb, irb.sub(end, start), lambda j: e.decref(irb.load(irb.gep(arrays, [irb.add(start, j)]))))
    irb.ret_void()
    return fn


def build(tuple_items: int, array_data: int) -> str:
    """The entry's LLVM IR for a CPython whose tuples hold their items at byte
    ``tuple_items`` and whose ndarrays their data pointer at byte ``array_data``."""
    assert tuple_items % 8 == 0, "a tuple's items are pointer-aligned"
    module = ir.Module(name="minitorch_jit_call_entry")
    wrap, release = _wrap_function(module), _release_function(module)
    fn = ir.Function(module, ir.FunctionType(I8P, [I8P, I8P.as_pointer(), I64]), SYMBOL)
    state_obj, args, nargs = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    state = irb.load(irb.bitcast(irb.gep(state_obj, [_const(array_data)]), STATE.as_pointer()))
    e = _Emit(irb, state)
    miss, fail = fn.append_basic_block("miss"), fn.append_basic_block("fail")
    counted = fn.append_basic_block("counted")
    n, k = e.word(AT["n_inputs"]), e.word(AT["n_outputs"])
    irb.cbranch(irb.icmp_signed("==", nargs, n), counted, miss)

    irb.position_at_end(counted)
    header = tuple_items // 8
    items = irb.alloca(I8P, size=e.add(n, k, header))
    outs = irb.gep(items, [e.add(n, header)])

    def copy(i: ir.Value) -> None:
        position = e.word(e.add(len(STATE_WORDS), i))
        irb.store(irb.load(irb.gep(args, [position])), irb.gep(items, [e.add(i, header)]))
    _repeat(irb, n, copy)

    made = irb.alloca(I64)  # outputs allocated so far
    irb.store(_const(0), made)
    allocation_failed = fn.append_basic_block("allocation_failed")
    new_array = e.function("new_array", I8P, [I8P, I8P, I32, STATE, STATE, I8P, I32, I8P])
    null = ir.Constant(I8P, None)

    def allocate(j: ir.Value) -> None:
        record = e.add(len(STATE_WORDS), n, irb.mul(j, _const(len(OUTPUT_WORDS))))
        dtype = irb.inttoptr(e.word(record), I8P)
        e.incref(dtype)  # PyArray_NewFromDescr steals a reference to its dtype
        sizes = irb.gep(state, [e.word(e.add(record, 2))])
        out = irb.call(new_array, [e.obj("array_type"), dtype, irb.trunc(e.word(e.add(record, 1)), I32), sizes,
                                   ir.Constant(STATE, None), null, ir.Constant(I32, 0), null])  # C order
        allocated = fn.append_basic_block("allocated")
        irb.cbranch(e.is_null(out), allocation_failed, allocated)
        irb.position_at_end(allocated)
        irb.store(out, irb.gep(outs, [j]))
        irb.store(e.add(j, 1), made)
    _repeat(irb, k, allocate)

    kernel = e.function("kernel", I32, [I8P, STATE])
    status = irb.call(kernel, [irb.bitcast(items, I8P), irb.inttoptr(e.word(AT["row"]), STATE)])
    computed, differs = fn.append_basic_block("computed"), fn.append_basic_block("differs")
    irb.cbranch(irb.icmp_signed("==", status, ir.Constant(I32, 0)), computed, differs)

    irb.position_at_end(differs)
    irb.call(release, [state, outs, _const(0), k])
    irb.branch(miss)

    irb.position_at_end(allocation_failed)
    irb.call(release, [state, outs, _const(0), irb.load(made)])
    irb.branch(fail)

    irb.position_at_end(computed)
    one, several = fn.append_basic_block("one"), fn.append_basic_block("several")
    irb.cbranch(irb.icmp_signed("==", k, _const(1)), one, several)

    def made_or_release(p: ir.Value) -> None:
        """Go on if ``p`` was allocated; if not, drop every output and fail."""
        failed, made = fn.append_basic_block("failed"), fn.append_basic_block("made")
        irb.cbranch(e.is_null(p), failed, made)
        irb.position_at_end(failed)
        irb.call(release, [state, outs, _const(0), k])
        irb.branch(fail)
        irb.position_at_end(made)

    irb.position_at_end(one)
    wrapped = irb.call(wrap, [state, irb.load(outs)])
    made_or_release(wrapped)
    irb.ret(wrapped)

    irb.position_at_end(several)
    result = irb.call(e.function("new_tuple", I8P, [I64]), [k])
    made_or_release(result)
    at = irb.alloca(I64)  # the output being wrapped
    wrap_failed = fn.append_basic_block("wrap_failed")

    def wrap_into_result(j: ir.Value) -> None:
        irb.store(j, at)
        w = irb.call(wrap, [state, irb.load(irb.gep(outs, [j]))])
        stored = fn.append_basic_block("stored")
        irb.cbranch(e.is_null(w), wrap_failed, stored)
        irb.position_at_end(stored)
        item = irb.gep(result, [e.add(irb.mul(j, _const(8)), tuple_items)])
        irb.store(w, irb.bitcast(item, I8P.as_pointer()))
    _repeat(irb, k, wrap_into_result)
    irb.ret(result)

    irb.position_at_end(wrap_failed)
    # the tuple's items so far are the objects that own the outputs before this one
    e.decref(result)
    irb.call(release, [state, outs, irb.load(at), k])
    irb.branch(fail)

    irb.position_at_end(miss)
    none = e.obj("none")
    e.incref(none)
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

"""The lean call path: a launch's kernel checks natively that arrays have the layout it was
prepared for (``attempt`` gives MISS otherwise), and the executor tries the previous call's
launch first, so alternating layouts must always compute what eager mode computes."""
import gc
import sys
import types

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.codegen.launch import MISS, FusedKernel
from minitorch_jit.ir.parser import parse_graph

GROUP = """graph(%a : Float(*, *), %b : Float(*, *)):
  %1 : Float(*, *) = aten::mul(%a, %b)
  %2 : Float(*, *) = aten::sub(%1, %a)
  return (%2)
"""


def test_a_checked_launch_misses_on_any_other_layout():
    k = FusedKernel(parse_graph(GROUP))
    a, b = np.random.rand(2, 6, 8).astype(np.float32)
    launch = k.launch((a, b))
    np.testing.assert_array_equal(launch.attempt(a, b), a * b - a)
    np.testing.assert_array_equal(launch.attempt(b.copy(), a.copy()), b * a - b)  # other arrays, same layout
    wide = np.random.rand(6, 16).astype(np.float32)
    others = {
        "shape": (np.random.rand(6, 9).astype(np.float32), b[:, :1].repeat(9, 1)),
        "strides": (wide[:, ::2], b),
        "transposed": (np.asfortranarray(a), b),
        "rank": (a.reshape(6, 8, 1), b.reshape(6, 8, 1)),
        "dtype": (a.astype(np.float64), b),
        "second input": (a, b.reshape(8, 6).T),
        "subclass": (np.ma.masked_array(a), b),
    }
    for name, args in others.items():
        assert launch.attempt(*args) is MISS, name


def test_a_non_array_argument_is_a_miss_not_a_crash():
    k = FusedKernel(parse_graph(GROUP))
    a, b = np.random.rand(2, 6, 8).astype(np.float32)
    launch = k.launch((a, b))
    assert launch.attempt([1.0] * 48, b) is MISS
    assert launch.attempt(None, b) is MISS


def f(x, y):
    return torch.clamp(x * y - x, min=0.0) + y


@pytest.mark.parametrize("grad", [False, True])
def test_alternating_layouts_through_the_fast_path_compute_what_eager_does(grad):
    fn = torch.script(f)
    base = torch.randn(6, 8)
    inputs = [(torch.randn(6, 8), torch.randn(6, 8)), (base.t(), torch.randn(8, 6)), (torch.randn(3, 8), torch.randn(8)),
              (torch.randn(6, 8).double(), torch.randn(6, 8).double()), (base[:, ::2], torch.randn(6, 4)),
              (torch.randn(6, 8), torch.randn(6, 8))]
    with torch.set_grad_enabled(grad):
        for _ in range(3):
            for x, y in inputs:
                np.testing.assert_array_equal(fn(x, y).numpy(), f(x, y).numpy())
    assert fn.executor.fast is not None


def test_the_lean_path_steps_aside_for_autograd_tracing_and_non_tensors():
    fn = torch.script(f)
    x, y = torch.randn(4, 5), torch.randn(4, 5)
    fn(x, y)
    fn(x, y)
    assert fn.executor.fast is not None
    w = torch.randn(4, 5, requires_grad=True)
    out = fn(w, y)
    assert out.requires_grad and out.grad_fn is not None  # recorded on the tape, not the kernel
    out.sum().backward()
    assert w.grad is not None and w.grad.shape == (4, 5)
    traced = torch.jit.trace(lambda a, b: fn(a, b) * 2, (x, y))
    np.testing.assert_array_equal(traced(x, y).numpy(), (f(x, y) * 2).numpy())
    with pytest.raises(Exception, match="Tensor"):
        fn(1.5, y)


def test_a_launch_takes_the_tensors_themselves_and_misses_on_anything_else():
    k = FusedKernel(parse_graph(GROUP))
    a, b = torch.randn(6, 8), torch.randn(6, 8)
    launch = k.launch((a.numpy(), b.numpy()))
    assert launch.wrapped is not None
    for grad in (False, True):
        np.testing.assert_array_equal(launch.attempt_wrapped((a, b), grad), (a * b - a).numpy())
    w = torch.randn(6, 8, requires_grad=True)
    np.testing.assert_array_equal(launch.attempt_wrapped((w, b), False), (w.detach() * b - w.detach()).numpy())
    misses = {"requires grad in grad mode": ((w, b), True), "an array": ((a.numpy(), b), False),
              "a list": (([1.0] * 48, b), False), "None": ((a, None), True),
              "another layout": ((a.t(), torch.randn(8, 6)), False), "another dtype": ((a.double(), b), False)}
    for name, (args, grad) in misses.items():
        assert launch.attempt_wrapped(args, grad) is MISS, name


def floor_div(x, y):
    return (x * 3) // (y + 1)


def test_a_value_error_on_the_lean_path_is_eagers_error():
    fn = torch.script(floor_div)
    x, y = torch.tensor([4, 5, 6]), torch.tensor([1, 2, 3])
    for _ in range(2):
        np.testing.assert_array_equal(fn(x, y).numpy(), floor_div(x, y).numpy())
    assert fn.executor.fast is not None and fn.executor.fast.wrapped is not None
    zero = torch.tensor([1, -1, 3])
    with pytest.raises(Exception) as eager:
        floor_div(x, zero)
    with pytest.raises(type(eager.value), match=str(eager.value)):
        fn(x, zero)


def test_the_lean_path_splits_big_calls_across_threads(monkeypatch):
    from minitorch_jit.codegen import threads
    fn = torch.script(f)
    x, y = torch.randn(300, 200), torch.randn(300, 200)
    expected = f(x, y).numpy()
    np.testing.assert_array_equal(fn(x, y).numpy(), expected)  # timed on one thread
    launch = fn.executor.fast
    assert launch.seconds > 0 and launch.wrapped is not None
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 3)
    for grad in (True, False):
        with torch.set_grad_enabled(grad):
            np.testing.assert_array_equal(fn(x, y).numpy(), expected)
    np.testing.assert_array_equal(launch.attempt(x.numpy(), y.numpy()), expected)
    assert sorted(launch.splits) == [3]
    assert launch.attempt_wrapped((x.t(), y), True) is MISS


def iou_like(x1, w1, x2, w2):
    # its fusion group takes the arguments in another order than the function (x1, x2, w1, w2)
    xi = torch.max(x1, x2)
    wi = torch.clamp(torch.min(x1 + w1, x2 + w2) - xi, min=0)
    return wi / torch.clamp(w1 + w2 - wi, min=1e-5)


def scripted_iou_like():
    """The scripted function (compiled now: script keeps one per function object), its
    arguments, and the native entry its second call made."""
    fn = torch.script(types.FunctionType(iou_like.__code__, iou_like.__globals__))
    args = [torch.rand(10) for _ in range(4)]
    fn(*args)
    fn(*args)
    return fn, args, fn.executor.fast.native


def test_the_native_entry_makes_a_fresh_tensor_and_misses_on_anything_else():
    fn, args, native = scripted_iou_like()
    assert native is not None and sorted(fn.executor.fast.tensor_inputs) == [0, 1, 2, 3]
    expected = iou_like(*args).numpy()
    first, second = native(*args), native(*args)
    for out in (first, second):
        assert type(out) is torch.Tensor and not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), expected)
        refs = sys.getrefcount(out._a)  # (not in the assert: pytest's rewriting keeps its operands)
        assert refs == 2  # the Tensor's reference (and getrefcount's argument) only
    assert not np.shares_memory(first.numpy(), second.numpy())
    first.add_(1)  # the new Tensors work as any other: in place, views, autograd state
    assert first._version == 1 and second.view(2, 5).shape == (2, 5)
    w = torch.rand(10, requires_grad=True)
    p = torch.nn.Parameter(torch.rand(10))
    misses = {"too few": args[:3], "too many": args + [args[0]], "an array": [args[0].numpy()] + args[1:],
              "None": [None] + args[1:], "a float": [1.5] + args[1:], "requires grad": [w] + args[1:],
              "a subclass": [p] + args[1:], "another shape": [torch.rand(11) for _ in range(4)],
              "another dtype": [args[0].double()] + args[1:], "strided": [torch.rand(20)[::2]] + args[1:]}
    for name, bad in misses.items():
        assert native(*bad) is None, name
    # the same calls through the function: each computes what eager mode does
    with torch.no_grad():
        out = fn(w, *args[1:])
        assert not out.requires_grad
        np.testing.assert_allclose(out.numpy(), iou_like(w, *args[1:]).numpy())
    out = fn(w, *args[1:])
    out.sum().backward()
    assert out.grad_fn is not None and w.grad is not None
    for name in ("another shape", "another dtype", "strided"):
        np.testing.assert_allclose(fn(*misses[name]).numpy(), iou_like(*misses[name]).numpy(), err_msg=name)
    with pytest.raises(Exception, match="Tensor"):
        fn(1.5, *args[1:])


def test_the_native_entry_holds_one_reference_per_slot_of_each_tensor_it_makes():
    _, args, native = scripted_iou_like()
    gc.collect()
    gc.disable()  # a collection meanwhile would free other holders of False and None
    try:
        before = sys.getrefcount(False)
        outs = [native(*args) for _ in range(1000)]
        held = sys.getrefcount(False) - before  # (counted outside asserts: pytest's rewriting keeps operands)
        del outs
        left = sys.getrefcount(False) - before
        before = sys.getrefcount(None)
        for _ in range(1000):
            native(*args[:3])  # a miss returns None, a new reference to it
        drift = sys.getrefcount(None) - before
    finally:
        gc.enable()
    # each Tensor's _requires_grad, given back when it goes; a miss's None, dropped (a reference
    # too many or too few per call would be off by 1000: other objects come and go meanwhile)
    assert abs(held - 1000) < 50 and abs(left) < 50 and abs(drift) < 50


def test_a_wrapper_whose_constructor_fills_a_slot_with_a_changing_object_gets_no_native_entry():
    from minitorch_jit.codegen.native_call import _template_slots

    class Boxed:
        __slots__ = ("a", "log")

    template = Boxed()
    template.a, template.log = np.empty(0), []
    with pytest.raises(RuntimeError, match="not None, False or True"):
        _template_slots(Boxed, 16, template)  # `a`, the first slot, after the object's header


class Scaled(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = torch.nn.Parameter(torch.rand(n))

    def forward(self, x):
        return torch.exp(self.w) * 2 + x  # the group takes the parameter first


@pytest.mark.parametrize("n", [10, 100_000])  # an output the native entry makes, and one that may split
def test_a_method_whose_kernel_takes_its_attributes_runs_them_on_every_call(n):
    module = Scaled(n)
    scripted = torch.jit.script(module)
    x = torch.randn(n)
    with torch.no_grad():
        expected = module(x).numpy()
        for _ in range(3):
            np.testing.assert_allclose(scripted(x).numpy(), expected, rtol=1e-5, atol=1e-5)  # exp within its ulps
        module.w.add_(1)  # read at each call
        np.testing.assert_allclose(scripted(x).numpy(), module(x).numpy(), rtol=1e-5, atol=1e-5)  # exp within its ulps
    assert scripted.forward.executor.fast is not None


def test_without_native_entries_the_lean_call_computes_the_same(monkeypatch, caplog):
    from minitorch_jit.codegen import native_call

    def unexpected():
        raise RuntimeError("numpy's C API table does not hold ndarray's type where expected")
    monkeypatch.setattr(native_call, "_process", None)
    monkeypatch.setattr(native_call, "_pending", unexpected)
    with caplog.at_level("INFO", logger="minitorch_jit"):
        fn, args, native = scripted_iou_like()
    assert native is None and "called through Python, not natively" in caplog.text
    for _ in range(2):
        np.testing.assert_array_equal(fn(*args).numpy(), iou_like(*args).numpy())


def mixed(x, y):
    return (x * y + x) > y


def blend(x, y):
    return x * 0.25 + y * y


@pytest.mark.parametrize("fn, x, y, native", [
    (blend, torch.randn(3, 4, 5).double(), torch.randn(3, 4, 5).double(), True),
    (blend, torch.randn(()), torch.randn(()), True),                          # 0-d: an output of rank 0
    (blend, torch.randn(4, 1), torch.randn(5), True),                         # broadcast to (4, 5)
    (mixed, torch.tensor([[1, -2, 3]]), torch.tensor([[0, 5, -7]]), True),    # int64 in, bool out
    (blend, torch.randn(6, 8).t(), torch.randn(8, 6), True),                  # layouts disagree: C order
    (blend, torch.randn(6, 8).t(), torch.randn(6, 8).t(), False),             # an output laid out as both
], ids=["float64 3-d", "0-d", "broadcast", "int64 to bool", "one transposed", "both transposed"])
def test_calls_through_the_native_entry_compute_what_eager_does(fn, x, y, native):
    scripted = torch.script(types.FunctionType(fn.__code__, fn.__globals__))
    expected = fn(x, y)
    for _ in range(3):
        out = scripted(x, y)
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert out.stride() == expected.stride()
    assert (scripted.executor.fast.native is not None) == native


def two_outputs(x, y):
    a = x * y + 1.0
    return a, (a - y) * 2.0


def test_a_function_returning_a_fused_kernels_outputs_as_a_tuple_is_one_native_call():
    fn = torch.script(two_outputs)
    x, y = torch.rand(3, 4), torch.rand(3, 4)
    expected = two_outputs(x, y)
    for _ in range(3):
        out = fn(x, y)
        assert type(out) is tuple and len(out) == 2 and all(type(t) is torch.Tensor for t in out)
        for got, want in zip(out, expected):
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    native = fn.executor.fast.native
    assert native is not None
    first, second = native(x, y)
    assert not np.shares_memory(first.numpy(), second.numpy())
    refs = sys.getrefcount(first._a), sys.getrefcount(second._a)
    assert refs == (2, 2)
    assert native(x, torch.rand(3, 5)) is None and native(x) is None
    gc.collect()
    gc.disable()
    try:
        before = sys.getrefcount(False)
        outs = [native(x, y) for _ in range(500)]
        held = sys.getrefcount(False) - before
        del outs
        left = sys.getrefcount(False) - before
    finally:
        gc.enable()
    assert abs(held - 1000) < 50 and abs(left) < 50  # two Tensors a call, given back with their tuple
    w = torch.rand(3, 4, requires_grad=True)
    a, b = fn(w, y)
    (a.sum() + b.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), (y * 3).numpy(), rtol=1e-6)  # d/dw of wy+1 + 2(wy+1-y)


def broadcast_outputs(x, y):
    a = x + 1.0
    return a, a * y


def test_big_work_stays_off_the_native_entry_even_on_one_thread():
    # `a` (300, 1) is written by each of the 200 iterations of its row: the launch never
    # splits, and its 60000 elements are too many to run holding the GIL
    fn = torch.script(broadcast_outputs)
    x, y = torch.rand(300, 1), torch.rand(300, 200)
    for _ in range(3):
        a, b = fn(x, y)
        np.testing.assert_array_equal(b.numpy(), ((x + 1.0) * y).numpy())
    launch = fn.executor.fast
    assert launch.splits is None and launch.native is None
    small_x, small_y = torch.rand(3, 1), torch.rand(3, 2)
    for _ in range(3):
        fn(small_x, small_y)
    assert fn.executor.fast.native is not None


def test_a_launch_given_fewer_or_more_arrays_than_its_kernel_reads_misses_or_refuses():
    """The kernel reads its tuple's items by address: a short tuple must never reach it."""
    fn = torch.script(f)
    x, y = torch.randn(300, 200), torch.randn(300, 200)
    fn(x, y)
    fn(x, y)
    launch = fn.executor.fast
    assert launch.attempt(x.numpy()) is MISS
    assert launch.attempt(x.numpy(), y.numpy(), y.numpy()) is MISS
    assert launch.attempt_wrapped((x,), False) is MISS
    with pytest.raises(RuntimeError, match="internal error: a fused kernel of 2 tensors called with 1"):
        launch(x.numpy())


def test_positional_calls_with_defaults_bind_without_inspect_and_errors_stay_the_same(monkeypatch):
    """bind() took tens of microseconds of a small call (the bench's layer norm, whose eps has
    a default); positional arguments and the defaults of the rest need no binding."""
    def scale(x, y, k: float = 2.0, shift: int = 1):
        return x * k + y + shift

    fn = torch.script(scale)
    x, y = torch.randn(8), torch.randn(8)
    binds = []
    real_bind = fn.signature.bind
    monkeypatch.setattr(type(fn.signature), "bind", lambda self, *a, **k: binds.append(a) or real_bind(*a, **k))
    np.testing.assert_allclose(fn(x, y).numpy(), scale(x, y).numpy(), rtol=1e-6)
    np.testing.assert_allclose(fn(x, y, 3.0).numpy(), scale(x, y, 3.0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(fn(x, y, 3.0, 5).numpy(), scale(x, y, 3.0, 5).numpy(), rtol=1e-6)
    assert binds == []
    np.testing.assert_allclose(fn(x, y, shift=5).numpy(), scale(x, y, shift=5).numpy(), rtol=1e-6)
    assert len(binds) == 1  # keywords bind through the signature
    with pytest.raises(Exception, match="is missing value for argument 'y'"):
        fn(x)
    with pytest.raises(Exception, match="expected at most 4 argument"):
        fn(x, y, 1.0, 2, 3)
    with pytest.raises(Exception, match="Expected a value of type 'float' for argument 'k'"):
        fn(x, y, "no")

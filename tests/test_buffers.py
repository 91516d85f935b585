"""Big kernel outputs reuse released buffers (codegen/buffers.py), and never memory that an
array still refers to."""
import gc

import numpy as np
import pytest

from minitorch_jit.codegen import buffers
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.ir.parser import parse_graph

MUL_ADD = """graph(%a : Float(*, *), %b : Float(*, *)):
  %c : float = prim::Constant[value=3.0]()
  %1 : Float(*, *) = aten::mul(%b, %c)
  %2 : Float(*, *) = aten::add(%a, %1)
  return (%2)
"""


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setattr(buffers, "POOL_MIN", 4096)
    buffers.clear()
    yield
    buffers.clear()


def test_a_released_output_is_reused_and_a_held_one_is_not(pool):
    k = FusedKernel(parse_graph(MUL_ADD))
    a, b = np.random.rand(2, 64, 64).astype(np.float32)
    want = a + b * np.float32(3.0)
    first = k(a, b)
    address = first.ctypes.data
    second = k(a, b)                      # `first` is held: other memory
    assert not np.shares_memory(first, second)
    del first
    third = k(a, b)                       # `first`'s buffer is free again
    assert third.ctypes.data == address
    for out in (second, third):
        np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("keep", [lambda y: y[1:], lambda y: y.T, lambda y: y.reshape(-1), lambda y: y[::2, 3],
                                  lambda y: memoryview(y), lambda y: [y]])
def test_memory_a_view_still_refers_to_is_never_handed_out(pool, keep):
    k = FusedKernel(parse_graph(MUL_ADD))
    a, b = np.random.rand(2, 64, 64).astype(np.float32)
    y = k(a, b)
    kept = keep(y)
    snapshot = np.array(kept[0] if isinstance(kept, list) else kept, copy=True)
    del y
    gc.collect()
    outs = [k(b, a) for _ in range(2 * buffers.PER_SIZE)]  # more calls than the pool keeps buffers
    view = np.asarray(kept[0] if isinstance(kept, list) else kept)
    assert not any(np.shares_memory(view, o) for o in outs)
    np.testing.assert_array_equal(view, snapshot)


def test_the_pool_keeps_a_bounded_number_of_buffers(pool, monkeypatch):
    monkeypatch.setattr(buffers, "POOL_MAX", 3 * 8192)
    held = [buffers.empty((1024,), np.dtype(np.float64), 8192) for _ in range(3)]
    assert len(buffers._pool[8192]) == buffers.PER_SIZE   # the third came from np.empty
    assert not any(np.shares_memory(held[2], kept) for kept in buffers._pool[8192])
    buffers.empty((4096,), np.dtype(np.float32), 16384)   # evicts the least recently used size
    assert list(buffers._pool) == [16384] and buffers._kept == 16384
    assert all(h.shape == (1024,) for h in held)


def test_outputs_in_kept_buffers_start_at_a_cache_line(pool):
    """Whole 64-byte lines for the row kernels' non-temporal stores (the C library's big
    blocks start 16 bytes into a page)."""
    for nbytes in (4096, 4100, 65536):
        out = buffers.empty((nbytes // 4,), np.dtype(np.float32), nbytes // 4 * 4)
        assert out.ctypes.data % buffers.ALIGN == 0 and out.nbytes == nbytes // 4 * 4

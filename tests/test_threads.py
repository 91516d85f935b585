"""The thread budget (torch.set_num_threads), the cost model that decides when work splits,
and matrix products split on the pool (codegen/threads.py)."""
import threading
import time

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.codegen import launch as launch_module
from minitorch_jit.codegen import row_launch, threads


@pytest.fixture
def budget():
    saved = threads.get_num_threads()
    yield
    threads.set_num_threads(saved)


def test_set_and_get_num_threads(budget):
    torch.set_num_threads(1)
    assert torch.get_num_threads() == 1
    torch.set_num_threads(3)
    assert torch.get_num_threads() == 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RuntimeError, match="positive integer"):
            torch.set_num_threads(bad)


def test_work_splits_only_when_it_saves_more_than_the_measured_overhead(budget, monkeypatch):
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "_overhead", threads.Overhead(30e-6))
    monkeypatch.setattr(threads, "_last_parallel", time.perf_counter())
    assert threads.threads_for(1e-3) == 2
    assert threads.threads_for(50e-6) == 1       # saves 25 us, less than PAYBACK times the 30 us round trip
    torch.set_num_threads(1)
    assert threads.threads_for(1.0) == 1


def test_a_loaded_pool_keeps_work_on_the_caller_but_retries_now_and_then(budget, monkeypatch):
    torch.set_num_threads(2)
    loaded = threads.Overhead(30e-6)
    for _ in range(3):
        loaded.observe(5e-3)  # workers that finished late: a busy machine
    monkeypatch.setattr(threads, "_overhead", loaded)
    monkeypatch.setattr(threads, "_last_parallel", time.perf_counter())
    assert threads.threads_for(1e-3) == 1
    monkeypatch.setattr(threads, "_retry_after", threads.RETRY_SECONDS)
    monkeypatch.setattr(threads, "_last_parallel", time.perf_counter() - 2 * threads.RETRY_SECONDS)
    assert threads.threads_for(20e-6) == 1  # would not split even on an idle pool
    assert threads.threads_for(1e-3) == 2   # a retry
    assert threads.threads_for(1e-3) == 1   # not again at once
    assert threads._retry_after == 2 * threads.RETRY_SECONDS  # and later each time it stays busy


def test_one_late_run_does_not_keep_work_on_one_thread_but_a_lasting_load_does():
    # a worker that lost its core for one time slice finished 15 ms late; the median of the
    # last runs ignores it (the mean of the runs kept a quiet machine's kernels on one thread
    # for seconds: a bench of numba's prange against script found it)
    o = threads.Overhead(5e-6)
    o.observe(15e-3)
    assert o.estimate == 5e-6
    o.observe(15e-3)
    o.observe(9e-3)
    assert o.estimate == 9e-3
    for _ in range(3):
        o.observe(4e-6)  # the load went
    assert o.estimate == 4e-6


def test_a_retry_that_pays_is_followed_by_another_until_the_estimate_recovers(budget, monkeypatch):
    torch.set_num_threads(2)
    loaded = threads.Overhead(30e-6)
    for _ in range(3):
        loaded.observe(5e-3)
    monkeypatch.setattr(threads, "_overhead", loaded)
    monkeypatch.setattr(threads, "_retry_after", threads.RETRY_SECONDS)
    monkeypatch.setattr(threads, "_last_parallel", time.perf_counter() - 2 * threads.RETRY_SECONDS)
    decisions = []
    for _ in range(4):
        n = threads.threads_for(1e-3)
        decisions.append(n)
        if n == 2:
            threads._observe(loaded, 0.52e-3, 1e-3, 2)  # a quiet machine's run: 20 us late
    assert decisions == [2, 2, 2, 2]
    assert loaded.estimate == pytest.approx(20e-6)
    for _ in range(3):
        threads._observe(loaded, 5e-3, 1e-3, 2)  # the load is back: runs that did not pay
    assert threads.threads_for(1e-3) == 2  # one more try (the last that paid allowed it)
    threads._observe(loaded, 5e-3, 1e-3, 2)
    assert threads.threads_for(1e-3) == 1  # then not again at once


def test_a_parallel_run_measures_how_much_longer_than_a_perfect_split_it_took(budget, monkeypatch):
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "_overhead", threads.Overhead(0.0))
    ran = []
    started = threading.Event()
    # the caller takes the first task, which lasts until a worker has taken the second
    tasks = [lambda: (started.wait(5), ran.append("caller")),
             lambda: (started.set(), time.sleep(0.02), ran.append(threading.current_thread().name))]
    threads.run(tasks, single_seconds=0.02)  # a perfect split would take 10 ms, not 20 or more
    assert ran[0] == "caller" and ran[1].startswith("minitorch_jit")
    assert threads._overhead.recent[-1] >= 0.009
    monkeypatch.setattr(threads, "_overhead", threads.Overhead(0.0))
    threads.run(tasks, single_seconds=1.0)  # faster than "perfect": no overhead
    assert threads._overhead.recent[-1] == 0.0


def test_the_caller_takes_the_tasks_of_a_worker_that_has_not_started(budget):
    torch.set_num_threads(2)
    busy = threading.Event()
    threads._thread_pool().submit(busy.wait, 5)  # the only worker: busy elsewhere
    try:
        ran = []
        threads.run([lambda i=i: ran.append((i, threading.current_thread().name)) for i in range(4)], 0.0)
        assert ran == [(i, threading.current_thread().name) for i in range(4)]
    finally:
        busy.set()


def test_a_task_that_raises_raises_on_the_caller_after_the_others_ran(budget):
    torch.set_num_threads(2)
    ran = []

    def bad():
        raise ValueError("in a task")
    with pytest.raises(ValueError, match="in a task"):
        threads.run([lambda: ran.append(0), bad, lambda: ran.append(2)], 0.0)
    assert sorted(ran) == [0, 2]


def test_products_split_the_wider_operand_in_blocks_per_thread(budget, monkeypatch):
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "threads_for", lambda seconds: 2)
    blocks = []
    real_run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks, single: blocks.append([t.args for t in tasks]) or real_run(tasks, single))
    x, w = np.ones((64, 512), np.float32), np.ones((2048, 512), np.float32)
    threads.matmul(x, w.T)       # W's columns, four blocks of 512
    threads.matmul(w, x.T)       # W's rows
    cols, rows = blocks
    assert [b.shape for _, b in cols] == [(512, 512)] * 4 and all(a.shape == (64, 512) for a, _ in cols)
    assert [a.shape for a, _ in rows] == [(512, 512)] * 4


@pytest.mark.parametrize("shape", [((300, 64), (64, 50)), ((4, 64), (64, 900))])
def test_split_products_equal_numpy_and_hold_blas_to_one_thread(budget, monkeypatch, shape):
    from threadpoolctl import threadpool_info
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "threads_for", lambda seconds: 2)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[0]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    np.testing.assert_allclose(threads.matmul(a, b), np.matmul(a, b), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(threads.matmul(a, b.T.copy().T), np.matmul(a, b), rtol=1e-5, atol=1e-5)
    assert all(info["num_threads"] == 1 for info in threadpool_info() if info["user_api"] == "blas")


def test_linear_and_matmul_go_through_the_pool(budget, monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "threads_for", lambda seconds: calls.append(seconds) or 2)
    x, w = torch.randn(64, 256), torch.randn(512, 256)
    y = torch.nn.functional.linear(x, w)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.numpy().T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose((x @ w.t()).numpy(), y.numpy(), rtol=1e-4, atol=1e-4)
    assert len(calls) == 2


def _split_runs(monkeypatch):
    """Kernels split on two threads from their second call; the list of each split run's
    chunk count."""
    monkeypatch.setattr(launch_module, "TIMED_CALLS", 1)  # the first call is timed, later ones ask
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 2)
    split = []
    run = threads.run_kernel
    monkeypatch.setattr(threads, "run_kernel", lambda *args: split.append(args[5]) or run(*args))
    return split


def test_a_scripted_function_called_again_splits_its_kernel(budget, monkeypatch):
    """The executor's fast path (the previous call's launch, its layout checked by the kernel)
    asks the cost model too: a kernel that may split is not kept on the calling thread."""
    split = _split_runs(monkeypatch)

    @torch.jit.script
    def softmax(x):
        e = torch.exp(x - torch.amax(x, dim=1, keepdim=True))
        return e / e.sum(dim=1, keepdim=True)

    x = torch.randn(512, 256)
    first = softmax(x)
    assert softmax.graph_for(x) is not None
    before = len(split)
    again = softmax(x)  # the fast path
    assert len(split) == before + 1 and split[-1] == 2
    np.testing.assert_array_equal(again.numpy(), first.numpy())
    # a different layout is still told apart before any work runs
    np.testing.assert_allclose(softmax(x.t().contiguous().t()).numpy(), first.numpy(), rtol=1e-6)


@pytest.mark.parametrize("numel", [4096, 4097, 100_000, 1 << 22, 100, 64, 3])
@pytest.mark.parametrize("threads_", [2, 3, 8])
@pytest.mark.parametrize("chunking", [launch_module.ELEMENTS, row_launch.ROWS, row_launch.COLUMNS])
def test_a_split_run_has_one_chunk_per_thread_covering_the_space_once(numel, threads_, chunking):
    chunks = launch_module._chunks(numel, threads_, chunking)
    assert [s for s, _ in chunks] == [0] + [e for _, e in chunks[:-1]] and chunks[-1][1] == numel
    assert all(s % chunking.align == 0 and e > s for s, e in chunks)
    sizes = [e - s for s, e in chunks]
    assert max(sizes) - min(sizes) < 2 * chunking.align  # the last also takes the unaligned rest
    assert len(chunks) == max(1, min(threads_, numel // max(chunking.least, chunking.align)))


@pytest.mark.parametrize("rows", [64, 100])
def test_a_row_kernel_splits_few_rows_evenly(budget, monkeypatch, rows):
    # chunk boundaries were multiples of 64 elements for row kernels too: 100 rows split 64 + 36,
    # and 64 rows (a batch of 64) not at all, whatever the cost model said
    split = _split_runs(monkeypatch)

    @torch.jit.script
    def layer_norm(x):
        d = x - x.mean(dim=1, keepdim=True)
        return d / torch.sqrt((d * d).mean(dim=1, keepdim=True) + 1e-5)

    x = torch.randn(rows, 512)
    first = layer_norm(x)
    again = layer_norm(x)
    assert split == [2]
    np.testing.assert_array_equal(again.numpy(), first.numpy())
    assert [e - s for s, e in launch_module._chunks(rows, 2, row_launch.ROWS)] == [rows // 2] * 2


@pytest.mark.parametrize("rows", [3, 40])  # fewer rows than outputs (the transposed product), and more
@pytest.mark.parametrize("bias", [True, False])
def test_linear_is_x_times_w_transposed_plus_bias_in_c_order(budget, rows, bias):
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((rows, 16), (24, 16), (24,)))
    y = threads.linear(x, w, b if bias else None)
    np.testing.assert_allclose(y, x @ w.T + (b if bias else 0), rtol=1e-5, atol=1e-5)
    assert y.flags.c_contiguous and y.dtype == np.float32
    t = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b) if bias else None)
    assert t.is_contiguous() and t.view(-1).shape == (rows * 24,)

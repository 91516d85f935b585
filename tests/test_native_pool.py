"""The native worker threads that run a fused kernel's chunks (codegen/native_pool.py), and
the cost model's hot and cold overheads for them (codegen/threads.py)."""
import ctypes
import os
import time

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.codegen import launch as launch_module
from minitorch_jit.codegen import native_pool, threads
from minitorch_jit.codegen.llvm.cache import SYMBOL, default_cache

pytestmark = pytest.mark.skipif(not native_pool.supported(), reason="native workers run on Linux x86-64 only")

# a stand-in kernel: adds one to the counter whose address is the first word of its row, and
# records (in the row's second word) the thread that ran it
_MARK = """
declare i64 @pthread_self()
define i32 @mark(ptr %arrays, ptr %row) {
  %at = load i64, ptr %row, align 8
  %counter = inttoptr i64 %at to ptr
  atomicrmw add ptr %counter, i64 1 seq_cst
  %who = getelementptr i64, ptr %row, i64 1
  %self = call i64 @pthread_self()
  store i64 %self, ptr %who, align 8
  ret i32 0
}
"""

# a row that lasts 5 ms on any thread but the one whose id is its third word (the caller)
_SLOW = """
declare i64 @pthread_self()
declare i32 @usleep(i32)
define i32 @slow(ptr %arrays, ptr %row) {
entry:
  %at = load i64, ptr %row, align 8
  %counter = inttoptr i64 %at to ptr
  %who = getelementptr i64, ptr %row, i64 1
  %self = call i64 @pthread_self()
  store i64 %self, ptr %who, align 8
  %pcaller = getelementptr i64, ptr %row, i64 2
  %caller = load i64, ptr %pcaller, align 8
  %worker = icmp ne i64 %self, %caller
  br i1 %worker, label %nap, label %count
nap:
  call i32 @usleep(i32 5000)
  br label %count
count:
  atomicrmw add ptr %counter, i64 1 seq_cst
  ret i32 0
}
"""


@pytest.fixture(scope="module")
def mark():
    """The addresses of the stand-in kernels (each linked as the kernel cache links kernels)."""
    loaded = [default_cache().load(ir.replace(f"@{name}(", f'@"{SYMBOL}"(')) for ir, name in ((_MARK, "mark"),
                                                                                            (_SLOW, "slow"))]
    yield {"mark": loaded[0].address, "slow": loaded[1].address}
    del loaded  # (held until here: the code must stay loaded while the tests call it)


def test_a_caller_done_with_its_rows_sleeps_until_the_worker_finishes_its_own(mark):
    """The worker's rows last 5 ms, the caller's none: the caller stops watching after
    WAIT_SECONDS and sleeps; the worker's last row must wake it (or this never returns)."""
    pool = native_pool.start(1)
    try:
        counters = np.zeros(2, np.int64)
        rows = np.zeros((2, 3), np.int64)
        rows[:, 0] = counters.ctypes.data + 8 * np.arange(2)
        pthread_self = ctypes.CDLL(None).pthread_self
        pthread_self.restype = ctypes.c_ulong
        rows[:, 2] = np.uint64(pthread_self()).view(np.int64)
        caller = rows[0, 2]
        runs, worker_rows = 0, 0
        deadline = time.perf_counter() + 10
        while worker_rows < 3 and time.perf_counter() < deadline:
            start = time.perf_counter()
            _run(pool, mark["slow"], 0, rows.ctypes.data, rows.strides[0], 2)
            took = time.perf_counter() - start
            runs += 1
            if (rows[:, 1] != caller).any():
                worker_rows += 1
                assert took >= 0.005  # it returned after the worker's row, not before
            assert (counters == runs).all()
        assert worker_rows == 3
    finally:
        pool.stop()


@pytest.fixture
def budget():
    saved = threads.get_num_threads()
    yield
    threads.set_num_threads(saved)


def _run(pool, *args):
    with pool.lock:
        pool.run(*args)


def _rows(counters: np.ndarray, count: int) -> np.ndarray:
    rows = np.zeros((count, 2), np.int64)
    rows[:, 0] = counters.ctypes.data + 8 * np.arange(count)
    return rows


def test_every_row_of_every_run_runs_exactly_once(mark):
    pool = native_pool.start(1)
    try:
        rng = np.random.default_rng(0)
        counters = np.zeros(64, np.int64)
        expected = np.zeros(64, np.int64)
        rows = _rows(counters, 64)
        for k in range(3000):
            count = int(rng.integers(1, 65))
            if k % 500 == 0:
                time.sleep(2 * native_pool.SPIN_SECONDS)  # the worker sleeps: the run wakes it
            _run(pool, mark["mark"], 0, rows.ctypes.data, rows.strides[0], count)
            expected[:count] += 1
            # the run has returned: every row has run, none is still running
            np.testing.assert_array_equal(counters, expected)
    finally:
        pool.stop()
    assert pool.threads == []


def test_the_worker_takes_rows_while_the_caller_takes_others(mark):
    pool = native_pool.start(1)
    try:
        counters = np.zeros(256, np.int64)
        rows = _rows(counters, 256)
        ran_by = set()
        runs = 0
        deadline = time.perf_counter() + 10  # on a loaded machine the worker may wake late
        while len(ran_by) < 2 and time.perf_counter() < deadline:
            _run(pool, mark["mark"], 0, rows.ctypes.data, rows.strides[0], 256)
            runs += 1
            ran_by |= set(rows[:, 1].tolist())
        assert (counters == runs).all()
        assert len(ran_by) == 2  # the caller's thread and the worker
    finally:
        pool.stop()


def test_a_forked_child_runs_kernels_on_its_own_workers(budget):
    torch.set_num_threads(2)

    @torch.jit.script
    def f(x):
        return torch.exp(x) * 2 + 1

    x = torch.randn(1 << 16)
    expected = f(x).numpy()
    threads._native_workers()
    pid = os.fork()
    if pid == 0:  # the child: no pytest here, its exit code is the verdict
        try:
            original = threads.kernel_threads
            threads.kernel_threads = lambda seconds: 2
            ok = all(np.array_equal(f(x).numpy(), expected) for _ in range(20)) and threads._native is not None \
                and threads._native.pid == os.getpid()
            threads.kernel_threads = original
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    deadline = time.perf_counter() + 60
    done, status = os.waitpid(pid, os.WNOHANG)
    while not done and time.perf_counter() < deadline:  # a child stuck on a lock fails, not hangs
        time.sleep(0.01)
        done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert done and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_set_num_threads_stops_the_workers_and_the_next_kernel_starts_new_ones(budget):
    torch.set_num_threads(2)
    first = threads._native_workers()
    assert first is not None and len(first.threads) == 1
    torch.set_num_threads(3)
    assert first.threads == []  # joined
    second = threads._native_workers()
    assert second is not first and len(second.threads) == 2
    torch.set_num_threads(1)
    assert second.threads == [] and threads.kernel_threads(1.0) == 1


def test_the_cost_model_asks_the_hot_overhead_while_the_workers_spin(budget, monkeypatch):
    torch.set_num_threads(2)
    threads._native_workers()
    monkeypatch.setattr(threads, "_native_overhead", [threads.Overhead(4e-6), threads.Overhead(40e-6)])
    monkeypatch.setattr(threads, "_last_parallel", time.perf_counter())
    monkeypatch.setattr(threads, "_native_end", time.perf_counter())
    assert threads.kernel_threads(60e-6) == 2  # saves 30 us, more than PAYBACK times the spinning workers' 4 us
    monkeypatch.setattr(threads, "_native_end", time.perf_counter() - 1.0)
    assert threads.kernel_threads(60e-6) == 1  # the workers sleep: waking one costs 40 us
    assert threads.kernel_threads(1e-3) == 2
    # a kernel that ran alone a moment ago: called again at once, it weighs the spinning
    # workers' overhead (had it split, they would spin now; only its first split wakes them)
    threads.ran_alone(time.perf_counter())
    assert threads.kernel_threads(60e-6) == 2


def test_a_kernel_asks_the_cost_model_only_after_warm_calls_on_one_thread(budget, monkeypatch):
    """The first calls of a launch are timed on one thread: the first one writes fresh output
    pages and reads cold caches, and taken as the single-thread time it made every parallel
    run look early (the overhead measured 0 under any load)."""
    torch.set_num_threads(2)
    asked = []
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: asked.append(seconds) or 1)

    @torch.jit.script
    def f(x):
        return torch.exp(x) * 2 + 1

    x = torch.randn(1 << 16)
    for _ in range(launch_module.TIMED_CALLS):
        f(x)
    assert asked == []
    f(x)
    assert len(asked) == 1 and asked[0] > 0


def test_a_run_measures_its_overhead_in_the_case_it_ran_in(budget, monkeypatch):
    torch.set_num_threads(2)
    threads._native_workers()
    monkeypatch.setattr(threads, "_native_overhead", [threads.Overhead(0.0), threads.Overhead(0.0)])
    monkeypatch.setattr(threads, "_native_end", time.perf_counter() - 1.0)  # cold
    counters = np.zeros(2, np.int64)
    rows = _rows(counters, 2)
    kernel = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
    noop = threads._native.noop
    threads.run_kernel(kernel(noop), noop, 0, rows.ctypes.data, rows.strides[0], 2, single_seconds=0.0)
    assert threads._native_overhead[1].recent[-1] > 0 and threads._native_overhead[0].recent[-1] == 0.0
    assert time.perf_counter() - threads._native_end < 1.0  # and the workers spin now


@pytest.mark.parametrize("shape", [(1 << 16,), (300, 257), (64, 1024)])
def test_split_kernels_equal_unsplit_ones(budget, monkeypatch, shape):
    torch.set_num_threads(2)

    @torch.jit.script
    def f(x, y):
        return torch.sigmoid(x) * y + torch.softmax(x, dim=-1)

    x, y = torch.randn(*shape), torch.randn(*shape)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 1)
    whole = [f(x, y).numpy() for _ in range(3)]
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 2)
    for _ in range(50):
        np.testing.assert_array_equal(f(x, y).numpy(), whole[-1])


def test_threads_that_split_kernels_at_once_each_get_their_answer(budget, monkeypatch):
    """One run at a time has the workers: a kernel launched meanwhile runs its rows on its own
    thread."""
    import threading
    torch.set_num_threads(2)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 2)

    @torch.jit.script
    def f(x):
        return torch.tanh(x) * 3 - x

    inputs = [torch.randn(1 << 15) for _ in range(4)]
    expected = [np.tanh(a.numpy()) * np.float32(3) - a.numpy() for a in inputs]
    wrong = []

    def call(i):
        for _ in range(200):
            if not np.allclose(f(inputs[i]).numpy(), expected[i], rtol=1e-6, atol=1e-6):
                wrong.append(i)
    workers = [threading.Thread(target=call, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert wrong == []


def test_parked_workers_sleep_before_their_spin_ends_and_the_next_run_wakes_them(mark):
    pool = native_pool.start(1)
    try:
        counters = np.zeros(8, np.int64)
        rows = _rows(counters, 8)
        _run(pool, mark["mark"], 0, rows.ctypes.data, rows.strides[0], 8)  # the worker spins now
        words = (ctypes.c_int64 * native_pool.STATE_WORDS).from_address(pool.state)
        pool._words[native_pool.SPIN_NS] = 10**12  # it would spin for 1000 s
        _run(pool, mark["mark"], 0, rows.ctypes.data, rows.strides[0], 8)
        pool.park()
        deadline = time.perf_counter() + 5
        while words[native_pool.SLEEPERS] == 0 and time.perf_counter() < deadline:
            time.sleep(0.001)
        assert words[native_pool.SLEEPERS] == 1
        _run(pool, mark["mark"], 0, rows.ctypes.data, rows.strides[0], 8)
        assert words[native_pool.PARK] == 0 and (counters == 3).all()
    finally:
        pool.stop()


def test_stopping_waits_for_a_run_in_progress_on_another_thread(mark):
    import threading
    pool = native_pool.start(1)
    counters = np.zeros(4, np.int64)
    rows = np.zeros((4, 3), np.int64)
    rows[:, 0] = counters.ctypes.data + 8 * np.arange(4)  # no caller id: every row naps 5 ms
    started = threading.Event()

    def run():
        with pool.lock:
            started.set()
            pool.run(mark["slow"], 0, rows.ctypes.data, rows.strides[0], 4)
    runner = threading.Thread(target=run)
    runner.start()
    started.wait(5)
    pool.stop()
    assert (counters == 1).all()  # the run was whole before the workers stopped
    runner.join(5)
    assert not runner.is_alive() and pool.threads == []


def test_workers_that_cannot_start_leave_the_chunks_to_the_python_pool(budget, monkeypatch, caplog):
    monkeypatch.setattr(launch_module, "TIMED_CALLS", 1)  # the first call is timed, later ones ask
    def refused(workers):
        raise OSError(11, "cannot start a native worker thread: Resource temporarily unavailable")
    torch.set_num_threads(2)
    monkeypatch.setattr(native_pool, "start", refused)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 2)
    ran = []
    run = threads.run
    monkeypatch.setattr(threads, "run", lambda tasks, *rest: ran.append(len(tasks)) or run(tasks, *rest))

    @torch.jit.script
    def f(x):
        return torch.exp(x) * 2 + 1

    x = torch.randn(1 << 15)
    with caplog.at_level("WARNING", logger="minitorch_jit"):
        for _ in range(3):
            np.testing.assert_allclose(f(x).numpy(), np.exp(x.numpy()) * 2 + 1, rtol=1e-6)
    assert ran and "native workers did not start" in caplog.text

"""The process's one thread budget, the thread pool that spends it, and the cost model that
decides when work is worth splitting.

``torch.set_num_threads(n)`` sets the budget: at most ``n`` threads compute at once, the caller
and ``n - 1`` pool workers. Fused kernels and matrix products both run on this pool. numpy's
BLAS is held to one thread (threadpoolctl, when the first product runs): OpenBLAS's own
workers spin for a while after each call, and on a busy machine those spinning threads and
ours took the same cores (the LSTM cell took 13x longer with BLAS at its default threads
while another process kept one core busy); inside our pool each product runs as blocks, a
few per thread, each a single-threaded BLAS call (numpy releases the GIL there), taken by
whichever thread is free (a worker whose core is busy elsewhere leaves its blocks to the
caller), and idle workers sleep.

Work goes parallel only when splitting saves more than it costs: its single-thread time
(measured for a fused kernel's layout, estimated from the measured GEMM rate for a product)
times ``1 - 1/n`` must exceed :data:`PAYBACK` times the pool's overhead. The overhead is
measured: a few empty round trips when the pool starts, then, on every parallel run, how much
longer it took than its single-thread time over ``n``; the estimate is the median of the
last few runs (:class:`Overhead`). On a loaded machine a worker shares its core and finishes
late, most runs measure late, and work stays on the calling thread; a single late run (a
worker that lost its core for one time slice, milliseconds, on a machine otherwise quiet) does
not move the median. While the estimate says no, a parallel run is tried again after
:data:`RETRY_SECONDS` (work that would split on an idle pool only), and after twice as long
each time the pool still measures busy (up to :data:`RETRY_MAX_SECONDS`); a retry that pays
for itself is followed by another on the next call, so the estimate recovers within a few
calls once the load goes, without paying for a slow parallel run often while it lasts.

Fused kernels run their chunks on native worker threads (codegen/native_pool.py) where they
can: a round trip there costs a few microseconds while the workers still spin after the last
run and the kernel's wake-up after they went to sleep, so the cost model keeps one measured
overhead for each case ("hot" and "cold") and asks the one that applies now. Matrix products
are numpy calls, which run on the Python pool.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from . import native_pool

log = logging.getLogger("minitorch_jit")

# splitting must save this many times the pool's estimated overhead: a margin for the estimate's
# error (a median of recent runs), not a penalty; at 2 a split that measured 25% faster than
# one thread was refused
PAYBACK = 1.25
RETRY_SECONDS = 0.25     # a parallel run is retried after this long while the overhead says no
RETRY_MAX_SECONDS = 8.0
SMOOTHING = 0.25         # weight of each new measurement of the GEMM rate
MIN_FLOPS = 1 << 20      # products below this never split (not worth the bookkeeping)
BLOCKS_PER_THREAD = 2    # a product splits into this many blocks per thread (see run)
MIN_BLOCK = 16           # rows or columns: BLAS slows down on thinner blocks


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _default_budget() -> int:
    configured = os.environ.get("MINITORCH_JIT_NUM_THREADS")
    if configured:
        return max(1, int(configured))
    return cores()


class Overhead:
    """What a parallel run on one pool costs beyond a perfect split, in seconds: the median of
    the last :data:`WINDOW` runs' measurements (a load that lasts makes most of them late; one
    late run does not), and ``idle``, the round trip measured when the pool started."""
    WINDOW = 5

    def __init__(self, idle: float):
        self.idle = self.estimate = idle
        self.recent = deque([idle] * self.WINDOW, maxlen=self.WINDOW)

    def observe(self, late: float) -> None:
        self.recent.append(late)
        self.estimate = sorted(self.recent)[self.WINDOW // 2]


_budget = _default_budget()
_pool: Optional[ThreadPoolExecutor] = None
_lock = threading.Lock()
_overhead = Overhead(30e-6)  # the Python pool's; measured when it starts
_last_parallel = 0.0
_retry_after = RETRY_SECONDS
_gemm_seconds_per_flop = 1 / 20e9  # replaced by measurements of single-threaded products
_blas_limited = False


def get_num_threads() -> int:
    return _budget


def set_num_threads(n: int) -> None:
    """The budget: at most ``n`` threads compute at once (``n`` >= 1)."""
    global _budget, _pool, _native, _native_started
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    with _lock:
        _budget = n
        old, _pool = _pool, None
        native, _native, _native_started = _native, None, False
    if old is not None:
        old.shutdown(wait=False)
    if native is not None:
        native.stop()  # after a run in progress on another thread


def _thread_pool() -> ThreadPoolExecutor:
    global _pool, _overhead
    with _lock:
        if _pool is not None:
            return _pool
        pool = ThreadPoolExecutor(max_workers=max(1, _budget - 1), thread_name_prefix="minitorch_jit")
        pool.submit(int).result()  # starts the worker
        trips = []
        for _ in range(5):
            start = time.perf_counter()
            pool.submit(int).result()
            trips.append(time.perf_counter() - start)
        _overhead = Overhead(sorted(trips)[2])
        _pool = pool
        return pool


def threads_for(single_seconds: float) -> int:
    """How many threads work taking ``single_seconds`` on one thread should use now, on the
    Python pool."""
    return _decide(single_seconds, _overhead)


def _decide(single_seconds: float, overhead: Overhead) -> int:
    global _retry_after, _last_parallel
    n = _budget
    if n <= 1:
        return 1
    saved = single_seconds * (1 - 1 / n)
    if saved > PAYBACK * overhead.estimate:
        _retry_after = RETRY_SECONDS
        return n
    # the measured overhead may be stale from a busy spell: retry now and then (less often
    # while it stays busy), for work that would split at the pool's idle cost
    now = time.perf_counter()
    if saved > PAYBACK * overhead.idle and now - _last_parallel > _retry_after:
        _last_parallel = now
        _retry_after = min(max(2 * _retry_after, RETRY_SECONDS), RETRY_MAX_SECONDS)
        return n
    return 1


def _observe(overhead: Overhead, seconds: float, single_seconds: float, n: int) -> None:
    """Note a parallel run on ``n`` threads that took ``seconds``: a run that paid for itself
    has the next call that the estimate would keep on one thread try again at once."""
    global _retry_after, _last_parallel
    late = max(0.0, seconds - single_seconds / n)
    overhead.observe(late)
    if PAYBACK * late < single_seconds * (1 - 1 / n):
        _retry_after = 0.0
    _last_parallel = time.perf_counter()


# -- fused kernels on native workers ---------------------------------------------------------------

_native: Optional[native_pool.NativePool] = None
_native_started = False  # whether _native was tried for the current budget
# measured overheads of a native run: [hot, cold]
_native_overhead = [Overhead(5e-6), Overhead(30e-6)]
# when the last kernel that may split ended, on the workers or alone: its workers spin a while
# after a run, so a kernel called again at once finds them awake, had the last one split
_native_end = 0.0


def _native_workers() -> Optional[native_pool.NativePool]:
    """The native workers of this budget (started, and their overheads measured, when first
    wanted); None where they cannot run."""
    global _native, _native_started, _native_end
    with _lock:
        if _native_started:
            return _native
        _native_started = True
        try:
            pool = native_pool.start(_budget - 1)
        except (OSError, RuntimeError) as e:  # no threads to be had, say: the Python pool runs the chunks
            log.warning("fused kernels split on the Python thread pool: native workers did not start: %s", e)
            pool = None
        if pool is None:
            return None
        rows = np.zeros((_budget, 2), np.int64)

        def trip() -> float:
            with pool.lock:
                start = time.perf_counter()
                pool.run(pool.noop, 0, rows.ctypes.data, rows.strides[0], _budget)
                return time.perf_counter() - start
        trip()
        hot = sorted(trip() for _ in range(5))[2]
        time.sleep(2 * native_pool.SPIN_SECONDS)  # the workers have gone to sleep
        cold = trip()
        _native_overhead[:] = [Overhead(hot), Overhead(cold)]
        _native_end = time.perf_counter()
        _native = pool
        return pool


def _forget_native_workers() -> None:
    """In a forked child: the parent's workers are not there; the child starts its own."""
    global _native, _native_started
    _native, _native_started = None, False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_native_workers)


def _hot() -> int:
    """0 while the native workers spin after the last kernel (or would, had it split), 1 once
    they sleep. Judged by the last kernel that may split, not the last that did: a kernel
    called again and again that ran alone once (its workers asleep) would otherwise always be
    weighed against waking them, though only its first split pays for that; a 100K-element
    ratio_iou stayed on one thread, 30% slower than numba's serial loop."""
    return 0 if time.perf_counter() - _native_end < native_pool.SPIN_SECONDS / 2 else 1


def ran_alone(end: float) -> None:
    """A kernel that may split ran on the calling thread and ended at ``end`` (perf_counter)."""
    global _native_end
    _native_end = end


def kernel_threads(single_seconds: float) -> int:
    """How many threads a fused kernel taking ``single_seconds`` on one thread should use now."""
    if _budget <= 1:
        return 1
    if (_native if _native_started else _native_workers()) is None:
        return threads_for(single_seconds)
    return _decide(single_seconds, _native_overhead[_hot()])


def run_kernel(fn: Callable[[int, int], Any], address: int, packed: int, rows: int, stride: int, count: int,
               single_seconds: float) -> None:
    """Run the kernel ``fn`` (at ``address``) on the tuple of arrays at ``packed`` over ``count``
    layout rows, ``rows + i * stride`` (addresses), on the native workers and the calling
    thread; on the Python pool where native workers cannot run; row by row on the calling
    thread while another thread's run has the workers."""
    global _native_end
    pool = _native if _native_started else _native_workers()
    if pool is None:
        run([functools.partial(fn, packed, rows + i * stride) for i in range(count)], single_seconds)
        return
    if not pool.lock.acquire(blocking=False):
        for i in range(count):
            fn(packed, rows + i * stride)
        return
    try:
        which = _hot()
        start = time.perf_counter()
        pool.run(address, packed, rows, stride, count)
        done = time.perf_counter()
    finally:
        pool.lock.release()
    _observe(_native_overhead[which], done - start, single_seconds, min(_budget, count))
    _native_end = done


def run(tasks: Sequence[Callable[[], Any]], single_seconds: float) -> None:
    """Run ``tasks`` (work that takes ``single_seconds`` on one thread) on the calling thread
    and up to ``len(tasks) - 1`` pool workers, each taking the next task not yet taken until
    none is left, and wait for the tasks taken (not for the workers: one that starts late,
    its core taken by another process, finds nothing left, and the caller has not waited for
    it). The overhead measured is how much longer the run took than a perfect split: on a
    loaded machine the caller's own share slows down too once a worker competes for the cores."""
    if len(tasks) == 1:
        tasks[0]()
        return
    pool = _thread_pool()
    native = _native
    if native is not None:
        native.park()  # its spinning workers would take the cores this run's workers need
    todo = iter(tasks)  # a list iterator's next() is atomic under the GIL: each task is taken once
    left = [len(tasks)]
    lock = threading.Lock()
    finished = threading.Event()
    errors: List[BaseException] = []

    def take() -> None:
        for task in todo:
            try:
                task()
            except BaseException as e:  # raised on the caller, after every task taken has finished
                errors.append(e)
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    finished.set()
    n = min(_budget, len(tasks))
    start = time.perf_counter()
    for _ in range(n - 1):
        pool.submit(take)
    take()
    finished.wait()
    _observe(_overhead, time.perf_counter() - start, single_seconds, n)
    if errors:
        raise errors[0]


# -- matrix products ------------------------------------------------------------------------------


def limit_blas() -> None:
    """Hold numpy's BLAS to one thread (once per process): products are split on our pool."""
    global _blas_limited
    if not _blas_limited:
        _blas_limited = True
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)`` on the budget's threads: for a 2-d ``a`` whose product is big enough,
    blocks of its rows (or of ``b``'s columns when ``a`` has few rows), one per thread."""
    global _gemm_seconds_per_flop
    limit_blas()
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype:
        return np.matmul(a, b)
    m, k = a.shape
    n = b.shape[1]
    flops = 2 * m * n * k
    single = flops * _gemm_seconds_per_flop
    threads = threads_for(single) if flops >= MIN_FLOPS else 1
    if threads == 1:
        start = time.perf_counter()
        out = np.matmul(a, b)
        if flops >= MIN_FLOPS:
            _gemm_seconds_per_flop += SMOOTHING * ((time.perf_counter() - start) / flops - _gemm_seconds_per_flop)
        return out
    out = np.empty((m, n), np.result_type(a, b))
    # each block reads all of one operand and its share of the other: splitting the bigger
    # one reads the least (x @ W.T with a wide W splits W's columns: row blocks of x would each
    # read all of W, and BLAS runs a few rows barely faster than all of them)
    by_rows = m >= n
    size = m if by_rows else n
    # more blocks than threads, so that the caller takes a late worker's share
    step = max(-(-size // (BLOCKS_PER_THREAD * threads)), MIN_BLOCK)
    tasks: List[Callable[[], Any]] = []
    for s in range(0, size, step):
        block = slice(s, min(s + step, size))
        if by_rows:
            tasks.append(functools.partial(np.matmul, a[block], b, out=out[block]))
        else:
            tasks.append(functools.partial(np.matmul, a, b[:, block], out=out[:, block]))
    run(tasks, single)
    return out


def linear(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray]) -> np.ndarray:
    """``x @ w.T + b`` (a C-ordered result). With fewer rows than outputs it computes
    ``(w @ x.T).T``: BLAS then reads the weight row by row, as it is stored (``x @ w.T`` packs
    it through the transpose, which took 2.4x longer for a (64, 512) x by a (2048, 512) weight
    that was not in the caches), and the bias add is the pass that puts the result in C order."""
    if x.ndim == 2 and w.ndim == 2 and x.shape[0] < w.shape[0]:
        y = matmul(w, x.T).T
        return np.ascontiguousarray(y) if b is None else np.add(y, b, order="C")
    y = matmul(x, w.T)
    return y if b is None else y + b

"""The process's one thread budget, the thread pool that spends it, and the cost model that
decides when work is worth splitting.

``torch.set_num_threads(n)`` sets the budget: at most ``n`` threads compute at once, the caller
and ``n - 1`` pool workers. Fused kernels and matrix products both run on this pool. numpy's
BLAS is held to one thread (threadpoolctl, when the first product runs): OpenBLAS's own
workers spin for a while after each call, and on a busy machine those spinning threads and
ours took the same cores (the LSTM cell took 13x longer with BLAS at its default threads
while another process kept one core busy); inside our pool each product runs as blocks, one
per thread, each a single-threaded BLAS call (numpy releases the GIL there), and idle workers
sleep.

Work goes parallel only when splitting saves more than it costs: its single-thread time
(measured for a fused kernel's layout, estimated from the measured GEMM rate for a product)
times ``1 - 1/n`` must exceed :data:`PAYBACK` times the pool's overhead. The overhead is
measured: a few empty round trips when the pool starts, then, on every parallel run, how long
the caller waited for the workers after finishing its own share (a moving average). On a
loaded machine a worker shares its core and finishes late, the measured overhead grows, and
work stays on the calling thread; a parallel run is tried again after :data:`RETRY_SECONDS`
(work that would split on an idle pool only), and after twice as long each time the pool
still measures busy (up to :data:`RETRY_MAX_SECONDS`), so the estimate recovers when the load
goes without paying for a slow parallel run often while it lasts.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

PAYBACK = 2.0            # splitting must save this many times the pool's overhead
RETRY_SECONDS = 0.25     # a parallel run is retried after this long while the overhead says no
RETRY_MAX_SECONDS = 8.0
SMOOTHING = 0.25         # weight of each new overhead observation
MIN_FLOPS = 1 << 20      # products below this never split (not worth the bookkeeping)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _default_budget() -> int:
    configured = os.environ.get("MINITORCH_JIT_NUM_THREADS")
    if configured:
        return max(1, int(configured))
    return cores()


_budget = _default_budget()
_pool: Optional[ThreadPoolExecutor] = None
_lock = threading.Lock()
_overhead = 30e-6        # seconds; replaced by the measurement when the pool starts
_idle_overhead = 30e-6   # the pool's round trip when it started (an idle machine's)
_last_parallel = 0.0
_retry_after = RETRY_SECONDS
_gemm_seconds_per_flop = 1 / 20e9  # replaced by measurements of single-threaded products
_blas_limited = False


def get_num_threads() -> int:
    return _budget


def set_num_threads(n: int) -> None:
    """The budget: at most ``n`` threads compute at once (``n`` >= 1)."""
    global _budget, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    with _lock:
        _budget = n
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False)


def _thread_pool() -> ThreadPoolExecutor:
    global _pool, _overhead, _idle_overhead
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
        _overhead = _idle_overhead = sorted(trips)[2]
        _pool = pool
        return pool


def overhead() -> float:
    """The pool's measured overhead per parallel run, in seconds."""
    return _overhead


def threads_for(single_seconds: float) -> int:
    """How many threads work taking ``single_seconds`` on one thread should use now."""
    global _retry_after, _last_parallel
    n = _budget
    if n <= 1:
        return 1
    saved = single_seconds * (1 - 1 / n)
    if saved > PAYBACK * _overhead:
        _retry_after = RETRY_SECONDS
        return n
    # the measured overhead may be stale from a busy spell: retry now and then (less often
    # while it stays busy), for work that would split at the pool's idle cost
    now = time.perf_counter()
    if saved > PAYBACK * _idle_overhead and now - _last_parallel > _retry_after:
        _last_parallel = now
        _retry_after = min(2 * _retry_after, RETRY_MAX_SECONDS)
        return n
    return 1


def run(tasks: Sequence[Callable[[], Any]], single_seconds: float = 0.0) -> None:
    """Run ``tasks``: the first on the calling thread, the others on the pool, and wait for
    all; updates the measured overhead from how long the caller waited, or, for work whose
    time on one thread is known (``single_seconds``), from how much longer than an even split
    of it the run took, if more: when the caller and a worker share one core, the caller
    finishes last and waits for nothing, yet the run is slower than one thread (log_softmax +
    nll_loss (8192, 1000): 8.2 ms split against 5.9 on one thread, the other core busy)."""
    global _overhead, _last_parallel
    if len(tasks) == 1:
        tasks[0]()
        return
    pool = _thread_pool()
    start = time.perf_counter()
    futures = [pool.submit(t) for t in tasks[1:]]
    tasks[0]()
    done = time.perf_counter()
    for f in futures:
        f.result()
    end = time.perf_counter()
    lost = max(end - done, end - start - single_seconds / len(tasks)) if single_seconds else end - done
    _overhead += SMOOTHING * (lost - _overhead)
    _last_parallel = done


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
    threads = threads_for(flops * _gemm_seconds_per_flop) if flops >= MIN_FLOPS else 1
    if threads == 1:
        start = time.perf_counter()
        out = np.matmul(a, b)
        if flops >= MIN_FLOPS:
            _gemm_seconds_per_flop += SMOOTHING * ((time.perf_counter() - start) / flops - _gemm_seconds_per_flop)
        return out
    out = np.empty((m, n), np.result_type(a, b))
    by_rows = m >= n or m >= 8 * threads
    size = m if by_rows else n
    step = -(-size // threads)
    tasks: List[Callable[[], Any]] = []
    for s in range(0, size, step):
        block = slice(s, min(s + step, size))
        if by_rows:
            tasks.append(functools.partial(np.matmul, a[block], b, out=out[block]))
        else:
            tasks.append(functools.partial(np.matmul, a, b[:, block], out=out[:, block]))
    run(tasks)
    return out

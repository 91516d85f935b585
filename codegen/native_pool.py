"""Native worker threads that run a kernel's chunks without Python between them.

A round trip through a Python thread pool (a future, a queue, a woken thread taking the GIL
to make its ctypes call) cost 30-40 us on the 2-core machine, a third of a 1M-element
kernel: work that size stayed on one thread while numba's ``prange`` (OpenMP's spinning
workers) ran it on both. Here the workers are threads of native code: after a run they spin
for :data:`SPIN_SECONDS` watching for the next one (a run that starts then costs a few
microseconds), then sleep on a futex (a run then pays the kernel's wake-up); they sleep at
once when :meth:`NativePool.park` asks (the Python pool is about to run matrix products on
the same cores).

A run: the caller publishes (kernel, tuple of arrays, address of the first layout row, row
stride, number of rows) under a new run number, wakes sleeping workers, and takes rows itself
like any worker until none is left; it returns when every row taken has finished. A row is
taken by a compare-and-swap of the 64-bit ticket ``run << 32 | next row``; the caller marks
the ticket busy (next row ``BUSY``) before it rewrites the run's fields, so a swap that
succeeds proves the fields read before it belong to the ticket's run, and a worker that wakes
late for a finished run can never take a row of the next one with the old run's fields.

One run at a time: its caller holds the pool's ``lock``, which :meth:`NativePool.stop` takes
too (a run in progress finishes before its workers stop). Linux on x86-64 only (a
futex is a Linux system call, its number is the architecture's); elsewhere the Python pool
runs the chunks. Worker threads block every signal (they run no Python), are stopped and
joined at exit (their code must outlive them) and do not exist in a forked child.
"""
from __future__ import annotations

import atexit
import ctypes
import os
import platform
import signal
import sys
import threading
from typing import List, Optional

from .llvm.cache import SYMBOL, default_cache

# a worker watches for the next run this long before it sleeps. At 100 us, a worker that
# finished its half of ratio_iou (4000, 1000) slept before the next call (the caller's half
# ended later, then Python ran): it started 39 us after the publish (median), against 4 us
# awake. 300 us against 100, side by side (prange/script): x * x five times 4M 0.96 -> 1.08
# and 1.00 -> 1.01, ratio_iou (4000, 1000) 0.97 -> 0.99 and 0.93 -> 0.97.
SPIN_SECONDS = 300e-6
# the caller watches for the rows the workers took this long, then sleeps until the last is done:
# on a loaded machine the worker may have lost its core, and a caller spinning on the other
# one would keep it from getting one back
WAIT_SECONDS = 30e-6

# the state, in 64-bit words; fields written by different threads on different cache lines
TICKET, DONE, WAITING, WAKE, SLEEPERS, FN, PACKED, ROWS, STRIDE, COUNT, STOP, SPIN_NS, PARK = \
    0, 8, 9, 16, 24, 32, 33, 34, 35, 36, 40, 41, 42
STATE_WORDS = 48
BUSY = 0xFFFFFFFF  # the ticket's next row while the caller publishes a run
SYS_FUTEX = 202    # x86-64
FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE = 128, 129
CLOCK_MONOTONIC = 1

_IR = f"""
declare i64 @syscall(i64, ...)

; sleep while the 32-bit word at %word holds %expect (or until woken); wake up to %n sleepers
define private void @futex_wait(ptr %word, i64 %expect) {{
  call i64 (i64, ...) @syscall(i64 {SYS_FUTEX}, ptr %word, i64 {FUTEX_WAIT_PRIVATE}, i64 %expect, ptr null)
  ret void
}}

define private void @futex_wake(ptr %word, i64 %n) {{
  call i64 (i64, ...) @syscall(i64 {SYS_FUTEX}, ptr %word, i64 {FUTEX_WAKE_PRIVATE}, i64 %n)
  ret void
}}
declare i32 @clock_gettime(i32, ptr)
declare void @llvm.x86.sse2.pause()

define internal i32 @mtj_pool_noop(ptr %a, ptr %b) {{
  ret i32 0
}}

define private i64 @now_ns() {{
  %ts = alloca [2 x i64], align 8
  call i32 @clock_gettime(i32 {CLOCK_MONOTONIC}, ptr %ts)
  %s = load i64, ptr %ts, align 8
  %pns = getelementptr i64, ptr %ts, i64 1
  %ns = load i64, ptr %pns, align 8
  %sns = mul i64 %s, 1000000000
  %t = add i64 %sns, %ns
  ret i64 %t
}}

; one pause of a watching loop; true once the clock (read every 256 pauses) is past deadline
define private i1 @spin_once(ptr %spins, i64 %deadline) {{
entry:
  call void @llvm.x86.sse2.pause()
  %k = load i64, ptr %spins, align 8
  %k1 = add i64 %k, 1
  store i64 %k1, ptr %spins, align 8
  %low = and i64 %k1, 255
  %clock = icmp eq i64 %low, 0
  br i1 %clock, label %checkclock, label %early
checkclock:
  %now = call i64 @now_ns()
  %late = icmp sgt i64 %now, %deadline
  ret i1 %late
early:
  ret i1 false
}}

; take rows of the published run until none is left
define private void @work(ptr %s) {{
entry:
  %pdone = getelementptr i64, ptr %s, i64 {DONE}
  %pwaiting = getelementptr i64, ptr %s, i64 {WAITING}
  %pfn = getelementptr i64, ptr %s, i64 {FN}
  %ppacked = getelementptr i64, ptr %s, i64 {PACKED}
  %prows = getelementptr i64, ptr %s, i64 {ROWS}
  %pstride = getelementptr i64, ptr %s, i64 {STRIDE}
  %pcount = getelementptr i64, ptr %s, i64 {COUNT}
  br label %loop
loop:
  %t = load atomic i64, ptr %s seq_cst, align 8
  %row = and i64 %t, {BUSY}
  %busy = icmp eq i64 %row, {BUSY}
  br i1 %busy, label %publishing, label %read
publishing:
  call void @llvm.x86.sse2.pause()
  br label %loop
read:
  %n = load atomic i64, ptr %pcount seq_cst, align 8
  %fn = load atomic i64, ptr %pfn seq_cst, align 8
  %packed = load atomic i64, ptr %ppacked seq_cst, align 8
  %rows = load atomic i64, ptr %prows seq_cst, align 8
  %stride = load atomic i64, ptr %pstride seq_cst, align 8
  %left = icmp ult i64 %row, %n
  br i1 %left, label %claim, label %out
claim:
  %next = add i64 %t, 1
  %swap = cmpxchg ptr %s, i64 %t, i64 %next seq_cst seq_cst
  %taken = extractvalue {{ i64, i1 }} %swap, 1
  br i1 %taken, label %run, label %loop
run:
  %off = mul i64 %row, %stride
  %at = add i64 %rows, %off
  %f = inttoptr i64 %fn to ptr
  %a = inttoptr i64 %packed to ptr
  %l = inttoptr i64 %at to ptr
  call i32 %f(ptr %a, ptr %l)
  atomicrmw add ptr %pdone, i64 1 seq_cst
  %waiting = load atomic i64, ptr %pwaiting seq_cst, align 8
  %asleep = icmp ne i64 %waiting, 0
  br i1 %asleep, label %wakecaller, label %loop
wakecaller:
  call void @futex_wake(ptr %pdone, i64 1)
  br label %loop
out:
  ret void
}}

define internal ptr @mtj_pool_worker(ptr %s) {{
entry:
  %pwake = getelementptr i64, ptr %s, i64 {WAKE}
  %psleepers = getelementptr i64, ptr %s, i64 {SLEEPERS}
  %pstop = getelementptr i64, ptr %s, i64 {STOP}
  %pspin = getelementptr i64, ptr %s, i64 {SPIN_NS}
  %ppark = getelementptr i64, ptr %s, i64 {PARK}
  %spins = alloca i64, align 8
  %deadline = alloca i64, align 8
  %seen = alloca i32, align 4
  %w0 = load atomic i32, ptr %pwake seq_cst, align 4
  store i32 %w0, ptr %seen, align 4
  br label %top
top:
  %stop = load atomic i64, ptr %pstop seq_cst, align 8
  %quit = icmp ne i64 %stop, 0
  br i1 %quit, label %exit, label %dowork
dowork:
  call void @work(ptr %s)
  %window = load atomic i64, ptr %pspin seq_cst, align 8
  %t0 = call i64 @now_ns()
  %d = add i64 %t0, %window
  store i64 %d, ptr %deadline, align 8
  store i64 0, ptr %spins, align 8
  br label %wait
wait:
  %w = load atomic i32, ptr %pwake seq_cst, align 4
  %old = load i32, ptr %seen, align 4
  %changed = icmp ne i32 %w, %old
  br i1 %changed, label %newrun, label %spin
newrun:
  store i32 %w, ptr %seen, align 4
  br label %top
spin:
  %dl = load i64, ptr %deadline, align 8
  %late = call i1 @spin_once(ptr %spins, i64 %dl)
  %park = load atomic i64, ptr %ppark seq_cst, align 8
  %parked = icmp ne i64 %park, 0
  %rest = or i1 %late, %parked
  br i1 %rest, label %sleep, label %wait
sleep:
  atomicrmw add ptr %psleepers, i64 1 seq_cst
  %w2 = load atomic i32, ptr %pwake seq_cst, align 4
  %old2 = load i32, ptr %seen, align 4
  %same = icmp eq i32 %w2, %old2
  br i1 %same, label %futex, label %woke
futex:
  %expect = zext i32 %old2 to i64
  call void @futex_wait(ptr %pwake, i64 %expect)
  br label %woke
woke:
  atomicrmw sub ptr %psleepers, i64 1 seq_cst
  br label %wait
exit:
  ret ptr null
}}

define private void @publish(ptr %s, i64 %fn, i64 %packed, i64 %rows, i64 %stride, i64 %n) {{
  %pdone = getelementptr i64, ptr %s, i64 {DONE}
  %pwake = getelementptr i64, ptr %s, i64 {WAKE}
  %psleepers = getelementptr i64, ptr %s, i64 {SLEEPERS}
  %t = load atomic i64, ptr %s seq_cst, align 8
  %run = lshr i64 %t, 32
  %run1 = add i64 %run, 1
  %hi = shl i64 %run1, 32
  %marked = or i64 %hi, {BUSY}
  store atomic i64 %marked, ptr %s seq_cst, align 8
  %ppark = getelementptr i64, ptr %s, i64 {PARK}
  store atomic i64 0, ptr %ppark seq_cst, align 8
  %pfn = getelementptr i64, ptr %s, i64 {FN}
  store atomic i64 %fn, ptr %pfn seq_cst, align 8
  %ppacked = getelementptr i64, ptr %s, i64 {PACKED}
  store atomic i64 %packed, ptr %ppacked seq_cst, align 8
  %prows = getelementptr i64, ptr %s, i64 {ROWS}
  store atomic i64 %rows, ptr %prows seq_cst, align 8
  %pstride = getelementptr i64, ptr %s, i64 {STRIDE}
  store atomic i64 %stride, ptr %pstride seq_cst, align 8
  %pcount = getelementptr i64, ptr %s, i64 {COUNT}
  store atomic i64 %n, ptr %pcount seq_cst, align 8
  store atomic i64 0, ptr %pdone seq_cst, align 8
  store atomic i64 %hi, ptr %s seq_cst, align 8
  atomicrmw add ptr %pwake, i32 1 seq_cst
  %sleeping = load atomic i64, ptr %psleepers seq_cst, align 8
  %any = icmp ne i64 %sleeping, 0
  br i1 %any, label %wakeup, label %done
wakeup:
  call void @futex_wake(ptr %pwake, i64 2147483647)
  br label %done
done:
  ret void
}}

; the caller's side of a run: publish it, take rows, wait for the rows others took (watching
; for a while, then asleep on the done count, which the worker finishing a row wakes)
define internal void @mtj_pool_run(ptr %s, i64 %fn, i64 %packed, i64 %rows, i64 %stride, i64 %n) {{
entry:
  %pdone = getelementptr i64, ptr %s, i64 {DONE}
  %pwaiting = getelementptr i64, ptr %s, i64 {WAITING}
  %spins = alloca i64, align 8
  call void @publish(ptr %s, i64 %fn, i64 %packed, i64 %rows, i64 %stride, i64 %n)
  call void @work(ptr %s)
  %t0 = call i64 @now_ns()
  %deadline = add i64 %t0, {int(WAIT_SECONDS * 1e9)}
  store i64 0, ptr %spins, align 8
  br label %wait
wait:
  %d = load atomic i64, ptr %pdone seq_cst, align 8
  %all = icmp eq i64 %d, %n
  br i1 %all, label %done, label %spin
spin:
  %late = call i1 @spin_once(ptr %spins, i64 %deadline)
  br i1 %late, label %sleep, label %wait
sleep:
  store atomic i64 1, ptr %pwaiting seq_cst, align 8
  br label %sleeping
sleeping:
  %d2 = load atomic i64, ptr %pdone seq_cst, align 8
  %all2 = icmp eq i64 %d2, %n
  br i1 %all2, label %awake, label %futex
futex:
  %expect = and i64 %d2, 4294967295
  call void @futex_wait(ptr %pdone, i64 %expect)
  br label %sleeping
awake:
  store atomic i64 0, ptr %pwaiting seq_cst, align 8
  br label %done
done:
  ret void
}}

; stop every worker: they see the flag when woken by this empty run
define internal void @mtj_pool_stop(ptr %s) {{
  %pstop = getelementptr i64, ptr %s, i64 {STOP}
  store atomic i64 1, ptr %pstop seq_cst, align 8
  call void @publish(ptr %s, i64 0, i64 0, i64 0, i64 0, i64 0)
  ret void
}}

; the entry point the kernel cache links (it exports one): the addresses of the others
define i32 @"{SYMBOL}"(ptr %unused, ptr %table) {{
  store ptr @mtj_pool_worker, ptr %table, align 8
  %p1 = getelementptr ptr, ptr %table, i64 1
  store ptr @mtj_pool_run, ptr %p1, align 8
  %p2 = getelementptr ptr, ptr %table, i64 2
  store ptr @mtj_pool_stop, ptr %p2, align 8
  %p3 = getelementptr ptr, ptr %table, i64 3
  store ptr @mtj_pool_noop, ptr %p3, align 8
  ret i32 0
}}
"""

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
_RUN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
                        ctypes.c_int64)
_STOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def supported() -> bool:
    """Whether native workers can run here (the futex call is Linux's, its number x86-64's)."""
    return sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")


class NativePool:
    """``workers`` native threads and the state they share; :meth:`run` is one run (the
    caller must not start two at once)."""

    def __init__(self, workers: int):
        # compiled once per machine: the kernel cache keeps it on disk like a kernel
        self.library = default_cache().load(_IR)
        table = (ctypes.c_void_p * 4)()
        _ENTRY(self.library.address)(None, table)
        worker, run, stop, self.noop = (address or 0 for address in table)
        self._run = _RUN(run)
        self._stop = _STOP(stop)
        libc = ctypes.CDLL(None, use_errno=True)
        # never freed: a worker may read it until it has been joined
        libc.aligned_alloc.restype = ctypes.c_void_p
        libc.aligned_alloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        self.state = libc.aligned_alloc(64, STATE_WORDS * 8)
        if not self.state:
            raise MemoryError("cannot allocate the native thread pool's state")
        ctypes.memset(self.state, 0, STATE_WORDS * 8)
        self._words = (ctypes.c_int64 * STATE_WORDS).from_address(self.state)
        self._words[SPIN_NS] = int(SPIN_SECONDS * 1e9)
        self._pthread_create = libc.pthread_create
        self._pthread_create.argtypes = [ctypes.POINTER(ctypes.c_ulong), ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_void_p]
        self._pthread_join = libc.pthread_join
        self._pthread_join.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
        self.threads: List[int] = []
        self.pid = os.getpid()
        self.lock = threading.Lock()  # held by the thread whose run has the workers
        # the workers inherit this thread's signal mask: they block every signal (they run no
        # Python to handle one)
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            for _ in range(workers):
                tid = ctypes.c_ulong()
                err = self._pthread_create(ctypes.byref(tid), None, worker, self.state)
                if err:
                    self.stop()
                    raise OSError(err, f"cannot start a native worker thread: {os.strerror(err)}")
                self.threads.append(tid.value)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        atexit.register(self.stop)

    def run(self, fn: int, packed: int, rows: int, stride: int, count: int) -> None:
        """Run ``fn(packed, rows + i * stride)`` for i in range(count) on the workers and the
        calling thread (which holds no GIL meanwhile: ctypes releases it). The caller holds
        :attr:`lock`."""
        self._run(self.state, fn, packed, rows, stride, count)

    def park(self) -> None:
        """Have spinning workers sleep now, not when their spin ends (the next run wakes
        them): the Python pool's workers are about to use the cores."""
        self._words[PARK] = 1

    def stop(self) -> None:
        """Stop and join the workers, once a run in progress has finished (in the process
        that started them: a forked child has none)."""
        if self.threads and os.getpid() == self.pid:
            with self.lock:
                self._stop(self.state)
                for tid in self.threads:
                    self._pthread_join(tid, None)
        self.threads = []
        atexit.unregister(self.stop)


def start(workers: int) -> Optional[NativePool]:
    """A pool of ``workers`` native threads, or None where they are not supported."""
    return NativePool(workers) if supported() and workers > 0 else None

"""Measuring one workload on every system, the same way for all of them.

1. Eager mode runs first: its outputs are the reference.
2. Each system prepares the workload and makes its first call: together, its compile time.
   A few more calls warm it up (TorchScript profiles its first runs, for instance); the
   output of each is checked against the reference, and a system that disagrees is reported
   as wrong and never timed.
3. Each system gets a number of calls per sample that makes a sample last about
   ``sample_seconds``; then rounds go through the systems, one sample each, with the
   garbage collector off, in orders where each system follows each other one equally often
   (:func:`balanced_orders`), and each sample starts with one untimed call: a sample's first
   call pays for what the sample before it left behind (its data evicted from the caches,
   freed memory, workers asleep or spinning). After eager mode, ratio_iou (4000, 1000) ran
   35-45% slower on whichever system followed it: script, always, when the rounds were a
   rotation; balanced orders spread that cost over every system and the untimed call keeps it
   out of the samples (GELU 4M: script@0.1.0/script 1.13 with it in, 1.44 in a loop of
   script's calls alone).
4. The result of a system is the median over the rounds of its per-call time, and the
   spread the interquartile range of the rounds, relative to the median.
"""
from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .systems import Prepared, System, describe_error
from .workloads import NotApplicable, Workload, traffic_bytes

RTOL, ATOL = 1e-4, 1e-5  # float32 kernels differ in the last bits (libm, summation order, FMA)


@dataclass(frozen=True)
class Settings:
    rounds: int
    sample_seconds: float
    warmup_calls: int = 3


FULL = Settings(rounds=15, sample_seconds=0.02)
QUICK = Settings(rounds=5, sample_seconds=0.005)


@dataclass
class Outcome:
    """What happened to one system on one workload. ``status`` is ``ok`` (timed), ``wrong``
    (its output differs from eager mode's: not timed), ``failed`` (it raised), ``n/a`` (it
    cannot express the workload) or ``missing`` (not installed)."""
    status: str
    reason: str = ""
    compile_seconds: Optional[float] = None
    samples: List[float] = field(default_factory=list)  # seconds per call, one per round

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """The interquartile range of the rounds as a fraction of the median."""
        if len(self.samples) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.samples, n=4)
        return (q3 - q1) / self.median


@dataclass
class Measurement:
    workload: Workload
    bytes: int
    outcomes: Dict[str, Outcome]


def mismatch(got: Tuple[np.ndarray, ...], want: Tuple[np.ndarray, ...]) -> Optional[str]:
    """How ``got`` differs from the reference beyond float32 rounding, or None."""
    if len(got) != len(want):
        return f"{len(got)} outputs, eager mode gives {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return f"output {i} has shape {g.shape}, eager mode's {w.shape}"
        if g.dtype != w.dtype:
            return f"output {i} has dtype {g.dtype}, eager mode's {w.dtype}"
        close = np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not close.all():
            at = np.unravel_index(int(np.argmin(close)), close.shape) if close.ndim else ()
            return (f"output {i} differs from eager mode's at {tuple(int(k) for k in at)}: {g[at]} vs {w[at]} "
                    f"({int(close.size - close.sum())} of {close.size} elements beyond rtol {RTOL}, atol {ATOL})")
    return None


def _time(call: Callable[[], object], number: int) -> float:
    """Seconds per call of ``number`` calls after an untimed one, which pays for what the
    calls before it (another system's) left behind."""
    call()
    start = time.perf_counter()
    for _ in range(number):
        call()
    return (time.perf_counter() - start) / number


def _prepare(system: System, workload: Workload, reference: Optional[Tuple[np.ndarray, ...]],
             settings: Settings) -> Tuple[Outcome, Optional[Prepared], Tuple[np.ndarray, ...]]:
    """Prepare, make the first call (timed: the compile time) and the warm-up calls, and check
    every output against ``reference`` (the first output's, for the reference itself)."""
    missing = system.missing()
    if missing:
        return Outcome("missing", missing), None, ()
    inputs = workload.inputs()
    try:
        start = time.perf_counter()
        prepared = system.prepare(workload, inputs)
        result = prepared.call()
        compile_seconds = time.perf_counter() - start
        results = [result] + [prepared.call() for _ in range(settings.warmup_calls)]
        outputs = [prepared.arrays(r) for r in results]
    except NotApplicable as e:
        return Outcome("n/a", str(e)), None, ()
    except Exception as e:  # a peer that breaks is reported, and the others still run
        return Outcome("failed", describe_error(e)), None, ()
    for out in outputs:
        wrong = mismatch(out, outputs[0] if reference is None else reference)
        if wrong:
            return Outcome("wrong", wrong, compile_seconds), None, ()
    return Outcome("ok", compile_seconds=compile_seconds), prepared, outputs[0]


def balanced_orders(n: int) -> List[List[int]]:
    """Orders of ``n`` systems in which each one directly follows each other one equally often
    (a Williams design: ``n`` orders, and their reverses too when ``n`` is odd)."""
    first, lo, hi = [0], 1, n - 1
    while len(first) < n:
        first.append(lo)
        lo += 1
        if len(first) < n:
            first.append(hi)
            hi -= 1
    orders = [[(r + k) % n for k in first] for r in range(n)]
    return orders + [o[::-1] for o in orders] if n % 2 else orders


def measure(workload: Workload, systems: Sequence[System], settings: Settings,
            progress: Callable[[str], None] = lambda text: None) -> Measurement:
    """Every system on ``workload``; ``systems[0]`` is eager mode, the reference."""
    outcomes: Dict[str, Outcome] = {}
    prepared: Dict[str, Prepared] = {}
    reference: Optional[Tuple[np.ndarray, ...]] = None
    for system in systems:
        progress(f"{system.name}: compiling and checking")
        outcome, p, outputs = _prepare(system, workload, reference, settings)
        if reference is None:
            if p is None:
                raise RuntimeError(f"eager mode fails on {workload.name}: {outcome.reason}")
            reference = outputs
        outcomes[system.name] = outcome
        if p is not None:
            prepared[system.name] = p
    assert reference is not None
    numbers = {}
    for name, p in prepared.items():
        progress(f"{name}: calibrating")
        numbers[name] = max(1, min(10_000, math.ceil(settings.sample_seconds / _time(p.call, 1))))
    names = list(prepared)
    gc.disable()
    try:
        for r in range(settings.rounds):
            if not names:
                break
            progress(f"round {r + 1} of {settings.rounds}")
            gc.collect()
            orders = balanced_orders(len(names))
            for name in [names[i] for i in orders[r % len(orders)]]:
                try:
                    outcomes[name].samples.append(_time(prepared[name].call, numbers[name]))
                except Exception as e:  # it passed its checks, then broke: reported, not timed
                    outcomes[name] = Outcome("failed", f"while timed: {describe_error(e)}",
                                             outcomes[name].compile_seconds)
                    names.remove(name)
    finally:
        gc.enable()
    return Measurement(workload, traffic_bytes(workload, reference), outcomes)

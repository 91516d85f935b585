"""``python -m minitorch_jit bench``: the command line of the bench."""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from typing import Dict, Iterator, List, Optional, Tuple

import llvmlite
import numpy as np

import minitorch_jit
from minitorch_jit.codegen.threads import cores

from .harness import FULL, QUICK, measure
from .report import Run, plot, render, to_json
from .startup import first_calls
from .systems import HEADLINE, REFERENCE, all_systems, describe_versions, select_systems, use_threads
from .workloads import BenchError, all_workloads, select

PLOT_FORMATS = (".svg", ".png", ".pdf")


def add_parser(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    families = ", ".join(dict.fromkeys(w.family for w in all_workloads(small=True)))
    optional = ", ".join(s.name for s in all_systems() if s.name not in (REFERENCE, HEADLINE))
    p = subcommands.add_parser(
        "bench", help="time the reference workloads: eager, traced, scripted and the installed peers",
        description="Run the reference workloads (the seed programs of minitorch_jit.bench.programs) in "
                    "minitorch_jit's eager mode, traced and scripted, with numpy, and on the peers that are "
                    "installed (numexpr, numba, PyTorch eager, torch.jit.script, torch.compile); print median "
                    "times, speedups, the fraction of the memory bandwidth bound and compile times. Every output "
                    "is checked against eager mode first.")
    p.add_argument("--quick", action="store_true", help="a few workloads and fewer rounds (under a minute)")
    p.add_argument("--workload", action="append", metavar="NAME",
                   help=f"run only this workload family, every size of it (repeatable): {families}")
    p.add_argument("--system", action="append", metavar="NAME",
                   help=f"run this system (repeatable), besides {REFERENCE} and {HEADLINE} which always run: "
                        f"{optional} (default: all)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="the thread budget of minitorch_jit (torch.set_num_threads: its kernels and matrix products) "
                        "and of the peers (default: every core)")
    p.add_argument("--busy", action="store_true",
                   help="run a spinner process that keeps one core busy for the whole run (a loaded machine)")
    p.add_argument("--json", metavar="PATH", help="also write every measurement (each round's time) as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="also draw the speedups as a bar chart (.svg, .png or .pdf; needs matplotlib: "
                        "pip install 'minitorch-jit[plot]')")


def _check(args: argparse.Namespace) -> int:
    """Everything that can be wrong with the options, found before minutes of measuring."""
    threads = args.threads if args.threads is not None else cores()
    if not 1 <= threads <= cores():
        raise BenchError(f"--threads must be between 1 and {cores()} (the cores this process may use), "
                         f"not {threads}")
    if args.plot is not None:
        if os.path.splitext(args.plot)[1].lower() not in PLOT_FORMATS:
            raise BenchError(f"--plot writes {', '.join(PLOT_FORMATS)} files, not {args.plot!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError as e:
            raise BenchError(f"--plot needs matplotlib ({e}): pip install 'minitorch-jit[plot]'") from None
    for path in (args.json, args.plot):
        if path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise BenchError(f"cannot write {path}: its directory does not exist")
    return threads


@contextlib.contextmanager
def _environment(values: Dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class Progress:
    """One line on the terminal, rewritten as the bench goes; nothing when stderr is not one."""

    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.workload = ""
        self.active = sys.stderr.isatty()

    def __call__(self, text: str) -> None:
        if self.active:
            line = f"[{self.done + 1}/{self.total}] {self.workload}: {text}"
            sys.stderr.write("\r" + line[:119].ljust(119))
            sys.stderr.flush()

    def clear(self) -> None:
        if self.active:
            sys.stderr.write("\r" + " " * 119 + "\r")
            sys.stderr.flush()


@contextlib.contextmanager
def _spinner(busy: bool) -> Iterator[None]:
    """With ``busy``, another process spinning on one core while the block runs."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def run(args: argparse.Namespace, argv: Optional[List[str]] = None) -> int:
    threads = _check(args)
    small = os.environ.get("MINITORCH_JIT_SMALL") == "1"
    workloads = select(all_workloads(small), args.workload, args.quick)
    systems = select_systems(all_systems(), args.system)
    settings = QUICK if args.quick or small else FULL
    command = " ".join(["python -m minitorch_jit bench"] + [shlex.quote(a) for a in argv or []])
    if small:
        command = "MINITORCH_JIT_SMALL=1 " + command
    with tempfile.TemporaryDirectory() as kernels, tempfile.TemporaryDirectory() as inductor, \
            _environment({"MINITORCH_JIT_NUM_THREADS": str(threads),
                          # compile times are measured cold: no kernels from earlier runs
                          "MINITORCH_JIT_CACHE_DIR": kernels, "TORCHINDUCTOR_CACHE_DIR": inductor,
                          # PyTorch and numba each bring an OpenMP runtime whose idle threads spin on the
                          # cores for a while after each call: the next system to run would share them
                          "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}), \
            _spinner(args.busy):
        minitorch_jit.set_num_threads(threads)
        use_threads(systems, threads)
        progress = Progress(len(workloads))
        measurements = []
        first: Optional[Tuple[float, float]] = None
        for w in workloads:
            progress.workload = w.name
            measurements.append(measure(w, systems, settings, progress))
            w.drop_inputs()
            progress.done += 1
        if not (args.quick or small) and (not args.workload or "ratio_iou" in args.workload):
            progress.workload = "ratio_iou in new processes"
            progress("compiling with an empty kernel cache, then with the kernels on disk")
            first = first_calls()
        progress.clear()
    environment = {"machine": f"{_cpu_name()} ({cores()} cores)", "python": platform.python_version(),
                   "minitorch_jit": minitorch_jit.__version__, "numpy": np.__version__,
                   "llvmlite": llvmlite.__version__}
    environment.update(describe_versions(systems))
    notes = [n for s in systems if s.missing() is None for n in s.notes]
    result = Run(measurements, settings, threads, environment, notes, command, first, args.busy)
    sys.stdout.write(render(result))
    if args.json is not None:
        with open(args.json, "w") as f:
            f.write(to_json(result))
        sys.stdout.write(f"wrote every measurement (each round's time) as JSON to {os.path.abspath(args.json)}\n")
    if args.plot is not None:
        plot(result, args.plot)
        sys.stdout.write(f"wrote the chart of the speedups to {os.path.abspath(args.plot)}\n")
    return 0

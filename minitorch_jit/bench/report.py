"""The bench's results for people (two tables and notes), for machines (JSON) and as a bar
chart (matplotlib, an optional extra)."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .harness import ATOL, RTOL, Measurement, Outcome, Settings
from .systems import HEADLINE, REFERENCE

MINITORCH = (REFERENCE, HEADLINE, "trace")
NUMPY = "numpy"  # the baseline of the issues' speed bars: numpy array expressions of the formula


@dataclass
class Run:
    """Everything one ``bench`` run measured, and how."""
    measurements: List[Measurement]
    settings: Settings
    threads: int
    environment: Dict[str, str]  # machine, Python and package versions
    notes: List[str]             # the systems' own notes
    command: str
    first_calls: Optional[Tuple[float, float]] = None  # see startup.first_calls
    busy: bool = False  # another process kept one core busy (bench --busy)

    def bandwidth(self) -> Optional[Tuple[float, str]]:
        """Bytes per second of the triad's best round on the fastest system, and that system:
        the best the machine did (the median would hold the memory bound to noise)."""
        for m in self.measurements:
            if m.workload.family == "triad":
                timed = [(m.bytes / min(o.samples), name) for name, o in m.outcomes.items() if o.status == "ok"]
                return max(timed) if timed else None
        return None

    def systems(self) -> List[str]:
        return list(dict.fromkeys(name for m in self.measurements for name in m.outcomes))

    def installed(self, system: str) -> bool:
        return any(m.outcomes[system].status != "missing" for m in self.measurements if system in m.outcomes)


_UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))


def format_seconds(s: float) -> str:
    """Three significant digits in the largest unit that keeps the number at least 1."""
    unit, scale = next(((u, k) for u, k in _UNITS if s >= k), _UNITS[-1])
    v = s / scale
    return f"{v:.3g} {unit}" if v >= 10 else f"{v:.2f} {unit}"


def speedup(m: Measurement, name: str) -> Optional[float]:
    o, ref = m.outcomes.get(name), m.outcomes[REFERENCE]
    if o is None or o.status != "ok" or ref.status != "ok":
        return None
    return ref.median / o.median


def _cell(m: Measurement, name: str) -> str:
    """A peer's speedup, or what kept it from having one."""
    o = m.outcomes.get(name)
    if o is None:
        return ""
    if o.status == "ok":
        return f"{speedup(m, name):.2f}x"
    return {"wrong": "WRONG", "failed": "failed", "n/a": "n/a", "missing": "missing"}[o.status]


def _versus(m: Measurement, name: str) -> str:
    """A peer's time over script's, or what kept it from having one."""
    o, script = m.outcomes.get(name), m.outcomes[HEADLINE]
    if o is None or script.status != "ok":
        return ""
    if o.status == "ok":
        return f"{o.median / script.median:.2f}"
    return _cell(m, name)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    """Columns as wide as their widest cell; the first left-aligned, the others right."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def render(run: Run) -> str:
    bandwidth = run.bandwidth()
    busy = ", another process keeping one core busy (--busy)" if run.busy else ""
    lines = [f"minitorch_jit bench: {run.threads} threads, float32, median of {run.settings.rounds} interleaved rounds"
             + busy,
             ", ".join(f"{k} {v}" for k, v in run.environment.items())]
    if bandwidth is not None:
        lines.append(f"memory bandwidth: {bandwidth[0] / 1e9:.1f} GB/s (the best round of the fastest triad: "
                     f"{bandwidth[1]})")
    if run.first_calls is not None:
        cold, warm = run.first_calls
        lines.append(f"first call of script(ratio_iou) on (100, 1000) boxes in a new process: "
                     f"{format_seconds(cold)} with an empty kernel cache, "
                     f"{format_seconds(warm)} with the kernels on disk")
    lines.append("")

    ours = [n for n in MINITORCH if n in run.systems()]
    with_numpy = NUMPY in run.systems()
    rows = []
    for m in run.measurements:
        cells = [m.workload.name]
        cells += [format_seconds(m.outcomes[n].median) if m.outcomes[n].status == "ok" else _cell(m, n) for n in ours]
        script = m.outcomes[HEADLINE]
        ok = script.status == "ok"
        cells.append(f"±{script.spread * 100:.0f}%" if ok else "")
        cells.append(_cell(m, HEADLINE) if ok else "")
        if with_numpy:
            numpy = m.outcomes.get(NUMPY)
            cells.append(f"{numpy.median / script.median:.2f}x" if ok and numpy and numpy.status == "ok" else "")
        cells.append(f"{100 * m.bytes / bandwidth[0] / script.median:.0f}%" if ok and bandwidth else "")
        cells.append(format_seconds(script.compile_seconds) if script.compile_seconds is not None else "")
        rows.append(cells)
    lines += _table(["workload"] + ours + ["spread", "speedup"] + (["vs numpy"] if with_numpy else [])
                    + ["of bound", "compile"], rows)
    lines.append("")

    peers = [s for s in run.systems() if s not in MINITORCH and run.installed(s)]
    if peers:
        rows = [[m.workload.name, _cell(m, HEADLINE)] + [_cell(m, p) for p in peers] for m in run.measurements]
        lines.append("speedup over minitorch_jit eager (higher is faster), script beside the peers:")
        lines += _table(["workload", HEADLINE] + peers, rows)
        lines.append("")
        rows = [[m.workload.name] + [_versus(m, p) for p in peers] for m in run.measurements]
        lines.append("script against each peer: the peer's time over script's (above 1: script is faster):")
        lines += _table(["workload"] + peers, rows)
        lines.append("")
    lines += _notes(run)
    return "\n".join(lines) + "\n"


def _notes(run: Run) -> List[str]:
    lines = [
        "eager, script, trace: median time per call of minitorch_jit eager, scripted and traced (fused) code.",
        "spread: interquartile range of script's rounds over its median. speedup: eager / script.",
        "vs numpy: the same formula as numpy array expressions / script (pointwise workloads).",
        "of bound: the time moving every input, parameter and output once takes at the measured bandwidth,",
        "  over script's median (100% = as fast as memory allows; more when the data fits in the caches).",
        "compile: script's first call (scripting, passes, fusion, LLVM) with the kernel cache empty at the start",
        "  of the run (a function's later sizes find its kernels there).",
        f"Every output is checked against eager mode's (rtol {RTOL}, atol {ATOL}) before timing:",
        "  WRONG = a different answer, never timed; n/a = the system cannot express the workload.",
    ]
    lines += run.notes
    per_system: Dict[Tuple[str, str, str], List[str]] = defaultdict(list)
    for m in run.measurements:
        for name, o in m.outcomes.items():
            if o.status != "ok":
                per_system[(name, o.status, o.reason)].append(m.workload.name)
    grouped: Dict[Tuple[str, str, Tuple[str, ...]], List[str]] = defaultdict(list)
    for (name, status, reason), where in per_system.items():
        grouped[(status, reason, tuple(where))].append(name)
    if grouped:
        lines.append("")
    for (status, reason, where), names in grouped.items():
        if status == "missing":
            lines.append(f"{', '.join(names)}: {reason}")
        else:
            scope = "every workload" if len(where) == len(run.measurements) else ", ".join(where)
            lines.append(f"{', '.join(names)}: {status} on {scope}: {reason}")
    lines.append("")
    lines.append(f"command: {run.command}")
    return lines


def _outcome_json(m: Measurement, name: str, o: Outcome) -> Dict[str, Any]:
    d: Dict[str, Any] = {"status": o.status}
    if o.reason:
        d["reason"] = o.reason
    if o.compile_seconds is not None:
        d["compile_seconds"] = o.compile_seconds
    if o.status == "ok":
        d.update(median_seconds=o.median, spread=o.spread, speedup=speedup(m, name), samples_seconds=o.samples)
    return d


def to_json(run: Run) -> str:
    bandwidth = run.bandwidth()
    return json.dumps({
        "command": run.command,
        "threads": run.threads,
        "busy": run.busy,
        "dtype": "float32",
        "rounds": run.settings.rounds,
        "environment": run.environment,
        "bandwidth_bytes_per_second": bandwidth[0] if bandwidth else None,
        "first_call_seconds": dict(zip(("empty_cache", "disk_cache"), run.first_calls)) if run.first_calls else None,
        "notes": run.notes,
        "workloads": [{"name": m.workload.name, "family": m.workload.family, "bytes": m.bytes,
                       "bound_seconds": m.bytes / bandwidth[0] if bandwidth else None,
                       "systems": {name: _outcome_json(m, name, o) for name, o in m.outcomes.items()}}
                      for m in run.measurements],
    }, indent=2) + "\n"


def plot(run: Run, path: str) -> None:
    """A bar chart of each system's speedup over eager, grouped by workload (log scale)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = [s for s in run.systems() if s != REFERENCE and run.installed(s)]
    names = [m.workload.name for m in run.measurements]
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(names)), 5.5))
    for k, system in enumerate(systems):
        xs, ys = [], []
        for i, m in enumerate(run.measurements):
            s = speedup(m, system)
            if s is not None:
                xs.append(i + (k - (len(systems) - 1) / 2) * width)
                ys.append(s)
        ax.bar(xs, ys, width, label=system)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("speedup over minitorch_jit eager")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_title(f"minitorch_jit bench ({run.threads} threads, float32)")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

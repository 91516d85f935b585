"""``python -m minitorch_jit ops``: every op of the registry as a Markdown table, one row per
op name with its overloads, the Python names it answers to and what kind of op it is. The
README's copy is this output (a test compares them), so the list cannot drift."""
from __future__ import annotations

import argparse
import sys
from typing import Dict, List

from minitorch_jit.ir import registry
from minitorch_jit.ir.registry import OpDef

_NAMESPACE = {"functional": "F", "builtins": ""}  # as scripts spell them: F.relu, len


def _python_name(full: str) -> str:
    ns, _, name = full.partition(".")
    prefix = _NAMESPACE.get(ns, ns)
    return f"{prefix}.{name}" if prefix else name


def _kind(ops: List[OpDef]) -> str:
    kinds = []
    if any(op.pointwise for op in ops):
        kinds.append("pointwise: fuses")
    if any(op.reduction for op in ops):
        kinds.append("reduction")
    if any(op.row is not None for op in ops):
        kinds.append("row kernel: fuses")
    if any(op.random for op in ops):
        kinds.append("random")
    if all(op.inplace for op in ops):
        kinds.append("in place")
    if any(op.side_effects and not op.random for op in ops):
        kinds.append("side effects")
    return ", ".join(kinds)


def markdown() -> str:
    by_name: Dict[str, List[OpDef]] = {}
    for op in registry.all_ops():
        by_name.setdefault(op.name, []).append(op)
    lines = [f"{len(by_name)} ops, {sum(len(v) for v in by_name.values())} overloads.", "",
             "| op | overloads | Python names | kind |", "|---|---|---|---|"]
    for name in sorted(by_name):
        ops = by_name[name]
        python = sorted({_python_name(n) for op in ops for n in op.names})
        names = ", ".join(f"`{n}`" for n in python) or "(graphs only)"
        lines.append(f"| `{name}` | {len(ops)} | {names} | {_kind(ops)} |")
    return "\n".join(lines) + "\n"


def add_parser(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    subcommands.add_parser("ops", help="list every op as a Markdown table",
                           description="Print every op of the registry as a Markdown table: its overloads, the "
                                       "Python names it answers to (torch.*, Tensor.*, F.*, operators, math, "
                                       "builtins) and whether it is pointwise (and so fuses).")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(markdown())
    return 0

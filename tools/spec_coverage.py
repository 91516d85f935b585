"""How many of PyTorch's test methods hold here: the measure of issues 17 and 18.

Each ``tests/spec/test_jit_<stem>.py`` transcribes the behaviours of PyTorch's
``test/jit/<stem>.py`` into our own tests. Its module-level ``ELIGIBLE`` lists the PyTorch
method names it counts; our tests are named after them (``test_dict_keys``, or
``test_dict_keys__a``, ``test_dict_keys__b`` for several). A method holds when it has at least
one test and all of its tests pass; a strict xfail (a behaviour we do not have yet) does not hold.

    python tools/spec_coverage.py            # table per file and the total
    python tools/spec_coverage.py --missing  # and the methods that do not hold, with reasons
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

SPEC_DIR = Path(__file__).resolve().parent.parent / "tests" / "spec"


def eligible_methods(path: Path) -> List[str]:
    """The module's ``ELIGIBLE`` list, read from its source (the module is not imported)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ELIGIBLE"
                                                for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise SystemExit(f"{path}: no ELIGIBLE list")


def method_of(test_name: str) -> str:
    """``test_dict_keys__a[param]`` -> ``test_dict_keys``."""
    return test_name.split("[", 1)[0].split("__", 1)[0]


class _Outcomes:
    """A pytest plugin that keeps each test's outcome: "passed", "xfailed" (with its reason) or
    "failed" (a failure, an error in set-up, or a strict xfail that passed)."""

    def __init__(self) -> None:
        self.by_test: Dict[Tuple[str, str], Tuple[str, str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path, _, name = report.nodeid.partition("::")
        key = (Path(path).name, name)
        if hasattr(report, "wasxfail"):
            self.by_test[key] = ("xfailed", str(report.wasxfail))
        elif report.failed:
            self.by_test[key] = ("failed", report.when)
        elif report.passed and report.when == "call":
            self.by_test.setdefault(key, ("passed", ""))


def tally(eligible: List[str], outcomes: Dict[str, Tuple[str, str]]) -> Tuple[List[str], Dict[str, str], List[str]]:
    """(methods holding, {method: why it does not hold}, tests named after no eligible method)."""
    tests_of: Dict[str, List[str]] = defaultdict(list)
    stray = []
    for test in outcomes:
        method = method_of(test)
        (tests_of[method] if method in eligible else stray).append(test)
    holding, missing = [], {}
    for method in eligible:
        tests = tests_of.get(method, [])
        bad = [outcomes[t] for t in tests if outcomes[t][0] != "passed"]
        if not tests:
            missing[method] = "no test"
        elif bad:
            missing[method] = "; ".join(f"{kind}: {why}" for kind, why in bad)
        else:
            holding.append(method)
    return holding, missing, stray


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missing", action="store_true", help="list the methods that do not hold")
    parser.add_argument("files", nargs="*", help="spec files (default: all of tests/spec)")
    args = parser.parse_args(argv)
    files = [Path(f).resolve() for f in args.files] or sorted(SPEC_DIR.glob("test_jit_*.py"))
    plugin = _Outcomes()
    pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", "-rN", *map(str, files)], plugins=[plugin])
    total_eligible = total_holding = 0
    print(f"\n{'file':40} {'eligible':>8} {'holding':>8} {'percent':>8}")
    for path in files:
        eligible = eligible_methods(path)
        outcomes = {name: o for (file, name), o in plugin.by_test.items() if file == path.name}
        holding, missing, stray = tally(eligible, outcomes)
        total_eligible += len(eligible)
        total_holding += len(holding)
        percent = 100.0 * len(holding) / len(eligible) if eligible else 0.0
        print(f"{path.name:40} {len(eligible):8} {len(holding):8} {percent:7.1f}%")
        if stray:
            print(f"  tests named after no ELIGIBLE method: {', '.join(sorted(stray))}")
        if args.missing:
            for method, why in missing.items():
                print(f"    {method}: {why}")
    if total_eligible:
        print(f"{'total':40} {total_eligible:8} {total_holding:8} {100.0 * total_holding / total_eligible:7.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())

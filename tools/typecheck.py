"""mypy over the package as it is installed, held to a recorded baseline that may only shrink.

The layers sit in top-level folders (ir/, passes/, codegen/) but install as subpackages of
minitorch_jit, which mypy cannot map by itself: this builds the installed layout from
symlinks in a temporary directory (following pyproject.toml's package-dir), runs mypy there,
and reports paths of the checkout again.

    python tools/typecheck.py            # fails if any file has more errors of a kind than recorded
    python tools/typecheck.py --update   # records today's counts (they may only go down)

The baseline counts errors per (file, error code), so fixing errors anywhere lowers it and a new
error fails CI even while old ones remain.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

import tomllib

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tools" / "mypy_baseline.json"
ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[a-z-]+)\])?$")


def _source(package: str, mapped: Dict[str, str]) -> Path:
    """The checkout folder of ``package``: under the folder of its nearest mapped parent, as
    setuptools finds it (minitorch_jit.codegen.llvm is codegen/llvm)."""
    parts = package.split(".")
    for i in range(len(parts), 0, -1):
        folder = mapped.get(".".join(parts[:i]))
        if folder is not None:
            return ROOT / folder / Path(*parts[i:])
    return ROOT / Path(*parts)


def _stage(directory: Path) -> Dict[str, Path]:
    """The installed layout as symlinks under ``directory``; maps staged folder -> checkout folder."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = config.get("package-dir", {})
    folders = {}
    for package in config["packages"]:
        source = _source(package, mapped)
        staged = directory / package.replace(".", "/")
        staged.mkdir(parents=True, exist_ok=True)
        for f in source.glob("*.py"):
            (staged / f.name).symlink_to(f)
        folders[str(staged.relative_to(directory))] = source.relative_to(ROOT)
    return folders


def run_mypy() -> List[Tuple[str, int, str, str]]:
    """(checkout path, line, code, message) of every error."""
    with tempfile.TemporaryDirectory() as tmp:
        folders = _stage(Path(tmp))
        done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                               "--no-incremental", "--hide-error-context", "--no-error-summary",
                               "--show-error-codes", "-p", "minitorch_jit"],
                              cwd=tmp, capture_output=True, text=True)
    errors = []
    for line in done.stdout.splitlines():
        m = ERROR.match(line)
        if m is None:
            continue
        folder, name = os.path.split(m["path"])
        path = str(folders.get(folder, Path(folder)) / name)
        errors.append((path, int(m["line"]), m["code"] or "misc", m["message"]))
    # 1 means "type errors found": then there are some (not mypy missing, or a crash)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not errors):
        sys.exit(f"mypy failed to run:\n{done.stdout}{done.stderr}")
    return errors


def counts(errors: List[Tuple[str, int, str, str]]) -> Dict[str, Dict[str, int]]:
    out: Dict[str, Dict[str, int]] = collections.defaultdict(dict)
    for path, _, code, _ in errors:
        out[path][code] = out[path].get(code, 0) + 1
    return {p: dict(sorted(c.items())) for p, c in sorted(out.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="record today's counts as the baseline")
    args = parser.parse_args()
    errors = run_mypy()
    now = counts(errors)
    total = len(errors)
    if args.update:
        BASELINE.write_text(json.dumps(now, indent=1) + "\n")
        print(f"mypy: recorded {total} errors in {len(now)} files as the baseline")
        return
    recorded = json.loads(BASELINE.read_text())
    worse = [(p, c) for p, codes in now.items() for c, n in codes.items() if n > recorded.get(p, {}).get(c, 0)]
    if worse:
        print("mypy: new errors (more than the baseline records for these files and codes):")
        for path, line, code, message in errors:
            if (path, code) in worse:
                print(f"  {path}:{line}: {message}  [{code}]")
        sys.exit(1)
    before = sum(n for codes in recorded.values() for n in codes.values())
    fewer = before - total
    note = f"; {fewer} fewer than the baseline: run python tools/typecheck.py --update" if fewer > 0 else ""
    print(f"mypy: {total} errors, none new{note}")


if __name__ == "__main__":
    main()

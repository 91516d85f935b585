"""Refresh the README's generated parts: the op list (``python -m minitorch_jit ops``), the
tour's table (``bench --quick``) and the results (a full ``bench``; three to six minutes for
both runs). From the repository root:

    python benchmarks/update_readme.py            # all three
    python benchmarks/update_readme.py --ops      # the op list only

Each part sits between ``<!-- begin NAME -->`` and ``<!-- end NAME -->`` lines; the test
suite checks that the README's op list is the registry's.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _markers(name: str) -> "re.Pattern[str]":
    return re.compile(rf"(<!-- begin {name} -->\n)(.*?)(<!-- end {name} -->)", re.S)


def section(text: str, name: str) -> str:
    """The README's part ``name``."""
    found = _markers(name).search(text)
    if found is None:
        raise ValueError(f"README.md has no <!-- begin {name} --> ... <!-- end {name} --> part")
    return found.group(2)


def replace(text: str, name: str, body: str) -> str:
    section(text, name)  # it must be there
    return _markers(name).sub(lambda m: m.group(1) + body + m.group(3), text)


def minitorch_jit(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "minitorch_jit", *args], cwd=ROOT, env=env, check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def main() -> None:
    text = README.read_text()
    text = replace(text, "ops", minitorch_jit("ops"))
    if "--ops" not in sys.argv[1:]:
        text = replace(text, "bench-quick", "```\n" + minitorch_jit("bench", "--quick") + "```\n")
        text = replace(text, "bench", "```\n" + minitorch_jit("bench") + "```\n")
    README.write_text(text)


if __name__ == "__main__":
    main()

"""The README's generated parts and its two commands are current."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from minitorch_jit.cli.op_list import markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "benchmarks" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_op_list_is_the_registrys():
    assert _update_readme().section(README, "ops") == markdown(), \
        "the op list changed: python benchmarks/update_readme.py --ops"


def test_the_readmes_test_command_is_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == "pip install -e '.[test]' && python -m pytest -q"
    assert f"```bash\n{ci}\n```" in README
    assert "```bash\npip install -e . && python -m minitorch_jit bench --quick\n```" in README


def test_the_bench_tables_are_pasted_with_their_commands():
    for name, command in (("bench-quick", "python -m minitorch_jit bench --quick"),
                          ("bench", "python -m minitorch_jit bench")):
        table = _update_readme().section(README, name)
        assert table.startswith("```\nminitorch_jit bench: ") and table.endswith(f"command: {command}\n```\n")


def _blocks_after(heading: str):
    """The first python block after ``heading`` and the plain block that follows it."""
    text = README[README.index(f"\n{heading}\n"):]
    code = text.index("```python\n") + len("```python\n")
    code_end = text.index("```\n", code)
    out = text.index("\n```\n", code_end) + len("\n```\n")
    return text[code:code_end], text[out:text.index("```\n", out)]


def _run(code: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_tour_shows_what_tracing_the_model_prints(tmp_path):
    code, shown = _blocks_after("### Trace a model")
    assert "print(traced.graph)" in code and "print(traced.code)" in code
    assert _run(code, tmp_path).rstrip("\n") == shown.rstrip("\n"), "paste this run's output into the README's tour"


def test_the_archive_listing_is_what_saving_the_model_writes(tmp_path):
    code, shown = _blocks_after("## Saving and loading")
    assert 'traced.save("model.mtj")' in code
    _run(code, tmp_path)
    listing = _run("import zipfile; zipfile.main(['-l', 'model.mtj'])", tmp_path)
    assert listing == shown, "paste `python -m zipfile -l model.mtj` into the README's Saving and loading"

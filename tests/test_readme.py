"""The README's generated parts and its two commands are current."""
import importlib.util
from pathlib import Path

from minitorch_jit.op_list import markdown

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

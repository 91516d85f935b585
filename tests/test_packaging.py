"""Installed, the project is one package: the layers are minitorch_jit.ir, .passes and
.codegen, and nothing else lands on a user's import path."""
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minitorch_jit


def test_the_only_top_level_package_is_minitorch_jit():
    top = importlib.metadata.distribution("minitorch-jit").read_text("top_level.txt").split()
    assert top == ["minitorch_jit"]


def test_no_layer_is_importable_by_its_folder_name():
    for name in ("ir", "passes", "codegen"):
        assert name not in sys.modules
        assert sys.modules[f"minitorch_jit.{name}"].__name__ == f"minitorch_jit.{name}"


def test_the_package_imports_beside_a_users_ir_passes_and_codegen(tmp_path):
    for name in ("ir", "passes", "codegen"):
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('the user\\'s {name}.py was imported')\n")
    code = ("import minitorch_jit as torch\n"
            "print(float((torch.ones(2) * 2 + 1).sum()))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "6.0"


def test_the_packages_listed_in_pyproject_are_the_package_folders():
    """setuptools installs only the packages listed: a folder missing from the list would be
    missing from the wheel (and only the wheel's CI step would notice)."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    root = Path(__file__).resolve().parents[1]
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {"minitorch_jit": root / "minitorch_jit"}
    folders.update({name: root / path for name, path in setuptools["package-dir"].items()})
    on_disk = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            on_disk.add(".".join([name, *init.parent.relative_to(folder).parts]))
    listed = set(setuptools["packages"])
    assert on_disk - listed == set(), "package folders missing from [tool.setuptools] packages"
    assert listed - on_disk == set(), "packages listed in [tool.setuptools] with no folder"


def test_one_version_string():
    assert minitorch_jit.__version__ == importlib.metadata.version("minitorch-jit")


@pytest.mark.skipif(os.environ.get("MINITORCH_JIT_INSTALLED") != "wheel",
                    reason="set by .ci/wheel; an editable install maps the checkout's folders, as it should")
def test_the_wheel_run_imports_the_installed_copy():
    assert "site-packages" in minitorch_jit.__file__
    assert "site-packages" in sys.modules["minitorch_jit.ir"].__file__

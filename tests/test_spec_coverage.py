"""tools/spec_coverage.py counts a PyTorch method as holding only when all its tests pass."""
import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "tools" / "spec_coverage.py"
_spec = importlib.util.spec_from_file_location("spec_coverage", _PATH)
assert _spec is not None and _spec.loader is not None
spec_coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(spec_coverage)


def test_method_of_strips_suffix_and_parameters():
    assert spec_coverage.method_of("test_dict_keys__b[int]") == "test_dict_keys"
    assert spec_coverage.method_of("test_dict_keys") == "test_dict_keys"


def test_tally_needs_every_test_of_a_method_to_pass():
    outcomes = {
        "test_a": ("passed", ""),
        "test_b__x": ("passed", ""),
        "test_b__y": ("xfailed", "dicts missing"),
        "test_zzz": ("passed", ""),
    }
    holding, missing, stray = spec_coverage.tally(["test_a", "test_b", "test_c"], outcomes)
    assert holding == ["test_a"]
    assert missing == {"test_b": "xfailed: dicts missing", "test_c": "no test"}
    assert stray == ["test_zzz"]


def test_eligible_list_is_read_without_importing(tmp_path):
    f = tmp_path / "test_jit_x.py"
    f.write_text("import does_not_exist\nELIGIBLE = ['test_one', 'test_two']\n")
    assert spec_coverage.eligible_methods(f) == ["test_one", "test_two"]

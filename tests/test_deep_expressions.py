"""Issue 12, item 12 (deep expressions): code nested as deep as Python compiles it scripts
and runs, or fails with a located ScriptError; huge int constants go through every pass,
the printer and code generation."""
import sys

import pytest
from script_util import check, generated_functions, roundtrip

import minitorch_jit as torch
from minitorch_jit.ir import parse_graph
from minitorch_jit.scripter import ScriptError, nesting


def deep(tmp_path, *bodies):
    lines = ["import minitorch_jit as torch", "from minitorch_jit import Tensor"]
    for i, body in enumerate(bodies):
        lines += [f"def f{i}(x: Tensor, n: int):", f"    return {body}", ""]
    return generated_functions(tmp_path / "deep_program.py", lines, len(bodies))


def test_deep_expressions_compile_and_run(tmp_path):
    limit = sys.getrecursionlimit()
    x = torch.tensor([1.5, -2.0])
    sum600, neg400, abs190 = deep(tmp_path, " + ".join(["x"] * 600), "-" * 400 + "x",
                                  "torch.abs(" * 190 + "x" + ")" * 190)
    check(sum600, (x, 0))
    check(neg400, (x, 0))
    check(abs190, (x, 0))
    assert sys.getrecursionlimit() == limit


def test_deep_expressions_as_deep_as_python_compiles(tmp_path):
    (f,) = deep(tmp_path, " + ".join(["n"] * 2500))  # Python's compiler stops near 3000 levels
    assert torch.script(f)(torch.ones(1), 1) == 2500


def test_deep_expressions_that_exhaust_the_stack_are_located_script_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(nesting, "FRAMES_PER_LEVEL", 0)  # no room: the default limit of 1000 frames
    (f,) = deep(tmp_path, " + ".join(["x"] * 600))
    with pytest.raises(ScriptError, match="nested too deeply to compile") as info:
        torch.script(f)
    e = info.value
    assert (e.filename, e.lineno) == (str(tmp_path / "deep_program.py"), 4)
    assert "^" in str(e) and "fix: split the expression" in str(e)


def test_deep_expressions_huge_int_constants(tmp_path):
    folded, kept = deep(tmp_path, "x + 1 if (1 << 20000) > 5 else x", "x + 1 if (1 << 20000) > n else x")
    x = torch.tensor([1.0, 2.0])
    check(folded, (x, 3))
    check(kept, (x, 3), (x, 1 << 20001))
    text = roundtrip(torch.script(kept).graph_for(x, 3))
    assert "value=0x1" + "0" * 5000 in text


def test_deep_expressions_huge_ints_print_in_hex_and_parse_back():
    g = parse_graph("graph():\n  %a : int = prim::Constant[value=5]()\n  return (%a)\n")
    for value in (-(1 << 3000) - 7, 1 << 2000, (1 << 2001) + 1):
        g.nodes[0].attrs["value"] = value
        text = roundtrip(g)
        assert parse_graph(text).nodes[0].attrs["value"] == value
        assert ("0x" in text) == (value.bit_length() > 2000)

"""``python -m minitorch_jit bench`` and ``show``: they run, their numbers are sane (never how
fast: tests do not time), bad options are clear errors, and the DOT they write is valid."""
import collections
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pydot
import pytest

import minitorch_jit as torch
from minitorch_jit.bench.elementwise import NUMPY_TORCH, expressions
from minitorch_jit.bench.harness import QUICK, balanced_orders, measure
from minitorch_jit.bench.programs.lstm_cell import lstm_cell
from minitorch_jit.bench.programs.pointwise import gelu
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.bench.rebind import rebind
from minitorch_jit.bench.report import Run, render
from minitorch_jit.bench.systems import Prepared, System, all_systems
from minitorch_jit.bench.workloads import NotApplicable, Workload, all_workloads
from minitorch_jit.cli.main import main
from minitorch_jit.ir import parse_graph
from minitorch_jit.ir.dot import to_dot

# pydot's parser calls pyparsing names that newer pyparsings deprecate: not our concern
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated - use:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
RATIO_IOU = str(ROOT / "examples" / "ratio_iou.py")
BOXES = ";".join(["8,100"] * 8)


def run_cli(*args, cwd):
    env = dict(os.environ, MINITORCH_JIT_SMALL="1")
    return subprocess.run([sys.executable, "-m", "minitorch_jit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


# -- the command itself -----------------------------------------------------------------------------


def test_version_is_printed_by_python_dash_m(tmp_path):
    out = run_cli("--version", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"minitorch_jit {torch.__version__}"


def test_the_console_script_runs_the_cli():
    [script] = [e for e in importlib.metadata.distribution("minitorch-jit").entry_points
                if e.group == "console_scripts" and e.name == "minitorch-jit"]
    assert script.load() is main


def test_bench_help_lists_the_workload_families_and_the_systems(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for family in dict.fromkeys(w.family for w in all_workloads(small=True)):
        assert family in text
    for system in all_systems():
        assert system.name in text
    assert "numpy" in text


# -- bench ------------------------------------------------------------------------------------------


def test_bench_quick_runs_and_its_numbers_are_sane(tmp_path):
    out = run_cli("bench", "--quick", "--system", "trace", "--json", "bench.json", "--plot", "bench.svg",
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    quick = [w for w in all_workloads(small=True) if w.quick]
    assert len(quick) >= 5
    for w in quick:
        assert w.name in out.stdout
    assert "memory bandwidth:" in out.stdout
    assert "command: MINITORCH_JIT_SMALL=1 python -m minitorch_jit bench --quick --system trace" in out.stdout

    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["rounds"] == QUICK.rounds and report["bandwidth_bytes_per_second"] > 0
    assert [w["name"] for w in report["workloads"]] == [w.name for w in quick]
    for w in report["workloads"]:
        assert set(w["systems"]) == {"eager", "script", "trace"} and w["bytes"] > 0
        for name, s in w["systems"].items():
            assert s["status"] == "ok", (w["name"], name, s)
            assert len(s["samples_seconds"]) == QUICK.rounds
            assert all(0 < t < 10 for t in s["samples_seconds"])
            assert min(s["samples_seconds"]) <= s["median_seconds"] <= max(s["samples_seconds"])
            assert s["spread"] >= 0 and 0 <= s["compile_seconds"] < 60
            eager = w["systems"]["eager"]["median_seconds"]
            assert s["speedup"] == pytest.approx(eager / s["median_seconds"])
    assert (tmp_path / "bench.svg").read_text().lstrip().startswith("<?xml")
    assert f"as JSON to {tmp_path / 'bench.json'}\n" in out.stdout
    assert f"wrote the chart of the speedups to {tmp_path / 'bench.svg'}\n" in out.stdout


@pytest.mark.parametrize("args, message", [
    (["--threads", "0"], "--threads must be between 1 and"),
    (["--workload", "nope"], "no workload named nope; the workloads are: ratio_iou, square5, gelu"),
    (["--system", "jax"], "no system named jax; the systems are: eager, script, trace, script@0.1.0, exported, numpy, numexpr"),
    (["--plot", "chart.txt"], "--plot writes .svg, .png, .pdf files"),
    (["--json", "no/such/dir/out.json"], "cannot write no/such/dir/out.json: its directory does not exist"),
])
def test_bench_options_that_cannot_work_are_errors_before_anything_runs(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", *args])
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def _fake(name, prepare):
    return System(name, lambda workload, inputs: prepare(inputs))


def test_a_wrong_answer_is_reported_and_never_timed_and_failures_say_why():
    workload = Workload("ratio_iou (4, 3)", "ratio_iou", ratio_iou,
                        lambda: tuple(np.full((4, 3), 1.5, np.float32) for _ in range(8)), pointwise=True)
    eager = all_systems()[0]

    def off_by_a_bit(inputs):
        right = ratio_iou(*[torch.from_numpy(a) for a in inputs]).numpy()
        return Prepared(lambda: right * 1.01, lambda r: (r,))

    def raises(inputs):
        raise RuntimeError("LLVM Backend not found\nmore lines")

    def cannot(inputs):
        raise NotApplicable("it computes elementwise formulas")

    def flaky(inputs):  # right for the first call, the warm-up calls and calibration (an untimed call, a timed one), then broken
        calls = []
        right = ratio_iou(*[torch.from_numpy(a) for a in inputs]).numpy()

        def call():
            calls.append(1)
            if len(calls) > 6:
                raise MemoryError("out of memory")
            return right
        return Prepared(call, lambda r: (r,))

    systems = [eager, _fake("wrong", off_by_a_bit), _fake("broken", raises), _fake("n/a", cannot),
               System("absent", None, module="no_such_package_here"), _fake("flaky", flaky)]
    m = measure(workload, systems, QUICK)
    assert m.outcomes["eager"].status == "ok" and len(m.outcomes["eager"].samples) == QUICK.rounds
    wrong = m.outcomes["wrong"]
    assert wrong.status == "wrong" and not wrong.samples
    assert "output 0 differs from eager mode's at (0, 0)" in wrong.reason and "12 of 12 elements" in wrong.reason
    assert m.outcomes["broken"].status == "failed"
    assert m.outcomes["broken"].reason == "RuntimeError: LLVM Backend not found"
    assert (m.outcomes["n/a"].status, m.outcomes["n/a"].reason) == ("n/a", "it computes elementwise formulas")
    assert m.outcomes["absent"].status == "missing"
    assert "No module named 'no_such_package_here'" in m.outcomes["absent"].reason
    flaky = m.outcomes["flaky"]
    assert (flaky.status, flaky.reason) == ("failed", "while timed: MemoryError: out of memory")
    assert m.bytes == 9 * 4 * 3 * 4  # eight inputs and one output of 12 floats

    # script is what the tables are about; here the 'wrong' system stands in for it
    m.outcomes["script"] = m.outcomes.pop("wrong")
    text = render(Run([m], QUICK, 2, {"machine": "test"}, [], "python -m minitorch_jit bench"))
    table = text[text.index("speedup over minitorch_jit eager"):]
    assert table.splitlines()[1].split() == ["workload", "script", "broken", "n/a", "flaky"]  # not 'absent'
    assert table.splitlines()[3].split() == ["ratio_iou", "(4,", "3)", "WRONG", "failed", "n/a", "failed"]
    assert "script: wrong on every workload: output 0 differs from eager mode's" in text
    assert "broken: failed on every workload: RuntimeError: LLVM Backend not found" in text
    assert "absent: not installed (No module named 'no_such_package_here')" in text


def test_rebind_runs_the_same_python_on_other_names():
    """What the peers rely on, checked with the bench's numpy system standing in for PyTorch:
    the numpy formulas give eager's values, in float32."""
    fake = NUMPY_TORCH
    boxes = [torch.rand(6) + 0.1 for _ in range(8)]
    got = rebind(ratio_iou, {"torch": fake})(*[b.numpy() for b in boxes])
    assert type(got) is np.ndarray and got.dtype == np.float32
    np.testing.assert_allclose(got, ratio_iou(*boxes).numpy(), rtol=1e-6)
    x = torch.randn(10)
    np.testing.assert_allclose(rebind(gelu, {"torch": fake})(x.numpy()), gelu(x).numpy(), rtol=1e-6)
    assert ratio_iou.__globals__["torch"] is torch  # the original is untouched
    # the module's other functions move too: lstm_cell calls lstm_pointwise
    cell = rebind(lstm_cell, {"torch": fake, "F": "functional"})
    assert cell.__globals__["lstm_pointwise"].__globals__["torch"] is fake
    assert cell.__globals__["F"] == "functional" and cell.__code__ is lstm_cell.__code__


@pytest.mark.parametrize("fn, n", [(ratio_iou, 8), (gelu, 1)])
def test_numexpr_expressions_compute_the_workload(fn, n):
    """numexpr's expressions are Python expressions too: evaluated by numpy, they give eager's values."""
    inputs = [(torch.randn(50) * 2).exp().numpy() for _ in range(n)]
    (text,), constants = expressions(fn, n)
    assert all(type(c) is np.float32 for c in constants.values())  # so that numexpr stays in float32
    names = dict(constants, **{f"a{i}": a for i, a in enumerate(inputs)})
    got = eval(text, {"where": np.where, "tanh": np.tanh, "exp": np.exp}, names)
    np.testing.assert_allclose(got, fn(*[torch.from_numpy(a) for a in inputs]).numpy(), rtol=1e-5)


# -- show -------------------------------------------------------------------------------------------


def test_show_prints_the_graph_the_optimized_graph_with_one_fusion_group_the_code_and_the_report(capsys):
    assert main(["show", f"{RATIO_IOU}:ratio_iou", "--shapes", BOXES]) == 0
    out = capsys.readouterr().out
    graph, optimized, code, fusion = out.split("== ratio_iou: ")[1:]
    assert graph.startswith("graph ==\ngraph(%x1 : Tensor,") and "aten::clamp" in graph
    assert optimized.startswith("optimized graph for inputs float32[8, 100], float32[8, 100],")
    assert optimized.count("= prim::FusionGroup_0(") == 1 and "prim::FusionGroup_1" not in optimized
    assert "with prim::FusionGroup_0 = graph(" in optimized
    assert code.startswith("code that runs for these inputs ==\ndef ratio_iou(") and "fusion_group_0(" in code
    assert fusion.startswith("fusion ==\nratio_iou: 1 fusion group") and "19 ops" in fusion


def test_show_without_shapes_prints_the_graph_and_code_and_says_what_shapes_add(tmp_path, capsys):
    source = tmp_path / "two.py"
    source.write_text("import minitorch_jit as torch\n\n\n"
                      "@torch.jit.script\ndef double(x):\n    return x * 2\n\n\n"
                      "@torch.jit.script\ndef scaled(x, k: int):\n    return torch.relu(x) * k\n\n\n"
                      "def plain(x):\n    return x\n")
    assert main(["show", str(source)]) == 0
    out = capsys.readouterr().out
    assert "== double: graph ==" in out and "== scaled: code ==" in out and "plain" not in out
    assert "give --shapes to see" in out
    assert main(["show", f"{source}:scaled", "--shapes", "3,4", "--arg", "k=3", "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert "optimized graph for inputs float64[3, 4], k=3" in out and "Double(*, *)" in out


@pytest.mark.parametrize("target, args, message", [
    ("examples/nowhere.py", [], "no such file: examples/nowhere.py"),
    ("examples/ratio_iou.py:iou", [], "has no 'iou'; its functions: ratio_iou, main"),
    ("examples/trace_lenet.py:Net", [], "has no 'Net'; its functions: main; its module classes: LeNet"),
    ("examples/rnn_module.py:RNN", [], "RNN is a module class whose constructor needs arguments"),
    ("examples/ratio_iou.py:ratio_iou", ["--shapes", "8,x"], "'8,x' is not a shape"),
    ("examples/ratio_iou.py:ratio_iou", ["--shapes", "8;8"], "the example inputs do not fit ratio_iou"),
    ("examples/ratio_iou.py:ratio_iou", ["--arg", "k=1"], "--arg goes with --shapes"),
])
def test_show_errors_say_what_is_wrong(target, args, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as e:
        main(["show", target, *args])
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def _ops(graph):
    return [n for n in graph.get_nodes() if n.get_name() not in ("node", "edge")]


def test_show_writes_valid_dot_with_the_fusion_group_as_a_cluster(tmp_path, capsys):
    path = tmp_path / "iou.dot"
    main(["show", f"{RATIO_IOU}:ratio_iou", "--shapes", BOXES, "--dot", str(path)])
    out = capsys.readouterr().out
    if shutil.which("dot"):
        assert f"wrote {path} and {tmp_path / 'iou.svg'}" in out and (tmp_path / "iou.svg").stat().st_size > 0
    else:
        assert f"wrote {path} (install Graphviz to render it: dot -Tsvg {path} -o {tmp_path / 'iou.svg'})" in out
    (graph,) = pydot.graph_from_dot_file(str(path))
    (cluster,) = graph.get_subgraphs()
    assert cluster.get_name().startswith("cluster_") and cluster.get("label") == '"prim::FusionGroup_0"'
    inside = _ops(cluster)
    assert len([n for n in inside if n.get("shape") != '"plaintext"']) == 19  # the ops; the rest are constants
    assert len(_ops(graph)) == 9  # the eight boxes and the return
    # every use is an edge: 8 inputs into the group are read 16 times, the ops read 19 * 2 values... in all:
    uses = sum(len(n.inputs) for n in torch.jit.script(ratio_iou).graph_for(
        *[torch.rand(8, 100) for _ in range(8)]).nodes[0].subgraph.nodes)
    assert len(graph.get_edges()) == uses + 1  # and the output into return


def test_dot_of_control_flow_draws_blocks_as_clusters_with_their_results_flowing_back():
    g = parse_graph("""graph(%x : Float(*), %n : int):
  %t : bool = prim::Constant[value=True]()
  %y : Float(*) = prim::Loop(%n, %t, %x)
    block0(%i : int, %h : Float(*)):
      %1 : Float(*) = aten::mul(%h, %h)
      -> (%t, %1)
  return (%y)
""")
    text = to_dot(g, "loop")
    (graph,) = pydot.graph_from_dot_data(text)
    assert graph.get_name() == '"loop"'
    (block,) = graph.get_subgraphs()
    assert block.get("label") == '"block0 of prim::Loop"'
    labels = [n.get("label") for n in _ops(block)]
    assert '"%i : int"' in labels and '"%h : Float(*)"' in labels and '"aten::mul\\n%1 : Float(*)"' in labels
    dashed = [e for e in graph.get_edges() if e.get("style") == '"dashed"']
    assert len(dashed) == 2  # the block's results, %t and %1, back to the loop
    # edges are all written outside the clusters: one inside would pull an outer node in
    assert not block.get_edges()


# what `show FILE.py` finds in each shipped example: what it scripts, traces or prints the graph of
EXAMPLES_SHOW = {
    "lstm_cell.py": ["lstm_cell"], "normalization.py": ["softmax", "layer_norm"], "peephole.py": ["dumb_function"],
    "pointwise.py": ["square5", "gelu"], "ratio_iou.py": ["ratio_iou"], "rnn_module.py": ["make_rnn()"],
    "script_vs_trace.py": ["my_function"], "trace_lenet.py": ["LeNet()"], "trace_mlp.py": ["mlp()"],
    "uniformity_loss.py": ["lunif2"], "train_mlp.py": ["make_model()"], "train_lenet.py": ["LeNet()"],
}


def test_the_table_of_examples_is_every_example():
    assert sorted(EXAMPLES_SHOW) == sorted(p.name for p in (ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("example", sorted(EXAMPLES_SHOW))
def test_show_on_each_example_finds_what_it_scripts_and_traces(example, capsys):
    assert main(["show", str(ROOT / "examples" / example)]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^== (.*): graph ==$", out, re.M) == EXAMPLES_SHOW[example]
    assert "not shown" not in out


def test_show_finds_a_module_class_by_what_the_file_traces_and_reports_one_it_cannot_make(tmp_path, capsys):
    source = tmp_path / "models.py"
    source.write_text("import minitorch_jit as torch\nfrom minitorch_jit import nn\n\n\n"
                      "class Small(nn.Module):\n    def forward(self, x):\n        return x.relu() + 1\n\n\n"
                      "class Sized(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
                      "        self.n = n\n\n    def forward(self, x):\n        return x * self.n\n\n\n"
                      "def main():\n    model = Small().eval()\n    traced = torch.jit.trace(model, torch.ones(2))\n"
                      "    print(traced.graph)\n    other = Sized(3)\n    print(torch.jit.script(other).code)\n")
    assert main(["show", str(source)]) == 0
    out = capsys.readouterr().out
    assert re.findall(r"^== (.*): graph ==$", out, re.M) == ["Small()"]
    assert "(not shown: Sized, a module class the file calls with arguments (line 23)" in out


def test_show_of_a_file_that_compiles_nothing_lists_functions_and_classes_apart(tmp_path, capsys):
    source = tmp_path / "plain.py"
    source.write_text("from minitorch_jit import nn\n\n\nclass Net(nn.Module):\n    pass\n\n\n"
                      "def helper(x):\n    return x\n")
    with pytest.raises(SystemExit):
        main(["show", str(source)])
    err = capsys.readouterr().err
    assert "has no @script functions and compiles nothing that can be shown" in err
    assert "(its functions: helper; its module classes: Net)" in err


def test_show_reports_a_factory_that_raises_and_shows_the_rest(tmp_path, capsys):
    source = tmp_path / "factories.py"
    source.write_text("import minitorch_jit as torch\nfrom minitorch_jit import nn\n\n\n"
                      "def broken():\n    raise OSError('weights.bin not found')\n\n\n"
                      "def double(x):\n    return x * 2\n\n\n"
                      "def main():\n    print(torch.jit.trace(broken(), torch.ones(2)).graph)\n"
                      "    print(torch.jit.script(double).code)\n")
    assert main(["show", str(source)]) == 0
    out = capsys.readouterr().out
    assert "(not shown: broken, calling broken() raised OSError: weights.bin not found)" in out
    assert re.findall(r"^== (.*): graph ==$", out, re.M) == ["double"]


def test_bench_times_training_steps_in_eager_mode_and_checks_their_gradients(tmp_path):
    out = run_cli("bench", "--workload", "train_step", "--json", "bench.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    steps = [w for w in report["workloads"] if "train step" in w["name"]]
    assert len(steps) == 2
    for w in steps:
        assert w["systems"]["eager"]["status"] == "ok"
        assert w["systems"]["script"]["status"] == "n/a"


def test_bench_busy_and_threads_are_reported(tmp_path):
    out = run_cli("bench", "--workload", "gelu", "--system", "numpy", "--threads", "1", "--busy",
                  "--json", "bench.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 threads, float32" in out.stdout and "another process keeping one core busy (--busy)" in out.stdout
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["busy"] is True and report["threads"] == 1


def test_the_busy_spinner_runs_while_the_bench_does_and_no_longer():
    from minitorch_jit.bench.command import _spinner

    def spinning():
        children = subprocess.run(["ps", "-o", "stat=,args=", "--ppid", str(os.getpid())],
                                  capture_output=True, text=True).stdout
        return [line for line in children.splitlines() if "while True: pass" in line]

    with _spinner(True):
        time.sleep(0.2)
        assert len(spinning()) == 1
    assert spinning() == []
    with _spinner(False):
        assert spinning() == []


def test_script_at_0_1_0_builds_its_own_kernels_the_old_way_and_leaves_the_settings_as_they_were():
    from minitorch_jit.bench import systems
    from minitorch_jit.codegen import buffers, launch
    from minitorch_jit.codegen.llvm import kernel, mathlib
    w = next(w for w in all_workloads(small=True) if w.family == "gelu")
    inputs = w.inputs()
    groups, pool_min = launch._groups, buffers.POOL_MIN
    new = next(s for s in all_systems() if s.name == "script").prepare(w, inputs)
    old = systems._script_0_1_0(w, inputs)
    got_new, got_old = new.call().numpy(), old.call().numpy()
    want = gelu(torch.from_numpy(inputs[0])).numpy()
    np.testing.assert_allclose(got_old, want, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(got_new, got_old)  # another tanh really ran
    assert launch._groups is groups and buffers.POOL_MIN == pool_min
    assert mathlib.FORMS == {} and kernel.INTERLEAVE
    with pytest.raises(NotApplicable):
        systems._script_0_1_0(next(w for w in all_workloads(small=True) if w.family == "softmax"), ())


def test_the_exported_system_is_not_applicable_to_backward_workloads():
    """It runs inference only: timed as a forward it was reported WRONG against eager's gradients."""
    from minitorch_jit.bench import systems
    from minitorch_jit.bench.workloads import NotApplicable
    w = next(w for w in all_workloads(small=True) if w.backward)
    with pytest.raises(NotApplicable, match="inference only"):
        systems._exported(w, w.inputs())


@pytest.mark.parametrize("n", range(1, 14))
def test_bench_rounds_put_each_system_after_each_other_equally_often(n):
    # a rotation kept each system after the same one in every round, so what a sample leaves
    # behind always slowed the same successor: script, after eager mode (35-45% on
    # ratio_iou (4000, 1000))
    orders = balanced_orders(n)
    assert all(sorted(order) == list(range(n)) for order in orders)
    follows = collections.Counter((a, b) for order in orders for a, b in zip(order, order[1:]))
    assert len(follows) == n * (n - 1) and len(set(follows.values())) <= 1


def test_no_timed_sample_starts_right_after_another_systems_call(monkeypatch):
    # the first call of a sample pays for what the sample before left behind (GELU 4M:
    # script@0.1.0/script read 1.13 in the bench, 1.44 in a loop of the two alone): each
    # sample starts with an untimed call
    from minitorch_jit.bench import harness
    workload = Workload("ratio_iou (4, 3)", "ratio_iou", ratio_iou,
                        lambda: tuple(np.full((4, 3), 1.5, np.float32) for _ in range(8)), pointwise=True)
    right = ratio_iou(*[torch.from_numpy(np.full((4, 3), 1.5, np.float32)) for _ in range(8)]).numpy()
    events = []

    def system(name):
        def call():
            events.append(name)
            return right
        return _fake(name, lambda inputs: Prepared(call, lambda r: (r,)))

    clock = time.perf_counter

    def perf_counter():
        events.append("clock")
        return clock()
    monkeypatch.setattr(harness, "time", types.SimpleNamespace(perf_counter=perf_counter))
    m = measure(workload, [all_systems()[0], system("a"), system("b")], QUICK,
                progress=lambda text: events.append(text))
    assert len(m.outcomes["a"].samples) == len(m.outcomes["b"].samples) == QUICK.rounds
    rounds = events[next(i for i, e in enumerate(events) if e.startswith("round")):]
    clocks = [i for i, e in enumerate(rounds) if e == "clock"]
    starts = clocks[::2]  # each sample reads the clock before its timed calls and after them
    assert len(starts) == 3 * QUICK.rounds
    follows = [(rounds[i - 1], rounds[i + 1]) for i in starts if rounds[i + 1] in "ab"]
    assert len(follows) == 2 * QUICK.rounds and all(before == after for before, after in follows)

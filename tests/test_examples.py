"""Every script in examples/ runs (at small sizes) and prints what it is there to show."""
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# what each example must print: the point it makes
SHOWS = {
    "ratio_iou": ["prim::FusionGroup_0(%x1, %x2, %y1, %y2, %w1, %w2, %h1, %h2)", "1 fusion group",
                  "largest difference from eager mode: 0.0", "fused:"],
    "script_vs_trace": ["prim::If", "scripted: tensor(1.)"],
    "peephole": ["aten::t(%1)", "graph(%x : Float(*, *, contiguous)):\n  return (%x)"],
    "pointwise": ["with prim::FusionGroup_0 = graph(%x : Float(*, contiguous)):", "aten::tanh", "gelu fused:"],
    "lstm_cell": ["%cy : Float(*, *), %hy : Float(*, *) = prim::FusionGroup_0(", "aten::linear", "fused:"],
    "uniformity_loss": ["aten::mm", "prim::FusionGroup_0", "lunif2 fused:"],
    "normalization": ["aten::amax", "%1 : Float(*, *) = prim::FusionGroup_0(%x)\n  return (%1)", "aten::rsqrt",
                      "= prim::FusionGroup_0(%x, %eps, %weight, %bias)\n  return", "layer_norm fused:"],
    "trace_mlp": ["aten::linear", "def forward(x,", "model(x) for a batch of 32: True", "loaded(x) == traced(x): True"],
    "trace_lenet": ["aten::conv2d", "aten::max_pool2d", "loaded(images) == net(images): True"],
    "rnn_module": ["prim::Loop", "prim::Print", "stats: ", "y: (25, 4, 2), h: (4, 16)"],
    "train_mlp": ["epoch   0  loss", "test accuracy: "],
    "train_lenet": ["epoch 0  loss", "test accuracy: "],
}
# what the training examples must reach at their small sizes (fixed seeds)
ACCURACY = {"train_mlp": 0.97, "train_lenet": 0.9}


def test_every_example_is_run_here():
    assert {p.stem for p in EXAMPLES.glob("*.py")} - {"__init__"} == set(SHOWS)


@pytest.mark.parametrize("name", sorted(SHOWS))
def test_example_runs_and_shows_its_point(name, monkeypatch, capsys):
    monkeypatch.setenv("MINITORCH_JIT_SMALL", "1")
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    out = capsys.readouterr().out
    for text in SHOWS[name]:
        assert text in out, f"{name}.py no longer prints {text!r}:\n{out}"
    if name in ACCURACY:
        accuracy = float(out.rsplit("test accuracy: ", 1)[1].split()[0])
        assert accuracy >= ACCURACY[name], out

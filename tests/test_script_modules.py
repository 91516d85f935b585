"""Scripting modules: script(module), ScriptModule subclasses with @script_method, and mixing
scripted and traced code; each program also runs the same with and without passes."""
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pytest
from differential import assert_same_with_and_without_passes, random_like
from script_util import kinds, roundtrip, same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.bench.programs.rnn_module import RNN
from minitorch_jit.nn import functional as F


def test_script_sequential_matches_eager_and_shares_parameters():
    torch.manual_seed(0)
    model = mlp()
    scripted = torch.jit.script(model)
    for batch in (8, 32):
        x = torch.randn(batch, 8)
        same(scripted(x), model(x))
    assert scripted.state_dict().keys() == model.state_dict().keys()
    assert [v.name for v in scripted.graph.inputs] == ["x", "self.0.weight", "self.0.bias", "self.2.weight",
                                                     "self.2.bias"]
    assert kinds(scripted.graph) == ["prim::CallFunction"] * 3
    roundtrip(scripted.graph)
    # parameters are read at each call: an in-place update (outside autograd, as an optimizer makes it) is seen
    with torch.no_grad():
        model[0].weight.mul_(2.0)
    x = torch.randn(4, 8)
    same(scripted(x), model(x))
    # the submodules are compiled too
    same(getattr(scripted, "0")(x), model[0](x))
    assert getattr(scripted, "0").forward.graph is not None


def test_script_lenet():
    torch.manual_seed(0)
    net = LeNet().eval()
    scripted = torch.script(net)
    x = torch.randn(2, 1, 28, 28)
    same(scripted(x), net(x))


class Block(nn.Module):
    def __init__(self, n: int):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n, n) for _ in range(3)])
        self.norm = nn.LayerNorm(n)
        self.drop = nn.Dropout(0.5)
        self.gate = nn.Linear(n, n, bias=False)
        self.register_buffer("offset", torch.arange(float(n)))
        self.scale = 0.5
        self.mode = "residual"
        self.dims = (0, 1)
        self.extra: Optional[nn.Module] = None

    def helper(self, x, k: int):
        return self.norm(x) * k

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = x + layer(x).relu() * (i + 1)
        if self.extra is not None:
            x = self.extra(x)
        if self.mode == "residual" and self.training:
            x = x + self.drop(x)
        y = self.helper(x, 2) + self.gate(x) * self.scale + self.offset
        return y.permute(self.dims[1], self.dims[0])


@torch.no_grad()  # inference: compiled plans run (in grad mode, parameters that require grad run on the tape)
def test_script_custom_module_with_submodules_methods_constants_and_buffers():
    torch.manual_seed(0)
    m = Block(4)
    s = torch.script(m)
    x = torch.randn(3, 4)
    torch.manual_seed(1)
    expected = m(x)
    torch.manual_seed(1)
    same(s(x), expected)
    # training is a graph input that plans specialize on (dropout folds away in eval mode):
    # one plan per mode, and switching back and forth compiles nothing more
    compiles = s.forward.executor.compiles  # s.forward is the compiled ScriptMethod
    s.eval()
    m.eval()
    same(s(x), m(x))
    assert s.forward.executor.compiles == compiles + 1
    s.train()
    s(x)
    s.eval()
    same(s(x), m(x))
    assert s.forward.executor.compiles == compiles + 1
    names = [v.name for v in s.graph.inputs]
    assert "self.training" in names and "self.offset" in names and "self.gate.weight" in names
    assert "prim::CallFunction" in kinds(s.graph)
    same(s.helper(x, 3), m.helper(x, 3))
    assert_same_with_and_without_passes(s, x)
    assert_same_with_and_without_passes(s, *random_like([x], 0))


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x, scale: float = 2.0, shift: int = 0):
        return self.fc(x) * scale + shift


def test_script_module_calls_take_positional_keyword_and_default_arguments():
    torch.manual_seed(0)
    m = Scaled()
    s = torch.script(m)
    x = torch.randn(3, 2)
    for args, kwargs in [((x,), {}), ((x,), {"scale": 3.0}), ((x,), {"shift": 1}), ((x, 1.5, 2), {}),
                         ((), {"x": x, "shift": -1, "scale": 0.5})]:
        same(s(*args, **kwargs), m(*args, **kwargs))
    with pytest.raises(TypeError, match="too many positional arguments"):
        s(x, 1.0, 2, 3)
    with pytest.raises(TypeError, match="for argument 'shift'"):
        s(x, shift="1")
    assert s.code.startswith("def forward(x, scale, shift, self_fc_weight, self_fc_bias):\n")


def test_all_layers_script():
    torch.manual_seed(0)
    layers = [nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2), nn.ReLU(), nn.ReLU(inplace=True), nn.GELU(),
              nn.GELU("tanh"), nn.Tanh(), nn.Sigmoid(), nn.SiLU(), nn.Softmax(dim=1), nn.Softmax(),
              nn.LogSoftmax(dim=-1), nn.Flatten(), nn.Identity(), nn.LayerNorm([2, 4, 4]), nn.Dropout(0.0)]
    x = torch.randn(2, 2, 4, 4)
    for layer in layers:
        s = torch.script(layer)
        same(s(x.clone()), layer(x.clone()))
        assert_same_with_and_without_passes(s, x)
        assert_same_with_and_without_passes(s, *random_like([x], 0))
    emb = nn.Embedding(10, 3, padding_idx=0)
    idx = torch.tensor([[0, 3], [9, 1]])
    same(torch.script(emb)(idx), emb(idx))
    assert_same_with_and_without_passes(torch.script(emb), idx)


def test_the_seeds_rnn_script_module(capsys):
    torch.manual_seed(0)
    params = (torch.randn(4, 8), torch.randn(8, 8), torch.randn(8, 3), torch.randn(8), torch.randn(3))
    rnn = RNN(*params)
    x, h0 = torch.randn(25, 2, 4), torch.zeros(2, 8)
    ys, h = rnn(x, h0)
    W_h, U_h, W_y, b_h, b_y = params
    h_ref, outs = h0, []
    for t in range(25):
        h_ref = torch.tanh(x[t] @ W_h + h_ref @ U_h + b_h)
        outs.append(torch.tanh(h_ref @ W_y + b_y))
    # fused tanh is within a few ulps; the recurrence carries them on, through sums that cancel
    np.testing.assert_allclose(ys.numpy(), torch.stack(outs).numpy(), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(h.numpy(), h_ref.numpy(), rtol=1e-6, atol=1e-5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("stats:  tensor(") for line in lines)  # t = 0, 10, 20
    assert isinstance(rnn, torch.jit.ScriptModule) and type(rnn).__name__ == "RNN"
    graph = str(rnn.graph)
    assert "prim::Loop" in graph and "prim::Print" in graph and "aten::stack" in graph
    # zero steps: the loop does not run and stack raises, as in Python
    with pytest.raises(RuntimeError):
        rnn(torch.randn(0, 2, 4), h0)


class LSTMCell(torch.jit.ScriptModule):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.w_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))
        self.w_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))
        self.b_ih = nn.Parameter(torch.randn(4 * hidden_size))
        self.b_hh = nn.Parameter(torch.randn(4 * hidden_size))

    @torch.jit.script_method
    def forward(self, input, hidden: Tuple[torch.Tensor, torch.Tensor]):
        hx, cx = hidden
        gates = (F.linear(input, self.w_ih, self.b_ih) + F.linear(hx, self.w_hh, self.b_hh))
        ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
        ingate = F.sigmoid(ingate)
        forgetgate = F.sigmoid(forgetgate)
        cellgate = F.tanh(cellgate)
        outgate = F.sigmoid(outgate)
        cy = (forgetgate * cx) + (ingate * cellgate)
        hy = outgate * F.tanh(cy)
        return hy, cy


def test_the_seeds_lstm_cell_as_a_script_method():
    torch.manual_seed(0)
    cell = LSTMCell(10, 20)
    x, hx, cx = torch.randn(3, 10), torch.randn(3, 20), torch.randn(3, 20)
    hy, cy = cell(x, (hx, cx))
    gates = F.linear(x, cell.w_ih, cell.b_ih) + F.linear(hx, cell.w_hh, cell.b_hh)
    i, f, g, o = gates.chunk(4, 1)
    cy_ref = F.sigmoid(f) * cx + F.sigmoid(i) * F.tanh(g)
    # the (hx, cx) tuple is specialized, so the pointwise tail runs fused: within the fused
    # transcendentals' accuracy
    np.testing.assert_allclose(cy.numpy(), cy_ref.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hy.numpy(), (F.sigmoid(o) * F.tanh(cy_ref)).numpy(), rtol=1e-6, atol=1e-6)
    # its parameters require grad: the cell is one differentiable graph, whose forward fuses the tail
    region, = [n for n in cell.graph_for(x, (hx, cx)).nodes if n.kind == "prim::DifferentiableGraph"]
    assert any(n.kind == "prim::FusionGroup" for n in region.subgraph.nodes)
    assert_same_with_and_without_passes(cell, x, (hx, cx), fused_atol=1e-6)
    assert_same_with_and_without_passes(cell, *random_like([x], 0), tuple(random_like([hx, cx], 1)), fused_atol=1e-6)


class Wrapper(torch.jit.ScriptModule):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)  # a plain module: scripted when the constructor returns

    @torch.jit.script_method
    def forward(self, x):
        return self.twice(self.fc(x))

    @torch.jit.script_method
    def twice(self, x):
        return x * 2


def test_script_module_subclass_with_plain_submodule_and_two_script_methods():
    w = Wrapper()
    x = torch.randn(2, 3)
    same(w(x), (F.linear(x, w.fc.weight, w.fc.bias)) * 2)
    assert isinstance(w.fc, torch.jit.ScriptModule)
    same(w.twice(x), x * 2)
    assert_same_with_and_without_passes(w, x)


# -- mixing scripting and tracing -----------------------------------------------------------------


@torch.jit.script
def clip_or_flip(x):
    if bool(x.sum() > 0):
        return x.clamp(max=1.0)
    return -x


def traced_body(x):
    return clip_or_flip(x * 2) + 1


def test_a_script_function_called_while_tracing_keeps_its_control_flow():
    traced = torch.jit.trace(traced_body, (torch.ones(3),))
    call = next(n for n in traced.graph.nodes if n.kind == "prim::CallFunction")
    assert "prim::If" in kinds(call.subgraph)
    for x in (torch.ones(3), -torch.ones(3), torch.tensor([3.0, -0.5])):
        same(traced(x), traced_body(x))
        assert_same_with_and_without_passes(traced, x)
        assert_same_with_and_without_passes(clip_or_flip, x)


class Gate(nn.Module):
    def forward(self, x):
        if bool(x.mean() > 0):
            return x * 10
        return x


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.gate = torch.jit.script(Gate())

    def forward(self, x):
        return self.gate(self.fc(x))


def test_tracing_a_module_with_a_scripted_submodule_keeps_its_control_flow():
    torch.manual_seed(0)
    m = Outer()
    x = torch.ones(1, 2)
    traced = torch.jit.trace(m, x)
    assert "prim::CallMethod" in kinds(traced.graph)  # (the scripted submodule's forward, called)
    for sign in (1.0, -1.0):
        big = torch.full((3, 2), 50.0 * sign)
        same(traced(big), m(big))
        assert_same_with_and_without_passes(traced, big)


def test_a_script_function_can_call_a_traced_function():
    traced = torch.jit.trace(lambda x: x * 3, (torch.ones(2),))

    def uses_trace(x, n: int):
        for _ in range(n):
            x = traced(x)
        return x

    s = torch.script(uses_trace)
    same(s(torch.ones(2), 2), torch.ones(2) * 9)
    for n in (0, 2, 5):
        assert_same_with_and_without_passes(s, torch.randn(3), n)


ROOT = Path(__file__).resolve().parents[1]


def test_disable_gives_back_plain_python_for_functions_modules_and_script_module_classes(tmp_path):
    program = tmp_path / "disabled.py"
    program.write_text(textwrap.dedent('''
        import minitorch_jit as torch
        from minitorch_jit import nn

        def f(x):
            return x + 1

        class Cell(torch.jit.ScriptModule):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.ones(2))

            @torch.jit.script_method
            def forward(self, x):
                return x * self.w

        m = nn.Linear(2, 2)
        assert torch.jit.script(f) is f
        assert torch.jit.script(m) is m
        cell = Cell()
        assert "forward" not in cell._methods and cell(torch.ones(2)).tolist() == [1.0, 1.0]
        print("plain python")
    '''))
    env = dict(os.environ, MINITORCH_JIT_DISABLE="1")
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "plain python"


def test_the_script_vs_trace_example(capsys):
    runpy.run_path(str(ROOT / "examples" / "script_vs_trace.py"), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    traced = lines[:lines.index("scripted graph (both branches, chosen at run time):")]
    assert traced[1] == "graph(%x : Float(*, *)):" and "prim::If" not in "\n".join(traced)  # the branch is frozen
    assert lines[-2].split()[-4:] == ["traced:", "tensor(2.)", "scripted:", "tensor(2.)"]
    assert lines[-1].split() == ["torch.ones(2,", "2).add_(1.0)", "python:", "tensor(1.)", "traced:", "tensor(2.)",
                                 "scripted:", "tensor(1.)"]
    assert "  %r : Tensor = prim::If(%4)" in lines

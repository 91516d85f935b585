"""Gradients through compiled functions: every program of the scripting and tracing suites
(``programs.PROGRAMS``) is called with inputs (and parameters) that require grad, through its
``prim::DifferentiableGraph`` plan, and its gradients are compared with those of the same graph
run op by op on the eager tape. float64 within 1e-10 (relative); float32 within the fused
kernels' stated bound (``graph_checks.FUSED_RTOL``). ``gradcheck`` passes through compiled
functions, and ``MINITORCH_JIT_DISABLE=1`` gives the same gradients."""
import numpy as np
import pytest
from graph_checks import FUSED_RTOL
from programs import PROGRAMS

import minitorch_jit as torch
from minitorch_jit.autograd import gradcheck, gradgradcheck
from minitorch_jit.bench.programs.lstm_cell import lstm_cell, lstm_inputs
from minitorch_jit.bench.programs.pointwise import gelu
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.runtime.executor import GraphExecutor


def _leaves(value, double):
    """The call's arguments with every float tensor a fresh leaf that requires grad."""
    if isinstance(value, torch.Tensor):
        if not value.dtype.is_floating_point:
            return value
        t = value.detach().clone()
        return (t.double() if double else t).requires_grad_(True)
    if isinstance(value, tuple):
        return tuple(_leaves(v, double) for v in value)
    return value


def _tensors(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _gradients(compiled, args, params):
    """The gradients of a fixed random weighting of the outputs, with respect to the float
    inputs and the parameters (or the error the call raised)."""
    try:
        outs = [o for o in _tensors(compiled(*args)) if o.requires_grad]
        if not outs:
            return None
        rng = np.random.default_rng(0)
        loss = sum((o * torch.tensor(rng.standard_normal(o.shape), dtype=o.dtype)).sum() for o in outs)
        leaves = [t for t in _tensors(args) if t.requires_grad] + params
        return [None if g is None else g.numpy().copy()
                for g in torch.autograd.grad(loss, leaves, allow_unused=True)]
    except RuntimeError as e:
        return ("raised", str(e))


def _on_the_tape(monkeypatch):
    """Compiled functions called with inputs that require grad run op by op on the tape."""
    monkeypatch.setattr(GraphExecutor, "grad_plan", lambda self, args: None)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_compiled_gradients_match_the_eager_tape(program, monkeypatch):
    compiled = program.build()
    params = [p for p in getattr(compiled, "parameters", lambda: [])() if p.requires_grad]
    for example in program.examples()[:2]:
        double = all(t.dtype == torch.float64 for t in _tensors(example) if t.dtype.is_floating_point) \
            and not params
        args = _leaves(example, double)
        got = _gradients(compiled, args, params)
        with monkeypatch.context() as m:
            _on_the_tape(m)
            wanted = _gradients(compiled, _leaves(example, double), params)
        if got is None or isinstance(got, tuple):
            assert got == wanted
            continue
        assert isinstance(wanted, list) and len(got) == len(wanted)
        for g, w in zip(got, wanted):
            if w is None:
                assert g is None or not g.any()  # an input the backward reaches with no effect
                continue
            rtol = 1e-10 if w.dtype == np.float64 else FUSED_RTOL["float32"]
            # relative to the gradient's largest element: sums that cancel leave small ones
            scale = np.abs(w).max() if w.size else 0.0
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale)


def test_some_programs_run_float64_and_through_differentiable_graphs():
    # the comparison above is not vacuous: these run compiled regions, in float64
    s = torch.jit.script(ratio_iou)
    boxes = [torch.rand(4, 5, dtype=torch.float64, requires_grad=True) for _ in range(8)]
    assert "prim::DifferentiableGraph" in str(s.graph_for(*boxes))
    out = s(*boxes)
    assert out.grad_fn.name() == "DifferentiableGraphBackward"


# the seeds' programs on small float64 inputs, for gradcheck and gradgradcheck
FLOAT64_PROGRAMS = [
    (ratio_iou, lambda: [torch.rand(2, 3, dtype=torch.float64) + 0.1 for _ in range(8)]),
    (gelu, lambda: [torch.randn(5, 3, dtype=torch.float64)]),
    (lstm_cell, lambda: [t.double() for t in lstm_inputs(2, 3, 4)]),
]


@pytest.mark.parametrize("fn, make", FLOAT64_PROGRAMS)
def test_gradcheck_through_compiled_functions(fn, make):
    torch.manual_seed(0)
    s = torch.jit.script(fn)
    inputs = [t.requires_grad_(True) for t in make()]
    assert gradcheck(s, inputs)
    assert any(n.kind == "prim::DifferentiableGraph" for n in s.graph_for(*inputs).nodes)


def test_lstm_cell_graph_for_shows_forward_and_backward_each_fused():
    torch.manual_seed(0)
    s = torch.jit.script(lstm_cell)
    args = [t.requires_grad_(True) for t in lstm_inputs(4, 8, 16)]
    text = str(s.graph_for(*args))
    forward = text.split("with prim::DifferentiableGraph_0 = graph")[1].split("\nwith ")[0]
    backward = text.split("with prim::DifferentiableGraph_0_backward = graph")[1].split("\nwith ")[0]
    assert "prim::FusionGroup" in forward and "prim::FusionGroup" in backward


def test_explain_says_why_ops_were_left_to_the_tape_and_what_is_saved():
    def f(x, w):
        y = (x * w).sigmoid()
        if bool(y.sum() > 0.0):
            y = y * 2.0
        z = y.t()
        z.add_(x.t())  # a write through a view: the tape follows it
        return (y.exp() * w).sum()

    s = torch.jit.script(f)
    x, w = torch.randn(3, 4, requires_grad=True), torch.randn(3, 4, requires_grad=True)
    got = torch.autograd.grad(s(x, w), [x, w])
    text = s.explain(x, w)
    assert "2 differentiable graphs" in text
    assert "because control flow stays outside differentiable graphs" in text
    assert "because in-place op: left to the eager tape" in text
    assert "because a view in a graph with in-place ops: left to the eager tape" in text
    assert "saves" in text and "bytes besides its inputs" in text
    for a, b in zip(got, torch.autograd.grad(f(x, w), [x, w])):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=FUSED_RTOL["float32"], atol=1e-6)


@pytest.mark.parametrize("fn, make", FLOAT64_PROGRAMS)
def test_second_derivatives_through_compiled_functions(fn, make):
    # create_graph=True: the region's backward runs its forward again on the tape and records
    torch.manual_seed(0)
    s = torch.jit.script(fn)
    inputs = [t.requires_grad_(True) for t in make()]
    assert gradgradcheck(s, inputs)
    out = s(*inputs)
    assert (out[0] if isinstance(out, tuple) else out).grad_fn.name() == "DifferentiableGraphBackward"


def test_create_graph_through_a_compiled_function_matches_eager():
    s = torch.jit.script(gelu)
    x = torch.randn(6, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(s(x).sum(), [x], create_graph=True)
    (gg,) = torch.autograd.grad((g * g).sum(), [x])
    (e,) = torch.autograd.grad(gelu(x).sum(), [x], create_graph=True)
    (ee,) = torch.autograd.grad((e * e).sum(), [x])
    np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gg.numpy(), ee.numpy(), rtol=1e-10)


@pytest.mark.parametrize("backward", [
    lambda y, base: y.backward(),  # the compiled backward
    lambda y, base: torch.autograd.grad(y, [base], create_graph=True),  # the forward again, on the tape
])
def test_the_backward_refuses_an_input_written_since_the_forward(backward):
    s = torch.jit.script(gelu)
    base = torch.randn(4, requires_grad=True)
    x = base * 1.0
    y = s(x).sum()
    x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        backward(y, base)


def test_jit_disabled_gives_the_same_gradients(monkeypatch):
    torch.manual_seed(0)
    args = [t.double().requires_grad_(True) for t in lstm_inputs(3, 4, 5)]
    hy, cy = torch.jit.script(lstm_cell)(*args)
    compiled = torch.autograd.grad((hy * cy).sum(), args)
    monkeypatch.setenv("MINITORCH_JIT_DISABLE", "1")
    plain = torch.jit.script(lstm_cell)
    assert plain is lstm_cell or not hasattr(plain, "graph_for")
    hy, cy = plain(*args)
    eager = torch.autograd.grad((hy * cy).sum(), args)
    for a, b in zip(compiled, eager):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)


def test_gelu_saves_nothing_but_its_input():
    # the bar of issue 14: GELU's saved values take no more than one tensor of the input's size
    s = torch.jit.script(gelu)
    x = torch.randn(1000, requires_grad=True)
    s(x).sum().backward()
    text = s.explain(x)
    assert "saves 1 value for the backward (1 of them its inputs)" in text
    assert "saved 0 bytes besides its inputs in its last call" in text


def test_a_saved_and_loaded_module_trains_through_differentiable_graphs(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    torch.jit.script(model).save(str(tmp_path / "m.mtj"))
    loaded = torch.jit.load(str(tmp_path / "m.mtj"))
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    torch.nn.functional.mse_loss(loaded(x), y).backward()
    torch.nn.functional.mse_loss(model(x), y).backward()
    for a, b in zip(loaded.parameters(), model.parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=FUSED_RTOL["float32"], atol=1e-6)
    assert any(n.kind == "prim::DifferentiableGraph" for n in loaded.graph_for(x).nodes)

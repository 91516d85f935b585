"""The seeds' programs in the forms they are written in fuse like their flat forms: state
passed as a ``Tuple[Tensor, Tensor]`` (and traced as a nested tuple), ``Optional[Tensor]``
arguments, and CNNs after their convolutions and pools."""
from typing import Optional

import numpy as np

import minitorch_jit as torch
from minitorch_jit import Tensor
from minitorch_jit.bench.programs.lstm_cell import lstm_cell, lstm_cell_hidden, lstm_inputs


def groups(graph):
    return [n for n in graph.nodes if n.kind == "prim::FusionGroup"]


def pointwise_kinds(group):
    return sorted(n.kind for n in group.subgraph.nodes if n.kind != "prim::Constant")


def test_lstm_cell_with_a_tuple_state_has_one_group_like_the_flat_form():
    x, hx, cx, *weights = lstm_inputs(4, 8, 8)
    flat = torch.jit.script(lstm_cell)
    hidden = torch.jit.script(lstm_cell_hidden)
    (flat_group,) = groups(flat.graph_for(x, hx, cx, *weights))
    g = hidden.graph_for(x, (hx, cx), *weights)
    (group,) = groups(g)
    assert pointwise_kinds(group) == pointwise_kinds(flat_group)
    assert pointwise_kinds(group).count("aten::sigmoid") == 3 and len(pointwise_kinds(group)) == 9
    # the tuple input is specialized: its tensors' dtypes are known inside the group
    assert "%hidden : (Float(*, *, contiguous), Float(*, *, contiguous))" in str(g)
    for got, want in zip(hidden(x, (hx, cx), *weights), lstm_cell(x, hx, cx, *weights)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


def test_lstm_cell_traced_with_a_nested_tuple_fuses_and_runs_other_batch_sizes():
    x, hx, cx, *weights = lstm_inputs(4, 8, 8)
    traced = torch.jit.trace(lstm_cell_hidden, (x, (hx, cx), *weights))
    assert "prim::TupleUnpack" in str(traced.graph)
    (group,) = groups(traced.graph_for(x, (hx, cx), *weights))
    assert len(pointwise_kinds(group)) == 9
    x2, hx2, cx2, *_ = lstm_inputs(6, 8, 8)
    for got, want in zip(traced(x2, (hx2, cx2), *weights), lstm_cell(x2, hx2, cx2, *weights)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


def test_an_optional_tensor_passed_a_tensor_is_specialized_and_fuses():
    @torch.jit.script
    def scale(x, y: Optional[Tensor]):
        if y is None:
            return x * 2.0
        return x * y + 1.0

    x, y = torch.randn(3, 4), torch.randn(3, 4)
    g = scale.graph_for(x, y)
    assert [n.kind for n in g.nodes] == ["prim::FusionGroup"]
    np.testing.assert_allclose(scale(x, y).numpy(), (x * y + 1.0).numpy(), rtol=1e-6)
    # None is a plan of its own, with the other branch
    np.testing.assert_allclose(scale(x, None).numpy(), (x * 2.0).numpy(), rtol=1e-6)
    assert "aten::__is__" not in str(scale.graph_for(x, None))


def test_scripted_and_traced_lenet_fuse_after_their_convolutions():
    from minitorch_jit.bench.programs.lenet import LeNet
    torch.manual_seed(0)
    net = LeNet().eval()
    x = torch.randn(4, 1, 28, 28)
    for compiled in (torch.jit.script(net), torch.jit.trace(net, x)):
        with torch.no_grad():  # the inference plan: the parameters require grad
            g = compiled.graph_for(x)
        *fused, last = groups(g)
        assert len(fused) == 2, str(g)
        for group in fused:
            assert pointwise_kinds(group) == ["aten::add", "aten::relu"]  # the conv's bias and the relu
            assert group.inputs[0].node.kind == "aten::conv2d"
        assert pointwise_kinds(last) == ["aten::log_softmax"]  # a row kernel
        # the pools keep their shapes: what follows them is typed
        pools = [n for n in g.nodes if n.kind == "aten::max_pool2d"]
        assert [str(p.output.type) for p in pools] == ["Float(4, 6, 12, 12)", "Float(4, 16, 4, 4)"]
        np.testing.assert_allclose(compiled(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-6)


@torch.no_grad()  # the inference plans: the parameters require grad
def test_resnet_blocks_fuse_batch_norm_relu_and_the_residual_add():
    from minitorch_jit.bench.programs.resnet import ResNet18
    torch.manual_seed(0)
    net = ResNet18(10, width=8).eval()
    x = torch.randn(2, 3, 32, 32)
    scripted = torch.jit.script(net)
    fused = groups(scripted.graph_for(x))
    kinds = [pointwise_kinds(g) for g in fused]
    # the stem and each block's first conv: batch norm and relu; second conv: batch norm; then
    # the residual add and relu; projections: batch norm
    bn_relu = sorted(["aten::add", "aten::add", "aten::div", "aten::mul", "aten::relu", "aten::sqrt", "aten::sub"])
    assert kinds.count(bn_relu) == 9
    assert kinds.count(["aten::add", "aten::relu"]) == 8
    assert not [n for n in scripted.graph_for(x).nodes if n.kind in ("aten::batch_norm", "aten::relu_", "aten::add_")]
    np.testing.assert_allclose(scripted(x).numpy(), net(x).numpy(), rtol=1e-4, atol=1e-5)
    traced = torch.jit.trace(net, x)
    assert len(groups(traced.graph_for(x))) == len(fused)
    np.testing.assert_allclose(traced(x).numpy(), net(x).numpy(), rtol=1e-4, atol=1e-5)

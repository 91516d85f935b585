"""The tracer: graphs of op calls that generalize across batch sizes, and its warnings."""
import re
import warnings

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.bench.programs.script_vs_trace import my_function
from minitorch_jit.jit import TracerWarning, TracingCheckError


def kinds(graph):
    return [n.kind for n in graph.nodes if n.kind != "prim::Constant"]


def test_foo_is_mul_and_add():
    def foo(x, y):
        return 2 * x + y
    traced = torch.jit.trace(foo, (torch.rand(3), torch.rand(3)))
    assert kinds(traced.graph) == ["aten::mul", "aten::add"]
    x, y = torch.rand(5), torch.rand(5)
    np.testing.assert_array_equal(traced(x, y).numpy(), (2 * x + y).numpy())
    assert "def foo(x, y):" in traced.code


def test_my_function_warns_and_freezes_the_branch():
    with pytest.warns(TracerWarning, match="Python boolean might cause the trace to be incorrect") as rec:
        traced = torch.jit.trace(my_function, (torch.ones(2, 2),))
    assert rec[0].filename.endswith("script_vs_trace.py")
    assert rec[0].lineno == my_function.__code__.co_firstlineno + 1  # the `if x.mean() > 1.0:` line
    assert kinds(traced.graph) == []  # the frozen branch is a constant
    assert traced(torch.ones(2, 2).add_(1.0)).item() == 2.0  # the trace took the else branch
    assert my_function(torch.ones(2, 2).add_(1.0)).item() == 1.0


@pytest.mark.parametrize("conversion, what", [
    (lambda t: bool(t), "boolean"),
    (lambda t: 1 if t > 0 else 0, "boolean"),
    (lambda t: int(t), "integer"),
    (lambda t: float(t), "float"),
    (lambda t: t.item(), "number"),
    (lambda t: t.tolist(), "list"),
], ids=["bool", "if", "int", "float", "item", "tolist"])
def test_conversions_to_python_warn_naming_the_users_line(conversion, what):
    def f(x):
        conversion(x.sum())
        return x
    with pytest.warns(TracerWarning, match=f"Converting a tensor to a Python {what} might cause the trace to be "
                                           "incorrect") as rec:
        # (the check_trace run traces again, and warns again, as PyTorch's does)
        traced = torch.jit.trace(f, (torch.ones(1),), check_trace=False)
    assert len(rec) == 1 and "the trace might not generalize to other inputs" in str(rec[0].message)
    assert (rec[0].filename, rec[0].lineno) == (__file__, conversion.__code__.co_firstlineno)
    np.testing.assert_array_equal(traced(torch.ones(3)).numpy(), np.ones(3, np.float32))


def test_mlp_trace_matches_eager_on_another_batch_size():
    torch.manual_seed(0)
    m = mlp()
    traced = torch.jit.trace(m, torch.randn(8, 8))
    assert kinds(traced.graph) == ["aten::linear", "aten::tanh", "aten::linear"]
    assert [v.name for v in traced.graph.inputs] == ["x", "self.0.weight", "self.0.bias", "self.2.weight",
                                                     "self.2.bias"]
    x = torch.randn(32, 8)
    np.testing.assert_array_equal(traced(x).numpy(), m(x).numpy())
    assert traced.state_dict().keys() == m.state_dict().keys()


def test_lenet_trace_matches_eager_on_another_batch_size():
    torch.manual_seed(0)
    net = LeNet().eval()
    traced = torch.jit.trace(net, torch.randn(8, 1, 28, 28))
    assert kinds(traced.graph) == [
        "aten::conv2d", "aten::relu", "aten::max_pool2d", "aten::conv2d", "aten::relu", "aten::max_pool2d",
        "aten::size", "prim::ListConstruct", "aten::view", "aten::linear", "aten::relu", "aten::dropout",
        "aten::linear", "aten::log_softmax"]
    x = torch.randn(32, 1, 28, 28)
    # not bit for bit: a product may split across threads in one call and not in the other
    # (the cost model decides from measured times), and BLAS tiles a block of rows or columns
    # differently from the whole product
    np.testing.assert_allclose(traced(x).numpy(), net(x).numpy(), rtol=1e-6, atol=1e-6)


def test_sizes_are_recorded_not_frozen():
    def flat(x):
        n = x.shape[0]
        return x.reshape(n * 2, -1), x.size(1) + 1, x.dim()
    traced = torch.jit.trace(flat, (torch.ones(4, 6),))
    out, s1, d = traced(torch.ones(10, 8))
    assert tuple(out.shape) == (20, 4) and s1 == 9 and d == 2
    assert "aten::size" in kinds(traced.graph) and "aten::mul" in kinds(traced.graph)


def test_parameter_updates_are_seen_by_the_trace():
    m = nn.Linear(3, 2)
    traced = torch.jit.trace(m, torch.ones(1, 3))
    with torch.no_grad():
        m.weight.zero_()
        m.bias.fill_(1.0)
    np.testing.assert_array_equal(traced(torch.ones(4, 3)).numpy(), np.ones((4, 2), np.float32))


def test_in_place_ops_and_indexing_are_recorded():
    def f(x):
        y = x.clone()
        y[y < 0] = 0
        y[:, 1:] = y[:, 1:] * 2
        return y.add_(1)
    traced = torch.jit.trace(f, (torch.randn(3, 4),))
    x = torch.randn(5, 6)
    np.testing.assert_array_equal(traced(x).numpy(), f(x).numpy())


def test_calling_with_wrong_arguments_is_a_type_error_naming_the_parameter():
    traced = torch.jit.trace(lambda x, y: x + y, (torch.ones(2), torch.ones(2)))
    with pytest.raises(TypeError, match=r"Expected a value of type 'Tensor' for argument 'y' but instead found type 'int'"):
        traced(torch.ones(2), 3)
    with pytest.raises(TypeError, match="missing a required argument: 'y'"):
        traced(torch.ones(2))
    with pytest.raises(TypeError, match="too many positional arguments"):
        traced(torch.ones(2), torch.ones(2), torch.ones(2))


def test_shape_mismatch_names_both_shapes():
    traced = torch.jit.trace(lambda x, y: x + y, (torch.ones(2), torch.ones(2)))
    with pytest.raises(RuntimeError, match=re.escape("The size of tensor a (3) must match the size of tensor b (4) "
                                                     "at non-singleton dimension 0")):
        traced(torch.ones(3), torch.ones(4))


def test_check_inputs_reports_a_difference():
    # my_function's branch reads the data: traced again on the check input, the frozen value
    # differs (PyTorch's message)
    with pytest.raises(TracingCheckError, match="Tensor-valued Constant nodes differed in value across invocations"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TracerWarning)
            torch.jit.trace(my_function, (torch.ones(2, 2),), check_inputs=[(torch.ones(2, 2) * 3,)])
    torch.jit.trace(lambda x: x * 2, (torch.ones(2),), check_inputs=[(torch.ones(5),)])


def test_returning_the_input_returns_the_same_tensor():
    traced = torch.jit.trace(lambda x: x, (torch.ones(2),))
    x = torch.ones(3)
    assert traced(x) is x


def test_tuple_outputs():
    traced = torch.jit.trace(lambda x: (x.max(0)[0], x.min(0).indices), (torch.randn(3, 4),))
    x = torch.randn(6, 2)
    a, b = traced(x)
    np.testing.assert_array_equal(a.numpy(), x.numpy().max(0))
    np.testing.assert_array_equal(b.numpy(), x.numpy().argmin(0))


def test_inputs_named_like_generated_globals_do_not_shadow_them():
    def f(aten, dtype_float32):
        return torch.tanh(aten).to(torch.float32) + dtype_float32
    traced = torch.jit.trace(f, (torch.ones(2), torch.ones(2)))
    np.testing.assert_allclose(traced(torch.zeros(2), torch.ones(2)).numpy(), [1.0, 1.0])


def test_a_tensor_created_inside_and_written_with_traced_data_starts_fresh_each_call():
    def f(x):
        c = torch.zeros(3)
        c.add_(x)
        return c
    traced = torch.jit.trace(f, (torch.ones(3),))
    assert traced(torch.ones(3)).tolist() == [1.0, 1.0, 1.0]
    assert traced(torch.ones(3)).tolist() == [1.0, 1.0, 1.0]
    assert traced(torch.full([3], 5.0)).tolist() == [5.0, 5.0, 5.0]


def test_writing_into_a_graph_constant_is_an_error_not_a_silent_change():
    from minitorch_jit.codegen.host import generate
    from minitorch_jit.ir import parse_graph
    g = parse_graph("graph(%x : Float(*)):\n"
                    "  %c : Float(2) = prim::Constant[value=tensor([1.0, 2.0], dtype=float32)]()\n"
                    "  %y : Float(2) = aten::add_(%c, %x)\n  return (%y)\n")
    with pytest.raises(RuntimeError, match="read-only"):
        generate(g).fn(np.ones(2, np.float32))
    assert g.nodes[0].attrs["value"].tolist() == [1.0, 2.0]


def test_ops_with_data_dependent_sizes_trace_and_rerun_on_other_data():
    def f(x):
        rows, cols = torch.where(x > 1.0)
        return torch.nonzero(x), x[rows, cols], torch.nonzero(x, as_tuple=True)[1], torch.round(x, decimals=1)
    traced = torch.jit.trace(f, (torch.tensor([[1.26, 0.0, 3.5], [0.0, 2.0, -1.0]]),))
    assert kinds(traced.graph)[:4] == ["aten::gt", "aten::where", "prim::ListUnpack", "aten::nonzero"]
    assert "aten::nonzero_numpy" in kinds(traced.graph) and "aten::round" in kinds(traced.graph)
    y = torch.tensor([[5.0, 0.0], [1.55, 0.0], [0.0, 0.0], [-2.0, 7.25]])
    got, want = traced(y), f(y)
    assert [g.tolist() for g in got] == [w.tolist() for w in want]
    assert want[0].tolist() == [[0, 0], [1, 0], [3, 0], [3, 1]] and want[2].tolist() == [0, 0, 0, 1]


def test_lists_of_tensors_are_tuples_eagerly_and_a_trace_keeps_their_count():
    """chunk, split and unbind give tuples, as in PyTorch; a trace unpacks as many items as
    the example gave and says so, as PyTorch does, when another input gives another count."""
    x = torch.arange(12.0).view(4, 3)
    assert all(type(r) is tuple for r in (x.chunk(2), torch.split(x, [1, 3]), x.split(3), x.unbind(1)))

    def f(x):
        first, second = x.chunk(2)
        return first * 2 + second, x.unbind()
    traced = torch.jit.trace(f, (x,))
    y = torch.arange(12.0, 24.0).view(4, 3)
    got, want = traced(y), f(y)
    assert got[0].tolist() == want[0].tolist() and [t.tolist() for t in got[1]] == [t.tolist() for t in want[1]]
    with pytest.raises(RuntimeError, match="Expected 4 elements in a list but found 6"):
        traced(torch.zeros(6, 3))


def test_the_issues_structured_example_inputs_and_forward_of_a_traced_function():
    ftrace = torch.jit.trace(lambda x: x * 2, [torch.randn(5)])  # a list stands for the arguments
    x = torch.randn(3)
    np.testing.assert_array_equal(ftrace.forward(x).numpy(), (x * 2).numpy())

    def cell(x, state):
        hx, cx = state
        return torch.tanh(x + hx) * cx

    traced = torch.jit.trace(cell, (torch.randn(2, 3), (torch.randn(2, 3), torch.randn(2, 3))))
    assert str(traced.graph).startswith("graph(%x : Float(*, *), %state : (Float(*, *), Float(*, *))):")
    args = (torch.randn(4, 3), (torch.randn(4, 3), torch.randn(4, 3)))
    np.testing.assert_allclose(traced(*args).numpy(), cell(*args).numpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(TypeError, match="state"):
        traced(torch.randn(4, 3), (torch.randn(4, 3),))  # the tuple's length is the trace's


def test_dict_inputs_and_outputs_cannot_be_saved_with_the_trace(tmp_path):
    traced = torch.jit.trace(lambda d: d["a"] + 1, ({"a": torch.ones(2)},))
    with pytest.raises(RuntimeError, match="a trace taking or returning dicts cannot be saved"):
        traced.save(str(tmp_path / "t.mtj"))


def test_out_takes_the_result_eagerly_and_in_traces():
    out = torch.tensor([])
    assert torch.ones(2, 3, out=out) is out and out.shape == (2, 3)  # resized
    ints = torch.zeros(2, 3, dtype=torch.int64)
    torch.ones(2, 3, out=ints)
    assert ints.dtype == torch.int64 and ints.numpy().tolist() == [[1, 1, 1], [1, 1, 1]]
    base = torch.zeros(2, 3)
    torch.add(torch.ones(3), 1, out=base[0])  # through a view
    np.testing.assert_array_equal(base.numpy(), [[2, 2, 2], [0, 0, 0]])

    def double_into(x, y):
        torch.mul(y, 2, out=x)
        return x

    traced = torch.jit.trace(double_into, (torch.zeros(3), torch.ones(3)))
    assert "aten::copy_" in str(traced.graph)  # the write into the caller's tensor is in the graph
    x = torch.zeros(3)
    assert traced(x, torch.ones(3) * 5) is x and x.numpy().tolist() == [10, 10, 10]
    with pytest.raises(TypeError, match="out= takes a Tensor"):
        torch.ones(2, out=[1])

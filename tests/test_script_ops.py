"""Every op of the registry, under each of its Python names, scripts and computes what it
computes eagerly (and the same with and without passes): the ops taking ``(self)`` or
``(self, other)`` through generated calls, the others through a list of calls; a test checks
that together they name every ``torch.*``, ``Tensor.*`` and ``nn.functional`` name of the
registry. The functions are generated into a file, since the scripter reads source."""
import copy
import re

import pytest
from differential import assert_same_with_and_without_passes
from script_util import generated_functions, same

import minitorch_jit as torch
from minitorch_jit.ir import registry

_ARITY = {"Tensor self": 1, "Tensor self, Tensor other": 2}
_NAMESPACES = {"torch": "torch", "functional": "F", "Tensor": "x"}


def _simple_calls(pointwise):
    """A call of each Python name of the ops (pointwise or not) whose required parameters are
    ``(Tensor self)`` or ``(Tensor self, Tensor other)``, in place ones included. ``x.size()``
    is left to OTHER_CALLS: scripted it is a List[int], eagerly a torch.Size."""
    calls = set()
    for op in registry.all_ops():
        if op.pointwise != pointwise or [str(r.type) for r in op.schema.returns] == ["int[]"]:
            continue
        params = ", ".join(f"{a.type} {a.name}" for a in op.schema.arguments if not a.has_default)
        arity = _ARITY.get(params)
        if arity is None:
            continue
        for full in op.names:
            ns, name = full.split(".", 1)
            if name.startswith("__") or ns not in _NAMESPACES:
                continue
            args = ["x", "y"][:arity]
            if ns == "Tensor":
                calls.add(f"x.{name}({', '.join(args[1:])})")
            else:
                calls.add(f"{_NAMESPACES[ns]}.{name}({', '.join(args)})")
    return sorted(calls)


OTHER_CALLS = [
    "x.sum()", "x.sum(1)", "x.sum(dim=0, keepdim=True)", "x.mean()", "torch.mean(x, [0, 1])", "x.prod()",
    "x.prod(1)", "torch.max(x)", "torch.max(x, 1)", "x.min(dim=0)", "x.amax(1)", "x.argmax(1)", "x.argmin()",
    "x.var()", "x.std(1)", "torch.norm(x)", "torch.norm(x, p=2, dim=1)", "x.softmax(1)", "x.log_softmax(-1)",
    "torch.logsumexp(x, 1)", "(x > 1).all()", "(x > 1).any(1)", "x.cumsum(0)",
    "x.view(-1)", "x.view(3, 2)", "x.reshape(6)", "x.t()", "x.transpose(0, 1)", "x.permute(1, 0)",
    "x.unsqueeze(0)", "x.unsqueeze(-1).squeeze(-1)", "x.flatten()", "x.expand(4, 2, 3)", "x.contiguous()",
    "x.clone()", "x.detach()", "torch.cat([x, y])", "torch.cat((x, y), 1)", "torch.stack([x, y], 1)",
    "x.chunk(3, 1)", "x.split(1)", "x.unbind(1)", "x.tril()", "x.triu(1)", "x.double()", "x.long()",
    "x.to(torch.float64)", "x.type_as(y)", "x.view_as(y)", "x.select(1, 2)",
    "torch.zeros(2, 3)", "torch.ones([2], dtype=torch.int64)", "torch.full([2, 2], 7)", "torch.zeros_like(x)",
    "torch.arange(5)", "torch.arange(1, 4, 0.5)", "torch.linspace(0, 1, 5)", "torch.tensor([1, 2])",
    "torch.tensor(2.5)",
    "x @ y.t()", "torch.mm(x, y.t())", "torch.matmul(x, y.t())", "x.matmul(y[0])", "torch.addmm(x, x, y.t()[:, :3])",
    "F.linear(x, y)", "F.softmax(x, 1)", "F.dropout(x, 0.5, False)", "F.mse_loss(x, y)",
    "F.layer_norm(x, [3])", "torch.where(x > 1, x, y)", "torch.where(x > 1, x, 0.0)", "torch.clamp(x, 1.1, 1.3)",
    "x.clamp(max=1.2)", "torch.lerp(x, y, 0.5)", "torch.addcmul(x, x, y, value=2)", "x.masked_fill(x > 1, 0.0)",
    "x.abs_()", "x.add_(y, alpha=2)", "x.mul_(2)", "x.zero_()", "x.fill_(3)", "x.copy_(y)", "x.clamp_(min=1.2)",
    "x.numel()", "x.dim()", "list(x.size())", "x.size(-1)", "x.shape[1]", "x.item() if x.numel() == 1 else x.sum().item()",
    "torch.bmm(x[None], y.t()[None])", "torch.mv(x, y[0])", "x.mv(y[0])", "x[None].bmm(y.t()[None])", "torch.chunk(x, 2, 1)", "torch.concat([x, y])",
    "torch.concatenate((x, y), 1)", "torch.conv2d(x[None, None], y[None, None, :, :2])",
    'F.conv2d(x[None, None], y[None, None, :2, :2], padding="same")', "torch.cumsum(x, 1)",
    "torch.dropout(x, 0.5, True)", "F.dropout(x, 0.25)", "F.embedding(torch.tensor([[0, 1], [1, 0]]), x)",
    "list(torch.empty(2, 3).size())", "torch.fill_(x, 2.5)", "torch.full_like(x, 7)",
    "torch.index_put(x, [torch.tensor([1])], y[0])", "x.index_put([torch.tensor([0])], y[1:], True)",
    "x.index_put_([x > 1.5], torch.tensor(0.0))", "x.index([torch.tensor([1, 0, 1])])", "torch.layer_norm(x, [3])",
    "torch.linear(x, y, y[0])", "torch.log_softmax(x, 1)", "F.log_softmax(x, -1)", "torch.manual_seed(3)",
    "torch.masked_fill(x, x > 1.2, 0.0)", "x.masked_fill_(y > 0.5, torch.tensor(-1.0))",
    "torch.max_pool2d(x[None, None], 2)", "F.max_pool2d(x[None, None], 2, 1)", "torch.mse_loss(x, y)",
    "torch.permute(x, [1, 0])", "torch.rand(2, 3)", "torch.randn(4)", "torch.randint(5, [2, 3])",
    "torch.randint(1, 5, [4])", "torch.reshape(x, [3, 2])", "torch.scalar_tensor(2)", "torch.select(x, 1, 2)",
    "torch.size(x, 1)", "torch.softmax(x, 0)", "torch.split(x, 1, 1)", "torch.split(x, [1, 2], 1)",
    "x.split([2, 1], 1)", "x.split_with_sizes([2, 1], 1)", "torch.swapaxes(x, 0, 1)", "x.swapaxes(0, 1)",
    "torch.transpose(x, 0, 1)", "torch.unsqueeze(x, 1)", "x.addcmul(x, y, value=0.5)", "x.addmm(x, y.t()[:, :3])",
    "x.lerp(y, 0.25)", "torch.lerp(x, y, y)", "x.logsumexp(1)", "x.mm(y.t())",
    "x.byte()", "x.char()", "x.short()", "x.half()", "x.clone().threshold_(1.2, 0.0)", "F.threshold(x, 1.2, 0.0)", "torch.threshold(x, 1.1, 2.0)",
    "torch.threshold_(x.clone(), 1.3, 0.5)", "x.sum_to_size([1, 3])", "F.l1_loss(x, y)", "torch.l1_loss(x, y, 'sum')", "F.binary_cross_entropy_with_logits(x, y)",
    "torch.binary_cross_entropy_with_logits(x, y)",
    "F.cross_entropy(x, torch.tensor([0, 2]))", "F.nll_loss(x.log_softmax(1), torch.tensor([1, 0]))",
    "torch.where(x > 1.5)[1]", "torch.nonzero(x > 1.5, as_tuple=True)[0]", "x.nonzero(as_tuple=True)[1]",
    "torch.nonzero(y > 0.5, as_tuple=False)", "x.norm(p='fro')", "torch.norm(x, 'fro', 1, True)",
    "torch.round(x, decimals=1)", "x.round(decimals=-1)", "x.round_(decimals=2)", "torch.round_(x, decimals=1)",
    "x.topk(2)[0]", "torch.topk(x, 1, 0, False)[1]", "torch.topk(x, 2, largest=True, sorted=True).values",
    "torch.threshold(x, 1.5, -1.0)", "F.threshold(x, 1.0, 0.0)", "x.clone().threshold_(1.0, 2.0)",
    "torch.threshold_(x.clone(), 0.5, 0.0)", "torch.diag(x)", "x.diag(1)", "torch.diag(x[0], -1)",
    "torch.prelu(x, y[0])", "x.prelu(y[0, :1])", "F.prelu(x[None], y[1])", "F.batch_norm(x, y[0], y[1] + 1)",
    "F.batch_norm(x, y[0].clone(), y[1].clone(), x[0], y[0], True, 0.2)", "F.instance_norm(x[None])",
    "F.group_norm(x[None], 3, y[0], y[1])", "torch.group_norm(x[None], 1)", "F.avg_pool2d(x[None, None], 2, 1)",
    "F.adaptive_avg_pool2d(x[None, None], [2, 2])", "F.dropout2d(x, 0.5, False)", "F.dropout2d(x[None], 0.5)",
    "F.pad(x, [1, 0, 2, 1])", "F.pad(x[None], [1, 1], 'reflect')", "F.interpolate(x[None, None], scale_factor=2.0)",
    "F.interpolate(x[None, None], [3, 4], None, 'bilinear', True)", "x.unflatten(1, [3, 1])",
    "torch.unflatten(x, 0, [1, 2])", "F.conv1d(x[None], y[:, :, None])",
    "torch.conv1d(x, y[:1, :2, None], None, 1, 'same')",
    "F.conv3d(x[None, None, None], y[None, None, None, :, :2])",
    "torch.conv3d(x[None, None], y[None, None, None], None, 1, 'same')",
    "F.conv_transpose2d(x[None, None], y[None, None])", "torch.conv_transpose2d(x[None, None], y[None, None], None, 2)",
    "torch.lstm(x[None], [y[None, :, :1], y[None, :, 1:2]], [torch.ones(4, 3), torch.ones(4, 1) * 0.5], False, 1, 0.0, "
    "False, False, False)",
    "torch.gru(x[None], y[None, :, :1], [torch.ones(3, 3), torch.ones(3, 1), torch.ones(3), torch.ones(3)], True, 1, "
    "0.0, False, False, True)",
    "torch.rnn_tanh(x[None], y[None, :, :2], [torch.ones(2, 3), torch.ones(2, 2)], False, 1, 0.0, False, False, False)",
    "torch.rnn_relu(x[:, None], y[None, :1, :2], [torch.ones(2, 3), torch.ones(2, 2)], False, 1, 0.0, False, False, "
    "False)",
    "torch.normal(x, 0.5)", "torch.normal(1.0, y)", "torch.normal(x, y)", "torch.normal(0.0, 2.0, [2, 3])",
    "torch.dropout(x, 0.5, train=False)",
]


# Names no call above uses, and why.
NOT_CALLED = {
    ("torch", "from_numpy"): "takes a numpy array, which script functions cannot hold",
}


def _load(tmp_path, calls):
    lines = ["import minitorch_jit as torch", "from minitorch_jit.nn import functional as F", ""]
    for i, call in enumerate(calls):
        lines += [f"def f{i}(x, y):", f"    return {call}", ""]
    return generated_functions(tmp_path / "generated_calls.py", lines, len(calls))


def _run(fn, x, y):
    """``fn`` on copies of the inputs with the random generator seeded the same way each time,
    so that random ops draw the same numbers eagerly and scripted; the result or the error."""
    torch.manual_seed(7)
    try:
        return fn(copy.deepcopy(x), copy.deepcopy(y)), None
    except Exception as e:
        return None, e


def _compare(fn, call, x, y):
    try:
        scripted = torch.script(fn)
    except Exception as e:
        raise AssertionError(f"{call}: {e}") from e
    expected, error = _run(fn, x, y)
    got, scripted_error = _run(scripted, x, y)
    if error is not None:  # the op refuses these inputs eagerly: scripted, it must refuse them too
        assert type(scripted_error) is type(error), f"{call}: eager raised {error!r}, scripted {scripted_error!r}"
        return
    assert scripted_error is None, f"{call}: {scripted_error!r}"
    same(got, expected, call)
    assert_same_with_and_without_passes(scripted, copy.deepcopy(x), copy.deepcopy(y))


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float64"), ("bool", "int32")])
def test_every_pointwise_op_scripts_like_eager(tmp_path, dtypes):
    calls = _simple_calls(pointwise=True)
    assert len(calls) > 60
    torch.manual_seed(0)
    x = (torch.rand(2, 3) * 4 + 0.5).to(getattr(torch, dtypes[0]))
    y = (torch.rand(2, 3) * 4 + 0.5).to(getattr(torch, dtypes[1]))
    for fn, call in zip(_load(tmp_path, calls), calls):
        _compare(fn, call, x, y)


def test_every_other_op_scripts_like_eager(tmp_path):
    torch.manual_seed(0)
    x, y = torch.rand(2, 3) + 1.0, torch.rand(2, 3)
    calls = _simple_calls(pointwise=False) + OTHER_CALLS
    for fn, call in zip(_load(tmp_path, calls), calls):
        _compare(fn, call, x, y)


def _names(call):
    """The (namespace, name) pairs of the registry a call uses: ``x.sum(1)`` uses Tensor.sum."""
    namespaces = {"torch": "torch", "F": "functional", "x": "Tensor", "y": "Tensor", ")": "Tensor", "]": "Tensor"}
    return {(namespaces[base], name) for base, name in re.findall(r"(torch|F|x|y|\)|\])\.([a-z_0-9]+)\(", call)}


def test_the_calls_name_every_python_name_of_the_registry():
    called = set().union(*(_names(c) for c in _simple_calls(True) + _simple_calls(False) + OTHER_CALLS))
    names = {tuple(full.split(".", 1)) for op in registry.all_ops() for full in op.names}
    names = {(ns, n) for ns, n in names if ns in _NAMESPACES and not n.startswith("__")}
    assert sorted(names - called - set(NOT_CALLED)) == []
    assert sorted(called - names) == []  # a misspelt call would be a test of nothing

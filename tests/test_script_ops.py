"""Every pointwise op of the registry, under each of its Python names, scripted and eager
give the same; and a list of calls covering the other families (reductions, shapes,
creation, linear algebra, nn). The functions are generated into a file, since the scripter
reads source."""
import copy

import pytest

import minitorch_jit as torch
from ir import registry

from script_util import generated_functions, same

_ARITY = {"Tensor self": 1, "Tensor self, Tensor other": 2}


def _pointwise_calls():
    calls = set()
    for op in registry.all_ops():
        if not op.pointwise:
            continue
        params = ", ".join(f"{a.type} {a.name}" for a in op.schema.arguments if not a.has_default)
        arity = _ARITY.get(params)
        if arity is None:
            continue
        for full in op.names:
            ns, name = full.split(".", 1)
            if name.startswith("__"):
                continue
            args = ["x", "y"][:arity]
            if ns == "torch":
                calls.add(f"torch.{name}({', '.join(args)})")
            elif ns == "functional":
                calls.add(f"F.{name}({', '.join(args)})")
            elif ns == "Tensor":
                calls.add(f"x.{name}({', '.join(args[1:])})")
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
    "x.to(torch.float64)", "x.type_as(y)", "x.view_as(y)", "x.select(1, 2)", "x.narrow(1, 0, 2)",
    "torch.zeros(2, 3)", "torch.ones([2], dtype=torch.int64)", "torch.full([2, 2], 7)", "torch.zeros_like(x)",
    "torch.arange(5)", "torch.arange(1, 4, 0.5)", "torch.linspace(0, 1, 5)", "torch.tensor([1, 2])",
    "torch.tensor(2.5)", "x.new_zeros(2)", "torch.eye(3)",
    "x @ y.t()", "torch.mm(x, y.t())", "torch.matmul(x, y.t())", "x.matmul(y[0])", "torch.addmm(x, x, y.t()[:, :3])",
    "F.linear(x, y)", "F.softmax(x, 1)", "F.dropout(x, 0.5, False)", "F.mse_loss(x, y)",
    "F.layer_norm(x, [3])", "torch.where(x > 1, x, y)", "torch.where(x > 1, x, 0.0)", "torch.clamp(x, 1.1, 1.3)",
    "x.clamp(max=1.2)", "torch.lerp(x, y, 0.5)", "torch.addcmul(x, x, y, value=2)", "x.masked_fill(x > 1, 0.0)",
    "x.abs_()", "x.add_(y, alpha=2)", "x.mul_(2)", "x.zero_()", "x.fill_(3)", "x.copy_(y)", "x.clamp_(min=1.2)",
    "x.numel()", "x.dim()", "list(x.size())", "x.size(-1)", "x.shape[1]", "x.item() if x.numel() == 1 else x.sum().item()",
]


def _load(tmp_path, calls):
    lines = ["import minitorch_jit as torch", "from minitorch_jit.nn import functional as F", ""]
    for i, call in enumerate(calls):
        lines += [f"def f{i}(x, y):", f"    return {call}", ""]
    return generated_functions(tmp_path / "generated_calls.py", lines, len(calls))


def _compare(fn, call, x, y):
    try:
        expected = fn(copy.deepcopy(x), copy.deepcopy(y))
    except Exception as e:  # the op refuses these inputs eagerly: scripted, it must refuse them too
        scripted = torch.script(fn)
        with pytest.raises(type(e)):
            scripted(copy.deepcopy(x), copy.deepcopy(y))
        return
    try:
        scripted = torch.script(fn)
    except Exception as e:
        raise AssertionError(f"{call}: {e}") from e
    same(scripted(copy.deepcopy(x), copy.deepcopy(y)), expected, call)


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float64"), ("bool", "int32")])
def test_every_pointwise_op_scripts_like_eager(tmp_path, dtypes):
    calls = _pointwise_calls()
    assert len(calls) > 60
    torch.manual_seed(0)
    x = (torch.rand(2, 3) * 4 + 0.5).to(getattr(torch, dtypes[0]))
    y = (torch.rand(2, 3) * 4 + 0.5).to(getattr(torch, dtypes[1]))
    for fn, call in zip(_load(tmp_path, calls), calls):
        _compare(fn, call, x, y)


def test_reductions_shapes_creation_linalg_and_nn_script_like_eager(tmp_path):
    torch.manual_seed(0)
    x, y = torch.rand(2, 3) + 1.0, torch.rand(2, 3)
    known = {n for ns in ("torch", "Tensor", "functional") for n in registry.python_names(ns)}
    calls = [c for c in OTHER_CALLS if all(part in known for part in _names(c))]
    assert len(calls) > 80
    for fn, call in zip(_load(tmp_path, calls), calls):
        _compare(fn, call, x, y)


def _names(call):
    """The op names a call uses (``x.sum(1)`` uses ``sum``)."""
    import re
    return [m for m in re.findall(r"(?:torch|F|x|y|\))\.([a-z_]+)\(", call) if not m.startswith("float64")]

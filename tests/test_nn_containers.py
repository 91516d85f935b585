"""nn's containers and nn.Buffer as PyTorch defines them: ModuleList, Sequential, ModuleDict,
ParameterList, ParameterDict (their Python API, errors and reprs), and their ScriptModules
indexed from Python, before and after save/load. The script side is transcribed from
PyTorch's tests in tests/spec/test_jit_module_containers.py."""
import io
from collections import OrderedDict

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit import nn


def test_module_list_indexing_errors_slices_and_repr():
    ml = nn.ModuleList([nn.ReLU() for _ in range(3)])
    for i in (3, -4):
        with pytest.raises(IndexError, match=f"index {i} is out of range"):
            ml[i]
    assert ml[-1] is ml[2] and isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 2
    ml.append(nn.Linear(2, 3))
    assert repr(ml) == ("ModuleList(\n  (0-2): 3 x ReLU()\n  (3): Linear(in_features=2, out_features=3, bias=True)\n)")
    ml.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in ml] == ["Tanh", "ReLU", "ReLU", "ReLU", "Linear"]
    del ml[1]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.ModuleList([1])
    with pytest.raises(IndexError, match="index 5 is out of range"):
        nn.Sequential(nn.ReLU())[5]


def test_module_dict_api():
    md = nn.ModuleDict({"a": nn.ReLU(), "b": None})
    assert list(md) == ["a", "b"] and len(md) == 2 and "a" in md and "z" not in md
    assert repr(md) == "ModuleDict(\n  (a): ReLU()\n  (b): None\n)"
    with pytest.raises(KeyError):
        md["z"]
    md.update([("c", nn.Tanh())])
    md["d"] = nn.Sigmoid()
    assert isinstance(md.pop("a"), nn.ReLU) and list(md.keys()) == ["b", "c", "d"]
    assert [type(v).__name__ for v in md.values()] == ["NoneType", "Tanh", "Sigmoid"]
    with pytest.raises(KeyError, match=r"got: a\.b"):
        nn.ModuleDict({"a.b": nn.ReLU()})
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        nn.ModuleDict([("a", nn.ReLU(), 1)])
    md.clear()
    assert len(md) == 0 and repr(nn.ModuleDict()) == "ModuleDict()"


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([nn.Parameter(torch.zeros(1)), torch.ones(2)])
    assert isinstance(pl[1], nn.Parameter) and [n for n, _ in pl.named_parameters()] == ["0", "1"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [torch.float32 of size 1]\n"
                        "    (1): Parameter containing: [torch.float32 of size 2]\n)")
    with pytest.raises(IndexError, match="index 5 is out of range"):
        pl[5]
    pl.append(torch.zeros(3, 2))
    assert len(pl) == 3 and tuple(pl[-1].shape) == (3, 2)
    pd = nn.ParameterDict({"a": nn.Parameter(torch.zeros(1)), "b": torch.ones(2)})
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["b"], nn.Parameter) and "a" in pd
    assert repr(pd) == ("ParameterDict(\n    (a): Parameter containing: [torch.FloatTensor of size 1]\n"
                        "    (b): Parameter containing: [torch.FloatTensor of size 2]\n)")
    m = nn.Module()
    m.pd, m.pl = pd, pl
    assert list(m.state_dict()) == ["pd.a", "pd.b", "pl.0", "pl.1", "pl.2"]
    with pytest.raises(TypeError, match="ParameterDict keys must be strings"):
        pd[1] = torch.ones(1)


def test_buffer_assignment_registers_a_buffer():
    m = nn.Module()
    m.b = nn.Buffer(torch.ones(2))
    m.hidden = nn.Buffer(torch.zeros(1), persistent=False)
    assert isinstance(m.b, nn.Buffer) and isinstance(m.b, torch.Tensor)
    assert [n for n, _ in m.named_buffers()] == ["b", "hidden"] and list(m.state_dict()) == ["b"]
    t = torch.arange(3)
    assert nn.Buffer(t).numpy() is t.numpy() or np.shares_memory(nn.Buffer(t).numpy(), t.numpy())


def _loaded(m):
    buf = io.BytesIO()
    torch.jit.save(m, buf)
    buf.seek(0)
    return torch.jit.load(buf)


class _Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        self.ml = nn.ModuleList([nn.Tanh(), nn.Sigmoid()])
        self.md = nn.ModuleDict(OrderedDict([("x", nn.ReLU()), ("y", nn.Tanh())]))
        self.pl = nn.ParameterList([torch.ones(1), torch.zeros(1)])
        self.pd = nn.ParameterDict({"w": torch.ones(2)})

    def forward(self, x):
        for m in self.ml:
            x = m(x)
        return self.seq(x) * self.pl[0] + self.pd["w"]


def test_container_script_modules_index_iterate_and_len_from_python():
    for s in (torch.jit.script(_Holder()), _loaded(torch.jit.script(_Holder()))):
        assert len(s.seq) == 2 and len(s.ml) == 2 and len(s.md) == 2 and len(s.pl) == 2 and len(s.pd) == 1
        assert s.ml[-1] is list(s.ml)[1] and list(s.md) == ["x", "y"] and "x" in s.md
        assert [k for k, _ in s.md.items()] == ["x", "y"] and s.pl[1].tolist() == [0.0]
        assert s.pd["w"].tolist() == [1.0, 1.0] and repr(s.seq[1]) == "RecursiveScriptModule(original_name=ReLU)"
        with pytest.raises(IndexError, match="index 2 is out of range"):
            s.ml[2]
        x = torch.randn(3, 2)
        np.testing.assert_allclose(s(x).numpy(), _Holder.forward(s, x).numpy(), rtol=1e-6)


def test_a_buffer_registered_again_takes_its_new_persistence():
    m = nn.Module()
    m.register_buffer("b", torch.ones(1), persistent=False)
    m.b = nn.Buffer(torch.zeros(1))
    assert list(m.state_dict()) == ["b"]

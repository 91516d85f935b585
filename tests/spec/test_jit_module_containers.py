"""The behaviours PyTorch's test/jit/test_module_containers.py checks, in our own tests:
Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict inside scripted methods
(iteration, literal indexing, len, ``in``, identity), subclasses that define ``forward`` or
override ``__len__``, and the errors for what scripts cannot index."""
from collections import OrderedDict
from typing import Any, List, Tuple

import numpy as np
import pytest
from module_checks import check_module, save_and_load

import minitorch_jit as torch
from minitorch_jit import nn

# test_module_inplace_construct is left out: it rebuilds a module from another's torch._C object.
ELIGIBLE = [
    "test_sequential_intermediary_types",
    "test_moduledict",
    "test_custom_container_forward",
    "test_script_module_list_sequential",
    "test_script_modulelist_index",
    "test_module_interface_special_methods",
    "test_special_method_with_override",
    "test_moduledict_getitem",
    "test_moduledict_keyerror",
    "test_normal_list_attribute_with_modules_error",
    "test_empty_dict_override_contains",
    "test_typed_module_dict",
    "test_typed_module_list",
    "test_module_properties",
    "test_parameterlist_script_getitem",
    "test_parameterlist_script_iter",
    "test_parameterdict_script_getitem",
    "test_parameterlist_script_getitem_bad_idx",
]


class AddFive(nn.Module):
    def forward(self, x):
        return x + 5


class Triple(nn.Module):
    def forward(self, x):
        return x * 3


class MinusOneSquared(nn.Module):
    def forward(self, x):
        return (x - 1) * (x - 1)


class Offset(nn.Module):
    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, v):
        return v - self.k


class AsList(nn.Module):
    def forward(self, x):
        return [x, x + 1]


def test_sequential_intermediary_types():
    """A Sequential's stages may pass values of types other than Tensor between them."""
    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = nn.Sequential(AddFive(), AsList())

        def forward(self, x):
            return self.stages(x)

    check_module(Outer(), (torch.tensor(2),))


def test_sequential_intermediary_types__dict_stage():
    class ToDict(nn.Module):
        def forward(self, x):
            return {"k": x}

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = nn.Sequential(AddFive(), ToDict())

        def forward(self, x):
            return self.stages(x)

    check_module(Outer(), (torch.tensor(2),))


class _Dictionary(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.ModuleDict(OrderedDict([("add", AddFive()), ("mul", Triple()), ("sq", MinusOneSquared())]))


class _IterateTable(_Dictionary):
    def forward(self, x, skip: str):
        seen = torch.jit.annotate(List[str], [])
        outs = []
        for key in self.table:
            seen.append(key)
        for key, layer in self.table.items():
            if key != skip:
                seen.append(key)
                x = layer(x)
                outs.append(x)
        for layer in self.table.values():
            x = layer(x)
            outs.append(x)
        for key in self.table.keys():
            seen.append(key)
        return x, seen, outs


class _EnumerateTable(_Dictionary):
    def forward(self, x, skip: str):
        seen = torch.jit.annotate(List[str], [])
        count = 0
        y = x
        for i, (key, layer) in enumerate(self.table.items()):
            count += i
            if key != skip:
                x = layer(x)
                seen.append(key)
        for i, layer in enumerate(self.table.values()):
            count += i * 10
            x = layer(x)
        for i, key in enumerate(self.table.keys()):
            count += i * 100
            seen.append(key)
        for a, b in zip(self.table.values(), self.table.values()):
            y = b(a(y))
        return x, y, seen, count


@pytest.mark.parametrize("skip", ["", "add", "mul", "sq"])
def test_moduledict(skip):
    check_module(_IterateTable(), (torch.tensor(2), skip))
    check_module(_EnumerateTable(), (torch.tensor(2), skip))


def test_custom_container_forward():
    """Subclasses of the containers may define forward and iterate over ``self``."""
    class Chain(nn.Sequential):
        def __init__(self):
            super().__init__(nn.ReLU(), AddFive())

        def forward(self, x):
            x = x - 2
            for layer in self:
                x = layer(x)
            return x * 2

    class Layers(nn.ModuleList):
        def __init__(self):
            super().__init__([AddFive(), nn.ReLU(), Triple()])

        def forward(self, x):
            for layer in self:
                x = layer(x)
            return x + 1

    class Named(nn.ModuleDict):
        def __init__(self):
            super().__init__(OrderedDict([("a", Triple()), ("b", nn.ReLU()), ("c", AddFive())]))

        def forward(self, x):
            keys = torch.jit.annotate(List[str], [])
            for key, layer in self.items():
                x = layer(x)
                keys.append(key)
            return keys, x

    for m in (Chain(), Layers(), Named()):
        check_module(m, (torch.tensor(-0.75),))


def test_script_module_list_sequential():
    """A ScriptModule subclass's script_method iterates over a container it was given."""
    class Runner(torch.jit.ScriptModule):
        def __init__(self, layers):
            super().__init__()
            self.layers = layers

        @torch.jit.script_method
        def forward(self, v):
            for layer in self.layers:
                v = layer(v)
            return v

    x = torch.randn(3, 2)
    for layers in (nn.Sequential(nn.ReLU(), AddFive()), nn.ModuleList([Triple(), nn.Tanh()])):
        m = Runner(layers)
        expected = layers[1](layers[0](x))
        np.testing.assert_allclose(m(x).numpy(), expected.numpy(), rtol=1e-6)  # fused tanh: within an ulp
        np.testing.assert_allclose(save_and_load(m)(x).numpy(), expected.numpy(), rtol=1e-6)
        assert len(m.layers) == 2 and m.layers[-1] is m.layers[1]  # the container's ScriptModule indexes


class _TenOffsets(nn.Module):
    def __init__(self):
        super().__init__()
        self.offsets = nn.ModuleList([Offset(k) for k in range(10)])


def test_script_modulelist_index():
    class ByForward(_TenOffsets):
        def forward(self, v):
            v = self.offsets[3].forward(v)
            v = self.offsets[-1].forward(v)
            return self.offsets[-10].forward(v)

    class ByCall(_TenOffsets):
        def forward(self, v):
            return self.offsets[-2](self.offsets[7](v))

    check_module(ByForward(), (torch.tensor(100),))
    check_module(ByCall(), (torch.tensor(100),))


def test_script_modulelist_index__out_of_range():
    class TooFar(_TenOffsets):
        def forward(self, v):
            return self.offsets[-11].forward(v)

    with pytest.raises(Exception, match="Index -11 out of range") as e:
        torch.jit.script(TooFar())
    assert "self.offsets[-11]" in str(e.value)
    with pytest.raises(IndexError, match="index 10 is out of range"):
        _TenOffsets().offsets[10]


def test_script_modulelist_index__not_a_literal():
    class ByVariable(_TenOffsets):
        def forward(self, v):
            i = 2
            return self.offsets[i].forward(v)

    with pytest.raises(Exception, match="will fail because i is not a literal") as e:
        torch.jit.script(ByVariable())
    assert "Enumeration is supported" in str(e.value) and "self.offsets[i]" in str(e.value)


class _Shares(nn.Module):
    """A scripted ReLU held by itself and by each kind of container."""

    def __init__(self, list_cls=nn.ModuleList, seq_cls=nn.Sequential, dict_cls=nn.ModuleDict):
        super().__init__()
        self.act = torch.jit.script(nn.ReLU())
        self.as_list = list_cls([self.act])
        self.as_seq = seq_cls(self.act)
        self.as_dict = dict_cls({"act": self.act})

    def forward(self, x):
        assert self.as_list[0] is self.act, "ModuleList __getitem__"
        assert len(self.as_list) == 1, "ModuleList __len__"
        for m in self.as_list:
            assert m is self.act, "ModuleList __iter__"
        assert self.as_seq[-1] is self.act, "Sequential __getitem__"
        assert len(self.as_seq) == 1, "Sequential __len__"
        for m in self.as_seq:
            assert m is self.act, "Sequential __iter__"
        assert self.as_dict["act"] is self.act, "ModuleDict __getitem__"
        assert len(self.as_dict) == 1, "ModuleDict __len__"
        n = 0
        for k in self.as_dict:
            n += 1
        assert n == len(self.as_dict), "ModuleDict iteration"
        assert "act" in self.as_dict, "ModuleDict __contains__"
        assert "other" not in self.as_dict, "ModuleDict __contains__"
        for k in self.as_dict.keys():
            assert k == "act", "ModuleDict keys()"
        for pair in self.as_dict.items():
            assert pair[0] == "act", "ModuleDict items()"
            assert pair[1] is self.act, "ModuleDict items()"
        for m in self.as_dict.values():
            assert m is self.act, "ModuleDict values()"
        return self.as_list[0](x) - 1


class _Mixin(nn.Module):
    pass


class _MixedList(_Mixin, nn.ModuleList):
    def __init__(self, modules=None):
        _Mixin.__init__(self)
        nn.ModuleList.__init__(self, modules)


class _MixedSequential(_Mixin, nn.Sequential):
    def __init__(self, *modules):
        _Mixin.__init__(self)
        nn.Sequential.__init__(self, *modules)


class _MixedDict(_Mixin, nn.ModuleDict):
    def __init__(self, modules=None):
        _Mixin.__init__(self)
        nn.ModuleDict.__init__(self, modules)


def test_module_interface_special_methods():
    """The containers' special methods work in scripts, also on subclasses that mix in
    another Module class."""
    check_module(_Shares(), (torch.randn(2, 2),))
    check_module(_Shares(_MixedList, _MixedSequential, _MixedDict), (torch.randn(2, 2),))


def test_special_method_with_override():
    """A subclass's own ``__len__`` is what ``len()`` calls in a script."""
    class Claims(_MixedList):
        def __len__(self):
            return 3

    class User(nn.Module):
        def __init__(self):
            super().__init__()
            self.items = Claims([nn.ReLU()])

        def forward(self, x):
            assert len(self.items) == 3, "the override answers"
            return x + len(self.items)

    check_module(User(), (torch.randn(2),))


def test_moduledict_getitem():
    class Lookup(nn.Module):
        def __init__(self):
            super().__init__()
            self.relu = torch.jit.script(nn.ReLU())
            self.sig = torch.jit.script(nn.Sigmoid())
            self.by_name = nn.ModuleDict({"relu": self.relu, "sig": self.sig})

        def forward(self, x):
            assert self.by_name["relu"] is self.relu
            assert self.by_name["sig"] is self.sig
            return self.by_name["sig"](self.by_name["relu"](x))

    check_module(Lookup(), (torch.randn(3),))


def test_moduledict_keyerror():
    class Missing(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.ModuleDict({"x": None, "y": None})

        def forward(self, v):
            return self.table["nope"]

    with pytest.raises(RuntimeError, match="Key Error, nope") as e:
        torch.jit.script(Missing())
    assert "self.table[\"nope\"]" in str(e.value)

    class ByVariable(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.ModuleDict({"x": None, "y": None})

        def forward(self, v):
            key = "x"
            return self.table[key]

    with pytest.raises(RuntimeError, match="Unable to extract string literal index. ModuleDict indexing is only "
                                           "supported with string literals.") as e:
        torch.jit.script(ByVariable())
    assert "self.table[key]" in str(e.value)


def test_normal_list_attribute_with_modules_error():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.plain = [nn.ReLU(), nn.Tanh()]

        def forward(self):
            return len(self.plain)

    with pytest.raises(RuntimeError, match="Could not infer type of list element: Cannot infer concrete type of "
                                           "torch.nn.Module") as e:
        torch.jit.script(Holder())
    assert "self.plain" in str(e.value)


def test_empty_dict_override_contains():
    class Empty(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = _MixedDict()

        def forward(self, x):
            assert "anything" not in self.table, "an empty ModuleDict contains nothing"
            return x

    check_module(Empty(), (torch.randn(2, 2),))


def _any_forward_interface():
    @torch.jit.interface
    class AnyForward(nn.Module):
        def forward(self, inp: Any) -> Any:
            pass
    return AnyForward


class _MaxOfTensor(nn.Module):
    def forward(self, inp: Any) -> Any:
        if isinstance(inp, torch.Tensor):
            return torch.max(inp, dim=0)
        return inp


class _TensorOnly(nn.Module):
    def forward(self, inp: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return torch.max(inp, dim=0)


@pytest.mark.xfail(strict=True, reason="torch.jit.interface and Any are not in the script language yet (issue 17)")
def test_typed_module_dict():
    AnyForward = _any_forward_interface()

    class ByKey(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.ModuleDict({"m": _MaxOfTensor()})

        def forward(self, x: torch.Tensor, key: str) -> Any:
            chosen: AnyForward = self.table[key]
            return chosen.forward(x)

    check_module(ByKey(), (torch.randn(2, 2), "m"))


@pytest.mark.xfail(strict=True, reason="torch.jit.interface and Any are not in the script language yet (issue 17)")
def test_typed_module_list():
    AnyForward = _any_forward_interface()

    class ByIndex(nn.Module):
        def __init__(self):
            super().__init__()
            self.items = nn.ModuleList([_MaxOfTensor()])

        def forward(self, x: torch.Tensor, i: int) -> Any:
            chosen: AnyForward = self.items[i]
            return chosen.forward(x)

    check_module(ByIndex(), (torch.randn(2, 2), 0))


@pytest.mark.xfail(strict=True, reason="module properties and assignment to module attributes in scripts are not "
                                       "supported yet (issue 17)")
def test_module_properties():
    class WithProperty(nn.Module):
        __jit_unused_properties__ = ["skipped"]

        def __init__(self, a: int):
            super().__init__()
            self.a = a

        def forward(self, a: int, b: int):
            self.value = a * b
            return self.value

        @property
        def value(self):
            return self.a

        @value.setter
        def value(self, v: int):
            self.a = v if v > 0 else 0

        @property
        def skipped(self):
            return sum([self.a])

    check_module(WithProperty(2), (3, 4))
    check_module(WithProperty(2), (-3, 4))
    with pytest.raises(AttributeError, match="has no attribute"):
        torch.jit.script(WithProperty(1)).skipped


class _Params(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
        self.plist = nn.ParameterList([nn.Parameter(torch.full((1,), float(i))) for i in range(4)])


def test_parameterlist_script_getitem():
    class Index(_Params):
        def forward(self, x):
            self.layers[0]
            self.plist[0]
            return x * self.plist[-1] + self.plist[1]

    check_module(Index(), (torch.ones(1),))


def test_parameterlist_script_iter():
    class Iterate(_Params):
        def forward(self, x):
            r = x
            for i, p in enumerate(self.plist):
                r = r * p + i
            return r

    m = check_module(Iterate(), (torch.ones(1),))
    m.plist[2].fill_(5.0)  # the script reads the parameters at each call
    assert m(torch.ones(1)).item() == Iterate.forward(m, torch.ones(1)).item()


def test_parameterdict_script_getitem():
    class ByName(nn.Module):
        def __init__(self):
            super().__init__()
            self.pd = nn.ParameterDict({k: nn.Parameter(torch.full((1,), float(i + 2))) for i, k in
                                        enumerate("abc")})

        def forward(self, x):
            return self.pd["a"] * x + self.pd["b"] * self.pd["c"]

    check_module(ByName(), (torch.ones(1),))


def test_parameterlist_script_getitem_bad_idx():
    class TensorIndex(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = nn.ModuleList([nn.Linear(1, 1)])

        def forward(self, x: torch.Tensor, idx: torch.Tensor):
            return self.mods[idx](x)

    with pytest.raises(RuntimeError, match="but got type Tensor"):
        torch.jit.script(TensorIndex())

"""The behaviours PyTorch's test/jit/test_module_apis.py checks, in our own tests: a scripted
module has ``state_dict`` / ``load_state_dict``, and a module's own ``_save_to_state_dict`` /
``_load_from_state_dict`` (exported to the script) are what they call, on the module and on
its submodules."""
from typing import Any, Dict, List

import minitorch_jit as torch
from minitorch_jit import nn

ELIGIBLE = [
    "test_default_state_dict_methods",
    "test_customized_state_dict_methods",
    "test_submodule_customized_state_dict_methods",
]


class ConvThenLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 2 * 2, 5)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def test_default_state_dict_methods():
    torch.manual_seed(0)
    m1, m2 = torch.jit.script(ConvThenLinear()), torch.jit.script(ConvThenLinear())
    state = m1.state_dict()
    assert list(state) == ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]
    x = torch.randn(2, 3, 4, 4)
    assert m1(x).tolist() != m2(x).tolist()
    assert repr(m2.load_state_dict(state)) == "<All keys matched successfully>"
    assert m1(x).tolist() == m2(x).tolist()


def test_default_state_dict_methods__overrides_in_eager_modules():
    """The eager side of what the scripted tests below check: state_dict and load_state_dict
    go through each module's ``_save_to_state_dict`` / ``_load_from_state_dict``."""
    calls = []

    class Custom(ConvThenLinear):
        def _save_to_state_dict(self, destination, prefix, keep_vars):
            calls.append(("save", prefix))
            destination[prefix + "extra"] = torch.ones(1)

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            calls.append(("load", prefix, sorted(k for k in state_dict if k.startswith(prefix))))

    class Parent(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Custom()

    state = Parent().state_dict()
    assert list(state) == ["sub.extra", "sub.conv.weight", "sub.conv.bias", "sub.fc.weight", "sub.fc.bias"]
    Parent().load_state_dict(state)
    assert calls == [("save", "sub."), ("load", "sub.", list(sorted(state)))]


class CustomStateDict(ConvThenLinear):
    def __init__(self):
        super().__init__()
        self.saved: bool = False
        self.loaded: bool = False

    @torch.jit.export
    def _save_to_state_dict(self, destination: Dict[str, torch.Tensor], prefix: str, keep_vars: bool):
        self.saved = True
        return {"dummy": torch.ones(1)}

    @torch.jit.export
    def _load_from_state_dict(self, state_dict: Dict[str, torch.Tensor], prefix: str, local_metadata: Any,
                              strict: bool, missing_keys: List[str], unexpected_keys: List[str],
                              error_msgs: List[str]):
        self.loaded = True


def test_customized_state_dict_methods():
    m1 = torch.jit.script(CustomStateDict())
    assert not m1.saved
    state = m1.state_dict()
    assert m1.saved
    m2 = torch.jit.script(CustomStateDict())
    assert not m2.loaded
    m2.load_state_dict(state)
    assert m2.loaded


def test_submodule_customized_state_dict_methods():
    class Parent(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = CustomStateDict()

        def forward(self, x):
            return self.sub(x)

    m1 = torch.jit.script(Parent())
    assert not m1.sub.saved
    state = m1.state_dict()
    assert m1.sub.saved
    m2 = torch.jit.script(Parent())
    m2.load_state_dict(state)
    assert m2.sub.loaded

"""Forward pre-hooks and hooks (``register_forward_pre_hook`` / ``register_forward_hook``)
on tensor modules: eager semantics as PyTorch's (order, ``prepend``, ``with_kwargs``,
``always_call``, handles), and the same results traced, scripted and after save/load.
PyTorch's own hook tests are transcribed in tests/spec/test_jit_hooks.py."""
import io
from typing import Tuple

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit import nn


def test_hooks_run_in_order_and_handles_remove_them():
    m = nn.Identity()
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre1"))
    h0 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre0"), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: calls.append(("post", sorted(kwargs))), with_kwargs=True)
    m(torch.ones(1))
    assert calls == ["pre0", "pre1", ("post", [])]
    h0.remove()
    calls.clear()
    m(torch.ones(1))
    assert calls == ["pre1", ("post", [])]
    with h1:
        pass
    calls.clear()
    m(torch.ones(1))
    assert calls == [("post", [])]
    assert isinstance(h1, nn.RemovableHandle)


def test_results_replace_arguments_and_output():
    m = nn.Linear(2, 2)
    m.register_forward_pre_hook(lambda mod, args: args[0] * 0)  # not a tuple: wrapped into one
    m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: None)  # None keeps the output
    np.testing.assert_allclose(m(torch.ones(3, 2)).numpy(), (m.bias + 1).expand(3, 2).numpy())
    assert m.forward(torch.zeros(1, 2)).tolist() == [m.bias.tolist()]  # forward itself runs no hook


def test_with_kwargs_pre_hooks_replace_args_and_kwargs():
    m = nn.Identity()
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), kwargs), with_kwargs=True)
    assert m(torch.ones(1)).tolist() == [2.0]
    bad = nn.Identity()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got 5."):
        bad(torch.ones(1))


def test_always_call_hooks_run_when_forward_raises():
    class Fails(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Fails()
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        m(torch.ones(1))
    assert seen == [("always", None)]


class _Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.register_buffer("gain", torch.tensor(2.0))

    def forward(self, x):
        return torch.relu(self.lin(x))


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = _Scale()
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        return self.head(self.body(x))


def _pre_scale(self, input: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
    return (input[0] * self.gain,)


def _post_shift(self, input: Tuple[torch.Tensor], output: torch.Tensor):
    return output - input[0].sum(1, keepdim=True)


def _hooked_net():
    torch.manual_seed(0)
    net = _Net()
    net.body.register_forward_pre_hook(_pre_scale)
    net.body.register_forward_hook(_post_shift)
    return net


def _save_and_load(m):
    buf = io.BytesIO()
    torch.jit.save(m, buf)
    buf.seek(0)
    return torch.jit.load(buf)


def test_tensor_hooks_agree_eager_traced_scripted_and_loaded():
    net = _hooked_net()
    x = torch.randn(4, 3)
    expected = net(x).numpy()
    unhooked = net.head(net.body.forward(x)).numpy()
    assert not np.allclose(expected, unhooked)  # the hooks change the result
    traced = torch.jit.trace(net, (x,))
    scripted = torch.jit.script(net)
    for m in (traced, scripted, _save_and_load(traced), _save_and_load(scripted)):
        np.testing.assert_allclose(m(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    y = torch.randn(7, 3)  # the hooks' ops were recorded by the trace, not frozen
    np.testing.assert_allclose(traced(y).numpy(), net(y).numpy(), rtol=1e-6, atol=1e-6)


def test_a_scripted_submodule_called_from_python_runs_its_hooks_also_after_loading():
    net = _hooked_net()
    x = torch.randn(2, 3)
    scripted = torch.jit.script(net)
    loaded = _save_and_load(scripted)
    for m in (scripted.body, loaded.body):
        np.testing.assert_allclose(m(x).numpy(), net.body(x).numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(m.forward(x).numpy(), net.body.forward(x).numpy(), rtol=1e-6, atol=1e-6)


def test_root_hooks_of_a_scripted_module_survive_save_and_load():
    net = _hooked_net()
    net.register_forward_hook(_post_double)
    x = torch.randn(3, 3)
    loaded = _save_and_load(torch.jit.script(net))
    np.testing.assert_allclose(loaded(x).numpy(), net(x).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loaded.forward(x).numpy(), net.forward(x).numpy(), rtol=1e-6, atol=1e-6)


def _post_double(self, input: Tuple[torch.Tensor], output: torch.Tensor):
    return output * 2


def test_hooks_with_kwargs_cannot_be_scripted():
    m = _Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: None, with_kwargs=True)
    with pytest.raises(RuntimeError, match="with_kwargs=True cannot be scripted"):
        torch.jit.script(m)


def test_a_hook_may_take_the_name_of_an_nn_module_method():
    """Only the module's own methods collide with hook names (as TorchScript's compiled
    methods do); nn.Module's, like ``train``, are not compiled."""
    def train(self, input: Tuple[torch.Tensor], output: torch.Tensor):
        return output + 1

    m = _Scale()
    m.register_forward_hook(train)
    x = torch.randn(2, 3)
    np.testing.assert_allclose(torch.jit.script(m)(x).numpy(), m(x).numpy(), rtol=1e-6)

"""Programs whose gradients tests/test_autograd.py compares with PyTorch's, recorded once by
tools/record_autograd.py into tests/data/autograd.npz. Each takes the ``torch`` module (PyTorch
or minitorch_jit) and a dict of float64 tensors, and returns a scalar loss; its gradients with
respect to every input are recorded. OPTIMIZERS are trajectories of a few optimizer steps."""
from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np


def _inputs(seed: int, shapes: Dict[str, tuple]) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s) for k, s in shapes.items()}


def mlp(torch: Any, v: Dict[str, Any]) -> Any:
    F = torch.nn.functional
    h = F.relu(F.linear(v["x"], v["w1"], v["b1"]))
    logits = F.linear(h, v["w2"], v["b2"])
    return F.cross_entropy(logits, torch.tensor([0, 2, 1, 2, 0]), label_smoothing=0.1)


def lstm_cell(torch: Any, v: Dict[str, Any]) -> Any:
    gates = v["x"].mm(v["w_ih"].t()) + v["hx"].mm(v["w_hh"].t()) + v["b"]
    i, f, g, o = gates.chunk(4, 1)
    cy = f.sigmoid() * v["cx"] + i.sigmoid() * g.tanh()
    hy = o.sigmoid() * cy.tanh()
    return (hy * hy).sum() + cy.mean()


def convnet(torch: Any, v: Dict[str, Any]) -> Any:
    F = torch.nn.functional
    y = F.conv2d(v["img"], v["k1"], v["kb"], stride=1, padding=1)
    y = F.batch_norm(y, None, None, v["bn_w"], v["bn_b"], True)
    y = F.max_pool2d(F.relu(y), 2)
    y = F.conv2d(y, v["k2"], None, padding="same", groups=2)
    y = F.avg_pool2d(y, 2, 1) + F.adaptive_avg_pool2d(y, (2, 2)).mean()
    y = F.group_norm(y.tanh(), 2, v["gn_w"], v["gn_b"])
    logits = y.flatten(1).matmul(v["fc"])
    return F.nll_loss(logits.log_softmax(1), torch.tensor([1, 0]))


def attention(torch: Any, v: Dict[str, Any]) -> Any:
    F = torch.nn.functional
    x = F.layer_norm(v["x"], [8], v["ln_w"], v["ln_b"])
    q, k, val = (x @ v["wqkv"]).split(8, -1)
    att = (q @ k.transpose(-2, -1) / 8 ** 0.5).masked_fill(torch.ones(5, 5).triu(1) > 0, float("-inf")).softmax(-1)
    y = F.gelu(att @ val) + F.gelu(x, approximate="tanh")
    return F.mse_loss(y, v["target"]) + F.l1_loss(y.sum(1), v["target"].sum(1))


def assorted(torch: Any, v: Dict[str, Any]) -> Any:
    a, b = v["a"], v["b"]
    parts = [a.var(1), a.std(0, keepdim=True).squeeze(0), a.norm(dim=1), a.logsumexp(1), a.cumsum(1)[:, -1],
             a.amax(1), a.max(1)[0], a[1:, ::2].sum(1), a[torch.tensor([2, 0, 1])].select(1, 1),
             torch.where(a > 0, a, b).sum(1), a.clamp(-0.5, 0.7).mean(1), (a * b).pow(2).sqrt().log1p().mean(1),
             torch.cat([a, b], 1).sum(1), torch.stack([a, b]).mean((0, 2)), a.masked_fill(b > 0.5, 0.0).sum(1),
             torch.maximum(a, b).sum(1) - torch.minimum(a, b).exp().sum(1), (a / (b.abs() + 1)).sum(1),
             activations(torch, a) + a.sigmoid().sum(1) * torch.lerp(a, b, 0.3).sum(1)]
    return sum((p * (i + 1)).sum() for i, p in enumerate(parts))


def activations(torch: Any, a: Any) -> Any:
    F = torch.nn.functional
    return (F.elu(a) + F.selu(a) + F.leaky_relu(a, 0.1) + F.softplus(a, 2) + F.mish(a) + F.hardswish(a * 3)).sum(1)


PROGRAMS: Dict[str, tuple] = {
    "mlp": (mlp, _inputs(1, {"x": (5, 4), "w1": (6, 4), "b1": (6,), "w2": (3, 6), "b2": (3,)})),
    "lstm_cell": (lstm_cell, _inputs(2, {"x": (3, 5), "hx": (3, 4), "cx": (3, 4), "w_ih": (16, 5), "w_hh": (16, 4),
                                         "b": (16,)})),
    "convnet": (convnet, _inputs(3, {"img": (2, 3, 6, 6), "k1": (4, 3, 3, 3), "kb": (4,), "bn_w": (4,), "bn_b": (4,),
                                     "k2": (4, 2, 3, 3), "gn_w": (4,), "gn_b": (4,), "fc": (16, 3)})),
    "attention": (attention, _inputs(4, {"x": (2, 5, 8), "ln_w": (8,), "ln_b": (8,), "wqkv": (8, 24),
                                         "target": (2, 5, 8)})),
    "assorted": (assorted, _inputs(5, {"a": (3, 4), "b": (3, 4)})),
}


def optimizer_run(torch: Any, name: str, steps: int = 4) -> Dict[str, np.ndarray]:
    """A few steps of one optimizer configuration on the mlp; the parameters after each step."""
    build: Callable[[Any, Any], Any] = OPTIMIZERS[name]
    values = PROGRAMS["mlp"][1]
    params = {k: torch.tensor(values[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")}
    opt = build(torch.optim, list(params.values()))
    x = torch.tensor(values["x"])
    out = {}
    for step in range(steps):
        opt.zero_grad()
        loss = mlp(torch, dict(params, x=x))
        loss.backward()
        opt.step()
        for k, p in params.items():
            out[f"{k}@{step}"] = p.detach().numpy().copy()
    return out


OPTIMIZERS: Dict[str, Callable[[Any, Any], Any]] = {
    "sgd": lambda optim, ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda optim, ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda optim, ps: optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    "adam": lambda optim, ps: optim.Adam(ps, lr=0.01),
    "adam_amsgrad": lambda optim, ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True),
    "adamw": lambda optim, ps: optim.AdamW(ps, lr=0.01, weight_decay=0.05),
}

"""Compiled objects to save, including ones shaped like the scripter's output (graphs with
if/loop and calls between functions, a module with submodules, a plain attribute and a
loop), built from IR text; and tools to take archives apart and put them back together."""
import hashlib
import inspect
import io
import json
import warnings
import zipfile

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.ir import parse_graph
from minitorch_jit.runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, mirror

SCRIPTED_FN = '''graph(%x : Float(*), %n : int, %scale : float):
  %c : Float(1) = prim::Constant[value=tensor([0.25], dtype=float32)]()
  %zero : int = prim::Constant[value=0]()
  %t : bool = prim::Constant[value=True]()
  %pair : (int, float) = prim::Constant[value=(2, 0.5)]()
  %s : Tensor = aten::sum(%x)
  %pos : Tensor = aten::gt(%s, %zero)
  %b : bool = prim::Bool(%pos)
  %y : Float(*) = prim::If(%b)
    block0():
      %y1 : Float(*) = aten::mul(%x, %scale)
      -> (%y1)
    block1():
      %y2 : Float(*) = aten::neg(%x)
      -> (%y2)
  %acc : Float(*) = prim::Loop(%n, %t, %y)
    block0(%i : int, %a : Float(*)):
      %a2 : Float(*) = prim::CallFunction_0[name="step"](%a, %c)
      -> (%t, %a2)
  return (%acc, %pair)
with prim::CallFunction_0 = graph(%p : Float(*), %q : Float(1)):
  %r : Float(*) = aten::add(%p, %q)
  %r2 : Float(*) = aten::tanh(%r)
  return (%r2)
'''

SCRIPTED_FORWARD = '''graph(%x : Float(*, *), %self.fc.weight : Float(*, *), %self.fc.bias : Float(*), %self.steps : int, %self.scale : Float(1), %self.training : bool):
  %t : bool = prim::Constant[value=True]()
  %out : Float(*, *) = prim::Loop(%self.steps, %t, %x)
    block0(%i : int, %h : Float(*, *)):
      %h1 : Float(*, *) = aten::linear(%h, %self.fc.weight, %self.fc.bias)
      %h2 : Float(*, *) = prim::If(%self.training)
        block0():
          %h3 : Float(*, *) = aten::mul(%h1, %self.scale)
          -> (%h3)
        block1():
          -> (%h1)
      -> (%t, %h2)
  return (%out)
'''

LINEAR_FORWARD = '''graph(%x : Float(*, *), %self.weight : Float(*, *), %self.bias : Float(*)):
  %y : Float(*, *) = aten::linear(%x, %self.weight, %self.bias)
  return (%y)
'''


def _signature(*params):
    return inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, **kw)
                              for name, kw in params])


def scripted_function() -> ScriptFunction:
    """f(x, n=3, scale=0.5): if/else on the sign of x.sum(), then n calls of a subgraph."""
    return ScriptFunction(parse_graph(SCRIPTED_FN), _signature(("x", {}), ("n", {"default": 3}),
                                                               ("scale", {"default": 0.5})), "f", "tests.f")


def scripted_module() -> ScriptModule:
    """A Net whose forward applies its shared Linear ``steps`` times, scaled by a buffer
    when training; the Linear has a compiled forward of its own."""
    torch.manual_seed(1)
    fc = mirror(nn.Linear(4, 4))
    fc._add_method(ScriptMethod(parse_graph(LINEAR_FORWARD), _signature(("x", {})), "forward", ["weight", "bias"],
                                "Linear.forward"))
    net = ScriptModule("Net")
    net.add_module("fc", fc)
    net.add_module("fc_again", fc)  # one submodule under two names
    net.add_module("unused", None)
    net.register_buffer("scale", torch.tensor([0.5]))
    net.register_buffer("scratch", torch.zeros(2), persistent=False)
    object.__setattr__(net, "steps", 3)
    net._add_method(ScriptMethod(parse_graph(SCRIPTED_FORWARD), _signature(("x", {})), "forward",
                                 ["fc.weight", "fc.bias", "steps", "scale", "training"], "Net.forward"))
    return net


# -- the same, written in Python and compiled by the scripter ------------------------------------


def _step(a, c):
    return torch.tanh(a + c)


def _real_scripted(x, n: int = 3, scale: float = 0.5):
    c = torch.tensor([0.25])
    if bool(x.sum() > 0):
        y = x * scale
    else:
        y = -x
    for _ in range(n):
        y = _step(y, c)
        if bool(y.max() > 10.0):
            break
    return y, (2, 0.5)


def real_scripted_function() -> ScriptFunction:
    """The scripter's compilation of an if/else, a loop with a break and a call."""
    return torch.script(_real_scripted)


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)

    def forward(self, x):
        return self.norm(torch.relu(self.fc(x)))


class _Net(nn.Module):
    def __init__(self, steps: int):
        super().__init__()
        self.blocks = nn.ModuleList([_Block() for _ in range(2)])
        self.head = nn.Linear(4, 2)
        self.steps = steps
        self.register_buffer("scale", torch.tensor([0.5]))

    def forward(self, x):
        for _ in range(self.steps):
            for block in self.blocks:
                x = x + block(x) * self.scale
        if self.training:
            x = x * 2.0
        return self.head(x)


def real_scripted_module() -> ScriptModule:
    """The scripter's compilation of a module with submodules, a ModuleList and loops."""
    torch.manual_seed(2)
    return torch.script(_Net(steps=2))


def tiny_mlp() -> ScriptModule:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).eval()
    return torch.trace(m, torch.randn(2, 3))


# -- taking archives apart --------------------------------------------------------------------------


def save_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.jit.save(obj, buf)
    return buf.getvalue()


def members(data: bytes) -> dict:
    """Full member name -> bytes, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def pack(items, compression=zipfile.ZIP_STORED) -> bytes:
    """A zip of (name, bytes) pairs (a dict or a list, so names may repeat)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name", when that is the point
        for name, data in (items.items() if isinstance(items, dict) else items):
            zf.writestr(name, data)
    return buf.getvalue()


def reseal(ms: dict) -> dict:
    """Recompute the manifest after members were edited, as a tamperer would."""
    top = next(iter(ms)).split("/")[0]
    manifest = f"{top}/manifest.json"
    ms = {k: v for k, v in ms.items() if k != manifest}
    ms[manifest] = json.dumps({"members": {k[len(top) + 1:]: {"size": len(v), "sha256": hashlib.sha256(v).hexdigest()}
                                           for k, v in ms.items()}}).encode()
    return ms


def edited(data: bytes, name: str, change) -> bytes:
    """The archive with member ``name`` (without the top folder) replaced by
    ``change(old bytes)`` and the manifest rewritten to match."""
    ms = members(data)
    full = next(k for k in ms if k.split("/", 1)[1] == name)
    ms[full] = change(ms[full])
    return pack(reseal(ms))

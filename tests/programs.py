"""Compiled programs the differential test runs with and without passes.

``PROGRAMS`` lists (name, build, examples, source): ``build()`` returns what ``trace`` or
``script`` returned, ``examples()`` a list of argument tuples (each is also run with random
values of the same kinds), ``source`` the Python function or class compiled (None for graphs
written as IR). Every program of ``examples/`` is here, scripted and, where it is a seed's
traced program, traced (a test checks that none is missing); add new ones here.
"""
import inspect
from typing import Any, Callable, List, NamedTuple, Tuple

from graph_checks import dedent
from saved_models import real_scripted_function, real_scripted_module

import minitorch_jit as torch
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.lstm_cell import lstm_cell, lstm_cell_hidden, lstm_inputs, lstm_pointwise
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.bench.programs.neural_style import ConvLayer, ResidualBlock
from minitorch_jit.bench.programs.normalization import layer_norm, softmax
from minitorch_jit.bench.programs.peephole import dumb_function
from minitorch_jit.bench.programs.pointwise import gelu, square5
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.bench.programs.resnet import BasicBlock, ResNet18
from minitorch_jit.bench.programs.rnn_module import RNN
from minitorch_jit.bench.programs.script_vs_trace import my_function
from minitorch_jit.bench.programs.uniformity_loss import lunif, lunif2
from minitorch_jit.ir import parse_graph, verify
from minitorch_jit.runtime.compiled import ScriptFunction


class Program(NamedTuple):
    name: str
    build: Callable[[], Any]
    examples: Callable[[], List[Tuple[Any, ...]]]
    source: Any = None
    # fused results may also differ by this much: a recurrence carries a fused tanh's ulp in
    # one step into the next, where sums that cancel make it large relative to the result
    fused_atol: float = 1e-30


def script_from_ir(text: str, name: str = "fn") -> ScriptFunction:
    """A ScriptFunction of a graph written as text, called with its inputs' names."""
    graph = parse_graph(dedent(text))
    verify(graph)
    params = [inspect.Parameter((v.name or f"arg{i}").replace(".", "_"), inspect.Parameter.POSITIONAL_OR_KEYWORD)
              for i, v in enumerate(graph.inputs)]
    return ScriptFunction(graph, inspect.Signature(params), name)


def my_function_of_ints(x):
    """The seeds' my_function as their scripting slide writes it: 1 or 2 by the branch taken."""
    if bool(x.mean() > 1.0):
        r = 1
    else:
        r = 2
    return r


def identities(x, y):
    a = (x * 1 - 0) / 1
    b = -(-y)
    c = a.contiguous().view(x.size(0), -1).to(torch.float32)
    return c + b, b * 1


def writes_in_place(x, y):
    a = x + 1
    x.add_(1)
    b = x + 1
    z = y * 1
    z.mul_(2)
    return a, b, z, y


def flatten_rows(x):
    return x.reshape(x.size(0), -1).sum(1) * x.numel()


LOOPS = """
    graph(%x : Tensor, %n : int, %flag : bool):
      %t : bool = prim::Constant[value=True]()
      %zero : int = prim::Constant[value=0]()
      %five : int = prim::Constant[value=5]()
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %y.1 : Tensor):
          %y.2 : Tensor = aten::add(%y.1, %i)
          -> (%t, %y.2)
      %z : Tensor = prim::Loop(%five, %t, %y)
        block0(%j : int, %z.1 : Tensor):
          %z.2 : Tensor = aten::mul(%z.1, %z.1)
          %z.3 : Tensor = aten::tanh(%z.2)
          -> (%t, %z.3)
      %r : Tensor = prim::If(%flag)
        block0():
          %d : int = aten::dim(%z)
          %s : Tensor = aten::mul(%z, %d)
          -> (%s)
        block1():
          %s.1 : Tensor = aten::neg(%z)
          -> (%s.1)
      return (%r)
    """

WHILE = """
    graph(%x : Float(*)):
      %big : int = prim::Constant[value=9223372036854775807]()
      %t : bool = prim::Constant[value=True]()
      %half : float = prim::Constant[value=0.5]()
      %one : int = prim::Constant[value=1]()
      %s0 : Tensor = aten::sum(%x)
      %c0 : Tensor = aten::gt(%s0, %one)
      %go0 : bool = prim::Bool(%c0)
      %y : Tensor = prim::Loop(%big, %go0, %x)
        block0(%i : int, %y.1 : Tensor):
          %y.2 : Tensor = aten::mul(%y.1, %half)
          %s : Tensor = aten::sum(%y.2)
          %c : Tensor = aten::gt(%s, %one)
          %go : bool = prim::Bool(%c)
          -> (%go, %y.2)
      return (%y)
    """

LOOP_WRITES = """
    graph(%x : Tensor, %n : int):
      %t : bool = prim::Constant[value=True]()
      %one : int = prim::Constant[value=1]()
      %y : Tensor = prim::Loop(%n, %t, %x)
        block0(%i : int, %y.1 : Tensor):
          %a : Tensor = aten::exp(%x)
          %b : Tensor = aten::mul(%y.1, %one)
          %c : Tensor = aten::add_(%b, %a)
          %d : Tensor = aten::exp(%x)
          %e : Tensor = aten::sub(%c, %d)
          -> (%t, %e)
      %z : Tensor = prim::Loop(%n, %t, %x)
        block0(%j : int, %z.1 : Tensor):
          %f : Tensor = aten::add_(%z.1, %one)
          -> (%t, %f)
      %s : Tensor = aten::mul(%x, %one)
      %u : Tensor = aten::t(%s)
      %v : Tensor = aten::t(%u)
      return (%y, %z, %v, %x)
    """


def _module(make: Callable[[], Any], *example: Any) -> Callable[[], Any]:
    """Trace the module ``make()`` builds (in eval mode) on ``example``; with no example,
    script it."""
    def build() -> Any:
        torch.manual_seed(0)
        m = make().eval()
        return torch.jit.trace(m, example) if example else torch.script(m)
    return build


def _traced(fn: Callable[..., Any], *example: Any) -> Callable[[], Any]:
    return lambda: torch.jit.trace(fn, example)


def _scripted(fn: Callable[..., Any]) -> Callable[[], Any]:
    return lambda: torch.script(fn)


def _rnn() -> Any:
    torch.manual_seed(0)
    return RNN(torch.randn(3, 6) * 0.5, torch.randn(6, 6) * 0.2, torch.randn(6, 2), torch.zeros(6), torch.zeros(2))


def _boxes(*shape: int) -> Tuple[Any, ...]:
    return tuple(torch.randn(*shape) for _ in range(8))


PROGRAMS: List[Program] = [
    Program("dumb_function", _traced(dumb_function, torch.ones(2, 2)),
            lambda: [(torch.randn(3, 4),), (torch.randn(3, 4).t(),)], dumb_function),
    Program("dumb_function scripted", _scripted(dumb_function),
            lambda: [(torch.randn(3, 4),), (torch.randn(3, 4).t(),)], dumb_function),
    Program("ratio_iou", _traced(ratio_iou, *[torch.ones(4, 5) for _ in range(8)]),
            lambda: [_boxes(4, 5), _boxes(7)], ratio_iou),
    Program("ratio_iou scripted", _scripted(ratio_iou), lambda: [_boxes(4, 5), _boxes(7), _boxes(3, 1)], ratio_iou),
    Program("lunif2", _traced(lunif2, torch.randn(6, 3)),
            lambda: [(torch.randn(6, 3),), (torch.randn(9, 3),), (torch.randn(9, 3).double(),)], lunif2),
    Program("lunif2 scripted", _scripted(lunif2),
            lambda: [(torch.randn(6, 3),), (torch.randn(9, 3), 3), (torch.randn(9, 3).double(),)], lunif2),
    Program("lunif scripted", _scripted(lunif), lambda: [(torch.randn(6, 3),), (torch.randn(4, 2).double(), 1)], lunif),
    Program("my_function traced", _traced(my_function, torch.ones(2, 2)), lambda: [(torch.ones(2, 2) * 3,)],
            my_function),
    Program("my_function scripted", _scripted(my_function),
            lambda: [(torch.ones(2, 2),), (torch.ones(2, 2) * 3,), (torch.randn(5),)], my_function),
    Program("square5 scripted", _scripted(square5), lambda: [(torch.rand(5),), (torch.rand(2, 3).double(),)], square5),
    Program("gelu scripted", _scripted(gelu), lambda: [(torch.randn(100),), (torch.randn(3, 4).double(),)], gelu),
    Program("softmax scripted", _scripted(softmax), lambda: [(torch.randn(4, 6),), (torch.randn(3, 1),)], softmax),
    Program("layer_norm scripted", _scripted(layer_norm),
            lambda: [(torch.randn(4, 6), torch.randn(6), torch.randn(6)),
                     (torch.randn(2, 3), torch.randn(3), torch.randn(3), 0.1)], layer_norm),
    Program("lstm_cell_hidden scripted", _scripted(lstm_cell_hidden),
            lambda: [(lambda x, h, c, *w: (x, (h, c), *w))(*lstm_inputs(3, 4, 5))], lstm_cell_hidden),
    Program("lstm_cell scripted", _scripted(lstm_cell), lambda: [lstm_inputs(3, 4, 5), lstm_inputs(1, 2, 3)],
            lstm_cell),
    Program("lstm_pointwise scripted", _scripted(lstm_pointwise),
            lambda: [tuple(torch.randn(3, 4) for _ in range(5))], lstm_pointwise),
    Program("identities", _traced(identities, torch.ones(2, 3), torch.ones(3)),
            lambda: [(torch.randn(2, 3), torch.randn(3)), (torch.randn(4, 2), torch.randn(1))]),
    Program("writes_in_place", _traced(writes_in_place, torch.ones(3), torch.ones(3)),
            lambda: [(torch.randn(3), torch.randn(3))]),
    Program("flatten_rows", _traced(flatten_rows, torch.ones(2, 3, 4)),
            lambda: [(torch.randn(2, 3, 4),), (torch.randn(5, 1, 2),)]),
    Program("mlp", _module(mlp, torch.randn(8, 8)), lambda: [(torch.randn(8, 8),), (torch.randn(1, 8),)], mlp),
    Program("mlp scripted", _module(mlp), lambda: [(torch.randn(8, 8),), (torch.randn(1, 8),)], mlp),
    Program("LeNet", _module(LeNet, torch.randn(2, 1, 28, 28)), lambda: [(torch.randn(3, 1, 28, 28),)], LeNet),
    Program("LeNet scripted", _module(LeNet), lambda: [(torch.randn(3, 1, 28, 28),)], LeNet),
    Program("resnet BasicBlock scripted", _module(lambda: BasicBlock(4, 4)), lambda: [(torch.randn(2, 4, 6, 6),)],
            BasicBlock, fused_atol=1e-6),
    Program("ResNet18", _module(lambda: ResNet18(10, width=4), torch.randn(1, 3, 32, 32)),
            lambda: [(torch.randn(2, 3, 32, 32),)], ResNet18, fused_atol=1e-5),
    Program("ResNet18 scripted", _module(lambda: ResNet18(10, width=4)), lambda: [(torch.randn(1, 3, 32, 32),)],
            ResNet18, fused_atol=1e-5),
    Program("fast-neural-style ConvLayer", _module(lambda: ConvLayer(3, 4, 3, 2), torch.randn(1, 3, 9, 9)),
            lambda: [(torch.randn(2, 3, 11, 7),)], ConvLayer, fused_atol=1e-6),
    Program("fast-neural-style ResidualBlock scripted", _module(lambda: ResidualBlock(4)),
            lambda: [(torch.randn(2, 4, 6, 6),), (torch.randn(1, 4, 5, 9),)], ResidualBlock, fused_atol=1e-5),
    Program("RNN script module", _rnn, lambda: [(torch.randn(12, 2, 3), torch.zeros(2, 6))], RNN, fused_atol=1e-6),
    Program("saved_models scripted function", real_scripted_function,
            lambda: [(torch.randn(3),), (torch.randn(2, 2), 5, 3.0), (-torch.ones(4), 0)]),
    Program("saved_models scripted module", real_scripted_module, lambda: [(torch.randn(5, 4),)]),
    Program("loops (IR)", lambda: script_from_ir(LOOPS, "loops"),
            lambda: [(torch.randn(3), n, f) for n in (-2, 0, 3, 11) for f in (True, False)]),
    Program("while (IR)", lambda: script_from_ir(WHILE, "halve"), lambda: [(torch.rand(4) * 10,)]),
    Program("loop writes (IR)", lambda: script_from_ir(LOOP_WRITES, "loop_writes"),
            lambda: [(torch.randn(3), n) for n in (0, 1, 4, 20)] + [(torch.randn(2, 3), 3)]),
]

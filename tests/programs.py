"""Compiled programs the differential test runs with and without passes.

``PROGRAMS`` lists (name, build, examples): ``build()`` returns what ``trace`` or ``script``
returned, ``examples()`` a list of argument tuples (each is also run with random values of the
same kinds). Add scripted programs and the examples here to put them under the test.
"""
import inspect
from typing import Any, Callable, List, NamedTuple, Tuple

from graph_checks import dedent

import minitorch_jit as torch
from ir import parse_graph, verify
from minitorch_jit.jit.function import ScriptFunction

from examples.peephole import dumb_function
from examples.ratio_iou import ratio_iou
from examples.script_vs_trace import my_function
from examples.trace_lenet import LeNet
from examples.trace_mlp import mlp
from examples.uniformity_loss import lunif2


class Program(NamedTuple):
    name: str
    build: Callable[[], Any]
    examples: Callable[[], List[Tuple[Any, ...]]]


def script_from_ir(text: str, name: str = "fn") -> ScriptFunction:
    """A ScriptFunction of a graph written as text, called with its inputs' names."""
    graph = parse_graph(dedent(text))
    verify(graph)
    params = [inspect.Parameter((v.name or f"arg{i}").replace(".", "_"), inspect.Parameter.POSITIONAL_OR_KEYWORD)
              for i, v in enumerate(graph.inputs)]
    return ScriptFunction(graph, inspect.Signature(params), name)


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
    def build() -> Any:
        torch.manual_seed(0)
        m = make()
        return torch.trace(m.eval() if hasattr(m, "eval") else m, example)
    return build


def _traced(fn: Callable[..., Any], *example: Any) -> Callable[[], Any]:
    return lambda: torch.trace(fn, example)


PROGRAMS: List[Program] = [
    Program("dumb_function", _traced(dumb_function, torch.ones(2, 2)),
            lambda: [(torch.randn(3, 4),), (torch.randn(3, 4).t(),)]),
    Program("ratio_iou", _traced(ratio_iou, *[torch.ones(4, 5) for _ in range(8)]),
            lambda: [tuple(torch.randn(4, 5) for _ in range(8)), tuple(torch.randn(7) for _ in range(8))]),
    Program("lunif2", _traced(lunif2, torch.randn(6, 3)),
            lambda: [(torch.randn(6, 3),), (torch.randn(9, 3),), (torch.randn(9, 3).double(),)]),
    Program("my_function traced", _traced(my_function, torch.ones(2, 2)), lambda: [(torch.ones(2, 2) * 3,)]),
    Program("identities", _traced(identities, torch.ones(2, 3), torch.ones(3)),
            lambda: [(torch.randn(2, 3), torch.randn(3)), (torch.randn(4, 2), torch.randn(1))]),
    Program("writes_in_place", _traced(writes_in_place, torch.ones(3), torch.ones(3)),
            lambda: [(torch.randn(3), torch.randn(3))]),
    Program("flatten_rows", _traced(flatten_rows, torch.ones(2, 3, 4)),
            lambda: [(torch.randn(2, 3, 4),), (torch.randn(5, 1, 2),)]),
    Program("mlp", _module(mlp, torch.randn(8, 8)), lambda: [(torch.randn(8, 8),), (torch.randn(1, 8),)]),
    Program("LeNet", _module(LeNet, torch.randn(2, 1, 28, 28)), lambda: [(torch.randn(3, 1, 28, 28),)]),
    Program("loops (IR)", lambda: script_from_ir(LOOPS, "loops"),
            lambda: [(torch.randn(3), n, f) for n in (-2, 0, 3, 11) for f in (True, False)]),
    Program("while (IR)", lambda: script_from_ir(WHILE, "halve"), lambda: [(torch.rand(4) * 10,)]),
    Program("loop writes (IR)", lambda: script_from_ir(LOOP_WRITES, "loop_writes"),
            lambda: [(torch.randn(3), n) for n in (0, 1, 4, 20)] + [(torch.randn(2, 3), 3)]),
]

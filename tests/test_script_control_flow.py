"""Random programs with nested if/for/while, break, continue and return anywhere, numbers, a
list appended to and a tensor updated in place: scripted, they compute what Python computes,
and the same with and without passes. The lowering of early exits to structured control flow
and the joining of variables where paths meet are where a scripter goes wrong quietly."""
import copy
import importlib.util
import random

import pytest
from differential import assert_same_with_and_without_passes
from script_util import roundtrip, same

import minitorch_jit as torch

VARS = ("a", "b", "c")
INPUTS = [(0, 1, 2), (5, -3, 7), (13, 4, -8), (-6, 9, 1)]


class _Program:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.loops = 0
        self.lines = []

    def expr(self) -> str:
        r, v, w = self.rng, self.rng.choice(VARS), self.rng.choice(VARS)
        return r.choice([f"{v} + {r.randint(-3, 5)}", f"{v} - {w}", f"({v} * {r.randint(-2, 3)}) % 97",
                         f"{v} // {r.randint(1, 4)}", f"{r.randint(-9, 9)}", f"{v} + {w} % {r.randint(2, 5)}"])

    def cond(self) -> str:
        r, v = self.rng, self.rng.choice(VARS)
        simple = [f"{v} < {r.randint(-5, 10)}", f"{v} % 2 == 0", f"{v} > {r.choice(VARS)}"]
        c = r.choice(simple)
        if r.random() < 0.3:
            c = f"{c} {r.choice(['and', 'or'])} {r.choice(simple)}"
        return f"not ({c})" if r.random() < 0.15 else c

    def block(self, depth: int, in_loop: bool, indent: int) -> None:
        for _ in range(self.rng.randint(1, 3)):
            self.stmt(depth, in_loop, indent)

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def stmt(self, depth: int, in_loop: bool, indent: int) -> None:
        r = self.rng
        kinds = ["assign"] * 4 + (["if", "for", "while"] if depth < 3 else [])
        kinds += ["return"] * (1 if r.random() < 0.3 else 0)
        kinds += ["break", "continue"] if in_loop else []
        kind = r.choice(kinds)
        if kind == "assign":
            self.emit(indent, r.choice([f"{r.choice(VARS)} = {self.expr()}", f"{r.choice(VARS)} = {self.expr()}",
                                        f"l.append({self.expr()})", f"t = t + {r.choice(VARS)}", "t += 1",
                                        f"{r.choice(VARS)} = len(l)", f"{r.choice(VARS)} = int(t.sum()) % 50"]))
        elif kind == "return":
            self.emit(indent, "return a, b, c, l, t")
        elif kind in ("break", "continue"):
            self.emit(indent, f"if {self.cond()}:")
            self.emit(indent + 1, kind)
        elif kind == "if":
            self.emit(indent, f"if {self.cond()}:")
            self.block(depth + 1, in_loop, indent + 1)
            if r.random() < 0.6:
                self.emit(indent, "else:")
                self.block(depth + 1, in_loop, indent + 1)
        elif kind == "for":
            self.loops += 1
            i = f"i{self.loops}"
            args = r.choice([f"{r.randint(0, 4)}", f"{r.randint(-2, 2)}, {r.randint(0, 5)}",
                             f"{r.randint(3, 6)}, {r.randint(-2, 1)}, -{r.randint(1, 2)}"])
            self.emit(indent, f"for {i} in range({args}):")
            self.emit(indent + 1, f"{r.choice(VARS)} = {r.choice(VARS)} + {i}")
            self.block(depth + 1, True, indent + 1)
        else:
            self.loops += 1
            w = f"w{self.loops}"
            self.emit(indent, f"{w} = 0")
            self.emit(indent, f"while {w} < {r.randint(0, 4)}:")
            self.emit(indent + 1, f"{w} += 1")
            self.block(depth + 1, True, indent + 1)

    def source(self, name: str) -> str:
        self.emit(1, "a, b = b, a + c")
        self.block(0, False, 1)
        self.emit(1, "return a, b, c, l, t")
        return f"def {name}(a: int, b: int, c: int, l: List[int], t):\n" + "\n".join(self.lines) + "\n"


def _programs(tmp_path, seeds):
    text = "from typing import List\n\n" + "".join(_Program(random.Random(seed)).source(f"p{seed}") + "\n"
                                                  for seed in seeds)
    path = tmp_path / "random_programs.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("random_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [(seed, getattr(module, f"p{seed}")) for seed in seeds]


@pytest.mark.parametrize("chunk", range(4))
def test_random_programs_compute_what_python_computes(tmp_path, chunk):
    for seed, fn in _programs(tmp_path, range(chunk * 50, chunk * 50 + 50)):
        scripted = torch.script(fn)
        roundtrip(scripted.graph)
        for args in INPUTS:
            inputs = args + ([1, 2], torch.tensor([1.0, -2.0]))
            same(scripted(*copy.deepcopy(inputs)), fn(*copy.deepcopy(inputs)), f"program p{seed}{args}")
            assert_same_with_and_without_passes(scripted, *copy.deepcopy(inputs))


def test_dead_code_elimination_revisits_an_if_when_a_loop_finds_more_live_values():
    """Found by the random programs: the If was marked when only %y was live; the loop's second
    round found %c live and must mark the If's blocks again (else %z is swept while used)."""
    from minitorch_jit.ir import parse_graph, verify
    from minitorch_jit.passes.dead_code_elimination import dead_code_elimination
    g = parse_graph("""graph(%n : int, %x : int):
  %t : bool = prim::Constant[value=True]()
  %c0 : int = prim::Constant[value=0]()
  %out : int, %c : int = prim::Loop(%n, %t, %x, %c0)
    block0(%i : int, %xp : int, %cp : int):
      %b : bool = aten::lt(%cp, %i)
      %y : int, %c2 : int = prim::If(%b)
        block0():
          -> (%xp, %i)
        block1():
          %z : int = aten::add(%cp, %i)
          -> (%i, %z)
      -> (%t, %y, %c2)
  return (%out)
""")
    before = str(g)
    dead_code_elimination(g)
    verify(g)
    assert str(g) == before  # everything is live

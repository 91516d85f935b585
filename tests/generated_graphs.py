"""Big straight-line graphs of a given size, for measuring how passes grow with graph size
(tests/test_graph_growth.py, benchmarks/bench_graph_size.py)."""
import gc
import time
from typing import Callable

from minitorch_jit.ir import Graph, TensorType
from minitorch_jit.ir.types import FLOAT

MATRIX = TensorType("float32", (None, None))


def dead_chain(n: int) -> Graph:
    """``n`` negations in a chain whose end nothing uses: dead code elimination removes all."""
    g = Graph()
    x = g.add_input(MATRIX, "x")
    v = x
    for _ in range(n):
        v = g.insert("aten::neg", [v], [MATRIX]).output
    g.register_output(x)
    return g


def twin_chains(n: int) -> Graph:
    """Two equal chains of ``n / 2`` negations, multiplied: common subexpression elimination
    merges the second into the first."""
    g = Graph()
    x = g.add_input(MATRIX, "x")
    a = b = x
    for _ in range(n // 2):
        a = g.insert("aten::neg", [a], [MATRIX]).output
        b = g.insert("aten::neg", [b], [MATRIX]).output
    g.register_output(g.insert("aten::mul", [a, b], [MATRIX]).output)
    return g


def straight_line(n: int) -> Graph:
    """About ``n`` nodes of a long function body: pointwise arithmetic on a running value with
    constants, a repeated product (for CSE), an unused exp (for DCE) and, every 64 nodes, a
    reduction added back in (which the fuser cannot fuse, so the body makes many groups)."""
    g = Graph()
    x = g.add_input(MATRIX, "x")
    y = g.add_input(MATRIX, "y")
    v = x
    for i in range(0, n, 8):
        one = g.insert_constant(1)
        w = g.insert("aten::mul", [v, y], [MATRIX]).output
        w2 = g.insert("aten::mul", [v, y], [MATRIX]).output
        g.insert("aten::exp", [w], [MATRIX])
        v = g.insert("aten::add", [w, w2, one], [MATRIX]).output
        if i % 64 == 56:
            v = g.insert("aten::add", [v, g.insert("aten::sum", [v], [TensorType("float32", ())]).output, one],
                         [MATRIX]).output
        else:
            v = g.insert("aten::sub", [v, g.insert_constant(float(i % 7)), one], [MATRIX]).output
    g.register_output(v)
    return g


def best_time(fn: Callable[[Graph], object], build: Callable[[], Graph], repeat: int) -> float:
    """The least CPU time ``fn(graph)`` takes over ``repeat`` fresh graphs from ``build``. CPU
    time of this process, not wall time: on a loaded machine a long run is preempted more
    often than a short one, which would skew ratios of times. The garbage collector is off
    while it runs (as in timeit): graphs are cyclic, and a collection of everything else in
    the process could land on one size."""
    best = float("inf")
    for _ in range(repeat):
        graph = build()
        gc.disable()
        try:
            start = time.process_time()
            fn(graph)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def add_chain(n: int) -> Graph:
    """``x = x + c`` ``n`` times, all pointwise: the fuser puts the whole chain in groups."""
    g = Graph()
    x = g.add_input(MATRIX, "x")
    c = g.add_input(FLOAT, "c")
    one = g.insert_constant(1)
    for _ in range(n):
        x = g.insert("aten::add", [x, c, one], [MATRIX]).output
    g.register_output(x)
    return g

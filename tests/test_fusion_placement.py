"""Where the fuser places groups: each group node stands where every value it reads is
already defined and every use of its results comes later, counting that other groups stand
at their own places rather than where their ops were."""
import random

from minitorch_jit.ir import Graph, TensorType, parse_graph, verify
from minitorch_jit.passes.fusion import fuse

MATRIX = TensorType("float32", (None, None))
SCALAR = TensorType("float32", ())


def test_a_group_does_not_stand_before_another_group_it_reads():
    # {%1, %4} stands at %4 (the sum between them reads %2, not %1). {%2, %5} cannot stand at
    # %5 (the sum reads %2 before it), nor at %2: it would read %1 before %1's group computes
    # it (the fuser used to put it there). %5 joins %1's group instead.
    g = parse_graph("""graph(%x0 : Float(*, *), %x1 : Float(*, *)):
  %1 : Float(*, *) = aten::mul(%x1, %x1)
  %2 : Float(*, *) = aten::tanh(%x1)
  %3 : Float() = aten::sum(%2)
  %4 : Float(*, *) = aten::mul(%1, %3)
  %5 : Float(*, *) = aten::mul(%2, %1)
  return (%1, %4, %5)
""")
    assert fuse(g)
    verify(g)
    assert [n.kind for n in g.nodes] == ["aten::tanh", "aten::sum", "prim::FusionGroup"]


def _random_block(seed):
    """Pointwise ops, reductions and matrix products (which the fuser leaves out) reading
    earlier values."""
    rnd = random.Random(seed)
    g = Graph()
    values = [g.add_input(MATRIX, f"x{i}") for i in range(3)]
    for _ in range(rnd.randint(3, 40)):
        a, b, r = rnd.choice(values), rnd.choice(values), rnd.random()
        if r < 0.15:
            s = g.insert("aten::sum", [a], [SCALAR]).output
            values.append(g.insert("aten::mul", [b, s], [MATRIX]).output)
        elif r < 0.25:
            values.append(g.insert("aten::mm", [a, b], [MATRIX]).output)
        elif r < 0.6:
            values.append(g.insert("aten::mul", [a, b], [MATRIX]).output)
        else:
            values.append(g.insert("aten::tanh", [a], [MATRIX]).output)
    for v in rnd.sample(values[3:], min(3, len(values) - 3)):
        g.register_output(v)
    return g


def test_fused_random_blocks_verify():
    for seed in range(300):
        g = _random_block(seed)
        fuse(g)
        verify(g)

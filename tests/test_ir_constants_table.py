"""The IR text hooks archives use: tensor constants printed as ``CONSTANTS.cN`` references
into a table, tuple constants, and subgraphs that cannot contain themselves."""
import numpy as np
import pytest

from minitorch_jit.ir import Graph, IRParseError, TensorType, VerifyError, parse_graph, print_graph, verify
from minitorch_jit.ir.types import INT, SCALARTYPE, TupleType


def _two_graphs_sharing_a_constant():
    c = np.array([1.5, -2.0], np.float32)
    graphs = []
    for _ in range(2):
        g = Graph()
        x = g.add_input(TensorType("float32", (None,)), "x")
        k = g.insert_constant(c, TensorType("float32", (2,)))
        g.register_output(g.insert("aten::mul", (x, k), (TensorType("float32", (None,)),)).output)
        graphs.append(g)
    return c, graphs


def test_tensor_constants_print_as_references_into_one_table():
    c, (g1, g2) = _two_graphs_sharing_a_constant()
    table = []
    t1, t2 = print_graph(g1, constants=table), print_graph(g2, constants=table)
    assert len(table) == 1 and table[0] is c  # one entry per array, shared by both graphs
    assert "%1 : Float(2) = prim::Constant[value=CONSTANTS.c0]()" in t1
    assert "tensor(" not in t1 + t2
    back = parse_graph(t1, constants=table)
    assert back.nodes[0].attrs["value"] is c
    assert print_graph(back, constants=list(table)) == t1
    verify(back)
    # without a table, the same graph prints its constants inline as before
    assert "tensor([1.5, -2.0], dtype=float32)" in print_graph(g1)


@pytest.mark.parametrize("table", [None, [], [np.zeros(2, np.float32)]])
def test_a_reference_missing_from_the_table_is_a_parse_error(table):
    text = "graph():\n  %1 : Float(2) = prim::Constant[value=CONSTANTS.c1]()\n  return (%1)\n"
    with pytest.raises(IRParseError, match="line 2, column 40: reference to a tensor constant that is not in"):
        parse_graph(text, constants=table)


def test_tuple_constants_stay_tuples():
    g = Graph()
    g.register_output(g.insert_constant((1, (2.5,)), TupleType([INT, TupleType([INT])])))
    text = print_graph(g)
    assert "prim::Constant[value=(1, (2.5,))]" in text
    assert parse_graph(text).nodes[0].attrs["value"] == (1, (2.5,))


def test_huge_integer_literal_is_a_parse_error():
    text = "graph():\n  %1 : int = prim::Constant[value=" + "9" * 5000 + "]()\n  return (%1)\n"
    with pytest.raises(IRParseError, match="too many digits"):
        parse_graph(text)


SELF_CALL = '''graph(%x : Tensor):
  %y : Tensor = prim::CallFunction_0[name="f"](%x)
  return (%y)
with prim::CallFunction_0 = graph(%a : Tensor):
  %b : Tensor = prim::CallFunction_0[name="f"](%a)
  return (%b)
'''


def test_a_subgraph_may_not_contain_itself():
    with pytest.raises(IRParseError, match="subgraph prim::CallFunction_0 is used by itself"):
        parse_graph(SELF_CALL)


def test_a_subgraph_name_may_not_be_defined_twice():
    text = SELF_CALL.replace('prim::CallFunction_0[name="f"](%a)', "aten::neg(%a)") + \
        "with prim::CallFunction_0 = graph(%a : Tensor):\n  return (%a)\n"
    with pytest.raises(IRParseError, match="defined twice"):
        parse_graph(text)


def test_dtype_constants_must_name_a_dtype():
    g = Graph()
    g.register_output(g.insert_constant("float32; import os", SCALARTYPE))
    with pytest.raises(VerifyError, match="dtype constants are dtype names"):
        verify(g)

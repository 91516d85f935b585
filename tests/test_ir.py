"""The IR: print -> parse -> print is exact; the verifier names what is broken."""
import pytest

import minitorch_jit.ir as ir
from minitorch_jit.ir import Graph, IRParseError, TensorType, VerifyError, parse_graph, print_graph, verify
from minitorch_jit.ir.types import (
    BOOL,
    FLOAT,
    INT,
    NONE,
    ListType,
    OptionalType,
    TupleType,
    tensor_type,
    unify,
)

NESTED = '''graph(%x : Float(*, *), %n : int):
  %1 : float = prim::Constant[value=1.0]()
  %2 : Tensor = aten::mean(%x)
  %3 : Tensor = aten::gt(%2, %1)
  %4 : bool = prim::Bool(%3)
  %r : int = prim::If(%4)
    block0():
      %5 : int = prim::Constant[value=1]()
      -> (%5)
    block1():
      %6 : int = prim::Constant[value=2]()
      -> (%6)
  %t : bool = prim::Constant[value=True]()
  %y : Tensor, %k : int = prim::Loop(%n, %t, %x, %r)
    block0(%i : int, %y.1 : Tensor, %k.1 : int):
      %c : Double(2) = prim::Constant[value=tensor([1.5, -inf], dtype=float64)]()
      %e : Float(0, 3) = prim::Constant[value=tensor([], shape=[0, 3], dtype=float32)]()
      %z : Tensor = prim::FusionGroup_0(%y.1, %c)
      %w : Tensor = prim::If(%4)
        block0():
          %s : str = prim::Constant[value="he said \\"hi\\""]()
          = prim::Print(%s, %z)
          -> (%z)
        block1():
          -> (%y.1)
      -> (%t, %w, %k.1)
  return (%y, %k)
with prim::FusionGroup_0 = graph(%a : Tensor, %b : Tensor):
  %o : Tensor = aten::mul(%a, %b)
  %p : Tensor = prim::FusionGroup_1(%o)
  return (%p)
with prim::FusionGroup_1 = graph(%a : Tensor):
  %o : Tensor = aten::neg(%a)
  return (%o)
'''


def test_round_trip_nested_blocks_and_subgraphs():
    g = parse_graph(NESTED)
    text = print_graph(g)
    assert text == NESTED
    assert print_graph(parse_graph(text)) == text
    verify(g)


def test_round_trip_of_a_copy_and_numbering():
    g = parse_graph(NESTED)
    assert print_graph(g.copy()) == NESTED
    # numeric names are printer numbering, renumbered in order
    g2 = parse_graph("graph(%7 : Tensor):\n  %9 : Tensor = aten::neg(%7)\n  return (%9)\n")
    assert print_graph(g2) == "graph(%1 : Tensor):\n  %2 : Tensor = aten::neg(%1)\n  return (%2)\n"


def test_source_locations_print_as_comments_and_are_ignored_by_the_parser():
    g = parse_graph("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%x)  # f.py:3:7\n  return (%y)\n")
    node = g.nodes[0]
    node.source = ir.SourceLocation("f.py", 3, 7)
    assert "%y : Tensor = aten::neg(%x)  # f.py:3:7" in print_graph(g, show_source=True)
    assert "#" not in print_graph(g)


def test_unique_names():
    g = Graph()
    a = g.add_input(TensorType(), "x")
    b = g.add_input(TensorType(), "x")
    c = g.add_input(TensorType(), "x.1")
    assert (a.name, b.name, c.name) == ("x", "x.1", "x.2")
    assert g.add_input(INT, "5").name is None  # numeric names are the printer's


@pytest.mark.parametrize("text, line, col, words", [
    ("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%z)\n  return (%y)\n", 2, 27, "undefined value %z"),
    ("graph(%x : Tensor):\n  %y : Tensr = aten::neg(%x)\n  return (%y)\n", 2, 8, "unknown type"),
    ("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%x\n  return (%y)\n", 3, 3, "expected ')'"),
    ("graph(%x : Tensor):\n  %y : Tensor = neg(%x)\n  return (%y)\n", 2, 17, "namespace"),
    ("graph(%x : Tensor):\n  %x : Tensor = aten::neg(%x)\n  return (%x)\n", 2, 3, "defined twice"),
    ("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%x)\n", 3, 1, "expected 'return'"),
    ("graph(%x : Tensor) $\n", 1, 20, "unexpected character"),
])
def test_parse_errors_name_line_and_column(text, line, col, words):
    with pytest.raises(IRParseError) as e:
        parse_graph(text)
    assert (e.value.line, e.value.col) == (line, col)
    assert words in str(e.value)
    assert f"line {line}, column {col}" in str(e.value)


def _graph(text):
    return parse_graph(text)


def test_verifier_rejects_use_before_def():
    g = _graph("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%x)\n  %z : Tensor = aten::neg(%y)\n  return (%z)\n")
    g.nodes[0].move_after(g.nodes[1])
    with pytest.raises(VerifyError, match=r"used before it is defined.*\n  in: %z : Tensor = aten::neg\(%y\)"):
        verify(g)


def test_verifier_rejects_value_escaping_its_block():
    g = _graph('''graph(%c : bool, %x : Tensor):
  %r : Tensor = prim::If(%c)
    block0():
      %a : Tensor = aten::neg(%x)
      -> (%a)
    block1():
      -> (%x)
  %b : Tensor = aten::neg(%x)
  return (%b)
''')
    inner = g.nodes[0].blocks[0].nodes[0].output
    g.nodes[1].replace_input(0, inner)
    with pytest.raises(VerifyError, match="outside its block"):
        verify(g)


def test_verifier_rejects_wrong_block_arity():
    g = _graph('''graph(%c : bool, %x : Tensor):
  %r : Tensor = prim::If(%c)
    block0():
      -> (%x)
    block1():
      -> (%x)
  return (%r)
''')
    g.nodes[0].blocks[1].erase_output(0)
    with pytest.raises(VerifyError, match="block1 of prim::If returns 0 values for 1 outputs"):
        verify(g)
    g2 = _graph('''graph(%n : int, %x : Tensor):
  %t : bool = prim::Constant[value=True]()
  %y : Tensor = prim::Loop(%n, %t, %x)
    block0(%i : int, %y.1 : Tensor):
      -> (%t, %y.1)
  return (%y)
''')
    g2.nodes[1].blocks[0].erase_output(1)
    with pytest.raises(VerifyError, match="returns \\(bool condition, 1 carried values\\)"):
        verify(g2)


def test_verifier_rejects_type_mismatch_naming_the_node():
    g = _graph("graph(%x : str):\n  %y : Tensor = aten::neg(%x)\n  return (%y)\n")
    with pytest.raises(VerifyError, match=r"no overload of aten::neg takes \(str\)[\s\S]*in: %y : Tensor = aten::neg\(%x\)"):
        verify(g)
    g = _graph("graph(%x : Float(2)):\n  %y : Long(2) = aten::neg(%x)\n  return (%y)\n")
    with pytest.raises(VerifyError, match="dtype"):
        verify(g)
    g = _graph("graph(%x : Tensor):\n  %y : Tensor = aten::frobnicate(%x)\n  return (%y)\n")
    with pytest.raises(VerifyError, match="unknown op aten::frobnicate"):
        verify(g)


def test_verifier_checks_use_lists():
    g = _graph("graph(%x : Tensor):\n  %y : Tensor = aten::neg(%x)\n  return (%y)\n")
    g.inputs[0].uses.clear()
    with pytest.raises(VerifyError, match="use list"):
        verify(g)


def test_tensor_type_narrows_or_names_what_it_got():
    t = TensorType("float32", (2, None))
    assert tensor_type(t) is t
    with pytest.raises(TypeError, match=r"expected a Tensor type, got int\[\]"):
        tensor_type(ListType(INT))


def test_unify_joins_branch_types():
    assert unify(TensorType("float32", (2, 3)), TensorType("float32", (2, 4))) == TensorType("float32", (2, None))
    assert unify(TensorType("float32", (2,)), TensorType("int64", (2, 1))) == TensorType(None, None)
    assert unify(INT, NONE) == OptionalType(INT)
    assert unify(OptionalType(INT), INT) == OptionalType(INT)
    assert unify(INT, FLOAT) is None
    assert unify(TupleType([INT, BOOL]), TupleType([INT, BOOL])) == TupleType([INT, BOOL])
    assert unify(ListType(INT), ListType(FLOAT)) is None


def test_type_text_round_trip():
    for text in ["Tensor", "Float", "Float(2, 3)", "Float(*, *)", "Float()", "Tensor(*, 3)", "int[]", "Tensor?",
                 "(int, Tensor)", "Float(2)?[]", "Scalar", "ScalarType", "NoneType", "(int, (bool, str))",
                 "Float(*, 3, contiguous)", "Tensor(1, contiguous)[]", "(Long(*, contiguous), int)?"]:
        assert str(ir.parse_type_str(text)) == text


def test_contiguity_is_a_refinement_of_tensor_types():
    c, plain = ir.parse_type_str("Float(*, 3, contiguous)"), ir.parse_type_str("Float(*, 3)")
    assert (c.contiguous, plain.contiguous, c == plain) == (True, False, False)
    assert c.is_subtype_of(plain) and not plain.is_subtype_of(c)
    assert unify(c, c) == c and unify(c, plain) == plain
    assert unify(c, TensorType("float32", (2, 3), contiguous=True)) == ir.parse_type_str("Float(*, 3, contiguous)")
    assert unify(c, TensorType("float32", (3,), contiguous=True)) == TensorType("float32")  # ranks differ
    # a 0-d tensor always is contiguous (and prints as ever); an unknown rank cannot be
    assert TensorType("float32", ()) == TensorType("float32", (), contiguous=True) == ir.parse_type_str("Float()")
    assert TensorType("float32", ()).contiguous
    with pytest.raises(ValueError, match="rank is known"):
        TensorType("float32", None, contiguous=True)
    assert TensorType("float32", (2,), contiguous=True).dimensioned() == ir.parse_type_str("Float(*)")


@pytest.mark.parametrize("text, words", [
    ("Float(contiguous)", "'contiguous' follows the sizes"),
    ("Float(*, contiguous, 3)", r"expected '\)'"),
    ("Tensor(contiguous, *)", "'contiguous' follows the sizes"),
])
def test_contiguity_parse_errors(text, words):
    with pytest.raises(IRParseError, match=words):
        ir.parse_type_str(text)


CONTIGUOUS_GRAPH = """graph(%x : Float(*, *, contiguous), %y : Float(*, *), %f : bool):
  %a : Float(*, *, contiguous) = aten::contiguous(%y)
  %b : Float(*, *, contiguous) = aten::add_(%x, %a)
  %r : Float(*, *) = prim::If(%f)
    block0():
      -> (%x)
    block1():
      -> (%y)
  return (%b, %r)
"""


def test_contiguous_types_print_parse_copy_and_verify():
    g = _graph(CONTIGUOUS_GRAPH)
    text = print_graph(g)
    assert text == CONTIGUOUS_GRAPH
    assert print_graph(_graph(text)) == text and print_graph(g.copy()) == text
    verify(g)


@pytest.mark.parametrize("old, new, words", [
    # an op whose rule does not make its result contiguous
    ("%b : Float(*, *, contiguous) = aten::add_(%x, %a)", "%b : Float(*, *, contiguous) = aten::add(%y, %a)",
     "says contiguous, but aten::add does not make it so"),
    # a branch that may give a non-contiguous tensor for a contiguous output
    ("%r : Float(*, *) = prim::If", "%r : Float(*, *, contiguous) = prim::If", "block1 of prim::If returns a Float"),
])
def test_the_verifier_checks_contiguity(old, new, words):
    assert old in CONTIGUOUS_GRAPH
    with pytest.raises(VerifyError, match=words):
        verify(_graph(CONTIGUOUS_GRAPH.replace(old, new)))


def test_the_verifier_checks_contiguity_of_tensor_constants():
    g = _graph("graph():\n  %c : Float(2, 2, contiguous) = prim::Constant[value=tensor([[1.0, 2.0], [3.0, 4.0]], "
               "dtype=float32)]()\n  return (%c)\n")
    verify(g)
    g.nodes[0].attrs["value"] = g.nodes[0].attrs["value"].T
    with pytest.raises(VerifyError, match="is not contiguous"):
        verify(g)


def test_mutators_keep_uses_consistent():
    g = _graph("graph(%x : Tensor, %y : Tensor):\n  %z : Tensor = aten::mul(%x, %y)\n  return (%z)\n")
    node = g.nodes[0]
    node.add_input(g.inputs[1])
    node.remove_input(0)
    assert [v.name for v in node.inputs] == ["y", "y"]
    assert sorted(u.offset for u in g.inputs[1].uses) == [0, 1]
    assert not g.inputs[0].uses
    g.inputs[1].replace_all_uses_with(g.inputs[0])
    assert [v.name for v in node.inputs] == ["x", "x"]
    verify(g)


def _chain(n):
    text = "graph(%x : Tensor):\n" + "".join(
        f"  %v{i + 1} : Tensor = aten::neg(%{f'v{i}' if i else 'x'})\n" for i in range(n)) + "  return (%x)\n"
    return _graph(text)


def _names(block):
    return [n.output.name[1:] for n in block.nodes]


def test_block_node_list_edits_keep_program_order():
    g = _chain(5)
    nodes = list(g.nodes)
    assert len(g.nodes) == 5 and g.nodes[0] is nodes[0] and g.nodes[-1] is nodes[4] and g.nodes[3] is nodes[3]
    nodes[4].move_before(nodes[0])
    nodes[1].move_after(nodes[3])
    assert _names(g.block) == ["5", "1", "3", "4", "2"]
    assert [n.output.name[1:] for n in reversed(g.nodes)] == ["2", "4", "3", "1", "5"]
    new = g.create("aten::relu", [g.inputs[0]], [TensorType()])
    new.insert_after(g.block.param_node)
    assert g.nodes[0] is new and len(g.nodes) == 6
    with pytest.raises(IndexError):
        g.nodes[6]


def test_iterating_a_block_survives_destroying_the_current_node():
    g = _chain(6)
    for node in reversed(g.nodes):
        node.destroy()
    assert len(g.nodes) == 0 and not g.nodes and str(g) == "graph(%x : Tensor):\n  return (%x)\n"
    g = _chain(4)
    seen = []
    for node in g.nodes:
        seen.append(node.output.name[1:])
        if node.output.name == "v2":
            node.move_before(g.block.param_node.next)
    assert seen == ["1", "2", "3", "4"] and _names(g.block) == ["2", "1", "3", "4"]


def test_removing_inputs_keeps_repeated_uses():
    g = _graph("graph(%x : Tensor, %y : Tensor):\n  %z : Tensor = prim::TupleConstruct(%y, %x, %x, %x)\n"
               "  return (%z)\n")
    node = g.nodes[0]
    node.remove_input(1)
    assert sorted(u.offset for u in g.inputs[0].uses) == [1, 2]
    node.remove_all_inputs()
    assert not g.inputs[0].uses and not g.inputs[1].uses


def test_taken_names_get_the_lowest_free_suffix():
    g = Graph()
    vs = [g.add_input(TensorType(), "x") for _ in range(5)]
    assert [v.name for v in vs] == ["x", "x.1", "x.2", "x.3", "x.4"]
    vs[3].name = None
    vs[1].name = "y"
    g.add_input(TensorType(), "x.0").name = None  # freeing a name the counter never gave
    assert [g.add_input(TensorType(), "x.2").name for _ in range(3)] == ["x.1", "x.3", "x.5"]

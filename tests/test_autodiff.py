"""Symbolic differentiation on the IR (passes/autodiff.py): graph text in, forward and backward
graphs checked FileCheck-style, and their gradients compared with the eager tape's on the
same graph (float64, 1e-10 relative)."""
import numpy as np
import pytest
from graph_checks import dedent, filecheck

import minitorch_jit as torch
from minitorch_jit.codegen.host import generate
from minitorch_jit.ir import parse_graph, print_graph, verify
from minitorch_jit.ir.types import TensorType
from minitorch_jit.passes import differentiable_graphs
from minitorch_jit.passes.autodiff import NotDifferentiable, differentiate
from minitorch_jit.passes.differentiable_graphs import create_differentiable_graphs
from minitorch_jit.runtime.tape import TAPE
from minitorch_jit.tensor import Tensor


def _inputs(graph, rng, shapes):
    out = []
    for v, shape in zip(graph.inputs, shapes or [None] * len(graph.inputs)):
        t = v.type
        assert isinstance(t, TensorType)
        shape = shape or tuple(3 if s is None else s for s in t.sizes)
        out.append(rng.standard_normal(shape).astype(t.dtype or "float64") + 0.1)
    return out


def _results(fn, args):
    r = fn(*args)
    return list(r) if isinstance(r, tuple) else [r]


def check_gradients(graph, requires_grad, shapes=None, seed=0):
    """The forward and backward graphs give the outputs and gradients the eager tape gives
    (inputs of ``shapes``, or of size 3 where their types do not say)."""
    grad = differentiate(graph, requires_grad)
    rng = np.random.default_rng(seed)
    arrays = _inputs(graph, rng, shapes)
    tensors = [Tensor._wrap(a.copy()).requires_grad_(r) for a, r in zip(arrays, requires_grad)]
    outs = _results(generate(graph, "eager", None, TAPE).fn, tensors)
    gouts = [rng.standard_normal(o.shape) for o in outs]
    wanted = [t for t, r in zip(tensors, requires_grad) if r]
    assert [k for k, o in enumerate(outs) if o.requires_grad] == grad.grad_outputs
    eager = torch.autograd.grad([outs[k] for k in grad.grad_outputs], wanted,
                                [Tensor._wrap(gouts[k]) for k in grad.grad_outputs], allow_unused=True)
    forward = _results(generate(grad.forward).fn, arrays)
    assert len(forward) == grad.num_outputs + grad.num_saved
    for o, f in zip(outs, forward):
        np.testing.assert_allclose(f, o._a, rtol=1e-12)
    back = _results(generate(grad.backward).fn, [gouts[k] for k in grad.grad_outputs] + forward[grad.num_outputs:])
    assert [i for i, r in enumerate(requires_grad) if r] == grad.grad_inputs
    for e, b in zip(eager, back):
        if e is None:
            assert b is None
        else:
            np.testing.assert_allclose(b, e._a, rtol=1e-10, atol=1e-300)
    return grad


RATIO_IOU = """
graph(%x1 : Double(*, *), %y1 : Double(*, *), %w1 : Double(*, *), %h1 : Double(*, *), %x2 : Double(*, *), %y2 : Double(*, *), %w2 : Double(*, *), %h2 : Double(*, *)):
  %xi : Double(*, *) = aten::max(%x1, %x2)
  %yi : Double(*, *) = aten::max(%y1, %y2)
  %1 : Double(*, *) = aten::add(%x1, %w1)
  %2 : Double(*, *) = aten::add(%x2, %w2)
  %3 : Double(*, *) = aten::min(%1, %2)
  %4 : Double(*, *) = aten::sub(%3, %xi)
  %5 : int = prim::Constant[value=0]()
  %wi : Double(*, *) = aten::clamp(%4, %5)
  %6 : Double(*, *) = aten::add(%y1, %h1)
  %7 : Double(*, *) = aten::add(%y2, %h2)
  %8 : Double(*, *) = aten::min(%6, %7)
  %9 : Double(*, *) = aten::sub(%8, %yi)
  %hi : Double(*, *) = aten::clamp(%9, %5)
  %area_i : Double(*, *) = aten::mul(%wi, %hi)
  %11 : Double(*, *) = aten::mul(%w1, %h1)
  %12 : Double(*, *) = aten::mul(%w2, %h2)
  %13 : Double(*, *) = aten::add(%11, %12)
  %area_u : Double(*, *) = aten::sub(%13, %area_i)
  %15 : float = prim::Constant[value=1e-05]()
  %16 : Double(*, *) = aten::clamp(%area_u, %15)
  %17 : Double(*, *) = aten::div(%area_i, %16)
  return (%17)
"""


def test_ratio_iou_saves_only_its_inputs_and_recomputes_the_rest():
    g = check_gradients(parse_graph(dedent(RATIO_IOU)), [True] * 8)
    # pointwise values are recomputed in the backward: the forward saves its inputs, nothing else
    filecheck(print_graph(g.forward), """
        CHECK-NOT: aten::size
        CHECK: %15 : Double(*, *) = aten::div(%area_i, %14)
        CHECK-NEXT: return (%15, %w1, %h1, %w2, %h2, %x1, %x2, %y1, %y2)
        """)
    assert g.saved_inputs == list(range(g.num_saved))
    filecheck(print_graph(g.backward), """
        CHECK: graph(%grad_0 : Double(*, *), %w1 : Double(*, *),
        CHECK: aten::max
        CHECK: aten::where
        CHECK-NOT: sum_to_size
        CHECK: return (
        """)


def test_ratio_iou_with_some_inputs_not_requiring_grad_returns_fewer_gradients():
    g = check_gradients(parse_graph(dedent(RATIO_IOU)), [True, False, True, False, False, False, False, True])
    assert g.grad_inputs == [0, 2, 7]


GELU = """
graph(%x : Float(*, *)):
  %c : float = prim::Constant[value=0.5]()
  %k : float = prim::Constant[value=0.044715]()
  %three : int = prim::Constant[value=3]()
  %one : int = prim::Constant[value=1]()
  %s : float = prim::Constant[value=0.7978845608028654]()
  %h : Float(*, *) = aten::mul(%x, %c)
  %p : Float(*, *) = aten::pow(%x, %three)
  %q : Float(*, *) = aten::mul(%p, %k)
  %a : Float(*, *) = aten::add(%x, %q)
  %b : Float(*, *) = aten::mul(%a, %s)
  %t : Float(*, *) = aten::tanh(%b)
  %u : Float(*, *) = aten::add(%t, %one)
  %r : Float(*, *) = aten::mul(%h, %u)
  return (%r)
"""


def test_gelu_saves_its_input_only():
    g = check_gradients(parse_graph(dedent(GELU).replace("Float", "Double")), [True])
    filecheck(print_graph(g.forward), """
        CHECK: %r : Double(*, *) = aten::mul(%h, %u)
        CHECK-NEXT: return (%r, %x)
        """)
    filecheck(print_graph(g.backward), """
        CHECK: graph(%grad_r : Double(*, *), %x : Double(*, *)):
        CHECK: %t : Double(*, *) = aten::tanh(%b)
        CHECK: aten::pow(%x,
        CHECK: return (
        """)


LSTM_TAIL = """
graph(%gates : Double(*, *), %cx : Double(*, *)):
  %four : int = prim::Constant[value=4]()
  %one : int = prim::Constant[value=1]()
  %l : Double(*, *)[] = aten::chunk(%gates, %four, %one)
  %i.1 : Double(*, *), %f.1 : Double(*, *), %c.1 : Double(*, *), %o.1 : Double(*, *) = prim::ListUnpack(%l)
  %i : Double(*, *) = aten::sigmoid(%i.1)
  %f : Double(*, *) = aten::sigmoid(%f.1)
  %c : Double(*, *) = aten::tanh(%c.1)
  %o : Double(*, *) = aten::sigmoid(%o.1)
  %1 : Double(*, *) = aten::mul(%f, %cx)
  %2 : Double(*, *) = aten::mul(%i, %c)
  %cy : Double(*, *) = aten::add(%1, %2)
  %3 : Double(*, *) = aten::tanh(%cy)
  %hy : Double(*, *) = aten::mul(%o, %3)
  return (%hy, %cy)
"""


def test_lstm_pointwise_tail_saves_the_chunks_and_concatenates_their_gradients():
    g = check_gradients(parse_graph(dedent(LSTM_TAIL)), [True, True], [(3, 8), (3, 2)])
    # the gates' chunks are saved (views of the input), the activations recomputed from them
    filecheck(print_graph(g.forward), """
        CHECK: return (%hy, %cy, %f.1, %cx, %i.1, %c.1, %o.1)
        """)
    filecheck(print_graph(g.backward), """
        CHECK: graph(%grad_hy : Double(*, *), %grad_cy : Double(*, *),
        CHECK: aten::sigmoid(%f.1)
        CHECK: prim::ListConstruct
        CHECK: aten::cat
        CHECK: return (
        """)


def test_broadcast_input_gets_its_gradient_summed_to_its_size():
    g = check_gradients(parse_graph(dedent("""
        graph(%x : Double(*, *), %b : Double(*), %s : Double(1, *)):
          %y : Double(*, *) = aten::mul(%x, %b)
          %z : Double(*, *) = aten::add(%y, %s)
          return (%z)
        """)), [True, True, True], [(3, 4), (4,), (1, 4)])
    filecheck(print_graph(g.forward), """
        CHECK: %1 : int[] = aten::size(%s)
        CHECK: %2 : int[] = aten::size(%b)
        CHECK: return (%z, %1, %b, %x, %2)
        """)
    filecheck(print_graph(g.backward), """
        CHECK: Double(1, *) = aten::sum_to_size(%grad_z, %1)
        CHECK: Double(*) = aten::sum_to_size(
        CHECK: return (
        """)
    assert "sum_to_size" not in print_graph(g.backward).split("aten::mul(%grad_z, %b)")[1].split("\n")[0]


def test_output_used_twice_sums_its_gradients():
    g = check_gradients(parse_graph(dedent("""
        graph(%x : Double(*, *)):
          %e : Double(*, *) = aten::exp(%x)
          %s : Double(*, *) = aten::mul(%e, %e)
          return (%s, %e)
        """)), [True])
    # e's gradient: its own output's and twice through the product
    filecheck(print_graph(g.backward), """
        CHECK: graph(%grad_s : Double(*, *), %grad_e : Double(*, *), %x : Double(*, *)):
        CHECK: aten::add(%grad_e,
        CHECK: aten::add(
        CHECK: return (
        """)


def test_values_not_requiring_grad_get_no_gradient_and_are_not_differentiated():
    g = check_gradients(parse_graph(dedent("""
        graph(%x : Double(*, *), %m : Double(*, *)):
          %c : Bool(*, *) = aten::gt(%m, %x)
          %zero : float = prim::Constant[value=0.]()
          %y : Double(*, *) = aten::where(%c, %x, %zero)
          %n : Double(*, *) = aten::neg(%m)
          return (%y, %n)
        """)), [True, False])
    assert g.grad_outputs == [0] and g.grad_inputs == [0]
    assert "aten::neg" not in print_graph(g.backward)


def test_in_place_ops_are_refused_with_the_reason():
    g = parse_graph(dedent("""
        graph(%x : Double(*, *), %y : Double(*, *)):
          %a : Double(*, *) = aten::mul(%x, %y)
          %one : int = prim::Constant[value=1]()
          %b : Double(*, *) = aten::add_(%a, %y, %one)
          return (%b)
        """))
    with pytest.raises(NotDifferentiable, match="in-place op: left to the eager tape") as e:
        differentiate(g, [True, True])
    assert e.value.node.kind == "aten::add_"


def test_a_formula_that_cannot_run_on_graph_values_is_refused_naming_the_node():
    g = parse_graph(dedent("""
        graph(%x : Double):
          %s : Double() = aten::sum(%x)
          return (%s)
        """))
    with pytest.raises(NotDifferentiable, match="reads the shape of an input whose rank the graph does not know"):
        differentiate(g, [True])
    # mean divides by the element count, Python arithmetic on sizes that graph values do not do
    g = parse_graph(dedent("""
        graph(%x : Double(*, *)):
          %s : Double() = aten::mean(%x)
          return (%s)
        """))
    with pytest.raises(NotDifferentiable, match="aten::mean: its derivative formula calls Tensor.__rmul__"):
        differentiate(g, [True])


def test_a_reduction_reads_its_input_sizes_saved_by_the_forward_not_the_input():
    g = check_gradients(parse_graph(dedent("""
        graph(%x : Double(*, *)):
          %e : Double(*, *) = aten::exp(%x)
          %s : Double() = aten::sum(%e)
          return (%s)
        """)), [True], [(3, 5)])
    filecheck(print_graph(g.forward), """
        CHECK: %1 : int[] = aten::size(%e)
        CHECK: return (%s, %1, %x)
        """)
    filecheck(print_graph(g.backward), """
        CHECK: aten::__getitem__(%1,
        CHECK: aten::expand(%grad_s,
        """)


def test_a_known_shape_lets_a_reduction_differentiate():
    check_gradients(parse_graph(dedent("""
        graph(%x : Double(2, 3), %w : Double(3, 4)):
          %y : Double(2, 4) = aten::mm(%x, %w)
          %t : Double(2, 4) = aten::tanh(%y)
          %s : Double() = aten::sum(%t)
          return (%s)
        """)), [True, True])


CONTROL_FLOW = """
graph(%x : Float(*, *), %w : Float(*, *), %flag : bool):
  %a : Float(*, *) = aten::mul(%x, %w)
  %b : Float(*, *) = aten::sigmoid(%a)
  %r : Float(*, *) = prim::If(%flag)
    block0():
      %c : Float(*, *) = aten::tanh(%b)
      -> (%c)
    block1():
      -> (%b)
  %one : int = prim::Constant[value=1]()
  %d : Float(*, *) = aten::add_(%r, %x, %one)
  %e : Float(*, *) = aten::exp(%d)
  %f : Float(*, *) = aten::mul(%e, %w)
  return (%f)
"""


def test_control_flow_and_in_place_ops_stay_outside_differentiable_graphs():
    g = parse_graph(dedent(CONTROL_FLOW))
    with differentiable_graphs.recording() as report:
        assert create_differentiable_graphs(g, [True, True, False])
    verify(g)
    printed = print_graph(g)
    filecheck(printed, """
        CHECK: %b : Float(*, *) = prim::DifferentiableGraph_0[grad_outputs=[0], grad_inputs=[0, 1]](%x, %w)
        CHECK: prim::If(%flag)
        CHECK: aten::tanh(%b)
        CHECK: aten::add_(%r, %x, %one)
        CHECK: %f : Float(*, *) = prim::DifferentiableGraph_1[grad_outputs=[0], grad_inputs=[0, 1]](%d, %w)
        CHECK: with prim::DifferentiableGraph_0 = graph(%x : Float(*, *), %w : Float(*, *)):
        CHECK: with prim::DifferentiableGraph_0_backward = graph(%grad_b : Float(*, *),
        CHECK: with prim::DifferentiableGraph_1 = graph(%d : Float(*, *), %w : Float(*, *)):
        CHECK: with prim::DifferentiableGraph_1_backward = graph(
        """)
    assert print_graph(parse_graph(printed)) == printed  # forward and backward print and parse back
    text = str(report)
    assert "2 differentiable graphs" in text
    assert "control flow stays outside differentiable graphs" in text
    assert "in-place op: left to the eager tape" in text


def test_a_graph_that_needs_no_gradient_is_left_alone():
    g = parse_graph(dedent(CONTROL_FLOW))
    assert not create_differentiable_graphs(g, [False, False, False])
    assert "DifferentiableGraph" not in print_graph(g)

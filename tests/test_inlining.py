"""Inlining: prim::CallFunction nodes become their callee's nodes."""
import numpy as np
from differential import assert_same_with_and_without_passes
from graph_checks import check_pass, dedent

import minitorch_jit as torch
from minitorch_jit.passes.inlining import inlining
from minitorch_jit.runtime import config


def test_a_call_becomes_the_callee_nodes_with_nested_calls():
    check_pass(inlining, """
        graph(%x : Float(*)):
          %y : Tensor = prim::CallFunction_0[name="outer"](%x)
          %z : Tensor = aten::neg(%y)
          return (%z)
        with prim::CallFunction_0 = graph(%a : Tensor):
          %b : Tensor = prim::CallFunction_1[name="inner"](%a, %a)
          %c : Tensor = aten::exp(%b)
          return (%c)
        with prim::CallFunction_1 = graph(%p : Tensor, %q : Tensor):
          %two : int = prim::Constant[value=2]()
          %r : Tensor = aten::mul(%p, %two)
          %s : Tensor = aten::add(%r, %q)
          return (%s)
        """, """
        graph(%x : Float(*)):
          %two : int = prim::Constant[value=2]()
          %r : Tensor = aten::mul(%x, %two)
          %s : Tensor = aten::add(%r, %x)
          %c : Tensor = aten::exp(%s)
          %z : Tensor = aten::neg(%c)
          return (%z)
        """)


def test_calls_inside_blocks_and_callees_returning_an_argument():
    check_pass(inlining, """
        graph(%x : Float(*), %c : bool):
          %r : Tensor = prim::If(%c)
            block0():
              %y : Tensor = prim::CallFunction_0[name="ident"](%x)
              -> (%y)
            block1():
              -> (%x)
          return (%r)
        with prim::CallFunction_0 = graph(%a : Tensor):
          = prim::Print(%a)
          return (%a)
        """, """
        graph(%x : Float(*), %c : bool):
          %r : Tensor = prim::If(%c)
            block0():
              = prim::Print(%x)
              -> (%x)
            block1():
              -> (%x)
          return (%r)
        """)


def test_the_inlined_result_keeps_the_refined_type_of_the_call():
    """A loop typed from a call's refined output still verifies once the call is inlined."""
    check_pass(inlining, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*) = prim::CallFunction_0[name="neg"](%x)
          %r : Float(*) = prim::Loop(%n, %t, %y)
            block0(%i : int, %h : Float(*)):
              %h2 : Float(*) = aten::neg(%h)
              -> (%t, %h2)
          return (%r)
        with prim::CallFunction_0 = graph(%a : Tensor):
          %b : Tensor = aten::neg(%a)
          return (%b)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %b : Float(*) = aten::neg(%x)
          %r : Float(*) = prim::Loop(%n, %t, %b)
            block0(%i : int, %h : Float(*)):
              %h2 : Float(*) = aten::neg(%h)
              -> (%t, %h2)
          return (%r)
        """)


def test_an_inlined_if_is_typed_as_refined_as_the_call_it_replaces():
    """The callee returns the result of an If whose blocks are typed Tensor; the call was
    typed Float(*): setting only the If's output type left its blocks coarser (the verifier
    failed on nn.ReLU scripted inside nn.Sequential)."""
    check_pass(inlining, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %y : Float(*) = prim::CallFunction_0[name="relu"](%x, %t)
          %r : Float(*) = prim::Loop(%n, %t, %y)
            block0(%i : int, %h : Float(*)):
              %h2 : Float(*) = aten::neg(%h)
              -> (%t, %h2)
          return (%r)
        with prim::CallFunction_0 = graph(%a : Tensor, %inplace : bool):
          %b : Tensor = prim::If(%inplace)
            block0():
              %c : Tensor = aten::relu(%a)
              -> (%c)
            block1():
              %d : Tensor = aten::neg(%a)
              -> (%d)
          return (%b)
        """, """
        graph(%x : Float(*), %n : int):
          %t : bool = prim::Constant[value=True]()
          %b : Float(*) = prim::If(%t)
            block0():
              %c : Float(*) = aten::relu(%x)
              -> (%c)
            block1():
              %d : Float(*) = aten::neg(%x)
              -> (%d)
          %r : Float(*) = prim::Loop(%n, %t, %b)
            block0(%i : int, %h : Float(*)):
              %h2 : Float(*) = aten::neg(%h)
              -> (%t, %h2)
          return (%r)
        """)
    eager = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    m = torch.jit.script(eager)
    x = torch.randn(2, 3)
    assert "aten::relu" in str(m.graph_for(x))  # the pipeline verifies after every pass (conftest)
    np.testing.assert_allclose(m(x).numpy(), eager(x).numpy(), rtol=1e-6)


def test_a_script_function_called_while_tracing_is_inlined_in_graph_for():
    def double(x):
        return x * 2

    def outer(x):
        return scripted(x).exp()
    with config.using(fusion=None):  # the inlined ops as they are, not fused
        scripted = torch.jit.trace(double, torch.ones(3))
        traced = torch.jit.trace(outer, torch.ones(3))
    assert [n.kind for n in traced.graph.nodes] == ["prim::CallFunction", "aten::exp"]
    x = torch.randn(4)
    kinds = [n.kind for n in traced.graph_for(x).nodes]
    assert kinds == ["prim::Constant", "aten::mul", "aten::exp"]
    np.testing.assert_array_equal(traced(x).numpy(), (x * 2).exp().numpy())


class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.full((3,), 2.0))

    def forward(self, x):
        return x * self.w


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = Scale()

    def shifted(self, x):
        return self.scale(x) + 1

    def forward(self, x):
        return self.shifted(x).relu()


def test_method_and_submodule_calls_of_a_scripted_module_are_inlined_in_graph_for():
    net = Net()
    with config.using(fusion=None):
        scripted = torch.script(net)
    assert [n.kind for n in scripted.graph.nodes] == ["prim::CallFunction", "aten::relu"]
    x = torch.randn(4, 3)
    with torch.no_grad():  # the inference plan: the parameter requires grad
        inference = str(scripted.graph_for(x))
    assert inference == dedent("""
        graph(%x : Float(*, *, contiguous), %self.scale.w : Float(*, contiguous)):
          %1 : Float(*, *) = aten::mul(%x, %self.scale.w)
          %2 : int = prim::Constant[value=1]()
          %3 : Float(*, *) = aten::add(%1, %2)
          %4 : Float(*, *) = aten::relu(%3)
          return (%4)
        """)
    np.testing.assert_array_equal(scripted(x).numpy(), net(x).numpy())
    assert_same_with_and_without_passes(scripted, x)

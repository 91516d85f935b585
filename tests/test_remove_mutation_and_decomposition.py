"""IR-level tests of the two lowerings that let the fuser reach CNN blocks: mutation removal
(in-place pointwise ops on tensors nothing else sees) and decomposition (conv2d's bias and
inference batch_norm as pointwise ops)."""
import numpy as np
from differential import assert_same_with_and_without_passes, random_like
from graph_checks import check_pass
from test_random_programs import build

import minitorch_jit as torch
from minitorch_jit.codegen.host import generate
from minitorch_jit.ir import parse_graph
from minitorch_jit.passes.decomposition import decomposition
from minitorch_jit.passes.remove_mutation import remove_mutation


def test_in_place_ops_on_a_fresh_tensor_become_out_of_place_and_later_reads_see_the_new_value():
    check_pass(remove_mutation, """
        graph(%x : Float(2, 3), %r : Float(2, 3)):
          %y : Float(2, 3) = aten::mul(%x, %x)
          %z : Float(2, 3) = aten::add_(%y, %r)
          %w : Float(2, 3) = aten::relu_(%y)
          return (%w, %y)
        """, checks="""
        CHECK: aten::mul
        CHECK: aten::expand_as(%r, %y)
        CHECK: aten::add(%y,
        CHECK: aten::relu(
        CHECK-NOT: _(
        CHECK: return
        """)


def test_writes_into_a_rewritten_value_take_its_type():
    # the sub_s become sub(%c, expand_as(%x, %c)), which is not typed contiguous: the write
    # that stays in place (its result goes into a tuple) returns it and takes its type
    # (found by test_random_programs: the verifier refused the contiguous claim)
    check_pass(remove_mutation, """
        graph(%x : Float(*, *, contiguous)):
          %c : Float(*, *, contiguous) = aten::clone(%x)
          %c1 : Float(*, *, contiguous) = aten::sub_(%c, %x)
          %d : Float(*, *, contiguous) = aten::sub_(%c1, %x)
          %e : Float(*, *, contiguous) = aten::mul_(%d, %x)
          %t : (Float(*, *, contiguous), Float(*, *, contiguous)) = prim::TupleConstruct(%e, %x)
          return (%t)
        """, checks="""
        CHECK: aten::sub(%c,
        CHECK: Float(*, *) = aten::mul_(
        CHECK: return
        """)


def test_reads_of_a_rewritten_value_by_any_op_are_typed_again():
    # the sub_ becomes sub(%c, expand_as(%x, %c)), not typed contiguous: the clone reading
    # it (not an in-place op) no longer says contiguous either (found by
    # test_random_programs: adds, clone, sub_, clone; the verifier refused the claim)
    check_pass(remove_mutation, """
        graph(%x : Float(*, *, contiguous)):
          %c : Float(*, *, contiguous) = aten::clone(%x)
          %c1 : Float(*, *, contiguous) = aten::sub_(%c, %x)
          %d : Float(*, *, contiguous) = aten::clone(%c1)
          %t : (Float(*, *, contiguous), Float(*, *, contiguous)) = prim::TupleConstruct(%d, %x)
          return (%t)
        """, checks="""
        CHECK: aten::sub(%c,
        CHECK: Float(*, *) = aten::clone(
        CHECK: (Float(*, *), Float(*, *, contiguous)) = prim::TupleConstruct
        CHECK: return
        """)


def test_random_program_clone_of_a_rewritten_sub_runs_on_every_shape():
    # the falsifying example test_random_programs found: the pipeline with the verifier on
    # agrees with no passes on each of the shapes it runs
    program = [("add", 0, 0)] * 6 + [("clone", 0, 0), ("sub_", 44, 0), ("clone", 28, 0)]
    traced = torch.jit.trace(build(program, 1), (torch.rand(3, 4), torch.rand(3, 4)), check_trace=False)
    for seed, shape in enumerate([(3, 4), (5, 4), (1, 4)]):
        x, y = random_like([torch.rand(*shape), torch.rand(*shape)], seed)
        assert_same_with_and_without_passes(traced, x, y, seed=seed)


def test_writes_into_inputs_views_and_tensors_kept_in_lists_stay_in_place():
    for body in ("%z : Float(2, 3) = aten::relu_(%x)",
                 "%v : Float(2, 3) = aten::view(%y, %s)\n  %z : Float(2, 3) = aten::relu_(%y)",
                 "%l : Tensor[] = prim::ListConstruct(%y)\n  %z : Float(2, 3) = aten::relu_(%y)"):
        text = f"""
        graph(%x : Float(2, 3)):
          %s : int[] = prim::Constant[value=[2, 3]]()
          %y : Float(2, 3) = aten::mul(%x, %x)
          {body}
          return (%y)
        """
        check_pass(remove_mutation, text, changed=False, verify_input=False)


def test_an_in_place_op_that_would_change_the_dtype_stays():
    check_pass(remove_mutation, """
        graph(%x : Float(2, 3), %d : Double(2, 3)):
          %y : Float(2, 3) = aten::mul(%x, %x)
          %z : Float(2, 3) = aten::add_(%y, %d)
          return (%y)
        """, changed=False)


def test_an_operand_that_would_grow_the_result_still_raises():
    g = check_pass(remove_mutation, """
        graph(%x : Float(1, 3), %r : Float(2, 3)):
          %y : Float(1, 3) = aten::mul(%x, %x)
          %z : Float(1, 3) = aten::add_(%y, %r)
          return (%y)
        """, checks="CHECK: aten::expand_as", values=False)
    try:
        generate(g).fn(np.ones((1, 3), np.float32), np.ones((2, 3), np.float32))
    except RuntimeError as e:
        assert "expand" in str(e) or "size" in str(e)
    else:
        raise AssertionError("the rewritten graph must raise where add_ raises")


def test_conv_bias_is_added_by_the_pointwise_ops_that_follow():
    check_pass(decomposition, """
        graph(%x : Float(2, 3, 8, 8), %w : Float(4, 3, 3, 3), %b : Float(4)):
          %s : int[] = prim::Constant[value=[1, 1]]()
          %p : int[] = prim::Constant[value=[0, 0]]()
          %y : Float(2, 4, 6, 6) = aten::conv2d(%x, %w, %b, %s, %p, %s)
          %z : Float(2, 4, 6, 6) = aten::relu(%y)
          return (%z)
        """, expected="""
        graph(%x : Float(2, 3, 8, 8), %w : Float(4, 3, 3, 3), %b : Float(4)):
          %1 : int[] = prim::Constant[value=[1, -1, 1, 1]]()
          %2 : NoneType = prim::Constant()
          %s : int[] = prim::Constant[value=[1, 1]]()
          %p : int[] = prim::Constant[value=[0, 0]]()
          %y : Float(2, 4, 6, 6) = aten::conv2d(%x, %w, %2, %s, %p, %s)
          %3 : Float(1, 4, 1, 1) = aten::view(%b, %1)
          %4 : Float(2, 4, 6, 6) = aten::add(%y, %3)
          %z : Float(2, 4, 6, 6) = aten::relu(%4)
          return (%z)
        """)


def test_a_conv_read_by_no_pointwise_op_keeps_its_bias():
    check_pass(decomposition, """
        graph(%x : Float(2, 3, 8, 8), %w : Float(4, 3, 3, 3), %b : Float(4)):
          %s : int[] = prim::Constant[value=[1, 1]]()
          %p : int[] = prim::Constant[value=[0, 0]]()
          %y : Float(2, 4, 6, 6) = aten::conv2d(%x, %w, %b, %s, %p, %s)
          return (%y)
        """, changed=False)


BATCH_NORM_ARGS = [np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32),
                   np.array([0.5, -1.0, 0.0], np.float32), np.array([1.0, 2.0, 0.25], np.float32),
                   np.array([1.5, 1.0, -1.0], np.float32), np.array([0.0, 0.1, 0.2], np.float32)]


def test_batch_norm_in_eval_mode_is_pointwise():
    # eager batch_norm computes in double and rounds once: the float ops agree to rounding
    g = check_pass(decomposition, """
        graph(%x : Float(2, 3, 4, 4), %m : Float(3), %v : Float(3), %w : Float(3), %b : Float(3)):
          %f : bool = prim::Constant[value=False]()
          %y : Float(2, 3, 4, 4) = aten::batch_norm(%x, %m, %v, %w, %b, %f)
          return (%y)
        """, checks="""
        CHECK: aten::sub
        CHECK: aten::add
        CHECK: aten::sqrt
        CHECK: aten::div
        CHECK: aten::mul
        CHECK: aten::add
        CHECK-NOT: batch_norm
        CHECK: return
        """, values=False)
    before = parse_graph("""graph(%x : Float(2, 3, 4, 4), %m : Float(3), %v : Float(3), %w : Float(3), %b : Float(3)):
  %f : bool = prim::Constant[value=False]()
  %y : Float(2, 3, 4, 4) = aten::batch_norm(%x, %m, %v, %w, %b, %f)
  return (%y)
""")
    np.testing.assert_allclose(generate(g).fn(*BATCH_NORM_ARGS), generate(before).fn(*BATCH_NORM_ARGS),
                               rtol=1e-6, atol=1e-6)


def test_batch_norm_that_trains_or_of_unknown_mode_stays():
    for training in ("%f : bool = prim::Constant[value=True]()", "%f : bool = aten::__not__(%t)"):
        check_pass(decomposition, f"""
            graph(%x : Float(2, 3, 4, 4), %m : Float(3), %v : Float(3), %t : bool):
              %n : NoneType = prim::Constant()
              {training}
              %y : Float(2, 3, 4, 4) = aten::batch_norm(%x, %m, %v, %n, %n, %f)
              return (%y)
            """, changed=False, values=False)

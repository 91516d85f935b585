"""Random traced programs full of what the passes rewrite (identities, views, conversions,
sizes, duplicates) mixed with what they must respect (in-place writes, also into inputs and
through views, values returned twice, one tensor passed as both inputs, ops that raise for
some values, also when nobody uses their results): the full pipeline and no passes agree bit for bit,
errors included."""
from typing import Any, Callable, Dict, List, Tuple

import pytest
from differential import assert_same_with_and_without_passes, random_like
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minitorch_jit as torch
from minitorch_jit.nn import functional as F

Op = Callable[[Any, Any], Any]

# name -> (applies to (a, b)?, op): each takes two values of the pool
OPS: Dict[str, Tuple[Callable[[Any, Any], bool], Op]] = {
    "mul 1": (lambda a, b: True, lambda a, b: a * 1),
    "mul 1.0": (lambda a, b: True, lambda a, b: a * 1.0),
    "add 0": (lambda a, b: True, lambda a, b: a + 0),
    "sub 0": (lambda a, b: True, lambda a, b: a - 0),
    "sub -0.0": (lambda a, b: True, lambda a, b: a - (-0.0)),
    "div 1": (lambda a, b: True, lambda a, b: a / 1),
    "neg neg": (lambda a, b: True, lambda a, b: -(-a)),
    "t t": (lambda a, b: a.dim() <= 2, lambda a, b: a.t().t()),
    "t": (lambda a, b: a.dim() <= 2, lambda a, b: a.t()),
    "transpose twice": (lambda a, b: a.dim() >= 1, lambda a, b: a.transpose(0, -1).transpose(-1, 0)),
    "view rows": (lambda a, b: a.dim() >= 1, lambda a, b: a.view(a.size(0), -1) if a.is_contiguous() else a),
    "reshape flat": (lambda a, b: True, lambda a, b: a.reshape(-1)),
    "contiguous": (lambda a, b: True, lambda a, b: a.contiguous()),
    "float": (lambda a, b: True, lambda a, b: a.float()),
    "double": (lambda a, b: True, lambda a, b: a.double()),
    "detach": (lambda a, b: True, lambda a, b: a.detach()),
    "exp": (lambda a, b: True, lambda a, b: a.exp()),
    "exp again": (lambda a, b: True, lambda a, b: a.exp()),
    "add": (lambda a, b: a.shape == b.shape and a.dtype == b.dtype, lambda a, b: a + b),
    "mul": (lambda a, b: a.shape == b.shape and a.dtype == b.dtype, lambda a, b: a * b),
    "add_ 1": (lambda a, b: True, lambda a, b: a.add_(1)),
    "mul_": (lambda a, b: a.shape == b.shape and a.dtype == b.dtype, lambda a, b: a.mul_(b)),
    "clone": (lambda a, b: True, lambda a, b: a.clone()),
    "sum times size": (lambda a, b: a.dim() >= 1, lambda a, b: a.sum() * a.size(0) + a.numel()),
    "size arithmetic": (lambda a, b: a.dim() >= 1, lambda a, b: a * (a.size(0) * 0 + 1) + (a.size(-1) - a.size(-1))),
    "t add_": (lambda a, b: a.dim() <= 2, lambda a, b: a.t().add_(1)),
    "expand_as": (lambda a, b: True, lambda a, b: a.expand_as(a)),
    "dropout eval": (lambda a, b: True, lambda a, b: F.dropout(a, 0.5, training=False)),
    "long": (lambda a, b: True, lambda a, b: a.long()),
    "positive": (lambda a, b: True, lambda a, b: a > 0),
    "sub_": (lambda a, b: a.shape == b.shape and a.dtype == b.dtype, lambda a, b: a.sub_(b)),
    "neg_": (lambda a, b: True, lambda a, b: a.neg_()),
    "transpose mul_": (lambda a, b: a.dim() >= 1, lambda a, b: a.transpose(0, -1).mul_(3)),
    "select add_": (lambda a, b: a.dim() >= 1, lambda a, b: a[0].add_(1)),
    # raises where a value of b is -1: at run time, not while tracing (rand is in [0, 1))
    "floor_divide": (lambda a, b: a.shape == b.shape, lambda a, b: a.long() // (b.long() + 1)),
    "remainder": (lambda a, b: a.shape == b.shape, lambda a, b: a.long() % (b.long() + 1)),
}
NAMES = sorted(OPS)

steps = st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, 63), st.integers(0, 63)), min_size=1, max_size=10)


def build(program: List[Tuple[str, int, int]], returned: int) -> Callable[..., Any]:
    def fn(x, y):
        pool = [x, y]
        for name, i, j in program:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            applies, op = OPS[name]
            if applies(a, b):
                try:
                    pool.append(op(a, b))
                except RuntimeError:  # e.g. writing into an expanded tensor: not recorded
                    pass
        return tuple(pool[-returned:]) + (x,)
    return fn


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=steps, returned=st.integers(1, 3), transposed=st.booleans(), same=st.booleans())
def test_random_programs_agree_with_and_without_passes(program, returned, transposed, same):
    fn = build(program, returned)
    # (no check_trace: a program that catches an op's error traces differently on other inputs)
    traced = torch.jit.trace(fn, (torch.rand(3, 4), torch.rand(3, 4)), check_trace=False)
    for seed, shape in enumerate([(3, 4), (5, 4), (1, 4)]):
        x, y = random_like([torch.rand(*shape), torch.rand(*shape)], seed)
        if transposed:
            x = torch.from_numpy(x.numpy().T.copy()).t()  # same shape, not contiguous
        # one tensor as both arguments: a write into y is a write into x
        assert_same_with_and_without_passes(traced, x, x if same else y, seed=seed)


def test_random_program_of_a_float32_exp_cast_to_double_is_held_to_float32s_bound():
    # found by the test above: a float64 result of a fused float32 exp (.double() of it)
    # differs from eager's by an ulp of float32, which is the kernel's stated accuracy; the
    # harness held it to float64's bound
    program = [("add", 0, 0), ("add", 0, 0), ("exp", 2, 0), ("add", 0, 0), ("add", 0, 0), ("double", 25, 0)]
    traced = torch.jit.trace(build(program, 1), (torch.rand(3, 4), torch.rand(3, 4)), check_trace=False)
    for seed, shape in enumerate([(3, 4), (5, 4), (1, 4), (64, 64)]):
        x, y = random_like([torch.rand(*shape), torch.rand(*shape)], seed)
        assert_same_with_and_without_passes(traced, x, y, seed=seed)

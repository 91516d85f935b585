"""Fused kernels against the eager kernels: random pointwise expression graphs (hypothesis)
over random dtypes, broadcast shapes, strides and special values; crafted bad inputs; the
vector code; the kernel cache."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitorch_jit.codegen import host
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.codegen.llvm import target
from minitorch_jit.codegen.llvm.cache import MAGIC, KernelCache
from minitorch_jit.ir import registry
from minitorch_jit.ir.parser import parse_graph
from minitorch_jit.ir.types import SHORT_NAME

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
# ops whose fused result must equal the eager one exactly, and transcendental ones (within
# the math library's bounds, plus the eager kernel's own error)
EXACT_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
                "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "floor_divide",
                "remainder"]
EXACT_UNARY = ["neg", "abs", "relu", "floor", "ceil", "round", "trunc", "sign", "logical_not", "sqrt",
               "rsqrt", "reciprocal"]
# binary ops that take a Python number as their second operand (PyTorch's maximum does not)
SCALAR_OPERAND = {op for op in EXACT_BINARY + ["pow"] if any(
    o.schema.overload == "Scalar" for o in registry.overloads(f"aten::{op}"))}
APPROX_UNARY = ["exp", "log", "log1p", "expm1", "tanh", "sigmoid", "erf", "sin", "cos", "silu"]
ROUND_DECIMALS = [-40, -3, -1, 0, 1, 2, 5, 39, 309]
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.inf, -np.inf, np.nan, 1e-40, 1e30, -1e-310, 7.0]


def _tensor(draw, dtype, shape):
    if dtype == "bool":
        a = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        arr = np.array(a, dtype=bool).reshape(shape)
    elif dtype.startswith("int"):
        a = draw(st.lists(st.integers(-6, 6), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        arr = np.array(a, dtype=dtype).reshape(shape)
    else:
        a = draw(st.lists(st.sampled_from(SPECIAL) | st.floats(-5, 5), min_size=int(np.prod(shape)),
                          max_size=int(np.prod(shape))))
        with np.errstate(all="ignore"):
            arr = np.array(a, dtype=dtype).reshape(shape)
    if draw(st.booleans()) and arr.ndim and arr.shape[-1] > 1:
        # the same values through a strided (and maybe reversed) view
        big = np.repeat(arr, 2, axis=-1)
        arr = big[..., ::2] if draw(st.booleans()) else big[..., ::-2][..., ::-1]
    return arr


@st.composite
def expression(draw, exact=True):
    """A random graph of pointwise ops over 1-3 inputs with broadcastable shapes."""
    rank = draw(st.integers(0, 3))
    base = [draw(st.integers(0, 3)) if draw(st.integers(0, 9)) == 0 else draw(st.integers(1, 4)) for _ in range(rank)]
    n_in = draw(st.integers(1, 3))
    inputs, lines, values = [], [], []
    for i in range(n_in):
        dtype = draw(st.sampled_from(DTYPES))
        keep = draw(st.integers(0, rank))
        shape = tuple(1 if draw(st.booleans()) else d for d in base[rank - keep:])
        inputs.append(_tensor(draw, dtype, shape))
        values.append(f"%x{i}")
    n_ops = draw(st.integers(2, 6))
    for k in range(n_ops):
        if draw(st.booleans()):
            op = draw(st.sampled_from(EXACT_UNARY if exact else EXACT_UNARY + APPROX_UNARY))
            a = draw(st.sampled_from(values))
            if op == "round" and draw(st.booleans()):  # round(x, decimals=d), d past float32's range too
                lines.append(f"  %d{k} : int = prim::Constant[value={draw(st.sampled_from(ROUND_DECIMALS))}]()")
                lines.append(f"  %v{k} : Tensor = aten::round({a}, %d{k})")
            else:
                lines.append(f"  %v{k} : Tensor = aten::{op}({a})")
        else:
            op = draw(st.sampled_from(EXACT_BINARY if exact else EXACT_BINARY + ["pow"]))
            a = draw(st.sampled_from(values))
            if op in SCALAR_OPERAND and draw(st.integers(0, 3)) == 0:
                c = draw(st.sampled_from(["2", "-1", "0.5", "True", "3"]))
                t = "bool" if c == "True" else "float" if "." in c else "int"
                lines.append(f"  %c{k} : {t} = prim::Constant[value={c}]()")
                lines.append(f"  %v{k} : Tensor = aten::{op}({a}, %c{k})")
            else:
                lines.append(f"  %v{k} : Tensor = aten::{op}({a}, {draw(st.sampled_from(values))})")
        values.append(f"%v{k}")
    outs = sorted({values[-1], draw(st.sampled_from(values[n_in:]))})
    header = ", ".join(f"%x{i} : {SHORT_NAME[a.dtype.name]}({', '.join('*' * 0 + '*' for _ in a.shape)})"
                       for i, a in enumerate(inputs))
    text = f"graph({header}):\n" + "\n".join(lines) + f"\n  return ({', '.join(outs)})\n"
    return text, inputs


def run_both(text, inputs):
    g = parse_graph(text)
    try:
        with np.errstate(all="ignore"):
            expected = host.generate(g).fn(*inputs)
    except (RuntimeError, TypeError) as e:
        with pytest.raises(type(e)) as info:
            FusedKernel(g)(*inputs)
        # eager checks values before dtypes (bool // False says ZeroDivisionError there), the
        # kernel's dtype check comes first
        assert str(info.value) == str(e) or str(e) == "ZeroDivisionError"
        return None
    got = FusedKernel(g)(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    return list(zip(got, expected))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(expression(exact=True))
def test_random_exact_expressions_match_eager_bit_for_bit(case):
    pairs = run_both(*case)
    for got, expected in pairs or ():
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(expression(exact=False))
def test_random_expressions_with_transcendentals_match_eager(case):
    inputs = case[1]
    # a few ulps of error in a term survive a later cancellation (tanh(x) - x) as an absolute
    # error on the scale of the terms, which the inputs bound for these functions
    scale = min(1.0, max([0.0] + [float(np.max(np.abs(a[np.isfinite(a)]), initial=0)) for a in inputs
                                  if a.dtype.kind == "f" and a.size]))
    for got, expected in run_both(*case) or ():
        assert got.dtype == expected.dtype and got.shape == expected.shape
        if got.dtype.kind == "f":
            # eager numpy float32 functions are themselves only good to a few ulps, and a
            # float64 result may add such a float32 value (or exp of an int, which is float32);
            # float64 inputs can make float32 results too (expm1 of a comparison's bools)
            rtol = 1e-13 if got.dtype == np.float64 and all(a.dtype == np.float64 for a in inputs) else 2e-5
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)
        else:
            np.testing.assert_array_equal(got, expected)


def kernel(text):
    return FusedKernel(parse_graph(text))


ADD_EXP = """graph(%a : Float(*, *), %b : Float(*, *)):
  %1 : Float(*, *) = aten::add(%a, %b)
  %2 : Float(*, *) = aten::exp(%1)
  return (%2)
"""


def test_bad_inputs_raise_cleanly_and_odd_layouts_compute_right():
    k = kernel(ADD_EXP)
    a = np.random.rand(4, 5).astype(np.float32)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(5\) must match the size of tensor b \(3\)"):
        k(a, np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match="must be an array"):
        k(a, 3)
    with pytest.raises(TypeError, match="unsupported dtype"):
        k(a, a.astype(np.float16))
    with pytest.raises(TypeError, match="unsupported dtype"):
        k(a, a.astype(">f4"))
    with pytest.raises(TypeError, match="takes 2 inputs"):
        k(a)
    rev = a[::-1, ::-2]
    overlapping = np.lib.stride_tricks.as_strided(a, shape=(4, 3), strides=(4, 4))  # rows overlap
    for x, y in [(rev, np.ones((1, 3), np.float32)), (overlapping, overlapping.T.copy().T),
                 (np.zeros((0, 5), np.float32), a[:1]), (np.full((), 2, np.float32), a),
                 (a.astype(np.float64), a)]:
        np.testing.assert_allclose(k(x, y), np.exp(x + y), rtol=1e-6)
    deep = np.random.rand(*(2,) * 8).astype(np.float32)
    np.testing.assert_allclose(k(deep, deep[..., :1].transpose()), np.exp(deep + deep[..., :1].transpose()),
                               rtol=1e-6)


SHARED_PRODUCER = """graph(%a : Float(*, 1), %b : Float(1, *), %d : Float(1, *)):
  %c : Float(*, 1) = aten::neg(%a)
  %1 : Float(*, *) = aten::add(%c, %b)
  %2 : Float(*, *) = aten::mul(%c, %d)
  return (%1, %2, %c)
"""


@pytest.mark.parametrize("b_cols, d_cols", [(4, 5), (4, 0), (4, 4)])
def test_outputs_that_do_not_share_one_iteration_space_run_as_separate_kernels(b_cols, d_cols):
    """The types say (*, *) for both results whether b and d have as many columns or not; the
    group still computes every output (as one kernel per output shape when they differ)."""
    k = kernel(SHARED_PRODUCER)
    a = np.random.rand(3, 1).astype(np.float32)
    b = np.random.rand(1, b_cols).astype(np.float32)
    d = np.random.rand(1, d_cols).astype(np.float32)
    for _ in range(2):  # the second call takes the prepared launch
        added, multiplied, c = k(a, b, d)
        np.testing.assert_array_equal(c, -a)
        np.testing.assert_array_equal(added, -a + b)
        np.testing.assert_array_equal(multiplied, -a * d)
        assert multiplied.shape == (3, d_cols)


def test_integer_division_by_zero_raises_like_eager_and_never_traps():
    k = kernel("""graph(%a : Long(*), %b : Long(*)):
  %1 : Long(*) = aten::floor_divide(%a, %b)
  %2 : Long(*) = aten::remainder(%a, %b)
  return (%1, %2)
""")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        k(np.arange(5), np.array([1, 2, 0, 3, 4]))
    lo = np.iinfo(np.int64).min
    q, r = k(np.array([lo, -7, 7, -7]), np.array([-1, 2, -2, -2]))
    np.testing.assert_array_equal(q, [lo, -4, -4, 3])
    np.testing.assert_array_equal(r, [0, 1, -1, -1])


def test_integer_pow_wraps_like_numpy_and_negative_powers_follow_pytorch():
    k = kernel("""graph(%a : Long(*), %b : Long(*)):
  %1 : Long(*) = aten::pow(%a, %b)
  return (%1)
""")
    a, b = np.array([3, -2, 7, 0, 1]), np.array([40, 63, 0, 5, 100])
    np.testing.assert_array_equal(k(a, b), np.power(a, b))
    # negative exponents in a tensor: 1 and -1 keep their magnitude, the rest round to 0
    a, b = np.array([1, -1, -1, 2, -3]), np.array([-3, -3, -2, -1, -5])
    np.testing.assert_array_equal(k(a, b), [1, -1, 1, 0, 0])
    s = kernel("""graph(%a : Long(*)):
  %c : int = prim::Constant[value=-2]()
  %1 : Long(*) = aten::pow(%a, %c)
  return (%1)
""")
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        s(a)


def test_big_outputs_split_across_threads_give_the_same_result(monkeypatch):
    k = kernel(ADD_EXP)
    a = np.random.rand(700, 300).astype(np.float32)
    b = np.random.rand(1, 300).astype(np.float32)
    many = k(a, b)
    monkeypatch.setenv("MINITORCH_JIT_NUM_THREADS", "1")
    one = kernel(ADD_EXP)(a, b)
    np.testing.assert_array_equal(many, one)


@pytest.mark.parametrize("dtype, ops", [("float32", ["add", "exp"]), ("float32", ["tanh", "sigmoid", "erf"]),
                                        ("float64", ["log1p", "expm1", "pow"]), ("float32", ["sin", "pow"]),
                                        ("float64", ["cos"])])
def test_contiguous_kernels_with_math_functions_use_vector_registers(dtype, ops):
    from minitorch_jit.codegen.launch import LAYOUT
    from minitorch_jit.codegen.llvm.kernel import Spec, TensorArg, build
    t = SHORT_NAME[dtype]
    lines, last = [], "%a"
    for k, op in enumerate(ops):
        lines.append(f"  %{k} : {t}(*) = aten::{op}({last}{', %b' if op in ('add', 'pow') else ''})")
        last = f"%{k}"
    g = parse_graph(f"graph(%a : {t}(*), %b : {t}(*)):\n" + "\n".join(lines) + f"\n  return ({last})\n")
    spec = Spec(1, (TensorArg(dtype, False, 1),) * 2, (TensorArg(dtype, False, 1),))
    asm = target.assembly(build(g, spec, LAYOUT).text)
    register = "zmm" if "+avx512f" in target.host_features() else "ymm"
    assert register in asm, "the loop was not vectorized"
    # libm is called only by the exact loop of rows with sin or cos beyond their reduction
    assert ("call" in asm) == any(op in ("sin", "cos") for op in ops)


def test_disk_cache_is_used_by_a_second_process_and_corrupt_entries_are_rebuilt(tmp_path):
    script = f"""
import time
import numpy as np
import minitorch_jit
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.codegen.llvm.cache import default_cache
from minitorch_jit.ir import registry
from minitorch_jit.ir.parser import parse_graph
k = FusedKernel(parse_graph({ADD_EXP!r}))
a = np.ones((3, 4), np.float32)
assert np.allclose(k(a, a), np.exp(2.0))
s = default_cache().stats
print(s.compiles, s.disk_hits, s.rejected_entries)
"""
    env = dict(os.environ, MINITORCH_JIT_CACHE_DIR=str(tmp_path))
    run = lambda: subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                                 check=True).stdout.split()
    assert run() == ["1", "0", "0"]
    assert run() == ["0", "1", "0"]
    (entry,) = list(tmp_path.rglob("*.o"))
    data = entry.read_bytes()
    assert data.startswith(MAGIC)
    entry.write_bytes(data[: len(data) // 2])  # truncated
    assert run() == ["1", "0", "1"]
    entry.write_bytes(data[:-8] + b"garbage!")  # same length, wrong digest
    assert run() == ["1", "0", "1"]
    assert run() == ["0", "1", "0"]


def test_cache_read_rejects_entries_that_fail_their_checks(tmp_path):
    cache = KernelCache(str(tmp_path))
    cache.write("ab" * 32, b"object code")
    assert cache.read("ab" * 32) == b"object code"
    path = cache.path("ab" * 32)
    with open(path, "r+b") as f:
        f.seek(-1, 2)
        f.write(b"X")
    assert cache.read("ab" * 32) is None and cache.stats.rejected_entries == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_with_decimals_that_are_not_constant_matches_eager_bit_for_bit(dtype):
    """The kernel takes 10^|d| at run time, as the eager kernel does, and picks the formula by
    the sign of d."""
    text = """graph(%x : Tensor, %d : int):
  %y : Tensor = aten::round(%x, %d)
  return (%y)
"""
    x = np.array(SPECIAL + [1.2345, 2.675, -1234.5678, 1e38, 0.125], dtype)
    k = kernel(text)
    for d in ROUND_DECIMALS + [-2, 3, 308, 400, -400]:
        expected = host.generate(parse_graph(text)).fn(x, d)
        got = k(x, d)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), d


def test_every_pointwise_op_in_the_registry_has_a_lowering():
    from minitorch_jit.codegen.llvm.lowering import LOWERINGS
    from minitorch_jit.ir import registry
    missing = [op.qualified_name for op in registry.all_ops() if op.pointwise and op.qualified_name not in LOWERINGS]
    assert not missing


def test_groups_that_differ_only_in_their_sizes_share_one_kernel():
    import minitorch_jit as torch

    def f(x):
        y = x.view(x.size(0), -1)  # the executor specializes this graph on size 0
        return torch.sigmoid(y) * 2 + 1

    fn = torch.trace(f, torch.randn(4, 3))
    groups = []
    for n in (4, 5, 9):
        x = torch.randn(n, 3)
        np.testing.assert_allclose(fn(x).numpy(), f(x).numpy(), rtol=1e-6)
        plan = fn.executor.plan(fn.executor.raw_inputs([x]))
        assert f"graph(%x : Float({n}, *)):" in str(plan.graph)
        groups += [v for k, v in plan.code.globals.items() if k.startswith("fusion_group")]
    assert len(groups) == 3 and len(set(map(id, groups))) == 1
    assert groups[0].compiles == 1


def test_kernels_that_call_math_functions_use_the_thread_pool_at_fewer_elements(monkeypatch):
    monkeypatch.setenv("MINITORCH_JIT_NUM_THREADS", "2")
    cheap = kernel("""graph(%a : Float(*), %b : Float(*)):
  %1 : Float(*) = aten::mul(%a, %b)
  return (%1)
""")
    costly = kernel("""graph(%a : Float(*), %b : Float(*)):
  %1 : Float(*) = aten::tanh(%a)
  %2 : Float(*) = aten::sigmoid(%b)
  %3 : Float(*) = aten::mul(%1, %2)
  %4 : Float(*) = aten::tanh(%3)
  %5 : Float(*) = aten::exp(%4)
  return (%5)
""")
    a, b = np.random.rand(2, 20_000).astype(np.float32)
    assert len(cheap.launch((a, b)).addresses) == 1
    assert len(costly.launch((a, b)).addresses) == 2
    split = costly(a, b)
    monkeypatch.setenv("MINITORCH_JIT_NUM_THREADS", "1")
    np.testing.assert_array_equal(split, kernel(str(costly.graph))(a, b))


def test_a_zero_divisor_computed_from_0d_inputs_is_not_taken_for_a_value_error():
    """The dtype check runs the eager kernels on stand-in values (ones); a 0-d intermediate
    that the stand-ins make zero (True + -1) must not stop it: False // (False + -1) is 0."""
    k = kernel("""graph(%x : Bool()):
  %c : int = prim::Constant[value=-1]()
  %d : Long() = aten::add(%x, %c)
  %q : Long() = aten::floor_divide(%x, %d)
  return (%d, %q)
""")
    d, q = k(np.array(False))
    assert (d.tolist(), q.tolist()) == (-1, 0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        k(np.array(True))  # True // (True + -1) is a real division by zero, as in eager mode

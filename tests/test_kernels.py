"""Fused kernels against the eager kernels: random pointwise expression graphs (hypothesis)
over random dtypes, broadcast shapes, strides and special values; crafted bad inputs; the
vector code; the kernel cache."""
import os
import subprocess
import sys

import numpy as np
import pytest
from fused_programs import (
    ROUND_DECIMALS,
    SPECIAL,
    HypothesisChoices,
    assert_close,
    assert_exact,
    random_group,
    run_both,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minitorch_jit.codegen import host
from minitorch_jit.codegen import launch as launch_module
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.codegen.llvm import target
from minitorch_jit.codegen.llvm.cache import MAGIC, KernelCache, KernelCacheWarning
from minitorch_jit.codegen.llvm.kernel import ScalarArg
from minitorch_jit.ir import registry
from minitorch_jit.ir.parser import parse_graph
from minitorch_jit.ir.types import SHORT_NAME


@st.composite
def expression(draw, exact=True):
    return random_group(HypothesisChoices(draw), exact)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(expression(exact=True))
def test_random_exact_expressions_match_eager_bit_for_bit(case):
    assert_exact(run_both(*case))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(expression(exact=False))
def test_random_expressions_with_transcendentals_match_eager(case):
    assert_close(run_both(*case), *case)


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
    with pytest.raises(TypeError, match="input 0 has dtype float64, its graph says float32"):
        k(a.astype(np.float64), a)  # a kernel computes the dtypes of its typed graph
    rev = a[::-1, ::-2]
    overlapping = np.lib.stride_tricks.as_strided(a, shape=(4, 3), strides=(4, 4))  # rows overlap
    for x, y in [(rev, np.ones((1, 3), np.float32)), (overlapping, overlapping.T.copy().T),
                 (np.zeros((0, 5), np.float32), a[:1]), (np.full((), 2, np.float32), a)]:
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
    monkeypatch.setattr(launch_module, "TIMED_CALLS", 1)  # the first call is timed, later ones ask
    from minitorch_jit.codegen import threads
    k = kernel(ADD_EXP)
    a = np.random.rand(700, 300).astype(np.float32)
    b = np.random.rand(1, 300).astype(np.float32)
    one = k(a, b)  # the first call of a layout runs on one thread (and is timed)
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: 3)
    many = k(a, b)
    assert sorted(k.launch((a, b)).splits) == [3]
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
from minitorch_jit.codegen.llvm.kernel import ScalarArg
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
    with pytest.warns(KernelCacheWarning, match="authentication code does not match"):
        assert cache.read("ab" * 32) is None and cache.stats.rejected_entries == 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_with_decimals_that_are_not_constant_matches_eager_bit_for_bit(dtype):
    """The kernel takes 10^|d| at run time, as the eager kernel does, and picks the formula by
    the sign of d."""
    t = SHORT_NAME[dtype]
    text = f"""graph(%x : {t}(*), %d : int):
  %y : {t}(*) = aten::round(%x, %d)
  return (%y)
"""
    x = np.array(SPECIAL + [1.2345, 2.675, -1234.5678, 1e38, 0.125], dtype)
    k = kernel(text)
    for d in ROUND_DECIMALS + [-2, 3, 308, 400, -400]:
        expected = host.generate(parse_graph(text)).fn(x, d)
        got = k(x, d)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes(), d


def test_the_cache_key_asks_llvm_for_the_target_once_per_process(monkeypatch, tmp_path):
    import hashlib

    from minitorch_jit._version import __version__

    cache = KernelCache(str(tmp_path))
    first = cache.key("ir a")
    assert first == hashlib.sha256(f"ir a\0{target.target_id()}\0{__version__}\0".encode()).hexdigest()

    def asked(*args):
        raise AssertionError("LLVM was asked for the target again")
    for name in ("get_host_cpu_name", "get_host_cpu_features", "get_process_triple"):
        monkeypatch.setattr(target.llvm, name, asked)
    assert cache.key("ir b") != first and KernelCache(str(tmp_path)).key("ir a") == first


def test_kernels_take_their_dtypes_from_the_typed_graph(monkeypatch):
    from minitorch_jit.codegen.launch import LAYOUT
    from minitorch_jit.codegen.llvm import kernel as llvm_kernel
    from minitorch_jit.codegen.llvm.kernel import Spec, TensorArg

    with pytest.raises(ValueError, match="fusion group value %y has no dtype"):
        FusedKernel(parse_graph("graph(%x : Float(*)):\n  %y : Tensor = aten::neg(%x)\n  return (%y)\n"))
    g = parse_graph(ADD_EXP)
    spec = Spec(1, (TensorArg("float32", False, 1),) * 2, (TensorArg("float32", False, 1),))

    def no_rules(*args):
        raise AssertionError("a type rule was asked for a dtype the graph has")
    monkeypatch.setattr(registry.OpDef, "output_types", no_rules)
    assert "fadd float" in llvm_kernel.build(g, spec, LAYOUT).text


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

    fn = torch.jit.trace(f, torch.randn(4, 3))
    groups = []
    for n in (4, 5, 9):
        x = torch.randn(n, 3)
        np.testing.assert_allclose(fn(x).numpy(), f(x).numpy(), rtol=1e-6)
        plan = fn.executor.plan(fn.executor.raw_inputs([x]))
        assert f"graph(%x : Float({n}, *, contiguous)):" in str(plan.graph)
        groups += [v for k, v in plan.code.globals.items() if k.startswith("fusion_group")]
    assert len(groups) == 3 and len(set(map(id, groups))) == 1
    assert groups[0].compiles == 1


def count_builds(monkeypatch):
    from minitorch_jit.codegen.llvm import kernel as llvm_kernel
    built = []

    def build(*args):
        built.append(args)
        return real(*args)
    real = llvm_kernel.build
    monkeypatch.setattr(llvm_kernel, "build", build)
    return built


def test_a_size_used_as_a_pointwise_operand_is_an_argument_of_one_kernel(monkeypatch):
    # issue 12 item 11: x * x.size(0) + 1 compiled and kept a kernel per distinct size
    import minitorch_jit as torch

    def f(x):
        return x * x.size(0) + 1

    built = count_builds(monkeypatch)
    fn = torch.script(f)
    for n in range(2, 42):
        x = torch.randn(n)
        np.testing.assert_allclose(fn(x).numpy(), f(x).numpy(), rtol=1e-6)
    (group,) = [n for n in fn.graph_for(torch.randn(3)).nodes if n.kind == "prim::FusionGroup"]
    assert "aten::size" in str(fn.graph_for(torch.randn(3)))
    assert (fn.executor.compiles, len(built)) == (1, 1)


def test_loaded_kernels_are_bounded_and_unloaded(monkeypatch):
    # sizes that go through number arithmetic are folded: a kernel per size, of which only
    # as many stay loaded as the caches that hold them keep
    import gc
    import weakref

    import minitorch_jit as torch
    from minitorch_jit.codegen import launch
    from minitorch_jit.codegen.llvm import cache as kernel_cache
    from minitorch_jit.runtime import executor

    loaded = []

    def load_object(*args):
        kernel = real(*args)
        loaded.append(weakref.ref(kernel))
        return kernel
    real = target.load_object
    monkeypatch.setattr(target, "load_object", load_object)
    for module, name in ((executor, "CACHE_SIZE"), (executor, "LAYOUT_CACHE_SIZE"), (launch, "MAX_GROUPS"),
                         (kernel_cache, "MAX_LOADED")):
        monkeypatch.setattr(module, name, 2)
    # kernels and groups other tests left in this process would be found without a load
    monkeypatch.setattr(kernel_cache, "_loaded", type(kernel_cache._loaded)())
    monkeypatch.setattr(launch, "_groups", type(launch._groups)())

    def f(x):
        return x * (x.size(0) - 1) + 1

    fn = torch.script(f)
    for n in range(3, 15):  # (from 3: x * (2 - 1) is x)
        x = torch.randn(n)
        np.testing.assert_allclose(fn(x).numpy(), f(x).numpy(), rtol=1e-6)
    assert fn.executor.compiles == 12 and len(loaded) == 12
    gc.collect()
    alive = [k for k in loaded if k() is not None]
    assert 2 <= len(alive) <= 6, len(alive)
    # the ones still loaded run
    x = torch.randn(14)
    np.testing.assert_allclose(fn(x).numpy(), f(x).numpy(), rtol=1e-6)


def test_a_launch_asks_the_cost_model_with_its_measured_single_thread_time(monkeypatch):
    from minitorch_jit.codegen import threads
    asked = []
    monkeypatch.setattr(threads, "kernel_threads", lambda seconds: asked.append(seconds) or 1)
    k = kernel(ADD_EXP)
    small = np.random.rand(10, 10).astype(np.float32)
    k(small, small)
    k(small, small)
    assert k.launch((small, small)).splits is None and asked == []  # too small to ever split
    big = np.random.rand(100, 100).astype(np.float32)
    for _ in range(launch_module.TIMED_CALLS):
        k(big, big)  # timed on one thread: nothing to ask yet
    assert asked == []
    k(big, big)
    launch = k.launch((big, big))
    assert len(asked) == 1 and asked[0] > 0 and launch.seconds <= asked[0]
    assert launch.timed == launch_module.TIMED_CALLS + 1  # and the call it kept on one thread


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


MAX_MIN_CLAMP = """graph(%a : Float(*), %b : Float(*), %lo : float):
  %0 : float = prim::Constant[value=0.0]()
  %1 : Float(*) = aten::maximum(%a, %b)
  %2 : Float(*) = aten::minimum(%b, %a)
  %3 : Float(*) = aten::clamp(%a, %b)
  %4 : Float(*) = aten::clamp(%b, %lo, %0)
  %5 : Float(*) = aten::clamp(%a, %0)
  return (%1, %2, %3, %4, %5)
"""


@pytest.mark.parametrize("n", [5, 2048, 2049, 10_000])
def test_max_and_min_propagate_nan_from_either_side_in_every_block(n):
    """The fast loop takes the CPU's max/min, which drops a NaN first operand, and watches
    those operands: a block with one NaN computes again exactly, the others stay fast."""
    from minitorch_jit.codegen.launch import run_eagerly
    from minitorch_jit.codegen.llvm.kernel import BLOCK
    k = kernel(MAX_MIN_CLAMP)
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    a[::7] = b[::7]  # ties
    a[1::11], b[1::11] = 0.0, -0.0  # ties of signed zeros
    for x in (a, b):  # NaNs in some blocks only, infinities of both signs in others
        x[rng.integers(0, n, 3)] = np.nan
        x[rng.integers(0, n, 3)] = np.inf
        x[rng.integers(0, n, 3)] = -np.inf
    a[n - 1] = np.nan
    if n > BLOCK:
        b[BLOCK] = np.nan
    for lo in (-0.5, float("nan")):
        assert_exact(list(zip(k(a, b, lo), run_eagerly(k.graph, (a, b, lo)))))


@pytest.mark.skipif("avx" not in target.host_features(), reason="checks x86 instructions")
def test_the_fast_loop_of_max_and_min_is_the_cpus_max_and_min():
    from minitorch_jit.codegen.launch import LAYOUT
    from minitorch_jit.codegen.llvm.kernel import Spec, TensorArg, build
    g = parse_graph(MAX_MIN_CLAMP)
    f32 = TensorArg("float32", False, 1)
    asm = target.assembly(build(g, Spec(1, (f32, f32, ScalarArg("float64")), (f32,) * 5), LAYOUT).text)
    assert "vmaxps" in asm and "vminps" in asm

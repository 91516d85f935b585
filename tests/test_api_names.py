"""PyTorch's names around the JIT mean what they mean in PyTorch: ``torch.trace`` is the sum
of a matrix's diagonal (the tracer is ``torch.jit.trace``), the legacy tensor types, dtypes,
``torch.device``, ``torch.ops.aten``, the switches of ``torch.jit`` and ``torch._C``, and the
package namespace holds no names it imported for itself. Values are PyTorch 2's."""
import numpy as np
import pytest

import minitorch_jit as torch

# -- torch.trace is the sum of the diagonal ------------------------------------------------------------


def test_trace_is_the_sum_of_the_diagonal_not_the_tracer():
    assert torch.trace is not torch.jit.trace
    x = torch.arange(9.0).view(3, 3)
    assert torch.trace(x).item() == 12.0
    assert x.trace().item() == 12.0
    assert torch.trace(x).dim() == 0


def test_trace_of_integers_accumulates_in_int64_and_rectangular_matrices_use_the_short_diagonal():
    r = torch.trace(torch.arange(6, dtype=torch.int32).view(2, 3))
    assert r.dtype == torch.int64 and r.item() == 4


def test_trace_of_a_vector_is_pytorchs_error():
    with pytest.raises(RuntimeError, match="trace: expected a matrix, but got tensor with dim 1"):
        torch.trace(torch.ones(3))


def test_trace_scripts_as_the_diagonal_sum():
    @torch.jit.script
    def f(x):
        return torch.trace(x) * 2

    x = torch.randn(4, 4)
    np.testing.assert_allclose(f(x).numpy(), 2 * np.trace(x.numpy()), rtol=1e-6)


# -- torch.ops.aten --------------------------------------------------------------------------------------


def test_torch_ops_aten_calls_registry_ops_by_their_op_names():
    x = torch.randn(2, 3)
    np.testing.assert_array_equal(torch.ops.aten.add(x, x).numpy(), (x + x).numpy())
    np.testing.assert_array_equal(torch.ops.aten.add.Tensor(x, x, alpha=2).numpy(), (x + 2 * x).numpy())
    np.testing.assert_array_equal(torch.ops.aten.relu.default(x).numpy(), x.relu().numpy())
    assert torch.ops.aten.relu is torch.ops.aten.relu
    assert torch.ops.aten.add(1, 2).item() == 3  # numbers are 0-d tensors, as in torch.add
    with pytest.raises(AttributeError, match="has no attribute 'no_such_op'"):
        torch.ops.aten.no_such_op
    with pytest.raises(AttributeError, match="has no overload 'Nope'"):
        torch.ops.aten.add.Nope


def test_torch_ops_aten_in_script_functions_emits_the_op():
    relu = torch.ops.aten.relu

    @torch.jit.script
    def f(x, y):
        return torch.ops.aten.mul(x, y) + relu(x) + torch.ops.aten.add.Tensor(x, y, alpha=2)

    assert "aten::mul" in str(f.graph) and "aten::relu" in str(f.graph)
    x, y = torch.randn(3), torch.randn(3)
    np.testing.assert_allclose(f(x, y).numpy(), (x * y + x.relu() + x + 2 * y).numpy(), rtol=1e-6)

    def g(x):
        return torch.ops.aten.relu.Nope(x)

    with pytest.raises(torch.jit.ScriptError, match="has no attribute 'Nope'"):
        torch.jit.script(g)


# -- torch.equal, torch.normal, torch.add of numbers, dropout's flags -------------------------------------


def test_equal_is_same_sizes_and_values():
    assert torch.equal(torch.ones(2), torch.ones(2)) is True
    assert torch.equal(torch.ones(2), torch.ones(3)) is False
    assert torch.equal(torch.ones(2), torch.ones(2, dtype=torch.int64)) is True  # PyTorch 2 promotes
    assert torch.ones(2, 2).equal(torch.ones(2, 2).t())

    @torch.jit.script
    def f(x, y):
        return torch.equal(x, y)

    assert f(torch.ones(2), torch.ones(2)) is True and f(torch.ones(2), torch.zeros(2)) is False


def test_normal_in_its_four_forms_has_pytorchs_shapes_dtypes_and_moments():
    torch.manual_seed(0)
    assert torch.normal(torch.zeros(3), 1.0).shape == (3,)
    assert torch.normal(0.0, torch.ones(3)).shape == (3,)
    assert torch.normal(torch.zeros(2, 1), torch.ones(3)).shape == (2, 3)
    assert torch.normal(2.0, 3.0, (2, 2)).dtype == torch.float32
    assert torch.normal(2.0, 3.0, size=(2,), dtype=torch.float64).dtype == torch.float64
    big = torch.normal(torch.full((100000,), 5.0), 2.0).numpy()
    assert abs(big.mean() - 5.0) < 0.05 and abs(big.std() - 2.0) < 0.05
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        torch.normal(0.0, -1.0, (2,))
    torch.manual_seed(3)
    a = torch.normal(torch.zeros(4), 1.0)
    torch.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), torch.normal(torch.zeros(4), 1.0).numpy())


def test_torch_add_of_numbers_is_a_tensor_eagerly_and_a_number_in_script():
    three = torch.add(1, 2)
    assert isinstance(three, torch.Tensor) and three.dtype == torch.int64 and three.item() == 3
    assert torch.add(1.5, 2).dtype == torch.float32 and torch.add(1.5, 2).item() == 3.5
    np.testing.assert_array_equal(torch.add(2, torch.ones(2)).numpy(), [3.0, 3.0])
    assert torch.mul(2, 3).item() == 6

    @torch.jit.script
    def f(a: int, b: int):
        return torch.add(a, b)

    assert f(1, 2) == 3 and type(f(1, 2)) is int


def test_dropout_takes_train_as_torch_dropout_names_it_and_training_as_the_functional_does():
    x = torch.ones(4)
    assert torch.dropout(x, 0.5, train=False) is x
    assert torch.nn.functional.dropout(x, 0.5, training=False) is x

    @torch.jit.script
    def f(x, p: float, t: bool):
        return torch.dropout(x, p, train=t) + torch.nn.functional.dropout(x, p, training=t)

    np.testing.assert_array_equal(f(x, 0.5, False).numpy(), [2.0] * 4)


# -- inlined_graph, code_for on modules --------------------------------------------------------------------


def test_inlined_graph_has_the_callees_nodes_and_graph_keeps_the_call():
    @torch.jit.script
    def g(x):
        return x * 2

    @torch.jit.script
    def f(x):
        return g(x) + 1

    assert "prim::CallFunction" in str(f.graph)
    inlined = str(f.inlined_graph)
    assert "prim::CallFunction" not in inlined and "aten::mul" in inlined and "aten::add" in inlined
    assert "prim::CallFunction" in str(f.graph)


def test_script_and_traced_modules_have_code_for_and_inlined_graph():
    class M(torch.nn.Module):
        def forward(self, x):
            return x.relu() * 2

    x = torch.randn(2, 3)
    for m in (torch.jit.script(M()), torch.jit.trace(M(), x)):
        code = m.code_for(x)
        assert "def " in code and "fusion_group" in code
        assert "aten::relu" in str(m.inlined_graph)


# -- torch.jit switches and PYTORCH_JIT=0 --------------------------------------------------------------------


def _scaled_relu(x):
    return (x * 2).relu() + 1


def test_optimized_execution_false_runs_the_graph_unoptimized_and_the_plan_comes_back_after():
    f = torch.jit.script(_scaled_relu)
    x = torch.randn(4, 4)
    assert "prim::FusionGroup" in str(f.graph_for(x))
    with torch.jit.optimized_execution(False):
        plain = f.graph_for(x)
        assert "prim::FusionGroup" not in str(plain)
        np.testing.assert_allclose(f(x).numpy(), _scaled_relu(x).numpy(), rtol=1e-6)
    assert "prim::FusionGroup" in str(f.graph_for(x))


def test_fuser_none_and_override_can_fuse_on_cpu_turn_fusion_off():
    f = torch.jit.script(_scaled_relu)
    x = torch.randn(4, 4)
    with torch.jit.fuser("none"):
        g = str(f.graph_for(x))
        assert "prim::FusionGroup" not in g and "aten::relu" in g
        np.testing.assert_allclose(f(x).numpy(), _scaled_relu(x).numpy(), rtol=1e-6)
    with torch.jit.fuser("fuser1"):
        assert "prim::FusionGroup" in str(f.graph_for(x))
    assert torch._C._jit_can_fuse_on_cpu()
    torch._C._jit_override_can_fuse_on_cpu(False)
    try:
        assert not torch._C._jit_can_fuse_on_cpu()
        assert "prim::FusionGroup" not in str(f.graph_for(x))
    finally:
        torch._C._jit_override_can_fuse_on_cpu(True)
    assert "prim::FusionGroup" in str(f.graph_for(x))


def test_fuser_names_that_do_not_exist_here_are_errors():
    with pytest.raises(RuntimeError, match="unrecognized fuser option"):
        with torch.jit.fuser("fuser9"):
            pass
    with pytest.raises(RuntimeError, match="nvFuser is not available"):
        with torch.jit.fuser("fuser2"):
            pass


def _doubler():
    """A PyTorch-style script module, its class made now (the switch is read as it is made)."""
    class Doubler(torch.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2))

        @torch.jit.script_method
        def forward(self, x):
            return x * self.w * 2

    return Doubler()


@pytest.mark.parametrize("variable", [("PYTORCH_JIT", "0"), ("MINITORCH_JIT_DISABLE", "1")])
def test_pytorch_jit_0_disables_the_jit_and_graph_of_a_script_module_is_an_attribute_error(monkeypatch, variable):
    monkeypatch.setenv(*variable)
    assert torch.jit.script(_scaled_relu) is _scaled_relu
    m = _doubler()
    np.testing.assert_array_equal(m(torch.ones(2)).numpy(), [2.0, 2.0])
    with pytest.raises(AttributeError, match="'Doubler' object has no attribute 'graph' .the JIT is disabled"):
        m.graph
    with pytest.raises(AttributeError, match="has no attribute 'code'"):
        m.code


def test_pytorch_jit_1_leaves_the_jit_on(monkeypatch):
    monkeypatch.setenv("PYTORCH_JIT", "1")
    assert isinstance(torch.jit.script(_scaled_relu), torch.jit.ScriptFunction)
    assert "aten::mul" in str(_doubler().graph)


# -- torch.device ------------------------------------------------------------------------------------------


def test_device_has_pytorchs_fields_text_and_equality():
    cpu = torch.device("cpu")
    assert (cpu.type, cpu.index) == ("cpu", None)
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu"
    assert str(torch.device("cpu", 0)) == "cpu:0" and torch.device("cpu:0").index == 0
    assert torch.device("cpu:0") == torch.device("cpu", 0) != cpu
    assert cpu != "cpu"  # as in PyTorch: a device is not equal to its string
    assert hash(cpu) == hash(torch.device("cpu"))
    assert torch.device("cuda", 1).type == "cuda"  # naming another device is allowed, using it is not
    with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
        torch.device("gpu")


def test_tensors_are_on_the_cpu_device_and_to_takes_devices():
    x = torch.ones(2)
    assert x.device == torch.device("cpu") and x.device.type == "cpu"
    assert x.to(torch.device("cpu")) is x and x.to("cpu:0") is x
    assert torch.zeros(2, device=torch.device("cpu")).shape == (2,)
    assert torch.nn.Linear(2, 2).to(torch.device("cpu")).weight.dtype == torch.float32
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        x.to(torch.device("cuda"))


# -- legacy tensor types -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,dtype", [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                                        ("LongTensor", "int64"), ("IntTensor", "int32"), ("BoolTensor", "bool")])
def test_legacy_tensor_types_construct_answer_isinstance_and_name_tensors(name, dtype):
    cls = getattr(torch, name)
    assert repr(cls) == f"<class 'torch.{name}'>"
    made = cls([1, 0, 1])
    assert made.dtype == getattr(torch, dtype) and made.tolist() == [1, 0, 1]
    assert cls(2, 3).shape == (2, 3) and cls(torch.Size([4])).shape == (4,) and cls().shape == (0,)
    assert isinstance(made, cls) and isinstance(made, torch.Tensor)
    assert made.type() == f"torch.{name}"
    other = torch.FloatTensor if name != "FloatTensor" else torch.LongTensor
    assert not isinstance(made, other)


def test_type_converts_to_a_legacy_type_its_name_or_a_dtype():
    x = torch.tensor([1.5, -2.0])
    assert x.type(torch.FloatTensor) is x
    assert x.type(torch.DoubleTensor).dtype == torch.float64
    assert x.type("torch.LongTensor").tolist() == [1, -2]
    assert x.type(torch.int32).type() == "torch.IntTensor"
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


# -- the namespace ---------------------------------------------------------------------------------------


def test_the_public_namespace_has_no_stdlib_or_typing_names():
    """Every public name is the package's own: its modules, and objects defined in them."""
    import types

    leaked = []
    for name in dir(torch):
        if name.startswith("_"):
            continue
        value = getattr(torch, name)
        owner = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if not (isinstance(owner, str) and owner.split(".")[0] == "minitorch_jit"):
            leaked.append(f"{name} (from {owner})")
    assert leaked == []
    for name in ("Any", "contextlib", "Callable", "Iterator", "TYPE_CHECKING", "annotations"):
        assert not hasattr(torch, name)


# -- uint8, int8, int16, float16 ---------------------------------------------------------------------------

_ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
# torch.promote_types on them, recorded from PyTorch (row + column)
_PROMOTED = {
    ("uint8", "int8"): "int16", ("uint8", "int16"): "int16", ("uint8", "int32"): "int32", ("bool", "uint8"): "uint8",
    ("int8", "int16"): "int16", ("uint8", "float16"): "float16", ("int64", "float16"): "float16",
    ("float16", "float32"): "float32", ("int8", "bool"): "int8", ("float16", "float64"): "float64",
}


def test_the_small_dtypes_have_pytorchs_names():
    assert (torch.uint8, torch.int8, torch.int16, torch.float16) == (torch.uint8, torch.int8, torch.short, torch.half)
    assert repr(torch.uint8) == "torch.uint8" and torch.float16.is_floating_point and torch.int16.itemsize == 2
    assert torch.ByteTensor([1]).dtype == torch.uint8 and torch.CharTensor([1]).type() == "torch.CharTensor"
    assert torch.ShortTensor(2).dtype == torch.int16 and isinstance(torch.ones(1, dtype=torch.half), torch.HalfTensor)


@pytest.mark.parametrize("a", _ALL_DTYPES)
@pytest.mark.parametrize("b", _ALL_DTYPES)
def test_promotion_of_every_pair_is_pytorchs(a, b):
    x, y = torch.ones(2, dtype=getattr(torch, a)), torch.ones(2, dtype=getattr(torch, b))
    want = _PROMOTED.get((a, b)) or _PROMOTED.get((b, a))
    if want is None:  # within a chain of one category, or across categories: the wider, the higher
        order = _ALL_DTYPES
        cat = {d: 0 if d == "bool" else 2 if d.startswith("float") else 1 for d in order}
        want = max(a, b, key=lambda d: (cat[d], order.index(d)))
    assert (x + y).dtype == getattr(torch, want)


def test_arithmetic_in_the_small_dtypes_wraps_and_rounds_as_pytorch():
    u = torch.tensor([200, 100], dtype=torch.uint8)
    i8 = torch.tensor([100, -100], dtype=torch.int8)
    h = torch.tensor([1.0, 3.0], dtype=torch.float16)
    assert (u * 2).tolist() == [144, 200] and (u - 201).tolist() == [255, 155] and (u + 300).tolist() == [244, 144]
    assert (i8 + i8).tolist() == [-56, 56] and (-i8).tolist() == [-100, 100]
    assert (h / 3).tolist() == [0.333251953125, 1.0] and h.exp().tolist() == [2.71875, 20.078125]
    assert (u + 1.5).dtype == torch.float32 and (h + 1.5).dtype == torch.float16 and (i8 + 1).dtype == torch.int8
    assert u.sum().dtype == torch.int64 and u.sum().item() == 300 and h.mean().dtype == torch.float16
    assert repr(u) == "tensor([200, 100], dtype=torch.uint8)" and repr(h) == "tensor([1., 3.], dtype=torch.float16)"


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "float16"])
def test_the_fuser_leaves_the_small_dtypes_to_eager_kernels_and_says_why(dtype):
    @torch.jit.script
    def f(x):
        return x * 2 + 1

    x = torch.ones(4, 4, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(f(x).numpy(), (x * 2 + 1).numpy())
    assert f(x).dtype == x.dtype
    assert "prim::FusionGroup" not in str(f.graph_for(x))
    assert f"because dtype {dtype} is not supported by the fuser (its kernels compute in bool, int32, int64, " \
        "float32, float64)" in f.explain(x)


def test_tensors_of_the_small_dtypes_save_and_load_bit_for_bit(tmp_path):
    class Buffers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("u", torch.tensor([1, 255], dtype=torch.uint8))
            self.register_buffer("c", torch.tensor([-128, 7], dtype=torch.int8))
            self.register_buffer("s", torch.tensor([-3, 300], dtype=torch.int16))
            self.register_buffer("h", torch.tensor([1.5, 65504.0], dtype=torch.float16))

        def forward(self, x):
            return x + self.u + self.c + self.s + self.h

    m = torch.jit.script(Buffers())
    path = str(tmp_path / "small.mtj")
    torch.jit.save(m, path)
    loaded = torch.jit.load(path)
    for name in ("u", "c", "s", "h"):
        a, b = getattr(m, name), getattr(loaded, name)
        assert a.dtype == b.dtype and a.numpy().tobytes() == b.numpy().tobytes()
    x = torch.ones(2, dtype=torch.float16)
    assert loaded(x).dtype == torch.float16
    np.testing.assert_array_equal(loaded(x).numpy(), m(x).numpy())


def test_devices_in_script_functions_are_the_cpu_and_save_and_load(tmp_path):
    @torch.jit.script
    def f(x):
        return torch.zeros(3, device=x.device) + x.to(torch.device("cpu"))

    assert "prim::device" in str(f.graph) and 'Device = prim::Constant[value="cpu"]' in str(f.graph)
    np.testing.assert_array_equal(f(torch.ones(3)).numpy(), [1.0, 1.0, 1.0])
    path = str(tmp_path / "device.mtj")
    f.save(path)
    np.testing.assert_array_equal(torch.jit.load(path)(torch.ones(3)).numpy(), [1.0, 1.0, 1.0])


def test_a_device_other_than_the_cpu_in_a_script_function_is_an_error_at_its_line():
    def g(x):
        return x.to(torch.device("cuda", 0))

    with pytest.raises(torch.jit.ScriptError, match="device 'cuda:0' is not supported") as info:
        torch.jit.script(g)
    assert 'x.to(torch.device("cuda", 0))' in str(info.value)


def test_torch_tensor_legacy_constructor_takes_sizes_or_data_as_pytorch():
    assert torch.Tensor(3).shape == (3,) and torch.Tensor(2, 3).shape == (2, 3) and torch.Tensor().shape == (0,)
    assert torch.Tensor([1, 2]).tolist() == [1.0, 2.0] and torch.Tensor(torch.Size([2, 1])).shape == (2, 1)
    assert torch.Tensor(torch.ones(2, dtype=torch.int64)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.Tensor(2, -1)

"""The torch.jit decorators and helpers TorchScript code uses: ``@torch.jit.export``,
``@torch.jit.unused``, ``torch.jit.is_tracing()``, ``torch.jit.Final`` and ``__constants__``.
Each is checked against what plain Python computes (or what PyTorch documents)."""
import io
import json
import typing

import pytest
from saved_models import edited, save_bytes
from script_util import kinds, roundtrip, same
from test_script_errors import expect_error

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.jit import Final, is_scripting, is_tracing
from minitorch_jit.scripter import ScriptError


def inputs(*shape, n=3):
    torch.manual_seed(0)
    return [torch.randn(*shape) for _ in range(n)]


# -- @torch.jit.export -------------------------------------------------------------------------------


class WithExport(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.offset = 0.5

    def forward(self, x):
        return torch.relu(self.fc(x))

    @torch.jit.export
    def score(self, x, k: int = 2):
        h = self.fc(x)
        for _ in range(k):
            h = h * 2.0 + self.offset
        return h.sum(1)

    def not_exported(self, x):
        return x + 1


class Holder(nn.Module):
    """Exported methods of a submodule are compiled too, as in PyTorch."""

    def __init__(self):
        super().__init__()
        self.inner = WithExport()

    def forward(self, x):
        return self.inner(x) - 1.0


class OnlyExports(nn.Module):
    @torch.jit.export
    def twice(self, x):
        return x * 2.0


class DerivedExport(WithExport):
    @torch.jit.export
    def score_plus(self, x):
        return self.score(x, 1) + 1.0


def test_export_compiles_a_method_forward_does_not_reach():
    m = WithExport()
    s = torch.jit.script(m)
    assert set(s._methods) == {"forward", "score"}
    for x in inputs(5, 4):
        same(s.score(x), m.score(x))
        same(s.score(x, 0), m.score(x, 0))
        same(s.score(x, k=3), m.score(x, k=3))
        same(s(x), m(x))
    assert [v.name for v in s.score.graph.inputs] == ["x", "k", "self.fc.weight", "self.fc.bias"]
    assert "prim::Loop" in kinds(s.score.graph)
    assert s.score.code.startswith("def score(")
    roundtrip(s.score.graph)
    assert not hasattr(s, "not_exported")  # only forward, exported methods and what they call


def test_export_on_a_submodule_and_inherited_exports():
    h = Holder()
    s = torch.jit.script(h)
    x = inputs(2, 4, n=1)[0]
    same(s.inner.score(x), h.inner.score(x))
    same(s(x), h(x))
    d = DerivedExport()
    sd = torch.jit.script(d)
    assert list(sd._methods)[:3] == ["forward", "score", "score_plus"]
    same(sd.score_plus(x), d.score_plus(x))


def test_a_module_with_only_exported_methods_scripts():
    m = OnlyExports()
    s = torch.jit.script(m)
    x = inputs(3, n=1)[0]
    same(s.twice(x), m.twice(x))
    with pytest.raises(RuntimeError, match="no compiled forward"):
        s(x)
    empty = torch.jit.script(nn.Module())  # as in PyTorch: a module with no method to compile scripts
    assert repr(empty) == "RecursiveScriptModule(original_name=Module)"
    with pytest.raises(RuntimeError, match="no compiled forward"):
        empty(x)


def test_exported_methods_are_saved_and_loaded(tmp_path):
    h = Holder()
    s = torch.jit.script(h)
    path = tmp_path / "holder.mtj"
    s.save(path)
    loaded = torch.jit.load(path)
    x = inputs(6, 4, n=1)[0]
    same(loaded.inner.score(x, 3), h.inner.score(x, 3))
    same(loaded.inner.score(x), h.inner.score(x))
    same(loaded(x), h(x))
    assert str(loaded.inner.score.graph) == str(s.inner.score.graph)
    assert loaded.inner.score.code == s.inner.score.code


class BadExport(nn.Module):
    def forward(self, x):
        return x

    @torch.jit.export
    def broken(self, x):
        return x + "one"


def test_an_error_in_an_exported_method_is_reported_when_the_module_is_scripted():
    expect_error(BadExport.broken, "unsupported operand types for +: Tensor and str", "return «x + \"one\"»",
                 scripted=BadExport())


# -- @torch.jit.unused ---------------------------------------------------------------------------------


class WithUnused(nn.Module):
    def forward(self, x, debug: bool = False):
        if debug:
            return self.inspect(x)
        return x * 3.0

    @torch.jit.unused
    def inspect(self, x, *extra, **options) -> torch.Tensor:
        try:  # not in the script language: the body is never compiled
            return x + float(len(repr(x)) > 0) + len(extra) + len(options)
        except RuntimeError:
            return x


@torch.jit.unused
def python_only(x, n: int) -> int:
    return len({i: i for i in range(n)})


def calls_python_only(x, n: int):
    if n < 0:
        return x * python_only(x, n)
    return x + n


def test_unused_method_raises_when_a_script_calls_it_and_works_in_python():
    m = WithUnused()
    s = torch.jit.script(m)
    x = inputs(4, n=1)[0]
    same(s(x), m(x))
    same(m(x, True), x + 1.0)  # plain Python still runs the method's body
    same(m.inspect(x, 1, 2, mode=3), x + 4.0)
    with pytest.raises(RuntimeError, match="Cannot call @unused methods: WithUnused.inspect"):
        s(x, True)
    callee = s.inspect.graph
    assert kinds(callee) == ["prim::RaiseException", "prim::Uninitialized"]
    assert str(callee.outputs[0].type) == "Tensor"  # the annotated return type, as TorchScript keeps it
    assert list(s.inspect.signature.parameters) == ["x"]  # *extra and **options dropped, as TorchScript does
    roundtrip(s.graph)


def test_unused_free_function_becomes_a_raise():
    s = torch.jit.script(calls_python_only)
    x = inputs(3, n=1)[0]
    for n in (0, 2):
        same(s(x, n), calls_python_only(x, n))
    same(python_only(x, 3), 3)
    with pytest.raises(RuntimeError, match="Cannot call @unused methods: python_only"):
        s(x, -1)


def test_unused_forward_raises_and_survives_save_and_load(tmp_path):
    class Dropped(nn.Module):
        @torch.jit.unused
        def forward(self, x):
            return x

    s = torch.jit.script(Dropped())
    path = tmp_path / "dropped.mtj"
    s.save(path)
    for module in (s, torch.jit.load(path)):
        with pytest.raises(RuntimeError, match="Cannot call @unused methods"):
            module(torch.ones(2))
    s2 = torch.jit.script(WithUnused())
    s2.save(tmp_path / "unused.mtj")
    loaded = torch.jit.load(tmp_path / "unused.mtj")
    x = inputs(4, n=1)[0]
    same(loaded(x), x * 3.0)
    with pytest.raises(RuntimeError, match="Cannot call @unused methods"):
        loaded(x, True)


# -- torch.jit.is_tracing() ----------------------------------------------------------------------------


def depends_on_tracing(x):
    if torch.jit.is_tracing():
        return x * 3.0
    return x + 1.0


def names_imported(x):
    if is_scripting() and not is_tracing():
        return x * 3.0
    return x + 1.0


def test_is_tracing_is_true_while_a_trace_records_and_false_otherwise():
    seen = []

    def f(x):
        seen.append(is_tracing())
        return depends_on_tracing(x)

    x = inputs(4, n=1)[0]
    assert is_tracing() is False
    same(f(x), x + 1.0)
    traced = torch.jit.trace(f, (x,), check_trace=False)  # (the check would run f twice more)
    assert seen == [False, True]
    assert is_tracing() is False
    same(traced(x), x * 3.0)  # the trace recorded the branch taken while tracing
    assert kinds(traced.graph) == ["aten::mul"]


def test_is_tracing_is_false_and_is_scripting_true_in_a_script_however_imported():
    x = inputs(4, n=1)[0]
    s = torch.jit.script(depends_on_tracing)
    same(s(x), x + 1.0)
    assert "aten::mul" not in kinds(s.graph)
    same(names_imported(x), x + 1.0)  # Python: not scripting
    same(torch.jit.script(names_imported)(x), x * 3.0)
    # a script called while tracing still says False, as in PyTorch (is_tracing is False in script)
    same(torch.jit.trace(lambda v: s(v), (x,))(x), x + 1.0)


def is_tracing_with_an_argument(x):
    return torch.jit.is_tracing(x)


def unsupported_jit_helper(x):
    return torch.jit.wait(x)


def test_jit_helper_errors():
    expect_error(is_tracing_with_an_argument, "torch.jit.is_tracing() takes no arguments",
                 "return «torch.jit.is_tracing(x)»")
    expect_error(unsupported_jit_helper, "torch.jit.wait is not supported inside script functions",
                 "return «torch.jit.wait»(x)")


# -- torch.jit.Final and __constants__ ---------------------------------------------------------------


class WithConstants(nn.Module):
    scale: torch.jit.Final[float]
    power: "torch.jit.Final[int]"  # as `from __future__ import annotations` leaves it
    mode: typing.Final[str]
    bias: Final = 0.25
    __constants__ = ["dims"]

    def __init__(self, scale=2.0):
        super().__init__()
        self.scale = scale
        self.power = 2
        self.mode = "sum"
        self.dims = [1, 0]

    def forward(self, x):
        y = x ** self.power * self.scale + self.bias
        for d in self.dims:
            y = y.cumsum(d)
        if self.mode == "sum":
            return y.sum()
        return y.mean()


def test_final_and_constants_attributes_are_baked_in():
    for scale in (2.0, -1.5):
        m = WithConstants(scale)
        s = torch.jit.script(m)
        for x in inputs(3, 2):
            same(s(x), m(x))
        assert [v.name for v in s.graph.inputs] == ["x"]  # no attribute inputs: all constants
        constants = [n.output.constant for n in s.graph.all_nodes() if n.kind == "prim::Constant"]
        assert scale in constants and 0.25 in constants and "sum" in constants
        assert "prim::Loop" not in kinds(s.graph)  # the __constants__ list is a tuple: its loop is unrolled
        roundtrip(s.graph)


class AssignsFinal(nn.Module):
    scale: Final[float]

    def __init__(self):
        super().__init__()
        self.scale = 1.0

    def forward(self, x):
        self.scale = 2.0
        return x


class AugAssignsConstant(nn.Module):
    __constants__ = ["n"]

    def __init__(self):
        super().__init__()
        self.n = 1

    def forward(self, x):
        self.n += 1
        return x


class FinalTensor(nn.Module):
    w: Final[torch.Tensor]

    def __init__(self):
        super().__init__()
        self.w = torch.ones(2)

    def forward(self, x):
        return x + self.w


class FinalUnset(nn.Module):
    k: Final[int]

    def forward(self, x):
        return x * self.k


def test_final_errors():
    expect_error(AssignsFinal.forward, "'scale' of module 'AssignsFinal' is a constant (torch.jit.Final or "
                 "__constants__) and cannot be assigned", "«self.scale» = 2.0", scripted=AssignsFinal())
    expect_error(AugAssignsConstant.forward, "'n' of module 'AugAssignsConstant' is a constant", "«self.n» += 1",
                 scripted=AugAssignsConstant())
    expect_error(FinalTensor.forward, "'w' of module 'FinalTensor' is a constant (torch.jit.Final or __constants__) "
                 "but its value, a Tensor, is not a valid constant", "return x + «self.w»", scripted=FinalTensor(),
                 fix="None, bool, int, float, str")
    expect_error(FinalUnset.forward, "'k' of module 'FinalUnset' is declared a constant", "return x * «self.k»",
                 scripted=FinalUnset(), fix="assign self.k in __init__")


def test_torch_jit_final_is_typing_final():
    assert torch.jit.Final is typing.Final


def test_constants_are_attributes_of_the_script_module_that_cannot_be_assigned(tmp_path):
    m = WithConstants(3.0)
    s = torch.jit.script(m)
    assert (s.scale, s.power, s.mode, s.bias, s.dims) == (3.0, 2, "sum", 0.25, (1, 0))
    with pytest.raises(AttributeError, match="cannot assign 'scale' of WithConstants: it is a constant"):
        s.scale = 1.0
    assert s.scale == 3.0
    s.save(tmp_path / "constants.mtj")
    loaded = torch.jit.load(tmp_path / "constants.mtj")
    assert (loaded.scale, loaded.power, loaded.mode, loaded.bias, loaded.dims) == (3.0, 2, "sum", 0.25, (1, 0))
    with pytest.raises(AttributeError, match="it is a constant"):
        loaded.power = 3
    x = inputs(3, 2, n=1)[0]
    same(loaded(x), m(x))


class UnreadInvalidConstant(nn.Module):
    __constants__ = ["table"]

    def __init__(self):
        super().__init__()
        self.table = {"a": 1}

    def forward(self, x):
        return x


def test_a_constant_no_method_reads_is_still_checked_when_the_module_is_scripted():
    with pytest.raises(ScriptError, match="'table' of module 'UnreadInvalidConstant' is a constant .* a dict, is not a "
                                          "valid constant"):
        torch.jit.script(UnreadInvalidConstant())


def _constants_edit(change):
    def edit(raw):
        doc = json.loads(raw)
        change(doc["modules"][0]["constants"])
        return json.dumps(doc).encode()
    return edit


@pytest.mark.parametrize("change,message", [
    (lambda c: c.update(forward=1), "constants.forward: not a valid constant name"),
    (lambda c: c.update(_hidden=1), "constants._hidden: not a valid constant name"),
    (lambda c: c.update(scale={"dtype": "float32"}), "constants.scale: a dtype is not a valid constant"),
    (lambda c: c.update(scale=[1, 2]), "constants.scale: a list is not a valid constant"),
], ids=["method name", "private name", "dtype", "list"])
def test_a_tampered_constant_is_a_load_error(change, message):
    data = edited(save_bytes(torch.jit.script(WithConstants())), "model.json", _constants_edit(change))
    with pytest.raises(torch.jit.LoadError, match=message):
        torch.jit.load(io.BytesIO(data))


class ScriptModuleWithFinal(torch.jit.ScriptModule):
    eps: Final[float]

    def __init__(self):
        super().__init__()
        self.eps = 1e-3

    @torch.jit.script_method
    def forward(self, x):
        return x / (x.abs() + self.eps)


def test_final_on_a_script_module_subclass():
    m = ScriptModuleWithFinal()
    x = inputs(5, n=1)[0]
    same(m(x), x / (x.abs() + 1e-3))
    assert [v.name for v in m.graph.inputs] == ["x"]
    with pytest.raises(AttributeError, match="cannot assign 'eps' of ScriptModuleWithFinal: it is a constant"):
        m.eps = 0.5

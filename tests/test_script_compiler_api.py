"""The compiler's API around the language: TorchScript source given as text
(``torch.jit.CompilationUnit``, ``ScriptModule.define``), calls back into Python
(``@torch.jit.ignore``), ``@torch.jit.unused``, ``torch.jit._overload`` /
``_overload_method``, ``# type:`` signature comments, and the call stack errors carry."""
import io

import pytest
from script_util import same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.jit import ScriptError


def _tripled(a):
    return a * 3.0


def test_a_compilation_unit_compiles_text_whose_functions_call_each_other_in_any_order():
    cu = torch.jit.CompilationUnit('''
        def outer(x, n: int):
            return inner(x, n) + _tripled(x)

        def inner(x, n: int):
            return x * n
    ''')
    x = torch.tensor([1.0, 2.0])
    same(cu.outer(x, 2), x * 2 + x * 3.0)
    assert [f.name for f in cu.get_functions()] == ["outer", "inner"]
    assert cu.find_function("missing") is None
    with pytest.raises(AttributeError, match="no function 'missing'"):
        cu.missing
    cu.define("def more(x):\n    return outer(x, 1)\n")  # later text sees the unit's functions
    same(cu.more(x), x + x * 3.0)


def test_compilation_unit_text_is_never_run_and_its_errors_point_into_it():
    with pytest.raises(ScriptError, match="must be a literal") as info:
        torch.jit.CompilationUnit("def f(x, n=print('ran')):\n    return x\n")
    assert 'File "<string>", line 1' in str(info.value)
    with pytest.raises(ScriptError, match="may only define functions"):
        torch.jit.CompilationUnit("import os\n")
    with pytest.raises(ScriptError, match="Method 'f' already defined"):
        torch.jit.CompilationUnit("def f(x):\n    return x\ndef f(x):\n    return x\n")
    with pytest.raises(ScriptError, match="undefined value nowhere") as info:
        torch.jit.CompilationUnit("def f(x):\n    y = x\n    return nowhere(y)\n")
    assert info.value.lineno == 3 and "^^^^^^^" in str(info.value)


def test_define_adds_methods_to_a_script_module_and_to_one_being_constructed():
    class M(torch.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(2, 2))
            self.define("""
                def scaled(self, a, k: float):
                    return self.weight.mm(a) * k
            """)

        @torch.jit.script_method
        def forward(self, a):
            return self.scaled(a, 2.0)

    m = M()
    a = torch.ones(2, 1)
    same(m(a), torch.ones(2, 1) * 4.0)
    m.define("def plus(self, a):\n    return self.forward(a) + 1\n")
    same(m.plus(a), torch.ones(2, 1) * 5.0)
    with pytest.raises(ScriptError, match="self argument"):
        m.define("def nothing():\n    return 1\n")


def _log_to(sink: list):
    @torch.jit.ignore
    def record(x: torch.Tensor, tag: str) -> int:
        sink.append((tag, x.sum().item()))
        return len(sink)

    return record


def test_ignored_functions_are_called_back_in_python_with_typed_results():
    sink = []
    record = _log_to(sink)

    @torch.jit.script
    def f(x):
        n = record(x, "seen")
        return x + n

    same(f(torch.ones(2)), torch.ones(2) + 1)
    assert sink == [("seen", 2.0)]
    assert "prim::PythonOp" in str(f.graph)


@torch.jit.ignore
def _lies(x) -> int:
    return "not an int"


def test_an_ignored_function_returning_another_type_raises_when_called():
    @torch.jit.script
    def f(x):
        return _lies(x)

    with pytest.raises(RuntimeError, match="expected a value of type int as its result, but instead got value of "
                                           "type str"):
        f(torch.ones(1))


class _WithPythonHelper(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    @torch.jit.ignore
    def count(self, x: torch.Tensor) -> None:
        self.calls += 1

    def forward(self, x):
        self.count(x)
        return x * 2


def test_ignored_methods_run_on_the_module_and_cannot_be_saved():
    m = _WithPythonHelper()
    s = torch.jit.script(m)
    same(s(torch.ones(1)), torch.ones(1) * 2)
    assert m.calls == 1
    s.count(torch.ones(1))  # the scripted module has the Python method too
    assert m.calls == 2
    with pytest.raises(RuntimeError, match="Could not export Python function call 'count'"):
        s.save(io.BytesIO())


def test_ignore_drop_is_unused():
    class M(nn.Module):
        @torch.jit.ignore(drop=True)
        def helper(self, x):
            return x.numpy()  # not scriptable, and not compiled

        def forward(self, x, use: bool):
            if use:
                return self.helper(x)
            return x

    s = torch.jit.script(M())
    same(s(torch.ones(1), False), torch.ones(1))
    with pytest.raises(RuntimeError, match="Cannot call @unused methods"):
        s(torch.ones(1), True)


@torch.jit._overload
def _scale(x: int) -> int: ...


@torch.jit._overload
def _scale(x: torch.Tensor) -> torch.Tensor: ...


def _scale(x):  # noqa: F811 - the implementation of the declarations above
    return x * 2


def test_overloads_compile_the_implementation_once_per_declaration_used():
    @torch.jit.script
    def use(n: int, t):
        return _scale(n), _scale(t)

    assert use(3, torch.ones(1))[0] == 6
    same(use(3, torch.ones(1))[1], torch.ones(1) * 2)
    text = str(use.graph)
    assert "graph(%x : int)" in text and "graph(%x : Tensor)" in text
    with pytest.raises(ScriptError, match="cannot be directly compiled because it is overloaded"):
        torch.jit.script(_scale)

    def bad(s: str):
        return _scale(s)

    with pytest.raises(ScriptError, match="Could not match any of the overloads of '_scale'"):
        torch.jit.script(bad)


class _Overloaded(nn.Module):
    @torch.jit._overload_method
    def twice(self, x: int) -> int: ...

    @torch.jit._overload_method
    def twice(self, x: torch.Tensor) -> torch.Tensor: ...  # noqa: F811

    def twice(self, x):  # noqa: F811
        return x + x

    def forward(self, t):
        return self.twice(t), self.twice(4)


def test_overloaded_methods_are_compiled_per_declaration():
    s = torch.jit.script(_Overloaded())
    out = s(torch.ones(2))
    same(out[0], torch.ones(2) * 2)
    assert out[1] == 8
    assert {"twice__0", "twice__1"} <= set(s._methods)


def test_type_comments_annotate_and_cannot_be_mixed_with_annotations():
    def f(x, n):
        # type: (List[int], int) -> Tuple[int, List[int]]  # a note after the signature
        return n, x

    assert torch.jit.script(f)([1, 2], 3) == (3, [1, 2])

    def mixed(x: int, n):
        # type: (int, int) -> int
        return x

    with pytest.raises(ScriptError, match="cannot also have annotations"):
        torch.jit.script(mixed)


def test_errors_in_callees_show_the_call_stack_with_each_def():
    def leaf(x: int) -> int:
        return x + 1

    def middle(x):
        return leaf("no")

    def top(x):
        return middle(x)

    with pytest.raises(ScriptError) as info:
        torch.jit.script(top)
    text = str(info.value)
    assert text.index("def middle(x):") < text.index("'middle' is being compiled since it was called from 'top'")
    assert text.index("'middle' is being compiled") < text.index("def top(x):")
    assert "Expected a value of type 'int' for argument 'x' but instead found type 'str'" in text

"""The behaviours a fixed-rule sample of PyTorch's test/test_jit.py class ``TestScript`` checks.

The rule: list TestScript's test methods in file order (the revision the search index holds,
pytorch/pytorch@0002cecdb2e625127b19aac62e7a911e1869141a, 2019); drop the ineligible ones
(CUDA, autograd/backward/grad, fork/wait, mobile, ONNX, quantization, freezing/profiling
internals, ``torch._C`` internals such as shape-analysis passes, ``_python_print``, FileCheck's
own tests and the file writer, tests skipped unconditionally or only run on Python 2); take
every 8th of the remaining 355, starting at the first: 45 methods, ``ELIGIBLE`` below.

That revision predates some of TorchScript's current behaviour; where PyTorch 2.13 behaves
otherwise (checked with it), these tests hold us to PyTorch 2.13: an attribute set in a
ScriptModule's constructor is usable in its methods (``test_script_module_fail_const``),
iterating an int says "'int' object is not iterable" (``test_script_module_not_tuple``), a
function's schema prints a tuple result in parentheses (``-> ((Tensor, Tensor))``).
"""
import inspect
import io
import operator
import textwrap

import numpy as np
import pytest
from check_script import check_script
from graph_checks import filecheck
from script_util import same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.nn import functional as F
from minitorch_jit.passes.constant_propagation import constant_propagation

ELIGIBLE = [
    "test_training_param", "test_list_io", "test_nested_list_construct", "test_string_new_line", "test_triple",
    "test_tuple_to_opt_list", "test_list_gather", "test_mutable_list_append_if_else", "test_mutable_list_pop_at",
    "test_mutable_list_insert_negative", "test_extend_list_immutable", "test_while",
    "test_while_nonexistent_cond_value", "test_script_for_in_range_ast", "test_logical_short_circuit",
    "test_number_math", "test_torch_tensor", "test_desugar_module", "test_script_module_fail_const",
    "test_script_module_not_tuple", "test_script_star_expr", "test_script_chunk", "test_ntuple_builtins",
    "test_trace_of_script", "test_tracing_slicing", "test_parser_type_annotations_comment", "test_vararg_zeros",
    "test_where", "test_for_range_no_arg", "test_multi_starred_expr_lhs", "test_wrong_module_attr_lookup",
    "test_call_traced_fn_from_tracing_fn", "test_trace_parameter", "test_call_script_fn_from_script_fn",
    "test_module_with_params_called_fails", "test_annotated_script_fn", "test_annot_string_mypy_method",
    "test_trace_checker_control_flow", "test_trace_checker_dropout_notrain", "test_trace_contiguous",
    "test_add_out", "test_inplace_copy_script", "test_mutable_dce_graph_input", "test_list_python_op",
    "test_tensor_import_export",
]


def _scalars(values, dtype):
    return [torch.tensor(v, dtype=dtype) for v in values]


def _raises_everywhere(fn, args, exception, regex):
    """Python, the string frontend and the scripted function all raise ``exception``."""
    with pytest.raises(exception, match=regex):
        fn(*args)
    with pytest.raises(exception, match=regex):
        cu = torch.jit.CompilationUnit(textwrap.dedent(inspect.getsource(fn)), _frames_up=1)
        getattr(cu, fn.__name__)(*args)
    with pytest.raises(exception, match=regex):
        torch.jit.script(fn)(*args)


def test_training_param():
    class What(torch.jit.ScriptModule):
        @torch.jit.script_method
        def forward(self, x):
            # type: (int) -> int
            if self.training:
                r = x
            else:
                r = x + 4
            if self.training:  # read twice
                r = r + 1
            return r

    w = What()
    assert w(3) == 4
    w.train(False)
    assert w(3) == 7


def test_list_io():
    def stuff3(x):
        # type: (List[int]) -> Tuple[Tensor, List[int]]
        return torch.ones(x), x

    check_script(stuff3, ([3, 2],))


def test_nested_list_construct():
    def foo():
        return [[4]] + [[4, 5]]

    check_script(foo, ())


def test_string_new_line():
    with pytest.raises(RuntimeError, match="expected a valid token"):
        torch.jit.CompilationUnit('''
        def test_while(a):
            print("
                a")
            return a
        ''')


def test_triple():
    def func(x):
        return 3. * x

    check_script(func, (torch.rand(1, dtype=torch.float),))


def test_tuple_to_opt_list():
    @torch.jit.script
    def foo(x):
        # type: (Optional[List[int]]) -> int
        return 1

    @torch.jit.script
    def tuple_call():
        return foo((1, 2))

    assert tuple_call() == 1


def test_list_gather():
    def index():
        a = [1, 2, 3]
        return a[1]

    def negative_index():
        a = [1, 2, 3]
        return a[-1]

    def bad_index():
        a = [1, 2, 3]
        return a[4]

    def bad_negative_index():
        a = [1, 2, 3]
        return a[-5]

    check_script(index, ())
    check_script(negative_index, ())
    _raises_everywhere(bad_index, (), IndexError, "list index out of range")
    _raises_everywhere(bad_negative_index, (), IndexError, "list index out of range")


def test_mutable_list_append_if_else():
    def test_append_if_else():
        a = [1]
        if False:
            a.append(4)
        else:
            a.append(10)
        return a == [1, 10]

    check_script(test_append_if_else, ())


def test_mutable_list_pop_at():
    def test_pop_at():
        a = [1, 2, 3, 4]
        b = a.pop(1)
        return b == 2

    check_script(test_pop_at, ())


def test_mutable_list_insert_negative():
    def test_list_insert_negative():
        a = [1, 2, 3, 4]
        a.insert(-1, 5)
        return a == [1, 2, 3, 5, 4]

    check_script(test_list_insert_negative, ())


def test_extend_list_immutable():
    @torch.jit.script
    def extend_list(a, b):
        # type: (List[int], List[int]) -> List[int]
        a.extend(b)
        return a

    for left in [[], [1], [1, 2, 3]]:
        for right in [[], [1], [1, 2, 3]]:
            assert extend_list(list(left), right) == left + right


def test_while():
    def func(a, b, max):
        while bool(a < max):
            a = a + 1
            b = b + 1
        c = a + b
        return c

    check_script(func, _scalars([1, 1, 10], torch.int64))


def test_while_nonexistent_cond_value():
    with pytest.raises(RuntimeError, match="undefined value x"):
        torch.jit.CompilationUnit('''
        def test_while(a, b):
            while a < x:
                a = a + 1
                b = b + 1
            return a + b
        ''')


def test_script_for_in_range_ast():
    @torch.jit.script
    def test_script_for_in_range_ast():
        c = 0
        for i in range(100):
            acc = 0
            for j in range(i):
                acc += j
            c += acc
        return c

    assert test_script_for_in_range_ast() == 161700


def test_logical_short_circuit():
    """The right operand of ``and``/``or`` is not evaluated when the left decides (PyTorch's
    test also counts the prim::If nodes its emitter makes; ours decides ``False and ...`` and
    ``True or ...`` when compiling, so the behaviour is what is compared)."""
    @torch.jit.script
    def testNoThrows(t):
        c1 = 1
        if (False and bool(t[1])) or (True or bool(t[1])):
            c1 = 0
        return c1

    assert testNoThrows(torch.randn(0)) == 0

    @torch.jit.script
    def throwsOr(t):
        c0 = False or bool(t[1])
        print(c0)

    @torch.jit.script
    def throwsAnd(t):
        c0 = True and bool(t[1])
        print(c0)

    t = torch.randn(0)
    with pytest.raises(RuntimeError, match="index 1 out of range for tensor of size"):
        throwsOr(t)
    with pytest.raises(RuntimeError, match="index 1 out of range for tensor of size"):
        throwsAnd(t)


_NUMBER_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "%": operator.mod, "<": operator.lt,
               "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
               "//": operator.floordiv}


def test_number_math():
    """Every operator and min/max on every pair of these literals, compiled from source text,
    against Python's operators on the same numbers (one unit per pair; PyTorch's test runs the
    same text with exec, which a test here does not)."""
    scalars = ["7", "2", "3", "-3", "3.14", "0.125", "-0.5", "2.0", "-2.0"]
    for s1 in scalars:
        for s2 in scalars:
            a, b = float(s1) if "." in s1 else int(s1), float(s2) if "." in s2 else int(s2)
            defs = [f"def op{i}():\n    return {s1} {op} {s2}\n" for i, op in enumerate(_NUMBER_OPS)]
            defs += [f"def fn_min():\n    return min({s1}, {s2})\n", f"def fn_max():\n    return max({s1}, {s2})\n"]
            cu = torch.jit.CompilationUnit("".join(defs))
            for i, (op, fn) in enumerate(_NUMBER_OPS.items()):
                got, expected = getattr(cu, f"op{i}")(), fn(a, b)
                assert type(got) is type(expected) and got == expected, f"{s1} {op} {s2}: {got!r} != {expected!r}"
            # min and max of an int and a float are floats in TorchScript (Python keeps the winner's type)
            number = float if float in (type(a), type(b)) else int
            assert cu.fn_min() == min(a, b) and type(cu.fn_min()) is number
            assert cu.fn_max() == max(a, b) and type(cu.fn_max()) is number


_TENSOR_LISTS = {"2.5": 2.5, "4": 4, "True": True, "False": False, "[2]": [2], "[-.5]": [-.5],
                 "[False, True, False]": [False, True, False], "[2, 2]": [2, 2],
                 "torch.jit.annotate(List[int], [])": [], "[2.5, 2.5]": [2.5, 2.5], "[[2], [2]]": [[2], [2]],
                 "[[-.5], [2.2]]": [[-.5], [2.2]], "[[False], [True]]": [[False], [True]]}
_DTYPES = ["", "float", "double", "half", "uint8", "int8", "short", "int", "long"]


@pytest.mark.xfail(strict=True, reason="float16 (torch.half) is not a dtype of the runtime")
def test_torch_tensor():
    for text, data in _TENSOR_LISTS.items():
        for dtype in _DTYPES:
            for device in ("", ", device='cpu'"):
                if "annotate" in text and not dtype:  # Python says float32, TorchScript the annotated int
                    continue
                option = (f", dtype=torch.{dtype}" if dtype else "") + device
                cu = torch.jit.CompilationUnit(f"def func():\n    li = {text}\n    return torch.tensor(li {option})\n")
                expected = torch.tensor(data, dtype=getattr(torch, dtype)) if dtype else torch.tensor(data)
                same(cu.func(), expected)


def test_desugar_module():
    def fn(x, slope):
        a = torch.abs(x)
        b = torch.nn.functional.prelu(x, slope)
        c = F.prelu(x, slope)
        return a, b, c

    check_script(fn, (torch.arange(-3., 4), torch.tensor([0.5])))


def test_script_module_fail_const():
    class M(torch.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.b = False

        @torch.jit.script_method
        def forward(self):
            return self.b

    assert M()() is False


def test_script_module_not_tuple():
    class M(torch.jit.ScriptModule):
        __constants__ = ["mods"]

        def __init__(self):
            super().__init__()
            self.mods = 1

        @torch.jit.script_method
        def forward(self, v):
            for m in self.mods:
                print(m)
            return v

    with pytest.raises(RuntimeError, match="'int' object is not iterable"):
        M()


class _StarTestSumStarred(nn.Module):
    def forward(self, *inputs):
        output = inputs[0]
        for i in range(1, len(inputs)):
            output += inputs[i]
        return output


class _StarTestReturnThree(nn.Module):
    def forward(self, rep):
        return rep, rep, rep


def test_script_star_expr():
    class M2(torch.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.m = torch.jit.trace(_StarTestSumStarred(), (torch.ones(4, 3), torch.ones(4, 3), torch.ones(4, 3)))
            self.g = torch.jit.trace(_StarTestReturnThree(), torch.ones(4, 3))

        @torch.jit.script_method
        def forward(self, rep):
            tup = self.g(rep)
            return self.m(*tup)

    m = M2()
    same(m(torch.zeros(4, 3)), 3 * torch.zeros(4, 3))


def test_script_chunk():
    @torch.jit.script
    def foo(a):
        b, c = torch.chunk(a, dim=0, chunks=2)
        return b

    v = torch.rand(10, 3)
    same(foo(v), torch.chunk(v, dim=0, chunks=2)[0])


def test_ntuple_builtins():
    from minitorch_jit.nn.modules.utils import _pair, _quadruple, _single, _triple

    def test_ints():
        return _single(1), _pair(2), _triple(3), _quadruple(4)

    def test_floats():
        return _single(1), _pair(2.1), _triple(3.1), _quadruple(4.1)

    check_script(test_ints, ())
    check_script(test_floats, ())


def test_trace_of_script():
    @torch.jit.script
    def foo(a, c):
        b = 0.0
        if bool(a == 0.0):
            b = 1.0
        return b + c

    a = torch.ones(1, dtype=torch.float)

    def use(b):
        return foo(b - 1.0, a) + 1.0

    traced = torch.jit.trace(use, (torch.zeros(1, dtype=torch.float),))
    assert "Dynamic" not in str(traced.graph)
    assert traced(torch.ones(1, dtype=torch.float)).item() == 3
    assert traced(torch.zeros(1, dtype=torch.float)).item() == 2


def test_tracing_slicing():
    def foo(x):
        return x[-5:-3]

    foo_trace = torch.jit.trace(foo, (torch.zeros(10),))
    foo_script = torch.jit.script(foo)
    a, b = torch.arange(0, 8), torch.arange(0, 20)
    same(foo_trace(a), foo_script(a))
    same(foo_trace(a), foo(a))
    assert not np.array_equal(foo_trace(a).numpy(), foo_trace(b).numpy())


def test_parser_type_annotations_comment():
    cu = torch.jit.CompilationUnit('''
        def foo(x, y):
            # type: (Tensor, Tuple[Tuple[Tensor, Tensor], Tensor]) -> Tuple[Tensor, Tensor]
            return x, x
    ''')
    assert cu.foo.schema == "foo(Tensor x, ((Tensor, Tensor), Tensor) y) -> ((Tensor, Tensor))"


def test_vararg_zeros():
    def foo():
        return torch.zeros(3, 4, 5, dtype=torch.int)

    check_script(foo, ())


def test_where():
    def fn(x, y):
        return torch.where(x > 0.0, x, y)

    check_script(fn, (torch.randn(3, 2, dtype=torch.float), torch.ones(3, 2, dtype=torch.float)))


def test_for_range_no_arg():
    def range_no_arg(x):
        for _ in range():
            x += 1
        return x

    with pytest.raises(RuntimeError, match=r"range\(\) expects 1 argument but got 0"):
        torch.jit.script(range_no_arg)


def test_multi_starred_expr_lhs():
    with pytest.raises(RuntimeError, match="Only one starred expression is allowed on the lhs"):
        torch.jit.CompilationUnit('''
        def multi_starred_expr_lhs():
            a, *b, *c = [1, 2, 3, 4, 5, 6]
            return a
        ''')


def test_wrong_module_attr_lookup():
    import io as io_module

    def wrong_module_attr_lookup():
        return io_module.BytesIO

    with pytest.raises(RuntimeError, match="python value of type 'type' cannot be used as a value"):
        torch.jit.script(wrong_module_attr_lookup)


@pytest.mark.xfail(strict=True, reason="traced graphs do not record scopes ('scope: traced_fn1'; tracing helper's area)")
def test_call_traced_fn_from_tracing_fn():
    def traced_fn1(x):
        return torch.neg(x)

    traced_fn1 = torch.jit.trace(traced_fn1, (torch.rand(3, 4),))

    def traced_fn(x):
        return traced_fn1(x) + 1

    traced = torch.jit.trace(traced_fn, (torch.rand(3, 4),))
    text = str(traced.graph)
    neg = next(line for line in text.splitlines() if "aten::neg" in line)
    assert "scope: traced_fn1" in neg
    filecheck(text, "CHECK: aten::neg\nCHECK: aten::add")


def test_trace_parameter():
    class Param(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_parameter("bias", nn.Parameter(torch.randn(4, 4)))

        def forward(self, x):
            return x

    class M3(torch.jit.ScriptModule):
        def __init__(self, model):
            super().__init__()
            self.traced = torch.jit.trace(model, (torch.rand(3, 3),))

        @torch.jit.script_method
        def forward(self, x):
            return self.traced(x)

    class M2(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.module = M3(model)

        def forward(self, x):
            return self.module(x)

    class M1(torch.jit.ScriptModule):
        def __init__(self, model):
            super().__init__()
            self.traced = torch.jit.trace(M2(model), (torch.rand(3, 3),))

        @torch.jit.script_method
        def forward(self, x):
            return self.traced(x)

    module = M1(Param())
    f = io.BytesIO()
    torch.jit.save(module, f)
    f.seek(0)
    x = torch.rand(3, 3)
    same(torch.jit.load(f)(x), x)


def test_call_script_fn_from_script_fn():
    @torch.jit.script
    def script_fn1(x):
        return torch.neg(x)

    @torch.jit.script
    def script_fn(x):
        return script_fn1(x) + 1

    filecheck(str(script_fn.graph), "CHECK: aten::neg")
    x = torch.rand(3)
    same(script_fn(x), -x + 1)


def test_module_with_params_called_fails():
    class ScriptMod(torch.jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.param = nn.Parameter(torch.rand(3, 3))

        @torch.jit.script_method
        def forward(self, x):
            return torch.mm(x, self.param)

    sm = ScriptMod()

    def some_func(x):
        return sm(x)

    with pytest.raises(RuntimeError, match="Cannot call a ScriptModule that is not a submodule of the caller"):
        torch.jit.script(some_func)


def test_annotated_script_fn():
    @torch.jit.script
    def foo(x, y, z):
        # type: (Tensor, Tuple[Tensor, Tensor, Tensor], Tuple[Tensor, Tuple[Tensor, Tensor]]) -> Tensor
        return x

    assert foo.schema == "foo(Tensor x, (Tensor, Tensor, Tensor) y, (Tensor, (Tensor, Tensor)) z) -> Tensor"


@pytest.mark.xfail(strict=True, reason="BroadcastingList2/3 annotations (Union/typing helper's area)")
def test_annot_string_mypy_method():
    pairs = [("Tensor", "Tensor", "Tensor"), ("torch.Tensor", "Tensor", "Tensor"), ("str", "str", "str"),
             ("int", "int", "int"), ("bool", "bool", "bool"), ("BroadcastingList3[float]", "List[float]", "float[3]"),
             ("BroadcastingList2[int]", "List[int]", "int[2]"), ("List[int]", "List[int]", "int[]"),
             ("Optional[int]", "Optional[int]", "int?")]
    for given, returned, printed in pairs:
        tm = torch.jit.ScriptModule()
        tm.define(f'''
        def foo(self, x, y):
            # type: ({given}, Tuple[Tensor, Tensor]) -> Tuple[{returned}, {returned}]
            return x, x
        ''')
        out = printed.replace("[3]", "[]").replace("[2]", "[]")
        assert tm.foo.schema.endswith(f"{printed} x, (Tensor, Tensor) y) -> (({out}, {out}))")


def test_trace_checker_control_flow():
    def foo(x):
        for _ in range(x.size(0)):
            x = torch.neg(x)
        return x

    with pytest.raises(torch.jit.TracingCheckError, match="Graphs differed across invocations!"):
        torch.jit.trace(foo, torch.randn(3, 4), check_inputs=[torch.randn(4, 4)])


@pytest.mark.xfail(strict=True, reason="torch.dropout(input, p, train) has F.dropout's signature (training=, "
                                       "inplace=) in the op registry")
def test_trace_checker_dropout_notrain():
    input = torch.rand(3, 4)

    def foo(x):
        return torch.dropout(x, p=0.5, train=False)

    traced = torch.jit.trace(foo, (input,))
    same(traced(input), input)


def test_trace_contiguous():
    def foo(x):
        return x[:, :, ::2].contiguous().view(12)

    x = torch.rand(2, 3, 4)
    traced = torch.jit.trace(foo, (x,))
    y = traced(x)
    same(y, foo(x))
    assert not np.shares_memory(x.numpy(), y.numpy())


@pytest.mark.xfail(strict=True, reason="out= arguments of ops are not in the op registry")
def test_add_out():
    def foo(a, b):
        c = a + b
        e = 2 * a
        torch.add(c, b, out=e)
        return e

    check_script(foo, (torch.rand(3), torch.rand(3)))


def test_inplace_copy_script():
    def foo(x):
        a = torch.rand(3, 4)
        a.copy_(x)
        return a

    check_script(foo, (torch.rand(3, 4),))


def test_mutable_dce_graph_input():
    @torch.jit.script
    def foo(a):
        a += torch.rand(2, 3)
        # a is not returned, but it is the caller's: the write stays

    filecheck(str(foo.graph), "CHECK: aten::rand\nCHECK: aten::add")
    a = torch.zeros(2, 3)
    foo(a)
    assert (a.numpy() > 0).any()


def _python_list_op(lst):
    # type: (List[Tensor]) -> Tensor
    return lst[0]


def test_list_python_op():
    def fn(lst):
        # type: (List[Tensor]) -> Tensor
        return _python_list_op(lst)

    check_script(fn, ([torch.ones(2) + 2, torch.ones(2)],))


def test_tensor_import_export():
    @torch.jit.script
    def foo(x):
        a = torch.tensor(1)
        b = torch.tensor([1, 2])
        c = [a, b]
        return c

    constant_propagation(foo.graph)
    f = io.BytesIO()
    foo.save(f)
    f.seek(0)
    x = torch.ones(1)
    same(torch.jit.load(f)(x), foo(x))

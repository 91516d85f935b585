"""The behaviours PyTorch's test/jit/test_misc.py checks: keyword-only parameters, assignment
to tuple items, ``math.inf``, the type of an empty list literal, legacy tensor constructors,
broadcasting lists, decorators on scripted functions, and values typed ``Any``.

Not counted (not eligible): the ``torch.jit.Future`` tests (fork/wait), the ``hacked_twin``
overloads (``torch.ops`` internals), ``export_opnames`` (mobile), ``torch._C.parse_ir``,
``_jit_get_operation`` (``torch._C`` internals) and ``test_pow_multiple_dtype`` (CUDA)."""
import math
from typing import Any, List, Tuple

import pytest
from check_script import check_script
from graph_checks import filecheck
from script_util import same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.jit import ScriptError

ELIGIBLE = [
    "test_joined_str", "test_kwarg_support", "test_tuple_subscripted_assign", "test_str_refine_any",
    "test_if_returning_any", "test_math_inf", "test_list_literal_infer", "test_legacy_tensor_constructor",
    "test_broadcasting_list", "test_script_many_decorators",
]


def test_joined_str(capsys):
    def func(x):
        hello, test = "Hello", "test"
        print(f"{hello + ' ' + test}, I'm a {test}")
        print("format blank")
        hi = "hi"
        print(f"stuff before {hi}")
        print(f"{hi} stuff after")
        return x + 1

    x = torch.arange(4.0)
    out = func(x)
    eager = capsys.readouterr().out
    scripted = torch.jit.script(func)
    same(scripted(x), out)
    assert capsys.readouterr().out == eager


def test_kwarg_support():
    class Defaulted(nn.Module):
        def forward(self, *, n_tokens: int, device_name: str = 2):
            pass

    with pytest.raises(ScriptError, match="variable number of arguments"):
        torch.jit.script(Defaulted())

    class M(nn.Module):
        def forward(self, *, n_tokens: int, device_name: str):
            return n_tokens, device_name

    sm = torch.jit.script(M())
    with pytest.raises(RuntimeError, match="missing value for argument 'n_tokens'"):
        sm()
    with pytest.raises(RuntimeError, match="positional arg"):
        sm(3, "hello")
    assert sm(n_tokens=3, device_name="hello") == (3, "hello")


def test_tuple_subscripted_assign():
    def foo(a: Tuple[int, int]) -> None:
        a[0] = a[1]

    def bar(a: Tuple[int, int]) -> None:
        a[0] += a[1]

    with pytest.raises(RuntimeError, match="subscripted assignment"):
        torch.jit.script(foo)
    with pytest.raises(RuntimeError, match="augmented assignment"):
        torch.jit.script(bar)


def test_str_refine_any():
    def forward(x: Any) -> str:
        if isinstance(x, str):
            return x
        return "foo"

    scripted = torch.jit.script(forward)
    assert scripted(1) == "foo"
    assert scripted("bar") == "bar"

def test_if_returning_any():
    def if_function(inp: torch.Tensor) -> Any:
        if inp.shape[0] == 1:
            return inp * inp
        else:
            return "str"

    check_script(if_function, (torch.randn(5),))


def test_math_inf():
    from math import inf

    def foo():
        return inf

    check_script(foo, ())
    assert torch.jit.script(foo)() == math.inf


def _expects_intlist(x: List[int]):
    x.append(3)
    return x


def test_list_literal_infer():
    def foo():
        return _expects_intlist([])

    check_script(foo, ())

    def annotated_list_fail():
        return _expects_intlist(torch.jit.annotate([], List[torch.Tensor]))  # the arguments swapped

    with pytest.raises(RuntimeError):
        torch.jit.script(annotated_list_fail)

    def non_temporary_fail():
        a = []
        return _expects_intlist(a)

    with pytest.raises(RuntimeError, match="List\\[Tensor\\]"):
        torch.jit.script(non_temporary_fail)

    @torch.jit.script
    def test_return():
        return []

    filecheck(str(test_return.graph), "CHECK: Tensor[] = prim::ListConstruct")


def test_legacy_tensor_constructor():
    def test_all_dtypes():
        return (torch.BoolTensor([2]), torch.LongTensor([3]), torch.ByteTensor([4]), torch.CharTensor([5]),
                torch.DoubleTensor([6]), torch.FloatTensor([7]), torch.IntTensor([8]), torch.ShortTensor([1]),
                torch.HalfTensor([1]))

    check_script(test_all_dtypes, ())

    def empty_overload():
        return torch.LongTensor(2, 3, 4)

    eager, jit = empty_overload(), torch.jit.script(empty_overload)()
    eager[:] = 1
    jit[:] = 1
    same(jit, eager)

    def no_inputs():
        return torch.DoubleTensor()

    check_script(no_inputs, ())

    def multiple_args():
        return torch.LongTensor(1, [2])

    with pytest.raises(RuntimeError, match="multiple positional arguments that were not all integers"):
        torch.jit.script(multiple_args)

    def bad_kwarg():
        return torch.LongTensor(hello="1")

    with pytest.raises(RuntimeError, match="hello"):
        torch.jit.script(bad_kwarg)


def test_broadcasting_list():
    from minitorch_jit.jit import BroadcastingList2  # noqa: F401  (the names PyTorch's test imports)

    def sum_f(x: BroadcastingList2[float]) -> float:  # noqa: F821
        return x[0] + x[1]

    assert torch.jit.script(sum_f)(4.5) == 9.0


def _no_op_decorator(f):
    return f


def test_script_many_decorators():
    @_no_op_decorator
    @_no_op_decorator
    @_no_op_decorator
    @_no_op_decorator
    @_no_op_decorator
    def foo(x, dim: int):
        return x.unsqueeze(dim)

    x = torch.randn(1)
    same(torch.jit.script(foo)(x, 0), foo(x, 0))

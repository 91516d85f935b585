"""The script language's typing beyond plain types: ``Union``/``Any`` values refined by
``isinstance``, Python 2 type comments, and ``torch.jit.annotate``."""
from typing import Any, List, Optional, Tuple, Union

import pytest
from script_util import roundtrip, same

import minitorch_jit as torch
from minitorch_jit.ir.types import FLOAT, INT, NONE, STR, ListType, OptionalType, TupleType, union_of
from minitorch_jit.scripter import ScriptError


def test_union_normal_form():
    assert str(union_of([STR, INT])) == str(union_of([INT, STR])) == "Union(int, str)"
    assert union_of([INT]) == INT
    assert union_of([INT, NONE]) == OptionalType(INT)
    assert str(union_of([OptionalType(INT), STR])) == "Union(int, NoneType, str)"
    assert str(union_of([TupleType([OptionalType(INT), INT]), TupleType([INT, INT]), STR])) == "Union((int?, int), str)"
    assert union_of([INT, STR]).is_subtype_of(union_of([INT, STR, FLOAT]))
    assert not union_of([INT, STR]).is_subtype_of(INT)
    assert ListType(INT).is_subtype_of(union_of([ListType(INT), INT]))


def describe(x: Union[int, str, List[float], None]) -> str:
    if x is None:
        return "none"
    if isinstance(x, int):
        return "int " + str(x + 1)
    elif isinstance(x, str):
        return "str " + x
    return "list of " + str(len(x))


def test_isinstance_refines_a_union_on_each_branch():
    scripted = torch.jit.script(describe)
    for x in (None, 3, "a", [1.0, 2.0]):
        assert scripted(x) == describe(x)
    with pytest.raises(TypeError, match=r"Expected a member of Union\[List\[float\], int, NoneType, str\]"):
        scripted(2.0)
    text = str(scripted.graph)
    assert "prim::isinstance[types=[int]]" in text and "int = prim::unchecked_cast" in text
    roundtrip(scripted.graph)


def first_int(x: Any) -> int:
    if torch.jit.isinstance(x, List[int]):
        return x[0] if len(x) else -1
    if torch.jit.isinstance(x, Tuple[int, str]):
        return x[0]
    return 0


def test_jit_isinstance_checks_container_elements_at_run_time():
    scripted = torch.jit.script(first_int)
    for x in ([5, 6], (7, "a"), ["a"], (1, 2), 3.0, torch.ones(1)):
        assert scripted(x) == first_int(x)


def test_isinstance_known_from_the_types_is_decided_when_compiling():
    @torch.jit.script
    def fn(x: Optional[int], y: int) -> int:
        if isinstance(y, str):
            return y.no_such_method()  # not compiled: y is never a str
        if isinstance(x, int):
            return x + y
        return y

    assert (fn(1, 2), fn(None, 2)) == (3, 2)
    assert "prim::isinstance" not in str(fn.graph)  # the Optional case is a None test


def test_isinstance_of_an_any_that_specialization_makes_a_tensor_folds():
    @torch.jit.script
    def fn(x: Any) -> int:
        if isinstance(x, torch.Tensor):
            return 1
        return 2

    assert (fn(torch.ones(2)), fn("a")) == (1, 2)
    assert "prim::isinstance" not in str(fn.graph_for(torch.ones(2)))
    assert "prim::isinstance" in str(fn.graph_for("a"))


def typed_by_comment(x, ys, scale=None):
    # type: (int, List[Tensor], Optional[float]) -> Tuple[int, Tensor]
    total = torch.zeros(1)  # type: Tensor
    for y in ys:
        total = total + y.sum()
    if scale is not None:
        total = total * scale
    return x + len(ys), total


def test_type_comments_type_parameters_returns_and_assignments():
    scripted = torch.jit.script(typed_by_comment)
    types = [str(v.type) for v in scripted.graph.inputs]
    assert types == ["int", "Tensor[]", "float?"]
    ys = [torch.ones(2), torch.arange(3.0)]
    same(scripted(1, ys), typed_by_comment(1, ys))
    same(scripted(1, ys, 2.0), typed_by_comment(1, ys, 2.0))


def test_type_comment_of_a_method_leaves_out_self():
    class M(torch.nn.Module):
        def forward(self, x, n):
            # type: (Tensor, int) -> Tensor
            return x * n

    same(torch.jit.script(M())(torch.ones(2), 3), torch.ones(2) * 3)


def test_type_comment_with_the_wrong_number_of_types_is_an_error():
    def fn(x, y):
        # type: (int) -> int
        return x

    with pytest.raises(ScriptError, match="the type comment gives 1 argument types, but fn takes 2 arguments"):
        torch.jit.script(fn)


def test_annotate_gives_the_value_its_type_in_any_position():
    @torch.jit.script
    def fn(n: int) -> Tuple[Optional[int], List[int]]:
        last = torch.jit.annotate(Optional[int], None)
        for i in range(n):
            last = i
        return last, torch.jit.annotate(List[int], []) + [n]

    assert fn(0) == (None, [0])
    assert fn(3) == (2, [3])


def test_type_comments_per_parameter_line():
    def fn(x,  # type: int
           ys,  # type: List[float]
           ):
        # type: (...) -> float
        return x + ys[0]

    scripted = torch.jit.script(fn)
    assert [str(v.type) for v in scripted.graph.inputs] == ["int", "float[]"]
    assert scripted(1, [2.5]) == 3.5


def test_isinstance_with_nested_tuples_of_types_and_refinement_through_and_or():
    @torch.jit.script
    def count(a):
        # type: (Optional[List[int]]) -> int
        b = 0
        if isinstance(a, (int, (float,), list, str)):
            b += 1
        if isinstance(a, (int, str)):
            b += 1
        if isinstance(a, List[int]):
            b += 1
        return b

    assert (count([3, 4]), count(None)) == (2, 0)

    @torch.jit.script
    def add(a, b):
        # type: (Any, Any) -> int
        if isinstance(a, int) and isinstance(b, int):
            return a + b
        return 0

    assert (add(3, 4), add(3, "hi")) == (7, 0)

    @torch.jit.script
    def add_optionals(a, b):
        # type: (Optional[int], Optional[int]) -> int
        if not isinstance(a, int) or not isinstance(b, int):
            return 0
        else:
            return a + b

    assert (add_optionals(3, 4), add_optionals(None, 4), add_optionals(4, None)) == (7, 0, 0)


def test_an_argument_of_another_type_is_an_error_in_torchscripts_words():
    @torch.jit.script
    def inc(x):
        # type: (int) -> int
        return x + 1

    with pytest.raises(RuntimeError, match="Expected a value of type 'int' for argument 'x' but instead found type "
                                           "'float'"):
        inc(1.5)
    with pytest.raises(TypeError, match="Expected a value of type"):  # and a TypeError, as Python's
        inc("1")

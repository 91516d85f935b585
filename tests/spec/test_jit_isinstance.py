"""The behaviours PyTorch's test/jit/test_isinstance.py checks, as our own tests:
``torch.jit.isinstance`` on ``Any`` values, with container element types, in conditions,
refining the value's type, and its errors for bare container types."""
import warnings
from typing import Any, Dict, List, Optional, Tuple

import pytest
from script_util import same

import minitorch_jit as torch
from minitorch_jit.ir import parse_graph

ELIGIBLE = [
    "test_int",
    "test_float",
    "test_bool",
    "test_list",
    "test_list_tensor",
    "test_dict",
    "test_dict_tensor",
    "test_tuple",
    "test_tuple_tensor",
    "test_optional",
    "test_optional_none",
    "test_list_nested",
    "test_dict_nested",
    "test_tuple_nested",
    "test_optional_nested",
    "test_list_tensor_type_true",
    "test_tensor_type_false",
    "test_in_if",
    "test_if_else",
    "test_in_while_loop",
    "test_type_refinement",
    "test_list_no_contained_type",
    "test_tuple_no_contained_type",
    "test_optional_no_contained_type",
    "test_dict_no_contained_type",
    "test_tuple_rhs",
    "test_nontuple_container_rhs_throws_in_eager",
    "test_empty_container_throws_warning_in_eager",
    "test_empty_container_special_cases",
]

NEEDS_DICT = "needs Dict (dicts branch)"


def check_script(fn, *arg_sets):
    """Scripted and eager ``fn`` agree on each set of arguments; the graph prints and parses."""
    scripted = torch.jit.script(fn)
    for args in arg_sets:
        same(scripted(*args), fn(*args))
    assert str(parse_graph(str(scripted.graph))) == str(scripted.graph)
    return scripted


def test_int():
    def int_test(x: Any):
        assert torch.jit.isinstance(x, int)
        assert not torch.jit.isinstance(x, float)

    scripted = check_script(int_test, (1,))
    with pytest.raises(AssertionError):
        scripted(1.0)


def test_float():
    def float_test(x: Any):
        assert torch.jit.isinstance(x, float)
        assert not torch.jit.isinstance(x, int)

    scripted = check_script(float_test, (1.0,))
    with pytest.raises(AssertionError):
        scripted(1)


def test_bool():
    def bool_test(x: Any):
        assert torch.jit.isinstance(x, bool)
        assert not torch.jit.isinstance(x, float)

    check_script(bool_test, (False,))


def test_list():
    def list_str_test(x: Any):
        assert torch.jit.isinstance(x, List[str])
        assert not torch.jit.isinstance(x, List[int])
        assert not torch.jit.isinstance(x, Tuple[int])

    scripted = check_script(list_str_test, (["1", "2", "3"],))
    with pytest.raises(AssertionError):
        scripted([1, 2])


def test_list_tensor():
    def list_tensor_test(x: Any):
        assert torch.jit.isinstance(x, List[torch.Tensor])
        assert not torch.jit.isinstance(x, Tuple[int])

    check_script(list_tensor_test, ([torch.Tensor([1]), torch.Tensor([2]), torch.Tensor([3])],))


def test_dict():
    def dict_str_int_test(x: Any):
        assert torch.jit.isinstance(x, Dict[str, int])
        assert not torch.jit.isinstance(x, Dict[int, str])
        assert not torch.jit.isinstance(x, Dict[str, str])

    check_script(dict_str_int_test, ({"a": 1, "b": 2},))


def test_dict_tensor():
    def dict_int_tensor_test(x: Any):
        assert torch.jit.isinstance(x, Dict[int, torch.Tensor])

    check_script(dict_int_tensor_test, ({2: torch.tensor([2])},))


def test_tuple():
    def tuple_test(x: Any):
        assert torch.jit.isinstance(x, Tuple[str, int, str])
        assert not torch.jit.isinstance(x, Tuple[int, str, str])
        assert not torch.jit.isinstance(x, Tuple[str])

    check_script(tuple_test, (("a", 1, "b"),))


def test_tuple_tensor():
    def tuple_tensor_test(x: Any):
        assert torch.jit.isinstance(x, Tuple[torch.Tensor, torch.Tensor])

    check_script(tuple_tensor_test, ((torch.tensor([1]), torch.tensor([[2], [3]])),))


def test_optional():
    def optional_test(x: Any):
        assert torch.jit.isinstance(x, Optional[torch.Tensor])
        assert not torch.jit.isinstance(x, Optional[str])

    check_script(optional_test, (torch.ones(3, 3),))


def test_optional_none():
    def optional_test_none(x: Any):
        assert torch.jit.isinstance(x, Optional[torch.Tensor])

    check_script(optional_test_none, (None,))


def test_list_nested():
    def list_nested(x: Any):
        assert torch.jit.isinstance(x, List[Dict[str, int]])
        assert not torch.jit.isinstance(x, List[List[str]])

    check_script(list_nested, ([{"a": 1, "b": 2}, {"aa": 11, "bb": 22}],))


def test_dict_nested():
    def dict_nested(x: Any):
        assert torch.jit.isinstance(x, Dict[str, Tuple[str, str, str]])
        assert not torch.jit.isinstance(x, Dict[str, Tuple[int, int, int]])

    check_script(dict_nested, ({"a": ("aa", "aa", "aa"), "b": ("bb", "bb", "bb")},))


def test_tuple_nested():
    def tuple_nested(x: Any):
        assert torch.jit.isinstance(x, Tuple[Dict[str, Tuple[str, str, str]], List[bool], Optional[str]])
        assert not torch.jit.isinstance(x, Dict[str, Tuple[int, int, int]])
        assert not torch.jit.isinstance(x, Tuple[str])
        assert not torch.jit.isinstance(x, Tuple[List[bool], List[str], List[int]])

    check_script(tuple_nested, (({"a": ("aa", "aa", "aa"), "b": ("bb", "bb", "bb")}, [True, False, True], None),))


def test_tuple_nested__without_dicts():
    """The same, with the dict member replaced by a list of tuples (what holds without Dict)."""
    def tuple_nested(x: Any):
        assert torch.jit.isinstance(x, Tuple[List[Tuple[str, str, str]], List[bool], Optional[str]])
        assert not torch.jit.isinstance(x, Tuple[str])
        assert not torch.jit.isinstance(x, Tuple[List[bool], List[str], List[int]])

    check_script(tuple_nested, (([("aa", "aa", "aa"), ("bb", "bb", "bb")], [True, False, True], None),))


def test_optional_nested():
    def optional_nested(x: Any):
        assert torch.jit.isinstance(x, Optional[List[str]])

    check_script(optional_nested, (["a", "b", "c"],))


def test_list_tensor_type_true():
    def list_tensor_type_true(x: Any):
        assert torch.jit.isinstance(x, List[torch.Tensor])

    check_script(list_tensor_type_true, ([torch.rand(3, 3), torch.rand(4, 3)],))


def test_tensor_type_false():
    def list_tensor_type_false(x: Any):
        assert not torch.jit.isinstance(x, List[torch.Tensor])

    check_script(list_tensor_type_false, ([1, 2, 3],))


def test_in_if():
    def list_in_if(x: Any):
        if torch.jit.isinstance(x, List[int]):
            assert True
        if torch.jit.isinstance(x, List[str]):
            assert not True

    check_script(list_in_if, ([1, 2, 3],))


def test_if_else():
    def list_in_if_else(x: Any):
        if torch.jit.isinstance(x, Tuple[str, str, str]):
            assert True
        else:
            assert not True

    scripted = check_script(list_in_if_else, (("a", "b", "c"),))
    with pytest.raises(AssertionError):
        scripted(("a", "b"))


def test_in_while_loop():
    def list_in_while_loop(x: Any):
        count = 0
        while torch.jit.isinstance(x, List[Dict[str, int]]) and count <= 0:
            count = count + 1
        assert count == 1

    check_script(list_in_while_loop, ([{"a": 1, "b": 2}, {"aa": 11, "bb": 22}],))


def test_in_while_loop__without_dicts():
    def list_in_while_loop(x: Any):
        count = 0
        while torch.jit.isinstance(x, List[List[int]]) and count <= 0:
            count = count + 1
        assert count == 1

    check_script(list_in_while_loop, ([[1, 2], [11, 22]],))


def test_type_refinement():
    def type_refinement(obj: Any):
        hit = False
        if torch.jit.isinstance(obj, List[torch.Tensor]):
            hit = not hit
            for el in obj:
                y = el.clamp(0, 0.5)  # noqa: F841
        if torch.jit.isinstance(obj, Dict[str, str]):
            hit = not hit
            str_cat = ""
            for val in obj.values():
                str_cat = str_cat + val
            assert "111222" == str_cat
        assert hit

    check_script(type_refinement, ([torch.rand(3, 3), torch.rand(4, 3)],), ({"1": "111", "2": "222"},))


def test_type_refinement__lists():
    """Inside the branch the value is a List[Tensor] (tensor methods apply to its elements)."""
    def type_refinement(obj: Any) -> int:
        hit = 0
        if torch.jit.isinstance(obj, List[torch.Tensor]):
            hit += 1
            for el in obj:
                y = el.clamp(0, 0.5)  # noqa: F841
        if torch.jit.isinstance(obj, List[str]):
            hit += 10
            str_cat = ""
            for val in obj:
                str_cat = str_cat + val
            assert "111222" == str_cat
        return hit

    scripted = check_script(type_refinement, ([torch.rand(3, 3), torch.rand(4, 3)],), (["111", "222"],), (3,))
    assert "Tensor[] = prim::unchecked_cast" in str(scripted.graph)


def _raises_both_ways(fn, args, message):
    with pytest.raises(RuntimeError, match=message):
        torch.jit.script(fn)
    with pytest.raises(RuntimeError, match=message):
        fn(*args)


def test_list_no_contained_type():
    def list_no_contained_type(x: Any):
        assert torch.jit.isinstance(x, List)

    _raises_both_ways(list_no_contained_type, (["1", "2", "3"],),
                      r"Attempted to use List without a contained type. Please add a contained type, e.g. List\[int\]")


def test_tuple_no_contained_type():
    def tuple_no_contained_type(x: Any):
        assert torch.jit.isinstance(x, Tuple)

    _raises_both_ways(tuple_no_contained_type, (("1", "2", "3"),),
                      r"Attempted to use Tuple without a contained type. Please add a contained type, e.g. "
                      r"Tuple\[int\]")


def test_optional_no_contained_type():
    def optional_no_contained_type(x: Any):
        assert torch.jit.isinstance(x, Optional)

    _raises_both_ways(optional_no_contained_type, (("1", "2", "3"),),
                      r"Attempted to use Optional without a contained type. Please add a contained type, e.g. "
                      r"Optional\[int\]")


def test_dict_no_contained_type():
    def dict_no_contained_type(x: Any):
        assert torch.jit.isinstance(x, Dict)

    _raises_both_ways(dict_no_contained_type, ({"a": "aa"},),
                      r"Attempted to use Dict without contained types. Please add contained type, e.g. "
                      r"Dict\[int, int\]")


def test_tuple_rhs():
    def fn(x: Any):
        assert torch.jit.isinstance(x, (int, List[str]))
        assert not torch.jit.isinstance(x, (List[float], Tuple[int, str]))
        assert not torch.jit.isinstance(x, (List[float], str))

    check_script(fn, (2,), (["foo", "bar", "baz"],))


def test_nontuple_container_rhs_throws_in_eager():
    def fn1(x: Any):
        assert torch.jit.isinstance(x, [int, List[str]])

    def fn2(x: Any):
        assert not torch.jit.isinstance(x, {List[str], Tuple[int, str]})

    for fn in (fn1, fn2):
        with pytest.raises(RuntimeError, match="must be a type or a tuple of types"):
            fn(2)


def test_empty_container_throws_warning_in_eager():
    def fn(x: Any):
        torch.jit.isinstance(x, List[int])

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn([])
    assert len(w) == 1 and "The inner type of a container is lost" in str(w[0].message)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn(2)
    assert len(w) == 0


def test_empty_container_special_cases():
    # tensors are not containers: no "Boolean value of Tensor ... is ambiguous" error
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert not torch.jit.isinstance(torch.tensor([]), List[int])
        assert not torch.jit.isinstance(torch.rand(2, 3), List[int])
    assert len(w) == 0

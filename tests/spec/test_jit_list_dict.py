"""Lists, dicts, named tuples and ScriptList/ScriptDict in scripted code: the behaviours PyTorch's
test/jit/test_list_dict.py checks, as our own tests.

Its classes share method names (``test_del`` of lists and of dicts, ``test_len`` of dicts,
ScriptDicts and ScriptLists...): ``ELIGIBLE`` lists each name once, in file order, and its
tests here cover every class's method of that name (``test_del__list``, ``test_del__dict``).
Not counted: CUDA (``test_to_list_gpu``), ``torch._C`` internals (``test_list_none``,
``test_namedtuple_lower``) and the methods PyTorch skips or expects to fail
(``test_namedtuple_serialization``, both ``test_nested``, ``test_namedtuple_resolution_forwardref``).
PyTorch's tests compile some programs from source text with ``torch.jit.CompilationUnit``;
that is their plumbing: here the same programs are scripted from their functions.
"""
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import numpy as np
import pytest
from script_util import check, same

import minitorch_jit as torch
from minitorch_jit import Tensor, nn
from minitorch_jit.scripter.errors import ScriptError

ELIGIBLE = [
    # TestList
    "test_list_bool_conversion", "test_in_check", "test_list_literal", "test_list_variance", "test_del",
    "test_list_keyword", "test_dict_keyword_with_kwargs", "test_dict_keyword_with_kwargs_using_container_values",
    "test_dict_keyword_with_iterable", "test_dict_keyword_with_empty_iterable",
    "test_dict_keyword_with_internal_aggregate_function", "test_dict_keyword_with_mapping",
    "test_dict_keyword_with_mapping_and_kwargs", "test_dict_keyword_with_dict_comprehension",
    "test_dict_keyword_with_dict_comprehension_and_kwargs", "test_dict_keyword_with_empty_dict_comprehension",
    "test_dict_keyword_is_correctly_typed", "test_dict_keyword_with_mismatched_annotations",
    "test_dict_keyword_with_nested_call", "test_dict_keyword_with_previously_declared_variable",
    "test_dict_keyword_with_previously_declared_variable_and_kwargs", "test_min_bool_list", "test_min_max_list",
    "test_list_gather", "test_list_len", "test_list_ops", "test_list_sort", "test_list_slice", "test_slice_index",
    "test_mutable_list_append", "test_comprehensions_basic", "test_comprehensions_basic_float",
    "test_comprehensions_two_comps", "test_comprehension_out_type_not_in_type", "test_comprehension_iterable",
    "test_mutable_list_append_2", "test_mutable_list_append_if", "test_mutable_list_append_if_else",
    "test_mutable_list_append_loop", "test_mutable_list_append_loop_if", "test_mutable_list_nested_loop",
    "test_mutable_list_function_inline", "test_mutable_list_reverse_empty", "test_mutable_list_reverse",
    "test_mutable_tensor_list_reverse", "test_mutable_list_pop_empty", "test_mutable_list_pop",
    "test_mutable_list_pop2", "test_mutable_list_pop_at", "test_mutable_list_pop_at2",
    "test_mutable_list_pop_at_negative", "test_mutable_list_pop_at_negative2", "test_mutable_list_pop_slice",
    "test_mutable_list_clear_empty", "test_mutable_list_clear", "test_mutable_list_insert",
    "test_mutable_list_insert_negative", "test_mutable_list_insert_neg_out_of_bounds",
    "test_mutable_list_insert_out_of_bounds", "test_mutable_list_remove_not_existing", "test_mutable_list_remove",
    "test_list_index_not_existing", "test_list_index", "test_tensor_list_index",
    "test_tensor_list_index_not_existing", "test_list_count", "test_list_count_not_existing",
    "test_tensor_list_count", "test_tensor_list_count_not_existing", "test_mutable_list_remove_tensor",
    "test_mutable_list_remove2", "test_extend_list_mutable", "test_extend_list_immutable",
    "test_copy_list_mutable", "test_copy_list_immutable", "test_min_max_single_list", "test_to_list",
    "test_no_element_type_annotation", "test_list_unification_hint",
    # TestDict
    "test_dict_bool_conversion", "test_dict_variance", "test_keys", "test_values", "test_len", "test_copy",
    "test_items", "test_pop", "test_setdefault", "test_update", "test_update_existing_key", "test_aug_assign",
    "test_popitem", "test_clear", "test_get", "test_get_boolkey", "test_basic", "test_mutability",
    "test_key_type", "test_loop", "test_view", "test_membership", "test_dict_to_python", "test_ordered_dict",
    "test_type_annotation_missing_contained_type", "test_dict_preserves_order", "test_optional_dict_construct",
    # TestNamedTuple
    "test_namedtuple", "test_namedtuple_constant", "test_return_named_tuple", "test_namedtuple_as_attr",
    "test_namedtuple_resolution", "test_namedtuple_slice_unpack", "test_namedtuple_type_annotation",
    "test_namedtuple_wrong_types", "test_namedtuple_kwarg_construct", "test_namedtuple_inside_forwardref",
    "test_namedtuple_input_forwardref",
    # TestScriptDict, TestScriptList
    "test_repr", "test_bool", "test_iter", "test_getitem", "test_setitem", "test_contains", "test_delitem",
    "test_reference_semantics", "test_count", "test_remove", "test_append", "test_extend", "test_insert",
    "test_defaultdict",
]


def script_raises(fn, args, error, message):
    """The scripted ``fn`` raises ``error`` with ``message`` when called with ``args``."""
    scripted = torch.jit.script(fn)
    with pytest.raises(error, match=message):
        scripted(*args)


def compile_error(fn, message):
    with pytest.raises(ScriptError, match=message):
        torch.jit.script(fn)


def _probe(make):
    """Whether the scripter has a feature this file's tests use but this branch does not build
    (``make`` scripts a small function that uses it)."""
    try:
        make()
        return True
    except Exception:  # noqa: BLE001 - any failure means the feature is not there
        return False


class _Pair(NamedTuple):
    a: int


def _chr_probe(i: int) -> str:
    return chr(i)


def _namedtuple_probe():
    def f(x: int):
        return _Pair(x)
    torch.jit.script(f)


HAS_NAMEDTUPLE = _probe(_namedtuple_probe)
HAS_CHR = _probe(lambda: torch.jit.script(_chr_probe))
needs_chr = pytest.mark.xfail(not HAS_CHR, strict=True, reason="the builtin chr() is not in the script language yet")
needs_namedtuple = pytest.mark.xfail(not HAS_NAMEDTUPLE, strict=True,
                                     reason="NamedTuple types are not in the script language yet")


# -- TestList ------------------------------------------------------------------------------------


def test_list_bool_conversion():
    def if_predicate(l: List[int]):
        if l:
            s = 0
            for n in l:
                s += n
            return s
        else:
            return -1

    def while_predicate(l: List[int]):
        s = 0
        while l:
            s += l.pop()

    def ternary_predicate(l: List[int]):
        return "non-empty" if l else "empty"

    for fn in (if_predicate, while_predicate, ternary_predicate):
        check(fn, ([1, 2, 3],), ([],))


def test_in_check():
    def int_in(x: List[int]) -> bool:
        return 2 in x

    def float_in(x: List[float]) -> bool:
        return 2.0 in x

    def str_in(x: List[str]) -> bool:
        return "hi" in x

    check(int_in, ([1, 2, 3],), ([1, 3, 3],))
    check(float_in, ([1.0, 2.0, 3.0],), ([1.0, 3.0, 3.0],))
    check(str_in, (["not", "here"],), (["hi", "bye"],), ([],))


def test_list_literal__reassign():
    def reassign():
        x = [1]
        if 1 == 1:
            x = [2, 3]
        return

    def reassign_arity_change():
        x = [1]
        if 1 == 1:
            x = [1, 2, 3]
        return

    def reassign_from_empty_builtin():
        x = torch.jit.annotate(List[int], [])
        if 1 == 1:
            x = [1, 2, 3]
        y = torch.jit.annotate(List[float], [])
        if 1 == 1:
            y = [1.0, 2.0, 3.0]
        z = []
        if 1 == 1:
            z = [torch.randn([1])]
        return

    for fn in (reassign, reassign_arity_change, reassign_from_empty_builtin):
        check(fn, ())


def test_list_literal__type_changes():
    def reassign_from_empty_literal():
        x = []
        if 1 == 1:
            x = [1, 2, 3]
        return

    def reassign_bad_type():
        x = [1]
        if 1 == 1:
            x = [1.0]
        return

    def reassign_nested():
        x = torch.jit.annotate(List[int], [])
        if 1 == 1:
            x = [1, 2, 3]
            if 1 == 1:
                x = [1.0]
        return

    compile_error(reassign_from_empty_literal, r"previously had type List\[Tensor\]")
    compile_error(reassign_bad_type, "previously had type")
    compile_error(reassign_nested, "previously had type")


def test_list_variance():
    def listliteral_is_typed_from_annotation():
        x: List[Optional[int]] = [None, None, None]
        return x

    def listcomprehension_is_typed_from_annotation():
        x: List[Optional[int]] = [None for _ in range(3)]
        return x

    def different_internal_types_are_invariant():
        x: List[int] = [1, 2, 3]
        y: List[Optional[int]] = x
        return x

    def different_internal_types_are_invariant_recursive():
        x: List[List[int]] = [[1, 2], [3]]
        y: List[List[Optional[int]]] = x
        return x

    check(listliteral_is_typed_from_annotation, ())
    check(listcomprehension_is_typed_from_annotation, ())
    assert str(torch.jit.script(listliteral_is_typed_from_annotation).graph.outputs[0].type) == "int?[]"
    compile_error(different_internal_types_are_invariant, r"Variable 'y' is annotated with type "
                  r"List\[Optional\[int\]\] but is being assigned to a value of type List\[int\]")
    compile_error(different_internal_types_are_invariant_recursive, r"Variable 'y' is annotated with type "
                  r"List\[List\[Optional\[int\]\]\] but is being assigned to a value of type List\[List\[int\]\]")


def test_del__list():
    def fn(x: List[int]) -> List[int]:
        del x[1]
        return x

    check(fn, ([1, 2, 3, 4],))

    def fn2(x: List[int]) -> List[int]:
        del x[100]
        return x

    script_raises(fn2, ([],), RuntimeError, "out of range")

    def del_slice(x: List[int]) -> List[int]:
        del x[1:3]
        return x

    compile_error(del_slice, "deletion at a single index")


def test_list_keyword():
    def foo():
        return list([1, 2, 3]), list(("a", "b")), list(range(5)), list("abcdefg")  # noqa: C410

    def foo2():
        x: List[int] = list()  # noqa: C408
        x.append(1)
        return (x,)

    def foo3():
        return list(list("abc"))  # noqa: C414

    check(foo, ())
    check(foo2, ())
    check(foo3, ())
    kinds = [n.kind for n in torch.jit.script(foo3).graph.all_nodes()]
    assert kinds.count("aten::list") == 2


def test_dict_keyword_with_kwargs():
    def fn():
        return dict(foo=1, bar=2, baz=3)
    check(fn, ())


def test_dict_keyword_with_kwargs_using_container_values():
    def fn():
        return dict(foo=[1, 2, 3], bar=[4, 5, 6], baz=[7, 8, 9])
    check(fn, ())


def test_dict_keyword_with_iterable():
    def fn():
        return dict([("foo", 1), ("bar", 2), ("baz", 3)])  # noqa: C406
    check(fn, ())


def test_dict_keyword_with_empty_iterable():
    def fn():
        return dict([])  # noqa: C406
    check(fn, ())


def test_dict_keyword_with_internal_aggregate_function():
    def fn():
        return dict(zip(["foo", "baz", "bar"], [1, 2, 3]))
    check(fn, ())


def test_dict_keyword_with_mapping():
    def fn():
        return {"foo": 1, "bar": 2, "baz": 3}
    check(fn, ())


def test_dict_keyword_with_mapping_and_kwargs():
    def fn():
        return dict({"foo": 1, "bar": 2}, baz=3)
    check(fn, ())


@needs_chr
def test_dict_keyword_with_dict_comprehension():
    def fn():
        return {i: chr(i + 65) for i in range(4)}
    check(fn, ())


@needs_chr
def test_dict_keyword_with_dict_comprehension_and_kwargs():
    def fn():
        return dict({chr(65 + i): i for i in range(4)}, foo=2)
    check(fn, ())


def test_dict_keyword_with_empty_dict_comprehension():
    def fn():
        return {}
    check(fn, ())


def test_dict_keyword_is_correctly_typed():
    def fn():
        x: Dict[str, int] = dict()  # noqa: C408
        x["foo"] = 1
        return x
    check(fn, ())


def test_dict_keyword_with_mismatched_annotations():
    def fn():
        x: Dict[int, str] = dict([("foo", 1), ("bar", 2), ("baz", 3)])  # noqa: C406
        return x
    compile_error(fn, r"Dict type annotation `Dict\[int, str\]` did not match the type of an actual key type `str`")


def test_dict_keyword_with_nested_call():
    def fn():
        return dict(dict(foo=1, bar=2, baz=3))
    check(fn, ())


def test_dict_keyword_with_previously_declared_variable():
    def fn():
        d = {"foo": 1, "bar": 2}
        return dict(d)
    check(fn, ())


def test_dict_keyword_with_previously_declared_variable_and_kwargs():
    def fn():
        d = {"foo": 1, "bar": 2}
        return dict(d, baz=3)
    check(fn, ())


def test_min_bool_list():
    def jit_min_list(a: List[bool], b: List[bool]) -> List[bool]:
        return min(a, b)
    check(jit_min_list, ([True, False], [False, True]))


def test_min_max_list():
    def jit_min_list(a: List[int], b: List[int]) -> List[int]:
        return min(a, b)

    def jit_min_list_float(a: List[float], b: List[float]) -> List[float]:
        return min(a, b)

    def jit_min_list_bool(a: List[bool], b: List[bool]) -> List[bool]:
        return min(a, b)

    def jit_max_list(a: List[int], b: List[int]) -> List[int]:
        return max(a, b)

    def jit_max_list_float(a: List[float], b: List[float]) -> List[float]:
        return max(a, b)

    def jit_max_list_bool(a: List[bool], b: List[bool]) -> List[bool]:
        return max(a, b)

    bools_left = [[], [], [], [False], [True], [False, True], [True, True], [False, False, False],
                  [False, False, True]]
    bools_right = [[], [False], [True], [True], [False], [True, True], [False, True], [False, False, True],
                   [False, False, False]]
    check(jit_min_list, *zip([[1, 8, 8], [2, 1, 1], [], [2], [1], [1, 2, 3]],
                             [[2, 1, 1], [1, 8, 8], [], [1], [], [1, 2]]))
    check(jit_min_list_float, *zip([[1.0, 8.0, 8.0], [2.0, 1.0, 1.0], [], [2.0], [1.0], [1.0, 2.0, 3.0]],
                                   [[2.0, 1.0, 1.0], [1.0, 8.0, 8.0], [], [1.0], [], [1.0, 2.0]]))
    check(jit_min_list_bool, *zip(bools_left, bools_right))
    check(jit_max_list, *zip([[1, 8, 8], [8, 1, 1], [], [1], [], [1, 2]],
                             [[8, 1, 1], [1, 8, 8], [], [2], [1], [1, 2, 3]]))
    check(jit_max_list_float, *zip([[1.0, 8.0, 8.0], [8.0, 1.0, 1.0], [], [1.0], [], [1.0, 2.0]],
                                   [[8.0, 1.0, 1.0], [1.0, 8.0, 8.0], [], [2.0], [1.0], [1.0, 2.0, 3.0]]))
    check(jit_max_list_bool, *zip(bools_left, bools_right))


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

    check(index, ())
    check(negative_index, ())
    script_raises(bad_index, (), Exception, "list index out of range")
    script_raises(bad_negative_index, (), Exception, "list index out of range")


def test_list_len():
    def func():
        a = [1, 2, 3]
        return len(a) == 3

    def func2():
        a = []
        return len(a) == 0

    check(func, ())
    check(func2, ())


def test_list_ops():
    def test_equality():
        a = [1, 2, 3]
        b = [1, 2, 3]
        return a == b

    def test_equality_str():
        a = ["foo", "bar"]
        b = ["foo", "bar"]
        return a == b

    def test_inequality():
        a = [1, 2, 3]
        b = [1, 2, 3]
        return a != b

    def test_inequality_str():
        a = ["foo", "bar"]
        b = ["foo", "bar", "food"]
        return a != b

    def test_non_equality():
        a = [1, 2, 3]
        b = [3]
        return a == b

    def test_list_equality_as_cond():
        a = [1, 2, 3]
        b = [3]
        if a == b:
            c = 1
        else:
            c = 2
        return c

    def test_list_add():
        a = [1, 2, 3]
        b = [2]
        c = a + b
        return c == [1, 2, 3, 2]

    def test_list_add_empty():
        a = [1, 2, 3]
        b = torch.jit.annotate(List[int], [])
        c = a + b
        return c == [1, 2, 3]

    def test_tensor_list_equality():
        t1 = torch.ones([1, 1])
        t2 = torch.ones([1, 1])
        x = [t1, t2]
        y = [t2, t1]
        return x == y

    def test_invalid_list_equality():
        t1 = torch.ones([2, 2])
        t2 = torch.ones([2, 2])
        x = [t1, t2]
        y = [t2, t1]
        return x == y

    for fn in (test_equality, test_equality_str, test_inequality, test_inequality_str, test_non_equality,
               test_list_equality_as_cond, test_list_add, test_list_add_empty):
        check(fn, ())
    assert torch.jit.script(test_tensor_list_equality)() is True
    script_raises(test_invalid_list_equality, (), RuntimeError, "Boolean value of Tensor")


def _sort_all_ints():
    li_1 = [1, 3, 2]
    li_2 = [1, 3, 2]
    li_3 = [1, 3, 2]
    li_1.sort()
    li_2.sort(reverse=True)
    li_4 = sorted(li_3)
    return li_1, li_2, li_3, li_4


def _sort_all_empty():
    li_1: List[int] = []
    li_2: List[int] = []
    li_3: List[int] = []
    li_1.sort()
    li_2.sort(reverse=True)
    li_4 = sorted(li_3)
    return li_1, li_2, li_3, li_4


def _sort_all_bools():
    li_1 = [True, False, True]
    li_2 = [True, False, True]
    li_3 = [True, False, True]
    li_1.sort()
    li_2.sort(reverse=True)
    li_4 = sorted(li_3)
    return li_1, li_2, li_3, li_4


def _sort_all_floats():
    li_1 = [1.2, .2, 3.2]
    li_2 = [1.2, .2, 3.2]
    li_3 = [1.2, .2, 3.2]
    li_1.sort()
    li_2.sort(reverse=True)
    li_4 = sorted(li_3)
    return li_1, li_2, li_3, li_4


def _sort_all_tensors():
    li_1 = [torch.tensor(1.0), torch.tensor(0.2), torch.tensor(0.5)]
    li_2 = [torch.tensor(5), torch.tensor(-2), torch.tensor(4)]
    li_3 = [torch.tensor(5), torch.tensor(-2), torch.tensor(4)]
    li_1.sort()
    li_2.sort(reverse=True)
    li_4 = sorted(li_3)
    return li_1, li_2, li_3, li_4


def test_list_sort():
    for fn in (_sort_all_empty, _sort_all_ints, _sort_all_bools, _sort_all_floats, _sort_all_tensors):
        same(torch.jit.script(fn)(), fn())

    def test_fail(x: List[Tensor]) -> List[Tensor]:
        x.sort()
        return x

    script_raises(test_fail, ([torch.zeros([2]), torch.zeros([2])],), Exception,
                  "Boolean value of Tensor with more than one value")

    def test_mutation():
        a = [1, 2, 3]
        a.sort()
        return a

    scripted = torch.jit.script(test_mutation)
    assert scripted() == [1, 2, 3]
    assert "aten::sort" in str(scripted.graph_for())

    def test_sorted_copy():
        a = [torch.tensor(2), torch.tensor(0), torch.tensor(1)]
        b = sorted(a)
        a[0] = torch.tensor(10)
        return a, b

    check(test_sorted_copy, ())


def test_list_slice():
    def test_regular_slice():
        a = [0, 1, 2, 3, 4]
        return a[2:3] == [2]

    def test_open_ended_slice():
        a = [0, 1, 2, 3, 4]
        return a[2:] == [2, 3, 4]

    def test_open_ended_slice2():
        a = [0, 1, 2, 3, 4]
        return a[:2] == [0, 1]

    def test_negative_slice():
        a = [0, 1, 2, 3, 4]
        return a[:-1] == [0, 1, 2, 3]

    def test_negative_slice2():
        a = [0, 1, 2, 3, 4]
        return a[-3:-1] == [2, 3]

    def test_backward_slice():
        a = [0, 1, 2, 3, 4]
        return a[3:2] == torch.jit.annotate(List[int], [])

    def test_over_slice():
        a = [0, 1, 2, 3, 4]
        return a[3:10] == [3, 4]

    for fn in (test_regular_slice, test_open_ended_slice, test_open_ended_slice2, test_negative_slice,
               test_negative_slice2, test_backward_slice, test_over_slice):
        check(fn, ())
        assert torch.jit.script(fn)() is True


def test_slice_index():
    a = torch.tensor([[[1, 11], [2, 22]], [[3, 33], [4, 44]], [[5, 55], [6, 66]]])

    def test_index_slice1(x):
        x = x[:, :, [0, 1]]
        return x

    def test_index_slice2(x):
        x = x[[2, 1, 0], :, :]
        return x

    def test_index_slice3(x):
        x = x[[0, 1], :, [1]]
        return x

    def test_index_slice_empty_list(x):
        empty_list: List[int] = []
        x = x[empty_list, :, :]
        return x

    def test_index_slice_out_of_bounds_index(x):
        x = x[[4], :, :]
        return x

    for fn in (test_index_slice1, test_index_slice2, test_index_slice3, test_index_slice_empty_list):
        check(fn, (a,))
    script_raises(test_index_slice_out_of_bounds_index, (a,), Exception,
                  "index 4 is out of bounds for dimension 0 with size 3")


def test_mutable_list_append():
    def test_append():
        a = [0, 1]
        a.append(2)
        a.append(3)
        return a == [0, 1, 2, 3]
    check(test_append, ())


def test_comprehensions_basic():
    def comp(l: List[int]) -> List[int]:
        n = [x * 3 for x in l]
        return n
    check(comp, ([1, 2, 3],))


def test_comprehensions_basic_float():
    def comp(l: List[float]) -> List[float]:
        n = [x * 3 for x in l]
        return n
    check(comp, ([1.0, 2.0, 3.0],))


def test_comprehensions_two_comps():
    @torch.jit.script
    def comp(l1: List[int], l2: List[int]) -> List[int]:
        n = [x * 3 for x in l1]
        n2 = [x + 2 for x in l2]
        return n + n2

    assert comp([1, 2, 3], [4, 5]) == [3, 6, 9, 6, 7]


def test_comprehension_out_type_not_in_type():
    def list_cast() -> int:
        li = [int(i) for i in [torch.tensor(0), torch.tensor(1), torch.tensor(2)]]
        return li[0] + li[1] + li[2]
    check(list_cast, ())


def test_comprehension_iterable():
    def foo(names: List[int], results: List[int]) -> List[Tuple[int, int]]:
        return [(k + 5, v - 2) for k, v in zip(names, results)]

    def fn(x: int) -> List[int]:
        return [i for i in range(x)]  # noqa: C416

    def changes_type():
        a = [float(i) for i in range(5)]
        b = [float(i) for i in [1, 2, 3, 4]]
        c = [(float(i), j) for i, j in enumerate([1, 2, 3, 8])]
        return a, b, c

    def test_zero_iter():
        return [str(i) for i, j in zip("", "")]

    check(foo, ([1, 2, 4], [4, 7, 9]), ([5], [4, 7, 9]))
    check(fn, (9,), (0,), (-1,))
    check(changes_type, ())
    check(test_zero_iter, ())


def test_mutable_list_append_2():
    def test_append_2():
        a = [0, 1]
        a.append(2)
        a = [1]
        a.append(4)
        return a == [1, 4]
    check(test_append_2, ())


def test_mutable_list_append_if():
    def test_append_if():
        a = [1]
        if 1 == 1:
            a.append(4)
        return a == [1, 4]
    check(test_append_if, ())


def test_mutable_list_append_if_else():
    def test_append_if_else():
        a = [1]
        if 1 == 2:
            a.append(4)
        else:
            a.append(10)
        return a == [1, 10]
    check(test_append_if_else, ())


def test_mutable_list_append_loop():
    def test_append_loop():
        a = torch.jit.annotate(List[int], [])
        for i in range(5):
            a.append(i)
        return a == [0, 1, 2, 3, 4]
    check(test_append_loop, ())


def test_mutable_list_append_loop_if():
    def test_append_loop_if():
        a = torch.jit.annotate(List[int], [])
        for i in range(5):
            if i > 3:
                a.append(i)
            else:
                a.append(0)
        return a == [0, 0, 0, 0, 4]
    check(test_append_loop_if, ())


def test_mutable_list_nested_loop():
    def test_nested_loop():
        a = torch.jit.annotate(List[int], [])
        for i in range(2):
            for j in range(2):
                a.append(i + j)
        return a == [0, 1, 1, 2]
    check(test_nested_loop, ())


def test_mutable_list_function_inline():
    @torch.jit.script
    def bar(y: List[int]) -> None:
        y.append(4)

    @torch.jit.script
    def foo():
        x = [1, 2, 3]
        bar(x)
        return x

    assert foo() == [1, 2, 3, 4]


def test_mutable_list_reverse_empty():
    def test_reverse_empty():
        a = []
        a.reverse()
        return a == []
    check(test_reverse_empty, ())


def test_mutable_list_reverse():
    def test_reverse():
        a = [1, 2, 3, 4]
        a.reverse()
        return a == [4, 3, 2, 1]
    check(test_reverse, ())


def test_mutable_tensor_list_reverse():
    def test_tensor_reverse():
        a = [torch.tensor(1), torch.tensor(2)]
        a.reverse()
        return a == [torch.tensor(2), torch.tensor(1)]
    assert torch.jit.script(test_tensor_reverse)() is True


def test_mutable_list_pop_empty():
    def test_pop_empty():
        a = torch.jit.annotate(List[int], [])
        return a.pop()
    script_raises(test_pop_empty, (), RuntimeError, "pop from empty list")


def test_mutable_list_pop():
    def test_pop():
        a = [1, 2, 3, 4]
        b = a.pop()
        return b == 4
    check(test_pop, ())


def test_mutable_list_pop2():
    def test_pop2():
        a = [1, 2, 3, 4]
        b = a.pop()
        return len(a) == 3
    check(test_pop2, ())


def test_mutable_list_pop_at():
    def test_pop_at():
        a = [1, 2, 3, 4]
        b = a.pop(1)
        return b == 2
    check(test_pop_at, ())


def test_mutable_list_pop_at2():
    def test_pop_at2():
        a = [1, 2, 3, 4]
        b = a.pop(1)
        return len(a) == 3
    check(test_pop_at2, ())


def test_mutable_list_pop_at_negative():
    def test_pop_at_negative():
        a = [1, 2, 3, 4]
        b = a.pop(-2)
        return b == 3
    check(test_pop_at_negative, ())


def test_mutable_list_pop_at_negative2():
    def test_pop_at_negative2():
        a = [1, 2, 3, 4]
        b = a.pop(-2)
        return len(a) == 3
    check(test_pop_at_negative2, ())


def test_mutable_list_pop_slice():
    def test_pop_slice():
        a = [1, 2, 3, 4]
        b = [1, 2, 3, 4]
        a.pop()
        b = b[:-1]
        return a == b
    check(test_pop_slice, ())


def test_mutable_list_clear_empty():
    def test_clear_empty():
        a = torch.jit.annotate(List[int], [])
        a.clear()
        return len(a) == 0
    check(test_clear_empty, ())


def test_mutable_list_clear():
    def test_clear():
        a = [1, 2, 3, 4]
        a.clear()
        return len(a) == 0
    check(test_clear, ())


def test_mutable_list_insert():
    def test_list_insert():
        a = [1, 2, 3, 4]
        a.insert(2, 5)
        return a == [1, 2, 5, 3, 4]
    check(test_list_insert, ())


def test_mutable_list_insert_negative():
    def test_list_insert_negative():
        a = [1, 2, 3, 4]
        a.insert(-1, 5)
        return a == [1, 2, 3, 5, 4]
    check(test_list_insert_negative, ())


def test_mutable_list_insert_neg_out_of_bounds():
    def test_list_insert_neg_out_of_bounds():
        a = [1, 2, 3, 4]
        a.insert(-10, 5)
        return a == [5, 1, 2, 3, 4]
    check(test_list_insert_neg_out_of_bounds, ())


def test_mutable_list_insert_out_of_bounds():
    def test_list_insert_out_of_bounds():
        a = [1, 2, 3, 4]
        a.insert(10, 5)
        return a == [1, 2, 3, 4, 5]
    check(test_list_insert_out_of_bounds, ())


def test_mutable_list_remove_not_existing():
    def test_list_remove_not_existing():
        a = [1, 2, 3, 4]
        a.remove(5)
        return a
    script_raises(test_list_remove_not_existing, (), RuntimeError, "x not in list")


def test_mutable_list_remove():
    def test_list_remove():
        a = [1, 2, 3, 4]
        a.remove(3)
        return a == [1, 2, 4]

    def test_str_list_remove():
        a = ["foo", "bar"]
        a.remove("foo")
        return a == ["bar"]

    check(test_list_remove, ())
    check(test_str_list_remove, ())


def test_list_index_not_existing():
    def list_index_not_existing():
        a = [4, 1, 3, 2]
        i = a.index(5)
        return i
    script_raises(list_index_not_existing, (), RuntimeError, "'5' is not in list")


def test_list_index():
    def list_index():
        a = [4, 1, 3, 2]
        i = a.index(3)
        return i == 2

    def list_str_index():
        a = ["foo", "bar"]
        i = a.index("bar")
        return i == 1

    check(list_index, ())
    check(list_str_index, ())


def test_tensor_list_index():
    def tensor_list_index():
        a = [torch.tensor(4), torch.tensor(1), torch.tensor(3), torch.tensor(2)]
        i = a.index(torch.tensor(3))
        return i == 2
    assert torch.jit.script(tensor_list_index)() is True


def test_tensor_list_index_not_existing():
    def tensor_list_index_not_existing():
        a = [torch.tensor(4), torch.tensor(1), torch.tensor(3), torch.tensor(2)]
        i = a.index(torch.tensor(5))
        return i
    script_raises(tensor_list_index_not_existing, (), RuntimeError, "is not in list")


def test_list_count():
    def list_count():
        a = [4, 1, 4, 2, 4]
        i = a.count(4)
        return i == 3

    def list_str_count():
        a = ["foo", "bar", "foo"]
        i = a.count("foo")
        return i == 2

    check(list_count, ())
    check(list_str_count, ())


def test_list_count_not_existing():
    def list_count_not_existing():
        a = [4, 1, 4, 2, 4]
        i = a.count(5)
        return i == 0
    check(list_count_not_existing, ())


def test_tensor_list_count():
    def tensor_list_count():
        a = [torch.tensor(4), torch.tensor(1), torch.tensor(4), torch.tensor(4)]
        i = a.count(torch.tensor(4))
        return i == 3
    assert torch.jit.script(tensor_list_count)() is True


def test_tensor_list_count_not_existing():
    def tensor_list_count_not_existing():
        a = [torch.tensor(4), torch.tensor(1), torch.tensor(4), torch.tensor(4)]
        i = a.count(torch.tensor(5))
        return i == 0
    assert torch.jit.script(tensor_list_count_not_existing)() is True


def test_mutable_list_remove_tensor():
    def test_list_remove_tensor():
        a = [torch.ones(1), torch.zeros(1), torch.ones(2)]
        a.remove(torch.zeros(1))
        return len(a) == 2
    assert torch.jit.script(test_list_remove_tensor)() is True


def test_mutable_list_remove2():
    def test_list_remove2():
        a = [1]
        a.remove(1)
        return len(a) == 0
    check(test_list_remove2, ())


def test_extend_list_mutable():
    @torch.jit.script
    def extend_list(a: List[Tensor], b: List[Tensor]) -> List[Tensor]:
        a.extend(b)
        return a

    for left in [[], [torch.rand(2)], [torch.rand(2), torch.rand(2), torch.rand(2)]]:
        for right in [[], [torch.rand(2)], [torch.rand(2), torch.rand(2), torch.rand(2)]]:
            same(extend_list(left, right), left + right)


def test_extend_list_immutable():
    @torch.jit.script
    def extend_list(a: List[int], b: List[int]) -> List[int]:
        a.extend(b)
        return a

    for left in [[], [1], [1, 2, 3]]:
        for right in [[], [1], [1, 2, 3]]:
            assert extend_list(left, right) == left + right


def test_copy_list_mutable():
    @torch.jit.script
    def copy_list(a: List[Tensor]) -> List[Tensor]:
        return a.copy()

    for items in [[], [torch.rand(2)], [torch.rand(2), torch.rand(2), torch.rand(2)]]:
        same(copy_list(items), items)


def test_copy_list_immutable():
    @torch.jit.script
    def copy_list(a: List[int]) -> List[int]:
        return a.copy()

    for items in [[], [1], [1, 2, 3]]:
        assert copy_list(items) == items


def test_min_max_single_list():
    def min_intlist(li: List[int]) -> int:
        return min(li)

    def max_intlist(li: List[int]) -> int:
        return max(li)

    def min_boollist(li: List[bool]) -> bool:
        return min(li)

    def max_boollist(li: List[bool]) -> bool:
        return max(li)

    def min_floatlist(li: List[float]) -> float:
        return min(li)

    def max_floatlist(li: List[float]) -> float:
        return max(li)

    def check_list(fn, li):
        if len(li) == 0:
            script_raises(fn, (li,), Exception, "empty")
        else:
            check(fn, (li,))

    for int_list in ([1], [2, 1, 2], [-3, 4, 2], [-2, -7, 1, 4], [2, 1, 0, 4], []):
        check_list(min_intlist, int_list)
        check_list(max_intlist, int_list)
        check_list(min_boollist, [bool(x) for x in int_list])
        check_list(max_boollist, [bool(x) for x in int_list])
        check_list(min_floatlist, [float(x) for x in int_list])
        check_list(max_floatlist, [float(x) for x in int_list])


def test_to_list__bool():
    def to_list_bool_0d(x: Tensor) -> bool:
        li = torch.jit.annotate(bool, x.tolist())
        return li

    def to_list_bool_1d(x: Tensor) -> List[bool]:
        li = torch.jit.annotate(List[bool], x.tolist())
        return li

    def to_list_bool_2d(x: Tensor) -> List[List[bool]]:
        li = torch.jit.annotate(List[List[bool]], x.tolist())
        return li

    def to_list_bool_3d(x: Tensor) -> List[List[List[bool]]]:
        li = torch.jit.annotate(List[List[List[bool]]], x.tolist())
        return li

    cube = torch.tensor([[[True, False], [False, True]], [[True, False], [False, False]]], dtype=torch.bool)
    check(to_list_bool_0d, (torch.tensor(False, dtype=torch.bool),))
    check(to_list_bool_1d, (torch.tensor([True, False, True, False], dtype=torch.bool),))
    check(to_list_bool_2d, (torch.tensor([[True, True, False], [False, True, False]], dtype=torch.bool),))
    check(to_list_bool_3d, (cube,), (cube.transpose(0, 1),))


def test_to_list__int():
    def to_list_int_0d(x: Tensor) -> int:
        li = torch.jit.annotate(int, x.tolist())
        return li

    def to_list_int_1d(x: Tensor) -> List[int]:
        li = torch.jit.annotate(List[int], x.tolist())
        return li

    def to_list_int_2d(x: Tensor) -> List[List[int]]:
        li = torch.jit.annotate(List[List[int]], x.tolist())
        return li

    def to_list_int_3d(x: Tensor) -> List[List[List[int]]]:
        li = torch.jit.annotate(List[List[List[int]]], x.tolist())
        return li

    cube = torch.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], dtype=torch.long)
    check(to_list_int_0d, (torch.tensor(1, dtype=torch.long),))
    check(to_list_int_1d, (torch.tensor([1, 2, 3, 4], dtype=torch.long),))
    check(to_list_int_2d, (torch.tensor([[1, 2, 3], [3, 4, 5]], dtype=torch.long),))
    check(to_list_int_3d, (cube,), (cube.transpose(0, 1),))


def test_to_list__float():
    def to_list_float_0d(x: Tensor) -> float:
        li = torch.jit.annotate(float, x.tolist())
        return li

    def to_list_float_1d(x: Tensor) -> List[float]:
        li = torch.jit.annotate(List[float], x.tolist())
        return li

    def to_list_float_2d(x: Tensor) -> List[List[float]]:
        li = torch.jit.annotate(List[List[float]], x.tolist())
        return li

    def to_list_float_3d(x: Tensor) -> List[List[List[float]]]:
        li = torch.jit.annotate(List[List[List[float]]], x.tolist())
        return li

    for dtype in (torch.float, torch.double):  # float32 elements become Python floats (doubles)
        check(to_list_float_0d, (torch.randn(5, dtype=dtype)[0],))
        check(to_list_float_1d, (torch.randn(5, dtype=dtype),))
        check(to_list_float_2d, (torch.randn(5, 6, dtype=dtype),))
        check(to_list_float_3d, (torch.randn(5, 6, 7, dtype=dtype),), (torch.randn(5, 6, 7, dtype=dtype).transpose(0, 1),))


def test_to_list__errors():
    def to_list_missing_type_annotation(x: Tensor) -> List[float]:
        li = x.tolist()
        return li

    def to_list_incorrect_type_annotation(x: Tensor) -> List[float]:
        li = torch.jit.annotate(float, x.tolist())
        return li

    def to_list_unsupported_type_annotation(x: Tensor) -> List[float]:
        li = torch.jit.annotate(List[str], x.tolist())
        return li

    def to_list_type_annotation_wrong_dim(x: Tensor) -> List[List[float]]:
        li = torch.jit.annotate(List[List[float]], x.tolist())
        return li

    def to_list_type_annotation_incorrect_scalar_type(x: Tensor) -> List[float]:
        li = torch.jit.annotate(List[float], x.tolist())
        return li

    compile_error(to_list_missing_type_annotation, r"Expected type hint for result of tolist\(\)")
    compile_error(to_list_incorrect_type_annotation,
                  r"Return value was annotated as having type List\[float\] but is actually of type float")
    compile_error(to_list_unsupported_type_annotation, "str is not one of the supported element types for tolist")
    script_raises(to_list_type_annotation_wrong_dim, (torch.randn(5, dtype=torch.double),), RuntimeError,
                  "Output annotation list dimension and runtime tensor dimension must match")
    script_raises(to_list_type_annotation_incorrect_scalar_type, (torch.ones(5, dtype=torch.long),), RuntimeError,
                  "Output annotation element type and runtime tensor element type must match")


@pytest.mark.xfail(strict=True, reason="there are no complex dtypes (torch.cfloat, torch.cdouble) here")
def test_to_list__complex():
    assert torch.randn(5, dtype=torch.cfloat) is not None  # type: ignore[attr-defined]


def test_no_element_type_annotation():
    def annotated_fn(x: Tensor) -> List:
        a: List = x.tolist()
        return a

    compile_error(annotated_fn, "Attempted to use List without a contained type")


def test_list_unification_hint():
    def x():
        b: int = [2, 3]
        return b

    compile_error(x, "Expected an annotation of type List")


# -- TestDict ------------------------------------------------------------------------------------


def _dict():
    return {"a": torch.ones(1), "b": torch.ones(1) + 1, "c": torch.ones(1) + 2}


def _dict2():
    return {"x": torch.ones(1) + 100, "y": torch.ones(1) + 101, "z": torch.ones(1) + 102}


def test_dict_bool_conversion():
    def if_predicate(d: Dict[int, int]):
        if d:
            s, t = 0, 0
            for k, v in d.items():
                s += k
                t += v
            return s, t
        else:
            return -1, -1

    def while_predicate(d: Dict[int, int]):
        while d:
            d.clear()

    def ternary_predicate(d: Dict[int, int]):
        return "non-empty" if d else "empty"

    for fn in (if_predicate, while_predicate, ternary_predicate):
        check(fn, ({1: 2, 3: 5},), ({},))


def test_del__dict():
    def fn(x: Dict[str, int]) -> Dict[str, int]:
        del x["hi"]
        return x

    check(fn, ({"hi": 2, "bye": 3},))
    script_raises(fn, ({},), RuntimeError, "KeyError")


def test_dict_variance():
    def dictliteral_is_typed_from_annotation():
        x: Dict[str, Optional[int]] = {"foo": None, "bar": None, "baz": None}
        return x

    def dictcomprehension_is_typed_from_annotation():
        metasyntactics = ["foo", "bar", "baz"]
        x: Dict[str, Optional[int]] = {word: None for word in metasyntactics}  # noqa: C420
        return x

    def different_value_types_are_invariant():
        x: Dict[str, int] = {"foo": 1, "bar": 2, "baz": 3}
        y: Dict[str, Optional[int]] = x
        return x

    def different_value_types_are_invariant_recursive():
        x: Dict[str, int] = {"foo": 1, "bar": 2, "baz": 3}
        y: Dict[str, Dict[str, int]] = {"foo": x, "bar": x, "baz": x}
        z: Dict[str, Dict[str, Optional[int]]] = y
        return x

    check(dictliteral_is_typed_from_annotation, ())
    check(dictcomprehension_is_typed_from_annotation, ())
    compile_error(different_value_types_are_invariant, r"Variable 'y' is annotated with type "
                  r"Dict\[str, Optional\[int\]\] but is being assigned to a value of type Dict\[str, int\]")
    compile_error(different_value_types_are_invariant_recursive, r"Variable 'z' is annotated with type "
                  r"Dict\[str, Dict\[str, Optional\[int\]\]\] but is being assigned to a value of type "
                  r"Dict\[str, Dict\[str, int\]\]")


def test_keys():
    @torch.jit.script
    def keys(x: Dict[str, Tensor]) -> List[str]:
        return list(x.keys())

    assert set(keys(_dict())) == set(_dict().keys())

    @torch.jit.script
    def specialized_list():
        li = {1: 1, 2: 2}.keys()
        li.append(3)
        return li

    assert set(specialized_list()) == {1, 2, 3}


def test_values():
    @torch.jit.script
    def values(x: Dict[str, Tensor]) -> List[Tensor]:
        return list(x.values())

    d = _dict()
    same(values(d), list(d.values()))


def test_len__dict():
    def length(x: Dict[str, Tensor]) -> int:
        return len(x)
    check(length, (_dict(),))


def test_copy():
    def func(x: Dict[str, Tensor]) -> Dict[str, Tensor]:
        return x.copy()
    check(func, (_dict(),))


def test_items__dict():
    def func(x: Dict[str, Tensor]) -> List[Tuple[str, Tensor]]:
        return x.items()  # type: ignore[return-value]

    eager_out = list(_dict().items())
    script_out = torch.jit.script(func)(_dict())
    same(script_out, eager_out)


def test_pop__dict():
    def pop(x: Dict[str, Tensor], key: str) -> Tuple[Tensor, Dict[str, Tensor]]:
        return x.pop(key), x

    def default_pop(x: Dict[str, Tensor], key: str, default: Tensor) -> Tuple[Tensor, Dict[str, Tensor]]:
        return x.pop(key, default), x

    same(torch.jit.script(pop)(_dict(), "a"), pop(_dict(), "a"))
    script_raises(pop, (_dict(), "x"), RuntimeError, "KeyError")
    default = torch.randn(2, 2)
    for key in ("a", "x"):
        same(torch.jit.script(default_pop)(_dict(), key, default), default_pop(_dict(), key, default))


def test_setdefault():
    def setdefault(x: Dict[str, Tensor], key: str, default: Tensor) -> Dict[str, Tensor]:
        x.setdefault(key, default)
        return x
    check(setdefault, (_dict(), "a", torch.randn(2, 2)), (_dict(), "nonexistant", torch.randn(2, 2)))


def test_update():
    def update(a: Dict[str, Tensor], b: Dict[str, Tensor]) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        a.update(b)
        return a, b
    check(update, (_dict(), _dict()), (_dict(), _dict2()))


def test_update_existing_key():
    def foo() -> Dict[str, int]:
        a: Dict[str, int] = {}
        for i in range(3):
            a.update({"a": i})
        return a
    check(foo, ())


def test_aug_assign():
    def aug_assign_dict_tensor(a: Dict[str, Tensor]) -> Dict[str, Tensor]:
        a["a"] += 1
        a["b"] -= 12
        a["c"] *= 122
        a["c"] /= 2
        a["c"] %= 2
        return a

    def aug_assign_dict_prim(a: Dict[str, float]) -> Dict[str, float]:
        a["a"] += 3.4
        a["b"] -= 2.4
        a["c"] *= 3.0
        a["c"] /= 2.0
        a["c"] %= 2.0
        return a

    check(aug_assign_dict_tensor, (_dict(),))
    check(aug_assign_dict_prim, ({"a": 3.0, "b": 2.0, "c": 4.0},))


def test_popitem():
    @torch.jit.script
    def popitem(x: Dict[str, Tensor]) -> Tuple[Tuple[str, Tensor], Dict[str, Tensor]]:
        item = x.popitem()
        return item, x

    eager_in = _dict()
    eager_out = (eager_in.popitem(), eager_in)
    script_out = popitem(_dict())
    assert len(eager_out[1]) == len(script_out[1])
    assert isinstance(script_out[0][0], str)
    assert isinstance(script_out[0][1], torch.Tensor)


def test_clear__dict():
    def clear(x: Dict[str, Tensor]) -> Dict[str, Tensor]:
        x.clear()
        return x
    check(clear, (_dict(),))


def test_get():
    def get(x: Dict[str, Tensor], key: str) -> Optional[Tensor]:
        return x.get(key)

    def get_default(x: Dict[str, Tensor], key: str) -> Optional[Tensor]:
        return x.get(key, torch.ones(2, 2))

    check(get, (_dict(), "a"), (_dict(), "doesn't exist"))
    check(get_default, (_dict(), "a"), (_dict(), "doesn't exist"))


def test_get_boolkey():
    def get(x: Dict[bool, int], key: bool) -> Optional[int]:
        return x.get(key)

    def get_default(x: Dict[bool, int], key: bool) -> int:
        return x.get(key, 42)

    check(get, ({True: 1}, True), ({True: 1}, False))
    check(get_default, ({True: 1}, True), ({True: 1}, False))


def test_basic():
    def simple(x: Dict[str, int]) -> Dict[str, int]:
        return x

    def index(x: Dict[str, int]) -> int:
        return x["item"]

    def type_default() -> Dict[str, Tensor]:
        return {}

    def missing_index(x: Dict[str, int]) -> int:
        return x["dne"]

    def literal1():
        return torch.jit.annotate(Dict[int, float], {})

    def literal2():
        return torch.jit.annotate(Dict[int, float], {10: 1.2})

    def literal3():
        return torch.jit.annotate(Dict[int, float], {10: 1.2, 11: 1.3})

    def list_of_dicts() -> List[Dict[str, Tensor]]:
        return [{"word": torch.ones(2) + 3}, {"other word": torch.ones(1) + 2}]

    check(simple, ({"item": 20, "other_item": 120},))
    check(index, ({"item": 20, "other_item": 120},))
    check(type_default, ())
    script_raises(missing_index, ({"item": 20, "other_item": 120},), RuntimeError, "KeyError")
    assert torch.jit.script(literal1)() == {}
    assert torch.jit.script(literal2)() == {10: 1.2}
    assert torch.jit.script(literal3)() == {10: 1.2, 11: 1.3}
    check(list_of_dicts, ())


def test_mutability():
    @torch.jit.script
    def fn() -> Dict[str, int]:
        a = torch.jit.annotate(Dict[str, int], {})
        a["ok"] = 10
        return a

    assert fn() == {"ok": 10}


def test_key_type():
    def fn(a: Dict[str, int]) -> int:
        return a[None]  # type: ignore[index]

    compile_error(fn, "but instead found type")


def test_loop():
    @torch.jit.script
    def fn(x: int) -> Dict[str, int]:
        a = torch.jit.annotate(Dict[str, int], {})
        for i in range(x):
            a["ok"] = i
        return a

    assert fn(10) == {"ok": 9}


def test_view():
    def fn(x, y):
        l = {"a": x}  # noqa: E741
        x_view = l["a"]
        a = x + x
        x_view.add_(y)
        b = x + x
        return a == b
    check(fn, (torch.rand(2, 3), torch.rand(2, 3)))


def test_membership():
    def fn(x: Dict[int, int], y: int) -> int:
        return x.get(y, 3)

    def optional(x: Dict[int, int], y: int) -> bool:
        res = x.get(y)
        return res is None

    def bad_types(x: Dict[int, int], y: int) -> int:
        return x.get(y)  # type: ignore[return-value]

    d = {1: 2, 3: 4}
    check(fn, (d, 3), (d, 2))
    check(optional, (d, 3), (d, 2))
    compile_error(bad_types, "is actually of type Optional")


def _has_ignore():
    ignore = getattr(torch.jit, "ignore", None)
    if ignore is None:
        return False

    @ignore
    def python_len(x: List[int]) -> int:
        return len(x)

    def fn(x: List[int]) -> int:
        return python_len(x)

    return _probe(lambda: torch.jit.script(fn))


@pytest.mark.xfail(not _has_ignore(), strict=True, reason="torch.jit.ignore (a call back into Python) is not "
                                                          "in the script language yet")
def test_dict_to_python():
    @torch.jit.ignore
    def python_lookup(my_dict: Dict[str, int], keys: List[str]) -> List[int]:
        return [my_dict[k] for k in keys]

    def fn(my_dict: Dict[str, int], keys: List[str]) -> List[int]:
        return python_lookup(my_dict, keys)

    check(fn, ({"a": 1, "b": 2, "c": 3}, ["a", "c"]))


def test_ordered_dict():
    def repeated_key():
        return OrderedDict([(1, 2), (2, 3), (1, 4)])

    def no_args():
        a = OrderedDict()
        a["one"] = torch.tensor(1)
        a["two"] = torch.tensor(2)

    def test_dict_constructor():
        a = dict()  # noqa: C408
        a["one"] = torch.tensor(1)
        return a, dict([(1, 2), (2, 3), (1, 4)])  # noqa: C406

    def test_dict_initializer_list():
        a = {"1": torch.tensor(1), "2": torch.tensor(2)}
        output_order = []
        for key in a:
            output_order.append(a[key])
        return output_order

    def test_dict_error():
        a = dict()  # noqa: C408
        a[1] = 2
        return a

    same(torch.jit.script(repeated_key)(), dict(repeated_key()))
    same(torch.jit.script(no_args)(), no_args())
    same(torch.jit.script(test_dict_constructor)(), test_dict_constructor())
    same(torch.jit.script(test_dict_initializer_list)(), test_dict_initializer_list())
    compile_error(test_dict_error, "Arguments for call are not")


def test_type_annotation_missing_contained_type():
    def annotated_fn(input: Dict) -> Any:
        return input

    compile_error(annotated_fn, "Attempted to use Dict without contained types")


def test_dict_preserves_order():
    def dict_ordering():
        a: Dict[int, int] = {}
        for i in range(1000):
            a[i] = i + 1
        return a

    check(dict_ordering, ())
    res = list(torch.jit.script(dict_ordering)().items())
    assert all(key == i and value == i + 1 for i, (key, value) in enumerate(res))


def test_optional_dict_construct():
    class M(nn.Module):
        def use(self, buffer: Dict[str, Optional[Tensor]]):
            return buffer["prev_key"]

        def forward(self, x):
            prev_key = torch.rand(2, 3)
            next_key = torch.rand(2, 3)
            saved_state: Dict[str, Optional[Tensor]] = {"prev_key": prev_key, "next_key": next_key}
            return self.use(saved_state)

    m = M()
    scripted = torch.jit.script(m)
    x = torch.rand(2, 2)
    torch.manual_seed(0)
    expected = m(x)
    torch.manual_seed(0)
    same(scripted(x), expected)


# -- TestNamedTuple --------------------------------------------------------------------------------


class FeatureVector(NamedTuple):
    float_features: float
    sequence_features: List[float]
    time_since_first: float


class MyCoolNamedTuple(NamedTuple):
    a: int
    b: float
    c: List[int]


class FeatureVectorForwardRef(NamedTuple):
    float_features: "float"
    sequence_features: "List[float]"
    time_since_first: "float"


class MyNamedTupleForwardRef(NamedTuple):
    a: "int"
    b: "float"
    c: "torch.Tensor"


@needs_namedtuple
def test_namedtuple():
    @torch.jit.script
    def foo(x) -> float:
        fv = FeatureVector(3.0, [3.0], 3.0)
        rv = fv.float_features
        for val in fv.sequence_features:
            rv += val
        rv *= fv.time_since_first
        return rv

    assert foo(torch.rand(3, 4)) == 18.0


@needs_namedtuple
def test_namedtuple_constant():
    class Tup(NamedTuple):
        a: int
        b: int

    @torch.jit.script
    def foo():
        return Tup(1, 2)

    assert foo() == Tup(1, 2)


@needs_namedtuple
def test_return_named_tuple():
    @torch.jit.script
    def foo(x):
        fv = FeatureVector(3.0, [3.0], 3.0)
        return fv

    out = foo(torch.rand(3, 4))
    out = foo(torch.rand(3, 4))
    assert out.float_features == 3.0
    assert out.sequence_features == [3.0]
    assert out.time_since_first == 3.0


@needs_namedtuple
def test_namedtuple_as_attr():
    class Config(NamedTuple):
        size: int

    class MyMod(nn.Module):
        configs: Dict[int, Config]

        def __init__(self, configs):
            super().__init__()
            self.configs = configs

        def forward(self, x):
            for config in self.configs.values():
                x += config.size
            return x

    s = torch.jit.script(MyMod({0: Config(size=16)}))
    same(s(torch.zeros(2)), torch.full((2,), 16.0))


@needs_namedtuple
def test_namedtuple_resolution():
    class TheType(NamedTuple):
        t: int

    class MyModule:
        def __getattr__(self, attr):
            return TheType

    some_module = MyModule()

    def fn() -> some_module.Type:  # type: ignore[name-defined]
        return some_module.Type(1)

    same(torch.jit.script(fn)(), fn())


@needs_namedtuple
def test_namedtuple_slice_unpack():
    @torch.jit.script
    def foo(a: int, b: float, c: List[int]):
        tup = MyCoolNamedTuple(a, b, c)
        my_a, my_b, my_c = tup
        return tup[:1], my_a, my_c

    assert foo(3, 3.5, [6]) == ((3,), 3, [6])


@needs_namedtuple
def test_namedtuple_type_annotation():
    @torch.jit.script
    def foo(x: MyCoolNamedTuple) -> MyCoolNamedTuple:
        return x

    mnt = MyCoolNamedTuple(42, 420.0, [666])
    assert foo(mnt) == mnt


@needs_namedtuple
def test_namedtuple_wrong_types():
    def foo():
        tup = MyCoolNamedTuple("foo", "bar", "baz")  # type: ignore[arg-type]
        return tup

    compile_error(foo, "Expected a value of type 'int' for argument 'a' but instead found type 'str'")


@needs_namedtuple
def test_namedtuple_kwarg_construct():
    @torch.jit.script
    def foo():
        tup = MyCoolNamedTuple(c=[1, 2, 3], b=3.5, a=9)
        return tup

    tup = foo()
    assert (tup.a, tup.b, tup.c) == (9, 3.5, [1, 2, 3])


@needs_namedtuple
def test_namedtuple_inside_forwardref():
    @torch.jit.script
    def foo(x) -> float:
        fv = FeatureVectorForwardRef(3.0, [3.0], 3.0)
        rv = fv.float_features
        for val in fv.sequence_features:
            rv += val
        rv *= fv.time_since_first
        return rv

    assert foo(torch.rand(3, 4)) == 18.0


@needs_namedtuple
def test_namedtuple_input_forwardref():
    def fn(obj: MyNamedTupleForwardRef):
        return ((obj.c + obj.b) ** obj.a).sin()

    nt = MyNamedTupleForwardRef(4, 2.5, torch.rand((2, 2)))
    # sin of (c + 2.5) ** 4 (up to ~1300): an ulp of the power moves the result by ~1e-5, so
    # within PyTorch's assertEqual tolerance for float32 (rtol 1.3e-6, atol 1e-5), as its test
    np.testing.assert_allclose(torch.jit.script(fn)(nt).numpy(), fn(nt).numpy(), rtol=1.3e-6, atol=1e-5)


# -- TestScriptDict and TestScriptList ---------------------------------------------------------------


def compare_eager_and_script(fn, data, scripted=None):
    """``fn`` does the same to a Python container and to its ScriptList/ScriptDict: both raise
    an exception of one type, or both return the same and leave equal containers."""
    scripted = scripted if scripted is not None else torch.jit.script(data)
    eager_error = script_error = None
    try:
        eager_out = fn(data)
    except Exception as e:  # noqa: BLE001 - the types are compared
        eager_error = e
    try:
        script_out = fn(scripted)
    except Exception as e:  # noqa: BLE001
        script_error = e
    assert (eager_error is None) == (script_error is None), (eager_error, script_error)
    if eager_error is not None:
        assert type(eager_error) is type(script_error), (eager_error, script_error)
    else:
        same(script_out, eager_out)
        assert data == scripted and scripted == data


def _script_dict_add(d, k: int, v: int):
    @torch.jit.script
    def dict_add(d: Dict[int, int], k: int, v: int):
        d[k] = v

    dict_add(d, k, v)


def _script_list_add(items, e: int):
    @torch.jit.script
    def list_add(l: List[int], e: int):
        l.append(e)

    list_add(items, e)


def test_repr__dict():
    compare_eager_and_script(lambda d: repr(d), {1: 2})


def test_repr__list():
    compare_eager_and_script(lambda l: repr(l), [1])


def test_bool__dict():
    compare_eager_and_script(lambda d: bool(d), {1: 2})
    compare_eager_and_script(lambda d: bool(d), {})


def test_bool__list():
    compare_eager_and_script(lambda l: bool(l), [1])
    compare_eager_and_script(lambda l: bool(l), [])


def _sum_keys(input_dict):
    s = 0
    for k in input_dict:
        s += k
    return s


def test_iter__dict():
    compare_eager_and_script(_sum_keys, {1: 2, 3: 4})


def test_iter__list():
    compare_eager_and_script(_sum_keys, [1, 2, 3, 4])


def test_items__script_dict():
    def sum_pair_product(input_dict):
        s = 0
        for k, v in input_dict.items():
            s += k * v
        return s

    compare_eager_and_script(sum_pair_product, {1: 2, 3: 4})


def test_getitem__dict():
    data = {1: 2, 3: 4}
    for fn in (lambda d: d[1], lambda d: d[4], lambda d: d[2], lambda d: d["key"]):
        compare_eager_and_script(fn, data)


def test_getitem__list():
    data = [1, 2, 3, 4]
    for fn in (lambda l: l[1], lambda l: l[3], lambda l: l[-1], lambda l: l[1:3], lambda l: l[:], lambda l: l[1:],
               lambda l: l[:2], lambda l: l[-1::-1], lambda l: l[5], lambda l: l[-7], lambda l: l["key"]):
        compare_eager_and_script(fn, data)


def test_setitem__dict():
    data = {1: 2, 3: 4}

    def fn(input_dict):
        input_dict[1] = 10
        input_dict[3] = 11

    compare_eager_and_script(fn, data)
    script_data = torch.jit.script(data)
    with pytest.raises(TypeError):
        script_data["str"] = 3
    with pytest.raises(TypeError):
        script_data[3] = "str"


def test_setitem__list():
    data = [1, 2, 3, 4]

    def setitem(input_list):
        input_list[1] = 10
        input_list[3] = 11
        input_list[-1] = 12

    def setitem_slice(input_list):
        input_list[:4:2] = [10, 11]
        input_list[-2:] = [15, 16]

    def out_of_range(input_list):
        input_list[11] = 3

    def out_of_range_negative(input_list):
        input_list[-11] = 3

    def wrong_index_type(input_list):
        input_list["str"] = 3

    compare_eager_and_script(setitem, data.copy())
    compare_eager_and_script(setitem_slice, data)
    for fn in (out_of_range, out_of_range_negative, wrong_index_type):
        compare_eager_and_script(fn, data)
    with pytest.raises(TypeError):
        torch.jit.script(data)[0] = "str"


def _membership(container):
    return 1 in container, 2 not in container, 3 in container, 4 not in container


def test_contains__dict():
    compare_eager_and_script(_membership, {1: 2, 3: 4})
    with pytest.raises(KeyError):
        "str" in torch.jit.script({1: 2, 3: 4})  # noqa: B015


def test_contains__list():
    compare_eager_and_script(_membership, [1, 2, 3, 4])
    with pytest.raises(TypeError):
        "str" in torch.jit.script([1, 2, 3, 4])  # noqa: B015


def test_delitem__dict():
    def del_fn(input_dict):
        del input_dict[1]

    def del_fn_raises(input_dict):
        del input_dict[10]

    compare_eager_and_script(del_fn, {1: 2, 3: 4})
    compare_eager_and_script(del_fn_raises, {1: 2, 3: 4})
    script_data = torch.jit.script({1: 2, 3: 4})
    with pytest.raises(TypeError):
        del script_data["str"]


def test_delitem__list():
    data = [1, 2, 3, 4]

    def del_fn(input_list):
        del input_list[1]

    def del_fn_out_of_range(input_list):
        del input_list[10]

    def del_fn_wrong_type(input_list):
        del input_list["str"]

    compare_eager_and_script(del_fn, data.copy())
    compare_eager_and_script(del_fn_out_of_range, data)
    compare_eager_and_script(del_fn_wrong_type, data)


def test_len__script_dict():
    compare_eager_and_script(lambda d: len(d), {1: 2})
    compare_eager_and_script(lambda d: len(d), {})


def test_len__script_list():
    compare_eager_and_script(lambda l: len(l), [1, 2, 3, 4])
    compare_eager_and_script(lambda l: len(l), [])


def test_reference_semantics__dict():
    data = torch.jit.script({1: 2})
    _script_dict_add(data, 3, 4)
    assert len(data) == 2
    assert 3 in data
    assert data[3] == 4


def test_reference_semantics__list():
    data = torch.jit.script([1, 2])
    _script_list_add(data, 3)
    assert len(data) == 3
    assert 3 in data
    assert data[2] == 3


def test_count():
    compare_eager_and_script(lambda l: l.count(3), [1, 2, 3, 3])
    with pytest.raises(TypeError):
        torch.jit.script([1]).count("str")


def test_remove():
    compare_eager_and_script(lambda l: l.remove(1), [1, 2, 3])
    compare_eager_and_script(lambda l: l.remove(10), [1, 2, 3])
    with pytest.raises(TypeError):
        torch.jit.script([1]).remove("str")


def test_append():
    compare_eager_and_script(lambda l: l.append(1), [4, 3, 2])
    with pytest.raises(TypeError):
        torch.jit.script([1]).append("str")


def test_clear__list():
    compare_eager_and_script(lambda l: l.clear(), [4, 3, 2])


def test_extend():
    class Iterable:
        def __init__(self, limit: int):
            self.limit = limit
            self.value = 0

        def __iter__(self):
            return self

        def __next__(self):
            if self.value == limit:  # noqa: F821 - PyTorch's test has this NameError: both raise it
                raise StopIteration
            ret = self.value
            self.value += 1
            return ret

    data = [1, 2, 3]
    compare_eager_and_script(lambda l: l.extend([4, 5, 6]), data.copy())
    compare_eager_and_script(lambda l: l.extend({4: 10, 5: 11, 6: 12}), data.copy())
    compare_eager_and_script(lambda l: l.extend(Iterable(3)), data)
    script_data = torch.jit.script([1])
    with pytest.raises(TypeError):
        script_data.extend(["a"])
    with pytest.raises(TypeError):
        script_data.extend({"a": 1})


def test_insert():
    data = [1, 2, 4]
    compare_eager_and_script(lambda l: l.insert(3, 3), data.copy())
    compare_eager_and_script(lambda l: l.insert(0, 3), data.copy())
    compare_eager_and_script(lambda l: l.insert(-2, 3), data)
    with pytest.raises(TypeError):
        torch.jit.script([1]).insert((0, "str"))


def test_pop__list():
    data = [1, 2, 3, 4, 5]
    compare_eager_and_script(lambda l: l.pop(), data.copy())
    compare_eager_and_script(lambda l: l.pop(2), data.copy())
    compare_eager_and_script(lambda l: l.pop(-3), data.copy())
    compare_eager_and_script(lambda l: l.pop(10), data)


def test_defaultdict():
    def get_dict():
        return defaultdict(list)

    class Test(nn.Module):
        segments_groupby_col: Dict[str, List[str]]

        def __init__(self) -> None:
            super().__init__()
            self.segments_groupby_col = get_dict()
            self.col1 = "a"
            self.col2 = "b"

        def forward(self):
            if self.col1 in self.segments_groupby_col.keys():
                return 1
            else:
                return 2

    test_script = torch.jit.script(Test())
    assert test_script() == 2
    test_script.segments_groupby_col  # noqa: B018 - readable from the ScriptModule

"""The behaviours PyTorch's test/jit/test_typing.py checks, as our own tests: Python 2 type
comments, tuples, lists and Optionals as argument, return and variable types, unpacking
assignments, Optional refinement, and module attributes typed by inherited class annotations."""
import io
from typing import Dict, List, Tuple

import pytest
from script_util import same

import minitorch_jit as torch
from minitorch_jit.ir import TensorType, TupleType, parse_graph

ELIGIBLE = [
    "test_dict_in_not_in",
    "test_list_type_refinement_annotation_element_mismatch",
    "test_dict_type_refinement_annotation_key_mismatch",
    "test_dict_type_refinement_annotation_value_mismatch",
    "test_dict_invalid_annotations",
    "test_tuple_specialization",
    "test_tuple_io",
    "test_tuple_keyword",
    "test_tuple_create_return",
    "test_list_io",
    "test_bool_list_io",
    "test_nested_list",
    "test_list_sum",
    "test_list_unification",
    "test_sum_list_diff_elms",
    "test_sum_list_empty",
    "test_sum_list_one",
    "test_sum_list_literal",
    "test_sum_list_wrong_type",
    "test_list_iterables",
    "test_for_in_string",
    "test_for_in_dict",
    "test_for_tuple_unpack",
    "test_dict_comprehension",
    "test_dict_comprehension_with_type_annotation",
    "test_dict_comprehension_scope",
    "test_for_tuple_assign",
    "test_singleton_tuple_unpack",
    "test_tuple_assignments",
    "test_multiple_assign",
    "test_opt_opt_refinement",
    "test_optional_refinement",
    "test_optional_conversion",
    "test_optional_tuple",
    "test_namedtuple_redefine",
    "test_namedtuple_py2",
    "test_namedtuple_good_error",
    "test_namedtuple_error_source_attribution",
    "test_inherited_annotations_python_310",
]

NEEDS_DICT = "needs Dict (dicts branch)"
NEEDS_NAMEDTUPLE = ("two NamedTuple classes of one name get distinct (mangled) names here, as other classes do; "
                    "TorchScript refuses the second: Can't redefine NamedTuple")


def check_script(fn, *arg_sets):
    """Scripted and eager ``fn`` agree on each set of arguments; the graph prints and parses."""
    scripted = torch.jit.script(fn)
    for args in arg_sets:
        same(scripted(*args), fn(*args))
    assert str(parse_graph(str(scripted.graph))) == str(scripted.graph)
    return scripted


def test_dict_in_not_in():
    def test_in_dict(x):
        # type: (Dict[str, int]) -> bool
        return "hi" in x

    check_script(test_in_dict, ({"hi": 2, "bye": 3},), ({"bye": 3},))


def test_list_type_refinement_annotation_element_mismatch():
    def fn():
        values: List[int] = [1, 2, "foo", 3]
        return values

    with pytest.raises(RuntimeError, match=r"List type annotation `List\[int\]` did not match the types of the given "
                                           "list elements"):
        torch.jit.script(fn)


def test_dict_type_refinement_annotation_key_mismatch():
    def fn():
        l1 = [1, 2, "foo", 3]
        l2 = ["foo", "bar", "baz", "qux"]
        d: Dict[int, str] = dict(zip(l1, l2))
        return d

    with pytest.raises(RuntimeError, match=r"Dicts may only contain homogeneous keys, but the type of the first "
                                           r"generated key was Union\[int, str\]"):
        torch.jit.script(fn)


def test_dict_type_refinement_annotation_key_mismatch__list():
    """The list literal of test_dict_type_refinement_annotation_key_mismatch is a list of a union."""
    def fn():
        l1 = [1, 2, "foo", 3]
        return l1

    scripted = check_script(fn, ())
    assert str(scripted.graph.outputs[0].type) == "Union(int, str)[]"


def test_dict_type_refinement_annotation_value_mismatch():
    def fn():
        l1 = ["foo", "bar", "baz", "qux"]
        l2 = [1, 2, "foo", 3]
        d: Dict[str, int] = dict(zip(l1, l2))
        return d

    with pytest.raises(RuntimeError, match=r"Dict type annotation `Dict\[str, int\]` did not match the type of an "
                                           r"actual value type `Union\[int, str\]`"):
        torch.jit.script(fn)


def test_dict_invalid_annotations():
    def wrong_value_type(dictionary: Dict[str, torch.jit.ScriptModule]):
        return

    def wrong_key_type(dictionary: Dict[torch.jit.ScriptModule, str]):
        return

    def wrong_key_value_type(dictionary: Dict[torch.jit.ScriptModule, torch.jit.ScriptModule]):
        return

    for fn in (wrong_value_type, wrong_key_type, wrong_key_value_type):
        with pytest.raises(ValueError, match="Unknown type annotation"):
            torch.jit.script(fn)


def test_tuple_specialization():
    @torch.jit.script
    def f(t, s):
        # type: (Tuple[Tensor, Tuple[int, Tensor]], str) -> Tensor
        x, t2 = t
        _, y = t2
        return x + y

    t = (torch.randn(2, 2), (1, torch.randn(2, 2)))
    same(f(t, "hi"), t[0] + t[1][1])
    graph = f.graph_for(t, "hi")
    first = graph.inputs[0].type
    assert isinstance(first, TupleType)
    assert isinstance(first.elems[0], TensorType)
    assert isinstance(first.elems[1].elems[1], TensorType)


def test_tuple_io():
    def stuff(x):
        # type: (Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tensor]
        a, b = x
        return b, a

    check_script(stuff, ((torch.rand(3), torch.rand(3)),))


def test_tuple_keyword():
    def bar():
        f = tuple((1, 2))  # noqa: C409
        return f

    check_script(bar, ())

    def foo():
        return tuple(1, 2)

    with pytest.raises(Exception, match="1 argument"):
        torch.jit.script(foo)()

    def cant_infer_size():
        return tuple([1, 2, 3])  # noqa: C409

    with pytest.raises(Exception, match="cannot statically infer the expected"):
        torch.jit.script(cant_infer_size)


def test_tuple_create_return():
    def stuff2(x):
        # type: (int) -> Tuple[Tensor, Tensor]
        a = (torch.ones(x), torch.zeros(x))
        return a

    check_script(stuff2, (3,))


def test_list_io():
    def stuff3(x):
        # type: (List[int]) -> Tuple[Tensor, List[int]]
        return torch.ones(x), x

    check_script(stuff3, ([3, 2],))


def test_bool_list_io():
    @torch.jit.script
    def stuff4(x):
        # type: (List[bool]) -> Tuple[List[bool], List[bool], List[List[bool]]]
        return x, [True, False], [[True]]

    li_1, li_2, li_3 = stuff4([True])
    for li in [li_1, li_2, li_3[0]]:
        assert type(li[0]) is bool


def test_nested_list():
    def foo(z):
        # type: (Tuple[int, List[List[int]]]) -> int
        x, y = z
        return y[0][1]

    check_script(foo, ((1, [[1, 2], [3, 4]]),))


def test_list_sum():
    def fn(x: List[int]) -> int:
        return sum(x)

    def fn1(x: List[float]):
        return sum(x)

    def fn2(x: List[bool]):
        return sum(x)

    check_script(fn, ([1, 2, 3],))
    check_script(fn1, ([1.0, 2.0, 3.0],), ([1, 2.8, 3],))
    check_script(fn2, ([True, False, False],), ([False, False, False],))


def test_list_unification():
    def fn():
        return [1, None, 2]

    def fn2(x):
        return [torch.ones(2, 2), None, x]

    check_script(fn, ())
    check_script(fn2, (torch.ones(2, 2),))


def sum_list(a):
    # type: (List[int]) -> int
    sum = 0
    for i in a:
        sum += i
    return sum


def test_sum_list_diff_elms():
    check_script(sum_list, ([1, 2, 3, 4, 5],))


def test_sum_list_empty():
    check_script(sum_list, ([],))


def test_sum_list_one():
    check_script(sum_list, ([1],))


def test_sum_list_literal():
    def sum_list():
        # type: () -> int
        sum = 0
        for i in [1, 2, 3, 4, 5]:
            sum += i
        return sum

    check_script(sum_list, ())


def test_sum_list_wrong_type():
    def sum_list(a):
        # type: (int) -> int
        sum = 0
        for i in a:  # noqa: T484
            sum += i
        return sum

    with pytest.raises(RuntimeError, match="'int' object is not iterable"):
        torch.jit.script(sum_list)(1)


def test_list_iterables():
    def list_iterables(x):
        for i, j in [2, 3, 4], [5, 6, 7]:
            x += i
            x += j
        return x

    with pytest.raises(RuntimeError, match="List of iterables is not supported currently"):
        torch.jit.script(list_iterables)


def test_for_in_string():
    def test_strings(x):
        # type: (str) -> str
        reverse = ""
        for c in x:
            reverse = c + reverse
        return reverse

    check_script(test_strings, ("hello",), ("",))

    def test_list_strings(x):
        # type: (List[str]) -> str
        result = ""
        for sub_str in x:
            result += sub_str
        return result

    check_script(test_list_strings, (["hello", "world"],), (["hello", " ", "world", ""],))


def test_for_in_dict():
    def test_dicts(x):
        # type: (Dict[str, int]) -> int
        sum = 0
        for key in x:
            sum += x[key]
        return sum

    check_script(test_dicts, ({"a": 1, "b": 2, "c": 3},))


def test_for_tuple_unpack():
    def for_tuple_unpack(x, y):
        for i, j in [[3, 4], [5, 6], [7, 8]]:
            x += i
            y += j
        return x, y

    check_script(for_tuple_unpack, (torch.tensor(3), torch.tensor(5)))

    def nested_tuple_unpack(x, y):
        # type: (List[int], List[int]) -> int
        sum = 0
        for i, (j, k), v in zip(x, enumerate(x), y):
            sum += i + j + k + v
        return sum

    check_script(nested_tuple_unpack, ([1, 3, 5], [2, 4, 6]))


def test_dict_comprehension():
    def fn():
        return {i: chr(i + 65) for i in range(4)}

    check_script(fn, ())


def test_dict_comprehension_with_type_annotation():
    def fn():
        d: Dict[int, str] = {i: chr(i + 65) for i in range(4)}
        return d

    check_script(fn, ())

    def wrong():
        d: Tuple[int, str] = {i: chr(i + 65) for i in range(4)}
        return d

    with pytest.raises(RuntimeError, match="Expected an annotation of type Dict but got Tuple"):
        torch.jit.script(wrong)


def test_dict_comprehension_scope():
    def comprehension_can_access_outer_scope_variables():
        lst = ["foo", "bar", "baz"]
        return {s: len(s) for s in lst}

    check_script(comprehension_can_access_outer_scope_variables, ())


def test_for_tuple_assign():
    def test_simple_assign(x):
        # type: (Tuple[int, float]) -> float
        sum = 0.0
        for a in x:
            sum += float(a)
        return sum

    check_script(test_simple_assign, ((1, 2.5),))

    def test_tuple_assign(x):
        # type: (Tuple[Tuple[int, int], Tuple[int, int]]) -> int
        sum = 0
        for a in x:
            sum += a[0]
            sum += a[1]
        return sum

    check_script(test_tuple_assign, (((1, 2), (4, 7)),))


def test_singleton_tuple_unpack():
    def foo(a):
        (b,) = (a,)
        return b + 1

    check_script(foo, (torch.rand(3),))


def test_tuple_assignments__nested():
    def var_tuple_assign(x, y):
        # type: (Tuple[Tensor, Tensor], Tensor) -> Tensor
        (a, b), c = x, y
        return a + b + c

    check_script(var_tuple_assign, ((torch.randn(1, 4), torch.randn(3, 4)), torch.randn(3, 4)))

    def nested_tuple_assign(x, y, z):
        # type: (int, Tuple[int, Tuple[int, int]], Tuple[int, int]) -> int
        a, (b, (c, d)), (e, f) = x, y, z
        return a + b + c + d + e + f

    check_script(nested_tuple_assign, (1, (2, (3, 4)), (5, 6)))

    def subscript_tuple_assign(a, x, i):
        # type: (List[int], Tensor, int) -> Tuple[int, Tensor, int]
        a[i], (x[i], b) = 1, (2, 3)
        return a[i] + 1, x + 5, b

    check_script(subscript_tuple_assign, ([12, 7, 9, 11], torch.tensor((3, 13, 17)), 0))


def test_tuple_assignments__starred():
    def star_tuple_assign():
        # type: () -> Tuple[int, int, Tuple[int, int], Tuple[int, int]]
        a, (b, *c), *d = 1, (2, 3, 4), 5, 6
        return a, b, c, d

    # Python makes the starred names lists, TorchScript tuples (as the return type says)
    assert torch.jit.script(star_tuple_assign)() == (1, 2, (3, 4), (5, 6))


def test_tuple_assignments__augmented():
    def subscript_tuple_augmented_assign(a):
        # type: (Tuple[int, int]) -> Tuple[int, int]
        a[0] += 1
        return a

    with pytest.raises(RuntimeError, match="does not support augmented assign"):
        torch.jit.script(subscript_tuple_augmented_assign)


def test_multiple_assign():
    def test():
        a = b, c = d, f = (1, 1)

        # side effect
        ten = torch.tensor(1)
        ten1 = ten2 = ten.add_(1)

        # ordering
        x = 1
        y = 3
        x, y = y, x + y

        return a, b, c, d, f, ten, ten1, ten2, x, y

    check_script(test, ())


def test_opt_opt_refinement():
    @torch.jit.script
    def test_unify(weight, bias):
        # type: (Optional[int], Optional[int]) -> Optional[int]
        if weight is not None:
            opt = None
        else:
            if bias is not None:
                opt = 1
            else:
                opt = None

        return opt

    assert (test_unify(1, None), test_unify(None, 2), test_unify(None, None)) == (None, 1, None)


def test_optional_refinement():
    @torch.jit.script
    def test_if_none_assignment(x):
        # type: (Optional[int]) -> int
        if x is None:
            x = 1
        return x + 1

    assert test_if_none_assignment(1) == 2
    assert test_if_none_assignment(None) == 2


def test_optional_conversion__unwrap_and_unify():
    @torch.jit.script
    def other_fn(x=None):
        # type: (Optional[int]) -> int
        return torch.jit._unwrap_optional(x)

    @torch.jit.script
    def fn(x):
        # type: (int) -> int
        return other_fn(x)

    assert fn(2) == 2

    @torch.jit.script
    def unify_to_optional(x):
        # type: (bool) -> Optional[int]
        if x:
            a = None
        else:
            a = 2
        return a

    assert unify_to_optional(True) is None
    assert unify_to_optional(False) == 2


def test_optional_conversion__tuple_as_list():
    @torch.jit.script
    def opt_list(x):
        # type: (Optional[List[float]]) -> int
        return 2

    @torch.jit.script
    def broadcast_opt_list(x):
        # type: (Optional[BroadcastingList2[float]]) -> int
        return 2

    @torch.jit.script
    def opt_list_tuple_caller(x):
        # type: (Tuple[float, float]) -> int
        return opt_list(x) + broadcast_opt_list(x)

    assert opt_list_tuple_caller((2.0, 3.0)) == 4


def test_optional_tuple():
    def fn(x=None):
        # type: (Optional[Tuple[int, int]]) -> Tuple[int, int]
        if x is None:
            new_x = (1, 2)
        else:
            new_x = x
        return new_x

    check_script(fn, ((3, 4),), ())


@pytest.mark.xfail(strict=True, reason=NEEDS_NAMEDTUPLE)
def test_namedtuple_redefine():
    from collections import namedtuple
    first = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
    second = namedtuple("GoogLeNetOutputs", ["different"])

    def foo(x: first, y: second) -> first:
        return x

    with pytest.raises(RuntimeError, match="Can't redefine NamedTuple"):
        torch.jit.script(foo)


def test_namedtuple_py2():
    from collections import namedtuple
    outputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])

    def foo(x: outputs) -> outputs:
        return x

    vals = torch.rand(3), torch.rand(4), torch.rand(5)
    out = torch.jit.script(foo)(outputs(logits=vals[0], aux_logits2=vals[1], aux_logits1=vals[2]))
    same(out.logits, vals[0])


def test_namedtuple_good_error():
    from collections import namedtuple
    outputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])

    def foo(x: outputs) -> outputs:
        return x

    with pytest.raises(RuntimeError, match=r"aka NamedTuple\(logits, aux_logits2, aux_logits1\)"):
        torch.jit.script(foo)(outputs(logits="3", aux_logits2="4", aux_logits1="5"))


def test_namedtuple_error_source_attribution():
    from typing import NamedTuple

    class _NamedTupleBadMemberType(NamedTuple):
        f1: torch.Tensor
        f2: "ABadForwardRefType"  # noqa: F821

    def fn(x: _NamedTupleBadMemberType) -> torch.Tensor:
        return x.f1.relu()

    with pytest.raises(ValueError, match="at +File"):
        torch.jit.script(fn)


class _BaseModule(torch.nn.Module):
    state: List[int]

    def forward(self, x):
        pass


def _do_something_with_list(x: List[int]):
    if x:
        return x[-1]
    return 5


class _Submodule(_BaseModule):
    def __init__(self, self_x_value):
        super().__init__()
        self.x = self_x_value
        self.state = []

    def forward(self, x):
        return self.x + x + _do_something_with_list(self.state)


class _LowestModule(_Submodule):
    def __init__(self):
        super().__init__(123)


def test_inherited_annotations_python_310():
    mod, mod2 = _LowestModule(), _LowestModule()
    mod_s, mod2_s = torch.jit.script(mod), torch.jit.script(mod2)
    x = torch.ones(2)
    same(mod_s(x), mod(x))
    same(mod2_s(x), mod2(x))
    buffer = io.BytesIO()
    torch.jit.save(mod_s, buffer)
    same(torch.jit.load(io.BytesIO(buffer.getvalue()))(x), mod(x))

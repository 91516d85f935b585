"""The script language, construct by construct: each scripted function must return exactly
what the Python function returns, on inputs that take every branch and every loop count
(zero-trip loops included)."""
import math
from typing import List, Optional, Tuple

import pytest
from programs import my_function_of_ints as my_function
from script_util import check, kinds, same

import minitorch_jit as torch
from minitorch_jit.nn import functional as F

T = torch.tensor
SCALE = 3  # a global int constant, baked in


# -- numbers -----------------------------------------------------------------------------------------


def arith(a: int, b: int, x: float):
    return a + b, a - b, a * b, a / b, a // b, a % b, -a, a ** 2, x * a, x / b, x // b, x % b, a < x, \
        abs(a), min(a, b), max(a, b), float(a), int(x), bool(a), round(x), round(x, 2), a & b, a | b, a ^ b


@pytest.mark.parametrize("a,b,x", [(7, 2, 2.5), (-7, 2, -2.5), (7, -2, 0.5), (0, 3, 3.5), (5, 5, -0.0)])
def test_int_float_arithmetic_has_python_semantics(a, b, x):
    check(arith, (a, b, x))


def powers(a: int, b: int):
    return a ** b, abs(a) ** 0.5, 2.0 ** a


def test_int_power_is_int_and_negative_powers_are_refused():
    s = check(powers, (3, 4), (2, 0), (-3, 3))
    with pytest.raises(RuntimeError, match="negative integer powers"):
        s(2, -1)


def float_powers(a: float, b: float, n: int):
    return a ** b, a ** n, n ** a, math.pow(a, b), math.pow(a, n), math.pow(n, n), math.pow(n, a), 2 ** 0.5


@pytest.mark.parametrize("a,b,n", [(2.5, 0.5, 3), (-2.0, 3.0, 2), (0.5, -1.5, 1), (4.0, 0.0, 0)])
def test_float_powers_and_math_pow_take_every_mix_of_int_and_float(a, b, n):
    check(float_powers, (a, b, n))


def test_float_powers_refuse_complex_results_and_zero_to_a_negative_power():
    s = torch.script(float_powers)
    with pytest.raises(ValueError, match="math domain error"):  # Python's ** would give a complex number
        s(-8.0, 1 / 3, 1)
    with pytest.raises(ZeroDivisionError, match="0.0 cannot be raised to a negative power"):
        s(0.0, -1.0, 1)


def bool_arithmetic(b: bool, n: int, x: float):
    return b + n, b * x, True + True, b - x, -b, b / 2, b // 1, b % 2, b & True, b | False, b * n, n + x


@pytest.mark.parametrize("b,n,x", [(True, 3, 1.5), (False, -2, 0.5)])
def test_bool_arithmetic_counts_bools_as_ints(b, n, x):
    check(bool_arithmetic, (b, n, x))


def math_module(x: float, n: int):
    return math.sqrt(x), math.exp(x), math.log(x), math.log(x, 2), math.floor(x), math.ceil(x), math.pi * n, \
        math.isnan(x), math.isinf(math.inf), math.atan2(x, 1.0), math.trunc(-x), math.gcd(n, 6), math.e


def test_math_functions_and_constants():
    check(math_module, (2.5, 4), (0.25, 9))


def comparisons(a: int, b: int, c: int):
    return a < b < c, a == b != c, not a < b, a <= b >= c, 0 < a


@pytest.mark.parametrize("a,b,c", [(1, 2, 3), (3, 2, 1), (2, 2, 2), (0, 5, 1)])
def test_chained_comparisons(a, b, c):
    check(comparisons, (a, b, c))


def defaults_and_keywords(x, n: int = 2, scale: float = 0.5, flag: bool = False):
    y = x * n * scale
    return -y if flag else y


def test_defaults_and_keyword_calls():
    s = check(defaults_and_keywords, (T([1.0, 2.0]),), (T([1.0]), 3), (T([1.0]), 3, 2.0, True))
    same(s(T([1.0]), flag=True, n=4), defaults_and_keywords(T([1.0]), flag=True, n=4))


def unannotated_defaults(x, t=2, eps=1e-5, name="x"):
    return x * t + eps, name


def test_unannotated_parameters_with_defaults_take_the_default_type():
    s = check(unannotated_defaults, (T([1.0]),), (T([1.0]), 3, 0.5, "y"))
    assert [str(v.type) for v in s.graph.inputs] == ["Tensor", "int", "float", "str"]


# -- control flow ----------------------------------------------------------------------------------


def test_my_function_keeps_its_control_flow():
    s = check(my_function, (torch.ones(2, 2),), (torch.ones(2, 2).add_(1.0),))
    assert s(torch.ones(2, 2).add_(1.0)) == 1 and s(torch.ones(2, 2)) == 2
    assert str(s.graph) == """graph(%x : Tensor):
  %1 : Tensor = aten::mean(%x)
  %2 : float = prim::Constant[value=1.0]()
  %3 : Tensor = aten::gt(%1, %2)
  %4 : bool = prim::Bool(%3)
  %r : int = prim::If(%4)
    block0():
      %5 : int = prim::Constant[value=1]()
      -> (%5)
    block1():
      %6 : int = prim::Constant[value=2]()
      -> (%6)
  return (%r)
"""


def elif_chain(x, n: int):
    if n < 0:
        y = x.neg()
    elif n == 0:
        y = x * 0
    elif n < 10:
        y = x + n
    else:
        y = x * n
    return y


def test_if_elif_else_takes_every_branch():
    check(elif_chain, *[(T([1.0, -2.0]), n) for n in (-1, 0, 5, 20)])


def tensor_condition(x):
    if x.sum() > 0:  # implicit bool() of a one-element tensor, as in Python
        return x
    return -x


def test_tensor_conditions_convert_with_bool():
    check(tensor_condition, (T([1.0, 2.0]),), (T([-1.0, -2.0]),))


def short_circuit(l: List[int], i: int):
    ok = i < len(l) and l[i] > 0
    other = i >= len(l) or l[i] < 0
    return ok, other, not ok


def test_and_or_short_circuit():
    check(short_circuit, ([1, -2, 3], 0), ([1, -2, 3], 1), ([1, -2, 3], 5))


def conditional_expression(x, n: int):
    y = x * 2 if n > 0 else x - 1
    z = 1 if n > 5 else 0
    return y, z


def test_conditional_expressions():
    check(conditional_expression, (T([1.0]), 1), (T([1.0]), 10), (T([1.0]), -1))


def ranges(n: int):
    total, i = 0, -100
    for i in range(n):
        total += i
    for i in range(2, n):
        total += 10 * i
    for i in range(n, 0, -2):
        total -= i
    for i in range(-n, n, 3):
        total += i * i
    return total, i


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_for_over_range_with_one_to_three_arguments_and_negative_steps(n):
    check(ranges, (n,))


def loop_variable_after_the_loop(n: int):
    i = -1
    for i in range(n):
        pass
    return i


def test_the_loop_variable_keeps_its_last_value_or_its_old_one_after_zero_trips():
    check(loop_variable_after_the_loop, (0,), (3,))


def dim_loop(x):
    for i in range(x.dim()):
        x = x * x
    return x


def test_for_over_dim_multiplies_once_per_dimension():
    s = check(dim_loop, (torch.rand(5),), (torch.rand(2, 3),), (torch.tensor(1.5),))
    assert str(s.graph) == """graph(%x : Tensor):
  %1 : int = aten::dim(%x)
  %2 : bool = prim::Constant[value=True]()
  %x.2 : Tensor = prim::Loop(%1, %2, %x)
    block0(%i : int, %x.1 : Tensor):
      %x.3 : Tensor = aten::mul(%x.1, %x.1)
      %3 : bool = prim::Constant[value=True]()
      -> (%3, %x.3)
  return (%x.2)
"""


def iterate_containers(xs: List[float], t, pair: Tuple[int, float]):
    total = 0.0
    for v in xs:
        total += v
    rows = []
    for row in t:
        rows.append(row.sum())
    for p in pair:
        total += p
    for i, v in enumerate(xs):
        total += i * v
    for a, b in zip(xs, [1.0, 2.0]):
        total += a * b
    return total, rows


def test_for_over_lists_tensors_tuples_enumerate_and_zip():
    check(iterate_containers, ([1.5, 2.5, 3.0], torch.ones(3, 2), (2, 0.5)),
          ([], torch.ones(0, 2), (0, 0.0)))


def while_loop(n: int):
    i, acc = 0, 1
    while i < n:
        acc *= 2
        i += 1
    return acc


def test_while_loops_and_zero_trip_while():
    s = check(while_loop, (0,), (5,))
    loop = next(n for n in s.graph.all_nodes() if n.kind == "prim::Loop")
    assert loop.inputs[0].constant == 9223372036854775807


def break_continue(xs: List[int]):
    found = -1
    skipped = 0
    for i in range(len(xs)):
        if xs[i] < 0:
            skipped += 1
            continue
        if xs[i] > 100:
            found = i
            break
        skipped -= 1
    return found, skipped


@pytest.mark.parametrize("xs", [[], [1, 2], [-1, 200, 3], [5, -5, -6, 101, 102], [200]])
def test_break_and_continue(xs):
    check(break_continue, (xs,))


def while_break(n: int):
    i = 0
    while True:
        i += 1
        if i >= n:
            break
    return i


def test_while_true_with_break():
    check(while_break, (1,), (4,))


def early_returns(x, n: int):
    if n == 0:
        return x
    for i in range(n):
        x = x + 1
        if bool(x.sum() > 10):
            return x * 100
    while n > 0:
        n -= 1
        if n == 3:
            return x - 3
    return x * 0


@pytest.mark.parametrize("n", [0, 1, 2, 5, 40])
def test_return_anywhere(n):
    check(early_returns, (torch.ones(2), n))


def nested_loop_return(m: List[List[int]], target: int):
    for i in range(len(m)):
        for j in range(len(m[i])):
            if m[i][j] == target:
                return i, j
    return -1, -1


def test_return_from_nested_loops():
    m = [[1, 2], [], [3, 4, 5]]
    check(nested_loop_return, (m, 4), (m, 1), (m, 9), ([], 1))


def returns_only_in_loop(n: int):
    while True:
        n += 1
        if n % 7 == 0:
            return n


def test_a_while_true_loop_that_only_returns():
    s = check(returns_only_in_loop, (0,), (7,))
    assert str(s.graph.outputs[0].type) == "int"


def joined_with_none(x, c: bool):
    if c:
        y = None
    else:
        y = x * 2
    if y is None:
        return x
    return y + 1


def test_none_and_a_tensor_on_two_branches_join_to_an_optional():
    s = check(joined_with_none, (T([1.0, 2.0]), True), (T([1.0, 2.0]), False))
    if_node = next(n for n in s.graph.nodes if n.kind == "prim::If")
    assert [str(o.type) for o in if_node.outputs] == ["Tensor?"]


def maybe_none(n: int):
    if n > 0:
        return n
    return None


def test_returning_none_on_some_paths_gives_an_optional():
    s = check(maybe_none, (1,), (-1,))
    assert str(s.graph.outputs[0].type) == "int?"


# -- assignment ---------------------------------------------------------------------------------------


def unpacking(x):
    a, b = x.chunk(2)
    c, d = torch.max(x, dim=0)
    (e, f), g = (a, b), 3
    values, indices = x.max(1)
    h, i = x.split(1)
    return a + b + c + e + f + h + i, d, g, values, indices


def test_tuple_unpacking_of_chunk_split_and_max():
    check(unpacking, (T([[1.0, 5.0], [3.0, 2.0]]),))


def augmented(x, l: List[int], n: int):
    y = x
    y += 1  # in place: x changes too, as in Python
    x *= 2
    l += [n]
    n += 3
    n *= 2
    n //= 3
    z = x.clone()
    z[0] += 5
    return x, y, l, n, z


def test_augmented_assignment_is_in_place_for_tensors_and_lists():
    check(augmented, (T([1.0, 2.0]), [1], 4))


def annotated_variables(n: int):
    xs: List[int] = []
    h: Optional[torch.Tensor] = None
    for i in range(n):
        xs.append(i)
        h = torch.zeros(i)
    f: float = 1.0
    return xs, h, f


def test_annotated_assignments():
    s = check(annotated_variables, (0,), (3,))
    assert "float" == str(s.graph.outputs[0].type).split(", ")[-1].rstrip(")")


# -- lists, tuples, strings ---------------------------------------------------------------------


def lists(xs: List[int], k: int):
    ys = [1, 2, 3]
    ys.append(k)
    n = len(ys)
    first, last = ys[0], ys[-1]
    mid = ys[1:3]
    every = ys[::2]
    back = ys[::-1]
    both = xs + ys
    has = k in ys
    missing = 42 not in xs
    ys[1] = 7
    squares = [i * i for i in range(k)]
    evens = [v for v in xs if v % 2 == 0]
    return n, first, last, mid, every, back, both, has, missing, ys, squares, evens, max(xs + [0])


@pytest.mark.parametrize("xs,k", [([1, 2, 3, 4], 3), ([], 0), ([5, 42], 7)])
def test_list_operations_and_comprehensions(xs, k):
    check(lists, (xs, k))


def more_list_and_string_methods(l: List[int], word: str):
    l.extend([5, 6])
    l.insert(0, 9)
    last = l.pop()
    first = l.pop(0)
    return l, last, first, l == [1, 5], 3 in (1, 2, 3), "a" in word, "{}-{}".format(word, first)


def test_more_list_and_string_methods():
    check(more_list_and_string_methods, ([1], "cat"), ([], "dog"))


def tensor_lists(x, n: int):
    parts = [x * i for i in range(n)]
    parts.append(x)
    return torch.stack(parts), torch.cat(parts), len(parts)


def test_lists_of_tensors():
    check(tensor_lists, (T([1.0, 2.0]), 0), (T([1.0, 2.0]), 3))


def tuples(t: Tuple[int, float, str]):
    a = t[0]
    b = t[-1]
    c = t[:2]
    n = len(t)
    return (a, b), c, n, t


def test_tuples_index_slice_and_return():
    check(tuples, ((1, 2.5, "x"),))


def strings(name: str, n: int, x):
    s = "hello " + name
    msg = f"{name} has {n} items, {n / 3} each, x={x}, {{braces}} {{}}"
    return s, msg, s == "hello world", len(s), str(n), f"{x.sum()}"


def test_strings_and_f_strings():
    check(strings, ("world", 7, T([1.0, 2.0])), ("", 0, T([0.5])))


def printing(x, n: int):
    print("value", n, x, [1, 2], (n, "a"))
    return x


def test_print_is_a_side_effect_node(capsys):
    s = check(printing, (T([1.0, 2.0]), 3))
    # Python's line, the scripted function's, then one from each run of the differential
    # check (no passes, optimized, fused) on these arguments and on random ones: printing is
    # never optimized away
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["value 3 tensor([1., 2.]) [1, 2] (3, 'a')"] * 5
    assert len(lines) == 8 and lines[5] == lines[6] == lines[7] != lines[0]
    assert "prim::Print" in kinds(s.graph)


def assertion(x, n: int):
    assert n >= 0, f"n must not be negative, got {n}"
    assert x.numel() > 0
    if n > 100:
        raise ValueError("n is too large")
    return x * n


def raise_exception(n: int):
    if n > 0:
        raise Exception(f"positive: {n}")
    return n


def test_raise_exception_is_a_raise_node_that_raises_at_run_time():
    s = check(raise_exception, (0,), (-3,))
    raise_node = next(n for n in s.graph.all_nodes() if n.kind == "prim::RaiseException")
    assert raise_node.inputs[1].constant == "Exception"
    with pytest.raises(Exception, match="positive: 4") as info:
        s(4)
    # TorchScript raises torch.jit.Error; here it is also the class the code raised, as in Python
    assert type(info.value).__name__ == "Exception" and isinstance(info.value, torch.jit.Error)


def test_assert_and_raise():
    s = check(assertion, (T([1.0]), 3))
    with pytest.raises(AssertionError, match="n must not be negative, got -1"):
        s(T([1.0]), -1)
    with pytest.raises(AssertionError):
        s(torch.ones(0), 1)
    with pytest.raises(ValueError, match="n is too large"):
        s(T([1.0]), 101)


# -- Optional ------------------------------------------------------------------------------------


def optional_refinement(x, bias: Optional[torch.Tensor] = None, scale: Optional[float] = None):
    if bias is not None:
        x = x + bias
    if scale is None:
        return x
    return x * scale


def test_optional_is_refined_by_is_none_checks():
    check(optional_refinement, (T([1.0]),), (T([1.0]), T([2.0])), (T([1.0]), None, 3.0), (T([1.0]), T([1.0]), 2.0))


def optional_forms(a: Optional[int], b: int | None = None, c: "Optional[int]" = None):
    assert a is not None
    total = a
    if b != None:  # noqa: E711 - this form refines too
        total += b
    if c is not None and c > 0:
        total += c
    return total


def test_optional_spellings_and_refinement_by_assert_and_and():
    check(optional_forms, (1,), (1, 2), (1, 2, 3), (1, None, -3))


def optional_early_exit(x: Optional[int], y: Optional[torch.Tensor]):
    if x is None:
        return 0
    if not isinstance(y, torch.Tensor):
        raise ValueError("y is needed")
    return x + int(y.sum())


def test_optional_is_refined_after_an_early_return_or_raise():
    s = check(optional_early_exit, (None, None), (2, T([1.0, 2.0])))
    with pytest.raises(ValueError, match="y is needed"):
        s(1, None)


def pep585(xs: list[int], t: tuple[int, int]) -> list[int]:
    return xs + [t[0]]


def test_pep585_annotations():
    check(pep585, ([1], (2, 3)))


# -- tensors --------------------------------------------------------------------------------------


def tensor_ops(x, y):
    a = torch.exp(x) + y.sigmoid() - F.relu(x - y)
    b = 2 * x - 1.5 / (y + 3) + x ** 2 - 2 ** y
    c = x @ y.t() if x.dim() == 2 else x * y
    d = torch.where(x > y, x, y).sum(dim=-1, keepdim=True)
    e = x.view(-1).shape[0] + x.size(0) + x.dim()
    f = torch.zeros(2, dtype=x.dtype) + x.to(torch.float64).sum()
    return a, b, c, d, e, (x > 0) & (y < 0), x.mean().item(), f


def test_tensor_ops_operators_and_reflected_operators():
    check(tensor_ops, (torch.randn(3, 4), torch.randn(3, 4)), (torch.randn(4), torch.randn(4)))


def indexing(x, i: int, idx, mask):
    return (x[0], x[-1], x[i], x[1:3], x[::2], x[:, None], x[None], x[..., 0], x[0, 1:], x[idx], x[mask],
            x[:, 1], x[i, ...], x.shape[1], x[:, [0, 2]])


def test_indexing_and_slicing():
    x = torch.arange(12.0).view(3, 4)
    check(indexing, (x, 1, torch.tensor([2, 0]), x > 5), (x, -2, torch.tensor([1]), x < 0))


def index_assignment(x, i: int, mask):
    x[0] = 1.5
    x[i] = torch.tensor([7.0, 8.0, 9.0, 10.0])
    x[:, 1] = -1
    x[mask] = 0.0
    x[..., -1] = x[..., 0]
    return x


def test_index_assignment():
    x = torch.arange(12.0).view(3, 4)
    check(index_assignment, (x, 2, x > 8), (x, -1, x < 0))


def lunif2(x, t=2):
    t = 2
    xnorm = torch.norm(x, p=2, dim=1).pow(2)
    sq_pdist = xnorm[None] + xnorm[:, None] - 2 * torch.mm(x, x.t())
    exp = sq_pdist.mul(-t).exp().tril(diagonal=-1)
    N = x.size(0)
    res = exp.sum().mul(2 / (N * N - N)).log()
    return res


def test_the_seeds_uniformity_loss():
    torch.manual_seed(0)
    s = check(lunif2, (torch.randn(16, 4),), (torch.randn(32, 8).double(),))
    assert "aten::tril" in kinds(s.graph) and "aten::unsqueeze" in kinds(s.graph)


def ratio_iou(x1, y1, w1, h1, x2, y2, w2, h2, eps=1e-5):
    xi = torch.max(x1, x2)
    yi = torch.max(y1, y2)
    wi = torch.clamp(torch.min(x1 + w1, x2 + w2) - xi, min=0)
    hi = torch.clamp(torch.min(y1 + h1, y2 + h2) - yi, min=0)
    area_i = wi * hi
    area_u = w1 * h1 + w2 * h2 - wi * hi
    return area_i / torch.clamp(area_u, min=eps)


def ratio_iou_scripted(x1, y1, w1, h1, x2, y2, w2, h2):
    xi = torch.max(x1, x2)
    yi = torch.max(y1, y2)
    wi = torch.clamp(torch.min(x1 + w1, x2 + w2) - xi, min=0, max=math.inf)
    hi = torch.clamp(torch.min(y1 + h1, y2 + h2) - yi, min=0, max=math.inf)
    area_i = wi * hi
    area_u = w1 * h1 + w2 * h2 - wi * hi
    return area_i / torch.clamp(area_u, min=1e-5, max=math.inf)


def test_the_seeds_ratio_iou():
    torch.manual_seed(0)
    boxes = tuple(torch.randn(8, 100).exp())
    check(ratio_iou, boxes)
    check(ratio_iou_scripted, boxes)


# -- calls ------------------------------------------------------------------------------------------


def helper(x, k: int = 1):
    if k > 1:
        return x * k
    return x


@torch.script
def scripted_helper(x):
    return x.relu()


def caller(x, n: int):
    y = helper(x) + helper(x, k=n) + scripted_helper(x) * SCALE
    return y


def test_calls_to_python_and_script_functions_become_call_nodes():
    s = check(caller, (T([-1.0, 2.0]), 3))
    assert kinds(s.graph).count("prim::CallFunction") == 3
    call = next(n for n in s.graph.nodes if n.kind == "prim::CallFunction")
    assert call.attrs["name"] == "helper" and "prim::If" in kinds(call.subgraph)


def test_closures_are_baked_in_as_constants():
    factor, names = 4, ("a", "b")

    def closure(x):
        return x * factor, names[1]

    s = check(closure, (T([1.0]),))
    assert "prim::CallFunction" not in kinds(s.graph)


def test_closures_that_are_functions_are_compiled_as_calls():
    def double(y):
        return y * 2

    @torch.script
    def increment(y):
        return y + 1

    def outer(x, n: int):
        for _ in range(n):
            x = double(x) + increment(x)
        return x

    s = check(outer, (T([1.0, -2.0]), 0), (T([1.0, -2.0]), 3))
    calls = [n.attrs["name"] for n in s.graph.all_nodes() if n.kind == "prim::CallFunction"]
    assert calls == ["double", "increment"]


def called_every_way(x, n: int = 2, scale: float = 0.5, *, bias: int):
    return x * n * scale + bias


def test_script_functions_take_arguments_as_python_does_and_refuse_the_wrong_ones():
    s = torch.script(called_every_way)
    x = T([1.0, 2.0])
    for args, kwargs in [((x,), {"bias": 0}), ((x, 3), {"bias": 0}), ((x, 3, 2.0), {"bias": 1}),
                         ((x,), {"scale": 4.0, "bias": 0}), ((), {"x": x, "n": 5, "bias": 1}),
                         ((x, 1), {"bias": -1, "scale": 1.0})]:
        same(s(*args, **kwargs), called_every_way(*args, **kwargs))
    with pytest.raises(TypeError, match="too many positional arguments"):
        s(x, 1, 1.0, 2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'm'"):
        s(x, m=1, bias=0)
    with pytest.raises(TypeError, match="missing a required argument: 'x'"):
        s(n=1, bias=0)
    with pytest.raises(TypeError, match="Expected a value of type 'int' for argument 'n' but instead found type 'str'"):
        s(x, "2", bias=0)
    assert s.code.startswith("def called_every_way(x, n, scale, bias):\n")
    assert "aten.mul" in s.code


def isinstance_checks(x, n: int, l: List[int]):
    a = isinstance(x, torch.Tensor)
    b = isinstance(n, float)
    c = isinstance(l, list)
    return a, b, c


def annotate_and_is_scripting(n: int):
    xs = torch.jit.annotate(List[int], [])
    for i in range(n):
        xs.append(i)
    return xs, torch.jit.is_scripting()


def test_annotate_and_is_scripting_work_in_python_and_in_script():
    assert annotate_and_is_scripting(2) == ([0, 1], False)
    assert torch.script(annotate_and_is_scripting)(2) == ([0, 1], True)


def test_isinstance_is_answered_from_the_types():
    check(isinstance_checks, (T([1.0]), 1, [1]))


def test_disable_returns_the_python_function(monkeypatch):
    monkeypatch.setenv("MINITORCH_JIT_DISABLE", "1")
    assert torch.script(helper) is helper
    assert torch.jit.script(helper) is helper


def test_the_printed_graphs_parse_back():
    for fn in (early_returns, nested_loop_return, lists, index_assignment, optional_refinement):
        from script_util import roundtrip
        roundtrip(torch.script(fn).graph)

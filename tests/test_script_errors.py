"""Every construct outside the script language, and every type error, is a ScriptError raised
when the function is scripted, naming the file, line and column, showing the source line
with a caret under the offending construct, and saying what is wrong (and the fix)."""
import functools
import inspect
from typing import List, Optional, Tuple

import numpy as np
import pytest
from script_util import same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.scripter import ScriptError, UnsupportedNodeError

GLOBAL_TENSOR = torch.ones(2)


def expect_error(fn, message, marked, fix=None, cls=ScriptError, scripted=None):
    """Scripting ``fn`` (or ``scripted``, e.g. a module whose method ``fn`` is) fails with
    ``message``, pointing at the part of ``marked`` between « and » (``marked`` is text of one
    line of ``fn``'s source, the offending construct marked): that line, that column, and a
    caret under exactly that part in the report."""
    with pytest.raises(cls) as info:
        torch.script(fn if scripted is None else scripted)
    e = info.value
    assert message in e.msg, str(e)
    text = marked.replace("«", "").replace("»", "")
    lines, first = inspect.getsourcelines(fn)
    k, line = next((k, line) for k, line in enumerate(lines) if text in line)
    col = line.index(text) + marked.index("«")
    width = marked.index("»") - marked.index("«") - 1
    assert (e.lineno, e.col) == (first + k, col + 1), str(e)
    assert e.filename == fn.__code__.co_filename
    report = str(e).splitlines()
    at = report.index("    " + line.rstrip())
    assert report[at + 1] == " " * (4 + col) + "^" * width, str(e)
    if fix is not None:
        assert e.fix and fix in e.fix, e.fix
    return e


# -- syntax outside the language -----------------------------------------------------------------


def uses_try(x):
    try:
        return x + 1
    except RuntimeError:
        return x


def uses_with(x):
    with torch.no_grad():
        return x


def uses_yield(x):
    for i in range(3):
        yield x * i


def uses_lambda(x):
    f = lambda v: v * 2  # noqa: E731
    return f(x)


def uses_args(x, *args):
    return x


def uses_kwargs(x, **kwargs):
    return x


COUNTER = 0


def uses_global(x):
    global COUNTER
    return x


def make_nonlocal():
    n = 0

    def uses_nonlocal(x):
        nonlocal n
        return x
    return uses_nonlocal


def uses_class(x):
    class Local:
        pass
    return x


def uses_nested_def(x):
    def inner(y):
        return y
    return inner(x)


def uses_starred_target(xs: List[int]):
    a, *rest = xs
    return a


def uses_starred_call(xs: List[int]):
    return max(*xs)


def uses_walrus(x):
    if (n := x.sum()) > 0:
        return n
    return x


def uses_match(n: int):
    match n:
        case 1:
            return 1
    return 0


async def uses_async(x):
    return x


def wrapping(f):
    @functools.wraps(f)
    def wrapper(*args):
        return f(*args)
    return wrapper


@wrapping
def uses_decorator(x):
    return x


def uses_set_comprehension(xs: List[int]):
    return len({v for v in xs})


def uses_generator(xs: List[int]):
    return max(v for v in xs)


def uses_import(x):
    import os  # noqa: F401 - the import statement is what the scripter must refuse
    return x


def uses_two_fors(xs: List[int]):
    return [a * b for a in xs for b in range(a) if b > 1]


def uses_for_else(xs: List[int]):
    for v in xs:
        pass
    else:
        return 1
    return 0


SYNTAX = [
    (uses_try, "try/except is not supported in script functions", "«try:»", "`if` and `raise`"),
    (uses_with, "with statements are not supported in script functions", "«with torch.no_grad():»", None),
    (uses_yield, "yield (generators) is not supported", "«yield x * i»", "return a list"),
    (uses_lambda, "lambda is not supported in script functions", "f = «lambda v: v * 2»", "def"),
    (uses_args, "`*args` is not supported in script functions", "«*args»", "named parameters"),
    (uses_kwargs, "`**kwargs` is not supported in script functions", "«**kwargs»", "named parameters"),
    (uses_global, "global statements are not supported", "«global COUNTER»", "pass the value"),
    (make_nonlocal(), "nonlocal statements are not supported", "«nonlocal n»", None),
    (uses_class, "class definitions inside script functions are not supported", "«class Local:»", "module level"),
    (uses_nested_def, "nested function definitions are not supported", "«def inner(y):»", "module level"),
    (uses_starred_target, "starred assignment targets are not supported", "a, «*rest»", None),
    (uses_starred_call, "`*args` in calls is not supported", "max(«*xs»)", None),
    (uses_walrus, "the walrus operator := is not supported", "(«n := x.sum()»)", None),
    (uses_match, "match statements are not supported", "«match n:»", "if/elif"),
    (uses_decorator, "decorator @wrapping replaced the function by a wrapper", "@«wrapping»", "the function it wraps"),
    (uses_set_comprehension, "set comprehensions are not supported", "len(«{v for v in xs}»)", None),
    (uses_generator, "generator expressions are not supported", "max«(v for v in xs)»", "list comprehension"),
    (uses_import, "import statements are not supported", "«import os»", None),
    (uses_for_else, "for/else is not supported", "«return 1»", "flag"),
    (uses_two_fors, "list comprehensions with more than one `for` are not supported", "for «b in range(a) if b > 1»]",
     "nest the loops"),
]


@pytest.mark.parametrize("fn,message,snippet,fix", SYNTAX, ids=[s[0].__name__ for s in SYNTAX])
def test_syntax_outside_the_language(fn, message, snippet, fix):
    expect_error(fn, message, snippet, fix,
                 cls=UnsupportedNodeError if fn not in (uses_decorator, uses_two_fors) else ScriptError)


def test_async_functions_are_refused():
    e = expect_error(uses_async, "async functions are not supported", "«async def uses_async(x):»")
    assert isinstance(e, UnsupportedNodeError)


def test_lambdas_cannot_be_scripted():
    with pytest.raises(UnsupportedNodeError, match="lambda functions cannot be scripted") as info:
        torch.script(lambda x: x)
    assert info.value.lineno is not None


def test_functions_without_source_give_a_clear_error():
    namespace = {}
    exec("def made(x):\n    return x\n", namespace)
    with pytest.raises(ScriptError, match="cannot get the source code of made") as info:
        torch.script(namespace["made"])
    assert "defined in a file" in str(info.value)


# -- type errors ------------------------------------------------------------------------------------


def branch_types(x, c: bool):
    if c:
        y = 1
    else:
        y = x
    return y + 1


def str_plus_tensor(x):
    return "total: " + x


def callee(x, n: int):
    return x * n


def wrong_arity(x):
    return callee(x, 1, 2)


@torch.jit.script
def scripted_callee(x, n: int):
    return x * n


def script_callee_keyword(x):
    return scripted_callee(x, m=2)


def wrong_type(x):
    return callee(x, x)


def different_returns(x, c: bool):
    if c:
        return x
    return 1


def undefined_on_a_path(x, c: bool):
    if c:
        y = x
    return y


def loop_type_change(n: int):
    x = 0
    for i in range(n):
        x = x + 0.5
    return x


def none_then_tensor(x, n: int):
    h = None
    for i in range(n):
        h = x
    return h


def bad_return_annotation(x) -> int:
    return x


def bad_variable_annotation(x):
    n: int = x
    return n


def optional_without_refinement(x: Optional[torch.Tensor]):
    return x + 1


def unknown_name(x):
    return x + undefined_thing


def unknown_tensor_method(x):
    return x.frobnicate()


def unknown_torch_function(x):
    return torch.frobnicate(x)


def calls_open(path: str):
    return open(path)


def calls_numpy(x):
    return np.sum(x)


def bad_op_arguments(x):
    return torch.tanh(x, 1)


def tuple_index_not_constant(t: Tuple[int, float], i: int):
    return t[i]


def break_in_unrolled(t: Tuple[int, int]):
    total = 0
    for v in t:
        if v > 1:
            break
        total += v
    return total


def recursive(n: int):
    if n == 0:
        return 0
    return recursive(n - 1)


def used_before_assignment(x):
    y = z + x
    z = 1
    return y


def captures_tensor(x):
    return x + GLOBAL_TENSOR


def bad_annotation(x: dict):
    return x


def chained_tensors(x):
    return 0 < x < 1


def and_of_tensors(x, y):
    return (x > 0) and (y > 0)


def only_in_loop(n: int):
    for i in range(n):
        last = i
    return last


def unpack_mismatch(x):
    a, b, c = (x, x)
    return a


def none_default_unannotated(x, bias=None):
    return x


def append_to_untyped_list(n: int):
    out = []
    out.append(n)
    return out


def unannotated_count(x, n):
    for i in range(n):
        x = x + i
    return x


def as_tuple_not_constant(x, flag: bool):
    return torch.nonzero(x, as_tuple=flag)


def raises_custom(x):
    raise KeyboardInterrupt("stop")


TYPE_ERRORS = [
    (branch_types, "Type mismatch: y is set to type int in the true branch and type Tensor in the false branch",
     "return «y» + 1",
     "one type on every path"),
    (str_plus_tensor, "unsupported operand types for +: str and Tensor", 'return «"total: " + x»', "f-strings"),
    (wrong_arity, "callee(): Expected at most 2 arguments but found 3 positional arguments", "return «callee(x, 1, 2)»", None),
    (script_callee_keyword, "scripted_callee() got an unexpected keyword argument 'm'", "scripted_callee(x, m=«2»)",
     None),
    (wrong_type, "callee(): Expected a value of type 'int' for argument 'n' but instead found type 'Tensor'", "callee(x, «x»)", None),
    (different_returns, "return statements return values of different types: Tensor and int", "«return 1»", None),
    (undefined_on_a_path, "'y' is not defined in the else branch", "return «y»", "on every path"),
    (loop_type_change, "Variable 'x' previously had type int but is now being assigned to a value of type float",
     "«x» = x + 0.5", "same type"),
    (none_then_tensor, "Variable 'h' previously had type None but is now being assigned to a value of type Tensor",
     "«h» = x", "h: Optional[Tensor] = None"),
    (bad_return_annotation, "Return value was annotated as having type int but is actually of type Tensor",
     "«return x»", None),
    (bad_variable_annotation, "Variable 'n' is annotated with type int but is being assigned to a value of type Tensor", "n: int = «x»", None),
    (optional_without_refinement, "unsupported operand types for +: Optional[Tensor] and int", "return «x + 1»",
     "is not None"),
    (unknown_name, "undefined value undefined_thing", "x + «undefined_thing»", None),
    (unknown_tensor_method, "'Tensor' object has no attribute or method 'frobnicate'", "«x.frobnicate»()", None),
    (unknown_torch_function, "module 'torch' has no attribute 'frobnicate'", "«torch.frobnicate»(x)", None),
    (calls_open, "Python builtin open() is not supported in script functions", "«open(path)»", None),
    (calls_numpy, "module 'numpy' cannot be used in script functions", "«np».sum", None),
    (bad_op_arguments, "torch.tanh(): takes 1 positional arguments but 2 were given", "«torch.tanh(x, 1)»", None),
    (tuple_index_not_constant, "tuple indices must be constant ints", "t[«i»]", None),
    (break_in_unrolled, "break is not supported in a loop over a tuple", "«break»\n", "a list or a range"),
    (recursive, "is called recursively involving itself: recursion is not supported", "«recursive(n - 1)»", "a loop"),
    (used_before_assignment, "local variable 'z' is used before it is assigned", "y = «z» + x", "assign 'z'"),
    (captures_tensor, "'GLOBAL_TENSOR' is a Tensor from outside the function", "«GLOBAL_TENSOR»", "argument"),
    (bad_annotation, "Attempted to use Dict without contained types", "x: «dict»", "Dict[str, Tensor]"),
    (chained_tensors, "chained comparisons of int and Tensor are not supported", "«0 < x» < 1", "`and`"),
    (and_of_tensors, "`and`, `or` and `not` need bool operands in script functions, got Tensor", "(«x > 0») and",
     "bool(...)"),
    (only_in_loop, "'last' is assigned only inside the loop", "return «last»", "before the loop"),
    (unpack_mismatch, "need 3 values to unpack but found only 2", "«a, b, c» =", None),
    (none_default_unannotated, "'bias' defaults to None, so its type cannot be inferred", "«bias»=None",
     "Optional[Tensor]"),
    (as_tuple_not_constant, "takes as_tuple=True, which must be a constant: it picks the overload",
     "return «torch.nonzero(x, as_tuple=flag)»", None),
    (raises_custom, "raising KeyboardInterrupt is not supported", "raise «KeyboardInterrupt»", "built-in exception"),
    (unannotated_count, "range() arguments must be int, not Tensor", "range(«n»)", "annotate it, e.g. `n: int`"),
    (append_to_untyped_list, "list.append(): argument 'el' must be Tensor, not int", "«out.append(n)»",
     "xs: List[int] = []"),
]


@pytest.mark.parametrize("fn,message,snippet,fix", TYPE_ERRORS, ids=[t[0].__name__ for t in TYPE_ERRORS])
def test_type_errors_and_unknown_names(fn, message, snippet, fix):
    expect_error(fn, message, snippet, fix)


def misspelt_keyword(x):
    return torch.sum(x, dimx=1)


def test_a_misspelt_keyword_names_the_overloads_and_offers_no_wrong_fix():
    """x is an unannotated Tensor used as a Tensor: telling the user to annotate it `x: int`
    would send them the wrong way."""
    e = expect_error(misspelt_keyword, "unexpected keyword argument 'dimx'", "return «torch.sum(x, dimx=1)»")
    assert "torch.sum() received an invalid combination of arguments" in e.msg
    assert e.fix == "" and "fix:" not in str(e)


def calls_bad_helper(x):
    return unknown_name(x) * 2


def test_errors_in_a_callee_say_where_it_was_called_from():
    with pytest.raises(ScriptError) as info:
        torch.script(calls_bad_helper)
    e = info.value
    assert "undefined value undefined_thing" in e.msg
    assert e.lineno == inspect.getsourcelines(unknown_name)[1] + 1
    text = str(e)
    assert "'unknown_name' is being compiled since it was called from 'calls_bad_helper'" in text
    assert "    return unknown_name(x) * 2" in text


# -- modules ----------------------------------------------------------------------------------------


class ListAttribute(nn.Module):
    def __init__(self):
        super().__init__()
        self.sizes = [1, 2]

    def forward(self, x):
        return x * self.sizes[0]


class TensorAttribute(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = torch.ones(2)  # neither a parameter nor a buffer

    def forward(self, x):
        return x * self.mask


class AssignsAttribute(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls = 1
        return x


class MissingAttribute(nn.Module):
    def forward(self, x):
        return self.weight * x


class AssignsNewAttribute(nn.Module):
    def forward(self, x):
        self.fresh = 1
        return x


class AssignsWrongType(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x):
        self.calls = "once"
        return x


class AssignsParameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(2))

    def forward(self, x):
        self.weight = x
        return x


def test_list_tensor_and_assigned_attributes_are_module_state():
    """Lists and tensors that are neither parameters nor buffers are read at each call (as
    TorchScript reads its attributes), and attributes a method assigns are written back."""
    x = torch.ones(2)
    for cls in (ListAttribute, TensorAttribute, AssignsAttribute):
        eager, scripted = cls(), torch.script(cls())
        same(scripted(x), eager(x))
    scripted = torch.script(AssignsAttribute())
    assert scripted.calls == 0
    scripted(x)
    assert scripted.calls == 1


@pytest.mark.parametrize("cls,message,snippet,fix", [
    (MissingAttribute, "module 'MissingAttribute' has no attribute 'weight'", "self.weight", None),
    (AssignsNewAttribute, "Tried to set nonexistent attribute: fresh", "self.fresh", None),
    (AssignsWrongType, "Wrong type for attribute assignment. Expected int but got str", "self.calls", None),
    (AssignsParameter, "cannot assign the parameter 'weight'", "self.weight", None),
])
def test_module_errors(cls, message, snippet, fix):
    with pytest.raises(ScriptError) as info:
        torch.script(cls())
    e = info.value
    assert message in e.msg, e.msg
    lines, first = inspect.getsourcelines(cls.forward)
    k = next(i for i, line in enumerate(lines) if snippet in line)
    assert (e.lineno, e.col) == (first + k, lines[k].index(snippet) + 1)
    if fix:
        assert fix in e.fix


def test_error_reports_never_crash():
    e = ScriptError("message without a place")
    assert str(e) == "message without a place"
    from minitorch_jit.scripter import SourceRange
    e = ScriptError("bad", SourceRange("f.py", 3, 40, 3, 45, "short\n", "f"), fix="do this")
    assert str(e).splitlines()[0] == "bad" and "do this" in str(e)  # the column is past the line: no caret

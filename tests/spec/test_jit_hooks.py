"""The behaviours PyTorch's test/jit/test_hooks.py checks, in our own tests: forward
pre-hooks and hooks registered on a module or a submodule run the same eagerly, scripted and
after save/load; they run when the module is called, not when ``forward`` is; their results
replace the arguments or the output; and scripting checks their signatures against
``forward``'s with TorchScript's messages."""
from typing import List, Tuple

import pytest
from module_checks import check_module

import minitorch_jit as torch
from minitorch_jit import nn

ELIGIBLE = [
    "test_module_no_forward_input",
    "test_submodule_no_forward_input",
    "test_module_forward_multiple_inputs",
    "test_module_multiple_hooks_multiple_inputs",
    "test_module_forward_single_input",
    "test_module_same_hook_repeated",
    "test_module_hook_return_nothing",
    "test_module_multiple_hooks_single_input",
    "test_submodule_forward_multiple_inputs",
    "test_submodule_multiple_hooks_multiple_inputs",
    "test_submodule_forward_single_input",
    "test_submodule_called_directly_with_hooks",
    "test_submodule_same_hook_repeated",
    "test_submodule_hook_return_nothing",
    "test_submodule_multiple_hooks_single_input",
    "test_forward_tuple_input",
    "test_submodule_forward_single_input_return_not_tupled",
    "test_hook_method_name_collision",
    "test_hook_hook_name_collision",
    "test_module_direct_forward_invocation",
    "test_submodule_direct_forward_invocation",
    "test_hook_compilation_hint",
    "test_wrong_pre_hook_signatures",
    "test_wrong_hook_signatures",
]

OUTER, INNER = "outer", "inner"


# -- the modules the hooks are put on ------------------------------------------------------------------


class InnerNoArgs(nn.Module):
    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def forward(self):
        assert self.tag == INNER


class OuterNoArgs(nn.Module):
    def __init__(self):
        super().__init__()
        self.tag = OUTER
        self.inner = InnerNoArgs(INNER)

    def forward(self):
        self.inner()


class InnerText(nn.Module):
    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def suffix(self, s: str):
        return s + "|in"

    def forward(self, s: str):
        return self.suffix(s + "|inner")


class OuterText(nn.Module):
    def __init__(self):
        super().__init__()
        self.tag = OUTER
        self.inner = InnerText(INNER)

    def forward(self, s: str):
        return self.inner(s + "|outer")


class OuterTextForwardCall(OuterText):
    """Calls the submodule's forward directly: its hooks do not run."""

    def forward(self, s: str):
        return self.inner.forward(s + "|outer")


class InnerPair(nn.Module):
    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def forward(self, names: List[str], s: str):
        names.append(self.tag)
        return names, s + "_"


class OuterPair(nn.Module):
    def __init__(self):
        super().__init__()
        self.tag = OUTER
        self.inner = InnerPair(INNER)

    def forward(self, names: List[str], s: str):
        names.append(self.tag)
        return self.inner(names, s)


class InnerTuple(nn.Module):
    def forward(self, t: Tuple[int]):
        first = t[0]  # noqa: F841
        return (first + 1,)


class OuterTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = InnerTuple()

    def forward(self, t: Tuple[int]):
        first = t[0]  # noqa: F841
        return self.inner((5,))


# -- hooks on the module itself ----------------------------------------------------------------------------


def test_module_no_forward_input():
    m = OuterNoArgs()

    def pre(self, input: Tuple[()]) -> None:
        assert self.tag == OUTER

    def post(self, input: Tuple[()], output: None):
        assert self.tag == OUTER

    m.register_forward_pre_hook(pre)
    m.register_forward_hook(post)
    check_module(m, ())


def test_module_forward_multiple_inputs():
    m = OuterPair()

    def pre(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert self.tag == OUTER
        assert input[0][0] == "x"
        return ["from_pre"], "s_pre"

    def post(self, input: Tuple[List[str], str], output: Tuple[List[str], str]):
        assert self.tag == OUTER
        assert input[0][0] == "from_pre"
        return output[0], output[1] + "post"

    m.register_forward_pre_hook(pre)
    m.register_forward_hook(post)
    check_module(m, (["x"], "s"))


def test_module_multiple_hooks_multiple_inputs():
    m = OuterPair()

    def pre1(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert input[0][0] == "x"
        return ["pre1"], "s1"

    def pre2(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert input[0][0] == "pre1" and input[1] == "s1"
        return ["pre2"], "s2"

    def post1(self, input: Tuple[List[str], str], output: Tuple[List[str], str]):
        assert input[0][0] == "pre2"
        return output[0], output[1] + "p1"

    def post2(self, input: Tuple[List[str], str], output: Tuple[List[str], str]):
        assert input[1] == "s2"
        assert output[1] == "s2_p1"
        return output[0], output[1] + "p2"

    for h in (pre1, pre2):
        m.register_forward_pre_hook(h)
    for h in (post1, post2):
        m.register_forward_hook(h)
    check_module(m, (["x"], "s"))


def test_module_forward_single_input():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        assert self.tag == OUTER
        assert input[0] == "a"
        return ("b",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("b",)
        return output + "|post"

    m.register_forward_pre_hook(pre)
    m.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "b|outer|inner|in|post"


def test_module_same_hook_repeated():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return (input[0] + "+",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("a++",)
        return output + "!"

    for _ in range(2):
        m.register_forward_pre_hook(pre)
        m.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "a++|outer|inner|in!!"


def test_module_hook_return_nothing():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> None:
        assert input[0] == "a"

    def post(self, input: Tuple[str], output: str):
        assert input == ("a",)

    m.register_forward_pre_hook(pre)
    m.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "a|outer|inner|in"


def test_module_multiple_hooks_single_input():
    m = OuterText()

    def pre1(self, input: Tuple[str]) -> Tuple[str]:
        assert input[0] == "a"
        return ("p1",)

    def pre2(self, input: Tuple[str]) -> Tuple[str]:
        assert input[0] == "p1"
        return ("p2",)

    def post1(self, input: Tuple[str], output: str):
        assert input == ("p2",)
        assert output == "p2|outer|inner|in"
        return output, output + "#"

    def post2(self, input: Tuple[str], output: Tuple[str, str]):
        assert output[1] == "p2|outer|inner|in#"
        return output[1] + "#"

    for h in (pre1, pre2):
        m.register_forward_pre_hook(h)
    for h in (post1, post2):
        m.register_forward_hook(h)
    assert check_module(m, ("a",))("a") == "p2|outer|inner|in##"


# -- hooks on a submodule ------------------------------------------------------------------------------------


def test_submodule_no_forward_input():
    m = OuterNoArgs()

    def pre(self, input: Tuple[()]) -> None:
        assert self.tag == INNER

    def post(self, input: Tuple[()], output: None):
        assert self.tag == INNER

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    check_module(m, ())


def test_submodule_forward_multiple_inputs():
    m = OuterPair()

    def pre(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert self.tag == INNER
        assert input[0][1] == OUTER
        return ["sub_pre"], "t"

    def post(self, input: Tuple[List[str], str], output: Tuple[List[str], str]):
        assert input[0][0] == "sub_pre"
        return output[0], output[1] + "sub_post"

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    check_module(m, (["x"], "s"))


def test_submodule_multiple_hooks_multiple_inputs():
    m = OuterPair()

    def pre1(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert input[1] == "s"
        return ["n"], "s1"

    def pre2(self, input: Tuple[List[str], str]) -> Tuple[List[str], str]:
        assert input[1] == "s1"
        return ["n"], "s2"

    def post1(self, input: Tuple[List[str], str], output: Tuple[List[str], str]):
        assert input[1] == "s2" and output[1] == "s2_"
        return output[0], output[1] + "h1", output[1]

    def post2(self, input: Tuple[List[str], str], output: Tuple[List[str], str, str]):
        assert output[1] == "s2_h1" and output[2] == "s2_"
        return output[0], output[1] + "h2"

    for h in (pre1, pre2):
        m.inner.register_forward_pre_hook(h)
    for h in (post1, post2):
        m.inner.register_forward_hook(h)
    check_module(m, (["x"], "s"))


def test_submodule_forward_single_input():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        assert self.tag == INNER
        assert input[0] == "a|outer"
        return ("sub",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("sub",)
        return output

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "sub|inner|in"


def test_submodule_called_directly_with_hooks():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return ("direct",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("direct",)
        return output + "|post"

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    scripted = torch.jit.script(m)
    assert scripted.inner("z") == m.inner("z") == "direct|inner|in|post"


def test_submodule_same_hook_repeated():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return (input[0] + "+",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("a|outer++",)
        return output + "!"

    for _ in range(2):
        m.inner.register_forward_pre_hook(pre)
        m.inner.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "a|outer++|inner|in!!"


def test_submodule_hook_return_nothing():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> None:
        assert input[0] == "a|outer"

    def post(self, input: Tuple[str], output: str):
        assert input == ("a|outer",)

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "a|outer|inner|in"


def test_submodule_multiple_hooks_single_input():
    m = OuterText()

    def pre1(self, input: Tuple[str]) -> Tuple[str]:
        return ("p1",)

    def pre2(self, input: Tuple[str]) -> Tuple[str]:
        assert input[0] == "p1"
        return ("p2",)

    def post1(self, input: Tuple[str], output: str):
        assert output == "p2|inner|in"
        return output + "#1"

    def post2(self, input: Tuple[str], output: str):
        assert input == ("p2",) and output == "p2|inner|in#1"
        return output

    for h in (pre1, pre2):
        m.inner.register_forward_pre_hook(h)
    for h in (post1, post2):
        m.inner.register_forward_hook(h)
    assert check_module(m, ("a",))("a") == "p2|inner|in#1"


def test_forward_tuple_input():
    """A forward taking one tuple: a pre-hook returns it wrapped in another tuple."""
    m = OuterTuple()

    def pre_outer(self, input: Tuple[Tuple[int]]) -> Tuple[Tuple[int]]:
        return ((10,),)

    def pre_inner(self, input: Tuple[Tuple[int]]) -> Tuple[Tuple[int]]:
        return ((20,),)

    def post_outer(self, input: Tuple[Tuple[int]], output: int):
        return (input[0][0] * 2,)

    def post_inner(self, input: Tuple[Tuple[int]], output: Tuple[int]):
        return input[0][0] + output[0]

    m.register_forward_pre_hook(pre_outer)
    m.inner.register_forward_pre_hook(pre_inner)
    m.register_forward_hook(post_outer)
    m.inner.register_forward_hook(post_inner)
    assert check_module(m, ((3,),))((3,)) == (20,)


def test_submodule_forward_single_input_return_not_tupled():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> str:
        assert input[0] == "a|outer"
        return "bare"

    def post(self, input: Tuple[str], output: str):
        assert input == ("bare",)
        return output + "|post"

    m.inner.register_forward_pre_hook(pre)
    m.inner.register_forward_hook(post)
    assert check_module(m, ("a",))("a") == "bare|inner|in|post"


# -- names, direct forward calls, errors --------------------------------------------------------------------


def test_hook_method_name_collision():
    m = OuterText()

    def suffix(self, input: Tuple[str]) -> Tuple[str]:
        return ("x",)

    m.inner.register_forward_pre_hook(suffix)
    with pytest.raises(RuntimeError, match="Can't define hook: suffix on class: .+ because a method or hook with "
                                           "that name already exists."):
        torch.jit.script(m)


def test_hook_hook_name_collision():
    m = OuterText()

    def twin(self, input: Tuple[str]) -> Tuple[str]:
        return ("first",)
    m.inner.register_forward_pre_hook(twin)

    def twin(self, input: Tuple[str]) -> Tuple[str]:  # noqa: F811
        return ("second",)
    m.inner.register_forward_pre_hook(twin)
    with pytest.raises(RuntimeError, match="Pre-hook '.+' on .+ has at least two different python definitions. "
                                           "Please use unique names for all hooks."):
        torch.jit.script(m)

    m = OuterText()

    def twin_post(self, input: Tuple[str], output: str):
        return output
    m.inner.register_forward_hook(twin_post)

    def twin_post(self, input: Tuple[str]):  # noqa: F811
        return "other"
    m.inner.register_forward_hook(twin_post)
    with pytest.raises(RuntimeError, match="Hook '.+' on .+ has at least two different python definitions. "
                                           "Please use unique names for all hooks."):
        torch.jit.script(m)


def test_module_direct_forward_invocation():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return ("pre",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("pre",)
        return output + "|post"

    m.register_forward_pre_hook(pre)
    m.register_forward_hook(post)
    scripted = torch.jit.script(m)
    assert scripted.forward("a") == m.forward("a") == "a|outer|inner|in"
    assert scripted("a") != scripted.forward("a")
    assert scripted("a") == m("a") == "pre|outer|inner|in|post"


def test_submodule_direct_forward_invocation():
    direct, called = OuterTextForwardCall(), OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return ("pre",)

    def post(self, input: Tuple[str], output: str):
        assert input == ("pre",)
        return output + "|post"

    for m in (direct, called):
        m.inner.register_forward_pre_hook(pre)
        m.inner.register_forward_hook(post)
    direct_s, called_s = torch.jit.script(direct), torch.jit.script(called)
    assert direct_s("a") == direct("a") == "a|outer|inner|in"
    assert direct_s("a") != called_s("a") == "pre|inner|in|post"


def test_hook_compilation_hint():
    m = OuterText()

    def pre(self, input: Tuple[str]) -> Tuple[str]:
        return (input[3],)  # out of the tuple's range

    m.register_forward_pre_hook(pre)
    with pytest.raises(RuntimeError, match="This error occurred while scripting the forward pre-hook 'pre'"):
        torch.jit.script(m)


def _scripting_fails(hooks, words, module=OuterText):
    m = module()
    for kind, h in hooks:
        (m.register_forward_pre_hook if kind == "pre" else m.register_forward_hook)(h)
    with pytest.raises(RuntimeError, match=words):
        torch.jit.script(m)


def test_wrong_pre_hook_signatures():
    def wrong_inner(self, input: Tuple[None]) -> Tuple[str]:
        return ("x",)

    def extra_arg(self, input: Tuple[str], more: str) -> Tuple[str]:
        return ("x",)

    def not_a_tuple(self, input: int) -> Tuple[str]:
        return ("x",)

    def wrong_return(self, input: Tuple[str]) -> int:
        return 1

    def unannotated_return(self, input: Tuple[str]):
        return 1

    def unwrapped_tuple(self, input: Tuple[Tuple[int]]) -> Tuple[int]:
        return (1,)

    _scripting_fails([("pre", wrong_inner)], "has the wrong inner types for the input tuple argument")
    _scripting_fails([("pre", extra_arg)], "was expected to only have exactly 2 inputs but it had 3 inputs")
    _scripting_fails([("pre", not_a_tuple)], "expected the input argument to be typed as a Tuple but found type: "
                                             "'int' instead")
    _scripting_fails([("pre", wrong_return)], "returned the wrong type of: 'int'")
    _scripting_fails([("pre", unannotated_return)], "is missing a return annotation. Return annotations are "
                                                    "required, please add one.")
    _scripting_fails([("pre", unwrapped_tuple)], "When forward has a single tuple input argument, the return needs "
                                                 "to be 'None' or a nested tuple containing forward's input tuple "
                                                 r"argument as in: 'Tuple\[Tuple\[int\]\]'", OuterTuple)


def test_wrong_hook_signatures():
    def two_inputs(self, input: Tuple[str, str], output: str):
        return output

    def bare_input(self, input: str, output: str):
        return output

    def none_input(self, input: Tuple[None], output: str):
        return output

    def tuple_output(self, input: Tuple[str], output: Tuple[str]):
        return output

    def wraps(self, input: Tuple[str], output: str):
        return (output,)

    def expects_str(self, input: Tuple[str], output: str):
        return output

    _scripting_fails([("post", two_inputs)], "has the wrong number of contained types for the input argument's Tuple. "
                                             r"Received type: 'Tuple\[str, str\]'")
    _scripting_fails([("post", bare_input)], "expected the input argument to be typed as a Tuple but found type: "
                                             "'str' instead.")
    _scripting_fails([("post", none_input)], "has the wrong inner types for the input tuple argument. Received type: "
                                             r"'Tuple\[None\]'")
    _scripting_fails([("post", tuple_output)], r"has the wrong type for the output argument. Received type: "
                                               r"'Tuple\[str\]'. Expected type: 'str'")
    _scripting_fails([("post", wraps), ("post", expects_str)],
                     r"has the wrong type for the output argument. Received type: 'str'. Expected type: "
                     r"'Tuple\[str\]'")

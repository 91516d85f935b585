"""The behaviours PyTorch's test/jit/test_enum.py checks, as our own tests: Enum classes with
int, float or str values as argument types, constants, module attributes and return values;
``.name``, ``.value``, comparison and iteration; the type printed ``Enum<__torch__...>``.

Enum classes that PyTorch's tests make global with ``make_global`` are defined at module
level here. Graph checks look for the class's name without the module path, which names
this file rather than PyTorch's."""
import re
from enum import Enum
from typing import Any, List

import pytest

import minitorch_jit as torch

ELIGIBLE = [
    "test_enum_value_types",
    "test_enum_comp",
    "test_enum_comp_diff_classes",
    "test_heterogenous_value_type_enum_error",
    "test_enum_name",
    "test_enum_value",
    "test_enum_as_const",
    "test_non_existent_enum_value",
    "test_enum_ivalue_type",
    "test_closed_over_enum_constant",
    "test_enum_as_module_attribute",
    "test_string_enum_as_module_attribute",
    "test_enum_return",
    "test_enum_module_return",
    "test_enum_iterate",
    "test_enum_explicit_script",
    "test_typed_enum",
]


def in_order(text, *patterns):
    """Each regex found in ``text`` after the previous one (FileCheck's check)."""
    pos = 0
    for p in patterns:
        m = re.compile(p).search(text, pos)
        assert m is not None, f"{p!r} not found after position {pos} in:\n{text}"
        pos = m.end()


def next_lines(text, first, *following):
    """A line matching ``first``, and the lines right after it matching ``following``
    (FileCheck's check_next)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.search(first, line) and all(
                i + 1 + k < len(lines) and re.search(p, lines[i + 1 + k]) for k, p in enumerate(following)):
            return
    raise AssertionError(f"{first!r} followed by {following!r} not found in:\n{text}")


class IntEnum(Enum):
    FOO = 1
    BAR = 2


class FloatEnum(Enum):
    FOO = 1.2
    BAR = 2.3


class StringEnum(Enum):
    FOO = "foo as in foo bar"
    BAR = "bar as in foo bar"


class TensorEnum(Enum):
    FOO = torch.tensor(0)
    BAR = torch.tensor(1)


class Color(Enum):
    RED = 1
    GREEN = 2


class Foo(Enum):
    ITEM1 = 1
    ITEM2 = 2


class Bar(Enum):
    ITEM1 = 1
    ITEM2 = 2


class Mixed(Enum):
    RED = 1
    GREEN = "green"


class Color3(Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


class StrColor(Enum):
    RED = "red"
    GREEN = "green"


def test_enum_value_types():
    @torch.jit.script
    def supported_enum_types(a: IntEnum, b: FloatEnum, c: StringEnum):
        return (a.name, b.name, c.name)

    in_order(str(supported_enum_types.graph), r"Enum<__torch__\.[\w.]*IntEnum>", "FloatEnum", "StringEnum")
    assert supported_enum_types(IntEnum.FOO, FloatEnum.BAR, StringEnum.FOO) == ("FOO", "BAR", "FOO")

    def unsupported_enum_types(a: TensorEnum):
        return a.name

    with pytest.raises(RuntimeError, match="Cannot create Enum with value type 'Tensor'"):
        torch.jit.script(unsupported_enum_types)


def test_enum_comp():
    @torch.jit.script
    def enum_comp(x: Color, y: Color) -> bool:
        return x == y

    assert "aten::eq" in str(enum_comp.graph)
    assert enum_comp(Color.RED, Color.RED) is True
    assert enum_comp(Color.RED, Color.GREEN) is False


def test_enum_comp_diff_classes():
    @torch.jit.script
    def enum_comp(x: Foo) -> bool:
        return x == Bar.ITEM1

    in_order(str(enum_comp.graph), r"prim::Constant\[value=__torch__\.[\w.]*Bar\.ITEM1\]", "aten::eq")
    assert enum_comp(Foo.ITEM1) is False


def test_heterogenous_value_type_enum_error():
    def enum_comp(x: Mixed, y: Mixed) -> bool:
        return x == y

    with pytest.raises(RuntimeError, match="Could not unify type list"):
        torch.jit.script(enum_comp)


def test_enum_name():
    @torch.jit.script
    def enum_name(x: Color) -> str:
        return x.name

    next_lines(str(enum_name.graph), "Color", "prim::EnumName", "return")
    assert enum_name(Color.RED) == "RED"
    assert enum_name(Color.GREEN) == "GREEN"


def test_enum_value():
    @torch.jit.script
    def enum_value(x: Color) -> int:
        return x.value

    next_lines(str(enum_value.graph), "Color", "prim::EnumValue", "return")
    assert enum_value(Color.RED) == 1
    assert enum_value(Color.GREEN) == 2


def test_enum_as_const():
    @torch.jit.script
    def enum_const(x: Color) -> bool:
        return x == Color.RED

    next_lines(str(enum_const.graph), r"prim::Constant\[value=__torch__\.[\w.]*Color\.RED\]", "aten::eq", "return")
    assert enum_const(Color.RED) is True
    assert enum_const(Color.GREEN) is False


def test_non_existent_enum_value():
    def enum_const(x: Color) -> bool:
        if x == Color.PURPLE:
            return True
        else:
            return False

    with pytest.raises(RuntimeError, match="has no attribute 'PURPLE'") as e:
        torch.jit.script(enum_const)
    assert "Color.PURPLE" in str(e.value)


@pytest.mark.xfail(strict=True, reason="typing.Any parameters are not supported")
def test_enum_ivalue_type():
    @torch.jit.script
    def is_color_enum(x: Any):
        return isinstance(x, Color)

    assert is_color_enum(Color.RED) is True
    assert is_color_enum(Color.GREEN) is True
    assert is_color_enum(1) is False


def test_closed_over_enum_constant():
    a = Color

    @torch.jit.script
    def closed_over_aliased_type():
        return a.RED.value

    next_lines(str(closed_over_aliased_type.graph), r"prim::Constant\[value=1\]", "return")
    assert closed_over_aliased_type() == 1

    b = Color.RED

    @torch.jit.script
    def closed_over_aliased_value():
        return b.value

    next_lines(str(closed_over_aliased_value.graph), r"prim::Constant\[value=1\]", "return")
    assert closed_over_aliased_value() == 1


def test_enum_as_module_attribute():
    """PyTorch's graph reads the attribute with prim::GetAttr; ours holds a plain module
    attribute as a constant (as it does ints and strings), whose value is folded."""
    class TestModule(torch.nn.Module):
        def __init__(self, e: Color):
            super().__init__()
            self.e = e

        def forward(self):
            return self.e.value

    scripted = torch.jit.script(TestModule(Color.RED))
    assert scripted() == 1


def test_string_enum_as_module_attribute():
    class TestModule(torch.nn.Module):
        def __init__(self, e: StrColor):
            super().__init__()
            self.e = e

        def forward(self):
            return (self.e.name, self.e.value)

    scripted = torch.jit.script(TestModule(StrColor.RED))
    assert scripted() == ("RED", "red")


def test_enum_return():
    @torch.jit.script
    def return_enum(cond: bool):
        if cond:
            return Color.RED
        else:
            return Color.GREEN

    assert return_enum(True) is Color.RED
    assert return_enum(False) is Color.GREEN


def test_enum_module_return():
    class TestModule(torch.nn.Module):
        def __init__(self, e: Color):
            super().__init__()
            self.e = e

        def forward(self):
            return self.e

    scripted = torch.jit.script(TestModule(Color.RED))
    assert re.search(r"Enum<__torch__\.[\w.]*Color>", str(scripted.graph))
    assert scripted() is Color.RED


def test_enum_iterate():
    def iterate_enum(x: Color3):
        res: List[int] = []
        for e in Color3:
            if e != x:
                res.append(e.value)
        return res

    scripted = torch.jit.script(iterate_enum)
    next_lines(str(scripted.graph), r"Enum<__torch__\.[\w.]*Color3>\[\] = prim::ListConstruct")
    in_order(str(scripted.graph), r"Color3\.RED", r"Color3\.GREEN", r"Color3\.BLUE")
    # in the order of the Enum's definition
    assert scripted(Color3.RED) == [2, 3]
    assert scripted(Color3.GREEN) == [1, 3]


def test_enum_explicit_script():
    @torch.jit.script
    class ScriptedColor(Enum):
        RED = 1
        GREEN = 2

    torch.jit.script(ScriptedColor)  # scripting an Enum class again is allowed


def test_typed_enum():
    class IntColor(int, Enum):
        RED = 1
        GREEN = 2

    @torch.jit.script
    def is_red(x: IntColor) -> bool:
        return x == IntColor.RED

    assert is_red(IntColor.RED) is True
    assert is_red(IntColor.GREEN) is False

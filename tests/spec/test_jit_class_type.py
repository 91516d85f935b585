"""The behaviours PyTorch's test/jit/test_class_type.py checks, as our own tests: classes
compiled with torch.jit.script(Class) or on first use, their fields, methods, magic methods,
properties, static and class methods, interfaces, and save/load of modules using them.

Classes that PyTorch's tests make global with ``make_global`` are defined at module level
here (a string annotation such as ``'Meta'`` is resolved in the method's module)."""
import io
from typing import List, Optional, Tuple

import numpy as np
import pytest
from script_util import same

import minitorch_jit as torch
import minitorch_jit.nn as nn

ELIGIBLE = [
    "test_reference_semantics",
    "test_get_with_method",
    "test_get_attr",
    "test_in",
    "test_set_attr_in_method",
    "test_set_attr_type_mismatch",
    "test_get_attr_not_initialized",
    "test_set_attr_non_initialized",
    "test_schema_human_readable",
    "test_type_annotations",
    "test_conditional_set_attr",
    "test_class_type_as_param",
    "test_out_of_order_methods",
    "test_save_load_with_classes",
    "test_save_load_with_classes_returned",
    "test_save_load_with_classes_nested",
    "test_python_interop",
    "test_class_specialization",
    "test_class_sorting",
    "test_class_inheritance",
    "test_class_inheritance_implicit",
    "test_imported_classes",
    "test_interface",
    "test_overloaded_fn",
    "test_cast_overloads",
    "test_init_compiled_first",
    "test_class_constructs_itself",
    "test_optional_type_promotion",
    "test_recursive_class",
    "test_class_constant",
    "test_py_class_to_ivalue_missing_attribute",
    "test_unused_method",
    "test_self_referential_method",
    "test_type_annotation",
    "test_default_args",
    "test_staticmethod",
    "test_classmethod",
    "test_properties",
    "test_custom_delete",
    "test_recursive_script_builtin_type_resolution",
    "test_recursive_script_module_builtin_type_resolution",
    "test_class_attribute_wrong_type",
    "test_recursive_scripting",
    "test_recursive_scripting_failed",
    "test_unresolved_class_attributes",
]


def check_script(fn, *args):
    """The scripted function returns what the Python function returns."""
    scripted = torch.jit.script(fn)
    same(scripted(*args), fn(*args))
    return scripted


def save_load(m):
    buffer = io.BytesIO()
    torch.jit.save(m, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer)


# -- fields and methods ------------------------------------------------------------------------------


class Counter:
    def __init__(self, a: int):
        self.a = a

    def set_a(self, value: int):
        self.a = value

    def get_a(self) -> int:
        return self.a

    @property
    def attr(self):
        return self.a


def test_reference_semantics():
    def set_two(obj: Counter):
        obj.set_a(2)

    scripted = torch.jit.script(set_two)
    obj = torch.jit.script(Counter(1))
    assert obj.get_a() == 1 and obj.attr == 1
    scripted(obj)
    assert obj.get_a() == 2 and obj.attr == 2  # the script changed the object Python holds


def test_get_with_method():
    class FooTest:
        def __init__(self, x):
            self.foo = x

        def getFooTest(self):
            return self.foo

    def fn(x):
        foo = FooTest(x)
        return foo.getFooTest()

    x = torch.ones(2, 3)
    check_script(fn, x)


def test_get_attr():
    class FooTest:
        def __init__(self, x):
            self.foo = x

    @torch.jit.script
    def fn(x):
        foo = FooTest(x)
        return foo.foo

    x = torch.ones(2, 3)
    same(fn(x), x)
    assert "__torch__." in str(fn.graph) and ".FooTest = prim::CreateObject()" in str(fn.graph)


def test_in():
    class FooTest:
        def __init__(self):
            pass

        def __contains__(self, key: str) -> bool:
            return key == "hi"

    @torch.jit.script
    def fn():
        foo = FooTest()
        return "hi" in foo, "no" in foo

    assert fn() == (True, False)


def test_set_attr_in_method():
    class FooTest:
        def __init__(self, x: int) -> None:
            self.foo = x

        def incFooTest(self, y: int) -> None:
            self.foo = self.foo + y

    @torch.jit.script
    def fn(x: int) -> int:
        foo = FooTest(x)
        foo.incFooTest(2)
        return foo.foo

    assert fn(1) == 3


def test_set_attr_type_mismatch():
    with pytest.raises(RuntimeError, match="Wrong type for attribute assignment") as e:
        @torch.jit.script
        class FooTest:
            def __init__(self, x):
                self.foo = x
                self.foo = 10  # an int where the field is a Tensor

    assert "self.foo = 10" in str(e.value)


def test_get_attr_not_initialized():
    with pytest.raises(RuntimeError, match="object has no attribute or method") as e:
        @torch.jit.script
        class FooTest:
            def __init__(self, x):
                self.foo = x

            def get_non_initialized(self):
                return self.asdf

    assert "self.asdf" in str(e.value)


def test_set_attr_non_initialized():
    with pytest.raises(RuntimeError, match="Tried to set nonexistent attribute") as e:
        @torch.jit.script
        class FooTest:
            def __init__(self, x):
                self.foo = x

            def set_non_initialized(self, y):
                self.bar = y

    assert "self.bar = y" in str(e.value)


def test_schema_human_readable():
    with pytest.raises(RuntimeError, match="nearest"):
        @torch.jit.script
        def FooTest(x):
            return torch.nn.functional.interpolate(x, "bad")


def test_type_annotations():
    @torch.jit.script
    class FooTest:
        def __init__(self, x: bool) -> None:
            self.foo = x

    with pytest.raises(RuntimeError, match="Expected a value of type 'bool' for argument 'x'"):
        @torch.jit.script
        def fn(x):
            FooTest(x)

        fn(2)


def test_type_annotations__at_compile_time():
    """With its argument typed, the wrong call is found when the caller is compiled."""
    @torch.jit.script
    class FooTest:
        def __init__(self, x: bool) -> None:
            self.foo = x

    with pytest.raises(RuntimeError, match="Expected a value of type 'bool' for argument 'x'"):
        @torch.jit.script
        def fn(x: int):
            FooTest(x)


def test_conditional_set_attr():
    with pytest.raises(RuntimeError, match="assignment cannot be in a control-flow block"):
        @torch.jit.script
        class FooTest:
            def __init__(self, x):
                if 1 == 1:
                    self.attr = x


class AttrHolder:
    def __init__(self, x):
        self.attr = x


def test_class_type_as_param():
    @torch.jit.script
    def fn(foo: AttrHolder) -> torch.Tensor:
        return foo.attr

    @torch.jit.script
    def fn2(x):
        foo = AttrHolder(x)
        return fn(foo)

    x = torch.ones(1)
    same(fn2(x), x)


def test_out_of_order_methods():
    class FooTest:
        def __init__(self, x):
            self.x = x
            self.x = self.get_stuff(x)

        def get_stuff(self, y):
            return self.x + y

    @torch.jit.script
    def fn(x):
        f = FooTest(x)
        return f.x

    x = torch.ones(1)
    same(fn(x), x + x)


# -- save and load -------------------------------------------------------------------------------------


def test_save_load_with_classes():
    class FooTest:
        def __init__(self, x):
            self.x = x

        def get_x(self):
            return self.x

    class MyMod(torch.jit.ScriptModule):
        @torch.jit.script_method
        def forward(self, a):
            foo = FooTest(a)
            return foo.get_x()

    loaded = save_load(MyMod())
    x = torch.rand(2, 3)
    same(loaded(x), x)


def test_save_load_with_classes_returned():
    class FooTest:
        def __init__(self, x):
            self.x = x

        def clone(self):
            clone = FooTest(self.x)
            return clone

    class MyMod(torch.jit.ScriptModule):
        @torch.jit.script_method
        def forward(self, a):
            foo = FooTest(a)
            foo_clone = foo.clone()
            return foo_clone.x

    loaded = save_load(MyMod())
    x = torch.rand(2, 3)
    same(loaded(x), x)


def test_save_load_with_classes_nested():
    class FooNestedTest:
        def __init__(self, y):
            self.y = y

    class FooNestedTest2:
        def __init__(self, y):
            self.y = y
            self.nested = FooNestedTest(y)

    class FooTest:
        def __init__(self, x):
            self.class_attr = FooNestedTest(x)
            self.class_attr2 = FooNestedTest2(x)
            self.x = self.class_attr.y + self.class_attr2.y

    class MyMod(torch.jit.ScriptModule):
        @torch.jit.script_method
        def forward(self, a):
            foo = FooTest(a)
            return foo.x

    loaded = save_load(MyMod())
    x = torch.rand(2, 3)
    same(loaded(x), 2 * x)


class Pair:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def test_python_interop():
    @torch.jit.script
    def use_foo(foo: Pair) -> Pair:
        return foo

    x, y = torch.ones(2, 3), torch.zeros(2, 3)
    f = Pair(x, y)
    same(f.x, x)
    same(f.y, y)
    f2 = use_foo(f)  # in and out of a script
    same(f2.x, x)
    same(f2.y, y)


def test_class_specialization():
    def use_foo(foo: Pair, foo2: Pair, tup: Tuple[Pair, Pair]) -> torch.Tensor:
        a, b = tup
        return foo.x + foo2.y + a.x + b.y

    x, y = torch.ones(2, 3), torch.zeros(2, 3)
    f, f2, f3 = Pair(x, y), Pair(x * 2, y * 3), Pair(x * 4, y * 4)
    args = (f, f2, (f, f3))
    scripted = check_script(use_foo, *args)
    assert str(scripted.graph_for(*args)).count("prim::GetAttr") == 4


class Sortable:
    def __init__(self, x: int) -> None:
        self.x = x

    def __lt__(self, other: "Sortable") -> bool:
        return self.x < other.x

    def getVal(self):
        return self.x


def test_class_sorting():
    def test(li: List[Sortable], reverse: bool = False) -> Tuple[List[int], List[int]]:
        li_sorted = sorted(li)
        ret_sorted = torch.jit.annotate(List[int], [])
        for foo in li_sorted:
            ret_sorted.append(foo.getVal())
        li.sort(reverse=reverse)
        ret_sort = torch.jit.annotate(List[int], [])
        for foo in li:
            ret_sort.append(foo.getVal())
        return ret_sorted, ret_sort

    scripted = torch.jit.script(test)
    for args in (([Sortable(2), Sortable(1), Sortable(3)],), ([Sortable(2), Sortable(1), Sortable(3)], True),
                 ([Sortable(2)],), ([],)):
        assert scripted(*args) == test(*args)

    @torch.jit.script
    def test_list_no_reverse():
        li = [Sortable(3), Sortable(1)]
        li.sort()
        return li[0].getVal()

    assert test_list_no_reverse() == 1


def test_class_inheritance():
    @torch.jit.script
    class Base:
        def __init__(self):
            self.b = 2

        def two(self, x):
            return x + self.b

    with pytest.raises(RuntimeError, match="does not support inheritance"):
        @torch.jit.script
        class Derived(Base):
            def two(self, x):
                return x + self.b + 2


def test_class_inheritance_implicit():
    class A:
        def __init__(self, t):
            self.t = t

        @staticmethod
        def f(a: torch.Tensor):
            return A(a + 1)

    class B(A):
        def __init__(self, t):
            self.t = t + 10

        @staticmethod
        def f(a: torch.Tensor):
            return A(a + 1)

    def fun(x: A):
        return B.f(x.t)

    # PyTorch's program reaches B through `Any` and isinstance, and fails on B's inherited
    # members; reached through its annotation here, B is refused for inheriting from A
    with pytest.raises(RuntimeError, match="does not support inheritance"):
        torch.jit.script(fun)


def test_imported_classes():
    """Classes of the same name in different modules are different classes."""
    import spec_imported_classes.bar as bar
    import spec_imported_classes.foo as foo
    import spec_imported_classes.very.very.nested as nested

    class MyMod(torch.jit.ScriptModule):
        @torch.jit.script_method
        def forward(self, a):
            f = foo.FooSameName(a)
            b = bar.FooSameName(a)
            three = nested.FooUniqueName(a)
            return f.x + b.y + three.y

    loaded = save_load(MyMod())
    x = torch.rand(2, 3)
    same(loaded(x), 3 * x)


# -- interfaces -------------------------------------------------------------------------------------------


@torch.jit.script
class IFoo:
    def __init__(self):
        pass

    def one(self, x, y):
        return x + y

    def two(self, x):
        return 2 * x


@torch.jit.script
class IBar:
    def __init__(self):
        pass

    def one(self, x, y):
        return x * y

    def two(self, x):
        return 2 / x


@torch.jit.interface
class OneTwo:
    def one(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pass

    def two(self, x: torch.Tensor) -> torch.Tensor:
        pass


@torch.jit.interface
class OneTwoThree:
    def one(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pass

    def two(self, x: torch.Tensor) -> torch.Tensor:
        pass

    def three(self, x: torch.Tensor) -> torch.Tensor:
        pass


@torch.jit.interface
class OneTwoWrong:
    def one(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pass

    def two(self, x: int) -> int:
        pass


@torch.jit.script
class NotMember:
    def __init__(self):
        pass

    def one(self, x, y):
        return x + y


@torch.jit.script
class NotMember2:
    def __init__(self):
        pass

    def one(self, x, y):
        return x + y

    def two(self, x: int) -> int:
        return 3


def test_interface():
    def use_them(x):
        a = IFoo()
        b = IBar()
        c = torch.jit.annotate(List[OneTwo], [a, b])
        for i in range(len(c)):
            x = c[i].one(x, x)
            x = c[i].two(x)
        return x

    x = torch.rand(3, 4) + 0.5
    scripted = torch.jit.script(use_them)
    np.testing.assert_allclose(scripted(x).numpy(), (2 / (2 * (x + x) * (2 * (x + x)))).numpy(), rtol=1e-6)

    @torch.jit.script
    def as_interface(x: OneTwo) -> OneTwo:
        return x

    @torch.jit.script
    def inherit(x: OneTwoThree) -> OneTwo:
        return as_interface(x)

    with pytest.raises(RuntimeError, match="does not have method"):
        @torch.jit.script
        def wrong1():
            return as_interface(NotMember())

    with pytest.raises(RuntimeError, match="is not compatible with interface"):
        @torch.jit.script
        def wrong2():
            return as_interface(NotMember2())

    with pytest.raises(RuntimeError, match="does not have method"):
        @torch.jit.script
        def wrong3():
            return inherit(as_interface(IFoo()))

    with pytest.raises(RuntimeError, match="is not compatible with interface"):
        @torch.jit.script
        def wrong4(x: OneTwoWrong) -> int:
            return as_interface(x)


@pytest.mark.xfail(strict=True, reason="a module attribute of an interface type is refused by the module-attribute code of the lists work since the branches merged (integration gap)")
def test_interface__module_attribute():
    class TestPyAssign(nn.Module):
        def __init__(self):
            super().__init__()
            self.proxy_mod = IFoo()

        def forward(self, x):
            return self.proxy_mod.two(x)

    TestPyAssign.__annotations__ = {"proxy_mod": OneTwo}
    x = torch.rand(3, 4)
    scripted = torch.jit.script(TestPyAssign())
    same(save_load(scripted)(x), scripted(x))

    class TestPyAssignError(nn.Module):
        def __init__(self, obj):
            super().__init__()
            self.proxy_mod = obj

        def forward(self, x):
            return self.proxy_mod.two(x)

    TestPyAssignError.__annotations__ = {"proxy_mod": OneTwoThree}
    with pytest.raises(RuntimeError, match="is not compatible with interface __torch__"):
        torch.jit.script(TestPyAssignError(IFoo()))

    class PyClass:
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match="the value is not a TorchScript compatible type"):
        torch.jit.script(TestPyAssignError(PyClass()))


# -- magic methods --------------------------------------------------------------------------------------


@torch.jit.script
class Overloads:
    def __init__(self, x):
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    def __neg__(self):
        self.x = -self.x
        return self

    def __mul__(self, other: torch.Tensor) -> torch.Tensor:
        return self.x * other


@torch.jit.script
class MyClass:
    def __init__(self, x: int) -> None:
        self.x = x

    def __add__(self, other: int) -> int:
        return self.x + other

    def __sub__(self, other: int) -> int:
        return self.x - other

    def __mul__(self, other: int) -> int:
        return self.x * other

    def __pow__(self, other: int) -> int:
        return int(self.x ** other)

    def __truediv__(self, other: int) -> float:
        return self.x / other

    def __mod__(self, other: int) -> int:
        return self.x % other

    def __ne__(self, other: int) -> bool:
        return self.x != other

    def __eq__(self, other: int) -> bool:
        return self.x == other

    def __lt__(self, other: int) -> bool:
        return self.x < other

    def __gt__(self, other: int) -> bool:
        return self.x > other

    def __le__(self, other: int) -> bool:
        return self.x <= other

    def __ge__(self, other: int) -> bool:
        return self.x >= other

    def __and__(self, other: int) -> int:
        return self.x & other

    def __or__(self, other: int) -> int:
        return self.x | other

    def __xor__(self, other: int) -> int:
        return self.x ^ other

    def __getitem__(self, other: int) -> int:
        return other + 1

    def __setitem__(self, idx: int, val: int) -> None:
        self.x = val * idx

    def __call__(self, val: int) -> int:
        return self.x * val * 3


def test_overloaded_fn():
    def test_overload():
        a = Overloads(torch.ones([3, 3]))
        return len(a), -a * torch.zeros([3, 3])

    check_script(test_overload)

    def add():
        return MyClass(4) + 3

    def sub():
        return MyClass(4) - 3

    def mul():
        return MyClass(4) * 3

    def pow():
        return MyClass(4) ** 3

    def truediv():
        return MyClass(4) / 3

    def ne():
        return MyClass(4) != 3

    def eq():
        return MyClass(4) == 3

    def lt():
        return MyClass(4) < 3

    def gt():
        return MyClass(4) > 3

    def le():
        return MyClass(4) <= 3

    def ge():
        return MyClass(4) >= 3

    def _and():
        return MyClass(4) & 3

    def _or():
        return MyClass(4) | 3

    def _xor():
        return MyClass(4) ^ 3

    def getitem():
        return MyClass(4)[1]

    def setitem():
        a = MyClass(4)
        a[1] = 5
        return a.x

    def call():
        a = MyClass(5)
        return a(2)

    for func in [add, sub, mul, pow, ne, eq, lt, gt, le, ge, _and, _or, _xor, getitem, setitem, call, truediv]:
        check_script(func)

    with pytest.raises(RuntimeError, match="object has no attribute or method"):
        @torch.jit.script
        def test():
            return Overloads(torch.tensor(1)) + Overloads(torch.tensor(1))


@torch.jit.script
class Casts:
    def __init__(self, val: float) -> None:
        self.val = val

    def __int__(self):
        return int(self.val)

    def __float__(self):
        return self.val

    def __bool__(self):
        return bool(self.val)

    def __str__(self):
        return str(self.val)


@torch.jit.script
class BadBool:
    def __init__(self):
        pass

    def __bool__(self):
        return (1, 2)


def test_cast_overloads():
    def test(foo: Casts) -> Tuple[int, float, bool]:
        if foo:
            pass
        return int(foo), float(foo), bool(foo)

    fn = torch.jit.script(test)
    assert fn(Casts(0.5)) == (0, 0.5, True)
    assert fn(Casts(0.0)) == (0, 0.0, False)

    with pytest.raises(RuntimeError, match="expected a bool expression for condition"):
        @torch.jit.script
        def test2():
            if BadBool():
                print(1)


def test_init_compiled_first():
    @torch.jit.script
    class Foo:
        def __before_init__(self):
            # reading the field does not fail: __init__ is compiled first
            return self.x

        def __init__(self, x, y):
            self.x = x
            self.y = y


def test_class_constructs_itself():
    @torch.jit.script
    class LSTMStateStack:
        def __init__(self, num_layers: int, hidden_size: int) -> None:
            self.num_layers = num_layers
            self.hidden_size = hidden_size
            self.last_state = (
                torch.zeros(num_layers, 1, hidden_size),
                torch.zeros(num_layers, 1, hidden_size),
            )
            self.stack = [(self.last_state[0][-1], self.last_state[0][-1])]

        def copy(self):
            # a class can be constructed inside its own methods
            other = LSTMStateStack(self.num_layers, self.hidden_size)
            other.stack = list(self.stack)
            return other


@torch.jit.script
class Leaf:
    def __init__(self):
        self.x = 1


def test_optional_type_promotion():
    @torch.jit.script
    class Tree:
        def __init__(self):
            self.child = torch.jit.annotate(Optional[Leaf], None)

        def add_child(self, child: Leaf) -> None:
            self.child = child


class RecursiveTree:
    def __init__(self):
        self.parent = torch.jit.annotate(Optional["RecursiveTree"], None)


def test_recursive_class():
    with pytest.raises(RuntimeError):
        torch.jit.script(RecursiveTree)


def test_class_constant():
    class M(torch.nn.Module):
        __constants__ = ["w"]

        def __init__(self, w):
            super().__init__()
            self.w = w

        def forward(self, x):
            y = self.w
            return x, y

    for c in (2, 1.0, None, True, "str", (2, 3), [5.9, 7.3]):
        m = torch.jit.script(M(c))
        loaded = save_load(m)
        x = torch.rand(2, 3)
        same(loaded(x), m(x))
        assert m.w == loaded.w


class IntFloat:
    i: int
    f: float

    def __init__(self, i: int, f: float):
        self.i = i
        self.f = f


def test_py_class_to_ivalue_missing_attribute():
    @torch.jit.script
    def test_fn(x: IntFloat) -> float:
        return x.i + x.f

    assert test_fn(IntFloat(3, 4.0)) == 7.0
    with pytest.raises(RuntimeError, match="missing attribute i"):
        test_fn(torch.rand(3, 4))


@torch.jit.script
class Unused:
    def __init__(self):
        self.count: int = 0
        self.items: List[int] = []

    def used(self):
        self.count += 1
        return self.count

    @torch.jit.unused
    def unused(self, x: int, y: List[int], **kwargs) -> int:
        a = next(self.items)
        return a

    def uses_unused(self) -> int:
        return self.unused(y=[1], x=3)


def test_unused_method():
    class ModuleWithUnused(nn.Module):
        def __init__(self):
            super().__init__()
            self.obj = Unused()

        def forward(self):
            return self.obj.used()

        @torch.jit.export
        def calls_unused(self):
            return self.obj.unused(3, [1])

        @torch.jit.export
        def calls_unused_indirectly(self):
            return self.obj.uses_unused()

    python_module = ModuleWithUnused()
    script_module = torch.jit.script(ModuleWithUnused())
    assert python_module.forward() == script_module.forward()
    with pytest.raises(RuntimeError, match="unused"):
        script_module.calls_unused()
    with pytest.raises(RuntimeError, match="unused"):
        script_module.calls_unused_indirectly()


@torch.jit.script
class Meta:
    def __init__(self, a: int):
        self.a = a

    def method(self, other: List["Meta"]) -> "Meta":
        return Meta(len(other))


def test_self_referential_method():
    class ModuleWithMeta(torch.nn.Module):
        def __init__(self, a: int):
            super().__init__()
            self.meta = Meta(a)

        def forward(self):
            new_obj = self.meta.method([self.meta])
            return new_obj.a

    assert torch.jit.script(ModuleWithMeta(5))() == 1


def test_type_annotation():
    @torch.jit.script
    class TokenUtils:
        def __init__(self):
            self.my_list: List[Tuple[float, int, int]] = []

    @torch.jit.script
    def foo():
        y = TokenUtils()
        new_list: List[Tuple[float, int, int]] = [(1.0, 1, 1)]
        y.my_list = new_list
        return y

    assert foo().my_list == [(1.0, 1, 1)]


def test_type_annotation__dict():
    from typing import Dict

    @torch.jit.script
    class TokenUtils:
        def __init__(self):
            self.my_dict: Dict[int, int] = {}

    @torch.jit.script
    def foo():
        y = TokenUtils()
        new_dict: Dict[int, int] = {1: 1, 2: 2}
        y.my_dict = new_dict
        return y

    assert foo().my_dict == {1: 1, 2: 2}


@torch.jit.script
class ClassWithDefaultArgs:
    def __init__(self, a: int = 1, b: Optional[List[int]] = None, c: Tuple[int, int, int] = (1, 2, 3),
                 e: Optional[str] = None):
        self.int = a
        self.tup = c
        self.str = e
        self.list = [1, 2, 3]
        if b is not None:
            self.list = b

    def add(self, b: int, scale: float = 1.0) -> float:
        return self.int * scale + b


class ClassWithSomeDefaultArgs:
    def __init__(self, a: int, b: int = 1):
        self.a = a
        self.b = b


class ClassWithMutableArgs:
    def __init__(self, a: List[int] = [1, 2, 3]):  # noqa: B006 - the error under test
        self.a = a


def test_default_args():
    def all_defaults() -> int:
        obj: ClassWithDefaultArgs = ClassWithDefaultArgs()
        return obj.int + obj.list[2] + obj.tup[1]

    def some_defaults() -> int:
        obj: ClassWithDefaultArgs = ClassWithDefaultArgs(b=[5, 6, 7])
        return obj.int + obj.list[2]

    def override_defaults() -> int:
        obj: ClassWithDefaultArgs = ClassWithDefaultArgs(3, [9, 10, 11], (12, 13, 14), "str")
        s: int = obj.int
        for x in obj.list:
            s += x
        for y in obj.tup:
            s += y
        st = obj.str
        if st is not None:
            s += len(st)
        return s

    def method_defaults() -> float:
        obj: ClassWithDefaultArgs = ClassWithDefaultArgs()
        return obj.add(3) + obj.add(3, 0.25)

    def default_b() -> int:
        obj: ClassWithSomeDefaultArgs = ClassWithSomeDefaultArgs(1)
        return obj.a + obj.b

    def set_b() -> int:
        obj: ClassWithSomeDefaultArgs = ClassWithSomeDefaultArgs(1, 4)
        return obj.a + obj.b

    for fn in (all_defaults, some_defaults, override_defaults, method_defaults, default_b, set_b):
        check_script(fn)

    def should_fail():
        obj: ClassWithMutableArgs = ClassWithMutableArgs()

    with pytest.raises(RuntimeError, match="Mutable default parameters are not supported"):
        torch.jit.script(should_fail)


@torch.jit.script
class ClassWithStaticMethod:
    def __init__(self, a: int, b: int):
        self.a: int = a
        self.b: int = b

    def get_a(self):
        return self.a

    def get_b(self):
        return self.b

    def __eq__(self, other: "ClassWithStaticMethod"):
        return self.a == other.a and self.b == other.b

    @staticmethod
    def create(args: List["ClassWithStaticMethod"]) -> "ClassWithStaticMethod":
        return ClassWithStaticMethod(args[0].a, args[0].b)

    @staticmethod
    def create_from(a: int, b: int) -> "ClassWithStaticMethod":
        a = ClassWithStaticMethod(a, b)
        return ClassWithStaticMethod.create([a])


def test_staticmethod():
    def test_function(a: int, b: int) -> "ClassWithStaticMethod":
        return ClassWithStaticMethod.create_from(a, b)

    scripted = torch.jit.script(test_function)
    got = scripted(1, 2)
    assert (got.a, got.b) == (1, 2)
    assert got == test_function(1, 2)  # compared with the class's own __eq__


@torch.jit.script
class ClassWithClassMethod:
    def __init__(self, a: int):
        self.a: int = a

    def __eq__(self, other: "ClassWithClassMethod"):
        return self.a == other.a

    @classmethod
    def create(cls, a: int) -> "ClassWithClassMethod":
        return cls(a)


def test_classmethod():
    def test_function(a: int) -> "ClassWithClassMethod":
        x = ClassWithClassMethod(a)
        return x.create(a)

    scripted = torch.jit.script(test_function)
    assert scripted(1).a == 1
    assert scripted(1) == test_function(1)


def free_function(x: int) -> int:
    return x + 1


@torch.jit.script
class Properties:
    __jit_unused_properties__ = ["unsupported"]

    def __init__(self, a: int):
        self.a = a

    @property
    def attr(self) -> int:
        return self.a - 1

    @property
    def unsupported(self) -> int:
        return sum([self.a])

    @torch.jit.unused
    @property
    def unsupported_2(self) -> int:
        return sum([self.a])

    @unsupported_2.setter
    def unsupported_2(self, value):
        self.a = sum([self.a])

    @attr.setter
    def attr(self, value: int):
        self.a = value + 3


@torch.jit.script
class NoSetter:
    def __init__(self, a: int):
        self.a = a

    @property
    def attr(self) -> int:
        return free_function(self.a)


@torch.jit.script
class MethodThatUsesProperty:
    def __init__(self, a: int):
        self.a = a

    @property
    def attr(self) -> int:
        return self.a - 2

    @attr.setter
    def attr(self, value: int):
        self.a = value + 4

    def forward(self):
        return self.attr


def test_properties():
    class ModuleWithProperties(torch.nn.Module):
        def __init__(self, a: int):
            super().__init__()
            self.props = Properties(a)

        def forward(self, a: int, b: int, c: int, d: int):
            self.props.attr = a
            props = Properties(b)
            no_setter = NoSetter(c)
            method_uses_property = MethodThatUsesProperty(a + b)
            props.attr = c
            method_uses_property.attr = d
            return self.props.attr + no_setter.attr + method_uses_property.forward()

    expected = ModuleWithProperties(5)(5, 6, 7, 8)
    assert torch.jit.script(ModuleWithProperties(5))(5, 6, 7, 8) == expected


@pytest.mark.xfail(strict=True, reason="Dict[K, V] and `del x[k]` are not supported")
def test_custom_delete():
    from typing import Dict

    class Example:
        def __init__(self):
            self._data: Dict[str, torch.Tensor] = {"1": torch.tensor(1.0)}

        def check(self, key: str) -> bool:
            return key in self._data

        def __delitem__(self, key: str):
            del self._data[key]

    def fn() -> bool:
        example = Example()
        del example["1"]
        return example.check("1")

    check_script(fn)

    class NoDelItem:
        def __init__(self):
            self._data: Dict[str, torch.Tensor] = {"1": torch.tensor(1.0)}

        def check(self, key: str) -> bool:
            return key in self._data

    def fn2() -> bool:
        example = NoDelItem()
        key = "1"
        del example[key]
        return example.check(key)

    with pytest.raises(RuntimeError, match="Class does not define __delitem__"):
        torch.jit.script(fn2)


def test_recursive_script_builtin_type_resolution():
    tensor_t = torch.Tensor

    class A:
        def __init__(self):
            pass

        def f(self, x: tensor_t, y: int) -> tensor_t:
            return x + y

        def h(self, a: "A") -> "A":
            return A()

        def i(self, a: List[int]) -> int:
            return a[0]

    def call_f():
        a = A()
        return a.f(torch.tensor([1]), 2)

    def call_i():
        a = A()
        return a.i([3])

    for fn in (call_f, call_i):
        check_script(fn)
        same(save_load(torch.jit.script(fn))(), fn())


@pytest.mark.xfail(strict=True, reason="torch.device is not in minitorch_jit")
def test_recursive_script_builtin_type_resolution__device():
    device_t = torch.device

    class A:
        def __init__(self):
            pass

        def g(self, x: device_t) -> device_t:
            return x

    def call_g():
        a = A()
        return a.g(torch.device("cpu"))

    check_script(call_g)


def test_recursive_script_module_builtin_type_resolution():
    class Wrapper:
        def __init__(self, t):
            self.t = t

        def to(self, l: List[int], scale: Optional[float] = None):
            return self.t if scale is None else self.t * scale

    class A(nn.Module):
        def forward(self):
            return Wrapper(torch.rand(4, 4))

    scripted = torch.jit.script(A())
    assert scripted().t.shape == (4, 4)
    save_load(scripted)


@torch.jit.script
class ValHolder:
    def __init__(self, val):
        self.val = val


def test_class_attribute_wrong_type():
    class Mod(nn.Module):
        def __init__(self):
            super().__init__()
            self.mod1 = ValHolder(1)
            self.mod2 = ValHolder(2)

        def forward(self, cond: bool):
            if cond:
                mod = self.mod1
            else:
                mod = self.mod2
            return mod.val

    with pytest.raises(RuntimeError, match="Could not cast attribute 'val' to type Tensor"):
        torch.jit.script(Mod())


def test_recursive_scripting():
    class Class:
        def __init__(self, a: int):
            self.a = a

        def get_a(self) -> int:
            return self.a

    class M(torch.nn.Module):
        def __init__(self, obj):
            super().__init__()
            self.obj = obj

        def forward(self) -> int:
            return self.obj.get_a()

    assert torch.jit.script(M(Class(4)))() == 4


def test_recursive_scripting_failed():
    class UnscriptableClass:
        def __init__(self, a: int):
            self.a = a

        def get_a(self) -> bool:
            return issubclass(self.a, int)

    class ShouldNotCompile(torch.nn.Module):
        def __init__(self, obj):
            super().__init__()
            self.obj = obj

        def forward(self) -> bool:
            return self.obj.get_a()

    with pytest.raises(RuntimeError, match="failed to convert Python type"):
        torch.jit.script(ShouldNotCompile(UnscriptableClass(4)))

    class ShouldCompile(torch.nn.Module):
        def __init__(self, obj):
            super().__init__()
            self.obj = obj

        @torch.jit.unused
        def ignored_method(self) -> bool:
            return self.obj.get_a()

        def forward(self, x: int) -> int:
            return x + x

    assert torch.jit.script(ShouldCompile(UnscriptableClass(4)))(4) == 8


def test_unresolved_class_attributes():
    class UnresolvedAttrClass:
        def __init__(self):
            pass

        (attr_a, attr_b), [attr_c, attr_d] = ("", ""), ["", ""]
        attr_e: int = 0

    def fn_a():
        u = UnresolvedAttrClass()
        return u.attr_a

    def fn_b():
        u = UnresolvedAttrClass()
        return u.attr_b

    def fn_c():
        u = UnresolvedAttrClass()
        return u.attr_c

    def fn_d():
        u = UnresolvedAttrClass()
        return u.attr_d

    def fn_e():
        u = UnresolvedAttrClass()
        return u.attr_e

    for fn in (fn_a, fn_b, fn_c, fn_d, fn_e):
        with pytest.raises(RuntimeError, match="object has no attribute or method.*is defined as a class attribute"):
            torch.jit.script(fn)


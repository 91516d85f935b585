"""User-defined types in scripts beyond what tests/spec transcribes: how class, enum and
NamedTuple types print, context managers, interfaces dispatched at run time, objects shared
with Python, errors located in the source, and classes in archives (and archives that lie
about them)."""
import io
import json
from enum import Enum
from typing import List, NamedTuple, Optional

import pytest
from saved_models import edited
from script_util import same

import minitorch_jit as torch
from minitorch_jit.jit import LoadError, ScriptError


class Point(NamedTuple):
    x: int
    y: torch.Tensor


class Color(Enum):
    RED = 1
    GREEN = 2


class Box:
    def __init__(self, t: torch.Tensor):
        self.t = t
        self.hits = 0

    def scaled(self, k: float) -> torch.Tensor:
        self.hits += 1
        return self.t * k


class Guard:
    def __init__(self, log: List[int]):
        self.log = log

    def __enter__(self) -> int:
        self.log.append(1)
        return len(self.log)

    def __exit__(self, a: Optional[int], b: Optional[int], c: Optional[int]):
        self.log.append(2)


def save_load(fn):
    buffer = io.BytesIO()
    torch.jit.save(fn, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer)


def test_class_type_is_printed_with_its_module():
    def make(t: torch.Tensor) -> Box:
        return Box(t)

    text = str(torch.jit.script(make).graph)
    assert f"__torch__.{__name__}.Box = prim::CreateObject()" in text


def test_local_classes_of_one_name_are_different_types():
    def first():
        class Same:
            def __init__(self):
                self.a = 1
        return Same

    def second():
        class Same:
            def __init__(self):
                self.b = "b"
        return Same

    one, two = first(), second()

    def f():
        return one().a

    def g():
        return two().b

    assert torch.jit.script(f)() == 1 and torch.jit.script(g)() == "b"
    types = {line.split(" = ")[0].split(" : ")[1] for s in (f, g) for line in str(torch.jit.script(s).graph).splitlines()
             if "CreateObject" in line}
    assert len(types) == 2 and any("___torch_mangle_" in t for t in types)


def test_objects_are_shared_with_python():
    def use(b: Box) -> torch.Tensor:
        return b.scaled(2.0) + b.scaled(1.0)

    scripted = torch.jit.script(use)
    box = torch.jit.script(Box(torch.ones(2)))
    same(scripted(box), torch.full((2,), 3.0))
    assert box.hits == 2
    box.hits = 5  # Python writes a field the script reads
    scripted(box)
    assert box.hits == 7
    with pytest.raises(AttributeError, match="no attribute 'misses'"):
        box.misses = 1


def test_python_object_is_converted_into_a_copy():
    def use(b: Box) -> int:
        b.scaled(1.0)
        return b.hits

    plain = Box(torch.ones(1))
    assert torch.jit.script(use)(plain) == 1
    assert plain.hits == 0  # as in TorchScript: a plain Python object is converted, not shared


def test_with_calls_enter_and_exit():
    def f(log: List[int]) -> List[int]:
        g = Guard(log)
        with g as n:
            log.append(n * 10)
        return log

    assert torch.jit.script(f)([]) == [1, 10, 2] == f([])


def test_with_rejects_return_inside():
    def f(log: List[int]) -> int:
        with Guard(log):
            return 1
        return 0

    with pytest.raises(ScriptError, match="inside a `with` block") as e:
        torch.jit.script(f)
    assert "return 1" in str(e.value) and "^" in str(e.value)


def test_named_tuple():
    def f(p: Point) -> Point:
        q = Point(p.x + 1, y=p.y * 2)
        a, b = q
        return Point(a + q[0], b)

    scripted = torch.jit.script(f)
    assert "NamedTuple(x : int, y : Tensor)" in str(scripted.graph)
    got = scripted(Point(1, torch.ones(2)))
    assert type(got) is Point and got.x == 4
    same(got.y, torch.full((2,), 2.0))


def test_named_tuple_field_type_checked():
    def f() -> Point:
        return Point("one", torch.ones(1))

    with pytest.raises(ScriptError, match="Expected a value of type 'int' for argument 'x'"):
        torch.jit.script(f)


def test_enum_type_is_printed_and_refused_by_save():
    def f(c: Color) -> int:
        return c.value

    scripted = torch.jit.script(f)
    assert f"Enum<__torch__.{__name__}.Color>" in str(scripted.graph)
    assert scripted(Color.GREEN) == 2
    with pytest.raises(TypeError, match="enums are not saved yet"):
        save_load(scripted)


def test_enum_argument_of_another_enum_is_refused():
    @torch.jit.script
    def f(c: Color) -> int:
        return c.value

    class Other(Enum):
        RED = 1

    with pytest.raises(TypeError, match=r"Expected a value of type '__torch__\.\S*Color' for argument 'c'"):
        f(Other.RED)


def test_class_errors_point_at_the_source():
    class Bad:
        def __init__(self):
            self.x = 1

        def set(self):
            self.x = "one"

    with pytest.raises(ScriptError, match="Wrong type for attribute assignment. Expected int but got str") as e:
        torch.jit.script(Bad)
    text = str(e.value)
    assert __file__ in text and 'self.x = "one"' in text and "^" in text


@torch.jit.interface
class Scales:
    def scaled(self, k: float) -> torch.Tensor:
        pass


def test_interface_calls_dispatch_at_run_time():
    def f(s: Scales) -> torch.Tensor:
        return s.scaled(3.0)

    scripted = torch.jit.script(f)
    assert 'prim::CallMethod[name="scaled"]' in str(scripted.graph)
    box = torch.jit.script(Box(torch.ones(2)))
    same(scripted(box), torch.full((2,), 3.0))
    assert box.hits == 1


def test_function_with_classes_saves_and_loads():
    def f(t: torch.Tensor):
        b = Box(t)
        b.scaled(1.0)
        return b.scaled(2.0), b.hits

    loaded = save_load(torch.jit.script(f))
    got, hits = loaded(torch.ones(2))
    same(got, torch.full((2,), 2.0))
    assert hits == 2


def _json(change):
    def edit(raw):
        doc = json.loads(raw)
        change(doc)
        return json.dumps(doc).encode()
    return edit


@pytest.mark.parametrize("change, message", [
    (lambda m: m["classes"][0].update(name="os.system"), "is not a new class name"),
    (lambda m: m["classes"][0]["fields"].append(["me", m["classes"][0]["name"]]), "unknown type"),
    (lambda m: m["classes"].append(m["classes"][0]), "is not a new class name"),
    (lambda m: m["classes"][0]["fields"].append(["bad name", "int"]), "expected a new field name"),
])
def test_archive_classes_are_checked(change, message):
    def f(t: torch.Tensor):
        return Box(t).t

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(f), buffer)
    with pytest.raises(LoadError, match=message):
        torch.jit.load(io.BytesIO(edited(buffer.getvalue(), "model.json", _json(change))))


def test_module_holding_an_object_saves_and_loads():
    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.box = Box(torch.arange(3.0))

        def forward(self, k: float):
            return self.box.scaled(k), self.box.hits

    scripted = torch.jit.script(Holder())
    scripted(1.0)
    loaded = save_load(scripted)
    got, hits = loaded(2.0)
    same(got, torch.arange(3.0) * 2)
    assert hits == 2  # the field's value when saved, then this call's increment


def test_archive_objects_are_checked():
    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.box = Box(torch.arange(3.0))

        def forward(self):
            return self.box.hits

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(Holder()), buffer)

    def wrong_type(m):
        m["modules"][0]["attributes"]["box"]["object"]["fields"]["hits"] = {"value": "many"}

    def missing_field(m):
        del m["modules"][0]["attributes"]["box"]["object"]["fields"]["hits"]

    for change, message in ((wrong_type, "does not fit the field's type int"), (missing_field, "the fields of a")):
        with pytest.raises(LoadError, match=message):
            torch.jit.load(io.BytesIO(edited(buffer.getvalue(), "model.json", _json(change))))


class Shelf:
    def __init__(self):
        self.items = [1, 2, 3]

    def __delitem__(self, i: int):
        self.items = self.items[:i] + self.items[i + 1:]


def test_del_item_calls_delitem():
    def f() -> List[int]:
        s = Shelf()
        del s[1]
        return s.items

    assert torch.jit.script(f)() == [1, 3] == f()

    def g():
        b = Box(torch.ones(1))
        del b[0]

    with pytest.raises(ScriptError, match="Class does not define __delitem__") as e:
        torch.jit.script(g)
    assert "b[0]" in str(e.value)


def test_named_tuple_results_save_and_load():
    def f(t: torch.Tensor):
        return Point(2, t), [Point(3, t * 2)]

    loaded = save_load(torch.jit.script(f))
    p, ps = loaded(torch.ones(1))
    assert p.x == 2 and ps[0].x == 3 and p[0] == 2 and type(p).__name__ == "Point"
    same(ps[0].y, torch.full((1,), 2.0))
    assert "Point(x=2" in repr(p)

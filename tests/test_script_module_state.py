"""Module attributes as the state of scripted methods: read at each call, assigned by methods
(through ifs, loops, early returns and calls to other methods) and written back; constants
(``Final``, ``__constants__``) baked in, with ``if`` on a constant flag compiling one branch."""
import io
from typing import List, Optional

import pytest
from script_util import same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.jit import Final
from minitorch_jit.scripter import ScriptError


class Counter(nn.Module):
    last: Optional[torch.Tensor]  # the class body's annotations type them (None and [] alone would not)
    history: List[int]

    def __init__(self):
        super().__init__()
        self.count = 0
        self.last = None
        self.history = []

    def bump(self, n: int):
        for _ in range(n):
            self.count += 1

    def forward(self, x, n: int):
        self.bump(n)
        self.history.append(self.count)
        if self.count > 5:
            self.last = x
            return x * self.count
        return x


class LastSeen(nn.Module):
    last: Optional[torch.Tensor]

    def __init__(self):
        super().__init__()
        self.last = None

    def forward(self, x):
        previous = self.last
        self.last = x
        if previous is None:
            return x
        return x + previous


def test_assigned_attributes_are_written_back_through_loops_calls_and_returns():
    eager, scripted = Counter(), torch.jit.script(Counter())
    x = torch.ones(2)
    for n in (2, 3, 4):
        same(scripted(x, n), eager(x, n))
        assert (scripted.count, scripted.history) == (eager.count, eager.history)
    same(scripted.last, eager.last)
    assert "self.count" in [v.name for v in scripted.forward.graph.inputs]


def test_module_state_survives_save_and_load():
    scripted = torch.jit.script(Counter())
    scripted(torch.ones(2), 4)
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    loaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    same(loaded(torch.ones(2), 3), torch.ones(2) * 7)
    assert (loaded.count, loaded.history) == (7, [4, 7])


def test_attribute_typed_by_torch_jit_attribute():
    class Names(nn.Module):
        def __init__(self):
            super().__init__()
            self.names = torch.jit.Attribute([], List[str])

        def forward(self, name: str) -> int:
            self.names.append(name)
            return len(self.names)

    scripted = torch.jit.script(Names())
    assert (scripted("a"), scripted("b"), scripted.names) == (1, 2, ["a", "b"])


def test_optional_attribute_declared_in_the_class_body():
    eager, scripted = LastSeen(), torch.jit.script(LastSeen())
    for x in (torch.ones(2), torch.arange(2.0), torch.ones(2) * 3):
        same(scripted(x), eager(x))


class Flagged(nn.Module):
    use_square: Final[bool]
    __constants__ = ["scale"]

    def __init__(self, use_square: bool):
        super().__init__()
        self.use_square = use_square
        self.scale = 2

    def forward(self, x):
        if self.use_square:
            return x * x * self.scale
        else:
            return x.no_such_method()  # never compiled when use_square is True


def test_if_on_a_final_flag_compiles_only_the_branch_it_takes():
    scripted = torch.jit.script(Flagged(True))
    same(scripted(torch.ones(2) * 3), torch.ones(2) * 18)
    assert "prim::If" not in str(scripted.graph)
    with pytest.raises(ScriptError, match="no_such_method"):
        torch.jit.script(Flagged(False))


def test_assigning_a_constant_is_an_error():
    class AssignsConstant(nn.Module):
        flag: Final[bool]

        def __init__(self):
            super().__init__()
            self.flag = True

        def forward(self, x):
            self.flag = False
            return x

    with pytest.raises(ScriptError, match="is a constant"):
        torch.jit.script(AssignsConstant())


def test_script_module_subclass_keeps_the_value_of_a_jit_attribute():
    class Scaled(torch.jit.ScriptModule):
        def __init__(self, top: Optional[float]):
            super().__init__()
            self.top = torch.jit.Attribute(top, Optional[float])
            self.calls = torch.jit.Attribute(0, int)

        @torch.jit.script_method
        def forward(self, x):
            self.calls += 1
            top = self.top
            if top is not None:
                return x.clamp(max=top)
            return x

    m = Scaled(1.5)
    assert (m.top, m.calls) == (1.5, 0)
    same(m(torch.arange(3.0)), torch.tensor([0.0, 1.0, 1.5]))
    assert m.calls == 1
    same(Scaled(None)(torch.arange(3.0)), torch.arange(3.0))

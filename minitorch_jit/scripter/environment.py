"""Scoping: which value a variable name means at the point being emitted.

A :class:`Frame` is one block being emitted: the function body, a branch of an ``if``, or a
loop body. It records the variables assigned in it; lookups fall through to the enclosing
frames. Frames know nothing about SSA: joining a variable's values where control flow meets
(``if`` outputs, loop-carried values) is :mod:`.ssa`'s job, and a loop body's frame asks its
:class:`~.ssa.LoopScope` to turn a variable the loop reassigns into a loop-carried value.

Besides the user's variables, frames carry the state of ``return``/``break``/``continue`` as
reserved variables (names no Python variable can have), so that the same joining turns early
exits into structured control flow:

- ``$ret``: the value returned, once a ``return`` has run;
- ``$returned``: whether the function has returned;
- ``$exit``: in a loop body, whether the rest of the iteration is skipped (``continue``,
  ``break`` or ``return``); at function level the exit flag is ``$returned`` itself;
- ``$break``: in a loop body, whether the loop stops after this iteration;
- ``$attr.<path>``: the value of a module attribute that a method assigns (written back when
  the method returns, so a path that returned keeps what it assigned).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

from minitorch_jit.ir import Block, Type

from .errors import SourceRange

RETVAL, RETURNED, EXIT, BREAK = "$ret", "$returned", "$exit", "$break"
RESERVED = (RETVAL, RETURNED, EXIT, BREAK)
STATE = "$attr."  # `$attr.count`: the value of module attribute `count` a method assigns


def state_var(path: str) -> str:
    """The variable holding the current value of module attribute ``path`` in a method that
    may assign it: joined and loop-carried like a variable, and kept on paths that return."""
    return STATE + path


def outlives_return(name: str) -> bool:
    """Does a path that has returned still carry this variable's value out of an ``if``?"""
    return name in RESERVED or name.startswith(STATE)


@dataclass
class Binding:
    """A name bound to a graph Value or to a compile-time (sugared) value."""
    value: Any
    where: Optional[SourceRange] = None


@dataclass
class Undefined:
    """A name that is not defined on every path to here; using it is an error saying why."""
    message: str
    fix: str = ""


Lookup = Union[Binding, Undefined, None]


class Frame:
    """The variables of one block being emitted."""

    def __init__(self, block: Block, parent: Optional["Frame"], loop: Any = None, exit_var: Optional[str] = None):
        self.block = block
        self.parent = parent
        self.loop = loop              # the LoopScope when this frame is a loop body
        self.exit_var = exit_var or (parent.exit_var if parent is not None else RETURNED)
        self.vars: Dict[str, Union[Binding, Undefined]] = {}   # assigned here, in order
        self.refined: Dict[str, Binding] = {}  # known more precisely since (not assignments)
        self.terminated = False       # ended in `raise`: nothing after it runs
        self.pending_refinements: Dict[str, Type] = {}  # hold for the statements that follow

    def lookup(self, name: str, expected: Optional[Type] = None) -> Lookup:
        """The binding of ``name`` here. ``expected`` types a loop-carried value created for a
        name no enclosing scope defines yet (only ``$ret`` is ever in that case)."""
        frame: Optional[Frame] = self
        while frame is not None:
            if name in frame.refined:  # refined after its last assignment here
                return frame.refined[name]
            if name in frame.vars:
                return frame.vars[name]
            if frame.loop is not None and frame.loop.reassigns(name):
                return frame.loop.carry(name, expected)
            frame = frame.parent
        return None

    def assign(self, name: str, binding: Union[Binding, Undefined]) -> None:
        self.refined.pop(name, None)
        self.vars.pop(name, None)  # keep assignment order: the latest last
        self.vars[name] = binding

    def value(self, name: str) -> Any:
        """The value bound to a reserved variable (always bound)."""
        b = self.lookup(name)
        assert isinstance(b, Binding), f"{name} is not bound"
        return b.value

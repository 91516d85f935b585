"""SSA conversion: where control flow meets, the variables' values are joined into
``prim::If`` outputs and ``prim::Loop``-carried values, with their types joined too.

Given (``y`` assigned on both branches)::

    if c:
        y = x + 1
    else:
        y = 0.5 * x

the builder has emitted each branch into its block with its own :class:`~.environment.Frame`;
:func:`merge_if` makes ``%y : Tensor = prim::If(%c)`` with the branch values as block
results. A variable assigned on one branch only stays defined after the ``if`` when it was
defined before (its old value flows through the other block); otherwise it is undefined
there, and using it is an error. A branch that has returned contributes nothing to the
variables after the ``if`` (its slot is a ``prim::Uninitialized``), which is what lets
``if x is None: return ...`` be followed by code that assumes the other path.

Loops: a :class:`LoopScope` adds a loop-carried value (an input of the ``prim::Loop``, a
parameter of its body, a body result and an output) for each variable defined before the
loop that the body reassigns, the first time the body reads it or at the end of the body.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from minitorch_jit.ir import Node, Type, Value
from minitorch_jit.ir.types import unify

from .environment import BREAK, EXIT, RESERVED, RETURNED, RETVAL, Binding, Frame, Lookup, Undefined, outlives_return
from .types import type_name

_IRRELEVANT = object()  # the side of a join that control never reaches the join from


def user_name(name: str) -> Optional[str]:
    """The debug name a value of variable ``name`` gets (reserved variables get none)."""
    return None if outlives_return(name) else name


def is_const(v: Any, value: Any) -> bool:
    return isinstance(v, Value) and v.node.kind == "prim::Constant" and type(v.constant) is type(value) \
        and v.constant == value


def has_returned(frame: Frame) -> bool:
    """Has every path through this frame returned (or raised)?"""
    return frame.terminated or is_const(frame.value(RETURNED), True)


def exits(frame: Frame) -> bool:
    """Does every path through this frame leave the enclosing statement list?"""
    return frame.terminated or is_const(frame.value(frame.exit_var), True)


def _defined_outside(v: Value, node: Node) -> bool:
    producer = v.node
    return producer is not node and not producer.is_descendant_of(node.blocks[0]) and not (
        len(node.blocks) > 1 and producer.is_descendant_of(node.blocks[1]))


def uninitialized(b: Any, t: Type) -> Value:
    """A value of type ``t`` for a path on which it is never read."""
    return b.insert("prim::Uninitialized", [], [t]).output


def merge_if(b: Any, node: Node, frames: Sequence[Frame], parent: Frame, labels: Tuple[str, str]) -> None:
    """Join the variables the branches of the ``prim::If`` ``node`` assigned into its outputs,
    and bind them in ``parent``. ``labels`` name the branches in messages.

    Given ``x`` bound to ``%x`` before ``node``, and assigned ``%x.1`` in ``frames[0]`` only::

        = prim::If(%c)
          block0():
            %x.1 : Tensor = aten::add(%x, %one)
            -> ()
          block1():
            -> ()

    Result (``x`` is now bound to the output in ``parent``)::

        %x.2 : Tensor = prim::If(%c)
          block0():
            %x.1 : Tensor = aten::add(%x, %one)
            -> (%x.1)
          block1():
            -> (%x)
    """
    if all(f.terminated for f in frames):
        parent.terminated = True
        return
    names: List[str] = []
    for f in frames:
        names.extend(n for n in f.vars if n not in names)
    for name in names:
        sides = _sides(name, frames)
        relevant = [(f, s) for f, s in zip(frames, sides) if s is not _IRRELEVANT]
        if not relevant:
            continue
        missing = [f for f, s in relevant if not isinstance(s, Binding)]
        if missing:
            defined = [s for _, s in relevant if isinstance(s, Binding)]
            if name != RETVAL or not defined:
                parent.assign(name, _undefined(name, frames, sides, labels))
                continue
        values = [s.value if isinstance(s, Binding) else None for _, s in relevant]
        where = next((s.where for _, s in relevant if isinstance(s, Binding) and s.where), None)
        known = [v for v in values if v is not None]
        if any(not isinstance(v, Value) for v in known):
            if all(v is known[0] for v in known) and not missing:
                parent.assign(name, Binding(known[0], where))
                continue
            b.error(f"'{name}' refers to different things on the two branches of this if", where,
                    fix="assign modules and functions to variables outside control flow")
        if not missing and all(v is known[0] for v in known) and _defined_outside(known[0], node):
            current = parent.lookup(name)
            if not (isinstance(current, Binding) and current.value is known[0]):
                parent.assign(name, Binding(known[0], where))
            continue
        if not missing and len(relevant) == len(frames) and known[0].node.kind == "prim::Constant" and \
                all(is_const(v, known[0].constant) for v in known):
            with b.graph.inserting_after(node):
                parent.assign(name, Binding(b.constant(known[0].constant, known[0].type), where))
            continue
        if not missing and len(relevant) == 2 and is_const(known[0], True) and is_const(known[1], False):
            parent.assign(name, Binding(node.inputs[0], where))  # True on the then-branch: the condition
            continue
        t = _join(b, name, [(f, v) for (f, _), v in zip(relevant, values)], frames, parent, labels, where)
        if t is None:
            continue
        out = node.add_output(t)
        for f, s in zip(frames, sides):
            v = s.value if isinstance(s, Binding) else None
            with b.graph.inserting_before(f.block):
                f.block.register_output(v if isinstance(v, Value) else uninitialized(b, t))
        _name_join(out, user_name(name), [f.block.returns[-1] for f in frames
                                          if not _defined_outside(f.block.returns[-1], node)])
        parent.assign(name, Binding(out, where))


def _name_join(out: Value, name: Optional[str], branch_values: List[Value]) -> None:
    """The If output takes the variable's plain name (``%r``), the values the branches computed
    suffixed ones (``%r.1``), as TorchScript prints them."""
    if name is None:
        return
    inner = [v for v in branch_values if v.name == name]
    for v in inner:
        v.name = None
    out.name = name
    for v in inner:
        v.name = name


def _sides(name: str, frames: Sequence[Frame]) -> List[Any]:
    """Each branch's binding of ``name`` (or _IRRELEVANT when no path leaves it normally)."""
    sides: List[Any] = []
    for f in frames:
        if f.terminated or (not outlives_return(name) and has_returned(f)):
            sides.append(_IRRELEVANT)
        else:
            sides.append(f.vars.get(name))
    expected = next((s.value.type for s in sides if isinstance(s, Binding) and isinstance(s.value, Value)), None)
    for i, f in enumerate(frames):
        if sides[i] is None:
            sides[i] = f.lookup(name, expected)
    return sides


def _undefined(name: str, frames: Sequence[Frame], sides: Sequence[Lookup], labels: Tuple[str, str]) -> Undefined:
    for (f, s), label in zip(zip(frames, sides), labels):
        if isinstance(s, Undefined):
            return s
        if s is None:
            return Undefined(f"'{name}' is not defined in {label}", fix=f"assign '{name}' on every path, or "
                                                                          "before the if")
    return Undefined(f"'{name}' is not defined on every path")


def _join(b: Any, name: str, values: List[Tuple[Frame, Optional[Value]]], frames: Sequence[Frame], parent: Frame,
          labels: Tuple[str, str], where: Any) -> Optional[Type]:
    declared = b.declared_type(name)
    if declared is not None:
        return declared
    types = [v.type for _, v in values if v is not None]
    t: Optional[Type] = types[0]
    for u in types[1:]:
        t = unify(t, u) if t is not None else None
    if t is not None:
        return t
    if name == RETVAL:
        b.error("return statements return values of different types: "
                + " and ".join(type_name(u) for u in dict.fromkeys(types)), b.return_site(types[-1]))
    by_label = {label: v.type for (f, v), label in zip(values, labels) if v is not None}
    if tuple(by_label) == ("the if branch", "the else branch"):  # TorchScript's words
        a, b_ = by_label.values()
        message = f"Type mismatch: {name} is set to type {type_name(a)} in the true branch and type " \
                  f"{type_name(b_)} in the false branch"
    else:
        detail = " and ".join(f"{type_name(u)} in {label}" for label, u in by_label.items())
        message = f"Type mismatch: '{name}' is {detail}"
    fix = f"give '{name}' one type on every path (convert with int()/float(), or annotate it as Optional[...])"
    before = parent.lookup(name)
    if isinstance(before, Binding):
        old = before.value.type if isinstance(before.value, Value) else None
        new = next((u for u in types if u != old), None)
        if old is not None and new is not None and old in types:  # reassigned on one path: TorchScript's words
            b.error(f"Variable '{name}' previously had type {type_name(old)} but is now being assigned to a value "
                    f"of type {type_name(new)}", where, fix=fix)
        b.error(message, where, fix=fix)
    parent.assign(name, Undefined(message, fix))
    return None


def refine(b: Any, frame: Frame, name: str, t: Type) -> None:
    """Inside ``frame``, ``name`` (an Optional) is known to have type ``t``:
    ``%x.1 : Tensor = prim::unchecked_cast(%x)``."""
    binding = frame.lookup(name)
    if not isinstance(binding, Binding) or not isinstance(binding.value, Value) or binding.value.type == t:
        return
    cast = b.insert("prim::unchecked_cast", [binding.value], [t]).output
    cast.name = name
    frame.refined[name] = Binding(cast, binding.where)


class LoopScope:
    """The loop-carried values of one ``prim::Loop`` whose body is being emitted.

    Given ``x`` bound to ``%x`` before ``for i in range(%n): x = x * x``, reading ``x`` in the
    body carries it (:meth:`carry`), and :meth:`finish` closes the body::

        %x.2 : Tensor = prim::Loop(%n, %true, %x)
          block0(%i : int, %x.1 : Tensor):
            %x.3 : Tensor = aten::mul(%x.1, %x.1)
            -> (%true, %x.3)

    after which ``x`` is bound to ``%x.2`` in the enclosing frame.
    """

    def __init__(self, b: Any, node: Node, assigned: Set[str], comprehension: bool = False):
        self.b = b
        self.node = node
        self.body = node.blocks[0]
        self.assigned = assigned
        self.comprehension = comprehension  # its variables do not outlive it
        self.params: Dict[str, Value] = {}
        self.frame: Optional[Frame] = None

    def reassigns(self, name: str) -> bool:
        return (name in self.assigned or name in self.b.mutable_state) and name not in (EXIT, BREAK)

    def carry(self, name: str, expected: Optional[Type]) -> Lookup:
        """The body parameter of loop-carried ``name`` (created now if it is new)."""
        if name in self.params:
            return Binding(self.params[name])
        assert self.frame is not None and self.frame.parent is not None
        outer = self.frame.parent.lookup(name, expected)
        if isinstance(outer, Binding) and not isinstance(outer.value, Value):
            return outer  # a module or function: cannot be carried, reassigning it is an error
        if isinstance(outer, Binding):
            init = outer.value
        elif name == RETVAL and expected is not None:
            with self.b.graph.inserting_before(self.node):
                init = uninitialized(self.b, expected)
        else:
            return outer
        t = self.b.declared_type(name) or init.type
        self.node.add_input(init)
        self.params[name] = self.body.add_param(t, user_name(name))
        self.node.add_output(t, user_name(name))
        return Binding(self.params[name], outer.where if isinstance(outer, Binding) else None)

    def finish(self, frame: Frame, cond: Value, loop_range: Any) -> None:
        """Close the body: its results are the next condition and the carried values; bind the
        loop's outputs in the enclosing frame."""
        parent = frame.parent
        assert parent is not None
        local: List[str] = []
        for name, binding in list(frame.vars.items()):
            if name in (EXIT, BREAK) or self.comprehension or name in self.params:
                continue
            expected = binding.value.type if isinstance(binding, Binding) and isinstance(binding.value, Value) \
                else None
            outer = self.carry(name, expected)
            if name not in self.params:
                if isinstance(outer, Binding) and isinstance(binding, Binding) and binding.value is not outer.value:
                    self.b.error(f"Cannot re-assign '{name}' in a loop: it refers to a module or function, which "
                                 "is not a first-class value", binding.where)
                local.append(name)
        self.body.register_output(cond)
        for name, param in self.params.items():
            final = frame.vars.get(name)
            if final is None:
                value = param
            elif isinstance(final, Undefined):
                self.b.error(final.message, loop_range, fix=final.fix)
            elif not isinstance(final.value, Value):
                self.b.error(f"'{name}' cannot be assigned a module or function inside a loop", final.where)
            else:
                value = final.value
                if not value.type.is_subtype_of(param.type):
                    self._type_changed(name, param.type, value, final.where)
            self.body.register_output(value)
        for name, out in zip(self.params, self.node.outputs):
            parent.assign(name, Binding(out, loop_range))
        for name in local:
            if name not in RESERVED:
                parent.assign(name, Undefined(
                    f"'{name}' is assigned only inside the loop at line {loop_range.line}, so it is not defined "
                    "when the loop runs zero times", fix=f"assign '{name}' before the loop"))

    def _type_changed(self, name: str, before: Type, value: Value, where: Any) -> None:
        if name == RETVAL:
            self.b.error("return statements return values of different types: "
                         f"{type_name(before)} and {type_name(value.type)}", where)
        if str(before) == "NoneType":
            fix = f"annotate it where it is first assigned: `{name}: Optional[{type_name(value.type)}] = None`"
        else:
            fix = f"give '{name}' the same type before and inside the loop"
        self.b.error(f"Variable '{name}' previously had type {type_name(before)} but is now being assigned to a "
                     f"value of type {type_name(value.type)}", where, fix=fix)

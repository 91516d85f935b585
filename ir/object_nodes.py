"""The nodes that make and use objects of user-defined classes (:mod:`.class_types`).

As in TorchScript, an attribute's name is an attribute of the node::

    %o : __torch__.Point = prim::CreateObject()
    %x : int = prim::GetAttr[name="x"](%o)
    = prim::SetAttr[name="x"](%o, %v)
    %r : Tensor = prim::CallMethod[name="forward"](%o, %a)    # a method of an interface

A class's own methods are called as ``prim::CallFunction`` of their graphs (which take the
object first), so they inline like other calls; ``prim::CallMethod`` is for values of an
interface type, whose methods are only known when the program runs.
"""
from __future__ import annotations

from typing import Optional

from .class_types import ClassType, InterfaceType
from .graph import Node

OBJECT_NODES = ("prim::CreateObject", "prim::GetAttr", "prim::SetAttr", "prim::CallMethod")


def object_node_problem(node: Node) -> Optional[str]:
    """What is wrong with an object node (None when it is well-formed)."""
    kind = node.kind
    if kind == "prim::CreateObject":
        if node.inputs or len(node.outputs) != 1 or not isinstance(node.outputs[0].type, ClassType):
            return "prim::CreateObject takes no inputs and makes one object of a class type"
        return None
    name = node.attrs.get("name")
    if not isinstance(name, str) or set(node.attrs) != {"name"}:
        return f"{kind} has one attribute, name, a string"
    if not node.inputs:
        return f"{kind} takes the object first"
    t = node.inputs[0].type
    if kind == "prim::CallMethod":
        if isinstance(t, ClassType):  # an interface's value known to be of a class (peephole)
            return None if name in t.methods else f"prim::CallMethod of '{name}': a {t} has no such method"
        if not isinstance(t, InterfaceType) or name not in t.methods:
            return f"prim::CallMethod of '{name}' on a {t}"
        args, ret = t.methods[name]
        if len(node.inputs) != len(args) + 1 or any(
                not v.type.is_subtype_of(a) for v, a in zip(node.inputs[1:], args)):
            return f"prim::CallMethod of '{name}' with arguments that its interface does not take"
        if len(node.outputs) != 1 or not ret.is_subtype_of(node.outputs[0].type):
            return f"prim::CallMethod of '{name}' returns {ret}"
        return None
    if not isinstance(t, ClassType) or name not in t.fields:
        return f"{kind} of '{name}': a {t} has no such attribute"
    field = t.fields[name]
    if kind == "prim::GetAttr":
        if len(node.inputs) != 1 or len(node.outputs) != 1 or not field.is_subtype_of(node.outputs[0].type):
            return f"prim::GetAttr of '{name}' ({field}) typed otherwise"
        return None
    if len(node.inputs) != 2 or node.outputs or not node.inputs[1].type.is_subtype_of(field):
        return f"prim::SetAttr of '{name}' ({field}) with a value of another type"
    return None

"""The class types an archive's graphs use, saved as data: each class's name and its fields'
types (``model.json`` ``classes``), in an order where a class comes after the classes its
fields hold. Methods need no record: scripts call them as subgraphs, saved with the graphs.

Loading makes a class type for each record, checks its name and field types (a field may
only hold classes recorded before it, so no type contains itself), and parses the graphs with
those names known. Nothing is run or imported: a loaded class has no Python class behind it,
and its objects are ScriptObjects with the recorded fields.

Module attributes holding objects are saved as data too (:func:`encode_object`): the class's
name and the fields' values, checked against the recorded field types when loaded.

Enums, interfaces and named tuples are not saved yet: saving a graph that uses them is a
TypeError that says so, at save time.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List

import numpy as np

from minitorch_jit.codegen.objects import ScriptObject
from minitorch_jit.ir import Graph, IRParseError, Type, parse_type_str
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType
from minitorch_jit.ir.parser import class_types
from minitorch_jit.ir.types import ListType, OptionalType, TupleType

from ..ops.dispatch import _NOFIT, convert, unwrap
from ..tensor import Tensor
from .archive import LoadError

SAVED_OBJECT_NODES = ("prim::CreateObject", "prim::GetAttr", "prim::SetAttr")
_CLASS_NAME = re.compile(r"__torch__(\.[A-Za-z_][A-Za-z0-9_]*)+")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _types_in(graph: Graph) -> List[Type]:
    found: List[Type] = []
    graphs, seen = [graph], {id(graph)}
    while graphs:
        g = graphs.pop()
        for v in g.inputs:
            found.append(v.type)
        for node in g.all_nodes():
            if node.kind == "prim::CallMethod":
                raise TypeError(f"cannot save a graph that calls the method '{node.attrs.get('name')}' of an "
                                "interface: interfaces are not saved yet")
            found.extend(o.type for o in node.outputs)
            sub = node.attrs.get("Subgraph")
            if sub is not None and id(sub) not in seen:
                seen.add(id(sub))
                graphs.append(sub)
    return found


def class_records(graphs: List[Graph]) -> List[Dict[str, Any]]:
    """The records of the classes the graphs use, each after the classes its fields hold."""
    order: List[ClassType] = []

    def visit(t: Type) -> None:
        if isinstance(t, (EnumType, InterfaceType, NamedTupleType)):
            raise TypeError(f"cannot save a graph that uses the type {t}: enums, interfaces and named tuples are "
                            "not saved yet")
        if isinstance(t, ClassType):
            if t in order:
                return
            for ft in t.fields.values():
                visit(ft)
            order.append(t)
        elif isinstance(t, (ListType, OptionalType)):
            visit(t.elem)
        elif isinstance(t, TupleType):
            for e in t.elems:
                visit(e)

    for g in graphs:
        for t in _types_in(g):
            visit(t)
    return [{"name": t.name, "fields": [[name, str(ft)] for name, ft in t.fields.items()]} for t in order]


def read_classes(records: Any, where: str) -> Dict[str, Type]:
    """The class types of an archive's records, by name (LoadError for anything amiss)."""
    if not isinstance(records, list):
        raise LoadError(f"{where}: expected a list of classes")
    known: Dict[str, Type] = {}
    for i, rec in enumerate(records):
        w = f"{where}[{i}]"
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str) or not isinstance(rec.get("fields"), list):
            raise LoadError(f"{w}: expected a class name and its fields")
        name = rec["name"]
        if not _CLASS_NAME.fullmatch(name) or name in known:
            raise LoadError(f"{w}: {name!r} is not a new class name (__torch__.<module>.<class>)")
        t = ClassType(name)
        for j, field in enumerate(rec["fields"]):
            if not (isinstance(field, list) and len(field) == 2 and all(isinstance(x, str) for x in field)) or \
                    not _FIELD_NAME.fullmatch(field[0]) or field[0] in t.fields:
                raise LoadError(f"{w}.fields[{j}]: expected a new field name and its type")
            try:
                with class_types(known):  # only classes recorded before: no type contains itself
                    t.fields[field[0]] = parse_type_str(field[1])
            except IRParseError as e:
                raise LoadError(f"{w}.fields[{j}]: {e}") from None
        known[name] = t
    return known


# -- objects held by module attributes ------------------------------------------------------------------


def encode_object(obj: ScriptObject, tensor_index: Callable[[Tensor], int], encode_value: Callable[[Any, str], Any],
                  where: str) -> Dict[str, Any]:
    """An object as data: its class's name and each field's value (tensors by their index in
    the archive's tensor table, ``tensor_index(tensor)``; objects nested the same way; other
    values as ``encode_value`` writes module attributes)."""
    t: ClassType = obj._mtj_type
    fields: Dict[str, Any] = {}
    for name in t.fields:
        v = obj._mtj_values[name]
        if isinstance(v, ScriptObject):
            fields[name] = {"object": encode_object(v, tensor_index, encode_value, f"{where}.{name}")}
        elif isinstance(v, np.ndarray):
            fields[name] = {"tensor": tensor_index(Tensor._wrap(v))}
        else:
            fields[name] = {"value": encode_value(v, f"{where}.{name}")}
    return {"class": t.name, "fields": fields}


def decode_object(j: Any, classes: Dict[str, Type], tensors: List[Tensor], decode_value: Callable[[Any, str], Any],
                  where: str) -> ScriptObject:
    """The object :func:`encode_object` wrote: of a recorded class, with exactly its fields,
    each value of its field's type."""
    if not isinstance(j, dict) or set(j) != {"class", "fields"} or not isinstance(j["fields"], dict):
        raise LoadError(f"{where}: expected an object's class and fields")
    t = classes.get(j["class"]) if isinstance(j["class"], str) else None
    if not isinstance(t, ClassType):
        raise LoadError(f"{where}: {str(j['class'])[:80]!r} is not a class of the archive")
    if list(j["fields"]) != list(t.fields):
        raise LoadError(f"{where}: the fields of a {t.name} are {list(t.fields)}")
    values: Dict[str, Any] = {}
    for name, ft in t.fields.items():
        fw, f = f"{where}.fields.{name}", j["fields"][name]
        if not isinstance(f, dict) or len(f) != 1:
            raise LoadError(f"{fw}: expected a tensor, an object or a value")
        (kind, body), = f.items()
        if kind == "object":
            value: Any = decode_object(body, classes, tensors, decode_value, fw)
        elif kind == "tensor" and isinstance(body, int) and not isinstance(body, bool) and 0 <= body < len(tensors):
            value = tensors[body]
        elif kind == "value":
            value = decode_value(body, fw)
        else:
            raise LoadError(f"{fw}: expected a tensor, an object or a value")
        c = convert(value, ft)
        if c is _NOFIT:
            raise LoadError(f"{fw}: the value does not fit the field's type {ft}")
        values[name] = unwrap(c)
    return ScriptObject(t, values)

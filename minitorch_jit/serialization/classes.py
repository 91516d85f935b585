"""The class types an archive's graphs use, saved as data: each class's name and its fields'
types (``model.json`` ``classes``), in an order where a class comes after the classes its
fields hold. Methods need no record: scripts call them as subgraphs, saved with the graphs.

Loading makes a class type for each record, checks its name and field types (a field may
only hold classes recorded before it, so no type contains itself), and parses the graphs with
those names known. Nothing is run or imported: a loaded class has no Python class behind it,
and its objects are ScriptObjects with the recorded fields.

Module attributes holding objects are saved as data too (:func:`encode_object`): the class's
name and the fields' values, checked against the recorded field types when loaded.

Interfaces are recorded with their methods' types; when a graph calls a method of an
interface (``prim::CallMethod``), the methods of the recorded classes are saved as graphs
too, since which one runs is known only when the program runs.

Enums and named tuples are not saved yet: saving a graph that uses them is a TypeError that
says so, at save time.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from minitorch_jit.codegen.objects import ScriptObject
from minitorch_jit.ir import Graph, IRParseError, Type, parse_type_str
from minitorch_jit.ir.class_types import ClassType, EnumType, InterfaceType, NamedTupleType
from minitorch_jit.ir.parser import class_types
from minitorch_jit.ir.types import ListType, OptionalType, TupleType

from ..ops.dispatch import _NOFIT, convert, unwrap
from ..tensor import Tensor
from .archive import LoadError

SAVED_OBJECT_NODES = ("prim::CreateObject", "prim::GetAttr", "prim::SetAttr", "prim::CallMethod")
_CLASS_NAME = re.compile(r"__torch__(\.[A-Za-z_][A-Za-z0-9_]*)+")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _types_in(graph: Graph) -> List[Type]:
    found: List[Type] = []
    graphs, seen = [graph], {id(graph)}
    while graphs:
        g = graphs.pop()
        found.extend(v.type for v in g.inputs)
        for node in g.all_nodes():
            found.extend(o.type for o in node.outputs)
            sub = node.attrs.get("Subgraph")
            if sub is not None and id(sub) not in seen:
                seen.add(id(sub))
                graphs.append(sub)
    return found


def _calls_methods(graphs: List[Graph]) -> bool:
    """Does some graph call a method by name (``prim::CallMethod``: an interface's)?"""
    return any(n.kind == "prim::CallMethod" for g in graphs for n in g.all_nodes())


def class_records(graphs: List[Graph], save_method: Callable[[Any, str], Dict[str, Any]],
                  objects: List[Any]) -> List[Dict[str, Any]]:
    """The records of the classes and interfaces the graphs and the ``objects`` (held by module
    attributes) use, each after the classes its fields hold. When a graph calls methods of an
    interface, the classes' methods are saved too (``save_method(compiled, base)`` writes one
    and gives its entry), since which class's method runs is only known when the program runs."""
    order: List[Type] = []
    with_methods = _calls_methods(graphs)
    pending: List[Graph] = list(graphs)

    def visit(t: Type) -> None:
        if isinstance(t, (EnumType, NamedTupleType)):
            raise TypeError(f"cannot save a graph that uses the type {t}: enums and named tuples are not saved yet")
        if isinstance(t, (ClassType, InterfaceType)):
            if t in order:
                return
            if isinstance(t, ClassType):
                for ft in t.fields.values():
                    visit(ft)
                if t in order:  # a field's type that holds this class (a loop through fields)
                    raise TypeError(f"cannot save the class {t.name}: its fields hold objects of itself")
            else:
                for args, ret in t.methods.values():
                    for a in (*args, ret):
                        visit(a)
            order.append(t)
            if isinstance(t, ClassType) and with_methods:
                pending.extend(m.graph for m in t.methods.values())
        elif isinstance(t, (ListType, OptionalType)):
            visit(t.elem)
        elif isinstance(t, TupleType):
            for e in t.elems:
                visit(e)

    for obj in objects:
        visit(obj._mtj_type)
    while pending:
        for t in _types_in(pending.pop()):
            visit(t)
    records = []
    for t in order:
        if isinstance(t, InterfaceType):
            records.append({"name": t.name, "interface": {
                name: [[str(a) for a in args], str(ret)] for name, (args, ret) in t.methods.items()}})
            continue
        assert isinstance(t, ClassType)
        rec: Dict[str, Any] = {"name": t.name, "fields": [[name, str(ft)] for name, ft in t.fields.items()]}
        if with_methods:
            rec["methods"] = {name: save_method(m, f"{t.name}.{name}") for name, m in t.methods.items()}
        records.append(rec)
    return records


def _type(text: Any, known: Dict[str, Type], where: str) -> Type:
    if not isinstance(text, str):
        raise LoadError(f"{where}: expected a type")
    try:
        with class_types(known):  # only classes recorded before: no type contains itself
            return parse_type_str(text)
    except IRParseError as e:
        raise LoadError(f"{where}: {e}") from None


def read_classes(records: Any, where: str) -> Tuple[Dict[str, Type], List[Tuple[ClassType, str, Any, str]]]:
    """The class and interface types of an archive's records, by name, and the methods to
    load: (class, method name, entry, where). A LoadError for anything amiss."""
    if not isinstance(records, list):
        raise LoadError(f"{where}: expected a list of classes")
    known: Dict[str, Type] = {}
    methods: List[Tuple[ClassType, str, Any, str]] = []
    for i, rec in enumerate(records):
        w = f"{where}[{i}]"
        name = rec.get("name") if isinstance(rec, dict) else None
        if not isinstance(name, str) or not _CLASS_NAME.fullmatch(name) or name in known:
            raise LoadError(f"{w}: {str(name)[:80]!r} is not a new class name (__torch__.<module>.<class>)")
        if "interface" in rec:
            sigs = rec["interface"]
            if set(rec) != {"name", "interface"} or not isinstance(sigs, dict):
                raise LoadError(f"{w}: expected an interface's name and methods")
            table: Dict[str, Tuple[Tuple[Type, ...], Type]] = {}
            for mname, sig in sigs.items():
                mw = f"{w}.interface.{mname}"
                if not _FIELD_NAME.fullmatch(mname) or not (isinstance(sig, list) and len(sig) == 2 and
                                                           isinstance(sig[0], list)):
                    raise LoadError(f"{mw}: expected [argument types, return type]")
                table[mname] = (tuple(_type(a, known, mw) for a in sig[0]), _type(sig[1], known, mw))
            interface = InterfaceType(name, table)
            interface.signatures_of = _compiled_signatures
            known[name] = interface
            continue
        if not set(rec) <= {"name", "fields", "methods"} or not isinstance(rec.get("fields"), list):
            raise LoadError(f"{w}: expected a class name and its fields")
        t = ClassType(name)
        for j, field in enumerate(rec["fields"]):
            if not (isinstance(field, list) and len(field) == 2 and isinstance(field[0], str)) or \
                    not _FIELD_NAME.fullmatch(field[0]) or field[0] in t.fields:
                raise LoadError(f"{w}.fields[{j}]: expected a new field name and its type")
            t.fields[field[0]] = _type(field[1], known, f"{w}.fields[{j}]")
        entries = rec.get("methods", {})
        if not isinstance(entries, dict) or not all(isinstance(k, str) and _FIELD_NAME.fullmatch(k) for k in entries):
            raise LoadError(f"{w}.methods: expected methods by name")
        methods.extend((t, mname, entry, f"{w}.methods.{mname}") for mname, entry in entries.items())
        known[name] = t
    return known, methods


def _compiled_signatures(c: ClassType, names: List[str]) -> Dict[str, Tuple[Tuple[Type, ...], Type]]:
    """A loaded class's methods' types, read from their graphs (which take the object first)."""
    out = {}
    for name in names:
        m = c.methods.get(name)
        if m is not None and len(m.graph.outputs) == 1:
            out[name] = (tuple(v.type for v in m.graph.inputs[1:]), m.graph.outputs[0].type)
    return out


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

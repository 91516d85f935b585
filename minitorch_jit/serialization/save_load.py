"""``save(obj, f)`` and ``load(f)``: compiled functions and modules as archives that load
without the Python source that defined them, and without running anything from the file.

What an archive holds besides its version and manifest (see :mod:`.archive`)::

    model.json                 what the archive is: a function, or the module tree (per module:
                               original class name, training flag, parameters, buffers, plain
                               attributes with their IR types, constants (``Final``), children,
                               methods); per method
                               its signature and the module attributes its graph reads
    code/<module.>method.graph each graph in the IR text form, tensor constants as CONSTANTS.cN
    code/<module.>method.py    its ``.code``, for people to read (never read back)
    data/<i>.npy               parameters, buffers and tensor attributes, one per distinct tensor
                               (so tied weights stay tied)
    constants/c<i>.npy         the graphs' tensor constants

Loading parses each graph with the project's parser, runs the verifier, checks that the
graph holds only what save writes (no internal nodes such as fusion groups, no other
attributes, format strings in TorchScript's ``{}`` grammar), checks every tensor and
attribute a graph reads against the type of the graph input it feeds, refuses methods named
after the module's own attributes and module trees deeper than :data:`MAX_MODULE_DEPTH`,
and builds the same ScriptFunction / ScriptModule objects the frontends build. Anything
wrong is a :class:`LoadError` saying what and where, raised by load, never later by a call.
"""
from __future__ import annotations

import inspect
import math
import re
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from minitorch_jit.codegen.objects import ScriptObject
from minitorch_jit.ir import (
    SUBGRAPH,
    DictType,
    Graph,
    IRParseError,
    ListType,
    TensorType,
    Type,
    VerifyError,
    parse_graph,
    parse_type_str,
    print_graph,
    registry,
    verify,
)

from .. import dtypes
from .._version import __version__
from ..nn.module import Module
from ..ops.containers import ScriptDict, ScriptList
from ..ops.dispatch import _NOFIT, convert
from ..ops.python import format_pieces
from ..runtime.compiled import ScriptFunction, ScriptMethod, ScriptModule, new_script_module
from ..scripter.types import python_type
from ..tensor import Parameter, Tensor
from .archive import Archive, LoadError, PathOrFile, dump_json, encode_array, read_archive, write_archive
from .classes import SAVED_OBJECT_NODES, class_records, class_types, decode_object, encode_object, read_classes
from .devices import placement

MODEL = "model.json"
_KINDS = {k.name: k for k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)}
_TABLE_NAME = re.compile(r"[A-Za-z0-9_]+")       # parameters, buffers, children ("0" in Sequential)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BUILTIN_ATTRS = ("training", "original_name")  # attributes every module record carries
# Modules nest a few levels in practice; Python code walking a module tree (repr,
# state_dict, save) recurses once per level, so a deeper tree is refused at load.
MAX_MODULE_DEPTH = 100
# What the frontends put in the graphs of compiled functions, and so all that save writes:
# registry ops, these structural nodes, and these attributes. Nodes made when a graph runs
# (prim::FusionGroup for one specialization) never are.
_SAVED_STRUCTURAL = {"prim::Constant", "prim::If", "prim::Loop", "prim::CallFunction", "prim::CallMethod",
                     "prim::TupleUnpack", "prim::ListUnpack", "prim::TupleConstruct",
                     "prim::isinstance"} | set(SAVED_OBJECT_NODES)
_SAVED_ATTRS = {"prim::Constant": {"value"}, "prim::CallFunction": {"name", SUBGRAPH}, "aten::warn": {"warn_id"},
                "prim::isinstance": {"types"},
                **{kind: {"name"} for kind in SAVED_OBJECT_NODES if kind != "prim::CreateObject"},
                "prim::CallMethod": {"name", SUBGRAPH}}  # by name on an object, or a module's method's graph

Compiled = Union[ScriptFunction, ScriptModule]


def save(obj: Compiled, f: PathOrFile, _extra_files: Optional[Dict[str, Union[str, bytes]]] = None) -> None:
    """Write a scripted or traced function or module to ``f`` (a path or a binary file).
    A path is only replaced once the whole archive is written. ``_extra_files`` maps names to
    contents (str or bytes) stored beside it, which :func:`load` can read back."""
    if isinstance(obj, ScriptMethod):
        raise TypeError(f"{obj.name} is a method of a module: save the module that owns it")
    model: Dict[str, Any]
    if isinstance(obj, ScriptModule):
        writer = _Writer()
        model = {"kind": "module", "modules": writer.modules(obj)}
    elif isinstance(obj, ScriptFunction):
        writer = _Writer()
        model = {"kind": "function", "function": {"name": obj.name, **writer.function(obj, obj.name)}}
    else:
        raise TypeError(f"minitorch_jit.save saves compiled functions and modules (made by trace or script), not "
                        f"a {type(obj).__name__}")
    classes = class_records(writer.graphs, writer.function, writer.objects)
    if classes:  # archives without classes stay as they were
        model["classes"] = classes
    extra = []
    for i, (name, content) in enumerate((_extra_files or {}).items()):
        if not isinstance(name, str) or not isinstance(content, (str, bytes)):
            raise TypeError(f"_extra_files maps names (str) to contents (str or bytes), not {type(name).__name__} "
                            f"to {type(content).__name__}")
        extra.append((name, f"extra/{i}", content.encode() if isinstance(content, str) else bytes(content)))
    if extra:
        model["extra_files"] = {name: member for name, member, _ in extra}
    write_archive(f, writer.members(model) + [(member, data) for _, member, data in extra])


def load(f: PathOrFile, map_location: Any = None,
         _extra_files: Optional[Dict[str, Any]] = None) -> Compiled:
    """Read an archive written by :func:`save` and rebuild the function or module. Raises
    :class:`LoadError` when the archive is damaged, tampered with, unsafe or from a newer
    minitorch_jit (and ``OSError`` when the file cannot be read). Each name of
    ``_extra_files`` is set to the bytes saved under it (a LoadError if there are none);
    ``map_location`` is checked as ``torch.load`` checks it."""
    placement(map_location)
    archive = read_archive(f)
    obj = load_archive(archive)
    if _extra_files:
        saved = archive.json_value(MODEL).get("extra_files", {})
        if not isinstance(saved, dict):
            raise LoadError(f"{MODEL}.extra_files: expected an object")
        for name in _extra_files:
            member = saved.get(name)
            if not isinstance(member, str) or not member.startswith("extra/"):
                raise LoadError(f"the archive has no extra file {name!r}")
            _extra_files[name] = archive.raw(member)
    return obj


def load_archive(archive: Archive) -> Compiled:
    """The function or module an archive read by :func:`read_archive` holds."""
    model = archive.json_value(MODEL)
    if isinstance(model, dict) and model.get("kind") == "object":
        raise LoadError("the archive holds values written by torch.save (not a compiled function or module): load "
                        "it with torch.load")
    try:
        return _Reader(archive).load()
    except RecursionError:  # types, values or graphs nested deeper than Python recurses
        raise LoadError("the archive nests a type, value or graph too deeply to load") from None


# -- plain values (defaults and attributes) ---------------------------------------------------------


def _encode_value(v: Any, where: str) -> Any:
    """JSON for the values a signature default or a module attribute may hold."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else {"float": repr(v)}
    if isinstance(v, list):
        return [_encode_value(x, where) for x in v]
    if isinstance(v, tuple):
        return {"tuple": [_encode_value(x, where) for x in v]}
    if isinstance(v, dtypes.dtype):
        return {"dtype": v.name}
    if isinstance(v, dict):  # in order, keys as saved values (str, int, float, bool)
        return {"dict": [[_encode_value(k, where), _encode_value(x, where)] for k, x in v.items()]}
    raise TypeError(f"cannot save {where}: a {type(v).__name__} (defaults and attributes may be None, bool, int, "
                    "float, str, a dtype, or lists and tuples of them)")


def _decode_value(j: Any, where: str) -> Any:
    if j is None or isinstance(j, (bool, int, float, str)):
        return j
    if isinstance(j, list):
        return [_decode_value(x, where) for x in j]
    if isinstance(j, dict) and len(j) == 1:
        (tag, body), = j.items()
        if tag == "float" and body in ("inf", "-inf", "nan"):
            return float(body)
        if tag == "tuple" and isinstance(body, list):
            return tuple(_decode_value(x, where) for x in body)
        if tag == "dtype" and body in dtypes.BY_NAME:
            return dtypes.BY_NAME[body]
        if tag == "dict" and isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body):
            pairs = [(_decode_value(k, where), _decode_value(x, where)) for k, x in body]
            if all(isinstance(k, (str, int, float)) for k, _ in pairs):  # bool is an int
                return dict(pairs)
    raise LoadError(f"{where}: {str(j)[:80]} is not a saved value")


# -- saving -----------------------------------------------------------------------------------------


def _refuse_python_calls(graph: Graph, owner: str) -> None:
    """A call back into Python (``@torch.jit.ignore``) cannot be saved: the archive holds no
    code to run. Raised as TorchScript raises it, naming the function."""
    for node in graph.all_nodes():
        if node.kind == "prim::PythonOp":
            raise RuntimeError(f"Could not export Python function call '{node.attrs.get('name')}' (in {owner}). "
                               "Remove calls to Python functions (@torch.jit.ignore) before export")
        if SUBGRAPH in node.attrs:
            _refuse_python_calls(node.attrs[SUBGRAPH], owner)


class _Writer:
    def __init__(self) -> None:
        self.files: Dict[str, bytes] = {}
        self.tensors: List[Tensor] = []
        self.tensor_index: Dict[int, int] = {}
        self.constants: List[np.ndarray] = []
        self.graphs: List[Graph] = []
        self.objects: List[ScriptObject] = []  # held by module attributes

    def file(self, folder: str, base: str, ext: str, data: bytes) -> str:
        """Store ``data`` as ``folder/base.ext``, the name made safe and unique."""
        stem = f"{folder}/" + (re.sub(r"[^A-Za-z0-9_.]", "_", base).strip(".") or "_")
        name, i = f"{stem}{ext}", 1
        while name in self.files:
            name, i = f"{stem}.{i}{ext}", i + 1
        self.files[name] = data
        return name

    def tensor(self, t: Tensor) -> int:
        if id(t) not in self.tensor_index:
            self.tensor_index[id(t)] = len(self.tensors)
            self.tensors.append(t)
        return self.tensor_index[id(t)]

    def function(self, fn: ScriptFunction, base: str) -> Dict[str, Any]:
        _refuse_python_calls(fn.graph, fn.qualified_name)
        self.graphs.append(fn.graph)
        graph = self.file("code", base, ".graph", print_graph(fn.graph, constants=self.constants).encode())
        self.file("code", base, ".py", fn.code.encode())
        signature = []
        for p in fn.signature.parameters.values():
            if p.kind.name not in _KINDS:
                raise TypeError(f"cannot save {fn.name}: its parameter {p.name} is {p.kind.description}")
            entry = {"name": p.name, "kind": p.kind.name}
            if p.default is not p.empty:
                entry["default"] = _encode_value(p.default, f"the default of {p.name} in {fn.name}")
            signature.append(entry)
        return {"qualified_name": fn.qualified_name, "graph": graph, "signature": signature}

    def modules(self, root: ScriptModule) -> List[Dict[str, Any]]:
        """The module tree as a list, each module once (shared submodules are referred to by
        index), the root first."""
        records: List[Dict[str, Any]] = []
        index: Dict[int, int] = {}
        owners: List[Tuple[Module, str]] = []

        def visit(m: Module, path: str) -> int:
            index[id(m)] = len(records)
            rec: Dict[str, Any] = {
                "original_name": m.original_name if isinstance(m, ScriptModule) else type(m).__name__,
                "training": bool(m.training),
                "parameters": {k: None if p is None else self.tensor(p) for k, p in m._parameters.items()},
                "buffers": {k: None if b is None else {"tensor": self.tensor(b),
                                                       "persistent": k not in m._non_persistent}
                            for k, b in m._buffers.items()},
                "attributes": {}, "children": {}, "methods": {}}
            constants = getattr(m, "_constants", {})
            if constants:
                rec["constants"] = {k: _encode_value(v, f"constant {path}{k}") for k, v in constants.items()}
            records.append(rec)
            owners.append((m, path))
            for name, child in m._modules.items():
                rec["children"][name] = None if child is None else (
                    index[id(child)] if id(child) in index else visit(child, f"{path}{name}."))
            return index[id(m)]

        visit(root, "")
        for (m, path), rec in zip(owners, records):
            for name, method in getattr(m, "_methods", {}).items():
                entry = self.function(method, path + name)
                entry["attr_paths"] = method.attr_paths
                if method.written_paths:
                    entry["written_paths"] = method.written_paths
                rec["methods"][name] = entry
                self.attributes(m, method, records, index)
            if isinstance(m, ScriptModule) and (m._script_pre_hooks or m._script_hooks):
                rec["hooks"] = {}
                for kind, hooks in (("pre", m._script_pre_hooks), ("post", m._script_hooks)):
                    rec["hooks"][kind] = []
                    for hook in hooks:
                        entry = self.function(hook, f"{path}{kind}_hook.{hook.name}")
                        entry["name"] = hook.name
                        entry["attr_paths"] = hook.attr_paths
                        rec["hooks"][kind].append(entry)
                        self.attributes(m, hook, records, index)
        return records

    def attributes(self, m: Module, method: ScriptMethod, records: List[Dict[str, Any]],
                   index: Dict[int, int]) -> None:
        """Record the plain attributes (not parameters or buffers) ``method`` reads, with
        the type of the graph input each one feeds."""
        attr_inputs = method.graph.inputs[len(method.graph.inputs) - len(method.attr_paths):]
        for path, inp in zip(method.attr_paths, attr_inputs):
            *parents, name = path.split(".")
            owner = m
            for part in parents:
                owner = owner._modules[part]
            if name in owner._parameters or name in owner._buffers or name in _BUILTIN_ATTRS:
                continue
            value = getattr(owner, name)
            where = f"attribute {path} of {records[index[id(m)]]['original_name']}"
            rec: Dict[str, Any] = {"type": str(inp.type)}
            if isinstance(value, Tensor):
                rec["tensor"] = self.tensor(value)
            elif isinstance(value, ScriptObject):
                rec["object"] = encode_object(value, self.tensor, _encode_value, where)
                self.objects.append(value)
            else:  # a ScriptList or ScriptDict attribute is saved as the list or dict it holds
                rec["value"] = _encode_value(value.copy() if isinstance(value, (ScriptList, ScriptDict)) else value,
                                             where)
            records[index[id(owner)]]["attributes"][name] = rec

    def members(self, model: Dict[str, Any]) -> List[Tuple[str, bytes]]:
        tensors = {f"data/{i}.npy": encode_array(t._a) for i, t in enumerate(self.tensors)}
        constants = {f"constants/c{i}.npy": encode_array(c) for i, c in enumerate(self.constants)}
        model.update(producer=f"minitorch_jit {__version__}", constants=list(constants),
                     tensors=[{"file": f, "parameter": isinstance(t, Parameter), "requires_grad": t.requires_grad}
                              for f, t in zip(tensors, self.tensors)])
        return [(MODEL, dump_json(model))] + list(self.files.items()) + list(tensors.items()) \
            + list(constants.items())


# -- loading ----------------------------------------------------------------------------------------


def _get(obj: Any, key: str, kind: Any, where: str) -> Any:
    """``obj[key]``, which must be of ``kind`` (ints are not bools here)."""
    if not isinstance(obj, dict):
        raise LoadError(f"{where}: expected an object")
    if key not in obj:
        raise LoadError(f"{where}: missing {key!r}")
    v = obj[key]
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise LoadError(f"{where}.{key}: expected {names}, found {type(v).__name__}")
    return v


def _index(obj: Any, key: str, table: List[Any], where: str) -> int:
    i = _get(obj, key, int, where)
    if not 0 <= i < len(table):
        raise LoadError(f"{where}.{key}: index {i} is out of range")
    return i


def _names(table: Dict[str, Any], pattern: "re.Pattern[str]", where: str) -> None:
    for name in table:
        if not pattern.fullmatch(name):
            raise LoadError(f"{where}: {name!r} is not a valid name")


class _Reader:
    def __init__(self, archive: Archive):
        self.archive = archive
        self.model = archive.json_value(MODEL)
        self.tensors = [self.tensor(t, f"{MODEL}.tensors[{i}]")
                        for i, t in enumerate(_get(self.model, "tensors", list, MODEL))]
        self.classes, methods = read_classes(self.model.get("classes", []), f"{MODEL}.classes")
        constants = _get(self.model, "constants", list, MODEL)
        if not all(isinstance(f, str) for f in constants):
            raise LoadError(f"{MODEL}.constants: expected member names")
        self.constants = [archive.array(f) for f in constants]
        for t, name, entry, where in methods:  # (their graphs name the classes: all are known now)
            graph, sig = self.function(entry, where)
            self.check_inputs(graph, sig, [], where)
            if not graph.inputs or graph.inputs[0].type != t:
                raise LoadError(f"{where}: a method of {t.name} takes the object first")
            t.methods[name] = ScriptFunction(graph, sig, name, _get(entry, "qualified_name", str, where))

    def tensor(self, entry: Any, where: str) -> Tensor:
        t = Tensor._wrap(self.archive.array(_get(entry, "file", str, where)))
        if _get(entry, "parameter", bool, where):
            t = Parameter(t)
        t.requires_grad = _get(entry, "requires_grad", bool, where)
        return t

    def load(self) -> Compiled:
        kind = _get(self.model, "kind", str, MODEL)
        if kind == "function":
            where = f"{MODEL}.function"
            entry = _get(self.model, "function", dict, MODEL)
            name = _get(entry, "name", str, where)
            graph, sig = self.function(entry, where)
            self.check_inputs(graph, sig, [], f"function {name}")
            return ScriptFunction(graph, sig, name, _get(entry, "qualified_name", str, where))
        if kind == "module":
            return self.modules(_get(self.model, "modules", list, MODEL))
        raise LoadError(f"{MODEL}: unknown kind {kind!r}")

    def function(self, entry: Dict[str, Any], where: str) -> Tuple[Graph, inspect.Signature]:
        member = _get(entry, "graph", str, where)
        text = self.archive.text(member)
        try:
            with class_types(self.classes):
                graph = parse_graph(text, self.constants)
            verify(graph)
        except (IRParseError, VerifyError) as e:
            raise LoadError(f"{member}: {e}") from None
        except RecursionError:
            raise LoadError(f"{member}: the graph is nested too deeply") from None
        _check_saveable(graph, member)
        params = []
        for i, p in enumerate(_get(entry, "signature", list, where)):
            pw = f"{where}.signature[{i}]"
            pname, kind = _get(p, "name", str, pw), _get(p, "kind", str, pw)
            if not _IDENTIFIER.fullmatch(pname) or kind not in _KINDS:
                raise LoadError(f"{pw}: not a valid parameter")
            default = _decode_value(p["default"], pw) if "default" in p else inspect.Parameter.empty
            try:
                params.append(inspect.Parameter(pname, _KINDS[kind], default=default))
            except ValueError as e:  # a keyword, like `class`
                raise LoadError(f"{pw}: {e}") from None
        try:
            sig = inspect.Signature(params)
        except ValueError as e:
            raise LoadError(f"{where}.signature: {e}") from None
        return graph, sig

    def check_inputs(self, graph: Graph, sig: inspect.Signature, attrs: List[Tuple[str, Any]], what: str) -> None:
        """The graph takes the signature's arguments and then the attributes; each default
        and attribute must fit the type of the graph input it feeds."""
        if len(graph.inputs) != len(sig.parameters) + len(attrs):
            raise LoadError(f"{what}: its graph takes {len(graph.inputs)} inputs, its signature and attributes "
                            f"give {len(sig.parameters) + len(attrs)}")
        for p, inp in zip(sig.parameters.values(), graph.inputs):
            if p.default is not p.empty and convert(p.default, inp.type) is _NOFIT:
                raise LoadError(f"{what}: the default {p.default!r} of {p.name} does not fit its type {inp.type}")
        for (path, value), inp in zip(attrs, graph.inputs[len(sig.parameters):]):
            _check_fits(value, inp.type, f"{what}: {path}")

    def modules(self, records: List[Any]) -> ScriptModule:
        if not records:
            raise LoadError(f"{MODEL}.modules is empty")
        names = [_get(r, "original_name", str, f"{MODEL}.modules[{i}]") for i, r in enumerate(records)]
        mods = [new_script_module(name, _CONTAINER_KINDS.get(name)) for name in names]
        for i, (m, rec) in enumerate(zip(mods, records)):
            self.fill(m, rec, mods, f"{MODEL}.modules[{i}]")
        _check_tree(mods)
        for i, (m, rec) in enumerate(zip(mods, records)):
            where = f"{MODEL}.modules[{i}].methods"
            methods = _get(rec, "methods", dict, where)
            _names(methods, _IDENTIFIER, where)
            for name, entry in methods.items():
                mw = f"{where}.{name}"
                if name in m.__dict__ or name in m._parameters or name in m._buffers or name in m._modules or (
                        name != "forward" and hasattr(ScriptModule, name)):
                    raise LoadError(f"{mw}: a method of that name would replace the module's own {name!r}")
                graph, sig = self.function(entry, mw)
                paths = _get(entry, "attr_paths", list, mw)
                attrs = [(p, _attr_path(m, p, mw)) for p in paths]
                self.check_inputs(graph, sig, attrs, f"method {m.original_name}.{name}")
                written = entry.get("written_paths", [])
                if not isinstance(written, list) or any(p not in paths for p in written) or \
                        len(graph.outputs) != 1 + len(written):
                    raise LoadError(f"{mw}.written_paths: {written!r} are not attributes the method reads and "
                                    "returns")
                m._add_method(ScriptMethod(graph, sig, name, paths, _get(entry, "qualified_name", str, mw), written))
            hooks = _get(rec, "hooks", dict, where) if "hooks" in rec else {}
            for kind, entries in hooks.items():
                hw = f"{MODEL}.modules[{i}].hooks.{kind}"
                if kind not in ("pre", "post") or not isinstance(entries, list):
                    raise LoadError(f"{hw}: expected a list of \"pre\" or \"post\" hooks")
                for k, entry in enumerate(entries):
                    ew = f"{hw}[{k}]"
                    name = _get(entry, "name", str, ew)
                    if not _IDENTIFIER.fullmatch(name):
                        raise LoadError(f"{ew}: {name!r} is not a valid hook name")
                    graph, sig = self.function(entry, ew)
                    if len(sig.parameters) != (1 if kind == "pre" else 2):
                        raise LoadError(f"{ew}: a {kind} hook takes {1 if kind == 'pre' else 2} arguments")
                    paths = _get(entry, "attr_paths", list, ew)
                    attrs = [(p, _attr_path(m, p, ew)) for p in paths]
                    self.check_inputs(graph, sig, attrs, f"hook {m.original_name}.{name}")
                    m._add_hook(kind, ScriptMethod(graph, sig, name, paths, _get(entry, "qualified_name", str, ew)))
        return mods[0]

    def fill(self, m: ScriptModule, rec: Dict[str, Any], mods: List[ScriptModule], where: str) -> None:
        object.__setattr__(m, "training", _get(rec, "training", bool, where))
        tables = {key: _get(rec, key, dict, where) for key in ("parameters", "buffers", "children", "attributes")}
        for key in ("parameters", "buffers", "children"):
            _names(tables[key], _TABLE_NAME, f"{where}.{key}")
        taken = set(tables["parameters"]) | set(tables["buffers"]) | set(tables["children"])
        if len(taken) != sum(len(tables[k]) for k in ("parameters", "buffers", "children")):
            raise LoadError(f"{where}: a name is used twice among parameters, buffers and children")
        for name, p in tables["parameters"].items():
            param = None if p is None else \
                self.tensors[_index(tables["parameters"], name, self.tensors, f"{where}.parameters")]
            if param is not None and not isinstance(param, Parameter):
                raise LoadError(f"{where}.parameters.{name}: tensor {p} is not a parameter")
            m.register_parameter(name, param)
        for name, b in tables["buffers"].items():
            bw = f"{where}.buffers.{name}"
            if b is None:
                m.register_buffer(name, None)
                continue
            buf = self.tensors[_index(b, "tensor", self.tensors, bw)]
            if isinstance(buf, Parameter):
                raise LoadError(f"{bw}: tensor {b['tensor']} is a parameter, not a buffer")
            m.register_buffer(name, buf, _get(b, "persistent", bool, bw))
        for name, c in tables["children"].items():
            if c is not None and (not isinstance(c, int) or isinstance(c, bool) or not 0 < c < len(mods)):
                raise LoadError(f"{where}.children.{name}: {c!r} is not the index of another module")
            m.add_module(name, None if c is None else mods[c])
        for name, a in tables["attributes"].items():
            aw = f"{where}.attributes.{name}"
            if not _IDENTIFIER.fullmatch(name) or name.startswith("_") or name in taken or hasattr(m, name):
                raise LoadError(f"{aw}: not a valid attribute name")
            with class_types(self.classes):
                t = _parse_type(_get(a, "type", str, aw), aw)
            value: Any
            if "object" in a:
                value = decode_object(a["object"], self.classes, self.tensors, _decode_value, aw)
            else:
                value = self.tensors[_index(a, "tensor", self.tensors, aw)] if "tensor" in a else \
                    _decode_value(_get(a, "value", (type(None), bool, int, float, str, list, dict), aw), aw)
            _check_fits(value, t, aw)
            if isinstance(t, ListType) and isinstance(value, list):  # shared with the graphs, as when saved
                value = ScriptList(value, t)
            elif isinstance(t, DictType) and isinstance(value, dict):
                value = ScriptDict(value, t)
            object.__setattr__(m, name, value)
        constants = _get(rec, "constants", dict, where) if "constants" in rec else {}
        for name, c in constants.items():
            cw = f"{where}.constants.{name}"
            if not _IDENTIFIER.fullmatch(name) or name.startswith("_") or name in taken or hasattr(m, name):
                raise LoadError(f"{cw}: not a valid constant name")
            value = _decode_value(c, cw)
            if not python_type(value)[0]:
                raise LoadError(f"{cw}: a {type(value).__name__} is not a valid constant")
            m.add_constant(name, value)


# A loaded module of one of these classes is indexed and iterated from Python like the
# original (a subclass of them loads as a plain ScriptModule; its scripts were compiled already).
_CONTAINER_KINDS = {"Sequential": "list", "ModuleList": "list", "ModuleDict": "dict",
                    "ParameterList": "parameter_list", "ParameterDict": "parameter_dict"}


def _parse_type(text: str, where: str) -> Type:
    try:
        return parse_type_str(text)
    except IRParseError as e:
        raise LoadError(f"{where}: bad type {text[:80]!r} ({e})") from None


def _check_fits(value: Any, t: Type, where: str) -> None:
    """A tensor must have the graph type's dtype and rank (and its known sizes); any other
    value must convert to the type."""
    if isinstance(t, TensorType) and isinstance(value, Tensor):
        arr = value._a
        if t.dtype is not None and arr.dtype.name != t.dtype:
            raise LoadError(f"{where} is a {arr.dtype.name} tensor, the graph expects {t}")
        if t.sizes is not None and (len(t.sizes) != arr.ndim or any(
                s is not None and s != d for s, d in zip(t.sizes, arr.shape))):
            raise LoadError(f"{where} is a tensor of shape {list(arr.shape)}, the graph expects {t}")
    elif convert(value, t) is _NOFIT:
        raise LoadError(f"{where}: a {type(value).__name__} does not fit the graph's type {t}")


def _attr_path(m: ScriptModule, path: Any, where: str) -> Any:
    """What ``m.get_attr_path(path)`` reads, found through the module tables and recorded
    attributes only (never an arbitrary Python attribute)."""
    if not isinstance(path, str):
        raise LoadError(f"{where}.attr_paths: {path!r} is not a path")
    *parents, name = path.split(".")
    owner: Optional[Module] = m
    for part in parents:
        owner = owner._modules.get(part) if owner is not None else None
    if owner is not None:
        for table in (owner._parameters, owner._buffers):
            if name in table:
                return table[name]
        if _IDENTIFIER.fullmatch(name) and not name.startswith("_") and name in owner.__dict__:
            return owner.__dict__[name]
    raise LoadError(f"{where}.attr_paths: {path!r} names no parameter, buffer or attribute of the module")


def _check_saveable(graph: Graph, member: str) -> None:
    """The graph holds only what :func:`save` writes (the verifier has checked it is well
    formed): no internal nodes, no attributes the frontends do not set, and format strings
    in TorchScript's grammar (Python's would read attributes of the values, or pad them to
    gigabytes)."""
    graphs, seen = [graph], {id(graph)}
    while graphs:
        for node in graphs.pop().all_nodes():
            if node.kind not in _SAVED_STRUCTURAL and registry.node_op(node) is None:
                raise LoadError(f"{member}: {node.kind} nodes are made when a graph runs, never saved")
            extra = set(node.attrs) - _SAVED_ATTRS.get(node.kind, set())
            if extra:
                raise LoadError(f"{member}: {node.kind} has the attribute {sorted(extra)[0]!r}, which save never "
                                "writes")
            if node.kind == "aten::warn" and type(node.attrs.get("warn_id", 0)) is not int:
                raise LoadError(f"{member}: aten::warn's warn_id must be an int")
            if node.kind in ("prim::CallFunction", "prim::CallMethod") and not isinstance(node.attrs.get("name"), str):
                raise LoadError(f"{member}: {node.kind} needs the name of the function it calls")
            sub = node.attrs.get(SUBGRAPH)
            if sub is not None and id(sub) not in seen:  # subgraphs are shared by the calls that name them
                seen.add(id(sub))
                graphs.append(sub)
            if node.kind == "aten::format" and node.inputs[0].node.kind == "prim::Constant":
                try:
                    format_pieces(node.inputs[0].constant)
                except ValueError as e:
                    raise LoadError(f"{member}: {e}") from None


def _check_tree(mods: List[ScriptModule]) -> None:
    """Every module is reachable from the root (index 0), none contains itself, and no path
    from the root is longer than :data:`MAX_MODULE_DEPTH` modules (a depth first search
    without recursion, as a tampered tree may be deep)."""
    index = {id(m): i for i, m in enumerate(mods)}
    height: Dict[int, int] = {}  # of each module whose subtree is done: its longest path down
    on_path = {0}
    stack = [(0, iter(mods[0]._modules.values()))]
    while stack:
        i, children = stack[-1]
        child = next(children, _END)
        if child is _END:
            stack.pop()
            on_path.discard(i)
            height[i] = 1 + max((height[index[id(c)]] for c in mods[i]._modules.values() if c is not None),
                                default=0)
            if len(stack) + height[i] > MAX_MODULE_DEPTH:
                raise LoadError(f"{MODEL}.modules: the module tree is more than {MAX_MODULE_DEPTH} modules deep")
        elif child is not None:
            c = index[id(child)]
            if c in on_path:
                raise LoadError(f"{MODEL}.modules[{c}] contains itself")
            if c not in height:
                on_path.add(c)
                stack.append((c, iter(mods[c]._modules.values())))
    done = set(height)
    if len(done) != len(mods):
        raise LoadError(f"{MODEL}.modules[{min(set(range(len(mods))) - done)}] is not part of the module tree")


_END = object()

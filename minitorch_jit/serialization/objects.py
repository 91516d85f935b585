"""``torch.save(obj, f)`` and ``torch.load(f, map_location=None)``: tensors and the plain
values around them (state dicts, lists, tuples and dicts of tensors, numbers, strings) in the
same checked archive container as compiled code (:mod:`.archive`), never pickled.

What an archive holds besides its version and manifest::

    model.json      {"kind": "object", "value": <value>, "tensors": [...], "producer": ...}
    data/<i>.npy    each distinct tensor once (two names for one tensor stay one tensor)

A value is JSON: ``null``, booleans, integers and strings as themselves; everything else a
one-key object: ``{"float": 1.5}`` (``"nan"``, ``"inf"``, ``"-inf"`` as strings),
``{"tensor": i}``, ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"dict": [[k, v], ...]}``,
``{"ordered_dict": [[k, v], ...]}`` (``state_dict()``'s type), ``{"dtype": "float32"}``,
``{"size": [2, 3]}``. Loading checks every part against that grammar; objects of other classes
(which PyTorch would pickle) are refused when saving, with what to save instead.

``torch.load`` of an archive of a compiled function or module loads it with
:func:`.save_load.load`, warning as PyTorch does (``torch.jit.load`` is the direct way).
"""
from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from typing import Any, Dict, List, Optional

from .. import dtypes
from .._version import __version__
from ..nn.module import Module
from ..runtime.compiled import ScriptFunction, ScriptModule
from ..tensor import Parameter, Size, Tensor
from . import save_load
from .archive import LoadError, PathOrFile, dump_json, encode_array, read_archive, write_archive
from .devices import placement

MODEL = "model.json"
_MAX_DEPTH = 200  # nesting of lists, tuples and dicts a saved value may have


def save(obj: Any, f: PathOrFile, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Write ``obj`` (a tensor, or numbers, strings, None, dtypes and lists, tuples and dicts of
    them, such as a ``state_dict()``) to ``f`` (a path or a binary file). A compiled function
    or module is written as :func:`torch.jit.save` writes it."""
    if pickle_module is not None:
        raise ValueError("torch.save never pickles here: pickle_module is not supported")
    if isinstance(obj, (ScriptModule, ScriptFunction)):
        save_load.save(obj, f)
        return
    writer = _Writer()
    value = writer.encode(obj, "the object", 0)
    model = {"kind": "object", "value": value, "producer": f"minitorch_jit {__version__}",
             "tensors": [{"file": f"data/{i}.npy", "parameter": isinstance(t, Parameter),
                          "requires_grad": bool(t.requires_grad)} for i, t in enumerate(writer.tensors)]}
    members = [(MODEL, dump_json(model))]
    members += [(f"data/{i}.npy", encode_array(t._a)) for i, t in enumerate(writer.tensors)]
    write_archive(f, members)


class _Writer:
    def __init__(self) -> None:
        self.tensors: List[Tensor] = []
        self.index: Dict[int, int] = {}

    def encode(self, v: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(f"cannot save {where}: nested more than {_MAX_DEPTH} levels deep")
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return {"float": v if math.isfinite(v) else repr(v)}
        if isinstance(v, Tensor):
            if id(v) not in self.index:
                self.index[id(v)] = len(self.tensors)
                self.tensors.append(v)
            return {"tensor": self.index[id(v)]}
        if isinstance(v, dtypes.dtype):
            return {"dtype": v.name}
        if isinstance(v, Size):
            return {"size": [int(s) for s in v]}
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
            return {type(v).__name__: [self.encode(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]}
        if type(v) in (dict, OrderedDict):
            tag = "ordered_dict" if isinstance(v, OrderedDict) else "dict"
            return {tag: [[self.encode(k, f"a key of {where}", depth + 1), self.encode(x, f"{where}[{k!r}]", depth + 1)]
                          for k, x in v.items()]}
        hint = " (save its state_dict(), or a compiled module with torch.jit.save)" if isinstance(v, Module) else ""
        raise TypeError(f"cannot save {where}: a {type(v).__name__}{hint}. torch.save writes tensors, numbers, "
                        "strings, None, dtypes, and lists, tuples and dicts of them; it never pickles objects")


def load(f: PathOrFile, map_location: Any = None, pickle_module: Any = None, *, weights_only: Optional[bool] = None,
         mmap: Optional[bool] = None, **pickle_load_args: Any) -> Any:
    """Read what :func:`save` wrote. ``map_location`` may be None, ``"cpu"``, a device, a dict
    from saved locations to devices, or ``fn(tensor, location)`` returning the tensor to use;
    every tensor here lives on the CPU. Raises :class:`LoadError` for a damaged or tampered
    archive (``OSError`` when the file cannot be read)."""
    if pickle_module is not None:
        raise ValueError("torch.load never unpickles here: pickle_module is not supported")
    place = placement(map_location)
    archive = read_archive(f)
    model = archive.json_value(MODEL)
    if isinstance(model, dict) and model.get("kind") in ("function", "module"):
        warnings.warn("'torch.load' received a zip file that looks like a TorchScript archive dispatching to "
                      "'torch.jit.load' (call 'torch.jit.load' directly to silence this warning)", UserWarning,
                      stacklevel=2)
        return save_load.load_archive(archive)
    if not isinstance(model, dict) or model.get("kind") != "object" or "value" not in model:
        raise LoadError(f"{MODEL}: not an archive written by torch.save")
    entries = model.get("tensors")
    if not isinstance(entries, list):
        raise LoadError(f"{MODEL}.tensors: expected a list")
    tensors = [place(_tensor(archive, e, f"{MODEL}.tensors[{i}]")) for i, e in enumerate(entries)]
    try:
        return _decode(model["value"], tensors, f"{MODEL}.value")
    except RecursionError:
        raise LoadError(f"{MODEL}.value is nested too deeply") from None


def _tensor(archive: Any, entry: Any, where: str) -> Tensor:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or \
            not isinstance(entry.get("parameter"), bool) or not isinstance(entry.get("requires_grad"), bool):
        raise LoadError(f"{where}: expected {{\"file\", \"parameter\", \"requires_grad\"}}")
    t = Tensor._wrap(archive.array(entry["file"]))
    if entry["parameter"]:
        t = Parameter(t, entry["requires_grad"])
    else:
        t.requires_grad = entry["requires_grad"]
    return t


def _decode(j: Any, tensors: List[Tensor], where: str) -> Any:
    if j is None or isinstance(j, (bool, int, str)):
        return j
    if not (isinstance(j, dict) and len(j) == 1):
        raise LoadError(f"{where}: {str(j)[:80]} is not a saved value")
    (tag, body), = j.items()
    if tag == "float" and (isinstance(body, float) or body in ("nan", "inf", "-inf")):
        return float(body)
    if tag == "tensor" and isinstance(body, int) and not isinstance(body, bool) and 0 <= body < len(tensors):
        return tensors[body]
    if tag == "dtype" and body in dtypes.BY_NAME:
        return dtypes.BY_NAME[body]
    if tag == "size" and isinstance(body, list) and all(type(s) is int and s >= 0 for s in body):
        return Size(body)
    if tag in ("list", "tuple") and isinstance(body, list):
        items = [_decode(x, tensors, f"{where}[{i}]") for i, x in enumerate(body)]
        return items if tag == "list" else tuple(items)
    if tag in ("dict", "ordered_dict") and isinstance(body, list):
        out: Dict[Any, Any] = OrderedDict() if tag == "ordered_dict" else {}
        for i, pair in enumerate(body):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise LoadError(f"{where}[{i}]: expected a [key, value] pair")
            key = _decode(pair[0], tensors, f"{where}[{i}].key")
            try:
                out[key] = _decode(pair[1], tensors, f"{where}[{i}].value")
            except TypeError:  # an unhashable key (a list)
                raise LoadError(f"{where}[{i}]: a {type(key).__name__} cannot be a dict key") from None
        return out
    raise LoadError(f"{where}: {str(j)[:80]} is not a saved value")

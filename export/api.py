"""``export_library(model, "path/NAME.so")``: writes NAME.so and NAME.h."""
from __future__ import annotations

import os
import re
from typing import Any, Optional, Sequence

from minitorch_jit.ir.types import Type

from . import abi
from .library import Library, compile_library
from .prepare import ExportError, parameters_of, prepare


def export_library(model: Any, so_path: str, input_types: Optional[Sequence[Type]] = None) -> str:
    """Export a compiled ``model`` (a ScriptModule or ScriptFunction, traced or scripted,
    e.g. as ``torch.jit.load`` returns it) as the shared library ``so_path`` and its header
    beside it (NAME.h for NAME.so; NAME names the C functions). Returns the header's path."""
    name = os.path.basename(so_path)
    name = name[:-3] if name.endswith(".so") else name
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ExportError(f"the library's name {name!r} must be a C identifier (it prefixes the C functions)")
    graph = getattr(model, "graph", None)
    if graph is None:
        raise ExportError(f"{type(model).__name__} is not a compiled model: trace or script it first")
    library = Library(name, prepare(graph, parameters_of(model), input_types))
    compile_library(library, so_path)
    header_path = os.path.join(os.path.dirname(so_path), f"{name}.h")
    with open(header_path, "w") as f:
        f.write(library.header())
    with open(os.path.join(os.path.dirname(header_path), abi.TENSOR_HEADER), "w") as f:
        f.write(abi.tensor_header())
    return header_path

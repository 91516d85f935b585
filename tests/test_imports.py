"""The rooms of the house import each other one way: no import cycle between them, and every
import points down the floors below (the layer rule of DESIGN.md, made exact).

The imports are read from the source with ``ast`` (relative imports resolved, imports inside
functions included), so an import moved into a function to dodge a cycle is still seen.
A room is a subpackage of minitorch_jit (the compiler's layers ``ir``, ``passes`` and
``codegen`` by their installed names), or one module at the package's top level; the package
itself (``minitorch_jit/__init__.py``, the ``torch`` namespace) is a room of its own.
"""
import ast
import io
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

import minitorch_jit as torch
from minitorch_jit import serialization
from minitorch_jit.runtime import compiled
from minitorch_jit.scripter import api

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("ir", "passes", "codegen", "export")  # folders at the top of the checkout, installed under minitorch_jit

# Bottom to top. A room may import rooms on lower floors only; rooms on one floor are
# independent of each other (the fuser forms fusion groups without knowing how they are
# compiled, and codegen compiles them without knowing the passes: the runtime wires the two).
FLOORS: List[Tuple[str, ...]] = [
    ("minitorch_jit.ir", "minitorch_jit._version"),
    ("minitorch_jit.passes", "minitorch_jit.codegen", "minitorch_jit.dtypes", "minitorch_jit.devices",
     "minitorch_jit._format"),
    ("minitorch_jit.export",),         # native libraries: lowers optimized graphs with codegen's kernels
    ("minitorch_jit.tensor",),
    ("minitorch_jit.autograd",),       # the tape and its engine: ops record onto it as they run
    ("minitorch_jit.ops", "minitorch_jit.tensor_types"),
    ("minitorch_jit.nn", "minitorch_jit.optim"),
    ("minitorch_jit.runtime",),        # compiled functions and modules, the executor
    ("minitorch_jit.tracer",),         # frontends: they build graphs and hand them to the runtime
    ("minitorch_jit.scripter",),
    ("minitorch_jit.serialization",),  # archives of what the frontends built
    ("minitorch_jit.jit", "minitorch_jit._C"),  # the torch.jit and torch._C namespaces
    ("minitorch_jit",),                # the torch namespace
    ("minitorch_jit.bench",),
    ("minitorch_jit.cli",),
    ("minitorch_jit.__main__",),
]
FLOOR = {room: i for i, rooms in enumerate(FLOORS) for room in rooms}


def source_modules() -> Dict[str, Path]:
    """Every module of the package by its installed name."""
    folders = [("minitorch_jit", ROOT / "minitorch_jit")] + [(f"minitorch_jit.{n}", ROOT / n) for n in LAYERS]
    modules = {}
    for prefix, folder in folders:
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([prefix, *parts])] = path
    return modules


MODULES = source_modules()


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return module
    return ".".join(parts[:2])


def imported(module: str, path: Path) -> List[Tuple[str, int]]:
    """The modules of the package that ``module`` imports, with the line of each import.
    ``from pkg import name`` imports the submodule ``pkg.name`` when there is one, else it
    reads a name of ``pkg`` itself."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub if sub in MODULES else target, node.lineno))
    return [(m, line) for m, line in found if m.split(".")[0] == "minitorch_jit"]


def room_imports() -> Dict[Tuple[str, str], List[str]]:
    """(importing room, imported room) -> where, as file:line."""
    edges: Dict[Tuple[str, str], List[str]] = {}
    for module, path in MODULES.items():
        for target, line in imported(module, path):
            assert target in MODULES, f"{path}:{line} imports {target}, which is no module of the package"
            a, b = room(module), room(target)
            where = f"{path.relative_to(ROOT)}:{line}"
            if a != b and where not in edges.get((a, b), []):
                edges.setdefault((a, b), []).append(where)
    return edges


EDGES = room_imports()


def cycles(edges: Dict[Tuple[str, str], List[str]]) -> List[List[str]]:
    """The strongly connected components of more than one room (Tarjan)."""
    graph: Dict[str, Set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_reader_sees_imports_inside_functions_and_resolves_relative_ones(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from ..runtime import compiled\n"
                    "def f():\n"
                    "    from . import api\n"
                    "    from .. import dtypes, __version__\n"
                    "    import minitorch_jit.ir.types\n"
                    "    import numpy\n")
    assert imported("minitorch_jit.scripter.m", path) == [
        ("minitorch_jit.runtime.compiled", 1), ("minitorch_jit.scripter.api", 3), ("minitorch_jit.dtypes", 4),
        ("minitorch_jit", 4), ("minitorch_jit.ir.types", 5)]


def test_cycles_are_found():
    edges = {("a", "b"): [], ("b", "c"): [], ("c", "a"): [], ("c", "d"): []}
    assert cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycle_between_rooms():
    found = cycles(EDGES)
    where = [f"{a} -> {b}: {', '.join(at)}" for c in found for (a, b), at in sorted(EDGES.items())
             if a in c and b in c]
    assert not found, "import cycles between rooms:\n" + "\n".join(where)


def test_every_room_has_a_floor():
    rooms = {room(m) for m in MODULES}
    assert rooms - set(FLOOR) == set(), "new rooms: put them on a floor of FLOORS"
    assert set(FLOOR) - rooms == set(), "rooms that are gone: take them off FLOORS"


def test_imports_only_point_down():
    up = [f"{a} (floor {FLOOR[a]}) -> {b} (floor {FLOOR[b]}): {', '.join(at)}"
          for (a, b), at in sorted(EDGES.items()) if FLOOR[b] >= FLOOR[a]]
    assert not up, "imports that do not point down:\n" + "\n".join(up)


def test_the_compiler_layers_import_nothing_of_the_user_api():
    """ir imports nothing above it; passes only ir; codegen only ir and the version string
    (a key of its kernel cache)."""
    allowed = {"minitorch_jit.ir": set(),
               "minitorch_jit.passes": {"minitorch_jit.ir"},
               "minitorch_jit.codegen": {"minitorch_jit.ir", "minitorch_jit._version"}}
    wrong = [f"{a} -> {b}: {', '.join(at)}" for (a, b), at in sorted(EDGES.items())
             if a in allowed and b not in allowed[a]]
    assert not wrong, "\n".join(wrong)


# -- the two calls up from the runtime go through what the rooms above registered ------------------


def double(x):
    return x * 2


def test_compiled_objects_save_through_the_writer_serialization_registered(monkeypatch):
    assert compiled._writer is serialization.save
    fn = torch.jit.script(double)
    monkeypatch.setattr(compiled, "_writer", None)
    with pytest.raises(RuntimeError, match="minitorch_jit.serialization"):
        fn.save(io.BytesIO())


def test_script_module_subclasses_compile_through_the_scripter_registered():
    assert compiled._subclass_compiler is api.compile_script_methods

"""``python -m minitorch_jit show FILE.py[:NAME]``: what the JIT makes of a function.

Imports the file (as a module: code under ``if __name__ == "__main__":`` does not run),
scripts the function named (or takes every ``@script`` function and script module in it, or
else what the file scripts and traces, found in its source: :mod:`.discover`), and prints its
graph; with ``--shapes``, also the graph optimized for inputs of those shapes
(fusion groups and all), the Python code that runs it and the fuser's report. ``--dot``
writes the graph as Graphviz DOT, and renders it as SVG when Graphviz is installed.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import types
from typing import Any, Dict, List, Sequence, Tuple

import minitorch_jit as torch
from minitorch_jit.ir.dot import to_dot

from ..bench import programs
from ..jit import ScriptFunction, ScriptModule
from ..nn import Module
from ..scripter import ScriptError, script
from .discover import discover

DTYPES = ("float32", "float64", "int64", "int32", "bool", "float16", "int16", "int8", "uint8")


class ShowError(Exception):
    """``show`` cannot do what it was asked; the message says why."""


def add_parser(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subcommands.add_parser(
        "show", help="print a function's graph, optimized graph, generated code and fusion report",
        description="Import FILE.py, script the function NAME (or take every @script function in the file) and "
                    "print its graph. With --shapes, also the graph optimized for example inputs of those shapes "
                    "(with its fusion groups), the code that runs it and the report of what was fused and why "
                    "the rest was not.")
    p.add_argument("target", metavar="FILE.py[:NAME]")
    p.add_argument("--shapes", metavar='"8,100;8,100"',
                   help="the shapes of the example tensors, one per tensor argument, separated by ';' "
                        "(an empty shape is a 0-d tensor); other arguments take their defaults")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="the example tensors' dtype")
    p.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                   help="a non-tensor argument, as a Python literal (repeatable): --arg n=3 --arg flag=True")
    p.add_argument("--dot", metavar="PATH",
                   help="write the graph (optimized, with --shapes) as Graphviz DOT, fusion groups as clusters, "
                        "and PATH with .svg when Graphviz's dot program is installed")


def parse_shapes(text: str) -> List[Tuple[int, ...]]:
    shapes = []
    for part in text.split(";"):
        try:
            shape = tuple(int(d) for d in part.replace(" ", "").split(",") if d)
        except ValueError:
            raise ShowError(f"--shapes: {part.strip()!r} is not a shape: write sizes separated by commas, "
                            f"shapes separated by ';' (\"8,100;8,100\")") from None
        if any(d < 0 for d in shape):
            raise ShowError(f"--shapes: {part.strip()!r} has a negative size")
        shapes.append(shape)
    return shapes


def parse_args(items: Sequence[str]) -> Dict[str, Any]:
    values = {}
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name.strip().isidentifier():
            raise ShowError(f"--arg {item!r}: write NAME=VALUE")
        try:
            values[name.strip()] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            raise ShowError(f"--arg {item!r}: {text.strip()!r} is not a Python literal") from None
    return values


def load(path: str) -> types.ModuleType:
    """The file as a module (its directory on sys.path while it imports, for its own imports)."""
    if not os.path.isfile(path):
        raise ShowError(f"no such file: {path}")
    directory = os.path.dirname(os.path.abspath(path))
    name = "_minitorch_jit_show_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ShowError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except ScriptError as e:
        raise ShowError(f"importing {path} scripts a function that fails to compile:\n{e}") from None
    finally:
        sys.path.remove(directory)
    return module


def targets(module: types.ModuleType, path: str, name: str) -> List[Tuple[str, ScriptFunction]]:
    """(name, compiled function) for NAME, or for every script function and module of the file."""
    def compiled(obj: Any, what: str) -> ScriptFunction:
        if isinstance(obj, ScriptModule):
            return obj.forward
        if isinstance(obj, ScriptFunction):
            return obj
        if isinstance(obj, type) and issubclass(obj, Module):
            try:
                obj = obj()
            except TypeError as e:
                raise ShowError(f"{what} is a module class whose constructor needs arguments ({e}): make an "
                                f"instance in the file (model = {what}(...)) and name that") from None
            return compiled(obj.eval(), what)
        if isinstance(obj, (types.FunctionType, Module)):
            try:
                return compiled(script(obj), what)
            except ScriptError as e:
                raise ShowError(f"{what} cannot be scripted:\n{e}") from None
        raise ShowError(f"{what} is a {type(obj).__name__}, not a function or a module")

    if name:
        if not hasattr(module, name):
            raise ShowError(f"{path} has no {name!r}; {_listing(module)}")
        return [(name, compiled(getattr(module, name), name))]
    found = [(k, compiled(v, k)) for k, v in vars(module).items() if isinstance(v, (ScriptFunction, ScriptModule))]
    if found:
        return found
    with open(path) as f:
        discovered, skipped = discover(module, f.read())
    for item in skipped:
        sys.stdout.write(f"(not shown: {item.name}, {item.reason})\n")
    found = [(item.name, compiled(item.obj, item.name)) for item in discovered]
    if not found:
        raise ShowError(f"{path} has no @script functions and compiles nothing that can be shown: name one as "
                        f"{path}:NAME ({_listing(module)})")
    return found


def _listing(module: types.ModuleType) -> str:
    """``its functions: f, g; its module classes: Net`` (classes are not functions)."""
    names = _functions(module)
    functions = [n for n in names if not isinstance(getattr(module, n), type)]
    classes = [n for n in names if isinstance(getattr(module, n), type)]
    parts = [f"its functions: {', '.join(functions) or 'none'}"]
    if classes:
        parts.append(f"its module classes: {', '.join(classes)}")
    return "; ".join(parts)


def _functions(module: types.ModuleType) -> List[str]:
    """The functions and module classes defined in the file, and the seed programs it imports
    (the shipped examples import theirs from :mod:`minitorch_jit.bench.programs`)."""
    def mine(v: Any) -> bool:
        return (isinstance(v, types.FunctionType) or isinstance(v, type) and issubclass(v, Module)) \
            and (v.__module__ == module.__name__ or v.__module__.startswith(programs.__name__ + "."))
    return [k for k, v in vars(module).items() if mine(v) and not k.startswith("_")]


def example_inputs(shapes: Sequence[Tuple[int, ...]], dtype: str) -> List[Any]:
    """Random tensors (seed 0): normal floats, ints in [0, 10), bools."""
    torch.manual_seed(0)
    dt = getattr(torch, dtype)
    if dtype.startswith("float"):
        return [torch.randn(*s, dtype=dt) for s in shapes]
    if dtype == "bool":
        return [torch.rand(*s) > 0.5 for s in shapes]
    return [torch.randint(0, 10, s, dtype=dt) for s in shapes]


def _section(title: str, body: str) -> str:
    return f"== {title} ==\n{body.rstrip()}\n\n"


def _write_dot(text: str, path: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    svg = os.path.splitext(path)[0] + ".svg"
    dot = shutil.which("dot")
    if dot is None:
        return f"wrote {path} (install Graphviz to render it: dot -Tsvg {path} -o {svg})"
    subprocess.run([dot, "-Tsvg", path, "-o", svg], check=True)
    return f"wrote {path} and {svg}"


def run(args: argparse.Namespace) -> int:
    path, _, name = args.target.partition(":") if args.target.count(":") == 1 else (args.target, "", "")
    shapes = parse_shapes(args.shapes) if args.shapes is not None else None
    kwargs = parse_args(args.arg)
    if kwargs and shapes is None:
        raise ShowError("--arg goes with --shapes: the arguments are those of the example call")
    chosen = targets(load(path), path, name)
    out = sys.stdout
    for fn_name, fn in chosen:
        out.write(_section(f"{fn_name}: graph", str(fn.graph)))
        graph = fn.graph
        if shapes is None:
            out.write(_section(f"{fn_name}: code", fn.code))
            out.write("(give --shapes to see the graph optimized for inputs of those shapes, its fusion groups, "
                      "the code that runs and the fuser's report)\n\n")
        else:
            inputs = example_inputs(shapes, args.dtype)
            try:
                graph = fn.graph_for(*inputs, **kwargs)
            except (TypeError, RuntimeError, ValueError) as e:
                raise ShowError(f"the example inputs do not fit {fn_name}: {e} (--shapes gives the tensors, --arg "
                                f"the other arguments)") from None
            kinds = ", ".join([f"{args.dtype}{list(s)}" for s in shapes] + [f"{k}={v!r}" for k, v in kwargs.items()])
            out.write(_section(f"{fn_name}: optimized graph for inputs {kinds}", str(graph)))
            out.write(_section(f"{fn_name}: code that runs for these inputs", fn.code_for(*inputs, **kwargs)))
            out.write(_section(f"{fn_name}: fusion", fn.explain(*inputs, **kwargs)))
        if args.dot is not None:
            stem, ext = os.path.splitext(args.dot)
            target = args.dot if len(chosen) == 1 else f"{stem}.{fn_name}{ext or '.dot'}"
            out.write(_write_dot(to_dot(graph, fn_name), target) + "\n")
    return 0

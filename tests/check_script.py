"""The checks PyTorch's JIT tests make most (``checkScript``, ``checkModule``), for the spec
files of tests/spec: a function gives the same results run by Python, scripted from its
Python source, and compiled from its source text by ``torch.jit.CompilationUnit``; a module
the same eagerly, scripted, and scripted then saved and loaded."""
import copy
import inspect
import io
import textwrap

from script_util import same

import minitorch_jit as torch


def check_script(fn, args, outputs=None, string_frontend=True):
    """``fn(*args)`` run by Python (or ``outputs``), by ``torch.jit.script(fn)`` and, with
    ``string_frontend``, by a CompilationUnit of ``fn``'s source whose names resolve in the
    caller's frame (as checkScript's do). Returns the scripted function."""
    expected = fn(*copy.deepcopy(args)) if outputs is None else outputs
    if string_frontend:
        cu = torch.jit.CompilationUnit(textwrap.dedent(inspect.getsource(fn)), _frames_up=1)
        same(getattr(cu, fn.__name__)(*copy.deepcopy(args)), expected)
    scripted = torch.jit.script(fn)
    same(scripted(*copy.deepcopy(args)), expected)
    return scripted


def check_module(module, args):
    """The module eagerly, scripted, and scripted then saved and loaded, on ``args``."""
    expected = module(*copy.deepcopy(args))
    scripted = torch.jit.script(module)
    same(scripted(*copy.deepcopy(args)), expected)
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    buffer.seek(0)
    same(torch.jit.load(buffer)(*copy.deepcopy(args)), expected)
    return scripted

"""Helpers for the scripting tests: run a function eagerly and scripted, compare exactly (floats
within the fused kernels' stated tolerance)."""
import copy
import importlib.util

import numpy as np
from differential import assert_same_with_and_without_passes, random_like
from graph_checks import FUSED_RTOL

import minitorch_jit as torch
from minitorch_jit.ir import parse_graph, print_graph
from minitorch_jit.runtime import config


def same(got, expected, path="result"):
    """Equal values of equal types: tensors by dtype, shape and every element (NaN equal to
    NaN; floats within FUSED_RTOL, as a fused sigmoid is a few ulps from numpy's), containers
    element by element, numbers by type and value."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(got, torch.Tensor), f"{path}: expected a Tensor, got {type(got).__name__}"
        a, b = got.numpy(), expected.numpy()
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        if a.dtype.kind == "f":
            ok = np.allclose(a, b, rtol=FUSED_RTOL.get(str(a.dtype), 0.0), atol=1e-30, equal_nan=True)
        else:
            ok = np.array_equal(a, b)
        assert ok, f"{path}: {a} != {b}"
        return
    # an op returning Tensor[] (chunk, split, unbind, where(cond)) gives eager Python a tuple,
    # as PyTorch does, and a script a list, as TorchScript does
    tensor_list = isinstance(got, list) and isinstance(expected, tuple) and all(
        isinstance(e, torch.Tensor) for e in expected) and not hasattr(expected, "_fields")
    assert type(got) is type(expected) or tensor_list or (isinstance(expected, tuple) and isinstance(got, tuple)), \
        f"{path}: {type(got).__name__} != {type(expected).__name__} ({got!r} vs {expected!r})"
    if isinstance(expected, (list, tuple)):
        assert len(got) == len(expected), f"{path}: length {len(got)} != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            same(g, e, f"{path}[{i}]")
    elif isinstance(expected, dict):
        assert list(got) == list(expected), f"{path}: keys {list(got)} != {list(expected)}"  # in order
        for k in expected:
            same(got[k], expected[k], f"{path}[{k!r}]")
    elif isinstance(expected, float) and np.isnan(expected):
        assert np.isnan(got), path
    else:
        assert got == expected, f"{path}: {got!r} != {expected!r}"


def check(fn, *arg_sets, **kwargs):
    """Script ``fn``; for each tuple of arguments, the scripted and the Python function
    return the same (on copies, so in-place ops see the same inputs). Returns the scripted
    function. The optimizations run; fusion does not, because fused transcendentals may
    differ from numpy's by an ulp. Every program checked here also goes through the
    differential check, on the arguments and on random tensors of the same kinds: no passes,
    the optimizations (bit for bit) and the whole pipeline with fusion (within the kernels'
    accuracy) agree."""
    with config.using(fusion=None):
        scripted = torch.script(fn)
    assert arg_sets, "give at least one set of arguments"
    for args in arg_sets:
        expected = fn(*copy.deepcopy(args), **kwargs)
        got = scripted(*copy.deepcopy(args), **kwargs)
        same(got, expected)
        if not kwargs:
            assert_same_with_and_without_passes(scripted, *copy.deepcopy(args))
            assert_same_with_and_without_passes(scripted, *random_like(copy.deepcopy(args), 0))
    roundtrip(scripted.graph)
    return scripted


def roundtrip(graph):
    """The printed graph parses back to the same text."""
    text = print_graph(graph)
    assert print_graph(parse_graph(text)) == text
    return text


def kinds(graph):
    return [n.kind for n in graph.all_nodes() if n.kind != "prim::Constant"]


def generated_functions(path, lines, count):
    """Write ``lines`` (defining ``f0`` ... ``f{count - 1}``) to ``path`` and import them: the
    scripter reads source, so generated functions need a real file."""
    path.write_text("\n".join(lines))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [getattr(module, f"f{i}") for i in range(count)]

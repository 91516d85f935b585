"""The op registry is the single source of truth for what an op is."""
import itertools
import os
import re

import numpy as np
import pytest

import minitorch_jit as torch
from ir import registry
from ir.registry import UNKNOWN
from ir.types import TensorType, type_of_constant
from ir.verifier import STRUCTURAL
from minitorch_jit.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ["minitorch_jit", "ir", "passes", "codegen"]


def test_every_op_has_schema_kernel_and_type_rule():
    ops = list(registry.all_ops())
    assert len(ops) > 150
    for op in ops:
        assert op.schema.name.count("::") == 1
        assert callable(op.kernel), op
        assert callable(op.output_types)
        if op.pointwise:
            assert op.type_rule is not None, op


def test_every_python_name_reaches_a_registered_op():
    for ns in registry.NAMESPACES:
        for name in registry.python_names(ns):
            assert registry.python_overloads(ns, name)
    # torch.*, Tensor methods and nn.functional are exactly what the registry names
    for name in registry.python_names("torch"):
        assert callable(getattr(torch, name)), name
    for name in registry.python_names("functional"):
        assert callable(getattr(F, name)), name
    for name in registry.python_names("Tensor"):
        assert callable(getattr(torch.Tensor, name)), name


def _source_files():
    for pkg in PACKAGES:
        for dirpath, _, files in os.walk(os.path.join(ROOT, pkg)):
            for f in files:
                if f.endswith(".py"):
                    yield os.path.join(dirpath, f)


def test_op_names_in_code_are_registered_ops():
    """No module keeps its own list of op names: any op name written in the code is either
    declared in the registry or a structural node of the IR."""
    known = {op.name for op in registry.all_ops()} | STRUCTURAL | {"prim::Param", "prim::Return"}
    pattern = re.compile(r"[\"']((?:aten|prim)::[A-Za-z_][A-Za-z0-9_]*)(?![{A-Za-z0-9_])")  # not f-string stems
    stale = []
    for path in _source_files():
        for name in pattern.findall(open(path).read()):
            if name not in known:
                stale.append((os.path.relpath(path, ROOT), name))
    assert not stale, f"op names that are not registered: {stale}"


# -- type rules agree with kernels -----------------------------------------------------------

SHAPES = [(), (3,), (2, 3), (1, 3), (2, 1)]
DTYPES = ["float32", "float64", "int64", "int32", "bool"]


def _sample(dtype, shape, rng):
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype.startswith("int"):
        return np.asarray(rng.integers(1, 5, shape), dtype)
    return np.asarray(rng.random(shape) + 0.5, dtype)


def _arg_value(t, rng, dtype, shape):
    name = str(t).rstrip("?")
    if name == "Tensor":
        return _sample(dtype, shape, rng)
    if name == "Scalar":
        return {"bool": True, "int64": 2, "int32": 3, "float32": 1.5, "float64": 0.5}[dtype]
    return None


@pytest.mark.parametrize("op", [op for op in registry.all_ops() if op.pointwise],
                         ids=lambda op: op.qualified_name)
def test_pointwise_type_rules_match_kernels(op):
    """For every pointwise overload and dtype/shape combinations, the static rule predicts the
    dtype and shape the kernel produces (or the kernel refuses the inputs)."""
    rng = np.random.default_rng(0)
    formals = [a for a in op.schema.arguments if str(a.type).rstrip("?") in ("Tensor", "Scalar")]
    checked = 0
    for dtypes in itertools.product(DTYPES, repeat=len(formals)):
        for shapes in [(SHAPES[2],) * len(formals), tuple(SHAPES[i % len(SHAPES)] for i in range(len(formals)))]:
            args = [_arg_value(a.type, rng, d, s) for a, d, s in zip(formals, dtypes, shapes)]
            if any(a is None for a in args):
                continue
            try:
                out = op.kernel(*args)
            except (RuntimeError, IndexError, TypeError):
                continue
            types = [TensorType(a.dtype.name, a.shape) if isinstance(a, np.ndarray) else type_of_constant(a)
                     for a in args]
            consts = [a if not isinstance(a, np.ndarray) else UNKNOWN for a in args]
            (t,) = op.output_types(types, consts)
            assert t.dtype == out.dtype.name, (dtypes, shapes)
            assert t.sizes == out.shape, (dtypes, shapes)
            checked += 1
    assert checked > 0

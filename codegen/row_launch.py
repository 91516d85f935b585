"""Running a fusion group with reductions (a row kernel, codegen/llvm/row_kernel.py): the
inputs checked as for pointwise groups, the rows found, the outputs allocated, and the rows
split across the thread pool.

A new input layout is also run once by the group's eager kernels, before its launch is
prepared: what they raise for these shapes (layer_norm's ``normalized_shape`` that is not
the input's last size, a weight of the wrong length), the call raises. A group whose rows are
empty (no rows, or rows of no elements) runs on its eager kernels: they say what a reduction
over nothing is (0 for sum, an error for amax).
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from .launch import (
    LAYOUT,
    MATH_COST,
    PARALLEL_MIN,
    PARALLEL_UNITS,
    SUPPORTED,
    FusedKernel,
    Output,
    _broadcast_strides,
    _chunks,
    _contiguous_strides,
    _EagerLaunch,
    _inner_kind,
    _Launch,
    num_threads,
    run_eagerly,
)
from .llvm import kernel as kernels
from .llvm import row_kernel
from .llvm.kernel import ScalarArg, Spec, TensorArg
from .llvm.row_kernel import ROW, classify, has_rows

__all__ = ["RowKernel", "has_rows"]


class RowKernel(FusedKernel):
    """The callable host code calls for a ``prim::FusionGroup`` holding reductions over the
    innermost dim: arrays and numbers in, the group's outputs out."""

    def build(self, spec: Spec) -> kernels.Built:
        return row_kernel.build(self.graph, spec, LAYOUT)

    def _prepare(self, args: Sequence[Any], key: Optional[tuple]) -> Any:
        g = self.graph
        value_sizes = kernels.infer_sizes(g, self._input_types(args))  # raises PyTorch's broadcast error
        run_eagerly(g, args)  # raises what the eager kernels raise for these shapes
        rows = tuple(value_sizes[row_kernel.row_input(g)])
        if 0 in rows:
            return self._keep(key, _EagerLaunch(g))
        n_rows = int(np.prod(rows[:-1], dtype=np.int64))
        spec_inputs: List[Any] = []
        strides: List[List[int]] = []
        for a, t in zip(args, self.is_tensor):
            if t:
                st = _broadcast_strides(a.shape, tuple(s // a.itemsize for s in a.strides), rows)
                strides.append(st)
                spec_inputs.append(TensorArg(SUPPORTED[a.dtype], a.ndim == 0, _inner_kind(st[-1])))
            else:
                spec_inputs.append(ScalarArg({bool: "bool", int: "int64", float: "float64"}[type(a)]))
        kinds = classify(g, tuple(spec_inputs))
        outputs: List[Output] = []
        spec_outputs = []
        for v, dtype in zip(g.outputs, self.out_dtypes):
            size = tuple(value_sizes[v])
            if kinds[v] == ROW:
                expected, st = rows, list(_contiguous_strides(rows))
            else:
                keep = len(size) == len(rows)
                expected = rows[:-1] + (1,) * keep
                st = list(_contiguous_strides(rows[:-1])) + [0]
            if size != expected:
                raise RuntimeError(f"internal error: a row kernel's output has sizes {size}, its rows {rows}")
            outputs.append((size, np.dtype(dtype), None))
            strides.append(st)
            spec_outputs.append(TensorArg(dtype, False, 1 if kinds[v] == ROW else 0))
        spec = Spec(len(rows), tuple(spec_inputs), tuple(spec_outputs))
        library, fn, extra, math_calls = self._kernel(spec)
        numel = n_rows * rows[-1]
        work = numel * max(len(strides) + MATH_COST * math_calls, PARALLEL_UNITS)
        threads = 1 if work < PARALLEL_MIN * PARALLEL_UNITS else num_threads()
        words = [rows[-1]] + list(rows[:-1]) + [s for st in strides for s in st]
        layouts = np.array([[start, end] + words for start, end in _chunks(n_rows, threads)], np.int64)
        tensor_inputs = None if all(self.is_tensor) else [i for i, t in enumerate(self.is_tensor) if t]
        launch = _Launch(fn, library, layouts, outputs, tensor_inputs,
                         [(i, s.dtype) for i, s in enumerate(spec.inputs) if isinstance(s, ScalarArg)], extra,
                         _EagerLaunch(g))
        return self._keep(key, launch)

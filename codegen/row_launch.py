"""Running a fusion group with reductions (a row kernel, codegen/llvm/row_kernel.py): the
inputs checked as for pointwise groups, the rows found (the reduced dim moved last, by
permuting every operand's strides), the outputs allocated, and the rows split across the
thread pool.

A new input layout is also run once by the group's eager kernels, before its launch is
prepared: what they raise for these shapes (layer_norm's ``normalized_shape`` that is not
the input's last size, a weight of the wrong length), the call raises. A group whose rows are
empty (no rows, or rows of no elements) runs on its eager kernels: they say what a reduction
over nothing is (0 for sum, an error for amax).
"""
from __future__ import annotations

import dataclasses
import glob
from typing import Any, List, Optional, Sequence

import numpy as np

from .launch import (
    LAYOUT,
    SPLIT_MIN,
    SUPPORTED,
    FusedKernel,
    Output,
    _broadcast_strides,
    _contiguous_strides,
    _EagerLaunch,
    _inner_kind,
    run_eagerly,
)
from .llvm import kernel as kernels
from .llvm import row_kernel
from .llvm.kernel import ScalarArg, Spec, TensorArg
from .llvm.row_kernel import ROW, classify, has_rows

__all__ = ["RowKernel", "has_rows"]


def _last_level_cache() -> int:
    """Bytes of this CPU's largest cache (Linux reports it in sysfs), or 32 MB."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        with open(path) as f:
            text = f.read().strip()
        unit = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
        sizes.append(int(text.rstrip("KM")) * unit)
    return max(sizes, default=32 << 20)


# A call moving more bytes than the last-level cache holds streams its row output: nothing of
# it would be in cache for a later read, and not reading each line before writing it saves a
# third of softmax's memory traffic. Rows of up to STREAM_ROW_MAX elements: a row value kept
# between passes (softmax's exps) goes to a scratch row on the calling thread's stack instead
# of the output (32 KB at most: small next to any thread's stack, 128 KB on musl).
STREAM_MIN = _last_level_cache()
STREAM_ROW_MAX = 4096


def streams(out: TensorArg, n: int, moved: int) -> bool:
    """Whether a row kernel stores its one row output ``out`` (rows of ``n``) around the
    caches, for a call moving ``moved`` bytes."""
    return out.inner == 1 and out.dtype in row_kernel.ITEMSIZE and n <= STREAM_ROW_MAX and moved > STREAM_MIN


class RowKernel(FusedKernel):
    """The callable host code calls for a ``prim::FusionGroup`` holding reductions over one
    dim: arrays and numbers in, the group's outputs out."""

    def build(self, spec: Spec) -> kernels.Built:
        return row_kernel.build(self.graph, spec, LAYOUT)

    def _prepare(self, args: Sequence[Any], key: Optional[tuple]) -> Any:
        g = self.graph
        value_sizes = kernels.infer_sizes(g, self._input_types(args))  # raises PyTorch's broadcast error
        run_eagerly(g, args)  # raises what the eager kernels raise for these shapes
        source, reduction = row_kernel.rows_of(g)
        sizes = tuple(value_sizes[source])
        if 0 in sizes:
            return self._keep(key, _EagerLaunch(g))
        # the reduced dim goes last: the kernel's rows run along it
        dim = row_kernel.reduced_dim(reduction, len(sizes))
        perm = [d for d in range(len(sizes)) if d != dim] + [dim]
        rows = tuple(sizes[d] for d in perm)
        n_rows = int(np.prod(rows[:-1], dtype=np.int64))
        spec_inputs: List[Any] = []
        strides: List[List[int]] = []
        for a, t in zip(args, self.is_tensor):
            if t:
                st = _broadcast_strides(a.shape, tuple(s // a.itemsize for s in a.strides), sizes)
                strides.append([st[d] for d in perm])
                spec_inputs.append(TensorArg(SUPPORTED[a.dtype], a.ndim == 0, _inner_kind(st[dim])))
            else:
                spec_inputs.append(ScalarArg({bool: "bool", int: "int64", float: "float64"}[type(a)]))
        kinds = classify(g, tuple(spec_inputs))
        outputs: List[Output] = []
        spec_outputs = []
        for v, dtype in zip(g.outputs, self.out_dtypes):
            size = tuple(value_sizes[v])
            if kinds[v] == ROW:
                expected, st = sizes, list(_contiguous_strides(sizes))
            elif len(size) == len(sizes):  # keepdim
                expected = sizes[:dim] + (1,) + sizes[dim + 1:]
                st = list(_contiguous_strides(expected))
                st[dim] = 0
            else:
                expected = sizes[:dim] + sizes[dim + 1:]
                st = list(_contiguous_strides(expected))
                st.insert(dim, 0)
            if size != expected:
                raise RuntimeError(f"internal error: a row kernel's output has sizes {size}, its rows {sizes}")
            outputs.append((size, np.dtype(dtype), None))
            strides.append([st[d] for d in perm])
            spec_outputs.append(TensorArg(dtype, False, _inner_kind(st[dim])))
        streamed = [i for i, v in enumerate(g.outputs) if kinds[v] == ROW]
        moved = sum(a.nbytes for a in args if isinstance(a, np.ndarray)) + \
            sum(int(np.prod(size, dtype=np.int64)) * dtype.itemsize for size, dtype, _ in outputs)
        if len(streamed) == 1 and streams(spec_outputs[streamed[0]], rows[-1], moved):
            i = streamed[0]
            spec_outputs[i] = dataclasses.replace(spec_outputs[i], stream=True)
        spec = Spec(len(rows), tuple(spec_inputs), tuple(spec_outputs))
        library, fn, extra = self._kernel(spec)
        words = [rows[-1]] + list(rows[:-1]) + [s for st in strides for s in st]
        tensors = [a for a, t in zip(args, self.is_tensor) if t]
        # the launch splits its rows across threads (never a row)
        return self._keep(key, self._new_launch(spec, fn, library, extra, tensors, n_rows,
                                                n_rows * rows[-1] >= SPLIT_MIN and n_rows > 1, words, outputs))

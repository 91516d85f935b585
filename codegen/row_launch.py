"""Running a fusion group with reductions (a row kernel, codegen/llvm/row_kernel.py): the
inputs checked as for pointwise groups, the rows found (the reduced dim moved last, by
permuting every operand's strides), the outputs allocated, and the rows split across the
thread pool.

A reduction over a dim with others than 1 after it runs as a blocked kernel
(codegen/llvm/block_kernel.py) when every tensor walks the dims after it as one run of
columns with stride 1 or 0 (C-contiguous inputs, broadcast operands); as a row kernel when
the inputs walk the reduced dim with stride 1 (a transposed input: its rows are in memory);
on its eager kernels otherwise.

A new input layout is also run once by the group's eager kernels, before its launch is
prepared: what they raise for these shapes (layer_norm's ``normalized_shape`` that is not
the input's last size, a weight of the wrong length), the call raises. A group whose rows are
empty (no rows, or rows of no elements) runs on its eager kernels: they say what a reduction
over nothing is (0 for sum, an error for amax).
"""
from __future__ import annotations

import dataclasses
import glob
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .launch import (
    CHUNK_ALIGN,
    LAYOUT,
    SPLIT_MIN,
    SUPPORTED,
    Chunking,
    FusedKernel,
    Output,
    _broadcast_strides,
    _coalesce,
    _contiguous_strides,
    _EagerLaunch,
    _inner_kind,
    run_eagerly,
)
from .llvm import block_kernel, row_kernel
from .llvm import kernel as kernels
from .llvm.kernel import ScalarArg, Spec, TensorArg
from .llvm.row_kernel import ROW, classify, has_rows

# a row kernel's rows: any number of whole rows. Boundaries at multiples of 64 (the elements'
# alignment) left 64 rows on one thread and split 100 as 64 + 36; that imbalance also read as
# pool lateness and kept other kernels on one thread. Softmax and layer norm by hand over
# (64, 100 or 200, 8192), each with its own lateness estimate: 1.38-1.85x faster, side by side.
ROWS = Chunking(1, 1)
# a blocked kernel's columns: runs no shorter than it gains from splitting
COLUMNS = Chunking(CHUNK_ALIGN, block_kernel.SPLIT_COLUMNS)

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
        return (block_kernel if spec.blocked else row_kernel).build(self.graph, spec, LAYOUT)

    def _prepare(self, args: Sequence[Any], key: Optional[tuple]) -> Any:
        g = self.graph
        value_sizes = kernels.infer_sizes(g, self._input_types(args))  # raises PyTorch's broadcast error
        run_eagerly(g, args)  # raises what the eager kernels raise for these shapes
        source, reduction = row_kernel.rows_of(g)
        sizes = tuple(value_sizes[source])
        if 0 in sizes:
            return self._keep(key, _EagerLaunch(g))
        dim = row_kernel.reduced_dim(reduction, len(sizes))
        spec_inputs: List[Any] = []
        strides: List[List[int]] = []  # each tensor's element strides over ``sizes``
        for a, t in zip(args, self.is_tensor):
            if t:
                st = _broadcast_strides(a.shape, tuple(s // a.itemsize for s in a.strides), sizes)
                strides.append(st)
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
            strides.append(st)
            spec_outputs.append(TensorArg(dtype, False, _inner_kind(st[dim])))
        tensors = [a for a, t in zip(args, self.is_tensor) if t]
        if any(s != 1 for s in sizes[dim + 1:]):
            columns = _columns(sizes, dim, strides)
            if columns is not None:
                return self._keep(key, self._blocked(sizes, dim, columns, spec_inputs, spec_outputs, tensors, outputs))
            if any(st[dim] not in (0, 1) for st in strides[:len(tensors)]):
                # neither kernel reads this layout in runs (x[:, ::2].sum(0)): a row kernel
                # would walk each row with a stride, slower than the eager kernels
                return self._keep(key, _EagerLaunch(g))
        # the reduced dim goes last: the kernel's rows run along it
        perm = [d for d in range(len(sizes)) if d != dim] + [dim]
        rows = tuple(sizes[d] for d in perm)
        n_rows = int(np.prod(rows[:-1], dtype=np.int64))
        strides = [[st[d] for d in perm] for st in strides]
        streamed = [i for i, v in enumerate(g.outputs) if kinds[v] == ROW]
        moved = sum(a.nbytes for a in args if isinstance(a, np.ndarray)) + \
            sum(int(np.prod(size, dtype=np.int64)) * dtype.itemsize for size, dtype, _ in outputs)
        if len(streamed) == 1 and streams(spec_outputs[streamed[0]], rows[-1], moved):
            i = streamed[0]
            spec_outputs[i] = dataclasses.replace(spec_outputs[i], stream=True)
        spec = Spec(len(rows), tuple(spec_inputs), tuple(spec_outputs))
        library, fn, extra = self._kernel(spec)
        words = [rows[-1]] + list(rows[:-1]) + [s for st in strides for s in st]
        # the launch splits its rows across threads (never a row)
        return self._keep(key, self._new_launch(spec, fn, library, extra, tensors, n_rows,
                                                ROWS if n_rows * rows[-1] >= SPLIT_MIN and n_rows > 1 else None,
                                                words, outputs))

    def _blocked(self, sizes: Tuple[int, ...], dim: int, columns: Tuple[int, List[List[int]]],
                 spec_inputs: List[Any], spec_outputs: List[TensorArg], tensors: List[np.ndarray],
                 outputs: List[Output]) -> Any:
        """The launch of the blocked kernel (codegen/llvm/block_kernel.py) over ``(outer...,
        m, N)``: ``sizes`` up to ``dim``, then the ``N`` columns (``columns``: N and each
        tensor's strides over ``sizes[:dim + 1]`` and its column stride)."""
        n, strides = columns
        it = iter(strides)
        spec_inputs = [dataclasses.replace(a, cols=next(it)[-1]) if isinstance(a, TensorArg) else a
                       for a in spec_inputs]
        spec_outputs = [dataclasses.replace(a, cols=next(it)[-1]) for a in spec_outputs]
        spec = Spec(dim + 2, tuple(spec_inputs), tuple(spec_outputs), blocked=True)
        library, fn, extra = self._kernel(spec)
        outer = sizes[:dim]
        units = int(np.prod(outer, dtype=np.int64)) * n
        words = [sizes[dim], n] + list(outer) + [s for st in strides for s in st]
        # threads split the flat index over (outer..., N) (each index's work covers all of m),
        # into runs no shorter than block_kernel.SPLIT_COLUMNS
        splits = units * sizes[dim] >= SPLIT_MIN and units >= 2 * block_kernel.SPLIT_COLUMNS
        return self._new_launch(spec, fn, library, extra, tensors, units, COLUMNS if splits else None, words, outputs)


def _columns(sizes: Tuple[int, ...], dim: int, strides: List[List[int]]) -> Optional[Tuple[int, List[List[int]]]]:
    """For a reduction over ``dim`` with other dims than 1 after it: the dims after it as one
    run of N columns, if every tensor walks them as one with stride 1 or 0 (a blocked kernel
    computes the group), and each tensor's strides over ``sizes[:dim + 1]`` then its column
    stride; None if the tensors walk the columns otherwise."""
    dims, sts = _coalesce(sizes[dim + 1:], [st[dim + 1:] for st in strides])
    if len(dims) != 1 or any(st[0] not in (0, 1) for st in sts):
        return None
    return dims[0], [st[:dim + 1] + [c[0]] for st, c in zip(strides, sts)]

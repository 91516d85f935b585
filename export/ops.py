"""The native lowering of each op an exported library may contain, keyed by the op's
qualified name in the registry (``prim::`` ops by their kind).

A lowering takes the emitter, the node and the values of its inputs (tensors as
:class:`RT`, numbers as ints or i64 IR values, lists and tuples as Python ones) and returns
the values of its outputs. It computes and checks sizes in both walks, and emits its
computation only in the run walk (``em.running``). Anything it cannot do with the inputs
it is given raises :class:`ExportError` at export time.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np
from llvmlite import ir

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Node

from .emitter import RT, Emitter
from .gemm import gemm_function
from .loops import Size, add, contiguous_strides, div, eq, for_range, mul, product, same, value
from .pointwise import fusion_group
from .prepare import ExportError

Lowering = Callable[[Emitter, Node, List[Any]], List[Any]]
LOWERINGS: Dict[str, Lowering] = {}


def lowering(*names: str) -> Callable[[Lowering], Lowering]:
    def register(fn: Lowering) -> Lowering:
        for n in names:
            LOWERINGS[n] = fn
        return fn
    return register


def op_name(node: Node) -> str:
    if node.kind.startswith("prim::FusionGroup"):
        return "prim::FusionGroup"
    op = registry.node_op(node) if not node.kind.startswith("prim::") else None
    return op.qualified_name if op is not None else node.kind


LOWERINGS["prim::FusionGroup"] = fusion_group


def _tensor(x: Any, what: str) -> RT:
    if not isinstance(x, RT):
        raise ExportError(f"{what} must be a tensor, got {x!r}")
    return x


def _float32(*ts: RT) -> None:
    for t in ts:
        if t.dtype != "float32":
            raise ExportError(f"only float32 is lowered, got {t.dtype}")


def _dim(d: Any, rank: int) -> int:
    if not isinstance(d, int):
        raise ExportError("a dimension computed at run time is not lowered")
    if not -rank <= d < max(rank, 1):
        raise ExportError(f"dimension {d} is out of range for a tensor of rank {rank}")
    return d % rank if rank else 0


def _unit_rows(em: Emitter, t: RT) -> Size:
    """The distance between rows of a matrix whose rows are contiguous (its leading
    dimensions flattened): a view that is not laid out so is an export error."""
    if t.rank == 0 or not same(t.strides[-1], 1) and not same(t.sizes[-1], 1):
        raise ExportError("a matrix operand whose last dimension is strided is not lowered")
    if t.rank > 2 and t.view:
        raise ExportError("a view of rank > 2 as a matrix operand is not lowered")
    return t.strides[-2] if t.rank >= 2 else 0


# -- matrix products -------------------------------------------------------------------------


def _weight(em: Emitter, w: RT) -> Tuple[Any, Size, Size]:
    """``w.T`` (k x n) for a weight ``w`` (n x k) as the GEMM's B: its pointer and the strides
    of its rows and columns. A parameter's is transposed at export (rows contiguous);
    another is read in place."""
    if w.data is not None:
        data = em.derived.setdefault(("transposed", id(w.data)), np.ascontiguousarray(w.data.T))
        return (em.embed(data) if em.running else None), w.sizes[0], 1
    return w.ptr, w.strides[1], w.strides[0]


def _gemm(em: Emitter, a: RT, b: Tuple[Any, Size, Size], m: Size, n: Size, k: Size, out: RT) -> None:
    irb = em.irb
    lda = _unit_rows(em, a)
    b_ptr, rsb, csb = b
    irb.call(gemm_function(em.module), [value(irb, m), value(irb, n), value(irb, k), a.ptr, value(irb, lda), b_ptr,
                                        value(irb, rsb), value(irb, csb), out.ptr, value(irb, n)])


def _add_bias(em: Emitter, out: RT, m: Size, n: Size, bias: RT) -> None:
    irb = em.irb
    with for_range(irb, 0, m) as i:
        with for_range(irb, 0, n) as j:
            at = irb.gep(out.ptr, [irb.add(irb.mul(i, value(irb, n)), j)])
            b = irb.load(irb.gep(bias.ptr, [irb.mul(j, value(irb, bias.strides[0] if bias.rank else 0))]))
            irb.store(irb.fadd(irb.load(at), b), at)


@lowering("aten::linear")
def linear(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x, w = _tensor(args[0], "linear's input"), _tensor(args[1], "linear's weight")
    bias = args[2]
    _float32(x, w)
    if w.rank != 2 or x.rank == 0:
        raise ExportError("linear with a weight that is not a matrix, or a 0-d input, is not lowered")
    irb = em.irb
    n, k = w.sizes
    em.check(eq(irb, x.sizes[-1], k), "MTJ_ERR_SIZE", "the input has %lld features, the weight takes %lld",
             x.sizes[-1], k)
    if bias is not None:
        bias = _tensor(bias, "linear's bias")
        _float32(bias)
        if bias.rank > 1:
            raise ExportError("a bias of rank > 1 is not lowered")
        if bias.rank == 1:
            em.check(eq(irb, bias.sizes[0], n), "MTJ_ERR_SIZE", "the bias has %lld elements, the output %lld",
                     bias.sizes[0], n)
    out = em.buffer("float32", [*x.sizes[:-1], n])
    m = product(irb, x.sizes[:-1])
    if em.running:
        _gemm(em, x, _weight(em, w), m, n, k, out)
        if bias is not None:
            _add_bias(em, out, m, n, bias)
    return [out]


@lowering("aten::matmul", "aten::mm")
def matmul(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    a, b = _tensor(args[0], "matmul's input"), _tensor(args[1], "matmul's other")
    _float32(a, b)
    if b.rank != 2 or a.rank not in (1, 2):
        raise ExportError("matmul is lowered for a matrix or vector times a matrix only")
    irb = em.irb
    k, n = b.sizes
    em.check(eq(irb, a.sizes[-1], k), "MTJ_ERR_SIZE", "sizes %lld and %lld of a matrix product do not match",
             a.sizes[-1], k)
    out = em.buffer("float32", [*a.sizes[:-1], n])
    if em.running:
        _gemm(em, a, (b.ptr, b.strides[0], b.strides[1]), product(irb, a.sizes[:-1]), n, k, out)
    return [out]


# -- values of the graph ---------------------------------------------------------------------


@lowering("aten::size.int", "aten::size")
def size(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x = _tensor(args[0], "size's input")
    if len(args) == 1:
        return [list(x.sizes)]
    return [x.sizes[_dim(args[1], x.rank)]]


@lowering("aten::dim")
def dim(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    return [_tensor(args[0], "dim's input").rank]


@lowering("prim::TupleConstruct")
def construct(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    return [list(args) if node.kind == "prim::ListConstruct" else tuple(args)]


@lowering("prim::ListUnpack", "prim::TupleUnpack")
def unpack(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    if len(args[0]) != len(node.outputs):
        raise ExportError(f"unpacking {len(args[0])} values into {len(node.outputs)}")
    return list(args[0])


@lowering("aten::dropout", "aten::feature_dropout")
def dropout(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    if args[2] is not False:
        raise ExportError("dropout in training mode is not lowered (export a module in eval mode)")
    return [args[0]]


# -- views -----------------------------------------------------------------------------------


@lowering("aten::chunk")
def chunk(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    """Views of ``chunks`` parts of one dimension. When its size is known only at run time,
    the parts must be equal (a check): the graph unpacks a number of parts fixed at export."""
    x, chunks = _tensor(args[0], "chunk's input"), args[1]
    d = _dim(args[2], x.rank)
    if not isinstance(chunks, int) or chunks <= 0:
        raise ExportError("chunk into a number of parts known only at run time is not lowered")
    irb = em.irb
    total = x.sizes[d]
    if isinstance(total, int):
        each: Size = -(-total // chunks)
        starts: List[Size] = list(range(0, total, each)) if total else [0]
        sizes: List[Size] = [min(each, total - s) for s in starts]  # type: ignore[operator]
    else:
        em.check(irb.icmp_signed("==", irb.srem(total, value(irb, chunks)), value(irb, 0)), "MTJ_ERR_SIZE",
                 f"a size of %lld does not split into {chunks} equal parts", total)
        each = div(irb, total, chunks)
        starts = [mul(irb, i, each) for i in range(chunks)]
        sizes = [each] * chunks
    parts = []
    for start, size in zip(starts, sizes):
        shape = list(x.sizes)
        shape[d] = size
        ptr = irb.gep(x.ptr, [value(irb, mul(irb, start, x.strides[d]))]) if em.running else None
        parts.append(RT(x.dtype, shape, list(x.strides), ptr, x.buffer, view=True))
    return [parts]


@lowering("aten::view", "aten::reshape")
def view(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x, shape = _tensor(args[0], "view's input"), list(args[1])
    if x.view:
        raise ExportError("a view of a view that may not be contiguous is not lowered")
    irb = em.irb
    numel = product(irb, x.sizes)
    if shape.count(-1) > 1:
        raise ExportError("view with more than one -1")
    if -1 in shape:
        known = product(irb, [s for s in shape if not same(s, -1)])
        i = next(i for i, s in enumerate(shape) if same(s, -1))
        em.check(isinstance(known, int) and known != 0 or not isinstance(known, int), "MTJ_ERR_SIZE",
                 "view cannot infer a size of -1 with zero elements")
        if not isinstance(known, int):
            em.check(irb.icmp_signed("!=", known, value(irb, 0)), "MTJ_ERR_SIZE",
                     "view cannot infer a size of -1 with zero elements")
        shape[i] = div(irb, numel, known)
    ok = eq(irb, product(irb, shape), numel)
    em.check(ok, "MTJ_ERR_SIZE", "view of %lld elements as a shape of %lld", numel, product(irb, shape))
    return [RT(x.dtype, shape, contiguous_strides(irb, shape), x.ptr, x.buffer, view=False, data=x.data)]


@lowering("aten::flatten.using_ints", "aten::flatten")
def flatten(em: Emitter, node: Node, args: List[Any]) -> List[Any]:
    x = _tensor(args[0], "flatten's input")
    start, end = _dim(args[1], x.rank), _dim(args[2], x.rank)
    shape = [*x.sizes[:start], product(em.irb, x.sizes[start:end + 1]), *x.sizes[end + 1:]]
    return view(em, node, [x, shape])


def copy_into(em: Emitter, src: RT, dst_ptr: ir.Value) -> None:
    """Write ``src`` contiguously at ``dst_ptr`` (the caller's output)."""
    irb = em.irb
    sizes = src.sizes
    if not sizes:
        irb.store(irb.load(src.ptr), dst_ptr)
        return
    dst_strides = contiguous_strides(irb, sizes)

    def nest(d: int, s_off: Size, d_off: Size) -> None:
        if d == len(sizes):
            irb.store(irb.load(irb.gep(src.ptr, [value(irb, s_off)])), irb.gep(dst_ptr, [value(irb, d_off)]))
            return
        with for_range(irb, 0, sizes[d]) as i:
            nest(d + 1, add(irb, s_off, mul(irb, i, src.strides[d])), add(irb, d_off, mul(irb, i, dst_strides[d])))

    nest(0, 0, 0)

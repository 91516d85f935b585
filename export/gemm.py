"""A blocked, vectorized single-precision GEMM in LLVM IR:

    void mtj.gemm(i64 m, i64 n, i64 k, float *A, i64 lda, float *B, i64 rsb, i64 csb, float *C, i64 ldc)

computes C = A @ B for row-major A (m x k, rows ``lda`` apart), B (k x n, element (p, j)
at ``p * rsb + j * csb``: a weight (n x k) of ``linear`` is its transpose, read in place)
and C (m x n, rows ``ldc`` apart). The loops block n by NC columns and k by KC (so
the slice of B a block reads stays in cache), and within a block a micro-kernel keeps an
MR x NR tile of C in vector registers: per step of k it loads one row of NR floats of B,
broadcasts MR elements of A, and does MR fused multiply-adds. The columns past the last
whole tile and the rows past the last whole MR are done by the same kernel with one row,
and by a scalar loop. Summation order differs from a BLAS's, so results agree with numpy's
within float32 rounding of a k-term dot product, not bit for bit.
"""
from __future__ import annotations

from llvmlite import ir

from minitorch_jit.codegen.llvm.builder import F32

from .loops import I1, I64, for_range

MR, NR = 6, 16  # AVX2: 12 ymm accumulators; AVX-512: 6 zmm
KC, NC = 256, 512

VEC = ir.VectorType(F32, NR)
FP = F32.as_pointer()
I8P = ir.IntType(8).as_pointer()
# the arguments of the GEMM: m, n, k, A, lda, B, rsb, csb, C, ldc
ARGS = ir.LiteralStructType([I64, I64, I64, FP, I64, FP, I64, I64, FP, I64])
MAX_THREADS = 64
PARALLEL_MIN = 1 << 21  # multiply-adds below which starting threads costs more than it saves


def gemm_function(module: ir.Module) -> ir.Function:
    """``mtj.gemm``: C split into blocks run on threads (the library's thread count, global
    ``mtj.threads``) when the product is big enough to pay for starting them: blocks of rows,
    or of columns when C has more columns than rows (a batch of 64 through a weight of 2048
    outputs: each thread then packs only its own columns of B, where blocks of rows would
    each pack all of it). Each block is the serial GEMM on its part, and every element of C
    is the same k-term sum whatever the split, so results do not depend on the thread count."""
    fn = module.globals.get("mtj.gemm")
    if fn is not None:
        return fn
    serial = _serial(module)
    task = _task(module, serial)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), list(ARGS.elements)), "mtj.gemm")
    fn.linkage = "internal"
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    m, n, k = fn.args[:3]
    threads = irb.sext(irb.load(threads_global(module)), I64)
    by_columns = irb.icmp_signed(">", n, m)
    total = irb.select(by_columns, n, m)  # the dim split: columns or rows
    unit = irb.select(by_columns, ir.Constant(I64, NR), ir.Constant(I64, MR))  # blocks of whole tiles
    per_thread = irb.sdiv(irb.add(total, irb.sub(threads, ir.Constant(I64, 1))), threads)  # at least 1
    block = irb.mul(irb.sdiv(irb.sub(irb.add(per_thread, unit), ir.Constant(I64, 1)), unit), unit)
    work = irb.mul(irb.mul(m, n), k)
    split = irb.and_(irb.icmp_signed(">", threads, ir.Constant(I64, 1)),
                     irb.and_(irb.icmp_signed(">=", work, ir.Constant(I64, PARALLEL_MIN)),
                              irb.icmp_signed(">", total, unit)))
    with irb.if_else(split) as (parallel, alone):
        with alone:
            irb.call(serial, list(fn.args))
        with parallel:
            pthread_t = I64
            create = module.globals.get("pthread_create") or ir.Function(module, ir.FunctionType(
                ir.IntType(32), [pthread_t.as_pointer(), I8P, task.type, I8P]), "pthread_create")
            join = module.globals.get("pthread_join") or ir.Function(
                module, ir.FunctionType(ir.IntType(32), [pthread_t, I8P.as_pointer()]), "pthread_join")
            blocks = irb.sdiv(irb.add(total, irb.sub(block, ir.Constant(I64, 1))), block)
            ids = irb.alloca(pthread_t, MAX_THREADS)
            started = irb.alloca(ir.IntType(1), MAX_THREADS)
            args = irb.alloca(ARGS, MAX_THREADS)

            def block_args(b: ir.Value) -> ir.Value:
                """The arguments of block ``b``: rows (or columns) [b * block, min(total, (b + 1) * block))."""
                first = irb.mul(b, block)
                end = irb.add(first, block)
                count = irb.sub(irb.select(irb.icmp_signed("<", end, total), end, total), first)
                slot = irb.gep(args, [b])
                a, lda, b_, rsb, csb, c, ldc = (fn.args[i] for i in (3, 4, 5, 6, 7, 8, 9))
                columns = [m, count, k, a, lda, irb.gep(b_, [irb.mul(first, csb)]), rsb, csb,
                           irb.gep(c, [first]), ldc]
                rows = [count, n, k, irb.gep(a, [irb.mul(first, lda)]), lda, b_, rsb, csb,
                        irb.gep(c, [irb.mul(first, ldc)]), ldc]
                values = [irb.select(by_columns, x, y) for x, y in zip(columns, rows)]
                for i, v in enumerate(values):
                    irb.store(v, irb.gep(slot, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), i)]))
                return slot

            with for_range(irb, 1, blocks) as b:
                slot = block_args(b)
                ok = irb.icmp_signed("==", irb.call(create, [irb.gep(ids, [b]), ir.Constant(I8P, None), task,
                                                             irb.bitcast(slot, I8P)]), ir.Constant(ir.IntType(32), 0))
                irb.store(ok, irb.gep(started, [b]))
                with irb.if_then(irb.not_(ok)):  # no thread to be had: run the block here
                    irb.call(task, [irb.bitcast(slot, I8P)])
            irb.call(task, [irb.bitcast(block_args(ir.Constant(I64, 0)), I8P)])
            with for_range(irb, 1, blocks) as b:
                with irb.if_then(irb.load(irb.gep(started, [b]))):
                    irb.call(join, [irb.load(irb.gep(ids, [b])), ir.Constant(I8P.as_pointer(), None)])
    irb.ret_void()
    return fn


def _pack_columns(irb: ir.IRBuilder, corner: ir.Value, rsb: ir.Value, csb: ir.Value, kc: ir.Value,
                  panel: ir.Value) -> None:
    """The kc x NR panel of a B whose columns are contiguous (``rsb`` 1: a weight (n x k) read
    as its transpose): NR x NR blocks loaded as NR vectors down the columns and transposed in
    registers (four butterfly stages of shuffles), then stored as rows of the panel. Element
    by element, this took a third of the LSTM cell's GEMM time. The rows past the last whole
    block, and a B strided both ways, go element by element."""
    vp = VEC.as_pointer()
    nr = ir.Constant(I64, NR)
    whole = irb.select(irb.icmp_signed("==", rsb, ir.Constant(I64, 1)), irb.sub(kc, irb.srem(kc, nr)),
                       ir.Constant(I64, 0))
    with for_range(irb, 0, whole, NR) as p0:
        rows = [irb.load(irb.bitcast(irb.gep(corner, [irb.add(irb.mul(ir.Constant(I64, jj), csb), p0)]), vp),
                         align=4) for jj in range(NR)]
        b = NR // 2
        while b:
            for i in range(NR):
                if i & b:
                    continue
                x, y = rows[i], rows[i + b]
                rows[i] = irb.shuffle_vector(x, y, ir.Constant(ir.VectorType(ir.IntType(32), NR),
                                                               [j if not j & b else NR + j - b for j in range(NR)]))
                rows[i + b] = irb.shuffle_vector(x, y, ir.Constant(ir.VectorType(ir.IntType(32), NR),
                                                                   [j + b if not j & b else NR + j for j in range(NR)]))
            b //= 2
        for pp, row in enumerate(rows):
            at = irb.gep(panel, [irb.mul(irb.add(p0, ir.Constant(I64, pp)), nr)])
            irb.store(row, irb.bitcast(at, vp), align=64)
    with for_range(irb, 0, NR) as jj:
        with for_range(irb, whole, kc) as p:
            x = irb.load(irb.gep(corner, [irb.add(irb.mul(jj, csb), irb.mul(p, rsb))]))
            irb.store(x, irb.gep(panel, [irb.add(irb.mul(p, nr), jj)]))


def threads_global(module: ir.Module) -> ir.GlobalVariable:
    """The library's thread count (1 until NAME_set_num_threads says otherwise)."""
    g = module.globals.get("mtj.threads")
    if g is None:
        g = ir.GlobalVariable(module, ir.IntType(32), "mtj.threads")
        g.initializer = ir.Constant(ir.IntType(32), 1)
        g.linkage = "internal"
    return g


def _task(module: ir.Module, serial: ir.Function) -> ir.Function:
    """void *task(void *args): a thread's block of rows."""
    fn = ir.Function(module, ir.FunctionType(I8P, [I8P]), "mtj.gemm.task")
    fn.linkage = "internal"
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    slot = irb.bitcast(fn.args[0], ARGS.as_pointer())
    irb.call(serial, [irb.load(irb.gep(slot, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), i)]))
                      for i in range(len(ARGS.elements))])
    irb.ret(ir.Constant(I8P, None))
    return fn


def _serial(module: ir.Module) -> ir.Function:
    micro = {rows: _micro(module, rows) for rows in (MR, 1)}
    edge = {rows: _edge(module, rows) for rows in (MR, 1)}
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), list(ARGS.elements)), "mtj.gemm.serial")
    fn.linkage = "internal"
    m, n, k, a, lda, b, rsb, csb, c, ldc = fn.args
    for p in (a, b, c):
        p.add_attribute("noalias")
    irb = ir.IRBuilder(fn.append_basic_block("entry"))

    def at(p: ir.Value, row: ir.Value, ld: ir.Value, col: ir.Value) -> ir.Value:
        return irb.gep(p, [irb.add(irb.mul(row, ld), col)])

    def smaller(x: ir.Value, y: ir.Value) -> ir.Value:
        return irb.select(irb.icmp_signed("<", x, y), x, y)

    zero = ir.Constant(I64, 0)
    with irb.if_then(irb.icmp_signed("==", k, zero)):  # an empty sum: C = 0
        with for_range(irb, 0, m) as i:
            with for_range(irb, 0, n) as j:
                irb.store(ir.Constant(F32, 0.0), at(c, i, ldc, j))
    mfull = irb.sub(m, irb.srem(m, ir.Constant(I64, MR)))
    panel = irb.bitcast(irb.alloca(ir.ArrayType(F32, KC * NR)), FP)
    panel.operands[0].align = 64
    vp = VEC.as_pointer()
    with for_range(irb, 0, n, NC) as jc:
        nc = smaller(ir.Constant(I64, NC), irb.sub(n, jc))
        nfull = irb.sub(nc, irb.srem(nc, ir.Constant(I64, NR)))
        with for_range(irb, 0, k, KC) as pc:
            kc = smaller(ir.Constant(I64, KC), irb.sub(k, pc))
            first = irb.icmp_signed("==", pc, zero)
            with for_range(irb, 0, nfull, NR) as jr:
                col = irb.add(jc, jr)
                # the kc x NR panel of B, contiguous: rows of B far apart (a power-of-two
                # stride) would fall into the same cache sets
                corner = irb.gep(b, [irb.add(irb.mul(pc, rsb), irb.mul(col, csb))])
                with irb.if_else(irb.icmp_signed("==", csb, ir.Constant(I64, 1))) as (rows_of_b, columns_of_b):
                    with rows_of_b:
                        with for_range(irb, 0, kc) as p:
                            row = irb.load(irb.bitcast(irb.gep(corner, [irb.mul(p, rsb)]), vp), align=4)
                            irb.store(row, irb.bitcast(irb.gep(panel, [irb.mul(p, ir.Constant(I64, NR))]), vp),
                                      align=64)
                    with columns_of_b:  # a transposed B (a weight passed in): read along its columns
                        _pack_columns(irb, corner, rsb, csb, kc, panel)
                for lo, hi, count in ((zero, mfull, MR), (mfull, m, 1)):
                    with for_range(irb, lo, hi, count) as i:
                        irb.call(micro[count], [kc, at(a, i, lda, pc), lda, panel, ir.Constant(I64, NR),
                                                at(c, i, ldc, col), ldc, first])
            col = irb.add(jc, nfull)
            for lo, hi, count in ((zero, mfull, MR), (mfull, m, 1)):
                with for_range(irb, lo, hi, count) as i:
                    corner = irb.gep(b, [irb.add(irb.mul(pc, rsb), irb.mul(col, csb))])
                    irb.call(edge[count], [irb.sub(nc, nfull), kc, at(a, i, lda, pc), lda, corner, rsb, csb,
                                           at(c, i, ldc, col), ldc, first])
    irb.ret_void()
    return fn


def _micro(module: ir.Module, rows: int) -> ir.Function:
    """void (i64 kc, A, lda, B, ldb, C, ldc, i1 first): the rows x NR tile of C at C, plus
    (or, when ``first``, set to) A[rows x kc] @ B[kc x NR]."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, FP, I64, FP, I64, FP, I64, I1]),
                     f"mtj.gemm.micro{rows}")
    fn.linkage = "internal"
    kc, a, lda, b, ldb, c, ldc, first = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    fma = module.globals.get(f"llvm.fma.v{NR}f32") or \
        ir.Function(module, ir.FunctionType(VEC, [VEC] * 3), f"llvm.fma.v{NR}f32")
    vp = VEC.as_pointer()
    accs = [irb.alloca(VEC) for _ in range(rows)]
    for r, acc in enumerate(accs):
        row = irb.bitcast(irb.gep(c, [irb.mul(ir.Constant(I64, r), ldc)]), vp)
        with irb.if_else(first) as (then, otherwise):
            with then:
                irb.store(ir.Constant(VEC, None), acc)
            with otherwise:
                irb.store(irb.load(row, align=4), acc)
    with for_range(irb, 0, kc) as p:
        bv = irb.load(irb.bitcast(irb.gep(b, [irb.mul(p, ldb)]), vp), align=4)
        for r, acc in enumerate(accs):
            x = irb.load(irb.gep(a, [irb.add(irb.mul(ir.Constant(I64, r), lda), p)]))
            splat = irb.shuffle_vector(irb.insert_element(ir.Constant(VEC, ir.Undefined), x, ir.Constant(I64, 0)),
                                       ir.Constant(VEC, ir.Undefined), ir.Constant(ir.VectorType(ir.IntType(32), NR),
                                                                                   None))
            irb.store(irb.call(fma, [splat, bv, irb.load(acc)]), acc)
    for r, acc in enumerate(accs):
        row = irb.bitcast(irb.gep(c, [irb.mul(ir.Constant(I64, r), ldc)]), vp)
        irb.store(irb.load(acc), row, align=4)
    irb.ret_void()
    return fn


def _edge(module: ir.Module, rows: int) -> ir.Function:
    """void (i64 cols, i64 kc, A, lda, B, rsb, csb, C, ldc, i1 first): the scalar loop for the
    columns past the last whole tile, with one accumulator per row so that ``rows``
    dependency chains of multiply-adds run side by side."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, I64, FP, I64, FP, I64, I64, FP, I64, I1]),
                     f"mtj.gemm.edge{rows}")
    fn.linkage = "internal"
    cols, kc, a, lda, b, rsb, csb, c, ldc, first = fn.args
    irb = ir.IRBuilder(fn.append_basic_block("entry"))
    fma = module.declare_intrinsic("llvm.fma", [F32], ir.FunctionType(F32, [F32] * 3))
    accs = [irb.alloca(F32) for _ in range(rows)]
    with for_range(irb, 0, cols) as j:
        outs = [irb.gep(c, [irb.add(irb.mul(ir.Constant(I64, r), ldc), j)]) for r in range(rows)]
        for out, acc in zip(outs, accs):
            irb.store(irb.select(first, ir.Constant(F32, 0.0), irb.load(out)), acc)
        with for_range(irb, 0, kc) as p:
            y = irb.load(irb.gep(b, [irb.add(irb.mul(p, rsb), irb.mul(j, csb))]))
            for r, acc in enumerate(accs):
                x = irb.load(irb.gep(a, [irb.add(irb.mul(ir.Constant(I64, r), lda), p)]))
                irb.store(irb.call(fma, [x, y, irb.load(acc)]), acc)
        for out, acc in zip(outs, accs):
            irb.store(irb.load(acc), out)
    irb.ret_void()
    return fn

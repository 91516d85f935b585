"""The C ABI of an exported library: the tensor descriptor, dtype and status codes, and the
header that declares them with the library's functions.

The descriptor has fixed-size arrays of sizes and strides (no pointers to follow), so a C
caller fills one on its stack and ctypes mirrors it with a plain Structure. The layout is
part of the ABI version: change it and bump :data:`ABI_VERSION`.
"""
from __future__ import annotations

from typing import Dict, List, Sequence

from llvmlite import ir

ABI_VERSION = 1
MAX_RANK = 8

DTYPES: Dict[str, int] = {"float32": 0, "float64": 1, "int32": 2, "int64": 3, "bool": 4}

# Status codes, in the order the header lists them
STATUS: Dict[str, int] = {
    "MTJ_OK": 0,
    "MTJ_ERR_NULL": 1,       # a null pointer where one was needed
    "MTJ_ERR_COUNT": 2,      # wrong number of inputs or outputs
    "MTJ_ERR_DTYPE": 3,
    "MTJ_ERR_RANK": 4,
    "MTJ_ERR_SIZE": 5,       # sizes that do not match the model or do not broadcast
    "MTJ_ERR_LAYOUT": 6,     # a tensor that is not C-contiguous where one must be
    "MTJ_ERR_ARENA": 7,      # a caller's arena smaller than NAME_arena_size says
    "MTJ_ERR_MEMORY": 8,     # the library could not allocate its own arena
    "MTJ_ERR_VALUE": 9,      # a value error of an op (integer division by zero)
}

I8, I32, I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
# struct mtj_tensor { void *data; int32_t dtype; int32_t rank; int64_t sizes[8]; int64_t strides[8]; }
TENSOR = ir.LiteralStructType([I8.as_pointer(), I32, I32, ir.ArrayType(I64, MAX_RANK), ir.ArrayType(I64, MAX_RANK)])
DATA, DTYPE, RANK, SIZES, STRIDES = range(5)


TENSOR_HEADER = "mtj_tensor.h"


def tensor_header() -> str:
    """mtj_tensor.h: what every exported library shares (the descriptor, dtype and status
    codes); NAME.h includes it, and so does a program that loads libraries by path."""
    statuses = ",\n    ".join(f"{k} = {v}" for k, v in STATUS.items())
    dtypes = ", ".join(f"MTJ_{k.upper()} = {v}" for k, v in DTYPES.items())
    return f"""\
/* mtj_tensor.h: the tensor descriptor and codes of libraries written by
 * python -m minitorch_jit export (ABI version {ABI_VERSION}). */
#ifndef MTJ_TENSOR_H
#define MTJ_TENSOR_H

#include <stdint.h>

#define MTJ_ABI_VERSION {ABI_VERSION}
#define MTJ_MAX_RANK {MAX_RANK}

enum mtj_dtype {{ {dtypes} }};

enum mtj_status {{
    {statuses}
}};

/* A tensor: sizes and strides (in elements) of its first `rank` dimensions. Inputs and
 * outputs must be C-contiguous (dimensions of size 1 may have any stride). */
typedef struct mtj_tensor {{
    void *data;
    int32_t dtype;      /* enum mtj_dtype */
    int32_t rank;
    int64_t sizes[MTJ_MAX_RANK];
    int64_t strides[MTJ_MAX_RANK];
}} mtj_tensor;

#endif
"""


def header(name: str, version: str, inputs: Sequence[str], outputs: Sequence[str]) -> str:
    """The text of NAME.h; ``inputs`` and ``outputs`` describe each tensor (dtype and sizes,
    ``*`` where the size is free) for the comment that says what the model takes."""
    guard = f"{name.upper()}_H"
    described: List[str] = [f" *   input {i}: {d}" for i, d in enumerate(inputs)]
    described += [f" *   output {i}: {d}" for i, d in enumerate(outputs)]
    signature = "\n".join(described)
    return f"""\
/* {name}.h: the C interface of {name}.so, written by minitorch_jit {version}
 * (python -m minitorch_jit export). The library links only libc and libm.
 *
{signature}
 *
 * Every function returning int32_t returns MTJ_OK (0) or an error status; then
 * {name}_last_error() says why. Null pointers, wrong counts, dtypes, ranks and sizes are
 * errors, never a crash (data too short for the sizes given is the caller's to avoid).
 * Calls share the library's arena and message: one call at a time per library.
 */
#ifndef {guard}
#define {guard}

#include "mtj_tensor.h"

#ifdef __cplusplus
extern "C" {{
#endif

int32_t {name}_abi_version(void);    /* MTJ_ABI_VERSION of the library */
const char *{name}_version(void);    /* the minitorch_jit that wrote it */
int32_t {name}_num_inputs(void);
int32_t {name}_num_outputs(void);

/* The dtype, rank and sizes (contiguous strides) of each output for inputs of these
 * dtypes, ranks and sizes (their data is not read and may be NULL). */
int32_t {name}_output_shapes(const mtj_tensor *inputs, int64_t num_inputs,
{" " * len(f"int32_t {name}_output_shapes(")}mtj_tensor *outputs, int64_t num_outputs);

/* The bytes of arena a forward call on inputs of these sizes needs. */
int32_t {name}_arena_size(const mtj_tensor *inputs, int64_t num_inputs, int64_t *bytes);

/* Runs the model: reads the inputs, writes into the outputs' data, which the caller
 * allocates with the shapes {name}_output_shapes gives. `arena` holds the intermediates:
 * NULL lets the library keep its own (allocated on the first call, grown when sizes grow),
 * otherwise it needs {name}_arena_size bytes, aligned to 64. */
int32_t {name}_forward(const mtj_tensor *inputs, int64_t num_inputs,
{" " * len(f"int32_t {name}_forward(")}mtj_tensor *outputs, int64_t num_outputs,
{" " * len(f"int32_t {name}_forward(")}void *arena, int64_t arena_bytes);

/* The message of the last error (empty before any). */
const char *{name}_last_error(void);

/* Frees the library's own arena. */
void {name}_release(void);

/* Threads for the matrix products (linear, matmul, conv2d), which split the rows of
 * their result over them when big enough; 1 (the default) to 64. Results do not
 * depend on the count. Pointwise kernels and the other ops run on the calling thread. */
int32_t {name}_set_num_threads(int32_t count);
int32_t {name}_num_threads(void);

#ifdef __cplusplus
}}
#endif

#endif
"""

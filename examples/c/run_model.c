/* Run a library written by `python -m minitorch_jit export` on .npy files, with no Python:
 *
 *     cc -O2 -o run_model examples/c/run_model.c -ldl
 *     ./run_model ./mlp.so input.npy output.npy
 *     ./run_model ./mlp.so input.npy output.npy --repeat 100000   (prints the time per call)
 *
 * A model with several inputs takes one .npy file each, in order, before the output path; a
 * model with several outputs writes the first to output.npy and output k to output.k.npy.
 * The library is loaded by path with dlopen; its functions are named after the file (NAME.so
 * exports NAME_forward, ...). The .npy reader takes version 1 and 2 files in C order.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtj_tensor.h"

typedef int32_t (*count_fn)(void);
typedef const char *(*text_fn)(void);
typedef int32_t (*shapes_fn)(const mtj_tensor *, int64_t, mtj_tensor *, int64_t);
typedef int32_t (*forward_fn)(const mtj_tensor *, int64_t, mtj_tensor *, int64_t, void *, int64_t);

static const struct { const char *descr; int32_t dtype; size_t size; } DTYPES[] = {
    {"<f4", MTJ_FLOAT32, 4}, {"<f8", MTJ_FLOAT64, 8}, {"<i4", MTJ_INT32, 4}, {"<i8", MTJ_INT64, 8}, {"|b1", MTJ_BOOL, 1},
};

static size_t itemsize(int32_t dtype) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (DTYPES[i].dtype == dtype) return DTYPES[i].size;
    return 0;
}

static int64_t numel(const mtj_tensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++) n *= t->sizes[d];
    return n;
}

static void contiguous(mtj_tensor *t) {
    int64_t s = 1;
    for (int d = t->rank - 1; d >= 0; d--) { t->strides[d] = s; s *= t->sizes[d]; }
}

static int fail(const char *what, const char *path) {
    fprintf(stderr, "run_model: %s: %s\n", path, what);
    return 0;
}

/* Reads a .npy file into a tensor whose data is malloc'ed; returns 0 (with a message) on failure. */
static int read_npy(const char *path, mtj_tensor *t) {
    FILE *f = fopen(path, "rb");
    if (!f) return fail("cannot open", path);
    unsigned char magic[8];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6) != 0) { fclose(f); return fail("not a .npy file", path); }
    uint32_t len = 0;
    unsigned char b[4] = {0};
    size_t width = magic[6] == 1 ? 2 : 4;
    if (fread(b, 1, width, f) != width) { fclose(f); return fail("truncated header", path); }
    len = b[0] | b[1] << 8 | (width == 4 ? (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0);
    char *header = calloc(len + 1, 1);
    if (!header || fread(header, 1, len, f) != len) { free(header); fclose(f); return fail("truncated header", path); }
    const char *descr = strstr(header, "'descr': '");
    const char *order = strstr(header, "'fortran_order': ");
    const char *shape = strstr(header, "'shape': (");
    if (!descr || !order || !shape) { free(header); fclose(f); return fail("unreadable header", path); }
    if (strncmp(order + 17, "False", 5) != 0) { free(header); fclose(f); return fail("only C order is read", path); }
    t->dtype = -1;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (strncmp(descr + 10, DTYPES[i].descr, 3) == 0) t->dtype = DTYPES[i].dtype;
    if (t->dtype < 0) { free(header); fclose(f); return fail("unsupported dtype", path); }
    t->rank = 0;
    for (const char *p = shape + 10; *p && *p != ')';) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) { p++; continue; }
        if (t->rank == MTJ_MAX_RANK) { free(header); fclose(f); return fail("rank too large", path); }
        t->sizes[t->rank++] = v;
        p = end;
    }
    free(header);
    contiguous(t);
    size_t bytes = (size_t)numel(t) * itemsize(t->dtype);
    t->data = malloc(bytes ? bytes : 1);
    if (!t->data || fread(t->data, 1, bytes, f) != bytes) { fclose(f); return fail("truncated data", path); }
    fclose(f);
    return 1;
}

static int write_npy(const char *path, const mtj_tensor *t) {
    char shape[256] = "";
    size_t used = 0;
    for (int d = 0; d < t->rank; d++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s", (long long)t->sizes[d],
                                 d + 1 < t->rank ? " " : "");
    if (t->rank > 1) shape[used - 1] = '\0';  /* (2, 3) but (2,) */
    const char *descr = "?";
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++)
        if (DTYPES[i].dtype == t->dtype) descr = DTYPES[i].descr;
    char header[512];
    int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return fail("cannot write", path);
    uint16_t len = (uint16_t)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(len & 0xff, f);
    fputc(len >> 8, f);
    fwrite(header, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    fwrite(t->data, itemsize(t->dtype), (size_t)numel(t), f);
    fclose(f);
    return 1;
}

static void *symbol(void *lib, const char *name, const char *suffix) {
    char full[256];
    snprintf(full, sizeof full, "%s_%s", name, suffix);
    void *p = dlsym(lib, full);
    if (!p) fprintf(stderr, "run_model: the library has no %s\n", full);
    return p;
}

int main(int argc, char **argv) {
    long repeat = 0;
    if (argc >= 3 && strcmp(argv[argc - 2], "--repeat") == 0) { repeat = atol(argv[argc - 1]); argc -= 2; }
    if (argc < 4) {
        fprintf(stderr, "usage: %s NAME.so INPUT.npy... OUTPUT.npy [--repeat N]\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "run_model: %s\n", dlerror()); return 1; }
    const char *base = strrchr(argv[1], '/');
    base = base ? base + 1 : argv[1];
    char name[200];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strstr(name, ".so");
    if (dot) *dot = '\0';

    count_fn abi_version = (count_fn)symbol(lib, name, "abi_version");
    count_fn num_inputs = (count_fn)symbol(lib, name, "num_inputs");
    count_fn num_outputs = (count_fn)symbol(lib, name, "num_outputs");
    text_fn last_error = (text_fn)symbol(lib, name, "last_error");
    shapes_fn output_shapes = (shapes_fn)symbol(lib, name, "output_shapes");
    forward_fn forward = (forward_fn)symbol(lib, name, "forward");
    if (!abi_version || !num_inputs || !num_outputs || !last_error || !output_shapes || !forward) return 1;
    if (abi_version() != MTJ_ABI_VERSION) {
        fprintf(stderr, "run_model: the library has ABI version %d, this program %d\n", abi_version(), MTJ_ABI_VERSION);
        return 1;
    }
    int n_in = argc - 3, n_out = num_outputs();
    if (n_in != num_inputs()) {
        fprintf(stderr, "run_model: the model takes %d inputs, got %d files\n", num_inputs(), n_in);
        return 2;
    }
    mtj_tensor *in = calloc((size_t)n_in, sizeof *in), *out = calloc((size_t)n_out, sizeof *out);
    for (int i = 0; i < n_in; i++)
        if (!read_npy(argv[2 + i], &in[i])) return 1;
    int32_t status = output_shapes(in, n_in, out, n_out);
    if (status != MTJ_OK) { fprintf(stderr, "run_model: error %d: %s\n", status, last_error()); return 1; }
    for (int k = 0; k < n_out; k++) out[k].data = malloc((size_t)numel(&out[k]) * itemsize(out[k].dtype) + 1);
    status = forward(in, n_in, out, n_out, NULL, 0);
    if (status != MTJ_OK) { fprintf(stderr, "run_model: error %d: %s\n", status, last_error()); return 1; }
    if (repeat > 0) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long r = 0; r < repeat; r++) forward(in, n_in, out, n_out, NULL, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / (double)repeat;
        printf("%.3f us per forward call (%ld calls)\n", us, repeat);
    }
    const char *path = argv[argc - 1];
    for (int k = 0; k < n_out; k++) {
        char numbered[1024];
        if (k == 0) snprintf(numbered, sizeof numbered, "%s", path);
        else {
            size_t stem = strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".npy") == 0 ? strlen(path) - 4 : strlen(path);
            snprintf(numbered, sizeof numbered, "%.*s.%d.npy", (int)stem, path, k);
        }
        if (!write_npy(numbered, &out[k])) return 1;
    }
    return 0;
}

/* Calls the exported tiny MLP (mlp.so, linked directly through its header) with bad
 * arguments and prints the status and message of each call: the library must answer every
 * one with an error, never crash. Built and run by tests/test_export.py. */
#include <stdio.h>
#include <string.h>

#include "mlp.h"

static float x[32 * 8], y[32];

static void describe(mtj_tensor *t, void *data, int32_t dtype, int rank, const int64_t *sizes) {
    memset(t, 0, sizeof *t);
    t->data = data;
    t->dtype = dtype;
    t->rank = rank;
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) { t->sizes[d] = sizes[d]; t->strides[d] = s; s *= sizes[d]; }
}

static void report(const char *what, int32_t status) {
    printf("%s: %d %s\n", what, status, status ? mlp_last_error() : "");
}

int main(void) {
    mtj_tensor in, out;
    const int64_t good[2] = {32, 8}, outs[2] = {32, 1};
    describe(&out, y, MTJ_FLOAT32, 2, outs);

    describe(&in, x, MTJ_FLOAT32, 2, good);
    report("ok", mlp_forward(&in, 1, &out, 1, NULL, 0));
    report("null inputs", mlp_forward(NULL, 1, &out, 1, NULL, 0));
    report("null outputs", mlp_forward(&in, 1, NULL, 1, NULL, 0));
    report("input count", mlp_forward(&in, 2, &out, 1, NULL, 0));
    report("output count", mlp_forward(&in, 1, &out, 0, NULL, 0));

    describe(&in, NULL, MTJ_FLOAT32, 2, good);
    report("null data", mlp_forward(&in, 1, &out, 1, NULL, 0));

    describe(&in, x, MTJ_FLOAT64, 2, good);
    report("dtype", mlp_forward(&in, 1, &out, 1, NULL, 0));

    const int64_t flat[1] = {256};
    describe(&in, x, MTJ_FLOAT32, 1, flat);
    report("rank", mlp_forward(&in, 1, &out, 1, NULL, 0));
    in.rank = 99;
    report("huge rank", mlp_forward(&in, 1, &out, 1, NULL, 0));

    const int64_t features[2] = {32, 7};
    describe(&in, x, MTJ_FLOAT32, 2, features);
    report("features", mlp_forward(&in, 1, &out, 1, NULL, 0));

    const int64_t negative[2] = {-3, 8};
    describe(&in, x, MTJ_FLOAT32, 2, negative);
    report("negative size", mlp_forward(&in, 1, &out, 1, NULL, 0));

    describe(&in, x, MTJ_FLOAT32, 2, good);
    in.strides[0] = 16;
    report("strided", mlp_forward(&in, 1, &out, 1, NULL, 0));

    describe(&in, x, MTJ_FLOAT32, 2, good);
    const int64_t wrong[2] = {31, 1};
    describe(&out, y, MTJ_FLOAT32, 2, wrong);
    report("output size", mlp_forward(&in, 1, &out, 1, NULL, 0));
    describe(&out, NULL, MTJ_FLOAT32, 2, outs);
    report("null output data", mlp_forward(&in, 1, &out, 1, NULL, 0));

    describe(&out, y, MTJ_FLOAT32, 2, outs);
    static _Alignas(64) unsigned char small[64];
    report("small arena", mlp_forward(&in, 1, &out, 1, small, sizeof small));
    int64_t bytes = 0;
    report("arena size", mlp_arena_size(&in, 1, &bytes));
    report("arena size null", mlp_arena_size(&in, 1, NULL));
    report("shapes null", mlp_output_shapes(NULL, 1, &out, 1));
    printf("abi %d, %s, %d input(s), %d output(s), arena %lld bytes\n", mlp_abi_version(), mlp_version(),
           mlp_num_inputs(), mlp_num_outputs(), (long long)bytes);
    return 0;
}

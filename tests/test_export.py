"""``python -m minitorch_jit export``: a traced model compiled into a shared library that a C
program loads with dlopen and runs on .npy files, with the outputs Python computes; bad
input from C is an error status with a message, never a crash; the library links only the
C runtime. Each model is exported and each C program built once per module."""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.lstm_cell import lstm_cell, lstm_inputs
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.bench.programs.pointwise import gelu
from minitorch_jit.bench.programs.ratio_iou import ratio_iou
from minitorch_jit.bench.programs.rnn_module import RNN
from minitorch_jit.cli.main import main
from minitorch_jit.export import ExportError, export_library
from minitorch_jit.export.loaded import CallError, Exported
from minitorch_jit.export.planner import Buffer, assign_slots
from minitorch_jit.ir.parser import parse_type_str

ROOT = Path(__file__).resolve().parents[1]
CC = shutil.which(os.environ.get("CC", "cc"))
pytestmark = pytest.mark.skipif(CC is None, reason="needs a C compiler")

# GEMM sums in another order than numpy's BLAS: float32 rounding of a k-term dot product
RTOL, ATOL = 2e-5, 2e-6


def build(out_dir, name, source, *flags):
    exe = out_dir / name
    subprocess.run([CC, "-O2", "-std=c11", "-Wall", "-Werror", f"-I{out_dir}", "-o", str(exe), str(source), *flags],
                   check=True)
    return exe


@pytest.fixture(scope="module")
def mlp_export(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlp")
    torch.manual_seed(0)
    traced = torch.jit.trace(mlp(), torch.randn(8, 8))
    traced.save(str(d / "mlp.mtj"))
    assert main(["export", str(d / "mlp.mtj"), "-o", str(d / "mlp.so")]) == 0
    run_model = build(d, "run_model", ROOT / "examples" / "c" / "run_model.c", "-ldl")
    return d, torch.jit.load(str(d / "mlp.mtj")), run_model


def run_c(run_model, library, inputs, tmp):
    paths = []
    for i, a in enumerate(inputs):
        paths.append(str(tmp / f"in{i}.npy"))
        np.save(paths[-1], a)
    subprocess.run([str(run_model), str(library), *paths, str(tmp / "out.npy")], check=True)
    return np.load(tmp / "out.npy")


@pytest.mark.parametrize("batch", [8, 33, 1])
def test_mlp_from_c_matches_python_at_the_traced_and_other_batch_sizes(mlp_export, batch, tmp_path):
    d, model, run_model = mlp_export
    x = np.random.default_rng(batch).standard_normal((batch, 8)).astype(np.float32)
    got = run_c(run_model, d / "mlp.so", [x], tmp_path)
    want = model(torch.tensor(x)).numpy()
    assert got.shape == want.shape == (batch, 1) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_the_header_declares_the_abi(mlp_export):
    d, _, _ = mlp_export
    header = (d / "mlp.h").read_text()
    for decl in ("int32_t mlp_forward(const mtj_tensor *inputs", "int32_t mlp_output_shapes(",
                 "int32_t mlp_arena_size(", "const char *mlp_last_error(void);", "int32_t mlp_abi_version(void);",
                 "input 0: float32 (*, *)  x", "output 0: float32 (*, 1)"):
        assert decl in header
    assert "typedef struct mtj_tensor" in (d / "mtj_tensor.h").read_text()


def test_bad_input_from_c_is_an_error_status_with_a_message(mlp_export):
    d, _, _ = mlp_export
    exe = build(d, "bad_input", ROOT / "tests" / "c" / "bad_input.c", str(d / "mlp.so"), f"-Wl,-rpath,{d}")
    lines = dict(line.split(": ", 1) for line in subprocess.run([str(exe)], check=True, capture_output=True,
                                                                  text=True).stdout.splitlines() if ": " in line)
    expected = {
        "ok": "0 ", "null inputs": "1 inputs is NULL", "null outputs": "1 outputs is NULL",
        "input count": "2 the model takes 1 inputs, got 2", "output count": "2 the model has 1 outputs, got 0",
        "null data": "1 input 0 (x): the input's data is NULL",
        "dtype": "3 input 0 (x): dtype code 1, the model has float32 (0) here",
        "rank": "4 input 0 (x): rank 1, the model has rank 2 here",
        "huge rank": "4 input 0 (x): rank 99, the model has rank 2 here",
        "features": "5 aten::linear: the input has 7 features, the weight takes 8",
        "negative size": "5 input 0 (x): a negative size (-3) at dimension 0",
        "strided": "6 input 0 (x): stride 16 at dimension 0: the input must be C-contiguous",
        "output size": "5 output 0: size 31 at dimension 0, the output has 32",
        "null output data": "1 output 0: the output's data is NULL",
        "small arena": "7 an arena of 64 bytes, the call needs",
        "arena size": "0 ", "arena size null": "1 bytes is NULL", "shapes null": "1 inputs is NULL",
    }
    for case, text in expected.items():
        assert lines[case].startswith(text), (case, lines[case])


def test_the_library_links_no_python_numpy_or_llvm(mlp_export):
    d, _, _ = mlp_export
    ldd = subprocess.run(["ldd", str(d / "mlp.so")], check=True, capture_output=True, text=True).stdout
    needed = [line.split()[0] for line in ldd.splitlines() if "=>" in line]
    assert needed and all(n.startswith(("libc.so", "libm.so")) for n in needed), ldd
    assert not any(bad in ldd.lower() for bad in ("python", "numpy", "llvm"))


def test_shapes_and_arena_follow_the_input_sizes(mlp_export):
    d, model, _ = mlp_export
    lib = Exported(str(d / "mlp.so"))
    small, big = np.zeros((4, 8), np.float32), np.zeros((400, 8), np.float32)
    assert lib.output_shapes(big) == [("float32", (400, 1))]
    # the hidden layer and its tanh are live together (the output is written in place)
    assert lib.arena_size(small) == 2 * 4 * 64 * 4
    assert lib.arena_size(big) == 2 * 400 * 64 * 4
    x = np.random.default_rng(0).standard_normal((400, 8)).astype(np.float32)
    np.testing.assert_allclose(lib(x)[0], model(torch.tensor(x)).numpy(), rtol=RTOL, atol=ATOL)
    with pytest.raises(CallError, match="status 5: aten::linear: the input has 3 features"):
        lib(np.zeros((2, 3), np.float32))


def test_a_callers_arena_is_used_and_checked(mlp_export):
    d, model, _ = mlp_export
    lib = Exported(str(d / "mlp.so"))
    x = np.random.default_rng(1).standard_normal((16, 8)).astype(np.float32)
    need = lib.arena_size(x)
    raw = np.zeros(need + 64, np.uint8)
    arena = raw[(-raw.ctypes.data) % 64:][:need]
    out = np.empty((16, 1), np.float32)
    lib.run([x], [out], arena)
    np.testing.assert_allclose(out, model(torch.tensor(x)).numpy(), rtol=RTOL, atol=ATOL)
    assert arena.any()
    with pytest.raises(CallError, match="status 7: the arena is not aligned to 64 bytes"):
        lib.run([x], [out], raw[(-raw.ctypes.data) % 64 + 1:][:need])


def test_an_op_without_a_lowering_fails_the_export_naming_it_and_its_line(tmp_path):
    @torch.jit.script
    def f(x):
        y = x * 2
        return torch.cumsum(y, 0)

    with pytest.raises(ExportError, match=r"aten::cumsum \(.*test_export.py:\d+:\d+\) has no native lowering"):
        export_library(f, str(tmp_path / "f.so"), [parse_type_str("Float(*)")])


def test_the_planner_shares_slots_between_buffers_whose_lifetimes_do_not_overlap():
    # a chain: each buffer read only by the next node
    chain = [Buffer(i, i + 1, 100) for i in range(5)]
    assert assign_slots(chain) == [0, 1, 0, 1, 0]
    # a buffer read at the end keeps its slot to itself
    assert assign_slots([Buffer(0, 9, 100), Buffer(1, 2, 100), Buffer(3, 4, 100)]) == [0, 1, 1]
    # among free slots, the closest in size
    assert assign_slots([Buffer(0, 1, 10), Buffer(0, 1, 1000), Buffer(2, 3, 900)])[2] == 1


@pytest.fixture(scope="module")
def lenet_export(tmp_path_factory, mlp_export):
    d = tmp_path_factory.mktemp("lenet")
    torch.manual_seed(0)
    traced = torch.jit.trace(LeNet().eval(), torch.randn(8, 1, 28, 28))
    traced.save(str(d / "lenet.mtj"))
    assert main(["export", str(d / "lenet.mtj"), "-o", str(d / "lenet.so")]) == 0
    return d, torch.jit.load(str(d / "lenet.mtj")), mlp_export[2]


@pytest.mark.parametrize("batch", [8, 3])
def test_lenet_from_c_matches_python(lenet_export, batch, tmp_path):
    d, model, run_model = lenet_export
    x = np.random.default_rng(batch).standard_normal((batch, 1, 28, 28)).astype(np.float32)
    got = run_c(run_model, d / "lenet.so", [x], tmp_path)
    want = model(torch.tensor(x)).numpy()
    assert got.shape == want.shape == (batch, 10)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-5)


def test_lenet_checks_the_image_it_is_given(lenet_export):
    d, _, _ = lenet_export
    lib = Exported(str(d / "lenet.so"))
    with pytest.raises(CallError, match=r"status 5: aten::conv2d.*: an input of 3 channels, the weight takes 1"):
        lib(np.zeros((2, 3, 28, 28), np.float32))
    with pytest.raises(CallError, match="status 5: aten::conv2d.*: an input of size 4 is smaller than the kernel"):
        lib(np.zeros((2, 1, 4, 28), np.float32))
    # a 32x32 image reaches fc1 with 400 features where it takes 256
    with pytest.raises(CallError, match="status 5: aten::linear.*: the input has 400 features, the weight takes 256"):
        lib(np.zeros((2, 1, 32, 32), np.float32))


@pytest.fixture(scope="module")
def lstm_export(tmp_path_factory, mlp_export):
    d = tmp_path_factory.mktemp("lstm")
    torch.jit.script(lstm_cell).save(str(d / "lstm.mtj"))
    types = "; ".join(["Float(*, *)"] * 5 + ["Float(*)"] * 2)
    assert main(["export", str(d / "lstm.mtj"), "-o", str(d / "lstm.so"), "--input-types", types]) == 0
    return d, torch.jit.load(str(d / "lstm.mtj")), mlp_export[2]


@pytest.mark.parametrize("batch", [4, 9])
def test_the_scripted_lstm_cell_from_c_matches_python(lstm_export, batch, tmp_path):
    d, model, run_model = lstm_export
    torch.manual_seed(batch)
    args = lstm_inputs(batch, 8, 16)
    run_c(run_model, d / "lstm.so", [a.numpy() for a in args], tmp_path)
    hy, cy = model(*args)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), hy.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(np.load(tmp_path / "out.1.npy"), cy.numpy(), rtol=RTOL, atol=ATOL)


def test_the_lstm_cell_checks_its_weights(lstm_export):
    d, _, _ = lstm_export
    lib = Exported(str(d / "lstm.so"))
    args = [a.numpy() for a in lstm_inputs(4, 8, 16)]
    for i in (3, 4, 5, 6):  # weights and biases of 63 gates, which do not split in four
        args[i] = args[i][:63]
    with pytest.raises(CallError, match="status 5: aten::chunk.*: a size of 63 does not split into 4 equal parts"):
        lib(*args)


@pytest.fixture(scope="module")
def rnn_export(tmp_path_factory, mlp_export):
    d = tmp_path_factory.mktemp("rnn")
    torch.manual_seed(0)
    RNN(torch.randn(3, 16) * 0.5, torch.randn(16, 16) * 0.2, torch.randn(16, 2), torch.zeros(16),
        torch.zeros(2)).save(str(d / "rnn.mtj"))
    assert main(["export", str(d / "rnn.mtj"), "-o", str(d / "rnn.so"), "--input-types",
                 "Float(*, *, *); Float(*, *)"]) == 0
    return d, torch.jit.load(str(d / "rnn.mtj")), mlp_export[2]


@pytest.mark.parametrize("steps, batch", [(25, 4), (9, 7)])
def test_the_scripted_rnn_with_its_loop_and_print_runs_from_c(rnn_export, steps, batch, tmp_path, capsys):
    d, model, run_model = rnn_export
    rng = np.random.default_rng(steps)
    x = rng.standard_normal((steps, batch, 3)).astype(np.float32)
    h = rng.standard_normal((batch, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "h.npy", h)
    done = subprocess.run([str(run_model), str(d / "rnn.so"), str(tmp_path / "x.npy"), str(tmp_path / "h.npy"),
                           str(tmp_path / "out.npy")], check=True, capture_output=True, text=True)
    with torch.no_grad():
        y, h_last = model(torch.tensor(x), torch.tensor(h))
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), y.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(np.load(tmp_path / "out.1.npy"), h_last.numpy(), rtol=RTOL, atol=ATOL)
    # the print every tenth step, as Python prints it
    assert done.stdout == capsys.readouterr().out
    assert done.stdout.count("stats: ") == len(range(0, steps, 10))


def test_the_rnn_checks_sizes_inside_its_loop_and_runs_zero_steps(rnn_export):
    d, _, _ = rnn_export
    lib = Exported(str(d / "rnn.so"))
    y, h = lib(np.zeros((0, 2, 3), np.float32), np.ones((2, 16), np.float32))
    assert y.shape == (0, 2, 2) and (h == 1).all()
    with pytest.raises(CallError, match="status 5: aten::matmul.*: sizes 4 and 3 of a matrix product do not match"):
        lib(np.zeros((5, 2, 4), np.float32), np.zeros((2, 16), np.float32))
    with pytest.raises(CallError, match=r"status 5: prim::Loop.*changes the size at dimension 1 .*\(15 to 16\)"):
        lib(np.zeros((5, 2, 3), np.float32), np.zeros((2, 15), np.float32))


def test_embedding_and_layer_norm_export_and_check_their_indices(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(100, 16), torch.nn.LayerNorm(16), torch.nn.Linear(16, 4)).eval()
    traced = torch.jit.trace(model, torch.tensor([[1, 2, 3], [4, 5, 6]]))
    export_library(traced, str(tmp_path / "emb.so"))
    lib = Exported(str(tmp_path / "emb.so"))
    for shape in ((2, 3), (5, 7)):
        index = np.random.default_rng(shape[1]).integers(0, 100, shape)
        np.testing.assert_allclose(lib(index)[0], traced(torch.tensor(index)).numpy(), rtol=RTOL, atol=ATOL)
    with pytest.raises(CallError, match=r"status 9: aten::embedding .*: index 100 is out of range for 100 rows"):
        lib(np.array([[1, 100]]))
    with pytest.raises(CallError, match="status 3: input 0 .*: dtype code 0, the model has int64"):
        lib(np.zeros((1, 2), np.float32))


def test_matrix_products_split_over_threads_give_the_same_bits(lstm_export):
    d, _, _ = lstm_export
    lib = Exported(str(d / "lstm.so"))
    torch.manual_seed(0)
    args = [a.numpy() for a in lstm_inputs(64, 512, 512)]  # big enough to split (64 x 2048 x 512)
    one = lib(*args)
    lib.set_num_threads(3)
    assert lib.lib_fn("num_threads")() == 3
    assert all(np.array_equal(a, b) for a, b in zip(one, lib(*args)))
    with pytest.raises(CallError, match="status 9: a thread count of 0: give 1 to 64"):
        lib.set_num_threads(0)
    assert "int32_t lstm_set_num_threads(int32_t count);" in (d / "lstm.h").read_text()


@pytest.mark.parametrize("batch, features, outputs", [(2048, 512, 64), (64, 512, 1000)])
def test_row_and_column_splits_of_a_product_give_the_same_bits(tmp_path, batch, features, outputs):
    # more rows than columns: blocks of rows; more columns: blocks of columns (1000 is no
    # whole number of 16-wide tiles, so the last block has an edge)
    torch.manual_seed(0)
    model = torch.nn.Linear(features, outputs).eval()
    x = torch.randn(batch, features)
    export_library(torch.jit.trace(model, x), str(tmp_path / "linear.so"))
    lib = Exported(str(tmp_path / "linear.so"))
    (one,) = lib(x.numpy())
    for threads in (2, 3):
        lib.set_num_threads(threads)
        assert np.array_equal(one, lib(x.numpy())[0])
    np.testing.assert_allclose(one, model(x).detach().numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("fn, n_inputs", [(ratio_iou, 8), (gelu, 1)])
def test_pointwise_programs_from_the_library_equal_the_jits_bit_for_bit(tmp_path, fn, n_inputs):
    # the library's pointwise code is the fusion groups' kernels: the same bits as the JIT's
    s = torch.jit.script(fn)
    export_library(s, str(tmp_path / "pw.so"), [parse_type_str("Float(*, *)")] * n_inputs)
    lib = Exported(str(tmp_path / "pw.so"))
    rng = np.random.default_rng(n_inputs)
    for shape in ((37, 129), (3, 1000)):
        args = [rng.random(shape, dtype=np.float32) + 0.1 for _ in range(n_inputs)]
        with torch.no_grad():
            expected = s(*[torch.from_numpy(a) for a in args]).numpy()
        assert np.array_equal(lib(*args)[0], expected)


def product_with_transposed_weight(x, w):
    return torch.nn.functional.linear(x, w)


@pytest.mark.parametrize("m, n, k", [(9, 50, 37), (64, 300, 512)])
def test_a_weight_read_as_its_transpose_packs_right(tmp_path, m, n, k):
    # a weight passed in is read as its transpose, whose columns are contiguous: 16 x 16 blocks are transposed in registers, the rows past
    # the last whole block (k = 37) go element by element
    s = torch.jit.script(product_with_transposed_weight)
    export_library(s, str(tmp_path / "mt.so"), [parse_type_str("Float(*, *)")] * 2)
    lib = Exported(str(tmp_path / "mt.so"))
    rng = np.random.default_rng(k)
    x, w = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((n, k)).astype(np.float32)
    np.testing.assert_allclose(lib(x, w)[0], x.astype(np.float64) @ w.T.astype(np.float64), rtol=RTOL, atol=1e-4)


def test_sizes_that_can_never_fit_fail_the_export(mlp_export, tmp_path):
    _, model, _ = mlp_export
    with pytest.raises(ExportError, match="aten::linear: the input has 7 features, the weight takes 8"):
        export_library(model, str(tmp_path / "m.so"), [parse_type_str("Float(*, 7)")])

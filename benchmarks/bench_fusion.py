"""Fused kernels vs numpy eager expressions of the same formulas, side by side in one run.

    PYTHONPATH=. python benchmarks/bench_fusion.py [--repeats N]

Each workload's eager and fused versions run interleaved, ``repeats`` times each, and the
medians are compared. float32, the thread count of the machine (MINITORCH_JIT_NUM_THREADS to
change it). Also measured: a triad (b + 3 c) bandwidth probe with the fused kernel, the bound
it implies for ratio_iou (4000, 1000) (9 arrays of 16 MB), and the first-call time of a traced
ratio_iou in a fresh process with an empty kernel cache and in a second process that finds the
kernel on disk.
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minitorch_jit as torch  # noqa: E402
from codegen.launch import num_threads  # noqa: E402
from minitorch_jit.nn import functional as F  # noqa: E402


def ratio_iou(x1, y1, w1, h1, x2, y2, w2, h2):
    xi = torch.max(x1, x2)
    yi = torch.max(y1, y2)
    wi = torch.clamp(torch.min(x1 + w1, x2 + w2) - xi, min=0)
    hi = torch.clamp(torch.min(y1 + h1, y2 + h2) - yi, min=0)
    area_i = wi * hi
    area_u = w1 * h1 + w2 * h2 - wi * hi
    return area_i / torch.clamp(area_u, min=1e-5)


def ratio_iou_np(x1, y1, w1, h1, x2, y2, w2, h2):
    xi = np.maximum(x1, x2)
    yi = np.maximum(y1, y2)
    wi = np.maximum(np.minimum(x1 + w1, x2 + w2) - xi, np.float32(0))
    hi = np.maximum(np.minimum(y1 + h1, y2 + h2) - yi, np.float32(0))
    area_i = wi * hi
    area_u = w1 * h1 + w2 * h2 - wi * hi
    return area_i / np.maximum(area_u, np.float32(1e-5))


def square5(x):
    for _ in range(5):
        x = x * x
    return x


K = math.sqrt(2 / math.pi)


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(K * (x + 0.044715 * torch.pow(x, 3))))


def gelu_np(x):
    f = np.float32
    return f(0.5) * x * (f(1) + np.tanh(f(K) * (x + f(0.044715) * x * x * x)))


def lstm_tail(ingate, forgetgate, cellgate, outgate, cx):
    cy = torch.sigmoid(forgetgate) * cx + torch.sigmoid(ingate) * torch.tanh(cellgate)
    return torch.sigmoid(outgate) * torch.tanh(cy), cy


def _sigmoid_np(x):
    return np.float32(1) / (np.float32(1) + np.exp(-x))


def lstm_tail_np(ingate, forgetgate, cellgate, outgate, cx):
    cy = _sigmoid_np(forgetgate) * cx + _sigmoid_np(ingate) * np.tanh(cellgate)
    return _sigmoid_np(outgate) * np.tanh(cy), cy


def lstm(x, hx, cx, w_ih, w_hh, b_ih, b_hh):
    gates = F.linear(x, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    return lstm_tail(i, f, g, o, cx)


def lstm_np(x, hx, cx, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + b_ih + hx @ w_hh.T + b_hh
    i, f, g, o = np.split(gates, 4, axis=1)
    return lstm_tail_np(i, f, g, o, cx)


def triad(b, c):
    return b + 3.0 * c


def measure(eager, fused, eager_args, fused_args, repeats):
    eager(*eager_args)
    fused(*fused_args)
    te, tf = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        eager(*eager_args)
        te.append(time.perf_counter() - t)
        t = time.perf_counter()
        fused(*fused_args)
        tf.append(time.perf_counter() - t)
    return statistics.median(te), statistics.median(tf)


def rand(*shape):
    return torch.rand(*shape) + 0.1


def row(name, te, tf, note=""):
    print(f"{name:<34} {te * 1e3:10.3f} ms {tf * 1e3:10.3f} ms {te / tf:8.2f}x  {note}")


FIRST_CALL = """
import time, sys
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import minitorch_jit as torch
sys.path.insert(0, {bench!r})
from bench_fusion import ratio_iou
args = [torch.rand(1000) + 0.1 for _ in range(8)]
t = time.perf_counter()
f = torch.trace(ratio_iou, tuple(args))
f(*args)
print(time.perf_counter() - t)
"""


def first_call(cache_dir):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = FIRST_CALL.format(root=root, bench=os.path.join(root, "benchmarks"))
    env = dict(os.environ, MINITORCH_JIT_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=21)
    args = p.parse_args()
    r = args.repeats
    print(f"threads: {num_threads()}, float32, median of {r} interleaved repeats")
    print(f"{'workload':<34} {'numpy eager':>13} {'fused':>13} {'speedup':>9}")
    results = {}
    for shape in [(10,), (100, 1000), (1000, 1000), (4000, 1000)]:
        xs = [rand(*shape) for _ in range(8)]
        fn = torch.trace(ratio_iou, tuple(xs))
        te, tf = measure(ratio_iou_np, fn, [x.numpy() for x in xs], xs, r if shape[0] < 4000 else max(5, r // 3))
        results[shape] = tf
        row(f"ratio_iou {shape}", te, tf)
    for n in [1 << 20, 1 << 22]:
        x = torch.rand(n)
        row(f"x = x * x five times ({n})", *measure(square5, torch.trace(square5, (x,)), [x.numpy()], [x], r))
    x = torch.randn(1 << 22)
    row("GELU tanh form (4M)", *measure(gelu_np, torch.trace(gelu, (x,)), [x.numpy()], [x], r))
    b, i, h = 64, 512, 512
    ins = (torch.randn(b, i), torch.randn(b, h), torch.randn(b, h), torch.randn(4 * h, i) * 0.05,
           torch.randn(4 * h, h) * 0.05, torch.randn(4 * h), torch.randn(4 * h))
    row("LSTM cell (64, 512, 512) whole", *measure(lstm_np, torch.trace(lstm, ins), [t.numpy() for t in ins], ins, r))
    gates = [torch.randn(b, 4 * h).chunk(4, 1) for _ in range(1)][0]
    tail = list(gates) + [ins[2]]
    row("LSTM cell pointwise part", *measure(lstm_tail_np, torch.trace(lstm_tail, tuple(tail)),
                                             [t.numpy() for t in tail], tail, r))
    n = 4000 * 1000
    bb, cc = torch.rand(n), torch.rand(n)
    tr = torch.trace(triad, (bb, cc))
    tr(bb, cc)
    times = []
    for _ in range(r):
        t = time.perf_counter()
        tr(bb, cc)
        times.append(time.perf_counter() - t)
    t_triad = statistics.median(times)
    bandwidth = 3 * n * 4 / t_triad
    bound = 9 * n * 4 / bandwidth
    print(f"triad b + 3c (4M): {t_triad * 1e3:.3f} ms, {bandwidth / 1e9:.1f} GB/s; ratio_iou (4000, 1000) memory "
          f"bound {bound * 1e3:.3f} ms, fused {results[(4000, 1000)] * 1e3:.3f} ms = "
          f"{results[(4000, 1000)] / bound:.2f}x the bound")
    with tempfile.TemporaryDirectory() as d:
        cold = first_call(d)
        warm = first_call(d)
    print(f"first call of traced ratio_iou (trace + fuse + LLVM compile): {cold * 1e3:.1f} ms; "
          f"second process with the disk cache: {warm * 1e3:.1f} ms")


if __name__ == "__main__":
    main()

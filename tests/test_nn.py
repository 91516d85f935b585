"""nn and nn.functional: conv2d against a naive loop, max_pool2d with padding, dilation and
ceil_mode against a naive loop, layer_norm, embedding, dropout in train and eval mode, the
losses against their formulas, Module's state, traversal, train/eval and repr (PyTorch
2.13's text), and deterministic initialisation under manual_seed."""
import itertools
import math
from collections import OrderedDict

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 4, 7, 6)).astype(np.float32)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


# -- conv2d ------------------------------------------------------------------------------------


def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    (pt, pb), (pl, pr) = padding
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), np.float64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for b_, oc, i, j in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oc // og
        for ic, p, q in itertools.product(range(cg), range(kh), range(kw)):
            out[b_, oc, i, j] += xp[b_, g * cg + ic, i * sh + p * dh, j * sw + q * dw] * w[oc, ic, p, q]
        out[b_, oc, i, j] += 0 if b is None else b[oc]
    return out


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 0, 1, 1), (2, 0, 1, 1), (1, 1, 1, 1), (1, (2, 1), 1, 1), (1, 0, 2, 1), ((2, 1), (1, 0), (1, 2), 1),
    (3, 2, 1, 1), (1, 1, 1, 2), (2, 1, 1, 4),
])
def test_conv2d_matches_a_naive_loop(stride, padding, dilation, groups):
    w = RNG.standard_normal((4, 4 // groups, 3, 2)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    pair = lambda v: (v, v) if isinstance(v, int) else v
    p = pair(padding)
    want = naive_conv2d(X, w, b, pair(stride), ((p[0], p[0]), (p[1], p[1])), pair(dilation), groups)
    got = F.conv2d(T(X), T(w), T(b), stride, padding, dilation, groups)
    assert got.dtype == torch.float32 and got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    unbatched = F.conv2d(T(X[0]), T(w), T(b), stride, padding, dilation, groups)
    np.testing.assert_allclose(unbatched.numpy(), want[0], rtol=1e-4, atol=1e-5)


def test_conv2d_same_and_valid_padding():
    w = RNG.standard_normal((3, 4, 4, 3)).astype(np.float32)
    # kernel 4 with dilation 1: total padding 3, one more on the bottom, as PyTorch pads
    want = naive_conv2d(X, w, None, (1, 1), ((1, 2), (1, 1)), (1, 1), 1)
    got = F.conv2d(T(X), T(w), padding="same")
    assert got.shape == (2, 3, 7, 6)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(F.conv2d(T(X), T(w), padding="valid").numpy(),
                               naive_conv2d(X, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1), rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(T(X), T(w), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'foo'"):
        F.conv2d(T(X), T(w), padding="foo")
    # the module takes it too (as PyTorch's does), eager and scripted
    conv = nn.Conv2d(4, 3, (4, 3), padding="same", bias=False)
    conv.weight = nn.Parameter(T(w))
    assert repr(conv) == "Conv2d(4, 3, kernel_size=(4, 3), stride=(1, 1), padding=same, bias=False)"
    np.testing.assert_allclose(conv(T(X)).numpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(torch.jit.script(conv)(T(X)).numpy(), want, rtol=1e-4, atol=1e-5)


def test_conv2d_errors():
    w = T(np.ones((4, 4, 3, 3), np.float32))
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(T(X), w, stride=0)
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F.conv2d(T(X), w, padding=-1)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[4, 4, 3, 3\], expected input\[2, 2, 7, 6\] "
                                           r"to have 4 channels, but got 2 channels instead"):
        F.conv2d(T(X[:, :2]), w)
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"):
        F.conv2d(T(X[0, 0]), w)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 4 elements"):
        F.conv2d(T(X), w, torch.ones(3))
    with pytest.raises(RuntimeError, match="Input type \\(float64\\) and weight type \\(float32\\) should be the same"):
        F.conv2d(T(X).double(), w)
    assert F.conv2d(T(X[:0]), w).shape == (0, 4, 5, 4)


# -- max_pool2d ---------------------------------------------------------------------------------


def out_size(n, k, s, p, d, ceil):
    span = n + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil else span // s) + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def naive_max_pool2d(x, k, s, p, d, ceil):
    h, w = x.shape[-2:]
    oh, ow = out_size(h, k[0], s[0], p[0], d[0], ceil), out_size(w, k[1], s[1], p[1], d[1], ceil)
    out = np.full(x.shape[:-2] + (oh, ow), -np.inf, x.dtype)
    for i, j, a, b in itertools.product(range(oh), range(ow), range(k[0]), range(k[1])):
        r, c = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + b * d[1]
        if 0 <= r < h and 0 <= c < w:
            out[..., i, j] = np.maximum(out[..., i, j], x[..., r, c])
    return out


@pytest.mark.parametrize("k, s, p, d, ceil", [
    (2, None, 0, 1, False), (3, 1, 0, 1, False), (3, 2, 1, 1, False), (2, 1, 1, 1, False), (3, 1, 0, 2, False),
    (3, 2, 0, 1, True), (2, 2, 0, 1, True), (3, 2, 1, 1, True), ((3, 2), (2, 1), (1, 1), (1, 2), True),
    (4, 4, 2, 1, False), (2, 5, 0, 1, True), (5, 3, 2, 1, True), (3, 3, 1, 2, True),
])
def test_max_pool2d_matches_a_naive_loop(k, s, p, d, ceil):
    pair = lambda v: (v, v) if isinstance(v, int) else v
    want = naive_max_pool2d(X, pair(k), pair(s if s is not None else k), pair(p), pair(d), ceil)
    got = F.max_pool2d(T(X), k, s if s is not None else k, p, d, ceil)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(nn.MaxPool2d(k, s, p, d, ceil)(T(X)).numpy(), want)
    np.testing.assert_array_equal(F.max_pool2d(T(X[0]), k, s if s is not None else k, p, d, ceil).numpy(), want[0])


def test_max_pool2d_nan_integers_and_errors():
    assert math.isnan(F.max_pool2d(torch.tensor([[[[1.0, math.nan], [3.0, 2.0]]]]), 2).item())
    i = F.max_pool2d(T(X).mul(10).long(), 2)
    np.testing.assert_array_equal(i.numpy(), naive_max_pool2d((X * 10).astype(np.int64).astype(np.float64), (2, 2),
                                                              (2, 2), (0, 0), (1, 1), False))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(T(X), 2, padding=2)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.max_pool2d(T(X), 2, stride=0)
    with pytest.raises(RuntimeError, match="pad must be non-negative, but got pad: -1"):
        F.max_pool2d(T(X), 2, padding=-1)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(T(X), 8)
    with pytest.raises(RuntimeError, match="Expected 3D or 4D input"):
        F.max_pool2d(T(X[0, 0]), 2)


# -- layer_norm, embedding, dropout ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [[6], [5, 6]])
def test_layer_norm_formula(shape):
    x = RNG.standard_normal((3, 5, 6)).astype(np.float32) * 3 + 1
    axes = tuple(range(3 - len(shape), 3))
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    w, b = RNG.standard_normal(shape).astype(np.float32), RNG.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(F.layer_norm(T(x), shape).numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(F.layer_norm(T(x), shape, T(w), T(b), eps=1e-3).numpy(),
                               (x - mean) / np.sqrt(var + 1e-3) * w + b, rtol=1e-4, atol=1e-5)
    m = nn.LayerNorm(shape)
    assert m.weight.tolist() == np.ones(shape).tolist() and m.bias.tolist() == np.zeros(shape).tolist()
    np.testing.assert_allclose(m(T(x)).numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


def test_layer_norm_errors():
    assert F.layer_norm(torch.ones(2, 3), [3]).tolist() == [[0, 0, 0]] * 2
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got "
                                           r"input of size\[2, 3\]"):
        F.layer_norm(torch.ones(2, 3), [4])
    with pytest.raises(RuntimeError, match=r"Expected weight to be of same shape as normalized_shape, but got weight of "
                                           r"shape \[2\] and normalized_shape = \[3\]"):
        F.layer_norm(torch.ones(2, 3), [3], torch.ones(2))
    with pytest.raises(NotImplementedError, match="\"layer_norm\" not implemented for 'Long'"):
        F.layer_norm(torch.ones(2, 3, dtype=torch.int64), [3])


def test_embedding():
    w = torch.arange(30, dtype=torch.float32).reshape(10, 3)
    idx = torch.tensor([[0, 9], [2, 2]])
    np.testing.assert_array_equal(F.embedding(idx, w).numpy(), w.numpy()[idx.numpy()])
    assert F.embedding(torch.tensor(4), w).tolist() == [12, 13, 14]
    assert F.embedding(torch.tensor([1, 2], dtype=torch.int32), w).shape == (2, 3)
    assert F.embedding(torch.tensor([], dtype=torch.int64), w).shape == (0, 3)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([10]), w)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(torch.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int"):
        F.embedding(torch.tensor([1.0]), w)
    torch.manual_seed(0)
    m = nn.Embedding(10, 3, padding_idx=-1)
    assert m.padding_idx == 9 and m.weight[9].tolist() == [0, 0, 0] and m(torch.tensor([9, 9])).tolist() == [[0] * 3] * 2
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(10, 3, padding_idx=10)


def test_dropout_in_train_and_eval_mode():
    x = torch.ones(10000)
    torch.manual_seed(0)
    y = F.dropout(x, 0.25)
    kept = y.numpy() != 0
    assert set(np.unique(y.numpy())) <= {0.0, np.float32(1 / 0.75)}
    assert abs(kept.mean() - 0.75) < 0.02
    torch.manual_seed(0)
    assert F.dropout(x, 0.25).tolist() == y.tolist()               # repeatable under manual_seed
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert F.dropout(x, 1.0).sum().item() == 0
    z = torch.ones(100)
    assert F.dropout(z, 0.5, inplace=True) is z and (z.numpy() != 1).any()
    m = nn.Dropout(0.3)
    assert m.training and (m(x).numpy() == 0).any()
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 2"):
        nn.Dropout(2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.dropout(torch.ones(4, dtype=torch.int64), 0.5)


def test_functional_activations_and_inplace():
    x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [[1, 0, 0.5], [0, 3, 0]]
    x = torch.tensor([[1.0, -2.0]])
    np.testing.assert_allclose(F.silu(x, inplace=True).numpy(), [[1 / (1 + math.exp(-1)), -2 / (1 + math.exp(2))]],
                               rtol=1e-6)
    m = nn.ReLU(inplace=True)
    z = torch.tensor([-1.0, 1.0])
    assert m(z) is z and z.tolist() == [0, 1]
    for module, f in [(nn.Tanh(), np.tanh), (nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))), (nn.Identity(), lambda a: a),
                      (nn.SiLU(), lambda a: a / (1 + np.exp(-a))), (nn.ReLU(), lambda a: np.maximum(a, 0))]:
        np.testing.assert_allclose(module(T(X)).numpy(), f(X.astype(np.float64)), rtol=1e-5, atol=1e-6)
    assert nn.Flatten()(T(X)).shape == (2, 168) and nn.Flatten(0, 1)(T(X)).shape == (8, 7, 6)
    # Softmax(dim=None) picks PyTorch's legacy dim: 0 for 0-, 1- and 3-d input, else 1
    s3 = torch.arange(8.0).reshape(2, 2, 2)
    np.testing.assert_allclose(nn.Softmax()(s3).numpy(), torch.softmax(s3, 0).numpy())
    np.testing.assert_allclose(nn.LogSoftmax()(T(X)).numpy(), torch.log_softmax(T(X), 1).numpy())


# -- losses -----------------------------------------------------------------------------------

P = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], np.float32)
Q = np.array([[0.5, -1.0, 0.0], [2.0, 3.0, 1.0]], np.float32)
L = np.array([[1.0, 2.0, 0.5, -1.0], [0.1, 0.2, 3.0, 0.0], [-2.0, 1.0, 1.0, 1.0]], np.float32)
Y = np.array([0, 2, 3])
W = np.array([1.0, 2.0, 0.5, 1.5], np.float32)


def log_softmax(a, axis):
    a = a.astype(np.float64)
    return a - a.max(axis, keepdims=True) - np.log(np.exp(a - a.max(axis, keepdims=True)).sum(axis, keepdims=True))


def test_mse_loss_formula():
    d = (P - Q) ** 2
    assert F.mse_loss(T(P), T(Q)).item() == pytest.approx(d.mean())
    assert F.mse_loss(T(P), T(Q), reduction="sum").item() == pytest.approx(d.sum())
    np.testing.assert_allclose(F.mse_loss(T(P), T(Q), reduction="none").numpy(), d)
    np.testing.assert_allclose(F.mse_loss(T(P), T(Q[0])).item(), ((P - Q[0]) ** 2).mean(), rtol=1e-6)
    assert F.mse_loss(T(P), T(Q).double()).dtype == torch.float64
    assert math.isnan(F.mse_loss(torch.zeros(0), torch.zeros(0)).item())
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(T(P), T(Q), reduction="foo")
    with pytest.raises(NotImplementedError, match="\"mse_loss\" not implemented for 'Long'"):
        F.mse_loss(T(P).long(), T(Q).long())
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\)"):
        F.mse_loss(T(P), torch.ones(4))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("target", [Y, np.array([0, -100, 3])], ids=["all", "ignored"])
def test_cross_entropy_and_nll_formulas(reduction, weighted, smoothing, target):
    logp = log_softmax(L, 1)
    w = W.astype(np.float64) if weighted else np.ones(4)
    valid = target != -100
    safe = np.where(valid, target, 0)
    wt = np.where(valid, w[safe], 0)
    nll = -logp[np.arange(3), safe] * wt
    smooth = np.where(valid, -(logp * w).sum(1), 0)
    reduce = {"none": lambda v, d: v, "sum": lambda v, d: v.sum(), "mean": lambda v, d: v.sum() / d}[reduction]
    want = (1 - smoothing) * reduce(nll, wt.sum()) + smoothing / 4 * reduce(smooth, wt.sum())
    kw = dict(weight=T(W) if weighted else None, reduction=reduction)
    got = F.cross_entropy(T(L), torch.from_numpy(target), label_smoothing=smoothing, **kw)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    if not smoothing:
        np.testing.assert_allclose(F.nll_loss(T(logp.astype(np.float32)), torch.from_numpy(target), **kw).numpy(), want,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_class_probabilities(reduction):
    probs = np.exp(log_softmax(L * 0.3, 1))
    for smoothing, weighted in [(0.0, False), (0.3, False), (0.0, True)]:
        t = probs * (1 - smoothing) + smoothing / 4
        w = W if weighted else 1
        loss = -(log_softmax(L, 1) * t * w).sum(1)
        want = {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]
        got = F.cross_entropy(T(L), T(probs.astype(np.float32)), weight=T(W) if weighted else None,
                              reduction=reduction, label_smoothing=smoothing)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_cross_entropy_shapes_and_errors():
    logp = log_softmax(L, 1)
    assert F.cross_entropy(T(L[0]), torch.tensor(2)).item() == pytest.approx(-log_softmax(L[0], 0)[2])
    k = L.T.reshape(1, 4, 3)                                       # (N, C, d): K-dimensional
    got = F.cross_entropy(T(k), torch.tensor([[0, 2, 3]]), reduction="none")
    assert got.shape == (1, 3)
    np.testing.assert_allclose(got.numpy()[0], -logp[np.arange(3), Y], rtol=1e-5)
    assert math.isnan(F.cross_entropy(torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64)).item())
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.cross_entropy(T(L), torch.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.nll_loss(T(L), torch.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."):
        F.cross_entropy(T(L), torch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        F.cross_entropy(T(L), torch.tensor([0, 2, 3], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.nll_loss(T(L), torch.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(T(L), torch.from_numpy(Y), label_smoothing=1.5)


# -- Module ------------------------------------------------------------------------------------


def net():
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.LayerNorm(3), nn.Linear(3, 1, bias=False)))


def test_traversal_and_names():
    m = net()
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.1.weight"]
    assert [n for n, _ in m.named_parameters()] == list(m.state_dict())
    assert [n for n, _ in m.named_modules()] == ["", "0", "1", "2", "2.0", "2.1"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "ReLU", "Sequential"]
    assert sum(p.numel() for p in m.parameters()) == 6 + 3 + 3 + 3 + 3
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert [n for n, _ in twice.named_parameters()] == ["0.weight", "0.bias"]
    assert list(twice.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seen = []
    m.apply(lambda x: seen.append(type(x).__name__))
    assert seen == ["Linear", "ReLU", "LayerNorm", "Linear", "Sequential", "Sequential"]


def test_buffers_and_attribute_rules():
    m = nn.Module()
    m.register_buffer("a", torch.ones(2))
    m.register_buffer("b", torch.zeros(1), persistent=False)
    m.c = nn.Linear(1, 1)
    m.w = nn.Parameter(torch.ones(2))
    assert list(m.state_dict()) == ["w", "a", "c.weight", "c.bias"]
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    m.w = None
    assert m.w is None and "w" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter 'w' \\(torch.nn.Parameter or "
                                        "None expected\\)"):
        m.w = torch.ones(2)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'c' \\(torch.nn.Module or None expected\\)"):
        m.c = 3
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'a' \\(torch.Tensor or None expected\\)"):
        m.a = 3
    m.a = torch.zeros(2)
    assert m.a.tolist() == [0, 0]
    m.a = nn.Parameter(torch.ones(1))              # a Parameter moves the name from the buffers to the parameters
    assert [n for n, _ in m.named_buffers()] == ["b"] and [n for n, _ in m.named_parameters()][0] == "a"
    del m.c
    assert "c.weight" not in m.state_dict()
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        m.nothing

    class Early(nn.Module):
        def __init__(self):
            self.x = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__\\(\\) call"):
        Early()
    with pytest.raises(NotImplementedError, match="missing the required \"forward\" function"):
        nn.Module()(1)


def test_state_dict_round_trip_and_errors():
    torch.manual_seed(0)
    a = net()
    torch.manual_seed(1)
    b = net()
    x = torch.randn(4, 2)
    assert a(x).tolist() != b(x).tolist()
    r = b.load_state_dict(a.state_dict())
    assert r.missing_keys == [] and r.unexpected_keys == [] and b(x).tolist() == a(x).tolist()
    sd = a.state_dict()
    assert np.shares_memory(sd["0.weight"].numpy(), a[0].weight.numpy())   # detached views of the parameters
    m = nn.Linear(2, 3)
    m.load_state_dict({"weight": torch.ones(3, 2, dtype=torch.float64), "bias": torch.zeros(3, dtype=torch.int64)})
    assert m.weight.dtype == torch.float32 and m.weight.tolist() == [[1, 1]] * 3   # copied into the existing tensors
    with pytest.raises(RuntimeError, match='Error\\(s\\) in loading state_dict for Linear:\n\tMissing key\\(s\\) in '
                                           'state_dict: "bias".'):
        m.load_state_dict({"weight": torch.ones(3, 2)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "foo".'):
        m.load_state_dict({"weight": torch.ones(3, 2), "bias": torch.zeros(3), "foo": torch.ones(1)})
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with shape \[2, 2\] from "
                                           r"checkpoint, the shape in current model is \[3, 2\]."):
        m.load_state_dict({"weight": torch.ones(2, 2), "bias": torch.zeros(3)})
    r = m.load_state_dict({"weight": torch.full((3, 2), 2.0), "foo": torch.ones(1)}, strict=False)
    assert r.missing_keys == ["bias"] and r.unexpected_keys == ["foo"] and m.weight.tolist() == [[2, 2]] * 3


def test_train_and_eval():
    m = nn.Sequential(nn.Linear(2, 3), nn.Dropout(), nn.Sequential(nn.Dropout()))
    assert all(x.training for x in m.modules())
    assert m.eval() is m and not any(x.training for x in m.modules())
    x = torch.ones(3, 2)
    assert m(x).tolist() == m(x).tolist()          # dropout is off
    assert m.train() is m and all(x.training for x in m.modules())
    m.train(False)
    assert not m.training


def test_module_dtype_conversion():
    m = nn.Linear(2, 3).double()
    assert m.weight.dtype == torch.float64 and isinstance(m.weight, nn.Parameter)
    assert m(torch.ones(1, 2, dtype=torch.float64)).dtype == torch.float64
    assert nn.Linear(2, 3).to(torch.float64).bias.dtype == torch.float64 and m.float().weight.dtype == torch.float32


def test_sequential_and_module_list():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh())
    assert type(m[1]).__name__ == "ReLU" and type(m[-1]).__name__ == "Tanh" and len(m) == 3
    assert [type(x).__name__ for x in m[1:]] == ["ReLU", "Tanh"]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    lst = nn.ModuleList([nn.ReLU()])
    lst.append(nn.Tanh())
    lst.extend([nn.Sigmoid()])
    assert len(lst) == 3 and [type(x).__name__ for x in lst] == ["ReLU", "Tanh", "Sigmoid"]
    assert type(lst[2]).__name__ == "Sigmoid" and len(lst[:2]) == 2


@pytest.mark.parametrize("module, text", [
    (nn.Linear(3, 4), "Linear(in_features=3, out_features=4, bias=True)"),
    (nn.Linear(3, 4, bias=False), "Linear(in_features=3, out_features=4, bias=False)"),
    (nn.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
    (nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, dilation=2, bias=False),
     "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False)"),
    (nn.Conv2d(4, 8, 3, groups=2, padding=(1, 2)), "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), "
                                                   "groups=2)"),
    (nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
     "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)"),
    (nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (nn.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (nn.LayerNorm((2, 3), elementwise_affine=False), "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)"),
    (nn.Embedding(10, 3), "Embedding(10, 3)"), (nn.Embedding(10, 3, padding_idx=2), "Embedding(10, 3, padding_idx=2)"),
    (nn.Dropout(0.3), "Dropout(p=0.3, inplace=False)"), (nn.ReLU(), "ReLU()"), (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (nn.GELU(), "GELU(approximate='none')"), (nn.Softmax(dim=1), "Softmax(dim=1)"), (nn.LogSoftmax(), "LogSoftmax(dim=None)"),
    (nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"), (nn.Identity(), "Identity()"), (nn.Tanh(), "Tanh()"),
    (nn.Sequential(), "Sequential()"), (nn.ModuleList(), "ModuleList()"),
    (nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 1)),
     "Sequential(\n  (0): Linear(in_features=8, out_features=64, bias=True)\n  (1): Tanh()\n"
     "  (2): Linear(in_features=64, out_features=1, bias=True)\n)"),
    (nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.ModuleList([nn.Dropout(0.1), nn.Identity()])),
     "Sequential(\n  (0): Sequential(\n    (0): Linear(in_features=2, out_features=2, bias=True)\n    (1): ReLU()\n  )\n"
     "  (1): ModuleList(\n    (0): Dropout(p=0.1, inplace=False)\n    (1): Identity()\n  )\n)"),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_repr_matches_pytorch(module, text):
    assert repr(module) == text


def test_repr_of_custom_modules_and_parameters():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(1, 1)
            self.w = nn.Parameter(torch.ones(1))

        def extra_repr(self):
            return "hello"
    assert repr(M()) == "M(\n  hello\n  (l): Linear(in_features=1, out_features=1, bias=True)\n)"
    assert repr(nn.Parameter(torch.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    p = nn.Parameter(torch.ones(1), requires_grad=False)
    assert isinstance(p, torch.Tensor) and not p.requires_grad


# -- initialisation ---------------------------------------------------------------------------------


def test_initialisation_is_deterministic_under_manual_seed():
    def build():
        return [nn.Linear(5, 3), nn.Conv2d(2, 4, 3), nn.Embedding(6, 2), nn.LayerNorm(3)]
    torch.manual_seed(7)
    first = [m.state_dict() for m in build()]
    torch.manual_seed(7)
    second = [m.state_dict() for m in build()]
    for a, b in zip(first, second):
        assert list(a) == list(b) and all(a[k].tolist() == b[k].tolist() for k in a)
    torch.manual_seed(8)
    assert nn.Linear(5, 3).weight.tolist() != first[0]["weight"].tolist()


@pytest.mark.parametrize("make, fan_in", [(lambda: nn.Linear(400, 300), 400), (lambda: nn.Conv2d(16, 64, 5), 16 * 25)])
def test_kaiming_uniform_bounds(make, fan_in):
    """PyTorch's default: weight and bias uniform in +-1/sqrt(fan_in) (kaiming_uniform with a=sqrt(5))."""
    torch.manual_seed(0)
    m = make()
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.numpy(), m.bias.numpy()
    assert m.weight.dtype == torch.float32 and m.weight.requires_grad
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound            # uniform's std
    assert abs(w.mean()) < 0.01 * bound


def test_embedding_init_is_standard_normal():
    torch.manual_seed(0)
    w = nn.Embedding(300, 100).weight.numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01

"""Record what PyTorch's nn layers compute, once, into tests/data/nn_layers.npz.

Run with a Python that has PyTorch (never the project's own venv: neither the package nor
its tests import torch):

    python -m venv /work/venvs/torch18 && /work/venvs/torch18/bin/pip install torch==2.13.0 numpy
    /work/venvs/torch18/bin/python tools/record_nn_layers.py

Each case is a constructor written the same way in both libraries (evaluated with ``nn``
bound to ``torch.nn`` here and to ``minitorch_jit.nn`` in tests/test_nn_layers.py), input
shapes, a mode and a number of calls. Every floating parameter and buffer is replaced by
random values first (running variances stay positive), so eval-mode statistics and learned
slopes are exercised, not just their initial values. For case ``name`` the file holds:

    name/ctor, name/mode, name/calls      the case
    name/state/<key>                      the state_dict before the first call
    name/input<i>/<j>                     input j of call i (a tuple's items: .../<j>/<k>)
    name/output<i>                        the output of call i (a tuple's items: .../<k>)
    name/after/<key>                      the state_dict after the last call (running stats)
"""
from __future__ import annotations

import os
import sys

import numpy as np
import torch
from torch import nn

# name: (constructor, input shapes, "train" or "eval", calls, input scale)
CASES = {
    # activations
    "elu": ("nn.ELU()", [(2, 3, 5)], "eval", 1, 3.0),
    "elu_alpha_inplace": ("nn.ELU(alpha=0.4, inplace=True)", [(4, 6)], "eval", 1, 3.0),
    "selu": ("nn.SELU()", [(2, 3, 5)], "eval", 1, 3.0),
    "leaky_relu": ("nn.LeakyReLU()", [(2, 3, 5)], "eval", 1, 3.0),
    "leaky_relu_slope": ("nn.LeakyReLU(0.2, inplace=True)", [(3, 7)], "eval", 1, 3.0),
    "hardswish": ("nn.Hardswish()", [(2, 3, 5)], "eval", 1, 4.0),
    "mish": ("nn.Mish()", [(2, 3, 5)], "eval", 1, 4.0),
    "softplus": ("nn.Softplus()", [(2, 3, 5)], "eval", 1, 4.0),
    "softplus_beta_threshold": ("nn.Softplus(beta=2.0, threshold=3.0)", [(2, 3, 5)], "eval", 1, 4.0),
    "prelu": ("nn.PReLU()", [(2, 3, 5)], "eval", 1, 3.0),
    "prelu_channels": ("nn.PReLU(3)", [(2, 3, 4, 4)], "eval", 1, 3.0),
    # normalization (training cases call twice or more: the second call sees updated statistics)
    "batch_norm1d_train": ("nn.BatchNorm1d(4)", [(8, 4)], "train", 2, 1.0),
    "batch_norm1d_cumulative": ("nn.BatchNorm1d(3, momentum=None)", [(4, 3, 5)], "train", 3, 1.0),
    "batch_norm2d_train": ("nn.BatchNorm2d(3, momentum=0.3)", [(2, 3, 4, 5)], "train", 2, 1.0),
    "batch_norm2d_eval": ("nn.BatchNorm2d(3)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "batch_norm2d_no_affine_no_stats": ("nn.BatchNorm2d(3, affine=False, track_running_stats=False)",
                                        [(2, 3, 4, 5)], "eval", 1, 1.0),
    "instance_norm2d": ("nn.InstanceNorm2d(3)", [(2, 3, 4, 5)], "train", 1, 1.0),
    "instance_norm2d_stats_train": ("nn.InstanceNorm2d(3, affine=True, track_running_stats=True)", [(2, 3, 4, 5)],
                                    "train", 2, 1.0),
    "instance_norm2d_stats_eval": ("nn.InstanceNorm2d(3, affine=True, track_running_stats=True)", [(2, 3, 4, 5)],
                                   "eval", 1, 1.0),
    "instance_norm2d_unbatched": ("nn.InstanceNorm2d(3)", [(3, 4, 5)], "eval", 1, 1.0),
    "group_norm": ("nn.GroupNorm(2, 4)", [(2, 4, 3, 3)], "train", 1, 1.0),
    "group_norm_no_affine": ("nn.GroupNorm(3, 6, affine=False)", [(2, 6, 5)], "train", 1, 1.0),
    # pooling and dropout
    "avg_pool2d": ("nn.AvgPool2d(2)", [(2, 3, 6, 7)], "eval", 1, 1.0),
    "avg_pool2d_padded_ceil": ("nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True)", [(2, 3, 7, 6)], "eval", 1, 1.0),
    "avg_pool2d_exclude_pad": ("nn.AvgPool2d((3, 2), stride=(2, 1), padding=1, ceil_mode=True, "
                               "count_include_pad=False)", [(1, 2, 7, 6)], "eval", 1, 1.0),
    "avg_pool2d_divisor": ("nn.AvgPool2d(2, divisor_override=3)", [(3, 6, 6)], "eval", 1, 1.0),
    "adaptive_avg_pool2d": ("nn.AdaptiveAvgPool2d((3, 4))", [(2, 3, 7, 9)], "eval", 1, 1.0),
    "adaptive_avg_pool2d_one": ("nn.AdaptiveAvgPool2d(1)", [(2, 3, 5, 5)], "eval", 1, 1.0),
    "dropout2d_eval": ("nn.Dropout2d(0.5)", [(2, 3, 4, 4)], "eval", 1, 1.0),
    # padding and resampling
    "zero_pad2d": ("nn.ZeroPad2d((1, 2, 0, 3))", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "constant_pad2d_crop": ("nn.ConstantPad2d((-1, 2, 1, -2), 3.5)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "reflection_pad2d": ("nn.ReflectionPad2d(2)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "reflection_pad2d_unbatched": ("nn.ReflectionPad2d((3, 0, 1, 2))", [(3, 4, 5)], "eval", 1, 1.0),
    "replication_pad2d": ("nn.ReplicationPad2d((1, 2, 3, 0))", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "circular_pad2d": ("nn.CircularPad2d((1, 2, 2, 0))", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "upsample_nearest_scale": ("nn.Upsample(scale_factor=2)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "upsample_nearest_size": ("nn.Upsample(size=(7, 3))", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "upsample_nearest_fractional": ("nn.Upsample(scale_factor=(1.7, 0.6))", [(1, 2, 5, 9)], "eval", 1, 1.0),
    "upsample_bilinear": ("nn.Upsample(scale_factor=2, mode='bilinear')", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "upsample_bilinear_fractional": ("nn.Upsample(scale_factor=1.5, mode='bilinear')", [(1, 2, 5, 7)], "eval", 1,
                                     1.0),
    "upsample_bilinear_align_corners": ("nn.Upsample(size=(7, 9), mode='bilinear', align_corners=True)",
                                        [(2, 3, 4, 5)], "eval", 1, 1.0),
    "upsample_bilinear_shrink": ("nn.Upsample(size=(3, 2), mode='bilinear')", [(1, 2, 7, 5)], "eval", 1, 1.0),
    "unflatten": ("nn.Unflatten(1, (2, 3))", [(4, 6, 5)], "eval", 1, 1.0),
    # convolutions
    "conv1d": ("nn.Conv1d(3, 4, 3)", [(2, 3, 9)], "eval", 1, 1.0),
    "conv1d_strided_padded_dilated_grouped": ("nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)",
                                              [(2, 4, 11)], "eval", 1, 1.0),
    "conv1d_same_no_bias": ("nn.Conv1d(2, 3, 4, padding='same', bias=False)", [(2, 9)], "eval", 1, 1.0),
    "conv_transpose2d": ("nn.ConvTranspose2d(3, 4, 3)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    "conv_transpose2d_strided": ("nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2)",
                                 [(2, 4, 4, 5)], "eval", 1, 1.0),
    "conv_transpose2d_dilated": ("nn.ConvTranspose2d(2, 3, 3, stride=(1, 2), dilation=2, bias=False)",
                                 [(2, 3, 4)], "eval", 1, 1.0),
    "conv3d": ("nn.Conv3d(2, 3, 3)", [(2, 2, 4, 5, 6)], "eval", 1, 1.0),
    "conv3d_strided_padded_grouped": ("nn.Conv3d(4, 6, (2, 3, 1), stride=(1, 2, 2), padding=(1, 0, 1), "
                                      "dilation=(2, 1, 1), groups=2)", [(2, 4, 5, 6, 5)], "eval", 1, 1.0),
    "conv3d_same_unbatched": ("nn.Conv3d(2, 3, 2, padding='same', bias=False)", [(2, 3, 4, 5)], "eval", 1, 1.0),
    # recurrent layers (an input given as a pair of shapes is a tuple of tensors: LSTM's (h, c))
    "rnn_cell": ("nn.RNNCell(3, 5)", [(4, 3), (4, 5)], "eval", 2, 1.0),
    "rnn_cell_relu_unbatched": ("nn.RNNCell(3, 5, nonlinearity='relu', bias=False)", [(3,)], "eval", 1, 1.0),
    "lstm_cell": ("nn.LSTMCell(3, 5)", [(4, 3), ((4, 5), (4, 5))], "eval", 2, 1.0),
    "lstm_cell_no_state": ("nn.LSTMCell(3, 5)", [(4, 3)], "eval", 1, 1.0),
    "gru_cell": ("nn.GRUCell(3, 5)", [(4, 3), (4, 5)], "eval", 2, 1.0),
    "gru_cell_unbatched": ("nn.GRUCell(3, 5, bias=False)", [(3,), (5,)], "eval", 1, 1.0),
    "rnn": ("nn.RNN(3, 5)", [(6, 2, 3)], "eval", 1, 1.0),
    "rnn_relu_layers": ("nn.RNN(3, 5, num_layers=2, nonlinearity='relu')", [(6, 2, 3), (2, 2, 5)], "eval", 1, 1.0),
    "lstm": ("nn.LSTM(3, 5)", [(6, 2, 3)], "eval", 1, 1.0),
    "lstm_layers_batch_first": ("nn.LSTM(3, 5, num_layers=2, batch_first=True)", [(2, 6, 3), ((2, 2, 5), (2, 2, 5))],
                                "eval", 1, 1.0),
    "lstm_unbatched": ("nn.LSTM(3, 4, bias=False)", [(6, 3)], "eval", 1, 1.0),
    "gru": ("nn.GRU(3, 5, num_layers=2)", [(6, 2, 3)], "eval", 1, 1.0),
    "gru_batch_first": ("nn.GRU(3, 5, batch_first=True)", [(2, 6, 3), (1, 2, 5)], "eval", 1, 1.0),
    # attention (("bool", shape): a random boolean mask, True where attending is not allowed)
    "multihead_attention": ("nn.MultiheadAttention(8, 2)", [(5, 3, 8), (4, 3, 8), (4, 3, 8)], "eval", 1, 1.0),
    "multihead_attention_padding_mask": ("nn.MultiheadAttention(6, 3, batch_first=True)",
                                         [(2, 4, 6), (2, 5, 6), (2, 5, 6), ("bool", (2, 5))], "eval", 1, 1.0),
    "multihead_attention_kv_dims_no_bias": ("nn.MultiheadAttention(6, 2, bias=False, kdim=4, vdim=5)",
                                            [(3, 2, 6), (4, 2, 4), (4, 2, 5)], "train", 1, 1.0),
    "multihead_attention_unbatched": ("nn.MultiheadAttention(4, 1)", [(3, 4), (5, 4), (5, 4)], "eval", 1, 1.0),
    "transformer_encoder_layer": ("nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)",
                                  [(5, 3, 8)], "train", 1, 1.0),
    "transformer_encoder_layer_mask": ("nn.TransformerEncoderLayer(8, 4, dim_feedforward=12, dropout=0.0)",
                                       [(5, 2, 8), (5, 5)], "train", 1, 1.0),
    "transformer_encoder_layer_norm_first_gelu": (
        "nn.TransformerEncoderLayer(6, 2, dim_feedforward=10, dropout=0.0, activation='gelu', batch_first=True, "
        "norm_first=True)", [(2, 4, 6), (4, 4), ("bool", (2, 4))], "train", 1, 1.0),
}


def _randomize(module: nn.Module, rng: np.random.Generator) -> None:
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.is_floating_point():
                continue
            values = rng.standard_normal(tuple(t.shape))
            if name.endswith("running_var"):
                values = np.abs(values) + 0.5
            t.copy_(torch.from_numpy(values.astype(np.float32)))


def _random(shape: tuple, scale: float, rng: np.random.Generator):
    if shape and shape[0] == "bool":
        mask = rng.random(shape[1]) < 0.3
        mask[..., 0] = False  # every row may attend somewhere (an all-masked row is NaN in PyTorch)
        return mask
    if shape and isinstance(shape[0], tuple):
        return tuple(_random(s, scale, rng) for s in shape)
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _tensors(x):
    return tuple(_tensors(v) for v in x) if isinstance(x, tuple) else torch.from_numpy(x.copy())


def _store(data: dict, key: str, value) -> None:
    """A tensor under ``key``, a tuple's items under ``key/0``, ``key/1``, ..."""
    if isinstance(value, tuple):
        for k, v in enumerate(value):
            _store(data, f"{key}/{k}", v)
    else:
        data[key] = value.numpy() if isinstance(value, torch.Tensor) else value


def record(path: str) -> None:
    rng = np.random.default_rng(18)
    torch.manual_seed(18)
    data: dict = {}
    for name, (ctor, shapes, mode, calls, scale) in CASES.items():
        module = eval(ctor, {"nn": nn})
        module.train(mode == "train")
        _randomize(module, rng)
        data[f"{name}/ctor"] = np.array(ctor)
        data[f"{name}/mode"] = np.array(mode)
        data[f"{name}/calls"] = np.array(calls)
        for k, v in module.state_dict().items():
            data[f"{name}/state/{k}"] = v.numpy().copy()
        for i in range(calls):
            inputs = [_random(s, scale, rng) for s in shapes]
            for j, x in enumerate(inputs):
                _store(data, f"{name}/input{i}/{j}", x)
            with torch.no_grad():
                out = module(*[_tensors(x) for x in inputs])
            _store(data, f"{name}/output{i}", out)
        for k, v in module.state_dict().items():
            data[f"{name}/after/{k}"] = v.numpy().copy()
    np.savez_compressed(path, **data)
    print(f"wrote {len(CASES)} cases to {path} (torch {torch.__version__})")


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    record(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "data", "nn_layers.npz"))

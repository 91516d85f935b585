"""Multi-layer recurrences behind nn.RNN, nn.LSTM and nn.GRU, with PyTorch's schemas
(``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh``, ``torch.rnn_relu``): one op for the whole
sequence, so a trace records one node that runs for any sequence length and batch size.

``params`` holds each layer's ``w_ih, w_hh[, b_ih, b_hh]`` in order; the gates are stacked
along the weights' rows in PyTorch's order (LSTM: input, forget, cell, output; GRU: reset,
update, new). Between layers, dropout applies to the outputs while training. (The cells,
nn.LSTMCell and friends, are written with registry ops in nn/recurrent.py so that they fuse.)
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from minitorch_jit.codegen import threads
from minitorch_jit.ir.types import TensorType, Type, tensor_type

from . import creation
from .declare import not_implemented, op

# one layer's w_ih, w_hh, b_ih, b_hh
Weights = Tuple[np.ndarray, np.ndarray, Optional[np.ndarray], Optional[np.ndarray]]
Step = Callable[[np.ndarray, List[np.ndarray], Weights], List[np.ndarray]]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.exp(-x) + x.dtype.type(1))


def _rnn_step(act: Callable[[np.ndarray], np.ndarray]) -> Step:
    def step(x: np.ndarray, state: List[np.ndarray], p: Weights) -> List[np.ndarray]:
        return [act(threads.linear(x, p[0], p[2]) + threads.linear(state[0], p[1], p[3]))]
    return step


def _lstm_step(x: np.ndarray, state: List[np.ndarray], p: Weights) -> List[np.ndarray]:
    h, c = state
    i, f, g, o = np.split(threads.linear(x, p[0], p[2]) + threads.linear(h, p[1], p[3]), 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return [_sigmoid(o) * np.tanh(c), c]


def _gru_step(x: np.ndarray, state: List[np.ndarray], p: Weights) -> List[np.ndarray]:
    (h,) = state
    i_r, i_z, i_n = np.split(threads.linear(x, p[0], p[2]), 3, axis=1)
    h_r, h_z, h_n = np.split(threads.linear(h, p[1], p[3]), 3, axis=1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return [(h.dtype.type(1) - z) * n + z * h]


def check(name: str, gates: int, x: np.ndarray, hx: Sequence[np.ndarray], params: Sequence[np.ndarray],
          has_biases: bool, num_layers: int, bidirectional: bool, batch_first: bool) -> None:
    """What the recurrence refuses, with PyTorch's messages (also before the taped run that
    nn.recurrent gives autograd)."""
    if bidirectional:
        raise NotImplementedError(f"{name}: bidirectional recurrences are not supported")
    if x.ndim != 3:
        raise RuntimeError(f"{name}: Expected input to be 3D, got {x.ndim}D instead")
    if x.dtype.kind != "f":
        raise not_implemented(name, x.dtype.name)
    per_layer = 4 if has_biases else 2
    if len(params) != per_layer * num_layers:
        raise RuntimeError(f"{name}: expected {per_layer * num_layers} parameters for {num_layers} layers, got "
                           f"{len(params)}")
    batch, features = (x.shape[0], x.shape[2]) if batch_first else x.shape[1:]
    hidden = params[1].shape[1]
    for s in hx:
        if s.shape != (num_layers, batch, hidden):
            raise RuntimeError(f"Expected hidden size {(num_layers, batch, hidden)}, got {list(s.shape)}")
    for layer in range(num_layers):
        w_ih = params[layer * per_layer]
        expected = (gates * hidden, features if layer == 0 else hidden)
        if w_ih.shape != expected:
            raise RuntimeError(f"{name}: layer {layer}'s input weight has shape {list(w_ih.shape)}, expected "
                               f"{list(expected)}")


def _run(name: str, step: Step, gates: int, x: np.ndarray, hx: Sequence[np.ndarray], params: Sequence[np.ndarray],
         has_biases: bool, num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> Tuple[np.ndarray, List[np.ndarray]]:
    """The output sequence and each state (h, and c for LSTM) stacked over the layers."""
    check(name, gates, x, hx, params, has_biases, num_layers, bidirectional, batch_first)
    per_layer = 4 if has_biases else 2
    seq = x.swapaxes(0, 1) if batch_first else x
    hidden = params[1].shape[1]
    finals: List[List[np.ndarray]] = []
    for layer in range(num_layers):
        w_ih = params[layer * per_layer]
        first = layer * per_layer
        p: Weights = (w_ih, params[first + 1], params[first + 2] if has_biases else None,
                      params[first + 3] if has_biases else None)
        state = [s[layer] for s in hx]
        outputs = []
        for t in range(seq.shape[0]):
            state = step(seq[t], state, p)
            outputs.append(state[0])
        finals.append(state)
        seq = np.stack(outputs) if outputs else np.zeros((0, seq.shape[1], hidden), x.dtype)
        if train and dropout and layer < num_layers - 1:
            keep = creation.generator().random(seq.shape) >= dropout
            seq = seq * keep * seq.dtype.type(1.0 / (1.0 - dropout)) if dropout < 1 else np.zeros_like(seq)
    out = seq.swapaxes(0, 1) if batch_first else seq
    states = [np.stack([f[i] for f in finals]).astype(x.dtype, copy=False) for i in range(len(hx))]
    return np.ascontiguousarray(out, dtype=x.dtype), states


def _rule(n_out: int) -> Any:
    def rule(types: Sequence[Type], consts: Sequence[Any]) -> List[Type]:
        return [TensorType(tensor_type(types[0]).dtype, (None, None, None)) for _ in range(n_out)]
    return rule


_ARGS = ("Tensor[] params, bool has_biases, int num_layers, float dropout, bool train, bool bidirectional, "
         "bool batch_first")


# the results are named (unlike PyTorch's schemas): the tracer rebuilds a result tuple by its type,
# which takes a named tuple only
@op(f"aten::lstm.input(Tensor input, Tensor[] hx, {_ARGS}) -> (Tensor output, Tensor h_n, Tensor c_n)",
    names=("torch.lstm",),
    type_rule=_rule(3), random=True)
def lstm(x: np.ndarray, hx: Sequence[np.ndarray], params: Sequence[np.ndarray], has_biases: bool, num_layers: int,
         dropout: float, train: bool, bidirectional: bool, batch_first: bool) -> tuple:
    """``(output, h_n, c_n)`` of a stacked LSTM from ``hx = [h_0, c_0]``."""
    if len(hx) != 2:
        raise RuntimeError(f"lstm expects two hidden states, got {len(hx)}")
    out, (h, c) = _run("lstm", _lstm_step, 4, x, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                       batch_first)
    return out, h, c


def _single_state(name: str, step: Step, gates: int) -> Callable[..., tuple]:
    def kernel(x: np.ndarray, hx: np.ndarray, params: Sequence[np.ndarray], has_biases: bool, num_layers: int,
               dropout: float, train: bool, bidirectional: bool, batch_first: bool) -> tuple:
        out, (h,) = _run(name, step, gates, x, [hx], params, has_biases, num_layers, dropout, train, bidirectional,
                         batch_first)
        return out, h
    kernel.__doc__ = f"``(output, h_n)`` of a stacked {name} from ``hx = h_0``."
    return kernel


for _name, _step, _gates in (("gru", _gru_step, 3), ("rnn_tanh", _rnn_step(np.tanh), 1),
                             ("rnn_relu", _rnn_step(lambda v: np.maximum(v, v.dtype.type(0))), 1)):
    op(f"aten::{_name}.input(Tensor input, Tensor hx, {_ARGS}) -> (Tensor output, Tensor h_n)",
       names=(f"torch.{_name}",), type_rule=_rule(2), random=True)(_single_state(_name, _step, _gates))

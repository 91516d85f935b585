"""Recurrent layers: the cells RNNCell, LSTMCell and GRUCell (one time step), and RNN, LSTM
and GRU (a sequence, one or more stacked layers, optionally batch-first), with PyTorch's
formulas, parameter names and initialisation (uniform within 1/sqrt(hidden_size)).

A cell's step is written with registry ops (linear, sigmoid, tanh, chunk), so traced or
scripted it is a graph whose pointwise part fuses. RNN, LSTM and GRU call one op for the
whole sequence (``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh``, ``torch.rnn_relu``, as
PyTorch does), so a trace runs for any sequence length and batch size. All of them script:
the sequence ops take ``_flat_weights``, every layer's parameters (``weight_ih_l0``,
``weight_hh_l0``, ...) in order, which a script reads as those parameters of the module.
"""
from __future__ import annotations

import math
from typing import Any, Callable, List, Optional, Tuple

from .. import ops as _ops
from ..ir import registry
from ..ops import dispatch
from ..ops.recurrent import check
from ..tensor import Tensor
from . import functional as F
from .layers import _uniform
from .module import Module

# the registry's torch functions (nn sits below the torch namespace, so it asks ops for them)
_torch_zeros = _ops.function("torch", "zeros")
_rnn_tanh = _ops.function("torch", "rnn_tanh")
_rnn_relu = _ops.function("torch", "rnn_relu")
_lstm = _ops.function("torch", "lstm")
_gru = _ops.function("torch", "gru")


def rnn_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor],
             relu: bool) -> Tensor:
    """``act(x W_ih^T + b_ih + h W_hh^T + b_hh)`` with tanh or relu."""
    pre = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    return F.relu(pre) if relu else F.tanh(pre)


def lstm_step(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
              b_hh: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    """The input, forget, cell and output gates, in PyTorch's order along the weights' rows."""
    gates = F.linear(x, w_ih, b_ih) + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    return F.sigmoid(o) * F.tanh(c), c


def gru_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
             b_hh: Optional[Tensor]) -> Tensor:
    """Reset and update gates; the reset gate scales the hidden part of the new gate."""
    i_r, i_z, i_n = F.linear(x, w_ih, b_ih).chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
    r = F.sigmoid(i_r + h_r)
    z = F.sigmoid(i_z + h_z)
    n = F.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


class _CellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        bound = 1.0 / math.sqrt(hidden_size) if hidden_size else 0.0
        self.weight_ih = _uniform((gates * hidden_size, input_size), bound)
        self.weight_hh = _uniform((gates * hidden_size, hidden_size), bound)
        self.register_parameter("bias_ih", _uniform((gates * hidden_size,), bound) if bias else None)
        self.register_parameter("bias_hh", _uniform((gates * hidden_size,), bound) if bias else None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


def _zeros(x: Tensor, hidden_size: int) -> Tensor:
    return _torch_zeros(x.size(0), hidden_size, dtype=x.dtype)


class RNNCell(_CellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched = x.dim() == 2
        if not batched:
            x = x.unsqueeze(0)
        h = _zeros(x, self.hidden_size) if hx is None else (hx if batched else hx.unsqueeze(0))
        h = rnn_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTMCell(_CellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__(input_size, hidden_size, bias, 4)

    def forward(self, x: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        batched = x.dim() == 2
        if not batched:
            x = x.unsqueeze(0)
        if hx is None:
            h, c = _zeros(x, self.hidden_size), _zeros(x, self.hidden_size)
        else:
            h, c = hx
            if not batched:
                h, c = h.unsqueeze(0), c.unsqueeze(0)
        h, c = lstm_step(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            return h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(_CellBase):
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__(input_size, hidden_size, bias, 3)

    def forward(self, x: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched = x.dim() == 2
        if not batched:
            x = x.unsqueeze(0)
        h = _zeros(x, self.hidden_size) if hx is None else (hx if batched else hx.unsqueeze(0))
        h = gru_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}  # weight rows per hidden unit


class _RNNBase(Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__()
        if bidirectional:
            raise NotImplementedError("bidirectional recurrent layers are not supported")
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, float(dropout), False
        self._layer_name = type(self).__name__
        gates = _GATES[mode]
        bound = 1.0 / math.sqrt(hidden_size) if hidden_size else 0.0
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", _uniform((gates * hidden_size, width), bound))
            self.register_parameter(f"weight_hh_l{layer}", _uniform((gates * hidden_size, hidden_size), bound))
            if bias:
                self.register_parameter(f"bias_ih_l{layer}", _uniform((gates * hidden_size,), bound))
                self.register_parameter(f"bias_hh_l{layer}", _uniform((gates * hidden_size,), bound))

    @property
    def _flat_weights(self) -> List[Tensor]:
        """Every layer's parameters, in the order the sequence ops take them."""
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if self.bias else ("weight_ih", "weight_hh")
        return [self._parameters[f"{n}_l{layer}"] for layer in range(self.num_layers) for n in names]

    def _batched(self, x: Tensor) -> Tensor:
        """(T, N, input_size) or, batch first, (N, T, input_size) input; an unbatched
        (T, input_size) sequence gets a batch of one."""
        if x.dim() == 2:
            return x.unsqueeze(0 if self.batch_first else 1)
        if x.dim() != 3:
            raise ValueError(f"{self._layer_name}: Expected input to be 2D or 3D, got {x.dim()}D input instead")
        return x

    def _unbatched(self, out: Tensor) -> Tensor:
        return out.squeeze(0 if self.batch_first else 1)

    def _initial(self, x: Tensor, hx: Optional[Tensor], batched: bool) -> Tensor:
        if hx is None:
            return _torch_zeros(self.num_layers, x.size(0 if self.batch_first else 1), self.hidden_size, dtype=x.dtype)
        return hx if batched else hx.unsqueeze(1)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s


class RNN(_RNNBase):
    """An Elman RNN: ``forward(input, h_0=None) -> (output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        batched = x.dim() == 3
        x = self._batched(x)
        h0 = self._initial(x, hx, batched)
        if self.nonlinearity == "tanh":
            out, h = _rnn_tanh(x, h0, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                               False, self.batch_first)
        else:
            out, h = _rnn_relu(x, h0, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                               False, self.batch_first)
        if not batched:
            return self._unbatched(out), h.squeeze(1)
        return out, h


class LSTM(_RNNBase):
    """``forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def forward(self, x: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        batched = x.dim() == 3
        x = self._batched(x)
        h0 = self._initial(x, None if hx is None else hx[0], batched)
        c0 = self._initial(x, None if hx is None else hx[1], batched)
        out, h, c = _lstm(x, [h0, c0], self._flat_weights, self.bias, self.num_layers, self.dropout,
                               self.training, False, self.batch_first)
        if not batched:
            return self._unbatched(out), (h.squeeze(1), c.squeeze(1))
        return out, (h, c)


class GRU(_RNNBase):
    """``forward(input, h_0=None) -> (output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)

    def forward(self, x: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        batched = x.dim() == 3
        x = self._batched(x)
        out, h = _gru(x, self._initial(x, hx, batched), self._flat_weights, self.bias, self.num_layers, self.dropout,
                      self.training, False, self.batch_first)
        if not batched:
            return self._unbatched(out), h.squeeze(1)
        return out, h


# -- the sequence ops on autograd's tape -------------------------------------------------------
# The sequence kernels run in numpy, out of autograd's sight. When their call will be recorded
# (grad mode, an input requiring grad), they run instead as the cells' steps above, each a
# registry op the tape records: their gradients are those of the steps' own formulas.

_torch_stack = _ops.function("torch", "stack")


def _taped(name: str, gates: int, step: Callable[..., List[Tensor]]) -> Callable[[List[Any]], Any]:
    op = registry.get(f"aten::{name}.input")

    def run(bound: List[Any]) -> Any:
        x, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = bound
        states = list(hx) if isinstance(hx, (list, tuple)) else [hx]
        check(name, gates, x._a, [s._a for s in states], [p._a for p in params], has_biases, num_layers,
              bidirectional, batch_first)
        per_layer = 4 if has_biases else 2
        seq = x.transpose(0, 1) if batch_first else x
        finals = []
        for layer in range(num_layers):
            w = list(params[layer * per_layer:(layer + 1) * per_layer]) + [None, None]
            state = [s[layer] for s in states]
            outputs = []
            for t in range(seq.size(0)):
                state = step(seq[t], state, *w[:4])
                outputs.append(state[0])
            finals.append(state)
            seq = _torch_stack(outputs) if outputs else _torch_zeros(0, seq.size(1), params[1].size(1), dtype=x.dtype)
            if train and dropout and layer < num_layers - 1:
                seq = F.dropout(seq, dropout, True)
        out = (seq.transpose(0, 1) if batch_first else seq).contiguous()
        return dispatch.result_tuple(op)([out] + [_torch_stack([f[i] for f in finals]) for i in range(len(states))])
    return run


registry.get("aten::lstm.input").when_recorded = _taped(
    "lstm", 4, lambda x, s, w_ih, w_hh, b_ih, b_hh: list(lstm_step(x, s[0], s[1], w_ih, w_hh, b_ih, b_hh)))
registry.get("aten::gru.input").when_recorded = _taped(
    "gru", 3, lambda x, s, w_ih, w_hh, b_ih, b_hh: [gru_step(x, s[0], w_ih, w_hh, b_ih, b_hh)])
for _name, _relu in (("rnn_tanh", False), ("rnn_relu", True)):
    registry.get(f"aten::{_name}.input").when_recorded = _taped(
        _name, 1, lambda x, s, w_ih, w_hh, b_ih, b_hh, relu=_relu: [rnn_step(x, s[0], w_ih, w_hh, b_ih, b_hh, relu)])

"""The seeds' LSTM cell: two matrix products, ``chunk``, and nine pointwise ops.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
from typing import Tuple

import minitorch_jit as torch
from minitorch_jit.nn import functional as F


def lstm_cell(input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    gates = F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)
    ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
    return lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx)


def lstm_cell_hidden(input, hidden: Tuple[torch.Tensor, torch.Tensor], w_ih, w_hh, b_ih, b_hh):
    """The same cell as the seeds also write it: the state as one ``(hx, cx)`` tuple."""
    hx, cx = hidden
    gates = F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)
    ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
    return lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx)


def lstm_pointwise(ingate, forgetgate, cellgate, outgate, cx):
    ingate = torch.sigmoid(ingate)
    forgetgate = torch.sigmoid(forgetgate)
    cellgate = torch.tanh(cellgate)
    outgate = torch.sigmoid(outgate)
    cy = (forgetgate * cx) + (ingate * cellgate)
    hy = outgate * torch.tanh(cy)
    return hy, cy


def lstm_inputs(batch: int, input_size: int, hidden: int):
    """input, hx, cx and the weights and biases of a cell (PyTorch's argument order)."""
    return (torch.randn(batch, input_size), torch.randn(batch, hidden), torch.randn(batch, hidden),
            torch.randn(4 * hidden, input_size) * 0.05, torch.randn(4 * hidden, hidden) * 0.05,
            torch.randn(4 * hidden), torch.randn(4 * hidden))

"""Pointwise chains: the seeds' ``x = x * x`` five times, and GELU in its tanh form.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
import math

import minitorch_jit as torch


def square5(x):
    for i in range(5):
        x = x * x
    return x


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))

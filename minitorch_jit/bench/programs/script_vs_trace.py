"""The seeds' ``my_function``: a branch on a tensor's value, which tracing freezes.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""
import minitorch_jit as torch


def my_function(x):
    if x.mean() > 1.0:
        r = torch.tensor(1.0)
    else:
        r = torch.tensor(2.0)
    return r

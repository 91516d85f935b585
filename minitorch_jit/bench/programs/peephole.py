"""The seeds' ``dumb_function``: ``x.t().t()``, which the peephole pass removes.

Written once, here: the examples, the tests and ``python -m minitorch_jit bench`` import them.
Each reads ``torch``/``nn``/``F`` from this module's globals, so the bench can run the same code
under another library (see :mod:`..rebind`)."""


def dumb_function(x):
    return x.t().t()

"""The seed programs as small runnable scripts: ``python examples/NAME.py``.

Their functions are also the workloads of ``python -m minitorch_jit bench`` and programs of
the tests, which import them from here, so each is written once. Importing a script runs
nothing; ``MINITORCH_JIT_SMALL=1`` runs them at small sizes (the test suite does).
"""

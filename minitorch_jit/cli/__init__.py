"""The command line (``python -m minitorch_jit``, installed as ``minitorch-jit``):
:mod:`.main` parses it and runs ``bench`` (:mod:`minitorch_jit.bench.command`), ``show``
(:mod:`.show`) or ``ops`` (:mod:`.op_list`)."""

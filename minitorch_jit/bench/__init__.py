"""``python -m minitorch_jit bench``: the reference workloads on minitorch_jit (eager, traced,
scripted) and on the peers that are installed, checked against eager mode, then timed.

- :mod:`.workloads`: the programs (from :mod:`.programs`), their sizes and inputs;
- :mod:`.rebind`, :mod:`.elementwise`: the same Python run by PyTorch, numexpr and numba;
- :mod:`.systems`: what each system does to prepare and run a workload;
- :mod:`.harness`: checking and timing; :mod:`.report`: tables, JSON and the chart;
- :mod:`.command`: the command line.
"""

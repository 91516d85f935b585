"""Tracing records one path through the code; scripting compiles the code, control flow
included. The seeds' ``my_function``, traced and scripted:

    python examples/script_vs_trace.py
"""
import warnings

import minitorch_jit as torch
from minitorch_jit.bench.programs.script_vs_trace import my_function


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.TracerWarning)  # it warns that the branch is frozen: that is the point
        traced = torch.jit.trace(my_function, (torch.ones(2, 2),))
    scripted = torch.jit.script(my_function)

    print("traced graph (the branch taken for torch.ones(2, 2) is frozen in):")
    print(traced.graph)
    print("scripted graph (both branches, chosen at run time):")
    print(scripted.graph)

    for name, x in (("torch.ones(2, 2)", torch.ones(2, 2)), ("torch.ones(2, 2).add_(1.0)", torch.ones(2, 2).add_(1.0))):
        print(f"{name:28} python: {my_function(x)}   traced: {traced(x)}   scripted: {scripted(x)}")


if __name__ == "__main__":
    main()

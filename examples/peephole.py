"""A peephole optimization: ``x.t().t()`` is ``x``. The trace records both transposes; the
graph that runs for 2-d inputs has none (the seeds' ``dumb_function``).

    python examples/peephole.py
"""
import minitorch_jit as torch
from minitorch_jit.bench.programs.peephole import dumb_function


def main() -> None:
    traced = torch.jit.trace(dumb_function, torch.ones(2, 2))
    print("recorded:")
    print(traced.graph)
    print("runs, for a 2-d input:")
    print(traced.graph_for(torch.ones(2, 2)))


if __name__ == "__main__":
    main()

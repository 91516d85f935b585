"""Graph-to-graph passes, one per module, and the pipeline that orders them
(``passes.run_pipeline(graph)``, ``passes.optimize(graph)`` without the lowerings,
``passes.pass_names()``)."""
from .pipeline import optimize, pass_names, run_pipeline

__all__ = ["optimize", "pass_names", "run_pipeline"]

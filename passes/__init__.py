"""Graph-to-graph passes, one per module, and the pipeline that orders them
(``passes.run_pipeline(graph)``, ``passes.pass_names()``)."""
from .pipeline import pass_names, run_pipeline

__all__ = ["pass_names", "run_pipeline"]

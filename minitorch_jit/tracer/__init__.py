"""The tracer frontend: :func:`.api.trace` runs a function or module on example inputs while
a :class:`.recorder.Tracer` records each op call into a graph."""

from . import python_functions  # noqa: F401,E402 - makes autograd.Function applications trace as one node

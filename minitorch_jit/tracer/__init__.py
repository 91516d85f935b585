"""The tracer frontend: :func:`.api.trace` runs a function or module on example inputs while
a :class:`.recorder.Tracer` records each op call into a graph."""

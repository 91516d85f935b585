"""The seed programs, written once: the bench's workloads, imported by ``examples/`` and the tests."""

"""Native export: a saved model as a shared library with a C ABI (``python -m minitorch_jit
export``). See :func:`export_library`."""
from .api import export_library
from .prepare import ExportError

"""``minitorch_jit.jit``: tracing, scripting, and the compiled objects they make."""
from .archive import LoadError
from .function import ScriptFunction, ScriptModule
from .serialization import load, save
from .trace import trace
from .tracer import TracerWarning, TracingCheckError

__all__ = ["ScriptFunction", "ScriptModule", "trace", "TracerWarning", "TracingCheckError", "save", "load",
           "LoadError"]

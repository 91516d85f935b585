"""``minitorch_jit.jit``: tracing, scripting, and the compiled objects they make."""
from .function import ScriptFunction, ScriptModule
from .trace import trace
from .tracer import TracerWarning, TracingCheckError

__all__ = ["ScriptFunction", "ScriptModule", "trace", "TracerWarning", "TracingCheckError"]

"""``minitorch_jit.jit``: tracing, scripting, and the compiled objects they make."""
from .archive import LoadError
from .function import ScriptFunction, ScriptModule
from .serialization import load, save
from .trace import trace
from .tracer import TracerWarning, TracingCheckError
from ..scripter import ScriptError, annotate, is_scripting, script, script_method

__all__ = ["ScriptFunction", "ScriptModule", "trace", "script", "script_method", "annotate", "is_scripting",
           "ScriptError", "TracerWarning", "TracingCheckError", "save", "load", "LoadError"]

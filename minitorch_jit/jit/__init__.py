"""``minitorch_jit.jit``: tracing, scripting, and the compiled objects they make."""
from .archive import LoadError
from .function import ScriptFunction, ScriptModule
from .serialization import load, save
from .trace import trace
from .tracer import TracerWarning, TracingCheckError, is_tracing
from ..scripter import ScriptError, annotate, is_scripting, script, script_method
from ..scripter.constants import Final
from ..scripter.modifiers import export, unused

__all__ = ["ScriptFunction", "ScriptModule", "trace", "script", "script_method", "annotate", "is_scripting",
           "is_tracing", "export", "unused", "Final", "ScriptError", "TracerWarning", "TracingCheckError", "save",
           "load", "LoadError"]

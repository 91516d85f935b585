"""``minitorch_jit.jit`` (``torch.jit``): the public names of the JIT, gathered from its rooms:
the frontends (:mod:`.tracer`, :mod:`.scripter`), the runtime's compiled objects
(:mod:`.runtime`) and :mod:`.serialization`."""
from .runtime.compiled import ScriptFunction, ScriptModule
from .runtime.switches import fuser, optimized_execution
from .scripter import ScriptError, annotate, is_scripting, script, script_method
from .scripter.constants import Final
from .scripter.modifiers import export, unused
from .serialization import LoadError, load, save
from .tracer.api import trace
from .tracer.recorder import TracerWarning, TracingCheckError, is_tracing

__all__ = ["ScriptFunction", "ScriptModule", "trace", "script", "script_method", "annotate", "is_scripting",
           "is_tracing", "export", "unused", "Final", "ScriptError", "TracerWarning", "TracingCheckError", "save",
           "load", "LoadError", "optimized_execution", "fuser"]

"""``minitorch_jit.jit`` (``torch.jit``): the public names of the JIT, gathered from its rooms:
the frontends (:mod:`.tracer`, :mod:`.scripter`), the runtime's compiled objects
(:mod:`.runtime`) and :mod:`.serialization`."""
from .ops.prims import Error
from .runtime.broadcasting_list import BroadcastingList1, BroadcastingList2, BroadcastingList3
from .runtime.compiled import ScriptFunction, ScriptModule
from .runtime.switches import fuser, optimized_execution
from .scripter import CompilationUnit, ScriptError, annotate, is_scripting, script, script_method
from .scripter.attributes import Attribute
from .scripter.classes import interface
from .scripter.constants import Final
from .scripter.jit_functions import _unwrap_optional, isinstance
from .scripter.modifiers import export, ignore, unused
from .scripter.overloads import _overload, _overload_method
from .serialization import LoadError, load, save
from .tracer.api import trace, trace_module
from .tracer.recorder import TracerWarning, TracingCheckError, is_tracing

__all__ = ["CompilationUnit", "ignore", "_overload", "_overload_method",
           "ScriptFunction", "ScriptModule", "trace", "trace_module", "script", "script_method", "annotate",
           "is_scripting", "Attribute", "isinstance", "is_tracing", "export", "unused", "interface", "Final",
           "ScriptError", "TracerWarning", "TracingCheckError", "save", "load", "LoadError", "_unwrap_optional",
           "optimized_execution", "fuser", "Error",
           "BroadcastingList1", "BroadcastingList2", "BroadcastingList3"]

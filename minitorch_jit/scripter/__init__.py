"""The scripter: ``script`` compiles a typed subset of Python from its AST into the graph IR.

- :mod:`.source`: a function's AST, positions in its file, the Python names it can see;
- :mod:`.types`: type annotations; :mod:`.errors`: ScriptError with file, line and caret;
- :mod:`.environment` (scoping) and :mod:`.ssa` (joining values where control flow meets);
- :mod:`.expressions` and :mod:`.statements`: ``build_<ASTClass>`` for each construct of the
  language, with :mod:`.calls` (overload resolution against the op registry),
  :mod:`.subscripts` and :mod:`.sugar` (namespaces, builtins, modules, iterables);
- :mod:`.api`: ``script``, ``script_method`` and the compile caches; :mod:`.jit_functions`:
  ``annotate`` and ``is_scripting``, which mean something else inside a script;
- :mod:`.compilation_unit`: TorchScript source given as text (``CompilationUnit``,
  ``ScriptModule.define``); :mod:`.python_calls`: calls back into Python
  (``@torch.jit.ignore``).
"""
from .api import script, script_method
from .compilation_unit import CompilationUnit
from .errors import ScriptError, SourceRange, UnsupportedNodeError
from .jit_functions import annotate, is_scripting

__all__ = ["CompilationUnit",
           "script", "script_method", "annotate", "is_scripting", "ScriptError", "SourceRange", "UnsupportedNodeError"]

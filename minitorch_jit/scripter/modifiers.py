"""``@torch.jit.export``, ``@torch.jit.unused`` and ``@torch.jit.ignore``: marks on functions
that change what scripting compiles (read by :mod:`.api`, :mod:`.statements` and
:mod:`.sugar`)."""
from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

EXPORT, UNUSED, IGNORE = "export", "unused", "ignore"
_MODIFIER = "_torchscript_modifier"  # the attribute PyTorch's decorators set too


def export(fn: F) -> F:
    """Mark a module's method to be compiled when the module is scripted, though ``forward``
    does not call it; the ScriptModule has it as a compiled method."""
    setattr(fn, _MODIFIER, EXPORT)
    return fn


def unused(fn: F) -> F:
    """Leave a function or method out of scripting: its body is not compiled, and in a script
    it raises (as in TorchScript); Python calls it as before. On a property, its getter and
    setter are left out."""
    if isinstance(fn, property):
        for accessor in (fn.fget, fn.fset):
            if accessor is not None:
                setattr(accessor, _MODIFIER, UNUSED)
        return fn  # type: ignore[return-value]
    setattr(fn, _MODIFIER, UNUSED)
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Leave a function or method out of scripting: a script calls it back in Python, with its
    arguments typed by its annotations (Tensor where there is none). Such a call cannot be
    saved: saving raises, as in TorchScript. ``@ignore(drop=True)`` is ``@unused``.

    ``@ignore`` and ``@ignore(drop=...)`` both work."""
    if callable(drop):  # @ignore without arguments
        setattr(drop, _MODIFIER, IGNORE)
        return drop
    if kwargs:
        raise TypeError(f"ignore() got unexpected keyword arguments {sorted(kwargs)}")

    def decorate(fn: F) -> F:
        setattr(fn, _MODIFIER, UNUSED if drop else IGNORE)
        return fn
    return decorate


def modifier(fn: Any) -> Optional[str]:
    """``EXPORT``, ``UNUSED``, ``IGNORE`` or None: how a decorator of this module marked ``fn``."""
    return getattr(getattr(fn, "fn", fn), _MODIFIER, None)  # a @script_method stub holds the function


__all__ = ["export", "unused", "ignore", "modifier", "EXPORT", "UNUSED", "IGNORE"]

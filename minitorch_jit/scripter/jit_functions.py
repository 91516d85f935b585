"""``torch.jit`` functions that are plain Python when run eagerly and mean something else in a
script (the scripter's :mod:`.sugar` tells them by identity)."""
from __future__ import annotations

from typing import Any


def annotate(the_type: Any, value: Any) -> Any:
    """``torch.jit.annotate(List[int], [])``: the value; in a script function, typed ``the_type``."""
    return value


def is_scripting() -> bool:
    """False in Python; in a script function, True (so code can tell where it runs)."""
    return False


__all__ = ["annotate", "is_scripting"]

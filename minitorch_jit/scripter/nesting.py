"""Room on Python's stack for the scripter's recursive walk of deeply nested code.

The scripter builds an expression recursively, a few Python frames per level of nesting (3
for an operator, 7 for a call), so ``x + x + ... + x`` with 600 terms went past Python's
default limit of 1000 frames although Python itself compiles expressions nested about 3000
levels deep. So while a function is built, the recursion limit is raised by what its deepest
nesting needs. Since Python 3.11 a call from one Python function to another takes no C stack,
so the raised limit costs only the frames' memory. Should the walk still run out, the error
points at the deepest expression.
"""
from __future__ import annotations

import ast
import contextlib
import sys
import threading
from typing import Iterator, Tuple

from .errors import ScriptError
from .source import FunctionSource

FRAMES_PER_LEVEL = 10

_lock = threading.Lock()  # the limit is per process: raise and lower it by amounts, atomically


def deepest(tree: ast.AST) -> Tuple[int, ast.AST]:
    """How many levels the deepest node with a source position is below ``tree``, and that
    node (found without recursion)."""
    best: Tuple[int, ast.AST] = (0, tree)
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > best[0] and hasattr(node, "lineno"):
            best = (depth, node)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return best


@contextlib.contextmanager
def stack_room(source: FunctionSource) -> Iterator[None]:
    """Raise the recursion limit for building ``source``'s function by what its nesting needs;
    a RecursionError all the same is a ScriptError at its deepest expression."""
    depth, node = deepest(source.tree)
    frames = FRAMES_PER_LEVEL * depth
    with _lock:
        sys.setrecursionlimit(sys.getrecursionlimit() + frames)
    try:
        yield
    except RecursionError:
        raise ScriptError(f"this code is nested too deeply to compile ({depth} levels)", source.range(node),
                          fix="split the expression into several statements") from None
    finally:
        with _lock:
            sys.setrecursionlimit(sys.getrecursionlimit() - frames)

"""Forward hooks: what ``Module.__call__`` runs around ``forward`` (PyTorch's
``register_forward_pre_hook`` / ``register_forward_hook``), and the handle that removes one.

A pre-hook is called as ``hook(module, args)`` (``hook(module, args, kwargs)`` with
``with_kwargs=True``) before ``forward``; what it returns replaces the positional arguments
(a value that is not a tuple becomes a 1-tuple), None keeps them. A forward hook is called as
``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) after it; what it
returns, unless None, replaces the output. Hooks run in registration order (``prepend=True``
puts one first); ``forward`` called directly runs none of them.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

_ids = itertools.count()


class RemovableHandle:
    """Returned by ``register_forward_pre_hook`` / ``register_forward_hook``: ``remove()``
    unregisters the hook (also on leaving a ``with`` block)."""

    def __init__(self, *tables: Dict[int, Any]):
        self.id = next(_ids)
        self._tables = tables

    def remove(self) -> None:
        for table in self._tables:
            table.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class HookTables:
    """One module's hooks, in the order they run."""

    def __init__(self) -> None:
        self.pre: "OrderedDict[int, Callable[..., Any]]" = OrderedDict()
        self.post: "OrderedDict[int, Callable[..., Any]]" = OrderedDict()
        self.pre_with_kwargs: Dict[int, bool] = {}
        self.post_with_kwargs: Dict[int, bool] = {}
        self.always_called: Dict[int, bool] = {}
        self.backward: "OrderedDict[int, Callable[..., Any]]" = OrderedDict()  # see nn/backward_hooks.py

    def __bool__(self) -> bool:
        return bool(self.pre or self.post or self.backward)

    def add_backward(self, hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(self.backward)
        _insert(self.backward, handle.id, hook, prepend)
        return handle

    def add_pre(self, hook: Callable[..., Any], prepend: bool, with_kwargs: bool) -> RemovableHandle:
        handle = RemovableHandle(self.pre, self.pre_with_kwargs)
        _insert(self.pre, handle.id, hook, prepend)
        if with_kwargs:
            self.pre_with_kwargs[handle.id] = True
        return handle

    def add_post(self, hook: Callable[..., Any], prepend: bool, with_kwargs: bool,
                 always_call: bool) -> RemovableHandle:
        handle = RemovableHandle(self.post, self.post_with_kwargs, self.always_called)
        _insert(self.post, handle.id, hook, prepend)
        if with_kwargs:
            self.post_with_kwargs[handle.id] = True
        if always_call:
            self.always_called[handle.id] = True
        return handle

    def call(self, module: Any, forward: Callable[..., Any], args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """``forward(*args, **kwargs)`` with the hooks around it."""
        for hid, hook in list(self.pre.items()):
            if hid in self.pre_with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result}.")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        called = set()
        try:
            if self.backward:
                from .backward_hooks import with_backward_hooks
                output = with_backward_hooks(module, self.backward, forward, args, kwargs)
            else:
                output = forward(*args, **kwargs)
            for hid, hook in list(self.post.items()):
                called.add(hid)
                result = hook(module, args, kwargs, output) if hid in self.post_with_kwargs \
                    else hook(module, args, output)
                if result is not None:
                    output = result
        except BaseException:
            # hooks registered with always_call=True run even when forward raised
            for hid, hook in list(self.post.items()):
                if hid in self.always_called and hid not in called:
                    try:
                        if hid in self.post_with_kwargs:
                            hook(module, args, kwargs, None)
                        else:
                            hook(module, args, None)
                    except Exception:  # noqa: S110 - the original error is the one to report
                        pass
            raise
        return output


def _insert(table: "OrderedDict[int, Any]", key: int, value: Any, first: bool) -> None:
    table[key] = value
    if first:
        table.move_to_end(key, last=False)


def hook_tables(module: Any) -> Optional[HookTables]:
    """The module's hook tables, None for a module that never had a hook registered."""
    return module.__dict__.get("_hooks")

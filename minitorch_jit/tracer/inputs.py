"""The example inputs of a trace: tensors and (possibly nested) tuples, lists and dicts of
tensors, as ``torch.jit.trace`` takes them.

Tuples and lists are graph inputs of their own type, unpacked by the graph's first nodes, as
TorchScript's traces take them: the executor specializes them by their tensors' kinds, and a
list is held to the length it was traced with. A dict is passed to the graph as the tuple of
its values under the keys the trace saw, in that order: each call looks those keys up in the
dict it is given (a missing key is an error; extra keys and their order do not matter), which
is what a trace of code reading ``d['x']`` can rely on.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

from minitorch_jit.ir import ListType, TensorType, TupleType, Type

from ..tensor import Tensor


def type_name(x: Any) -> str:
    """The TorchScript name of a Python value's type, as trace errors print it: ``Tensor``,
    ``Tuple[int]``, ``List[Tensor]``, ``Dict[str, Tensor]``."""
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, tuple):
        return f"Tuple[{', '.join(type_name(e) for e in x)}]"
    if isinstance(x, list):
        return f"List[{type_name(x[0]) if x else 'Tensor'}]"
    if isinstance(x, dict):
        k, v = next(iter(x.items())) if x else ("", None)
        return f"Dict[{type(k).__name__}, {type_name(v) if x else 'Tensor'}]"
    return type(x).__name__


def _traceable(x: Any) -> bool:
    if isinstance(x, Tensor):
        return True
    if isinstance(x, (tuple, list)):
        return all(_traceable(e) for e in x)
    if isinstance(x, dict):
        return all(_traceable(e) for e in x.values())
    return False


def check_inputs_traceable(inputs: Sequence[Any]) -> None:
    """Raise the RuntimeError TorchScript raises for example inputs it cannot trace."""
    if not _traceable(list(inputs)):
        raise RuntimeError(f"Type '{type_name(tuple(inputs))}' cannot be traced. Only Tensors and (possibly "
                           "nested) Lists, Dicts, and Tuples of Tensors can be traced")
    for x in inputs:
        problem = _structure_problem(x)
        if problem is not None:
            raise RuntimeError(f"Tracer cannot infer type of {tuple(inputs)!r}\n:{problem}")


def _structure_problem(x: Any) -> Optional[str]:
    if isinstance(x, list):
        if not x:
            return "List trace inputs must have elements"
        names = list(dict.fromkeys(type_name(e) for e in x))
        if len(names) > 1:
            return f"List inputs to traced functions must have consistent element type. Found {' and '.join(names)}"
        items: Sequence[Any] = x
    elif isinstance(x, dict):
        if not x:
            return "Dictionary inputs must have entries"
        names = list(dict.fromkeys(type_name(e) for e in x.values()))
        if len(names) > 1:
            return f"Dictionary inputs to traced functions must have consistent value type. Found {' and '.join(names)}"
        items = list(x.values())
    elif isinstance(x, tuple):
        items = x
    else:
        return None
    return next((p for p in map(_structure_problem, items) if p is not None), None)


def graph_type(x: Any) -> Type:
    """The graph input type of an example input: dtype and rank of its tensors (a list's
    elements unified), a dict as the tuple of its values."""
    if isinstance(x, Tensor):
        return TensorType(x.dtype.name, (None,) * x._a.ndim)
    if isinstance(x, tuple):
        return TupleType([graph_type(e) for e in x])
    if isinstance(x, dict):
        return TupleType([graph_type(e) for e in x.values()])
    elems = [graph_type(e) for e in x]
    return ListType(elems[0] if all(e == elems[0] for e in elems) else _forget(elems[0]))


def _forget(t: Type) -> Type:
    if isinstance(t, TensorType):
        return TensorType()
    if isinstance(t, TupleType):
        return TupleType([_forget(e) for e in t.elems])
    if isinstance(t, ListType):
        return ListType(_forget(t.elem))
    return t


def children(x: Any) -> List[Any]:
    """The parts of a structured example input, in the order the graph unpacks them."""
    return list(x.values()) if isinstance(x, dict) else list(x)


def _has_dict(x: Any) -> bool:
    if isinstance(x, dict):
        return True
    return isinstance(x, (tuple, list)) and any(_has_dict(e) for e in x)


def adapter(x: Any) -> Optional[Callable[[Any], Any]]:
    """For an example input holding dicts, what turns a call's argument of its shape into the
    graph's value (each dict the tuple of its values under the traced keys); None otherwise."""
    if not _has_dict(x):
        return None
    if isinstance(x, dict):
        parts = [(k, adapter(v)) for k, v in x.items()]

        def from_dict(value: Any) -> Any:
            if not isinstance(value, dict):
                raise RuntimeError(f"expected a dict with keys {[k for k, _ in parts]} (as the trace was made "
                                   f"with), but got {type_name(value)}")
            out = []
            for k, f in parts:
                if k not in value:
                    raise RuntimeError(f"KeyError: {k!r}: the trace was made with a dict holding the key {k!r}, "
                                       f"which this one does not have")
                out.append(value[k] if f is None else f(value[k]))
            return tuple(out)
        return from_dict
    inner = [adapter(e) for e in x]
    kind = type(x)

    def from_sequence(value: Any) -> Any:
        if not isinstance(value, (tuple, list)) or len(value) != len(inner):
            return value  # the graph's input type check says what is wrong with it
        return kind(v if f is None else f(v) for v, f in zip(value, inner))
    return from_sequence


def clone(x: Any) -> Any:
    """A copy of an example input whose tensors are clones (a check run must not see what an
    earlier run wrote into its inputs)."""
    if isinstance(x, Tensor):
        return Tensor._wrap(x._a.copy())
    if isinstance(x, dict):
        return {k: clone(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*[clone(e) for e in x])
    if isinstance(x, (tuple, list)):
        return type(x)(clone(e) for e in x)
    return x

"""The containers: Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict.

Each holds its items in the module's own tables under their index ("0", "1", ...) or key, so
parameters, state dicts and scripting see them as submodules and parameters. A container's
``_container_kind`` says how a script may use it: ``"list"`` (Sequential, ModuleList: indexed
by int literals, iterated, ``len``), ``"dict"`` (ModuleDict: indexed by string literals,
``keys``/``values``/``items``, ``in``), ``"parameter_list"`` and ``"parameter_dict"``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from ..tensor import Parameter, Tensor
from .module import Module

ModuleOrNone = Optional[Module]


def _index(i: Any, n: int) -> int:
    """A list index as PyTorch's containers check it."""
    if not isinstance(i, int) or isinstance(i, bool):
        raise TypeError(f"indices must be integers or slices, not {type(i).__name__}")
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range")
    return i % n


def _grouped_repr(module: Module) -> str:
    """``ModuleList``'s repr: runs of modules with the same repr print once, as
    ``(0-2): 3 x ReLU()``."""
    items = list(module._modules.items())
    if not items:
        return f"{module._get_name()}()"
    lines = []
    start = 0
    reprs = [repr(m) for _, m in items]
    for i in range(1, len(items) + 1):
        if i < len(items) and reprs[i] == reprs[start]:
            continue
        body = reprs[start].replace("\n", "\n  ")
        if i - start > 1:
            lines.append(f"({items[start][0]}-{items[i - 1][0]}): {i - start} x {body}")
        else:
            lines.append(f"({items[start][0]}): {body}")
        start = i
    return f"{module._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules called in order, each on the output of the one before."""

    _container_kind = "list"

    def __init__(self, *args: Any):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, x):
        # unannotated: each stage may return what the next takes, not only tensors (as PyTorch's)
        for m in self:
            x = m(x)
        return x

    def __getitem__(self, i: Union[int, slice]) -> Any:
        if isinstance(i, slice):
            return type(self)(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[_index(i, len(self._modules))]

    def __setitem__(self, i: int, module: Module) -> None:
        key = list(self._modules)[_index(i, len(self._modules))]
        self.add_module(key, module)

    def __delitem__(self, i: Union[int, slice]) -> None:
        keys = list(self._modules)
        for key in (keys[i] if isinstance(i, slice) else [keys[_index(i, len(keys))]]):
            del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, m: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, modules: Iterable[Module]) -> "Sequential":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        mods = list(self._modules.values())
        n = len(mods)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        mods.insert(index % (n + 1) if index < 0 else index, module)
        self._modules.clear()
        for k, m in enumerate(mods):
            self.add_module(str(k), m)
        return self

    def pop(self, i: int) -> Module:
        m = self[i]
        del self[i]
        return m


class ModuleList(Module):
    """A list of modules (their indices are their names)."""

    _container_kind = "list"

    def __init__(self, modules: Optional[Iterable[Module]] = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, m: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        if isinstance(modules, (Module, str, Tensor)) or not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got {type(modules).__name__}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for k, m in enumerate(mods):
            self.add_module(str(k), m)

    def pop(self, i: int) -> Module:
        m = self[i]
        del self[i]
        return m

    def __getitem__(self, i: Union[int, slice]) -> Any:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return type(self)(mods[i]) if type(self) is ModuleList else ModuleList(mods[i])
        return mods[_index(i, len(mods))]

    def __setitem__(self, i: int, module: Module) -> None:
        self.add_module(str(_index(i, len(self._modules))), module)

    def __delitem__(self, i: Union[int, slice]) -> None:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            del mods[i]
        else:
            del mods[_index(i, len(mods))]
        self._modules.clear()
        for k, m in enumerate(mods):
            self.add_module(str(k), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def __repr__(self) -> str:
        return _grouped_repr(self)


def _pairs(items: Any, what: str) -> List[Tuple[str, Any]]:
    """The (key, value) pairs of a mapping or an iterable of pairs, in order."""
    if isinstance(items, Mapping):
        return list(items.items())
    pairs = []
    for j, item in enumerate(items):
        if not isinstance(item, (tuple, list)):
            raise TypeError(f"{what} update sequence element #{j} should be Iterable; is {type(item).__name__}")
        if len(item) != 2:
            raise ValueError(f"{what} update sequence element #{j} has length {len(item)}; 2 is required")
        pairs.append((item[0], item[1]))
    return pairs


class ModuleDict(Module):
    """An ordered dict of modules (their keys are their names)."""

    _container_kind = "dict"

    def __init__(self, modules: Optional[Any] = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Any:
        return self._modules[key]

    def __setitem__(self, key: str, module: ModuleOrNone) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Any:
        v = self[key]
        del self[key]
        return v

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[Tuple[str, Any]]:
        return self._modules.items()

    def values(self) -> Iterable[Any]:
        return self._modules.values()

    def update(self, modules: Any) -> None:
        if not hasattr(modules, "__iter__") or isinstance(modules, (str, Module)):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(modules).__name__}")
        for key, m in _pairs(modules, "ModuleDict"):
            self[key] = m


def _as_parameter(value: Any) -> Any:
    """What a parameter container stores: tensors as Parameters (sharing their data)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _parameter_repr(p: Any, style: str) -> str:
    if not isinstance(p, Tensor):
        return f"Object of type: {type(p).__name__}"
    size = "x".join(str(s) for s in p.shape)
    if style == "dtype":
        return f"Parameter containing: [torch.{p.dtype.name} of size {size}]"
    from .module import _typename
    return f"Parameter containing: [{_typename(p)} of size {size}]"


class ParameterList(Module):
    """A list of parameters (tensors added become Parameters), registered under their
    indices."""

    _container_kind = "parameter_list"

    def __init__(self, values: Optional[Iterable[Any]] = None):
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self.extend(values)

    def _key(self, i: int) -> str:
        return str(_index(i, self._size))

    def __getitem__(self, i: Union[int, slice]) -> Any:
        if isinstance(i, slice):
            return ParameterList([self[k] for k in range(self._size)[i]])
        key = self._key(i)
        return self._parameters[key] if key in self._parameters else getattr(self, key)

    def __setitem__(self, i: int, value: Any) -> None:
        key = self._key(i)
        value = _as_parameter(value)
        if isinstance(value, Parameter):
            self.register_parameter(key, value)
        else:
            self._parameters.pop(key, None)
            object.__setattr__(self, key, value)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[k] for k in range(self._size))

    def __iadd__(self, values: Iterable[Any]) -> "ParameterList":
        return self.extend(values)

    def append(self, value: Any) -> "ParameterList":
        object.__setattr__(self, "_size", self._size + 1)
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> "ParameterList":
        if isinstance(values, Tensor) or not hasattr(values, "__iter__"):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            f"{type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_parameter_repr(p, 'dtype')}" for k, p in enumerate(self))

    def __repr__(self) -> str:
        return _parameter_container_repr(self)


class ParameterDict(Module):
    """An ordered dict of parameters (tensors added become Parameters), registered under
    their keys."""

    _container_kind = "parameter_dict"

    def __init__(self, parameters: Optional[Any] = None):
        super().__init__()
        object.__setattr__(self, "_keys", {})
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._parameters[key] if key in self._parameters else getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, not {type(key).__name__}")
        self._keys[key] = None
        value = _as_parameter(value)
        if isinstance(value, Parameter) or value is None:
            self.register_parameter(key, value)
        else:
            object.__setattr__(self, key, value)

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        if key in self._parameters:
            del self._parameters[key]
        else:
            object.__delattr__(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self) -> Iterable[str]:
        return list(self._keys)

    def values(self) -> Iterable[Any]:
        return [self[k] for k in self._keys]

    def items(self) -> Iterable[Tuple[str, Any]]:
        return [(k, self[k]) for k in self._keys]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def pop(self, key: str) -> Any:
        v = self[key]
        del self[key]
        return v

    def clear(self) -> None:
        for k in list(self._keys):
            del self[k]

    def update(self, parameters: Any) -> None:
        if not hasattr(parameters, "__iter__") or isinstance(parameters, (str, Tensor)):
            raise TypeError("ParameterDict.update should be called with an iterable of key/value pairs, but got "
                            f"{type(parameters).__name__}")
        items = parameters.items() if isinstance(parameters, (Mapping, ParameterDict)) else \
            _pairs(parameters, "ParameterDict")
        for k, v in items:
            self[k] = v

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_parameter_repr(p, 'type')}" for k, p in self.items())

    def __repr__(self) -> str:
        return _parameter_container_repr(self)


def _parameter_container_repr(m: Module) -> str:
    extra = m.extra_repr()
    if not extra:
        return f"{m._get_name()}()"
    return f"{m._get_name()}(\n    " + "\n    ".join(extra.split("\n")) + "\n)"


__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]

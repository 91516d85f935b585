"""``nn.Module``: parameters, buffers and submodules registered by attribute assignment,
state dicts, train/eval, and PyTorch's ``__repr__``."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

from minitorch_jit.ir.types import SHORT_NAME

from .. import devices, dtypes
from ..autograd.grad_mode import no_grad
from ..ops.dispatch import call
from ..tensor import Parameter, Tensor
from .hooks import HookTables, RemovableHandle
from .parameter import is_buffer


class IncompatibleKeys(NamedTuple):
    missing_keys: List[str]
    unexpected_keys: List[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class Module:
    training: bool
    # how scripts may index and iterate the module (nn/containers.py): None for other modules
    _container_kind: Optional[str] = None

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self.__dict__.get("_hooks")
        if hooks:
            return hooks.call(self, self.forward, args, kwargs)
        return self.forward(*args, **kwargs)

    # -- hooks (see nn/hooks.py) -------------------------------------------------------------
    def _hook_tables(self) -> HookTables:
        hooks = self.__dict__.get("_hooks")
        if hooks is None:
            hooks = HookTables()
            object.__setattr__(self, "_hooks", hooks)
        return hooks

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Run ``hook(module, args)`` before each call of the module; a result that is not
        None replaces the arguments."""
        return self._hook_tables().add_pre(hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after each call of the module; a result that is
        not None replaces the output."""
        return self._hook_tables().add_post(hook, prepend, with_kwargs, always_call)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` when the gradients with respect to the
        module's inputs are computed; a result that is not None replaces ``grad_input`` (see
        nn/backward_hooks.py)."""
        return self._hook_tables().add_backward(hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """PyTorch's older name; here it runs as :meth:`register_full_backward_hook` does
        (PyTorch's old form saw the gradients of the module's last op instead)."""
        return self.register_full_backward_hook(hook)

    @property
    def _forward_pre_hooks(self) -> Dict[int, Callable[..., Any]]:
        hooks = self.__dict__.get("_hooks")  # reading makes no table: a module without hooks stays as it was
        return {} if hooks is None else hooks.pre

    @property
    def _forward_hooks(self) -> Dict[int, Callable[..., Any]]:
        hooks = self.__dict__.get("_hooks")
        return {} if hooks is None else hooks.post

    # -- attributes -------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        """PyTorch's rules: a Parameter or a Module registers under ``name`` (leaving any other
        table), a name already registered accepts only its kind or None, anything else is a
        plain attribute."""
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if is_buffer(value):
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            _remove(name, d, params, modules)
            self.register_buffer(name, value, persistent=value.persistent)
        elif isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove(name, d, buffers, modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove(name, d, params, buffers)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Optional[Tensor], persistent: bool = True) -> None:
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"module name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    # -- traversal ---------------------------------------------------------------------------
    def named_modules(self, memo: Optional[Set[int]] = None, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        seen: Set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def _named(self, table: str, prefix: str, recurse: bool) -> Iterator[Tuple[str, Tensor]]:
        seen: Set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for mprefix, m in mods:
            for name, t in getattr(m, table).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mprefix}.{name}" if mprefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[Tuple[str, Tensor]]:
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- state -------------------------------------------------------------------------------
    def state_dict(self, destination: Optional[Dict[str, Tensor]] = None, prefix: str = "",
                   keep_vars: bool = False) -> Dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, each module's own first (written
        by each module's ``_save_to_state_dict``, which a module may override)."""
        out: Dict[str, Tensor] = OrderedDict() if destination is None else destination
        self._save_to_state_dict(out, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def _save_to_state_dict(self, destination: Dict[str, Tensor], prefix: str, keep_vars: bool) -> None:
        """This module's own parameters and persistent buffers into ``destination``."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else call("Tensor", "detach", (p,))
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else call("Tensor", "detach", (b,))

    def load_state_dict(self, state_dict: Dict[str, Tensor], strict: bool = True) -> IncompatibleKeys:
        """Copy values into this module's tensors (shapes must match); each module reads its
        own entries with ``_load_from_state_dict``, which a module may override."""
        missing: List[str] = []
        unexpected: List[str] = []
        errors: List[str] = []

        def load(module: Module, prefix: str) -> None:
            module._load_from_state_dict(state_dict, prefix, {}, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        with no_grad():  # loading is not part of any computation to differentiate
            load(self, "")
        if strict:
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return IncompatibleKeys(missing, unexpected)

    def _load_from_state_dict(self, state_dict: Dict[str, Tensor], prefix: str, local_metadata: Any, strict: bool,
                              missing_keys: List[str], unexpected_keys: List[str], error_msgs: List[str]) -> None:
        """Copy this module's own entries of ``state_dict`` (under ``prefix``) into its tensors;
        report the missing ones, the shape mismatches, and (``strict``) the keys under
        ``prefix`` that name nothing of this module or its children."""
        own: Dict[str, Tensor] = OrderedDict()
        Module._save_to_state_dict(self, own, "", True)  # its tensors, whatever a subclass saves
        for name, t in own.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                                  f"object from checkpoint but received {type(src)}")
            elif tuple(src._a.shape) != tuple(t._a.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {list(src._a.shape)} from "
                                  f"checkpoint, the shape in current model is {list(t._a.shape)}.")
            else:
                call("Tensor", "copy_", (t, src))
        if strict:
            for key in state_dict:
                if key.startswith(prefix):
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in own:
                        unexpected_keys.append(key)

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None, or to zeros in place)."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_().zero_()

    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> "Module":
        """Convert floating-point parameters and buffers (``to("cpu")`` changes nothing)."""
        if dtype is None or isinstance(dtype, (str, devices.device)):
            dtype = kwargs.get("dtype")
        if dtype is None:
            return self
        dt = dtypes.to_dtype(dtype)
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for k, t in table.items():
                    if t is not None and t.is_floating_point():
                        arr = t._a.astype(dt.np)
                        table[k] = Parameter(Tensor._wrap(arr), t.requires_grad) if isinstance(t, Parameter) \
                            else Tensor._wrap(arr)
        return self

    def float(self) -> "Module":
        return self.to(dtypes.float32)

    def double(self) -> "Module":
        return self.to(dtypes.float64)

    def cpu(self) -> "Module":
        return self

    # -- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> List[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


def _remove(name: str, attrs: Dict[str, Any], *tables: Optional[Dict[str, Any]]) -> None:
    attrs.pop(name, None)
    for table in tables:
        if table is not None:
            table.pop(name, None)


def _typename(value: Any) -> str:
    """How PyTorch names a value's type in its errors (``torch.FloatTensor``)."""
    if isinstance(value, Tensor):
        return f"torch.{SHORT_NAME[value.dtype.name]}Tensor"
    return type(value).__name__

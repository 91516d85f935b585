"""``torch.ops.aten.<name>`` and ``torch.ops.prim.<name>``: registry ops called by their op
name, as PyTorch's ``torch.ops`` calls its operators. ``torch.ops.aten.add(x, y)`` picks the
overload as a call of ``torch.add`` does; ``torch.ops.aten.add.Tensor(x, y)`` names one."""
from __future__ import annotations

from typing import Any, Dict, List

from minitorch_jit.ir import registry
from minitorch_jit.ir.registry import OpDef

from .dispatch import call


class OpOverload:
    """One overload: ``torch.ops.aten.add.Tensor`` (``.default`` for the one without a name)."""

    def __init__(self, namespace: str, name: str):
        self.namespace, self.name = namespace, name  # name: "add.Tensor"
        self.__name__ = f"{namespace}.{name}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call(self.namespace, self.name, args, kwargs)

    def __repr__(self) -> str:
        return self.__name__


class OpOverloadPacket:
    """Every overload of one op, ``torch.ops.aten.add``: called, it picks one by the arguments."""

    def __init__(self, namespace: str, name: str):
        self.namespace, self.name = namespace, name
        self.__name__ = f"{namespace}.{name}"

    @property
    def overloads(self) -> List[OpDef]:
        return registry.overloads(f"{self.namespace}::{self.name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return call(self.namespace, self.name, args, kwargs)

    def __getattr__(self, overload: str) -> OpOverload:
        if not overload.startswith("_") and registry.python_overloads(self.namespace, f"{self.name}.{overload}"):
            return OpOverload(self.namespace, f"{self.name}.{overload}")
        raise AttributeError(f"'{self.__name__}' has no overload '{overload}' (its overloads: "
                             f"{', '.join(o.schema.overload or 'default' for o in self.overloads)})")

    def __repr__(self) -> str:
        return self.__name__


class OpNamespace:
    """``torch.ops.aten``: its attributes are the ops of the registry named ``aten::<name>``."""

    def __init__(self, name: str):
        self.name = name
        self._packets: Dict[str, OpOverloadPacket] = {}

    def __getattr__(self, name: str) -> OpOverloadPacket:
        if name.startswith("_") or not registry.overloads(f"{self.name}::{name}"):
            raise AttributeError(f"'_OpNamespace' '{self.name}' object has no attribute '{name}'")
        if name not in self._packets:  # one object per op, so the scripter knows it by identity
            self._packets[name] = OpOverloadPacket(self.name, name)
        return self._packets[name]

    def __repr__(self) -> str:
        return f"torch.ops.{self.name}"

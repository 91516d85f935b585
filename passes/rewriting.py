"""What passes share when they replace one value by another."""
from __future__ import annotations

from minitorch_jit.ir.graph import Value


def replace_value(old: Value, new: Value) -> None:
    """Given: ``%n : int = aten::size(%x, %0)``, ``%2 : int = prim::Constant[value=8]()``;
    ``replace_value(%n, %2)``. Result: every use of ``%n`` reads the constant, which is now
    named ``%n``: a value without a name takes the name of the one it replaces, so optimized
    graphs keep the user's variable names."""
    old.replace_all_uses_with(new)
    if new.name is None and old.name is not None:
        name = old.name
        old.name = None
        new.name = name

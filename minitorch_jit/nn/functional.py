"""``nn.functional``: every op the registry names ``functional.<name>``."""
from __future__ import annotations

from ir import registry as _registry

from .. import ops as _ops

for _name in _registry.python_names("functional"):
    globals()[_name] = _ops.function("functional", _name)

"""``torch._C``: the few switches of PyTorch's C++ core that programs written for
TorchScript set, doing here what they do there (see :mod:`.runtime.switches`)."""
from .runtime import switches


def _jit_override_can_fuse_on_cpu(enabled: bool) -> None:
    """Let the fuser form fusion groups on the CPU (True, the default here) or not."""
    switches.set_fuse_on_cpu(enabled)


def _jit_can_fuse_on_cpu() -> bool:
    return switches.can_fuse_on_cpu()

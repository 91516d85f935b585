"""What PyTorch's ``checkModule`` checks, for the module spec files: the module scripted gives
what it gives eagerly, and so does the scripted module saved and loaded again."""
import copy
import io

from script_util import same

import minitorch_jit as torch


def save_and_load(obj, **kwargs):
    buf = io.BytesIO()
    torch.jit.save(obj, buf, **kwargs)
    buf.seek(0)
    return torch.jit.load(buf)


def check_module(module, args):
    """Run ``module`` eagerly, scripted, and scripted then saved and loaded, on copies of
    ``args``: the three results are the same. Returns the scripted module."""
    expected = module(*copy.deepcopy(args))
    scripted = torch.jit.script(module)
    same(scripted(*copy.deepcopy(args)), expected, "scripted")
    same(save_and_load(scripted)(*copy.deepcopy(args)), expected, "loaded")
    return scripted

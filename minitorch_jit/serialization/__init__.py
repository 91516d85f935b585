"""Compiled functions and modules as archives (``save``/``load``): :mod:`.archive` is the
container (a zip of checked JSON, IR text and ``.npy`` arrays), :mod:`.save_load` what a
function or a module tree is in it, :mod:`.objects` what ``torch.save`` writes (tensors and
the plain values around them). ``ScriptFunction.save`` and ``ScriptModule.save`` write
through the ``save`` registered here: the runtime does not import serialization."""
from ..runtime import compiled
from .archive import LoadError
from .objects import load as load_object
from .objects import save as save_object
from .save_load import load, save

compiled.writes_archives(save)

__all__ = ["save", "load", "save_object", "load_object", "LoadError"]

"""Compiled kernels, cached in memory and on disk.

The key of a kernel is a hash of its LLVM IR text (which spells out everything it was
specialized on), the target (CPU name, features, optimization level, LLVM version) and the
package version. A second process finds the object file on disk and skips LLVM entirely.

On disk each entry is one file: a magic line, the SHA-256 of the payload, its length, and
the object code. An entry that is truncated or corrupt fails those checks and is compiled
again and rewritten, never loaded. Entries are written to a temporary file in the same
directory and renamed into place, so concurrent processes writing the same entry each
rename a complete file over the other's.
"""
from __future__ import annotations

import functools
import hashlib
import os
import struct
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from minitorch_jit._version import __version__

from . import target

MAGIC = b"minitorch_jit kernel v1\n"
SYMBOL = "mtj_kernel"  # the entry point's name in IR text given to the cache
_HEADER = struct.Struct("<32sQ")  # payload digest, payload length


def default_directory() -> str:
    """``$MINITORCH_JIT_CACHE_DIR``, else ``minitorch_jit`` under the user's cache dir."""
    configured = os.environ.get("MINITORCH_JIT_CACHE_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minitorch_jit")




@dataclass
class CacheStats:
    memory_hits: int = 0
    disk_hits: int = 0
    compiles: int = 0
    rejected_entries: int = 0  # corrupt or truncated files found and rebuilt


# key -> the loaded kernel, most recently used last. A kernel evicted here stays loaded
# while a compiled function still holds it, and is unloaded when none does.
_loaded: "OrderedDict[str, target.Loaded]" = OrderedDict()
MAX_LOADED = 256
_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def _key_suffix() -> bytes:
    """What every key hashes after the IR: the target and the package version (the target
    is asked of LLVM once per process, not per kernel)."""
    return b"".join(part.encode() + b"\0" for part in (target.target_id(), __version__))


class KernelCache:
    """Maps kernel IR text to its compiled entry point, loaded into the process."""

    def __init__(self, directory: Optional[str] = None):
        self.directory = directory if directory is not None else default_directory()
        self.stats = CacheStats()

    def key(self, ir_text: str) -> str:
        return hashlib.sha256(ir_text.encode() + b"\0" + _key_suffix()).hexdigest()

    def load(self, ir_text: str) -> target.Loaded:
        """The loaded kernel of the module ``ir_text``, whose entry function is named
        :data:`SYMBOL`: from memory, from disk, or compiled now and stored. Hold it as long
        as its address is called."""
        key = self.key(ir_text)
        symbol = f"mtj_{key[:40]}"
        with _lock:
            loaded = _loaded.get(key)
            if loaded is not None:
                _loaded.move_to_end(key)
                self.stats.memory_hits += 1
                return loaded
            obj = self.read(key)
            if obj is None:
                obj = target.compile_object(ir_text.replace(f'@"{SYMBOL}"', f'@"{symbol}"'))
                self.stats.compiles += 1
                self.write(key, obj)
            else:
                self.stats.disk_hits += 1
            loaded = _loaded[key] = target.load_object(obj, symbol)
            while len(_loaded) > MAX_LOADED:
                _loaded.popitem(last=False)
            return loaded

    def path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], key + ".o")

    def read(self, key: str) -> Optional[bytes]:
        """The stored object code, or None when the entry is missing or fails its checks."""
        try:
            with open(self.path(key), "rb") as f:
                data = f.read()
        except OSError:
            return None
        head = len(MAGIC) + _HEADER.size
        if len(data) < head or not data.startswith(MAGIC):
            self.stats.rejected_entries += 1
            return None
        digest, length = _HEADER.unpack_from(data, len(MAGIC))
        payload = data[head:]
        if len(payload) != length or hashlib.sha256(payload).digest() != digest:
            self.stats.rejected_entries += 1
            return None
        return payload

    def write(self, key: str, obj: bytes) -> None:
        """Store an entry atomically; a cache that cannot be written is skipped, not fatal."""
        path = self.path(key)
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _HEADER.pack(hashlib.sha256(obj).digest(), len(obj)) + obj)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


_default: Optional[KernelCache] = None


def default_cache() -> KernelCache:
    global _default
    if _default is None:
        _default = KernelCache()
    return _default

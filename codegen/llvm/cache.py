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

import hashlib
import os
import struct
import tempfile
import threading
from dataclasses import dataclass
from typing import Dict, Optional

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


_loaded: Dict[str, int] = {}  # key -> entry address; one JIT engine per process
_lock = threading.Lock()


class KernelCache:
    """Maps kernel IR text to the address of its compiled entry point."""

    def __init__(self, directory: Optional[str] = None):
        self.directory = directory if directory is not None else default_directory()
        self.stats = CacheStats()

    def key(self, ir_text: str) -> str:
        h = hashlib.sha256()
        for part in (ir_text, target.target_id(), __version__):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()

    def address(self, ir_text: str) -> int:
        """The native entry point of the module ``ir_text``, whose entry function is named
        :data:`SYMBOL`: from memory, from disk, or compiled now and stored."""
        key = self.key(ir_text)
        symbol = f"mtj_{key[:40]}"
        with _lock:
            address = _loaded.get(key)
            if address is not None:
                self.stats.memory_hits += 1
                return address
            obj = self.read(key)
            if obj is None:
                obj = target.compile_object(ir_text.replace(f'@"{SYMBOL}"', f'@"{symbol}"'))
                self.stats.compiles += 1
                self.write(key, obj)
            else:
                self.stats.disk_hits += 1
            address = _loaded[key] = target.load_object(obj, symbol)
            return address

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

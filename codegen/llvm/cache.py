"""Compiled kernels, cached in memory and on disk.

The key of a kernel is a hash of its LLVM IR text (which spells out everything it was
specialized on), the target (CPU name, features, optimization level, LLVM version) and the
package version. A second process finds the object file on disk and skips LLVM entirely.

An object file on disk is native code that will run in this process, so the disk cache
trusts only what this user wrote:

- The cache directory (``$MINITORCH_JIT_CACHE_DIR``, else ``minitorch_jit`` under
  ``$XDG_CACHE_HOME`` or ``~/.cache``) is created 0700 and used only if it and its entry
  folders are owned by the current user and not writable by group or others, and every
  folder above it is owned by the user or root and not writable by others unless it has the
  sticky bit (like ``/tmp``). Otherwise kernels are compiled in memory only.
- Each entry carries an HMAC-SHA256, under a 32-byte secret kept in the cache directory
  (``hmac.key``, created 0600 with ``O_EXCL``), of its key and its object code. A file
  with another owner, loose permissions, a bad or missing HMAC (an older format, a forged or
  copied entry), a size over :data:`MAX_ENTRY_BYTES`, or that is not a regular file (a
  symlink, a FIFO, a device) is never read or loaded: the kernel is compiled again and the
  entry rewritten, with one warning per cache.
- Files are opened with ``O_NOFOLLOW`` relative to the checked directory and their size is
  taken from ``fstat`` of the open file before anything is read.

Entries are written to a temporary file in the same folder and renamed into place, so
concurrent processes writing the same entry each rename a complete file over the other's.
The disk cache holds at most ``$MINITORCH_JIT_CACHE_MAX_MB`` megabytes (default
:data:`DEFAULT_MAX_MB`): when a write takes it over, the least recently used entries (a hit
touches its file) are removed until it is at 90% of that. Listing thousands of entries
costs more than compiling a kernel, so a process lists the directory on its first write,
then counts what it writes, and lists again only when its count passes the cap or every
:data:`RESCAN_WRITES` writes (for what other processes wrote meanwhile).
"""
from __future__ import annotations

import errno
import functools
import hashlib
import hmac
import os
import secrets
import stat
import struct
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import List, Optional, Tuple

from minitorch_jit._version import __version__

from . import target

MAGIC = b"minitorch_jit kernel v2\n"
SYMBOL = "mtj_kernel"  # the entry point's name in IR text given to the cache
_HEADER = struct.Struct("<32sQ")  # HMAC of key and payload, payload length
KEY_FILE = "hmac.key"
KEY_BYTES = 32
MAX_ENTRY_BYTES = 64 * 2 ** 20  # kernels are kilobytes; anything near this was not written by us
DEFAULT_MAX_MB = 512
LOW_WATER = 0.9  # eviction goes below the cap, so the next writes do not evict again at once
RESCAN_WRITES = 100


class KernelCacheWarning(UserWarning):
    """The disk cache refused a directory or an entry; the kernel was compiled instead."""


class _Refused(Exception):
    """A directory or file of the cache that must not be trusted (the message says why)."""


def default_directory() -> str:
    """``$MINITORCH_JIT_CACHE_DIR``, else ``minitorch_jit`` under the user's cache dir."""
    configured = os.environ.get("MINITORCH_JIT_CACHE_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minitorch_jit")


def max_bytes() -> int:
    """The disk cache's size cap, ``$MINITORCH_JIT_CACHE_MAX_MB`` megabytes."""
    text = os.environ.get("MINITORCH_JIT_CACHE_MAX_MB", "")
    try:
        mb = float(text) if text else DEFAULT_MAX_MB
    except ValueError:
        raise ValueError(f"MINITORCH_JIT_CACHE_MAX_MB must be a number of megabytes, not {text!r}") from None
    return max(0, int(mb * 2 ** 20))


@dataclass
class CacheStats:
    memory_hits: int = 0
    disk_hits: int = 0
    compiles: int = 0
    rejected_entries: int = 0  # corrupt, truncated, unauthenticated or unsafe files, compiled again
    evicted_entries: int = 0


# key -> the loaded kernel, most recently used last. A kernel evicted here stays loaded
# while a compiled function still holds it, and is unloaded when none does.
_loaded: "OrderedDict[str, target.Loaded]" = OrderedDict()
MAX_LOADED = 256
_lock = threading.Lock()

_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _check_private(st: os.stat_result, what: str) -> None:
    """Owned by this user and writable by no one else."""
    if st.st_uid != os.getuid():
        raise _Refused(f"{what} is owned by uid {st.st_uid}, not by this user (uid {os.getuid()})")
    if st.st_mode & 0o022:
        raise _Refused(f"{what} is writable by group or others (mode {stat.S_IMODE(st.st_mode):o})")


def _check_ancestors(path: str) -> None:
    """Nobody but this user and root can rename or replace anything on the way to ``path``:
    each folder above it is owned by one of them, and writable by others only with the
    sticky bit (which stops them from renaming what they do not own)."""
    parent = os.path.dirname(path)
    while True:
        st = os.stat(parent)
        if st.st_uid not in (0, os.getuid()):
            raise _Refused(f"{parent}, above the cache directory, is owned by uid {st.st_uid}")
        if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            raise _Refused(f"{parent}, above the cache directory, is writable by group or others without "
                           f"the sticky bit (mode {stat.S_IMODE(st.st_mode):o})")
        up = os.path.dirname(parent)
        if up == parent:
            return
        parent = up


def _open_folder(name: str, dir_fd: Optional[int], what: str) -> int:
    """Create (0700) and open a folder without following a symlink, and check it is private."""
    try:
        os.mkdir(name, 0o700, dir_fd=dir_fd)
    except FileExistsError:
        pass
    try:
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=dir_fd)
    except OSError as e:
        raise _Refused(f"{what} cannot be opened as a folder ({e.strerror})") from None
    try:
        _check_private(os.fstat(fd), what)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_file(name: str, dir_fd: int, limit: int, what: str, *, private: bool = False,
               touch: bool = False) -> Optional[bytes]:
    """The bytes of a regular file this user owns, at most ``limit`` long (checked before
    reading); None if it does not exist. ``private``: others must not read it either;
    ``touch``: mark it as just used."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as e:
        reason = "is a symlink" if e.errno == errno.ELOOP else f"cannot be opened ({e.strerror})"
        raise _Refused(f"{what} {reason}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused(f"{what} is not a regular file")
        _check_private(st, what)
        if private and st.st_mode & 0o077:
            raise _Refused(f"{what} may be read by group or others (mode {stat.S_IMODE(st.st_mode):o})")
        if st.st_size > limit:
            raise _Refused(f"{what} is {st.st_size} bytes, more than the {limit} it may have")
        chunks: List[bytes] = []
        left = st.st_size
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if os.read(fd, 1):
            raise _Refused(f"{what} grew while it was read")
        if touch:
            os.utime(fd)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_file(name: str, dir_fd: int, data: bytes) -> None:
    """Write ``name`` atomically (a private temporary file renamed over it)."""
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def _secret(dir_fd: int) -> bytes:
    """This user's HMAC key for the cache in ``dir_fd``, created on first use. Created under
    a temporary name and linked into place (never replacing), so concurrent first uses agree
    on one key and nobody reads a half-written one."""
    what = f"the cache's secret key {KEY_FILE}"
    key = _read_file(KEY_FILE, dir_fd, KEY_BYTES, what, private=True)
    if key is None:
        tmp = f".{KEY_FILE}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
            try:
                os.link(tmp, KEY_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            os.unlink(tmp, dir_fd=dir_fd)
        key = _read_file(KEY_FILE, dir_fd, KEY_BYTES, what, private=True)
    if key is None or len(key) != KEY_BYTES:
        raise _Refused(f"{what} is not {KEY_BYTES} bytes long")
    return key


def _mac(secret: bytes, key: str, payload: bytes) -> bytes:
    return hmac.new(secret, MAGIC + key.encode() + b"\0" + payload, hashlib.sha256).digest()


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
        self._warned = False
        self._disk_bytes: Optional[int] = None  # the entries' total when last listed, plus writes since
        self._writes_since_listing = 0

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
            if obj is not None and symbol.encode() not in obj:
                # authentic, but made for another kernel: loading it could not find the symbol
                self._reject(f"entry {key} does not define its kernel")
                obj = None
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

    def _reject(self, reason: str) -> None:
        self.stats.rejected_entries += 1
        self._warn(f"ignoring kernel cache {reason}; compiling the kernel again")

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(f"minitorch_jit: {message} (further problems with this cache are not reported)",
                          KernelCacheWarning, stacklevel=4)

    def _open(self) -> Tuple[int, bytes]:
        """The checked cache directory (an open fd) and this user's secret for it."""
        path = os.path.realpath(os.path.abspath(self.directory))
        missing = []
        while not os.path.lexists(path):
            missing.append(path)
            path = os.path.dirname(path)
        for folder in reversed(missing[1:]):  # the folders above the cache directory, private too
            os.close(_open_folder(folder, None, folder))
        top = missing[0] if missing else path
        _check_ancestors(top)
        fd = _open_folder(top, None, f"the cache directory {top}")
        try:
            return fd, _secret(fd)
        except BaseException:
            os.close(fd)
            raise

    def _checked_directory(self) -> Optional[Tuple[int, bytes]]:
        """:meth:`_open`, or None (with a warning if the directory is refused; silently if
        it cannot be made, as on a read-only home)."""
        try:
            return self._open()
        except _Refused as e:
            self._warn(f"not using the kernel cache directory {self.directory}: {e}")
        except OSError:
            pass
        return None

    def _entry_folder(self, root: int, key: str) -> int:
        return _open_folder(key[:2], root, f"cache folder {os.path.join(self.directory, key[:2])}")

    def read(self, key: str) -> Optional[bytes]:
        """The stored object code, or None when the entry is missing, or is refused (with a
        warning) because it fails its checks."""
        root_secret = self._checked_directory()
        if root_secret is None:
            return None
        root, secret = root_secret
        try:
            folder = self._entry_folder(root, key)
            try:
                # a hit makes the entry the most recently used, for eviction
                data = _read_file(key + ".o", folder, len(MAGIC) + _HEADER.size + MAX_ENTRY_BYTES,
                                  f"entry {key}", touch=True)
            finally:
                os.close(folder)
        except (_Refused, OSError) as e:
            self._reject(str(e))
            return None
        finally:
            os.close(root)
        if data is None:
            return None
        head = len(MAGIC) + _HEADER.size
        if len(data) < head or not data.startswith(MAGIC):
            self._reject(f"entry {key}: not a current entry (an older format, or truncated)")
            return None
        mac, length = _HEADER.unpack_from(data, len(MAGIC))
        payload = data[head:]
        if len(payload) != length or not hmac.compare_digest(mac, _mac(secret, key, payload)):
            self._reject(f"entry {key}: its authentication code does not match (corrupt, or not written by "
                         "this user's minitorch_jit)")
            return None
        return payload

    def write(self, key: str, obj: bytes) -> None:
        """Store an entry atomically, then keep the cache under its size cap; a cache that
        cannot be written is skipped, not fatal."""
        root_secret = self._checked_directory()
        if root_secret is None:
            return
        root, secret = root_secret
        try:
            folder = self._entry_folder(root, key)
            data = MAGIC + _HEADER.pack(_mac(secret, key, obj), len(obj)) + obj
            try:
                _write_file(key + ".o", folder, data)
            finally:
                os.close(folder)
            self._keep_under_cap(root, len(data))
        except (_Refused, OSError):
            pass
        finally:
            os.close(root)

    def _keep_under_cap(self, root: int, written: int) -> None:
        cap = max_bytes()
        self._writes_since_listing += 1
        if self._disk_bytes is not None and self._writes_since_listing < RESCAN_WRITES:
            self._disk_bytes += written
            if self._disk_bytes <= cap:
                return
        self._disk_bytes = self._evict(root, cap)
        self._writes_since_listing = 0

    def _evict(self, root: int, cap: int) -> int:
        """If the entries total more than ``cap`` bytes, remove the least recently used
        until they total at most ``LOW_WATER * cap``. Returns their total."""
        entries = []  # (last use, size, folder, name)
        for folder in os.listdir(root):
            if len(folder) != 2:  # the key file, temporary files
                continue
            entries += self._entries(root, folder)
        total = sum(size for _, size, _, _ in entries)
        if total <= cap:
            return total
        for _, size, folder, name in sorted(entries):
            if total <= LOW_WATER * cap:
                break
            try:
                fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=root)
            except OSError:
                continue
            try:
                os.unlink(name, dir_fd=fd)
                total -= size
                self.stats.evicted_entries += 1
            except FileNotFoundError:
                total -= size  # another process evicted it
            finally:
                os.close(fd)
        return total

    @staticmethod
    def _entries(root: int, folder: str) -> List[Tuple[float, int, str, str]]:
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=root)
        except OSError:
            return []
        try:
            out = []
            for name in os.listdir(fd):
                if name.endswith(".o"):
                    try:
                        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    out.append((st.st_mtime, st.st_size, folder, name))
            return out
        finally:
            os.close(fd)


_default: Optional[KernelCache] = None


def default_cache() -> KernelCache:
    global _default
    if _default is None:
        _default = KernelCache()
    return _default

"""The archive container: a zip of named members, with a format version and a manifest of
checksums, written atomically and read defensively. It knows nothing of what the members
mean (that is :mod:`.serialization`).

Layout (``<top>`` is the archive's file name without its suffix, like PyTorch's)::

    <top>/version          the format version, "1"
    <top>/...              the members
    <top>/manifest.json    {"members": {name: {"size": bytes, "sha256": hex}}} for every other member

Reading trusts nothing: the members are stored, never compressed, so no member can expand
beyond the archive's own size (no zip bombs); names must be plain relative paths under one
top folder (no traversal, no duplicates); every member must be in the manifest with its size
and SHA-256, and the manifest must list nothing else. The checksums catch corruption and
careless edits; they are not a signature (whoever can edit the archive can rewrite the
manifest), which is why everything read is also validated for what it is, and nothing in an
archive is ever executed.
"""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import struct
import zipfile
from typing import IO, Any, Dict, Iterable, Tuple, Union

import numpy as np

from minitorch_jit.ir.types import DTYPES

FORMAT_VERSION = 1
VERSION = "version"
MANIFEST = "manifest.json"
# JSON and graph text are parsed, which costs far more than copying bytes; a text member
# larger than this is not something we wrote.
MAX_TEXT_BYTES = 64 * 2 ** 20
MAX_DIMS = 32

# What zipfile raises for damaged zip structures (NotImplementedError: a bogus "version
# needed to extract" or compression method; UnicodeDecodeError: a name flagged UTF-8 that is not)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, NotImplementedError,
               UnicodeDecodeError)
# A name part starts with a letter, digit or underscore: no "", ".", "..", "/x", "C:", "\\"
_NAME_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same model gives the same bytes

PathOrFile = Union[str, "os.PathLike[str]", IO[bytes]]


class LoadError(RuntimeError):
    """An archive that cannot be loaded: not a minitorch_jit archive, corrupted, truncated,
    tampered with (a missing, renamed, extra or altered member, an unknown op, a graph the
    verifier rejects, a tensor that disagrees with the graph's types), unsafe (path
    traversal, an oversized or compressed member), or written by a newer minitorch_jit. The
    message says what is wrong and where."""


class MissingFolderError(FileNotFoundError, RuntimeError):
    """Saving into a folder that does not exist: a RuntimeError as in PyTorch, and the
    FileNotFoundError it is."""


# -- writing ---------------------------------------------------------------------------------------


def write_archive(target: PathOrFile, members: Iterable[Tuple[str, bytes]]) -> None:
    """Write ``members`` (relative names, bytes) with the version first and the manifest
    last. A path is written through a temporary file in the same folder, renamed over the
    target only once complete, so a failed save leaves nothing at the target; a file
    object receives the whole archive in one write."""
    members = list(members)
    if hasattr(target, "write"):
        buf = io.BytesIO()
        _write_zip(buf, "archive", members)
        target.write(buf.getvalue())  # type: ignore[union-attr]
        return
    path = os.fspath(target)  # type: ignore[arg-type]
    folder, base = os.path.split(os.path.abspath(path))
    if not os.path.isdir(folder):
        parent = os.path.dirname(path) or folder
        raise MissingFolderError(errno.ENOENT, f"Parent directory {parent} does not exist.", path)
    top = re.sub(r"[^A-Za-z0-9_-]", "_", os.path.splitext(base)[0]) or "archive"
    tmp, fd = _create_temporary(folder, base)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_zip(f, top, members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _create_temporary(folder: str, base: str) -> Tuple[str, int]:
    while True:
        tmp = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            # 0o666 and the umask, like any new file (mkstemp would make it 0o600)
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _write_zip(f: IO[bytes], top: str, members: Iterable[Tuple[str, bytes]]) -> None:
    manifest: Dict[str, Dict[str, Any]] = {}
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        for name, data in [(VERSION, f"{FORMAT_VERSION}\n".encode())] + list(members):
            if name in manifest or name == MANIFEST or not _plain_name(name):
                raise ValueError(f"bad or repeated archive member name {name!r}")
            _write_member(zf, f"{top}/{name}", data)
            manifest[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        _write_member(zf, f"{top}/{MANIFEST}", dump_json({"members": manifest}))


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, _FIXED_TIME)
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def dump_json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=1, allow_nan=False) + "\n").encode()


def encode_array(arr: np.ndarray) -> bytes:
    """``arr`` as ``.npy`` bytes (never pickled)."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


# -- reading ---------------------------------------------------------------------------------------


class Archive:
    """The verified members of an archive, by relative name."""

    def __init__(self, members: Dict[str, bytes]):
        self.members = members

    def raw(self, name: str) -> bytes:
        if not isinstance(name, str) or name not in self.members or name in (VERSION, MANIFEST):
            raise LoadError(f"the archive has no member {name!r}")
        return self.members[name]

    def text(self, name: str) -> str:
        return _decode_text(self.raw(name), name)

    def json_value(self, name: str) -> Any:
        return parse_json(self.text(name), name)

    def array(self, name: str) -> np.ndarray:
        return decode_array(self.raw(name), name)


def read_archive(source: PathOrFile) -> Archive:
    """Read and check a whole archive: version, names, sizes, manifest, checksums.
    Raises :class:`LoadError` for any bad content (``OSError`` if the file cannot be read)."""
    if hasattr(source, "read"):
        data = source.read()  # type: ignore[union-attr]
    else:
        with open(source, "rb") as f:  # type: ignore[arg-type]
            data = f.read()
    if not isinstance(data, bytes):
        raise TypeError(f"minitorch_jit.load reads a path or a binary file, not a {type(source).__name__}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except _ZIP_ERRORS as e:
        raise LoadError(f"not a minitorch_jit archive: not a readable zip file ({e})") from None
    top, by_name = _check_directory(infos, len(data))
    version = _read_member(zf, by_name, VERSION)
    _check_version(version)
    manifest = _manifest(_read_member(zf, by_name, MANIFEST))
    listed, present = set(manifest), set(by_name) - {MANIFEST}
    if present - listed:
        raise LoadError(f"member {top}/{sorted(present - listed)[0]} is not in the manifest (an extra or renamed "
                        "member)")
    if listed - present:
        raise LoadError(f"member {top}/{sorted(listed - present)[0]} is missing (a deleted or renamed member)")
    members: Dict[str, bytes] = {}
    for name, (size, digest) in manifest.items():
        if by_name[name].file_size != size:
            raise LoadError(f"member {top}/{name} is {by_name[name].file_size} bytes, the manifest says {size}")
        body = version if name == VERSION else _read_member(zf, by_name, name)
        if hashlib.sha256(body).hexdigest() != digest:
            raise LoadError(f"member {top}/{name} does not match its checksum in the manifest: the archive is "
                            "corrupted or was modified")
        members[name] = body
    return Archive(members)


def _plain_name(name: str) -> bool:
    return all(_NAME_PART.fullmatch(part) for part in name.split("/"))


def _check_directory(infos: Iterable[zipfile.ZipInfo], archive_size: int) -> Tuple[str, Dict[str, zipfile.ZipInfo]]:
    """The top folder and the members by relative name, once every entry is known safe."""
    by_name: Dict[str, zipfile.ZipInfo] = {}
    top = None
    total = 0
    for info in infos:
        name = info.filename
        where = f"member {name!r}"
        if not _plain_name(name):
            raise LoadError(f"{where} has an unsafe or malformed name (absolute, '..', or odd characters)")
        first, _, rest = name.partition("/")
        if not rest:
            raise LoadError(f"{where} is not inside the archive's top folder")
        if top is None:
            top = first
        elif first != top:
            raise LoadError(f"{where} is outside the archive's top folder {top!r}")
        if rest in by_name:
            raise LoadError(f"{where} appears twice")
        if info.flag_bits & 0x1:
            raise LoadError(f"{where} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise LoadError(f"{where} is compressed; minitorch_jit archives store members uncompressed, so a "
                            "member can never expand beyond the archive (zip bombs)")
        total += info.file_size
        if info.file_size != info.compress_size or total > archive_size:
            raise LoadError(f"{where} declares {info.file_size} bytes, more than the archive holds")
        by_name[rest] = info
    if top is None:
        raise LoadError("not a minitorch_jit archive: the zip file is empty")
    return top, by_name


def _read_member(zf: zipfile.ZipFile, by_name: Dict[str, zipfile.ZipInfo], name: str) -> bytes:
    info = by_name.get(name)
    if info is None:
        raise LoadError(f"not a minitorch_jit archive, or a damaged one: it has no {name} member")
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except _ZIP_ERRORS as e:
        raise LoadError(f"member {info.filename} cannot be read: {e}") from None
    if len(data) != info.file_size:
        raise LoadError(f"member {info.filename} is truncated")
    return data


def _check_version(data: bytes) -> None:
    text = data.decode("ascii", "replace").strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise LoadError(f"the version member holds {text[:40]!r}, not a format version number")
    if int(text) > FORMAT_VERSION:
        raise LoadError(f"this archive was written by a newer minitorch_jit (format version {int(text)}; this "
                        f"minitorch_jit reads versions up to {FORMAT_VERSION}): upgrade minitorch_jit to load it")
    if int(text) < 1:
        raise LoadError(f"format version {int(text)} does not exist")


def _decode_text(data: bytes, name: str) -> str:
    if len(data) > MAX_TEXT_BYTES:
        raise LoadError(f"{name} is {len(data)} bytes, more than the {MAX_TEXT_BYTES} a text member may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoadError(f"{name} is not UTF-8 text ({e})") from None


def _manifest(data: bytes) -> Dict[str, Tuple[int, str]]:
    doc = parse_json(_decode_text(data, MANIFEST), MANIFEST)
    members = doc.get("members") if isinstance(doc, dict) else None
    if not isinstance(members, dict):
        raise LoadError(f'{MANIFEST} has no "members" object')
    out = {}
    for name, entry in members.items():
        size = entry.get("size") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if type(size) is not int or not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise LoadError(f'{MANIFEST}: the entry for {name!r} needs an integer "size" and a hex "sha256"')
        out[name] = (size, digest)
    if VERSION not in out:
        raise LoadError(f"{MANIFEST} does not list the version member")
    return out


def parse_json(text: str, name: str) -> Any:
    """Strict JSON: no NaN/Infinity, no repeated keys."""
    def pairs(items: Any) -> Dict[str, Any]:
        out = {}
        for k, v in items:
            if k in out:
                raise LoadError(f"{name}: key {k!r} appears twice in one object")
            out[k] = v
        return out

    def bad_constant(c: str) -> None:
        raise LoadError(f"{name}: {c} is not JSON")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=bad_constant)
    except ValueError as e:  # JSONDecodeError, or an integer of more digits than Python converts
        raise LoadError(f"{name} is not valid JSON: {e}") from None
    except RecursionError:
        raise LoadError(f"{name} is nested too deeply") from None


# .npy as np.save writes it (format 1.0 or 2.0), for the five dtypes tensors may have
_DESCRS = {f"{order}{code}": np.dtype(f"{order}{code}") for order in "<>" for code in ("i4", "i8", "f4", "f8")}
_DESCRS["|b1"] = np.dtype(np.bool_)
_NPY_HEADER = re.compile(r"\{'descr': '(?P<descr>[<>|][a-z][0-9])', 'fortran_order': (?P<fortran>True|False), "
                         r"'shape': \((?P<shape>|[0-9]{1,18},|[0-9]{1,18}(?:, [0-9]{1,18})+)\), \} *\n")


def decode_array(data: bytes, name: str) -> np.ndarray:
    """A writable, native-byte-order array from ``.npy`` bytes, checked to be exactly what
    ``np.save`` writes for one of our dtypes: the header must parse, the data size must
    match the shape, and booleans must be 0 or 1."""
    if data[:6] != b"\x93NUMPY" or len(data) < 12 or data[6:8] not in (b"\x01\x00", b"\x02\x00"):
        raise LoadError(f"{name} is not a .npy array (format 1.0 or 2.0)")
    if data[6] == 1:
        (hlen,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", data[8:12]), 12
    m = _NPY_HEADER.fullmatch(data[start:start + hlen].decode("latin1"))
    if m is None or m.group("descr") not in _DESCRS:
        raise LoadError(f"{name} has an unsupported .npy header (tensors are {', '.join(DTYPES)})")
    dtype = _DESCRS[m.group("descr")]
    shape = tuple(int(s) for s in m.group("shape").split(",") if s.strip())
    if len(shape) > MAX_DIMS:
        raise LoadError(f"{name} has {len(shape)} dimensions, more than {MAX_DIMS}")
    count = 1
    for s in shape:
        count *= s
    offset = start + hlen
    if count * dtype.itemsize != len(data) - offset:
        raise LoadError(f"{name}: a {dtype.name} array of shape {list(shape)} needs {count * dtype.itemsize} bytes "
                        f"of data, the member has {len(data) - offset}")
    if dtype == np.bool_ and count and np.frombuffer(data, np.uint8, count, offset).max() > 1:
        raise LoadError(f"{name}: a bool array holds bytes other than 0 and 1")
    flat = np.frombuffer(data, dtype, count, offset)
    arr = flat.reshape(shape, order="F" if m.group("fortran") == "True" else "C")
    return arr.astype(dtype.newbyteorder("="), order="K")

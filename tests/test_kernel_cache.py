"""The on-disk kernel cache runs only native code this user's minitorch_jit wrote (issue 12,
item 1) and stays under its size cap (item 11).

Each test uses a tiny module whose kernel returns a number, made unique by a nonce so that
no other test (or run) has its key in memory. A planted entry holds a kernel for the same
key that returns another number: the value the kernel returns shows which code ran.

The suite runs as root in CI, and root passes every permission check of the kernel, so the
tests hand files to another user with os.chown (which root may) instead of relying on
access being denied; as any other user they are skipped, since only root can do that.
"""
import ctypes
import hashlib
import hmac
import os
import pathlib
import stat
import struct
import tracemalloc
import uuid
import warnings

import pytest

from minitorch_jit.codegen.llvm import cache as cache_mod
from minitorch_jit.codegen.llvm import target
from minitorch_jit.codegen.llvm.cache import KEY_FILE, MAGIC, SYMBOL, KernelCache, KernelCacheWarning

OTHER_UID = 4242  # a user that is not us and not root
as_root = pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user (os.chown)")


def module(value):
    """LLVM IR of a module whose kernel returns ``value``; a fresh key each call."""
    return (f"; {uuid.uuid4()}\n"
            f'define i64 @"{SYMBOL}"() {{\n  ret i64 {value}\n}}\n')


def run(cache, ir_text):
    return ctypes.CFUNCTYPE(ctypes.c_int64)(cache.load(ir_text).address)()


def planted_object(key, value=666):
    """An object file defining the kernel of ``key``, returning ``value``."""
    return target.compile_object(f'define i64 @"mtj_{key[:40]}"() {{\n  ret i64 {value}\n}}\n')


def old_format_entry(obj):
    """An entry as the previous cache wrote it: a SHA-256 of the payload, in the same file."""
    return b"minitorch_jit kernel v1\n" + struct.pack("<32sQ", hashlib.sha256(obj).digest(), len(obj)) + obj


def forged_entry(obj, key):
    """The current format, authenticated under a key that is not this user's."""
    mac = hmac.new(os.urandom(32), MAGIC + key.encode() + b"\0" + obj, hashlib.sha256).digest()
    return MAGIC + struct.pack("<32sQ", mac, len(obj)) + obj


def plant(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def fresh_cache(directory):
    return KernelCache(str(directory))


def test_an_entry_this_user_wrote_is_loaded_from_disk(tmp_path):
    """The control for the attacks below: an authentic entry is used, without compiling, and
    what it contains is what runs, so the planted entries below are really read and judged."""
    ir = module(42)
    key = KernelCache(str(tmp_path)).key(ir)
    KernelCache(str(tmp_path)).write(key, planted_object(key, 7))
    c = KernelCache(str(tmp_path))
    assert run(c, ir) == 7 and c.stats.disk_hits == 1 and c.stats.compiles == 0


def _attack(cache_dir, fmt):
    ir = module(42)
    c = fresh_cache(cache_dir)
    key = c.key(ir)
    obj = planted_object(key)
    plant(c.path(key), old_format_entry(obj) if fmt == "old format" else forged_entry(obj, key))
    with pytest.warns(KernelCacheWarning):
        assert run(c, ir) == 42, "the planted kernel ran"
    assert c.stats.compiles == 1 and c.stats.disk_hits == 0
    return c, key


@pytest.mark.parametrize("fmt", ["old format", "forged hmac"])
def test_cache_attack_planted_entry_in_a_world_writable_directory_does_not_run(tmp_path, fmt):
    """Issue 12 item 1: a cache directory anyone can write is not used at all."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    c, key = _attack(shared, fmt=fmt)
    # nothing is written there either: the next process compiles again
    with open(c.path(key), "rb") as f:
        assert f.read().startswith(b"minitorch_jit kernel v1" if fmt == "old format" else MAGIC)
    c2 = fresh_cache(shared)
    with pytest.warns(KernelCacheWarning, match="writable by group or others"):
        c2.read(key)


@as_root
@pytest.mark.parametrize("fmt", ["old format", "forged hmac"])
def test_cache_attack_planted_entry_in_a_directory_another_user_owns_does_not_run(tmp_path, fmt):
    shared = tmp_path / "theirs"
    shared.mkdir(mode=0o755)
    os.chown(shared, OTHER_UID, OTHER_UID)
    _attack(shared, fmt=fmt)


@as_root
def test_cache_attack_entry_owned_by_another_user_does_not_run_even_if_authentic(tmp_path):
    """Their file in our folder (written when the folder was open to them) is refused by its
    owner, before its contents are looked at, and replaced by ours."""
    ir = module(42)
    c = fresh_cache(tmp_path)
    key = c.key(ir)
    KernelCache(str(tmp_path)).write(key, planted_object(key))
    os.chown(c.path(key), OTHER_UID, OTHER_UID)
    with pytest.warns(KernelCacheWarning, match="owned by uid 4242"):
        assert run(c, ir) == 42
    assert os.stat(c.path(key)).st_uid == os.getuid()
    c2 = fresh_cache(tmp_path)
    assert c2.read(key) is not None  # the entry was rewritten, authentic


@pytest.mark.parametrize("fmt", ["old format", "forged hmac"])
def test_cache_attack_unauthenticated_entry_in_our_own_directory_does_not_run(tmp_path, fmt):
    c, key = _attack(tmp_path, fmt=fmt)
    assert c.stats.rejected_entries == 1
    again = fresh_cache(tmp_path)
    assert again.read(key) is not None and again.stats.rejected_entries == 0  # rewritten


def test_cache_attack_group_writable_entry_does_not_run(tmp_path):
    ir = module(42)
    c = fresh_cache(tmp_path)
    key = c.key(ir)
    KernelCache(str(tmp_path)).write(key, planted_object(key))
    os.chmod(c.path(key), 0o664)
    with pytest.warns(KernelCacheWarning, match="writable by group"):
        assert run(c, ir) == 42


@as_root
def test_cache_directory_under_a_folder_another_user_owns_is_refused(tmp_path):
    """They could rename our directory away and put theirs in its place."""
    parent = tmp_path / "parent"
    parent.mkdir(mode=0o755)
    os.chown(parent, OTHER_UID, OTHER_UID)
    c = fresh_cache(parent / "cache")
    with pytest.warns(KernelCacheWarning, match="above the cache directory, is owned by uid 4242"):
        assert run(c, module(42)) == 42
    assert not os.path.exists(parent / "cache" / KEY_FILE)


def test_cache_directory_under_a_world_writable_folder_without_sticky_bit_is_refused(tmp_path):
    parent = tmp_path / "open"
    parent.mkdir()
    os.chmod(parent, 0o777)
    c = fresh_cache(parent / "cache")
    with pytest.warns(KernelCacheWarning, match="without the sticky bit"):
        assert run(c, module(42)) == 42
    os.chmod(parent, 0o1777)  # like /tmp: others cannot rename what we own
    c = fresh_cache(parent / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run(c, module(43)) == 43
    assert c.stats.compiles == 1 and os.path.exists(parent / "cache" / KEY_FILE)


def test_the_directories_the_cache_creates_are_private(tmp_path):
    c = fresh_cache(tmp_path / "a" / "b" / "cache")
    old = os.umask(0)  # even with a permissive umask
    try:
        run(c, module(1))
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "cache"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    key_file = tmp_path / "a" / "b" / "cache" / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and os.path.getsize(key_file) == 32
    (entry,) = (tmp_path / "a" / "b" / "cache").rglob("*.o")
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o600


def test_a_secret_key_others_can_read_disables_the_disk_cache(tmp_path):
    c = fresh_cache(tmp_path)
    run(c, module(1))
    os.chmod(tmp_path / KEY_FILE, 0o644)
    c = fresh_cache(tmp_path)
    with pytest.warns(KernelCacheWarning, match="may be read by group or others"):
        assert run(c, module(2)) == 2
    assert len(list(tmp_path.rglob("*.o"))) == 1  # nothing written with a key others may know


@as_root
def test_a_secret_key_another_user_owns_disables_the_disk_cache(tmp_path):
    os.chmod(tmp_path, 0o700)
    (tmp_path / KEY_FILE).write_bytes(os.urandom(32))
    os.chmod(tmp_path / KEY_FILE, 0o600)
    os.chown(tmp_path / KEY_FILE, OTHER_UID, OTHER_UID)
    c = fresh_cache(tmp_path)
    with pytest.warns(KernelCacheWarning, match="owned by uid 4242"):
        assert run(c, module(3)) == 3
    assert not list(tmp_path.rglob("*.o"))


def test_a_symlinked_secret_key_is_refused(tmp_path):
    other = tmp_path / "elsewhere"
    other.write_bytes(os.urandom(32))
    os.chmod(other, 0o600)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(mode=0o700)
    os.symlink(other, cache_dir / KEY_FILE)
    with pytest.warns(KernelCacheWarning, match="is a symlink"):
        assert run(fresh_cache(cache_dir), module(4)) == 4


def test_an_entry_symlinked_to_dev_zero_is_not_read(tmp_path):
    ir = module(42)
    c = fresh_cache(tmp_path)
    key = c.key(ir)
    os.makedirs(os.path.dirname(c.path(key)), mode=0o700)
    os.symlink("/dev/zero", c.path(key))
    with pytest.warns(KernelCacheWarning, match="is a symlink"):
        assert run(c, ir) == 42
    assert not os.path.islink(c.path(key))  # replaced by a real entry


def test_an_oversized_entry_is_refused_before_it_is_read(tmp_path):
    ir = module(42)
    c = fresh_cache(tmp_path)
    key = c.key(ir)
    os.makedirs(os.path.dirname(c.path(key)), mode=0o700)
    with open(c.path(key), "wb") as f:
        f.write(MAGIC)
        f.truncate(1536 * 2 ** 20)  # 1.5 GB, sparse: no disk space used
    os.chmod(c.path(key), 0o600)
    tracemalloc.start()
    try:
        with pytest.warns(KernelCacheWarning, match="more than the"):
            assert c.read(key) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 ** 20


def test_an_entry_that_is_a_fifo_does_not_block(tmp_path):
    ir = module(42)
    c = fresh_cache(tmp_path)
    key = c.key(ir)
    os.makedirs(os.path.dirname(c.path(key)), mode=0o700)
    os.mkfifo(c.path(key), 0o600)
    with pytest.warns(KernelCacheWarning, match="not a regular file"):
        assert run(c, ir) == 42


def test_a_valid_entry_under_the_wrong_key_recompiles(tmp_path):
    """Issue 12 item 1: an entry copied to another key's name, or (authentic) written for
    another kernel, is compiled again instead of failing every later run with "native
    kernel ... is missing from its object file"."""
    a, b = module(1), module(2)
    c = fresh_cache(tmp_path)
    run(c, a)
    path_a, path_b = c.path(c.key(a)), c.path(c.key(b))
    os.makedirs(os.path.dirname(path_b), mode=0o700, exist_ok=True)
    with open(path_a, "rb") as f, open(path_b, "wb") as g:
        g.write(f.read())
    os.chmod(path_b, 0o600)
    c = fresh_cache(tmp_path)
    with pytest.warns(KernelCacheWarning, match="authentication code does not match"):
        assert run(c, b) == 2
    # authentic under this user's key, but the object code of another kernel
    d = module(3)
    c.write(c.key(d), target.compile_object(a.replace(f'@"{SYMBOL}"', '@"mtj_somethingelse"')))
    c = fresh_cache(tmp_path)
    with pytest.warns(KernelCacheWarning, match="does not define its kernel"):
        assert run(c, d) == 3
    assert fresh_cache(tmp_path).read(c.key(d)) is not None  # rewritten
    assert run(fresh_cache(tmp_path), d) == 3


def test_disk_cache_size_cap_evicts_least_recently_used_entries(tmp_path, monkeypatch):
    """Issue 12 item 11: the disk cache stays under MINITORCH_JIT_CACHE_MAX_MB, dropping the
    entries used longest ago."""
    c = fresh_cache(tmp_path)
    keys = []
    for i in range(6):
        ir = module(i)
        run(c, ir)
        keys.append(c.key(ir))
        os.utime(c.path(keys[-1]), (1000 + i, 1000 + i))  # distinct, ordered last uses
    size = os.path.getsize(c.path(keys[0]))
    assert c.read(keys[0]) is not None  # a hit: now the most recently used
    monkeypatch.setenv("MINITORCH_JIT_CACHE_MAX_MB", str(4.5 * size / 2 ** 20))
    run(c, module(6))  # a write triggers eviction
    left = {p.name[:-2] for p in tmp_path.rglob("*.o")}
    assert keys[0] in left and keys[1] not in left and keys[2] not in left and keys[3] not in left
    assert len(left) == 4 and c.stats.evicted_entries == 3
    assert sum(p.stat().st_size for p in tmp_path.rglob("*.o")) <= 4.5 * size


def test_cache_size_cap_must_be_a_number(monkeypatch):
    monkeypatch.setenv("MINITORCH_JIT_CACHE_MAX_MB", "lots")
    with pytest.raises(ValueError, match="MINITORCH_JIT_CACHE_MAX_MB"):
        cache_mod.max_bytes()
    monkeypatch.setenv("MINITORCH_JIT_CACHE_MAX_MB", "")
    assert cache_mod.max_bytes() == cache_mod.DEFAULT_MAX_MB * 2 ** 20


def test_concurrent_first_uses_agree_on_one_secret_key(tmp_path):
    """The key is linked into place, never replaced: every process ends up with the first."""
    import threading
    caches = [fresh_cache(tmp_path) for _ in range(8)]
    secrets = []

    def first_use(c):
        fd, secret = c._open()
        os.close(fd)
        secrets.append(secret)

    threads = [threading.Thread(target=first_use, args=(c,)) for c in caches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(secrets)) == 1 and (tmp_path / KEY_FILE).read_bytes() == secrets[0]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_fuzz_mutated_cache_entries_never_run_other_code(tmp_path):
    """Whatever happens to an entry file (bytes flipped, truncated or appended, a copied
    header, loosened permissions, replaced by a folder, a symlink or a FIFO), the kernel
    that runs is the right one: loaded when the entry is intact, compiled otherwise."""
    import random
    rng = random.Random(12)
    for round_ in range(150):
        ir = module(round_)
        c = fresh_cache(tmp_path)
        key = c.key(ir)
        c.write(key, planted_object(key, round_))  # authentic, and not yet loaded
        path = pathlib.Path(c.path(key))
        data = path.read_bytes()
        how = rng.choice(["flip", "truncate", "append", "header", "mode", "folder", "symlink", "fifo", "intact"])
        if how == "flip":
            b = bytearray(data)
            b[rng.randrange(len(b))] ^= rng.randint(1, 255)
            path.write_bytes(bytes(b))
        elif how == "truncate":
            path.write_bytes(data[:rng.randrange(len(data))])
        elif how == "append":
            path.write_bytes(data + os.urandom(rng.randint(1, 64)))
        elif how == "header":  # another entry's header on this payload
            path.write_bytes(data[:len(MAGIC)] + os.urandom(40) + data[len(MAGIC) + 40:])
        elif how == "mode":
            os.chmod(path, rng.choice([0o602, 0o620, 0o666, 0o777]))
        elif how == "folder":
            path.unlink()
            path.mkdir()
        elif how == "symlink":
            path.unlink()
            path.symlink_to("/dev/zero")
        elif how == "fifo":
            path.unlink()
            os.mkfifo(path, 0o600)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", KernelCacheWarning)
            assert run(c, ir) == round_, how
        assert (c.stats.disk_hits, c.stats.compiles) == ((1, 0) if how == "intact" else (0, 1)), how
        if how == "folder":
            os.rmdir(path)


def test_disk_cache_lists_its_directory_on_the_first_write_and_then_only_now_and_then(tmp_path, monkeypatch):
    """Listing thousands of entries costs more than a compile: a process counts its own
    writes and lists again when the count passes the cap or every RESCAN_WRITES writes."""
    listings = []
    original = KernelCache._evict
    monkeypatch.setattr(KernelCache, "_evict", lambda self, root, cap: listings.append(1) or original(self, root, cap))
    c = fresh_cache(tmp_path)
    for i in range(cache_mod.RESCAN_WRITES + 5):
        c.write(f"{i:064x}", b"x" * 100)
    assert len(listings) == 2  # the first write, and the RESCAN_WRITES-th after it
    size = os.path.getsize(c.path(f"{0:064x}"))
    monkeypatch.setenv("MINITORCH_JIT_CACHE_MAX_MB", str((cache_mod.RESCAN_WRITES + 6) * size / 2 ** 20))
    c.write("ff" * 32, b"x" * 100)
    assert len(listings) == 2  # its count is under the cap
    c.write("fe" * 32, b"x" * 100)  # now over it: listed, and evicted to 90%
    assert len(listings) == 3
    left = list(tmp_path.rglob("*.o"))
    assert len(left) <= 0.9 * (cache_mod.RESCAN_WRITES + 6) and len(left) == c._disk_bytes // size


ADD_EXP_SCRIPT = """
import numpy as np
import minitorch_jit
from minitorch_jit.codegen.launch import FusedKernel
from minitorch_jit.ir.parser import parse_graph
k = FusedKernel(parse_graph('''graph(%a : Float(*, *), %b : Float(*, *)):
  %1 : Float(*, *) = aten::add(%a, %b)
  %2 : Float(*, *) = aten::exp(%1)
  return (%2)
'''))
a = np.ones((3, 4), np.float32)
print(bool(np.allclose(k(a, a), np.exp(2.0))))
"""


def _run_fused(cache_dir):
    import subprocess
    import sys
    env = dict(os.environ, MINITORCH_JIT_CACHE_DIR=str(cache_dir))
    return subprocess.run([sys.executable, "-c", ADD_EXP_SCRIPT], env=env, capture_output=True, text=True, check=True)


def _system_kernel(key, marker):
    """The object code of a kernel for ``key`` that runs ``touch marker`` through system()."""
    command = f"touch {marker}".encode() + b"\0"
    text = "".join(f"\\{b:02x}" for b in command)
    return target.compile_object(
        f'@cmd = private constant [{len(command)} x i8] c"{text}"\n'
        "declare i32 @system(ptr)\n"
        f'define void @"mtj_{key[:40]}"(ptr %a, ptr %b) {{\n'
        "  %r = call i32 @system(ptr @cmd)\n  ret void\n}\n")


@pytest.mark.parametrize("fmt", ["old format", "forged hmac"])
def test_cache_attack_planted_system_call_in_a_shared_cache_directory_does_not_run(tmp_path, fmt):
    """The attack of issue 12 item 1, end to end in a fresh process: a kernel that calls
    system() planted in a cache directory anyone can write, under the key a fused kernel of
    the victim will look up. It does not run; the kernel is compiled and computes exp(a + b).
    The control shows the planted code is real: stored as an entry this user wrote, it runs."""
    probe = tmp_path / "probe"
    _run_fused(probe)
    (entry,) = probe.rglob("*.o")
    key = entry.name[:-2]
    marker = tmp_path / "system_ran"
    evil = _system_kernel(key, marker)

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    plant(os.path.join(shared, key[:2], key + ".o"),
          old_format_entry(evil) if fmt == "old format" else forged_entry(evil, key))
    run_ = _run_fused(shared)
    assert run_.stdout.split() == ["True"] and not marker.exists()
    assert "KernelCacheWarning" in run_.stderr and "writable by group or others" in run_.stderr

    KernelCache(str(probe)).write(key, evil)  # the control: authentic, so loaded and run
    _run_fused(probe)
    assert marker.exists()

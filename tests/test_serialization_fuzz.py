"""Fuzzing load: thousands of mutated archives only ever give a LoadError or a correct load,
never another exception, a hang or a crash.

Raw mutations (flipped bytes, truncation, splices, deleted, renamed or repeated members)
leave the manifest as it was, so a load that succeeds must give exactly the original
object. Sealed mutations (altered model.json, graph text, arrays, version; any member's
bytes) rewrite the manifest as a tamperer would, so the archive may describe a different
but valid object: a load that succeeds must then give a well-formed one (its graphs verify,
its code generates, and saving and loading it again gives the same thing). Each mutation
is named in the failure message with its seed, so a failure can be replayed.
"""
import io
import json
import random
import re
import signal
import traceback

import numpy as np
import pytest

import minitorch_jit as torch
from minitorch_jit.ir import verify
from minitorch_jit.serialization import archive

from saved_models import members, pack, reseal, save_bytes, scripted_function, scripted_module, tiny_mlp

ROUNDS = 500  # per base archive and kind of mutation: 3 x 2 x 500 = 3000 loads


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


BASES = {
    "mlp": (tiny_mlp, [np.random.RandomState(0).randn(5, 3).astype(np.float32)]),
    "scripted_function": (scripted_function, [np.array([1.0, -2.0], np.float32)]),
    "scripted_module": (scripted_module, [np.random.RandomState(1).randn(2, 4).astype(np.float32)]),
}

JSON_VALUES = [None, True, False, 0, 1, -1, 2 ** 70, 1.5, "", "x", "forward", "data/0.npy", "code/forward.graph",
               "../../etc/passwd", "version", [], {}, [0], [1, 0], {"tensor": 0}, {"float": "nan"}, {"tuple": []},
               {"dtype": "float32"}, "Float(*, *)", "int", "0.weight", "__class__"]

GRAPH_TOKENS = ["aten::foo", "aten::add", "prim::Loop", "prim::If", "prim::Constant", "prim::CallFunction_0",
                "prim::FusionGroup_3", "%zz", "%x", "%1", "Float(2, 3)", "Long(*)", "Tensor", "int", "int[]",
                "(int, float)", "(", ")", "[", "]", ",", ":", "=", "CONSTANTS.c0", "CONSTANTS.c7", "9" * 30, "-1",
                "1e400", "nan", '"s"', "tensor([1.0], dtype=float32)", "block0():", "-> (%x)", "return",
                "\nwith prim::CallFunction_0 = graph(%a : Tensor):\n  return (%a)\n", "# comment", "\x00", "é"]


# -- mutations -----------------------------------------------------------------------------------------


def _flip(rng, data):
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        out[rng.randrange(len(out))] ^= rng.randint(1, 255)
    return "flip bytes", bytes(out)


def _truncate(rng, data):
    n = rng.randrange(len(data))
    return f"truncate to {n}", data[:n]


def _splice(rng, data):
    at = rng.randrange(len(data))
    if rng.random() < 0.5:
        return f"delete bytes at {at}", data[:at] + data[at + rng.randint(1, 64):]
    return f"insert bytes at {at}", data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[at:]


def _members_edit(rng, data):
    ms = list(members(data).items())
    i = rng.randrange(len(ms))
    name, body = ms[i]
    how = rng.choice(["delete", "rename", "repeat", "move"])
    if how == "delete":
        del ms[i]
    elif how == "rename":
        ms[i] = (name + rng.choice(["x", "/", ".npy", "/../a"]), body)
    elif how == "repeat":
        ms.append((name, rng.choice([body, b"", body[:-1]])))
    else:
        ms.insert(rng.randrange(len(ms)), ms.pop(i))
    return f"{how} member {name}", pack(ms)


RAW = [_flip, _truncate, _splice, _members_edit]


def _mutate_json(rng, doc):
    """Replace, delete or add one value somewhere in a JSON document."""
    path = []
    node = doc
    while isinstance(node, (dict, list)) and node and (not path or rng.random() < 0.8):
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append(key)
        if not isinstance(node[key], (dict, list)) or not node[key]:
            break
        node = node[key]
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    value = rng.choice(JSON_VALUES)
    if not path:
        return "replace the document", value
    key = path[-1]
    how = rng.choice(["replace", "replace", "delete", "add"])
    if how == "delete":
        del parent[key]
    elif how == "add" and isinstance(parent, dict):
        parent[rng.choice(["x", "tensor", "default", "0", "weight", "steps"])] = value
    elif how == "add":
        parent.insert(key, value)
    else:
        parent[key] = value
    return f"{how} {path}", doc


def _mutate_graph(rng, text):
    lines = text.split("\n")
    how = rng.choice(["token", "token", "token", "delete line", "repeat line", "swap lines"])
    if how == "token":
        pieces = re.split(r"(\s+|[()\[\],:=])", text)
        i = rng.choice([k for k, p in enumerate(pieces) if p.strip()])
        new = rng.choice(GRAPH_TOKENS + [p for p in pieces if p.strip()])
        pieces[i] = new if rng.random() < 0.8 else ""
        return f"token {i} -> {new!r}", "".join(pieces)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if how == "delete line":
        del lines[i]
    elif how == "repeat line":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return f"{how} {i} {j}", "\n".join(lines)


def _random_npy(rng):
    dtype = rng.choice([np.bool_, np.int32, np.int64, np.float32, np.float64, np.complex64, np.uint8, np.int16])
    shape = tuple(rng.randint(0, 4) for _ in range(rng.randint(0, 3)))
    return archive.encode_array(np.ones(shape, dtype)), f"{np.dtype(dtype).name}{list(shape)}"


def _sealed(rng, data):
    ms = members(data)
    # mostly the members that are parsed (JSON, graph text), where a tamperer has most room
    kind = rng.choices(["model.json", ".graph", ".npy", "version", ""], [35, 35, 20, 5, 5])[0]
    name = rng.choice([k for k in ms if k.endswith(kind) and not k.endswith("manifest.json")])
    body = ms[name]
    if kind == "model.json":
        what, doc = _mutate_json(rng, json.loads(body))
        body = json.dumps(doc).encode()
    elif kind == ".graph":
        what, text = _mutate_graph(rng, body.decode())
        body = text.encode()
    elif kind == ".npy" and rng.random() < 0.5:
        body, what = _random_npy(rng)
    elif kind == "version":
        body = rng.choice([b"0", b"2\n", b"1 ", b"", b"01", b"999999999999", b"\xff"])
        what = f"version {body!r}"
    else:
        out = bytearray(body)
        if out:
            out[rng.randrange(len(out))] ^= rng.randint(1, 255)
        body, what = bytes(out), "flip a byte"
    ms[name] = body
    return f"{what} in {name}", pack(reseal(ms))


def _manifest_edit(rng, data):
    ms = members(data)
    name = next(k for k in ms if k.endswith("manifest.json"))
    what, doc = _mutate_json(rng, json.loads(ms[name]))
    ms[name] = json.dumps(doc).encode()
    return f"manifest: {what}", pack(ms)


# -- what a load may give -----------------------------------------------------------------------------


def _compiled(obj):
    if isinstance(obj, torch.ScriptModule):
        return [(f"{path}.{name}", m) for path, mod in obj.named_modules() for name, m in mod._methods.items()]
    return [("", obj)]


def _fingerprint(obj):
    """Everything a load rebuilds, as text."""
    parts = [repr(obj)] + [f"{name}\n{fn.graph}\n{fn.code}\n{fn.signature}" for name, fn in _compiled(obj)]
    if isinstance(obj, torch.nn.Module):
        parts += [f"{k} {v.numpy().dtype} {v.numpy().tobytes().hex()}" for k, v in obj.state_dict().items()]
    return "\n".join(parts)


def _outputs(obj, inputs):
    out = obj(*[torch.from_numpy(a.copy()) for a in inputs])
    out = out if isinstance(out, tuple) else (out,)
    return [o.numpy().tobytes() if isinstance(o, torch.Tensor) else o for o in out]


def _check_well_formed(obj):
    for _, fn in _compiled(obj):
        verify(fn.graph)
        assert fn.code.startswith("def ")
    again = torch.load(io.BytesIO(save_bytes(obj)))
    assert _fingerprint(again) == _fingerprint(obj)


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("kind", ["raw", "sealed"])
def test_mutated_archives_load_correctly_or_raise_load_error(base, kind):
    build, inputs = BASES[base]
    original = build()
    data = save_bytes(original)
    expected = (_fingerprint(torch.load(io.BytesIO(data))), _outputs(original, inputs))
    mutators = RAW + [_manifest_edit] if kind == "raw" else [_sealed]
    outcomes = {"LoadError": 0, "loaded": 0}
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for seed in range(ROUNDS):
            rng = random.Random(f"{base}/{kind}/{seed}")
            what, mutated = rng.choice(mutators)(rng, data)
            signal.alarm(20)
            try:
                loaded = torch.load(io.BytesIO(mutated))
                if kind == "raw":
                    assert (_fingerprint(loaded), _outputs(loaded, inputs)) == expected, "a different object"
                else:
                    _check_well_formed(loaded)
                outcomes["loaded"] += 1
            except torch.LoadError:
                outcomes["LoadError"] += 1
            except BaseException as e:
                pytest.fail(f"seed {seed} ({what}): {type(e).__name__}: {e}\n{traceback.format_exc()}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    # the mutations reach both outcomes (a fuzzer that only ever breaks the zip tests little)
    assert outcomes["LoadError"] > ROUNDS // 4 and outcomes["loaded"] > 0, outcomes

"""Fuzzing load: thousands of mutated archives only ever give a LoadError or a correct load,
never another exception, a hang or a crash.

Raw mutations (flipped bytes, truncation, splices, deleted, renamed or repeated members)
leave the manifest as it was, so a load that succeeds must give exactly the original
object. Sealed mutations (altered model.json, graph text, arrays, version; any member's
bytes; and the attacks of issue 12: internal nodes and attributes, format strings that
Python would expand, methods named after module internals, deep module chains, huge JSON
integers, keyword parameter names) rewrite the manifest as a tamperer would, so the
archive may describe a different but valid object: a load that succeeds must then give a
well-formed one (its graphs verify, its code generates, saving and loading it again gives
the same thing, and calling it gives a value or an error of the program, never an internal
error like AttributeError). Each mutation is named in the failure message with its seed,
so a failure can be replayed.
"""
import io
import json
import random
import re
import signal
import traceback

import numpy as np
import pytest
from saved_models import members, pack, reseal, save_bytes, scripted_function, scripted_module, tiny_mlp

import minitorch_jit as torch
from minitorch_jit.ir import verify
from minitorch_jit.serialization import archive, save_load

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
               {"dtype": "float32"}, "Float(*, *)", "int", "0.weight", "__class__", "class", "_modules",
               "_parameters", "HUGE_INT"]
HUGE_INT = "9" * 5000  # more digits than Python converts; written into the JSON text for "HUGE_INT"

GRAPH_TOKENS = ["aten::foo", "aten::add", "prim::Loop", "prim::If", "prim::Constant", "prim::CallFunction_0",
                "prim::FusionGroup_3", "%zz", "%x", "%1", "Float(2, 3)", "Long(*)", "Tensor", "int", "int[]",
                "(int, float)", "(", ")", "[", "]", ",", ":", "=", "CONSTANTS.c0", "CONSTANTS.c7", "9" * 30, "-1",
                "1e400", "nan", '"s"', "tensor([1.0], dtype=float32)", "block0():", "-> (%x)", "return",
                "\nwith prim::CallFunction_0 = graph(%a : Tensor):\n  return (%a)\n", "# comment", "\x00", "é",
                "prim::FusionGroup_1", "\nwith prim::FusionGroup_1 = graph(%a : Tensor):\n  return (%a)\n",
                "[Subgraph=1]", "tensor([99999999999999999999999], dtype=int64)", '"{0.__class__}"',
                '"{:>2500000000}"', "aten::format"]


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
        parent[rng.choice(["x", "tensor", "default", "0", "weight", "steps", "_modules", "_parameters",
                           "state_dict"])] = value
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
        body = json.dumps(doc).replace('"HUGE_INT"', HUGE_INT).encode()
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
    ms[name] = json.dumps(doc).replace('"HUGE_INT"', HUGE_INT).encode()
    return f"manifest: {what}", pack(ms)


FORMATS = ["{0.__init__.__globals__}", "{0:>2500000000}", "{0}", "{x}", "{!r}", "{{}}", "{", "}", "{} ok {}", "plain",
           "{}"]


def _attack(rng, data):
    """One of the attacks of issue 12 on a graph or on model.json, resealed."""
    ms = members(data)
    graphs = [k for k in ms if k.endswith(".graph")]
    model = next(k for k in ms if k.endswith("/model.json"))
    doc = json.loads(ms[model])
    name = rng.choice(graphs)
    text = ms[name].decode()
    first = re.match(r"graph\((%[^ ]+) : ([^,)]+(?:\([^)]*\))?)", text)
    how = rng.choice(["format", "fusion group", "attribute", "method name", "chain", "keyword parameter"])
    if how == "format":
        fmt = rng.choice(FORMATS)
        line = (f"  %fmt_s : str = prim::Constant[value={json.dumps(fmt)}]()\n"
                f"  %fmt_o : str = aten::format(%fmt_s, {first.group(1)})\n")
        text = text.replace(":\n", ":\n" + line, 1)
        what = f"format {fmt!r} in {name}"
    elif how == "fusion group":
        text = text.replace(":\n", f":\n  %fg : {first.group(2)} = prim::FusionGroup_9({first.group(1)})\n", 1)
        text += f"with prim::FusionGroup_9 = graph(%a : {first.group(2)}):\n  return (%a)\n"
        what = f"fusion group in {name}"
    elif how == "attribute":
        attr = rng.choice(["Subgraph=1", "unrolled=True", "name=\"x\""])
        text = re.sub(r"(= aten::[a-z_]+)\(", lambda m: f"{m.group(1)}[{attr}](", text, count=1)
        what = f"attribute {attr} in {name}"
    elif how == "method name" and doc["kind"] == "module":
        methods = doc["modules"][0]["methods"]
        new = rng.choice(["_modules", "_parameters", "_buffers", "_methods", "state_dict", "__dict__"])
        methods[new] = methods.pop(next(iter(methods)))
        what = f"method renamed {new}"
    elif how == "chain" and doc["kind"] == "module":
        depth = rng.choice([save_load.MAX_MODULE_DEPTH + 1, 5000])
        doc["modules"] += [{"original_name": "M", "training": False, "parameters": {}, "buffers": {},
                            "attributes": {}, "children": {"c": i + 1}, "methods": {}}
                           for i in range(len(doc["modules"]), len(doc["modules"]) + depth)]
        doc["modules"][-1]["children"] = {}
        doc["modules"][0]["children"]["chain"] = len(doc["modules"]) - depth
        what = f"module chain {depth} deep"
    else:
        fn = doc["function"] if doc["kind"] == "function" else next(iter(doc["modules"][0]["methods"].values()))
        keyword = rng.choice(["class", "def", "None", "lambda"])
        fn["signature"][0]["name"] = keyword
        what = f"parameter named {keyword}"
    ms[name] = text.encode()
    ms[model] = json.dumps(doc).encode()
    return what, pack(reseal(ms))


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


# What a program may raise when called: its own errors (a shape that does not fit, an
# index out of range); internal errors (AttributeError, KeyError, NotImplementedError...)
# would mean a loaded graph the executor cannot run.
PROGRAM_ERRORS = (RuntimeError, ValueError, TypeError, IndexError, ZeroDivisionError)


CALL_SECONDS = 2  # a tampered loop count or default (2 ** 70) makes a slow program, not a bad load


def _check_well_formed(obj, inputs):
    for _, fn in _compiled(obj):
        verify(fn.graph)
        assert fn.code.startswith("def ")
    again = torch.jit.load(io.BytesIO(save_bytes(obj)))
    assert _fingerprint(again) == _fingerprint(obj)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    try:
        _outputs(obj, inputs)
    except PROGRAM_ERRORS + (Hang,):
        pass


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("kind", ["raw", "sealed"])
def test_mutated_archives_load_correctly_or_raise_load_error(base, kind):
    build, inputs = BASES[base]
    original = build()
    data = save_bytes(original)
    expected = (_fingerprint(torch.jit.load(io.BytesIO(data))), _outputs(original, inputs))
    mutators = RAW + [_manifest_edit] if kind == "raw" else [_sealed, _sealed, _sealed, _attack]
    outcomes = {"LoadError": 0, "loaded": 0}
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for seed in range(ROUNDS):
            rng = random.Random(f"{base}/{kind}/{seed}")
            what, mutated = rng.choice(mutators)(rng, data)
            signal.alarm(20)
            try:
                loaded = torch.jit.load(io.BytesIO(mutated))
                if kind == "raw":
                    assert (_fingerprint(loaded), _outputs(loaded, inputs)) == expected, "a different object"
                else:
                    _check_well_formed(loaded, inputs)
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

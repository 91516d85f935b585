"""save/load: round trips that are exact in a fresh process, and every kind of bad archive
turned into a LoadError that says what is wrong."""
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from saved_models import (
    edited,
    members,
    pack,
    real_scripted_function,
    real_scripted_module,
    reseal,
    save_bytes,
    scripted_function,
    scripted_module,
    tiny_mlp,
)

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.bench.programs.lenet import LeNet
from minitorch_jit.bench.programs.mlp import mlp
from minitorch_jit.serialization import archive


def traced_mlp():
    torch.manual_seed(0)
    return torch.trace(mlp().eval(), torch.randn(8, 8))


def traced_lenet():
    torch.manual_seed(0)
    return torch.trace(LeNet().eval(), torch.randn(2, 1, 28, 28))


def traced_function():
    torch.manual_seed(0)
    c = torch.randn(3)

    def scaled_sum(x):
        return (x * c).to(torch.float64).sum(dim=[0])
    return torch.trace(scaled_sum, torch.randn(3))


# name -> (builder, inputs as lists of arrays)
CASES = {
    "mlp": (traced_mlp, [[np.random.RandomState(0).randn(32, 8).astype(np.float32)]]),
    "lenet": (traced_lenet, [[np.random.RandomState(1).randn(3, 1, 28, 28).astype(np.float32)]]),
    "function": (traced_function, [[np.random.RandomState(2).randn(3).astype(np.float32)]]),
    "scripted_function": (scripted_function, [[np.array([1.0, -0.5], np.float32)],
                                              [np.array([-1.0, -0.5], np.float32), 2, 2.0]]),
    "scripted_module": (scripted_module, [[np.random.RandomState(3).randn(5, 4).astype(np.float32)]]),
    "real_scripted_function": (real_scripted_function, [[np.array([1.0, -0.5], np.float32)],
                                                        [np.array([-1.0, -0.5], np.float32), 5, 2.0]]),
    "real_scripted_module": (real_scripted_module, [[np.random.RandomState(4).randn(5, 4).astype(np.float32)]]),
}

# Loads each archive and writes what it computes and shows; run with only the worktree on
# the path, so the Python that defined the models (tests/) cannot be imported.
CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import minitorch_jit as torch
    cases = json.load(open("cases.json"))
    report, arrays = {}, {}
    for name, n_inputs in cases.items():
        obj = torch.jit.load(name + ".mtj")
        report[name] = {"graph": str(obj.graph), "code": obj.code, "repr": repr(obj),
                        "state_dict": list(obj.state_dict()) if isinstance(obj, torch.nn.Module) else [],
                        "parameters": len(list(obj.parameters())) if isinstance(obj, torch.nn.Module) else 0}
        for k, v in (obj.state_dict().items() if isinstance(obj, torch.nn.Module) else []):
            arrays[f"{name}/state/{k}"] = v.numpy()
        for i in range(n_inputs):
            inputs = json.load(open(f"{name}.{i}.json"))
            args = [torch.from_numpy(np.load(f"{name}.{i}.{j}.npy")) if a == "tensor" else a
                    for j, a in enumerate(inputs)]
            out = obj(*args)
            out = out if isinstance(out, tuple) else (out,)
            report[name][f"graph_for{i}"] = str(obj.graph_for(*args))
            report[name][f"plain{i}"] = [o for o in out if not isinstance(o, torch.Tensor)]
            for k, o in enumerate(out):
                if isinstance(o, torch.Tensor):
                    arrays[f"{name}/out{i}/{k}"] = o.numpy()
    np.savez("outputs.npz", **arrays)
    json.dump(report, open("report.json", "w"))
    assert "models" not in sys.modules and "saved_models" not in sys.modules
    """)


def _args(values):
    return [torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for v in values]


def test_round_trip_in_a_fresh_process_is_exact(tmp_path):
    expected = {}
    for name, (build, inputs) in CASES.items():
        obj = build()
        obj.save(str(tmp_path / f"{name}.mtj"))
        expected[name] = obj
        for i, values in enumerate(inputs):
            (tmp_path / f"{name}.{i}.json").write_text(json.dumps(
                ["tensor" if isinstance(v, np.ndarray) else v for v in values]))
            for j, v in enumerate(values):
                if isinstance(v, np.ndarray):
                    np.save(tmp_path / f"{name}.{i}.{j}.npy", v)
    (tmp_path / "cases.json").write_text(json.dumps({n: len(c[1]) for n, c in CASES.items()}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    with np.load(tmp_path / "outputs.npz") as arrays:
        for name, obj in expected.items():
            got = report[name]
            assert got["graph"] == str(obj.graph)
            assert got["code"] == obj.code
            assert got["repr"] == repr(obj)
            if isinstance(obj, nn.Module):
                state = obj.state_dict()
                assert got["state_dict"] == list(state)
                assert got["parameters"] == len(list(obj.parameters()))
                for k, v in state.items():
                    np.testing.assert_array_equal(arrays[f"{name}/state/{k}"], v.numpy(), strict=True)
            for i, values in enumerate(CASES[name][1]):
                out = obj(*_args(values))
                out = out if isinstance(out, tuple) else (out,)
                assert got[f"graph_for{i}"] == str(obj.graph_for(*_args(values)))
                assert got[f"plain{i}"] == [list(o) if isinstance(o, tuple) else o
                                            for o in out if not isinstance(o, torch.Tensor)]
                for k, o in enumerate(out):
                    if isinstance(o, torch.Tensor):
                        assert arrays[f"{name}/out{i}/{k}"].tobytes() == o.numpy().tobytes()
                        assert arrays[f"{name}/out{i}/{k}"].dtype == o.numpy().dtype


def test_loaded_module_keeps_structure_sharing_and_state():
    net = scripted_module()
    loaded = torch.jit.load(io.BytesIO(save_bytes(net)))
    assert loaded.fc is loaded.fc_again and loaded.unused is None
    assert loaded.steps == 3 and loaded.original_name == "Net"
    assert [k for k, _ in loaded.named_buffers()] == ["scale", "scratch"]
    assert list(loaded.state_dict()) == list(net.state_dict())  # the non-persistent buffer stays out
    assert str(loaded.fc.graph) == str(net.fc.graph)  # a submodule's own compiled method
    x = torch.randn(2, 4)
    np.testing.assert_array_equal(loaded.fc(x).numpy(), net.fc(x).numpy())
    # attributes are read at each call, as before saving
    assert "training" not in json.loads(members(save_bytes(net))["archive/model.json"])["modules"][0]["attributes"]
    loaded.eval()
    net.eval()
    assert loaded(x).numpy().tobytes() == net(x).numpy().tobytes()
    loaded.load_state_dict({k: v * 0 for k, v in loaded.state_dict().items()})
    assert loaded(x).abs().sum().item() == 0.0


def test_tied_weights_stay_tied_and_flags_survive():
    m = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    m[1].weight = m[0].weight
    m[0].train(False)
    traced = torch.trace(m, torch.randn(2, 4))
    traced._modules["0"].weight.requires_grad_(False)
    loaded = torch.jit.load(io.BytesIO(save_bytes(traced)))
    assert loaded._modules["1"].weight is loaded._modules["0"].weight
    assert isinstance(loaded._modules["0"].weight, nn.Parameter) and not loaded._modules["0"].weight.requires_grad
    assert len(list(loaded.parameters())) == len(list(traced.parameters())) == 3
    assert [mod.training for mod in loaded.modules()] == [mod.training for mod in traced.modules()] == [True, False,
                                                                                                       True]


def test_save_is_deterministic_and_accepts_file_objects(tmp_path):
    fn = traced_function()
    fn.save(tmp_path / "a.mtj")
    torch.jit.save(fn, str(tmp_path / "b.mtj"))
    a, b = (tmp_path / "a.mtj").read_bytes(), (tmp_path / "b.mtj").read_bytes()
    assert members(a) == {k.replace("b/", "a/", 1): v for k, v in members(b).items()}
    assert (tmp_path / "a.mtj").read_bytes() == a  # nothing else written beside it
    assert sorted(os.listdir(tmp_path)) == ["a.mtj", "b.mtj"]
    assert save_bytes(fn) == save_bytes(fn)
    assert str(torch.jit.load(io.BytesIO(save_bytes(fn))).graph) == str(fn.graph)


def test_archive_layout(tmp_path):
    traced_mlp().save(tmp_path / "mlp.mtj")
    with zipfile.ZipFile(tmp_path / "mlp.mtj") as zf:
        names = zf.namelist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        assert zf.read("mlp/version") == b"1\n"
        model = json.loads(zf.read("mlp/model.json"))
        graph = zf.read("mlp/code/forward.graph").decode()
    assert names == ["mlp/version", "mlp/model.json", "mlp/code/forward.graph", "mlp/code/forward.py"] + \
        [f"mlp/data/{i}.npy" for i in range(4)] + ["mlp/manifest.json"]
    assert model["modules"][0]["methods"]["forward"]["attr_paths"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert graph.startswith("graph(%x : Float(*, *), %self.0.weight : Float(*, *)")


def test_tensor_constants_are_stored_as_arrays():
    data = save_bytes(traced_function())
    ms = members(data)
    assert "tensor(" not in ms["archive/code/scaled_sum.graph"].decode()
    assert "prim::Constant[value=CONSTANTS.c0]()" in ms["archive/code/scaled_sum.graph"].decode()
    assert np.load(io.BytesIO(ms["archive/constants/c0.npy"]), allow_pickle=False).shape == (3,)


# -- saving errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("obj, words", [
    (nn.Linear(2, 2), r"saves compiled functions and modules \(made by trace or script\), not a Linear"),
    (lambda x: x, "not a function"),
])
def test_saving_something_not_compiled_is_a_type_error(tmp_path, obj, words):
    with pytest.raises(TypeError, match=words):
        torch.jit.save(obj, tmp_path / "x.mtj")
    assert os.listdir(tmp_path) == []


def test_saving_a_method_asks_for_its_module():
    with pytest.raises(TypeError, match="forward is a method of a module: save the module that owns it"):
        torch.jit.save(traced_mlp()._methods["forward"], io.BytesIO())


def test_a_default_that_cannot_be_saved_is_a_type_error():
    fn = scripted_function()
    fn.signature = fn.signature.replace(parameters=[p.replace(default=object()) if p.name == "scale" else p
                                                    for p in fn.signature.parameters.values()])
    with pytest.raises(TypeError, match="cannot save the default of scale in f: a object"):
        save_bytes(fn)


def test_a_failed_save_leaves_the_target_untouched(tmp_path, monkeypatch):
    target = tmp_path / "model.mtj"
    target.write_bytes(b"the previous archive")
    calls = []

    def failing(zf, name, data):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        zf.writestr(name, data)
    monkeypatch.setattr(archive, "_write_member", failing)
    with pytest.raises(OSError, match="disk full"):
        traced_mlp().save(target)
    assert target.read_bytes() == b"the previous archive"
    assert os.listdir(tmp_path) == ["model.mtj"]  # and no temporary file left behind


def test_saving_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        traced_mlp().save(tmp_path / "nowhere" / "m.mtj")
    assert os.listdir(tmp_path) == []


# -- bad archives --------------------------------------------------------------------------------------


def _flip_byte_of_member(data: bytes, name: str) -> bytes:
    """Change one data byte of a member and rebuild the zip (so the zip's own CRC is right
    and only the manifest can tell)."""
    ms = members(data)
    full = f"archive/{name}"
    ms[full] = ms[full][:-1] + bytes([ms[full][-1] ^ 1])
    return pack(ms)


def _set_central_size(data: bytes, size: int) -> bytes:
    """Make every central directory entry declare ``size`` uncompressed bytes."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", out, at + 24, size)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def _set_central_flag(data: bytes, bit: int) -> bytes:
    """Set a general purpose flag bit in every central directory entry."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        out[at + 8] |= bit
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def _npy(arr):
    return archive.encode_array(arr)


def _write_object_npy():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _json_edit(change):
    def edit(raw):
        doc = json.loads(raw)
        change(doc)
        return json.dumps(doc).encode()
    return edit


MLP = save_bytes(tiny_mlp())
FN = save_bytes(traced_function())
NET = save_bytes(scripted_module())
SCRIPTED = save_bytes(scripted_function())

BAD = {
    "not a zip": (b"hello, I am not a zip file", "not a readable zip file"),
    "empty": (b"", "not a readable zip file"),
    "empty zip": (pack({}), "the zip file is empty"),
    "truncated": (MLP[:len(MLP) // 2], "not a readable zip file"),
    "not our zip": (pack({"a/readme.txt": b"hi"}), "it has no version member"),
    "newer version": (pack({**members(MLP), "archive/version": b"2\n"}),
                      r"written by a newer minitorch_jit \(format version 2; this minitorch_jit reads versions up "
                      r"to 1\): upgrade"),
    "garbage version": (pack(reseal({**members(MLP), "archive/version": b"one"})), "not a format version number"),
    "deleted member": (pack({k: v for k, v in members(MLP).items() if k != "archive/data/1.npy"}),
                       r"member archive/data/1.npy is missing \(a deleted or renamed member\)"),
    "renamed member": (pack({k.replace("data/1.npy", "data/9.npy"): v for k, v in members(MLP).items()}),
                       r"member archive/data/9.npy is not in the manifest \(an extra or renamed member\)"),
    "added member": (pack(reseal(members(MLP)) | {"archive/extra": b"x"}), "archive/extra is not in the manifest"),
    "duplicate member": (pack(list(members(MLP).items()) + [("archive/data/0.npy", b"x")]),
                         "member 'archive/data/0.npy' appears twice"),
    "altered member": (_flip_byte_of_member(MLP, "data/0.npy"),
                       "member archive/data/0.npy does not match its checksum in the manifest"),
    "altered bytes, zip crc": (MLP.replace(members(MLP)["archive/code/forward.graph"][:20], b"X" * 20),
                               "cannot be read: Bad CRC-32"),
    "path traversal": (pack(members(MLP) | {"archive/../../evil.py": b"x"}), "unsafe or malformed name"),
    "absolute name": (pack(members(MLP) | {"/etc/passwd": b"x"}), "unsafe or malformed name"),
    "backslash name": (pack(members(MLP) | {"archive\\..\\evil": b"x"}), "unsafe or malformed name"),
    "outside the top folder": (pack(members(MLP) | {"other/x": b"x"}), "outside the archive's top folder"),
    "compressed member (zip bomb)": (pack(members(MLP), zipfile.ZIP_DEFLATED),
                                     "is compressed; minitorch_jit archives store members uncompressed"),
    "oversized member": (_set_central_size(MLP, 2 ** 31), "declares 2147483648 bytes, more than the archive holds"),
    "encrypted member": (_set_central_flag(MLP, 0x1), "is encrypted"),
    "manifest not json": (pack(members(MLP) | {"archive/manifest.json": b"{"}), "manifest.json is not valid JSON"),
    "manifest without sizes": (pack(members(MLP) | {"archive/manifest.json": b'{"members": {"version": {}}}'}),
                               'needs an integer "size" and a hex "sha256"'),
    "model not json": (edited(MLP, "model.json", lambda b: b[:-5]), "model.json is not valid JSON"),
    "model nested too deeply": (edited(MLP, "model.json", lambda b: b"[" * 100000 + b"]" * 100000),
                                "model.json is nested too deeply"),
    "repeated json key": (edited(MLP, "model.json", lambda b: b.replace(b'"kind": "module"',
                                                                       b'"kind": "module", "kind": "function"')),
                          "key 'kind' appears twice"),
    "NaN in json": (edited(MLP, "model.json", lambda b: b.replace(b'"training": false', b'"training": NaN', 1)),
                    "NaN is not JSON"),
    "unknown kind": (edited(MLP, "model.json", _json_edit(lambda d: d.update(kind="pickle"))),
                     "unknown kind 'pickle'"),
    "wrong json type": (edited(MLP, "model.json", _json_edit(lambda d: d["modules"][0].update(training="yes"))),
                        r"model.json.modules\[0\].training: expected bool, found str"),
    "missing graph member": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][0]["methods"]["forward"].update(graph="code/nothing.graph"))),
        "the archive has no member 'code/nothing.graph'"),
    "version as graph": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][0]["methods"]["forward"].update(graph="version"))), "the archive has no member"),
    "unknown op": (edited(MLP, "code/forward.graph", lambda b: b.replace(b"aten::tanh", b"aten::tanhh")),
                   "code/forward.graph: unknown op aten::tanhh"),
    "graph syntax": (edited(MLP, "code/forward.graph", lambda b: b.replace(b"return (", b"return (%zz, ")),
                     r"code/forward.graph: line 5, column \d+: use of undefined value %zz"),
    "graph fails the verifier": (edited(MLP, "code/forward.graph",
                                        lambda b: b.replace(b"%2 : Float(*, *) = aten::tanh",
                                                            b"%2 : Long(*, *) = aten::tanh")),
                                 "code/forward.graph: output type Long.* has dtype int64"),
    "graph not utf-8": (edited(MLP, "code/forward.graph", lambda b: b"\xff" + b), "is not UTF-8 text"),
    "graph with inputs missing": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][0]["methods"]["forward"]["attr_paths"].pop())),
        "its graph takes 5 inputs, its signature and attributes give 4"),
    "parameter of the wrong dtype": (edited(MLP, "data/0.npy", lambda b: _npy(np.zeros((4, 3), np.float64))),
                                     r"0.weight is a float64 tensor, the graph expects Float\(\*, \*\)"),
    "parameter of the wrong rank": (edited(MLP, "data/0.npy", lambda b: _npy(np.zeros(12, np.float32))),
                                    r"0.weight is a tensor of shape \[12\], the graph expects Float\(\*, \*\)"),
    "constant of the wrong dtype": (edited(FN, "constants/c0.npy", lambda b: _npy(np.zeros(3, np.int64))),
                                    r"tensor constant of dtype int64 typed Float\(3\)"),
    "constant of the wrong shape": (edited(FN, "constants/c0.npy", lambda b: _npy(np.zeros(4, np.float32))),
                                    r"tensor constant of shape \(4,\) typed Float\(3\)"),
    "missing constant": (edited(FN, "model.json", _json_edit(lambda d: d.update(constants=[]))),
                         "reference to a tensor constant that is not in the constants table"),
    "object array": (edited(MLP, "data/0.npy", lambda b: _write_object_npy()), "unsupported .npy header"),
    "complex array": (edited(MLP, "data/0.npy", lambda b: _npy(np.zeros((4, 3), np.complex64))),
                      "unsupported .npy header"),
    "not npy": (edited(MLP, "data/0.npy", lambda b: b"PK\x03\x04"), r"data/0.npy is not a .npy array"),
    "short npy data": (edited(MLP, "data/0.npy", lambda b: b[:-4]),
                       r"a float32 array of shape \[4, 3\] needs 48 bytes of data, the member has 44"),
    "huge npy shape": (edited(MLP, "data/0.npy", lambda b: b.replace(b"(4, 3), }     ", b"(999999, 3), }")),
                       "needs 11999988 bytes of data, the member has 48"),
    "bool bytes not 0/1": (edited(NET, "data/3.npy", lambda b: _npy(np.zeros(2, np.bool_))[:-1] + b"\x02"),
                           "a bool array holds bytes other than 0 and 1"),
    "module contains itself": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][1]["children"].update(parent=0))), r"is not the index of another module"),
    "module cycle": (edited(MLP, "model.json", _json_edit(lambda d: (d["modules"][1]["children"].update(x=2),
                                                                     d["modules"][2]["children"].update(y=1)))),
                     r"model.json.modules\[1\] contains itself"),
    "orphan module": (edited(MLP, "model.json", _json_edit(lambda d: d["modules"][0]["children"].pop("2"))),
                      r"model.json.modules\[3\] is not part of the module tree"),
    "tensor index out of range": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][1]["parameters"].update(weight=99))), "index 99 is out of range"),
    "buffer that is a parameter": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][1]["buffers"].update(b={"tensor": 0, "persistent": True}))),
        "tensor 0 is a parameter, not a buffer"),
    "bad parameter name": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][1]["parameters"].update({"a.b": 0}))), "'a.b' is not a valid name"),
    "name used twice": (edited(MLP, "model.json", _json_edit(
        lambda d: d["modules"][1]["children"].update(weight=None))), "a name is used twice"),
    "attribute shadowing the module": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][0]["attributes"].update(forward={"type": "int", "value": 1}))),
        "attributes.forward: not a valid attribute name"),
    "attribute of the wrong type": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][0]["attributes"]["steps"].update(value="three"))),
        "attributes.steps: a str does not fit the graph's type int"),
    "attribute with a bad type": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][0]["attributes"]["steps"].update(type="int]"))), "bad type 'int]'"),
    "attribute path into python": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][0]["methods"]["forward"]["attr_paths"].__setitem__(2, "__class__"))),
        "'__class__' names no parameter, buffer or attribute of the module"),
    "default of the wrong type": (edited(SCRIPTED, "model.json", _json_edit(
        lambda d: d["function"]["signature"][1].update(default="three"))),
        "the default 'three' of n does not fit its type int"),
    "bad default value": (edited(SCRIPTED, "model.json", _json_edit(
        lambda d: d["function"]["signature"][1].update(default={"eval": "1"}))), "is not a saved value"),
    "signature order": (edited(SCRIPTED, "model.json", _json_edit(
        lambda d: d["function"]["signature"].reverse())), "non-default argument follows default argument"),
    "subgraph calling itself": (edited(SCRIPTED, "code/f.graph", lambda b: b.replace(
        b"%r2 : Float(*) = aten::tanh(%r)", b'%r2 : Float(*) = prim::CallFunction_0[name="step"](%r, %q)')),
        "subgraph prim::CallFunction_0 is used by itself"),
    "deeply nested type": (edited(MLP, "code/forward.graph", lambda b: b.replace(
        b"%x : Float(*, *)", b"%x : " + b"(" * 5000 + b"int" + b")" * 5000, 1)), "nested too deeply"),
    "deeply nested attribute type": (edited(NET, "model.json", _json_edit(
        lambda d: d["modules"][0]["attributes"]["steps"].update(type="int" + "[]" * 5000))),
        "nests a type, value or graph too deeply"),
    "dtype constant smuggling code": (edited(FN, "code/scaled_sum.graph", lambda b: b.replace(
        b'value="float64"', b'value="float64; import os"')), "dtype constants are dtype names"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_archives_raise_load_error_saying_what_is_wrong(case):
    data, words = BAD[case]
    with pytest.raises(torch.LoadError, match=words):
        torch.jit.load(io.BytesIO(data))


def test_a_text_member_larger_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(archive, "MAX_TEXT_BYTES", 100)
    with pytest.raises(torch.LoadError, match="manifest.json is [0-9]+ bytes, more than the 100 a text member may"):
        torch.jit.load(io.BytesIO(MLP))


def test_load_error_is_one_documented_type():
    assert torch.LoadError is torch.jit.LoadError and issubclass(torch.LoadError, RuntimeError)
    assert "newer minitorch_jit" in torch.LoadError.__doc__


def test_bad_archive_from_a_path_names_the_problem(tmp_path):
    path = tmp_path / "m.mtj"
    path.write_bytes(BAD["altered member"][0])
    with pytest.raises(torch.LoadError, match="does not match its checksum"):
        torch.jit.load(path)
    with pytest.raises(FileNotFoundError):
        torch.jit.load(tmp_path / "missing.mtj")


def test_npy_decoding_accepts_what_numpy_writes():
    for arr in (np.arange(6, dtype=np.int32).reshape(2, 3), np.asfortranarray(np.ones((2, 3), np.float64)),
                np.array(3.5, np.float32), np.zeros((0, 4), np.int64), np.array([True, False]),
                np.arange(4, dtype=">f4")):
        back = archive.decode_array(_npy(arr), "x.npy")
        assert back.dtype == arr.dtype.newbyteorder("=") and back.dtype.isnative
        assert back.flags.writeable and back.flags.f_contiguous == arr.flags.f_contiguous
        np.testing.assert_array_equal(back, arr)


def _payload(marker) -> bytes:
    return f"__import__('pathlib').Path({str(marker)!r}).touch()".encode()


INJECTIONS = {  # graph text that would create the marker file if any of it were evaluated
    "string constant": lambda p: (b"%zero : int = prim::Constant[value=0]()",
                                  b"%zero : int = prim::Constant[value=0]()\n  %msg : str = prim::Constant[value=\"'''+"
                                  + p + b"+'''\\n\"]()\n  = prim::Print(%msg)"),
    "call name": lambda p: (b'[name="step"]', b'[name="step\\"); ' + p + b'; (\\""]'),
    "value name": lambda p: (b"%acc", b"%__import__"),
}


@pytest.mark.parametrize("case", list(INJECTIONS))
def test_graph_text_is_never_evaluated(tmp_path, case):
    """Loading goes through the parser only, and the host code made from a loaded graph quotes
    strings and sanitizes names: code smuggled into the graph text stays data."""
    marker = tmp_path / "executed"
    old, new = INJECTIONS[case](_payload(marker))
    data = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(old, new))
    assert data != SCRIPTED
    loaded = torch.jit.load(io.BytesIO(data))
    assert "__import__" in loaded.code  # the payload reached the generated code, as data
    x = torch.tensor([1.0, -2.0])
    out = loaded(x)
    assert out[0].numpy().tobytes() == scripted_function()(x)[0].numpy().tobytes()
    loaded.graph_for(x)
    assert not marker.exists()

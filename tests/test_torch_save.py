"""``torch.save`` / ``torch.load`` of tensors, state dicts and the plain values around them
(our own archive format, never pickle), ``map_location=``, and ``torch.jit.save`` /
``torch.jit.load`` with ``_extra_files``."""
import io
import json
import warnings
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from saved_models import edited, members, tiny_mlp

import minitorch_jit as torch
from minitorch_jit import nn


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **load_kwargs)


def test_a_tensor_keeps_dtype_shape_values_and_parameter_kind():
    for t in (torch.arange(6).view(2, 3), torch.randn(3, 2).t(), torch.tensor(True), torch.zeros(0, 4, dtype=torch.float64)):
        got = roundtrip(t)
        assert got.dtype == t.dtype and tuple(got.shape) == tuple(t.shape)
        np.testing.assert_array_equal(got.numpy(), t.numpy())
    p = roundtrip(nn.Parameter(torch.ones(2), requires_grad=False))
    assert isinstance(p, nn.Parameter) and p.requires_grad is False


def test_containers_of_tensors_and_plain_values_come_back_as_they_were():
    shared = torch.ones(3)
    obj = {"list": [shared, shared, 1, 2.5, float("inf"), "s", None, True],
           "tuple": (torch.float64, torch.Size([2, 3])), 7: {"nested": [[shared]]}, (1, "k"): float("nan")}
    got = roundtrip(obj)
    assert list(got) == ["list", "tuple", 7, (1, "k")] and type(got) is dict
    lst = got["list"]
    assert lst[0] is lst[1] and got[7]["nested"][0][0] is lst[0]  # one tensor saved once stays one tensor
    assert lst[2:] == [1, 2.5, float("inf"), "s", None, True] and type(lst[2]) is int
    assert got["tuple"] == (torch.float64, torch.Size([2, 3])) and isinstance(got["tuple"][1], torch.Size)
    assert np.isnan(got[(1, "k")])


def test_a_state_dict_round_trips_into_a_fresh_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    model(torch.randn(5, 3))  # moves the running statistics
    sd = roundtrip(model.state_dict(), map_location="cpu")
    assert isinstance(sd, OrderedDict) and list(sd) == list(model.state_dict())
    assert sd["1.num_batches_tracked"].dtype == torch.int64
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    assert repr(fresh.load_state_dict(sd)) == "<All keys matched successfully>"
    x = torch.randn(2, 3)
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), model.eval()(x).numpy())


def test_save_to_a_path_and_load_from_it(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"w": torch.arange(4)}, str(path))
    assert torch.load(path)["w"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("obj, words", [
    (nn.Linear(2, 2), r"a Linear \(save its state_dict\(\), or a compiled module with torch.jit.save\)"),
    ({"f": lambda x: x}, r"cannot save the object\['f'\]: a function"),
    ([{1, 2}], r"cannot save the object\[0\]: a set"),
    (np.ones(2), "a ndarray"),
])
def test_objects_pytorch_would_pickle_are_refused_when_saving(obj, words):
    with pytest.raises(TypeError, match=words):
        torch.save(obj, io.BytesIO())


def test_pickle_modules_are_refused():
    with pytest.raises(ValueError, match="never pickles"):
        torch.save(torch.ones(1), io.BytesIO(), pickle_module=object())
    with pytest.raises(ValueError, match="never unpickles"):
        torch.load(io.BytesIO(), pickle_module=object())


class _Device:
    def __init__(self, type):
        self.type = type


@pytest.mark.parametrize("location", [None, "cpu", _Device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cpu"}])
def test_map_location_to_the_cpu_changes_nothing(location):
    got = roundtrip([torch.ones(2)], map_location=location)
    assert got[0].tolist() == [1.0, 1.0]


def test_map_location_callable_is_given_each_tensor():
    seen = []

    def to_double(t, location):
        seen.append(location)
        return t.double()
    got = roundtrip({"a": torch.ones(2), "b": torch.zeros(1)}, map_location=to_double)
    assert seen == ["cpu", "cpu"] and got["a"].dtype == torch.float64


@pytest.mark.parametrize("location", ["cuda", "cuda:1", _Device("cuda"), {"cpu": "cuda:0"}])
def test_map_location_to_cuda_fails_as_in_pytorch_without_cuda(location):
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        roundtrip(torch.ones(1), map_location=location)


def _saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@pytest.mark.parametrize("change, words", [
    (lambda d: d.update(value={"tensor": 5}), r"is not a saved value"),
    (lambda d: d.update(value={"pickle": "x"}), r"is not a saved value"),
    (lambda d: d.update(value={"dict": [[{"list": []}, 1]]}), "a list cannot be a dict key"),
    (lambda d: d.update(value={"dict": [[1]]}), r"expected a \[key, value\] pair"),
    (lambda d: d.update(kind="other"), "not an archive written by torch.save"),
    (lambda d: d.update(tensors={}), r"tensors: expected a list"),
    (lambda d: d["tensors"][0].update(parameter="yes"), r"tensors\[0\]: expected"),
    (lambda d: d.update(value={"size": [-1]}), "is not a saved value"),
])
def test_tampered_archives_are_load_errors(change, words):
    def edit(raw):
        doc = json.loads(raw)
        change(doc)
        return json.dumps(doc).encode()
    data = edited(_saved([torch.ones(2)]), "model.json", edit)
    with pytest.raises(torch.LoadError, match=words):
        torch.load(io.BytesIO(data))


def test_deeply_nested_values_are_refused_both_ways():
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 200 levels"):
        torch.save(deep, io.BytesIO())
    value = '{"list": [' * 100000 + "null" + "]}" * 100000
    data = edited(_saved([]), "model.json", lambda raw: json.dumps(
        {**json.loads(raw), "value": None}).encode().replace(b'"value": null', b'"value": ' + value.encode()))
    with pytest.raises(torch.LoadError, match="nested too deeply"):
        torch.load(io.BytesIO(data))


def test_torch_load_of_a_compiled_module_archive_warns_and_loads_it():
    data = io.BytesIO()
    torch.jit.save(tiny_mlp(), data)
    data.seek(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = torch.load(data)
    assert isinstance(loaded, torch.jit.ScriptModule)
    assert "dispatching to 'torch.jit.load'" in str(caught[0].message)
    buf = io.BytesIO()
    torch.save(tiny_mlp(), buf)  # a compiled module is written as torch.jit.save writes it
    buf.seek(0)
    assert isinstance(torch.jit.load(buf), torch.jit.ScriptModule)


def test_jit_load_of_a_torch_save_archive_is_a_load_error():
    with pytest.raises(torch.LoadError, match="values written by torch.save .* load it with torch.load"):
        torch.jit.load(io.BytesIO(_saved(torch.ones(1))))


# -- torch.jit.save / load: _extra_files, missing folders ---------------------------------------------


def test_extra_files_round_trip_as_bytes_through_paths_buffers_and_methods(tmp_path):
    m = tiny_mlp()
    value = b"bar\x00\xffbaz"
    path = str(tmp_path / "m.pt")
    m.save(path, _extra_files={"foo": value, "foo2": "bar", "odd/name with spaces": "x"})
    extra = {"foo": "", "foo2": None, "odd/name with spaces": None}
    torch.jit.load(path, _extra_files=extra)
    assert extra == {"foo": value, "foo2": b"bar", "odd/name with spaces": b"x"}
    buf = io.BytesIO(m.save_to_buffer(_extra_files={"foo": value}))
    extra = {"foo": ""}
    torch.jit.load(buf, _extra_files=extra)
    assert extra["foo"] == value
    buf.seek(0)
    with pytest.raises(RuntimeError, match="the archive has no extra file 'bar'"):
        torch.jit.load(buf, _extra_files={"bar": ""})
    names = set(members(m.save_to_buffer(_extra_files={"../../etc": "x"})))
    assert all(n.startswith("archive/") and ".." not in n for n in names)  # the name is data, not a path


def test_extra_files_that_are_not_str_or_bytes_are_refused():
    with pytest.raises(TypeError, match="_extra_files maps names"):
        tiny_mlp().save_to_buffer(_extra_files={"a": 1})


def test_extra_files_pointing_outside_their_folder_are_load_errors():
    data = tiny_mlp().save_to_buffer(_extra_files={"a": "x"})
    bad = edited(data, "model.json", lambda raw: json.dumps({**json.loads(raw), "extra_files": {"a": "model.json"}})
                 .encode())
    with pytest.raises(torch.LoadError, match="no extra file 'a'"):
        torch.jit.load(io.BytesIO(bad), _extra_files={"a": None})


def test_saving_into_a_missing_folder_is_a_runtime_error_as_in_pytorch(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .*nowhere does not exist"):
        tiny_mlp().save(str(tmp_path / "nowhere" / "m.pt"))
    with pytest.raises(FileNotFoundError):
        torch.save(torch.ones(1), str(tmp_path / "nowhere" / "t.pt"))


def test_archive_layout_is_the_checked_container(tmp_path):
    data = _saved({"w": torch.ones(2)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(n.split("/", 1)[1] for n in zf.namelist()) == ["data/0.npy", "manifest.json", "model.json",
                                                                     "version"]

"""Dicts and lists as values of the script language, beyond what tests/spec/test_jit_list_dict.py
transcribes from PyTorch: the IR type (printed, parsed, verified, invariant), saving and
loading, ScriptList/ScriptDict of tensors, list and dict module attributes, and the errors."""
import io
from typing import Dict, List, Optional

import pytest
from script_util import check, roundtrip, same

import minitorch_jit as torch
from minitorch_jit import nn
from minitorch_jit.ir import parse_graph, parse_type_str, verify
from minitorch_jit.ir.types import FLOAT, INT, STR, TENSOR, AnyType, DictType, ListType, OptionalType, TensorType
from minitorch_jit.ir.verifier import VerifyError
from minitorch_jit.scripter.errors import ScriptError


def test_dict_type_prints_parses_and_is_invariant():
    t = DictType(STR, ListType(TENSOR))
    assert str(t) == "Dict(str, Tensor[])"
    assert parse_type_str("Dict(str, Tensor[])?") == OptionalType(t)
    assert DictType(STR, TensorType("float32", (2,))).is_subtype_of(DictType(STR, TENSOR))  # refinements
    assert not DictType(STR, INT).is_subtype_of(DictType(STR, OptionalType(INT)))
    assert not DictType(INT, INT).is_subtype_of(DictType(FLOAT, INT))
    assert DictType(STR, INT).is_subtype_of(AnyType())
    assert not ListType(INT).is_subtype_of(ListType(OptionalType(INT)))  # lists are invariant too


def test_dict_graphs_round_trip_and_verify():
    def fn(x: Dict[str, torch.Tensor], k: str) -> Dict[str, List[int]]:
        out = {k: [1, 2]}
        for key, v in x.items():
            out[key] = [v.dim()]
        return out

    scripted = check(fn, ({"a": torch.ones(2), "b": torch.ones(2, 2)}, "c"))
    text = roundtrip(scripted.graph)
    assert "graph(%x : Dict(str, Tensor), %k : str)" in text
    assert "prim::DictConstruct" in text


def test_verifier_checks_container_elements():
    g = parse_graph("graph(%a : int):\n  %d : Dict(str, int) = prim::DictConstruct(%a, %a)\n  return (%d)\n")
    with pytest.raises(VerifyError, match="does not fit the container's Dict"):
        verify(g)
    g = parse_graph("graph(%a : int):\n  %l : float[] = prim::ListConstruct(%a)\n  return (%l)\n")
    with pytest.raises(VerifyError, match="does not fit the container's float"):
        verify(g)


def _counts(words: List[str]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts


def test_saved_and_loaded_with_their_dicts():
    scripted = torch.jit.script(_counts)
    f = io.BytesIO()
    scripted.save(f)
    f.seek(0)
    loaded = torch.jit.load(f)
    assert loaded(["a", "b", "a"]) == {"a": 2, "b": 1}
    assert str(loaded.graph) == str(scripted.graph)


def test_script_list_of_tensors_is_shared():
    items = torch.jit.script([torch.ones(2)])

    @torch.jit.script
    def grow(xs: List[torch.Tensor]) -> int:
        xs.append(xs[0] * 2)
        return len(xs)

    assert grow(items) == 2
    same(items[1], torch.full((2,), 2.0))
    items.append(torch.zeros(1))
    assert grow(items) == 4
    with pytest.raises(TypeError):
        items.append(3)
    with pytest.raises(TypeError):
        grow(torch.jit.script([1]))  # a List[int] is no List[Tensor]


def test_script_dict_type_hint():
    d = torch.jit.script({}, Dict[int, List[int]])
    d[1] = [2]

    @torch.jit.script
    def add(d: Dict[int, List[int]]):
        d[1].append(3)
        d[2] = [4]

    add(d)
    assert d == {1: [2, 3], 2: [4]}
    with pytest.raises(TypeError, match="does not describe a list"):
        torch.jit.script([], Dict[int, int])


class Memo(nn.Module):
    seen: Dict[str, int]

    def __init__(self):
        super().__init__()
        self.seen = {}
        self.order = ["start"]

    def forward(self, key: str) -> int:
        if key not in self.seen:
            self.seen[key] = len(self.seen)
            self.order.append(key)
        return self.seen[key]


def test_module_dict_and_list_attributes_keep_what_scripts_do():
    m = torch.jit.script(Memo())
    assert [m("a"), m("b"), m("a")] == [0, 1, 0]
    assert m.seen == {"a": 0, "b": 1} and m.order == ["start", "a", "b"]
    m.seen["c"] = 7  # Python's changes are seen by the next call
    assert m("c") == 7
    f = io.BytesIO()
    m.save(f)
    f.seek(0)
    loaded = torch.jit.load(f)
    assert loaded.seen == {"a": 0, "b": 1, "c": 7} and loaded.order == ["start", "a", "b"]
    assert [loaded("d"), loaded("d"), loaded("a")] == [3, 3, 0]
    assert loaded.seen["d"] == 3 and loaded.order == ["start", "a", "b", "d"]


class TensorMemo(nn.Module):
    def __init__(self):
        super().__init__()
        self.cache = {"zero": torch.zeros(1)}

    def forward(self, key: str) -> torch.Tensor:
        return self.cache[key]


def test_module_attributes_holding_tensors_are_not_saved():
    m = torch.jit.script(TensorMemo())
    same(m("zero"), torch.zeros(1))
    with pytest.raises(TypeError, match="cannot save attribute cache"):
        m.save(io.BytesIO())


def _tensor_keys(d: Dict[torch.Tensor, int]) -> int:
    return len(d)


def _mixed_keys():
    return {"a": 1, 2: 3}


def _unpacked(d: Dict[str, int]):
    return {**d}


def _wrong_key(d: Dict[str, int]):
    d[1] = 2


def _wrong_value(d: Dict[str, int]):
    d["a"] = "b"


@pytest.mark.parametrize("fn,message", [
    (_tensor_keys, "Dict keys must be str, int, float or bool, not Tensor"),
    (_mixed_keys, r"dict literal: keys have different types \(str, int\)"),
    (_unpacked, "`\\*\\*` unpacking in dict literals is not supported"),
    (_wrong_key, "takes a key of type str, not int"),
    (_wrong_value, "takes a value of type int, not str"),
])
def test_dict_errors_name_the_source(fn, message):
    with pytest.raises(ScriptError, match=message) as info:
        torch.jit.script(fn)
    assert fn.__name__ in str(info.value)


def _compare_with_empty(x: List[int], d: Dict[str, int]):
    return x == [], [] != x, d == {"a": 1}, sorted(x, reverse=True)


def test_empty_list_literals_compare_as_the_other_sides_type():
    check(_compare_with_empty, ([], {"a": 1}), ([2, 1, 3], {}))


def _peephole_graph(fn):
    from minitorch_jit.passes.peephole import peephole
    graph = torch.jit.script(fn).graph.copy()
    peephole(graph)
    verify(graph)
    return str(graph)


def _getitems(a: int, b: int):
    d = {0: a, 1: b}
    e = {"0": a, "1": b}
    f = {0.0: a, 1.0: b}
    return d[1], d[0], e["1"], f[1.0], len(d)


def _missing_key():
    d = {0: 1}
    return d[2]


def _key_from_input(a: int):
    d = {0: 1}
    return d[a]


def _modified():
    d = {0: 1}
    d[0] = 2
    return d[0], len(d)


def _overlapping():
    d = {0: 1, 0: 2}  # noqa: F601
    return d[0], len(d)


def _might_overlap(x: int):
    d = {0: 1, x: 2}
    return d[x], len(d)


def test_peephole_reads_dicts_just_built():
    text = _peephole_graph(_getitems)
    assert "aten::__getitem__" not in text and "aten::len" not in text
    check(_getitems, (0, 1))
    for fn in (_missing_key, _key_from_input, _modified, _overlapping, _might_overlap):
        text = _peephole_graph(fn)
        assert "aten::__getitem__" in text, fn.__name__
        if fn not in (_missing_key, _key_from_input):
            assert "aten::len" in text, fn.__name__
    check(_key_from_input, (0,))
    check(_modified, ())
    check(_overlapping, ())
    check(_might_overlap, (3,), (0,))
    with pytest.raises(RuntimeError, match="KeyError: 2"):
        torch.jit.script(_missing_key)()


def _fromkeys(keys: List[str]):
    return dict.fromkeys(keys, 0), dict.fromkeys(keys)


def test_dict_fromkeys():
    check(_fromkeys, (["a", "b", "a"],), ([],))
    assert str(torch.jit.script(_fromkeys).graph.outputs[0].type) == "(Dict(str, int), Dict(str, NoneType))"


def _count_all(xs: List[Optional[torch.Tensor]], d: Dict[str, Optional[int]]) -> int:
    return len(xs) + len(d)


def _literals_take_parameter_types(x: torch.Tensor):
    return _count_all([x, x], {"a": 1}) + _count_all([y for y in [x]], {k: 1 for k in ["a"]})


def _variable_keeps_its_type(x: torch.Tensor):
    xs = [x]
    return _count_all(xs, {"a": 1})


def test_literals_passed_to_script_functions_take_the_parameter_types():
    check(_literals_take_parameter_types, (torch.ones(1),))
    with pytest.raises(ScriptError, match=r"expected a value of type List\[Optional\[Tensor\]\] for argument 'xs' "
                                          r"but got List\[Tensor\]"):
        torch.jit.script(_variable_keeps_its_type)

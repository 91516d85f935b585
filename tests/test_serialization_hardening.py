"""Issue 12, security items 2-4: loaded archives hold only what save writes, format strings
follow TorchScript's grammar, and every bad archive is a LoadError at load time."""
import io
import json
import time

import numpy as np
import pytest
from saved_models import edited, members, pack, save_bytes, scripted_function, scripted_module

import minitorch_jit as torch
from minitorch_jit.scripter.errors import ScriptError
from minitorch_jit.serialization import save_load

NET = save_bytes(scripted_module())
SCRIPTED = save_bytes(scripted_function())


def _greet(x: int, name: str):
    return f"{name} has {x} items"


def _format_arg(fmt: str, x: int):
    return fmt.format(x)


def _json(change):
    def edit(raw):
        doc = json.loads(raw)
        change(doc)
        return json.dumps(doc).encode()
    return edit


def load(data):
    return torch.jit.load(io.BytesIO(data))


# -- item 2: format strings --------------------------------------------------------------------------


def test_format_in_compiled_code_implements_torchscript_placeholders_only():
    """``{}`` placeholders are filled in order with str() of the values; text braces in an
    f-string are kept as text; extra arguments are ignored, as by Python and TorchScript."""
    def f(x: int, s: str, t):
        return "a{}b{}c".format(x, s), f"{{}} {x} {{y}} {s}", "{}".format(x, s), f"{t}"  # noqa: F523

    t = torch.tensor([1.5, 2.0])
    assert torch.script(f)(3, "z", t) == f(3, "z", t)


@pytest.mark.parametrize("fmt", ["{0}", "{0.__class__}", "{0.__init__.__globals__[np]}", "{x}", "{:>2500000000}",
                                 "{!r}", "{{}}", "}", "{"])
def test_format_strings_outside_torchscript_grammar_are_refused_when_run(fmt):
    """A format string that is a value, not a constant, is checked when it is used: Python's
    str.format would read attributes of the value or allocate 2.5 GB for the padding."""
    fn = torch.script(_format_arg)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="only '{}' placeholders are supported"):
        fn(fmt, 5)
    assert time.perf_counter() - start < 5  # refused, not formatted
    with pytest.raises(IndexError, match="has 2 placeholders but 1 arguments"):
        fn("{} {}", 5)


def test_constant_format_string_outside_the_grammar_is_a_script_error():
    def f(x: int):
        return "{0}".format(x)

    with pytest.raises(ScriptError, match=r"only '\{\}' placeholders are supported") as e:
        torch.script(f)
    assert '"{0}".format(x)' in str(e.value)


def _with_spec(x: float):
    return f"{x:.2f}"


def _with_conversion(x: float):
    return f"{x!r}"


@pytest.mark.parametrize("fn, words, source", [(_with_spec, "format specs", "{x:.2f}"),
                                                (_with_conversion, "conversions", "{x!r}")])
def test_f_string_conversions_and_format_specs_are_script_errors(fn, words, source):
    """As in TorchScript ("Don't support formatting in JoinedStr"): a format spec would be a
    constant that pads to any width."""
    with pytest.raises(ScriptError, match=words) as e:
        torch.script(fn)
    assert source in str(e.value)


@pytest.mark.parametrize("fmt", ["{0.__init__.__globals__[np]._pytesttester.os.environ}", "{0:>2500000000}",
                                 "{0}", "{{}}"])
def test_forged_archive_format_string_is_a_load_error(fmt):
    """Issue 12 item 2: a constant format string in a loaded graph is checked at load."""
    data = save_bytes(torch.script(_greet))
    forged = edited(data, "code/_greet.graph", lambda b: b.replace(b'"{} has {} items"', json.dumps(fmt).encode()))
    assert forged != data
    with pytest.raises(torch.LoadError, match="only '{}' placeholders are supported"):
        load(forged)
    assert load(data)(2, "Ann") == "Ann has 2 items"


def test_loaded_code_checks_format_strings_that_are_values():
    loaded = load(save_bytes(torch.script(_format_arg)))
    assert loaded("<{}>", 4) == "<4>"
    with pytest.raises(ValueError, match="only '{}' placeholders"):
        loaded("{0.__class__.__mro__}", 4)


# -- item 3: internal nodes, module internals, depth -----------------------------------------------


FUSION_GROUP = b"""
with prim::FusionGroup_1 = graph(%a : Float(*)):
  %b : Float(*) = aten::tanh(%a)
  return (%b)
"""

FUSION_GROUP_WITH_CONTROL_FLOW = b"""
with prim::FusionGroup_1 = graph(%a : Float(*)):
  %t : bool = prim::Constant[value=True]()
  %b : Float(*) = prim::If(%t)
    block0():
      -> (%a)
    block1():
      -> (%a)
  return (%b)
"""


@pytest.mark.parametrize("subgraph", [FUSION_GROUP, FUSION_GROUP_WITH_CONTROL_FLOW])
def test_archive_with_a_fusion_group_is_refused_at_load(subgraph):
    """Issue 12 item 3: fusion groups are made per specialization when a graph runs; one in an
    archive is a LoadError, not an AttributeError or NotImplementedError at call time."""
    forged = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(
        b"%r2 : Float(*) = aten::tanh(%r)", b"%r2 : Float(*) = prim::FusionGroup_1(%r)") + subgraph)
    with pytest.raises(torch.LoadError, match="prim::FusionGroup nodes are made when a graph runs, never saved"):
        load(forged)


def test_archive_with_attributes_save_never_writes_is_refused():
    forged = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(
        b"%zero : int = prim::Constant[value=0]()", b"%zero : int = prim::Constant[value=0, unrolled=True]()"))
    with pytest.raises(torch.LoadError, match="prim::Constant has the attribute 'unrolled'"):
        load(forged)


@pytest.mark.parametrize("attrs", [b"[]", b"[name=1]", b'[name="step", value=1]'])
def test_call_without_the_attributes_save_writes_is_refused(attrs):
    forged = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(b'[name="step"]', attrs))
    assert forged != SCRIPTED
    with pytest.raises(torch.LoadError, match="prim::CallFunction (needs the name|has the attribute 'value')"):
        load(forged)


@pytest.mark.parametrize("name", ["_modules", "_parameters", "_methods", "state_dict", "__class__", "fc", "scale",
                                  "steps"])
def test_method_named_like_module_internals_is_refused(name):
    """Issue 12 item 3: a method named ``_modules`` or ``_parameters`` would replace the
    module's tables (and ``state_dict`` its API, ``fc`` its child)."""
    forged = edited(NET, "model.json", _json(
        lambda d: d["modules"][0]["methods"].update({name: d["modules"][0]["methods"].pop("forward")})))
    with pytest.raises(torch.LoadError, match="would replace the module's own"):
        load(forged)


def _chain(depth):
    """An archive whose module tree is a chain ``depth`` modules deep."""
    def change(d):
        d["modules"] = [{"original_name": f"M{i}", "training": False, "parameters": {}, "buffers": {},
                         "attributes": {}, "children": {"c": i + 1} if i + 1 < depth else {}, "methods": {}}
                        for i in range(depth)]
        d["tensors"], d["constants"] = [], []
    ms = {k: v for k, v in members(NET).items() if "/data/" not in k and "/code/" not in k}
    model = next(k for k in ms if k.endswith("/model.json"))
    ms[model] = _json(change)(ms[model])
    from saved_models import reseal
    return pack(reseal(ms))


def test_deep_module_chain_is_refused_at_load():
    """Issue 12 item 3: 5,000 nested modules would load and then make repr, state_dict and
    save raise RecursionError; the depth is bounded at load."""
    with pytest.raises(torch.LoadError, match=f"more than {save_load.MAX_MODULE_DEPTH} modules deep"):
        load(_chain(5000))
    with pytest.raises(torch.LoadError, match="modules deep"):
        load(_chain(save_load.MAX_MODULE_DEPTH + 1))
    m = load(_chain(save_load.MAX_MODULE_DEPTH))  # as deep as allowed: everything works
    assert repr(m).count("M") >= save_load.MAX_MODULE_DEPTH and m.state_dict() == {}
    assert len(list(load(save_bytes(m)).modules())) == save_load.MAX_MODULE_DEPTH


def test_module_depth_counts_the_longest_path_through_shared_modules():
    """A module reached first by a short path and again by a long one is as deep as the long
    one makes it."""
    depth = save_load.MAX_MODULE_DEPTH

    def change(d):
        n = depth + 1
        d["modules"] = [{"original_name": f"M{i}", "training": False, "parameters": {}, "buffers": {},
                         "attributes": {}, "children": {}, "methods": {}} for i in range(n)]
        d["modules"][0]["children"] = {"short": n - 1, "long": 1}
        for i in range(1, n - 1):
            d["modules"][i]["children"] = {"c": i + 1}
        d["tensors"], d["constants"] = [], []
    ms = {k: v for k, v in members(NET).items() if "/data/" not in k and "/code/" not in k}
    model = next(k for k in ms if k.endswith("/model.json"))
    ms[model] = _json(change)(ms[model])
    from saved_models import reseal
    with pytest.raises(torch.LoadError, match="modules deep"):
        load(pack(reseal(ms)))


# -- item 4: the loader's errors are LoadErrors ------------------------------------------------------


def test_huge_json_integer_in_the_manifest_is_a_load_error():
    ms = members(SCRIPTED)
    manifest = next(k for k in ms if k.endswith("manifest.json"))
    ms[manifest] = ms[manifest].replace(b'"size": ', b'"size": ' + b"9" * 5000, 1)
    with pytest.raises(torch.LoadError, match="manifest.json is not valid JSON"):
        load(pack(ms))


def test_huge_json_integer_in_the_model_is_a_load_error():
    forged = edited(NET, "model.json", lambda b: b.replace(b'"training": ', b'"steps_": ' + b"7" * 5000 + b', "training": ', 1))
    with pytest.raises(torch.LoadError, match="model.json is not valid JSON"):
        load(forged)


def test_int64_tensor_constant_out_of_range_in_graph_text_is_a_load_error():
    forged = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(
        b"%c : Float(1) = prim::Constant[value=CONSTANTS.c0]()",
        b"%c : Long(1) = prim::Constant[value=tensor([99999999999999999999999], dtype=int64)]()"))
    assert forged != SCRIPTED
    with pytest.raises(torch.LoadError, match="bad tensor constant"):
        load(forged)


def test_signature_parameter_named_class_is_a_load_error():
    forged = edited(SCRIPTED, "model.json", _json(lambda d: d["function"]["signature"][0].update(name="class")))
    with pytest.raises(torch.LoadError, match="'class' is not a valid parameter name"):
        load(forged)


def test_subgraph_attribute_written_on_an_op_is_a_load_error():
    """``aten::exp[Subgraph=1](%x)`` loaded, then failed with AttributeError when called."""
    forged = edited(SCRIPTED, "code/f.graph", lambda b: b.replace(
        b"aten::tanh(%r)", b"aten::exp[Subgraph=1](%r)"))
    with pytest.raises(torch.LoadError, match="Subgraph is not written as an attribute"):
        load(forged)


def test_a_saved_scripted_program_with_every_structural_node_still_loads():
    """The checks refuse only what save never writes: the scripter's own output loads."""
    from saved_models import real_scripted_function, real_scripted_module
    for obj in (real_scripted_function(), real_scripted_module(), scripted_module(), scripted_function()):
        again = load(save_bytes(obj))
        assert str(again.graph if hasattr(again, "graph") else again.forward.graph) == \
            str(obj.graph if hasattr(obj, "graph") else obj.forward.graph)
    x = torch.from_numpy(np.ones((2, 4), np.float32))
    assert load(NET)(x).numpy().tobytes() == scripted_module()(x).numpy().tobytes()

"""The registry's ops on Python values (``math.*``, operators on numbers, strings and lists,
``min``/``max``/``round``/``int``/``float`` and friends), scripted, against what Python
itself computes: every overload whose arguments are plain values is called with values that
reach it. The functions are generated into a file, since the scripter reads source."""
import copy
import itertools

import pytest
from script_util import generated_functions, same

import minitorch_jit as torch
from minitorch_jit.ir import registry

SAMPLES = {
    "int": [-3, 0, 2, 7], "float": [-2.5, 0.0, 0.5, 3.0], "bool": [True, False], "str": ["12", "ab"],
    "int[]": [[3, -1, 2], [3]], "float[]": [[0.5, -2.0], [0.5]], "bool[]": [[True, False]], "str[]": [["a", "b"]],
}
ANNOTATION = {"int": "int", "float": "float", "bool": "bool", "str": "str", "int[]": "List[int]",
              "float[]": "List[float]", "bool[]": "List[bool]", "str[]": "List[str]"}
NAMESPACES = ("math", "operator", "builtins", "list", "str")
SKIP = {"builtins.print"}  # its output is checked by the scripting tests
# how a script spells operator.NAME
BINARY = {"__add__": "+", "__sub__": "-", "__mul__": "*", "__truediv__": "/", "__floordiv__": "//", "__mod__": "%",
          "__pow__": "**", "__and__": "&", "__or__": "|", "__xor__": "^", "__lshift__": "<<", "__rshift__": ">>",
          "__eq__": "==", "__ne__": "!=", "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">=",
          "is_": "is", "is_not": "is not"}
UNARY = {"__neg__": "-", "__invert__": "~", "__not__": "not "}
# where the kernel documents a refusal instead of Python's result: (when, error, message)
REFUSED = {
    ("operator", "__pow__", ("int", "int")): (lambda a, b: b < 0, RuntimeError,
                                              "integers to negative integer powers are not supported"),
    ("operator", "__pow__", ("float", "float")): (lambda a, b: a < 0 and b != int(b), ValueError, "math domain"),
    ("math", "pow", ("float", "float")): (lambda a, b: a == 0 and b < 0, ZeroDivisionError,
                                          "0.0 cannot be raised to a negative power"),
}
# TorchScript's errors for a missing element are RuntimeErrors (Python's are ValueErrors)
for _t in ("int", "float", "bool", "str"):
    REFUSED[("list", "index", (f"{_t}[]", _t))] = (lambda a, v: v not in a, RuntimeError, "is not in list")
    REFUSED[("list", "remove", (f"{_t}[]", _t))] = (lambda a, v: v not in a, RuntimeError, "x not in list")
REFUSED[("builtins", "pow", ("int", "int"))] = REFUSED[("operator", "__pow__", ("int", "int"))]
REFUSED[("builtins", "pow", ("float", "float"))] = REFUSED[("operator", "__pow__", ("float", "float"))]


def _calls():
    """(python name, argument types) for each overload taking only plain values."""
    calls = set()
    for op in registry.all_ops():
        types = [str(a.type) for a in op.schema.arguments if not a.has_default]
        if not all(t in SAMPLES for t in types):
            continue
        for full in op.names:
            ns, name = full.split(".", 1)
            if ns in NAMESPACES and full not in SKIP:
                calls.add((ns, name, tuple(types)))
    return sorted(calls)


def _load(tmp_path, calls):
    lines = ["import math", "from typing import List", ""]
    for i, (ns, name, types) in enumerate(calls):
        params = ", ".join(f"a{k}: {ANNOTATION[t]}" for k, t in enumerate(types))
        args = ", ".join(f"a{k}" for k in range(len(types)))
        if name == "__contains__":
            expr = "a1 in a0"
        elif name == "__getitem__":
            expr = "a0[a1]" if len(types) == 2 else "a0[::-1]"
        elif name in UNARY:
            expr = f"{UNARY[name]}a0"
        elif name in BINARY:
            expr = f"a0 {BINARY[name]} a1"
        elif ns in ("str", "list"):  # methods
            expr = f"a0.{name}({', '.join(f'a{k}' for k in range(1, len(types)))})"
        else:
            expr = f"{name if ns == 'builtins' else f'{ns}.{name}'}({args})"
        lines += [f"def f{i}({params}):", f"    return {expr}", ""]
    return generated_functions(tmp_path / "generated_value_calls.py", lines, len(calls))


def test_every_python_value_op_scripts_like_python(tmp_path):
    calls = _calls()
    assert len(calls) > 75
    compared = 0
    for fn, (ns, name, types) in zip(_load(tmp_path, calls), calls):
        scripted = torch.script(fn)
        for args in itertools.product(*(SAMPLES[t] for t in types)):
            refused, error, message = REFUSED.get((ns, name, types), (lambda *a: False, None, None))
            if refused(*args):
                with pytest.raises(error, match=message):
                    scripted(*args)
                continue
            try:
                expected = fn(*copy.deepcopy(args))  # list methods may mutate the samples
            except Exception as e:  # Python refuses these values: the scripted function refuses them too
                with pytest.raises(type(e)):
                    scripted(*args)
                continue
            try:
                same(scripted(*args), expected, f"{ns}.{name}{args}")
            except Exception as e:
                raise AssertionError(f"{ns}.{name}{args}: expected {expected!r}: {type(e).__name__}: {e}") from e
            compared += 1
    assert compared > 350


def _to_numbers(x):
    return float(x.sum()), int(x.max()), bool(x.min() > 0.0)


def _to_float(x):
    return float(x)


def test_tensors_to_numbers_script_like_python():
    scripted = torch.script(_to_numbers)
    for values in ([1.5, 2.25], [-3.75], [0.5, -0.5]):
        x = torch.tensor(values)
        same(scripted(x), _to_numbers(x))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        torch.script(_to_float)(torch.ones(2))

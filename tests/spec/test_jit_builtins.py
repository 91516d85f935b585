"""Python builtins in scripted code: the behaviours PyTorch's test/jit/test_builtins.py
checks: ``hasattr`` with a constant name (answered when scripting, so the branch it guards is
only compiled where it holds), ``del``, ``torch._check``, tensor properties, item assignment
through tensor indices, ``item()`` conversions, methods on numbers, and tensors passed where
numbers are expected."""
import warnings
from typing import Dict, List

import pytest
from script_util import check, same

import minitorch_jit as torch
from minitorch_jit.scripter.errors import ScriptError

ELIGIBLE = [
    "test_has_attr",
    "test_has_attr_invalid_args",
    "test_del",
    "test_del_multiple_operands",
    "test_torch_check",
    "test_torch_check_invalid_args",
    "test_tensor_properties",
    "test_tensor_subscript_assign",
    "test_tensor_item",
    "test_method_on_number",
    "test_scalar_to_num_conversions",
]


def check_module(m, *args):
    scripted = torch.jit.script(m)
    same(scripted(*args), m(*args))
    return scripted


def test_has_attr():
    class HasA(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = 0

    class HasB(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.b = 1

    class Mod(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mods = torch.nn.ModuleList([HasA(), HasB()])

        def forward(self):
            l = torch.jit.annotate(List[int], [])  # noqa: E741
            for mod in self.mods:
                l.append(int(hasattr(mod, "a")))
                l.append(int(hasattr(mod, "b")))
                if hasattr(mod, "a"):  # HasB has no `a`: this branch is not compiled for it
                    l.append(mod.a)
                if hasattr(mod, "b"):
                    l.append(mod.b)
            return l

    assert check_module(Mod())() == [1, 0, 0, 0, 1, 1]


def test_has_attr__parameters_submodules_and_methods():
    class Mod(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def helper(self) -> int:
            return 1

        def forward(self):
            return hasattr(self.lin, "weight"), hasattr(self, "lin"), hasattr(self, "helper"), \
                hasattr(self, "nothing"), hasattr(self.lin, "in_features")

    assert check_module(Mod())() == (True, True, True, False, True)


def test_has_attr_invalid_args():
    class Mod(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mod = torch.nn.Linear(1, 1)

        def forward(self, name: str):
            return hasattr(self.mod, name)  # `name` must be a constant

    with pytest.raises(RuntimeError, match="hasattr") as info:
        torch.jit.script(Mod())
    assert "hasattr(self.mod, name)" in str(info.value)

    class Mod2(torch.nn.Module):
        def forward(self, name: str):
            return hasattr(torch.rand(2, 3), name)  # not a module or class either

    with pytest.raises(RuntimeError, match="hasattr") as info:
        torch.jit.script(Mod2())
    assert "name" in str(info.value)


def test_del():
    def fn(x: List[int]) -> List[int]:
        a = x * 2
        del a
        return x

    check(fn, ([1, 2, 3],))

    def use_after_del(x):
        a = x ** 2
        del a
        return a  # noqa: F821

    with pytest.raises(ScriptError, match="undefined value a") as info:
        torch.jit.script(use_after_del)
    assert "return a" in str(info.value)

    def deleted_on_one_path(x):
        a = x ** 2
        if a:
            del a
        return a

    with pytest.raises(ScriptError, match="undefined value a"):
        torch.jit.script(deleted_on_one_path)

    def del_undefined(x):
        a = x ** 2
        del b  # noqa: F821
        return a

    with pytest.raises(ScriptError, match="undefined value b") as info:
        torch.jit.script(del_undefined)
    assert "del b" in str(info.value)


def test_del_multiple_operands():
    def fn(x: List[int]) -> List[int]:
        a, b, c = x[0], x[1], x[2]
        del a, b, c
        return x

    check(fn, ([1, 2, 3],))

    def del_list_multiple_operands(x: List[int]) -> List[int]:
        del x[0], x[1]
        return x

    assert torch.jit.script(del_list_multiple_operands)([0, 1, 2]) == del_list_multiple_operands([0, 1, 2])

    def del_dict_multiple_operands(x: Dict[str, int]) -> Dict[str, int]:
        del x["hi"], x["there"]
        return x

    assert torch.jit.script(del_dict_multiple_operands)({"hi": 5, "there": 6}) == \
        del_dict_multiple_operands({"hi": 5, "there": 6})


def check_basic(x):
    torch._check(x.sum().item() > -1000)
    return x


def check_with_message(x):
    torch._check(x.sum().item() > -1000, "Tensor sum must be reasonable")
    return x


def check_with_kwarg_message(x):
    torch._check(x.sum().item() > -1000, message="Tensor sum must be reasonable")
    return x


def check_cond_kwarg(x):
    torch._check(cond=x.sum().item() > -1000)
    return x


def check_both_kwargs(x):
    torch._check(cond=x.sum().item() > -1000, message="Both as kwargs")
    return x


def check_kwargs_reversed(x):
    torch._check(message="Reversed order", cond=x.sum().item() > -1000)
    return x


def check_in_loop(x):
    sizes = torch.jit.annotate(List[int], x.tolist())
    for s in sizes:
        torch._check(s > -100)
    return x


def test_torch_check():
    t = torch.tensor([1, 2, 3])
    fns = [check_basic, check_with_message, check_with_kwarg_message, check_cond_kwarg, check_both_kwargs,
           check_kwargs_reversed, check_in_loop]
    scripted = {fn.__name__: check(fn, (t,)) for fn in fns}
    for fn in fns:
        same(scripted[fn.__name__](t), t)
    for name, message in (("check_with_message", "Tensor sum must be reasonable"),
                          ("check_with_kwarg_message", "Tensor sum must be reasonable"),
                          ("check_both_kwargs", "Both as kwargs"), ("check_kwargs_reversed", "Reversed order")):
        assert message in str(scripted[name].graph)
    assert "prim::Loop" in str(scripted["check_in_loop"].graph)
    for name in ("check_basic", "check_with_message", "check_with_kwarg_message", "check_cond_kwarg",
                 "check_both_kwargs", "check_kwargs_reversed"):
        text = str(scripted[name].graph)
        assert "prim::If" in text and "prim::RaiseException" in text[text.index("prim::If"):]


def test_torch_check__fails_as_eager_does():
    s = torch.jit.script(check_with_message)
    with pytest.raises(RuntimeError, match="Tensor sum must be reasonable"):
        s(torch.tensor([-5000]))
    with pytest.raises(RuntimeError, match="Tensor sum must be reasonable"):
        check_with_message(torch.tensor([-5000]))


def test_torch_check_invalid_args():
    def too_many_args(x):
        torch._check(True, "msg", "extra")
        return x

    def invalid_kwarg(x):
        torch._check(True, invalid_arg="msg")
        return x

    def duplicate_cond(x):
        torch._check(True, cond=False)
        return x

    def missing_cond(x):
        torch._check(message="msg only")
        return x

    def no_args(x):
        torch._check()
        return x

    def too_many_total_args(x):
        torch._check(True, "msg", cond=False)
        return x

    for fn, message in ((too_many_args, r"torch._check\(\) expects 1 or 2 arguments"),
                        (invalid_kwarg, "unexpected keyword argument"),
                        (duplicate_cond, "multiple values for argument 'cond'"),
                        (missing_cond, "missing required argument 'cond'"),
                        (no_args, r"torch._check\(\) expects 1 or 2 arguments"),
                        (too_many_total_args, r"torch._check\(\) expects 1 or 2 arguments")):
        with pytest.raises(RuntimeError, match=message):
            torch.jit.script(fn)


@pytest.mark.xfail(strict=True, reason="x.requires_grad: compiled functions run on arrays and do not see whether their inputs require grad")
def test_tensor_properties(tmp_path):
    from script_util import generated_functions

    tensor = torch.arange(4, dtype=torch.float).view(2, 2)
    properties = [p for p in dir(tensor) if not p.startswith("_") and not callable(getattr(tensor, p))]
    assert {"T", "data", "device", "grad", "is_cuda", "ndim", "requires_grad", "shape"} <= set(properties)
    lines = []
    for i, p in enumerate(properties):
        lines += [f"def f{i}(x):", f"    return x.{p}", ""]
    fns = generated_functions(tmp_path / "properties.py", lines, len(properties))
    for p, fn in zip(properties, fns):
        got = torch.jit.script(fn)(tensor)
        if p in ("dtype", "layout"):  # TorchScript gives their numbering, not the objects
            continue
        expected = getattr(tensor, p)
        if p == "shape":
            expected = list(expected)  # a List[int] in scripts, as in TorchScript
        same(got, expected, p)


def test_tensor_subscript_assign():
    def fn1(x):
        a = torch.zeros_like(x, dtype=torch.uint8)
        a[torch.tensor(0)] = torch.tensor(2, dtype=torch.uint8)
        return a

    def fn2(x):
        a = torch.zeros_like(x, dtype=torch.uint8)
        a[0] = 2
        return a

    def fn3(x):
        a = torch.zeros_like(x, dtype=torch.uint8)
        a[torch.tensor(0)] = 2
        return a

    def fn4(x):
        a = torch.zeros_like(x, dtype=torch.uint8)
        a[0] = torch.tensor(2, dtype=torch.uint8)
        return a

    def fn5(x):
        a = torch.zeros_like(x, dtype=torch.float32)
        a[torch.tensor(0)] = 2
        return a

    for fn in (fn1, fn2, fn3, fn4, fn5):
        check(fn, (torch.zeros(2, dtype=torch.uint8),))


def test_tensor_item():
    def test_scalar_cast(x):
        scalar = x.item()
        return int(scalar), float(scalar)

    assert "(int, float) = prim::TupleConstruct" in str(torch.jit.script(test_scalar_cast).graph)
    check(test_scalar_cast, (torch.tensor(1.0),), (torch.tensor(1),), (torch.tensor(-2.75),))


def test_method_on_number():
    def func():
        c = 1
        return c.add(1)

    with pytest.raises(RuntimeError, match="object has no attribute or method"):
        torch.jit.script(func)


def test_scalar_to_num_conversions():
    @torch.jit.script
    def multiple_defs(x):
        c = 1
        x = x + c
        return x

    assert "ImplicitTensorToNum" not in str(multiple_defs.graph)

    @torch.jit.script
    def tensor_to_int_script(x, tensor):
        return x.unsqueeze(tensor)

    with pytest.raises(RuntimeError, match="x.unsqueeze"):  # the error names the source
        tensor_to_int_script(torch.tensor([2]), torch.tensor([2, 2]))

    def tensor_to_int(x, tensor):
        return x.unsqueeze(tensor)

    @torch.jit.script
    def tensor_to_float_script(x, tensor):
        return x.addcmul(tensor, tensor, value=tensor)

    def tensor_to_float(x, tensor):
        return x.addcmul(tensor, tensor, value=tensor)

    def outcome(fn, x, tensor):
        try:
            return fn(x, tensor)
        except (RuntimeError, TypeError):
            return True

    x = torch.zeros(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tensor in (torch.tensor(1.1), torch.tensor(1.1, requires_grad=True), torch.tensor(0), torch.tensor([2])):
            for scripted, eager in ((tensor_to_int_script, tensor_to_int), (tensor_to_float_script, tensor_to_float)):
                same(outcome(scripted, x, tensor), outcome(eager, x, tensor))

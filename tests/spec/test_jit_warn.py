"""``warnings.warn`` in scripted code: the behaviours PyTorch's test/jit/test_warn.py checks.
A warning is shown at most once per call of the compiled function for each place it is
written (in a loop, or in a function called from a loop, once), as a UserWarning through
Python's warnings (so its filters apply: here every warning is recorded)."""
import warnings

import pytest

import minitorch_jit as torch

ELIGIBLE = [
    "test_warn",
    "test_warn_only_once",
    "test_warn_only_once_in_loop_func",
    "test_warn_once_per_func",
    "test_warn_once_per_func_in_loop",
    "test_warn_multiple_calls_multiple_warnings",
    "test_warn_multiple_calls_same_func_diff_stack",
]


def shown(*calls):
    """The (category, message) of each warning shown while making ``calls``."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        for call in calls:
            call()
    return [(r.category, str(r.message)) for r in records]


WARNING = (UserWarning, "I am warning you")


def test_warn():
    @torch.jit.script
    def fn():
        warnings.warn("I am warning you", stacklevel=2)

    assert shown(fn) == [WARNING]


def test_warn__attributed_to_the_python_caller():
    @torch.jit.script
    def fn(x: int) -> int:
        warnings.warn("I am warning you")  # noqa: B028
        return x + 1

    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        assert fn(1) == 2
    assert len(records) == 1 and records[0].filename == __file__


def test_warn__category_is_a_builtin_warning_class():
    @torch.jit.script
    def fn():
        warnings.warn("old", DeprecationWarning)  # noqa: B028
        warnings.warn("later", category=FutureWarning, stacklevel=1)

    assert shown(fn) == [(DeprecationWarning, "old"), (FutureWarning, "later")]

    class MyWarning(UserWarning):
        pass

    def bad():
        warnings.warn("x", MyWarning)  # noqa: B028

    with pytest.raises(RuntimeError, match="category must be a built-in warning class"):
        torch.jit.script(bad)


def test_warn_only_once():
    @torch.jit.script
    def fn():
        for _ in range(10):
            warnings.warn("I am warning you", stacklevel=2)

    assert shown(fn) == [WARNING]


def w():
    warnings.warn("I am warning you", stacklevel=2)


def w1():
    warnings.warn("I am warning you", stacklevel=2)


def w2():
    warnings.warn("I am warning you", stacklevel=2)


def test_warn_only_once_in_loop_func():
    @torch.jit.script
    def fn():
        for _ in range(10):
            w()

    assert shown(fn) == [WARNING]


def test_warn_only_once_in_loop_func__without_inlining():
    """The callee runs as a function of its own when the passes do not inline it: still once."""
    from minitorch_jit.runtime import config

    def fn():
        for _ in range(10):
            w()

    with config.using(optimizer=None):
        scripted = torch.jit.script(fn)
    assert "= w()" in scripted.code
    assert shown(scripted, scripted) == [WARNING, WARNING]


def test_warn_once_per_func():
    @torch.jit.script
    def fn():
        w1()
        w2()

    assert shown(fn) == [WARNING, WARNING]


def test_warn_once_per_func_in_loop():
    @torch.jit.script
    def fn():
        for _ in range(10):
            w1()
            w2()

    assert shown(fn) == [WARNING, WARNING]


def test_warn_multiple_calls_multiple_warnings():
    @torch.jit.script
    def fn():
        warnings.warn("I am warning you", stacklevel=2)

    assert shown(fn, fn) == [WARNING, WARNING]


def warn_from(caller: str):
    warnings.warn("I am warning you from " + caller, stacklevel=2)


def test_warn_multiple_calls_same_func_diff_stack():
    @torch.jit.script
    def foo():
        warn_from("foo")

    @torch.jit.script
    def bar():
        warn_from("bar")

    assert shown(foo, bar) == [(UserWarning, "I am warning you from foo"), (UserWarning, "I am warning you from bar")]


def test_warn_once_per_func__each_call_site_of_one_function():
    @torch.jit.script
    def fn():
        w()
        for _ in range(3):
            w()

    assert shown(fn) == [WARNING, WARNING]


def test_warn__saved_and_loaded(tmp_path):
    @torch.jit.script
    def fn(x: int) -> int:
        for _ in range(x):
            warnings.warn("I am warning you", stacklevel=2)
        return x

    fn.save(str(tmp_path / "warn.mtj"))
    loaded = torch.jit.load(str(tmp_path / "warn.mtj"))
    assert shown(lambda: loaded(4), lambda: loaded(0)) == [WARNING]

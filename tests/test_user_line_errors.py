"""An error raised while compiled code runs is reported at the user's line: the default
display of the uncaught exception ends with the user's file, line and source line with a
caret under the expression (as PyTorch prints the TorchScript source range), then the
original error, and shows no generated frames."""
import os
import subprocess
import sys
import textwrap

import pytest

import minitorch_jit as torch
from minitorch_jit import nn


def run_script(tmp_path, body):
    path = tmp_path / "user_program.py"
    path.write_text(textwrap.dedent(body))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert out.returncode == 1, out.stdout + out.stderr
    return path, out.stderr.rstrip("\n").splitlines()


def test_an_uncaught_shape_error_in_scripted_code_ends_with_the_users_line_and_a_caret(tmp_path):
    path, lines = run_script(tmp_path, """\
        import minitorch_jit as torch


        @torch.jit.script
        def f(z, y):
            w = z * 2
            return w @ y


        f(torch.ones(2, 3), torch.ones(4, 5))
        """)
    assert lines[-5:] == [
        "Traceback of TorchScript (most recent call last):",
        f'  File "{path}", line 7, in f',
        "    return w @ y",
        "           ~~~~~ <--- HERE",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)",
    ]
    assert "<minitorch_jit" not in "\n".join(lines)


def test_a_broadcast_error_in_a_fusion_group_points_at_the_op_that_does_not_broadcast(tmp_path):
    path, lines = run_script(tmp_path, """\
        import minitorch_jit as torch


        @torch.jit.script
        def f(x, y):
            a = x.exp()
            return a * y + 1


        f(torch.ones(2, 3), torch.ones(2, 3))
        f(torch.ones(2, 3), torch.ones(4, 5))
        """)
    assert lines[-4:] == [
        f'  File "{path}", line 7, in f',
        "    return a * y + 1",
        "           ~~~~~ <--- HERE",
        "RuntimeError: The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0",
    ]


def test_the_message_says_where_for_traced_and_scripted_modules():
    class M(nn.Module):
        def forward(self, x):
            return x.view(5, 7) + 1

    line = M.forward.__code__.co_firstlineno + 1
    for compiled in (torch.jit.script(M()), torch.jit.trace(M(), torch.ones(35))):
        with pytest.raises(RuntimeError) as info:
            compiled(torch.ones(3))
        text = str(info.value)
        assert text.startswith("The following operation failed in the TorchScript interpreter.\n")
        assert f'File "{__file__}", line {line}, in ' in text
        assert "return x.view(5, 7) + 1\n" in text
        assert "~~~~~~~~~~~~ <--- HERE" in text
        assert text.endswith("RuntimeError: shape '[5, 7]' is invalid for input of size 3")


def test_the_error_keeps_its_type_and_the_original_is_its_context():
    @torch.jit.script
    def f(x: torch.Tensor, i: int):
        if i > 2:
            raise ValueError("i is too large")
        return x

    with pytest.raises(ValueError, match="i is too large") as info:
        f(torch.ones(1), 3)
    assert 'raise ValueError("i is too large")' in str(info.value)
    assert type(info.value.__context__) is type(info.value)  # the ValueError that is also a torch.jit.Error
    assert isinstance(info.value, torch.jit.Error)
    assert info.value.__suppress_context__


def test_an_error_in_a_function_called_from_a_script_function_shows_the_call_then_the_callees_line():
    @torch.jit.script
    def inner(a, b):
        return torch.mm(a, b)

    @torch.jit.script
    def outer(x, y):
        for _ in range(2):
            x = inner(x, y)
        return x

    with pytest.raises(RuntimeError) as info:
        outer(torch.ones(2, 3), torch.ones(3, 4))
    lines = str(info.value).splitlines()
    # the call it was inlined from first, as TorchScript prints its inlined call stack
    call = next(i for i, text in enumerate(lines) if text.endswith(", in outer"))
    assert lines[call].startswith(f'  File "{__file__}", line ')
    assert lines[call + 1].strip() == "x = inner(x, y)" and lines[call + 2].strip() == "~~~~~~~~~~~ <--- HERE"
    assert lines[call + 3].endswith(", in inner") and lines[call + 4].strip() == "return torch.mm(a, b)"
    assert lines[-1] == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x4 and 3x4)"


def test_graph_str_prints_each_nodes_source_location_as_pytorchs_graph_str_does():
    @torch.jit.script
    def f(x):
        return x.relu() * 2

    line = f.graph.str().splitlines()
    relu = next(text for text in line if "aten::relu" in text)
    assert relu.endswith(f"  # {__file__}:{sys._getframe().f_lineno - 4}:16")
    assert "#" not in str(f.graph)
    assert f.graph.str(print_source_ranges=False) == str(f.graph)


def test_an_error_that_cannot_carry_the_message_keeps_its_own_and_gets_the_source_as_a_note():
    @torch.jit.script
    def f(x: torch.Tensor, k: int):
        if k > 0:
            raise KeyError("missing")
        return x

    with pytest.raises(KeyError) as info:
        f(torch.ones(1), 1)
    assert str(info.value) == "'missing'"  # a KeyError quotes its message: it is left as it is
    (note,) = info.value.__notes__
    assert note.startswith("Traceback of TorchScript (most recent call last):\n")
    assert 'raise KeyError("missing")' in note and note.endswith("<--- HERE")

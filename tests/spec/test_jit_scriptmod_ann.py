"""The behaviours PyTorch's test/jit/test_scriptmod_ann.py checks, as our own tests: module
attributes that ``forward`` assigns, typed by their values, the class body's annotations or
``torch.jit.Attribute``; instance-level annotations on empty containers and None are not
read (with TorchScript's warning), so assigning those attributes fails as it fails there."""
import io
import warnings
from typing import Dict, List, Optional

import pytest
from script_util import same

import minitorch_jit as torch

ELIGIBLE = [
    "test_annotated_falsy_base_type",
    "test_annotated_nonempty_container",
    "test_annotated_empty_tensor",
    "test_annotated_with_jit_attribute",
    "test_annotated_class_level_annotation_only",
    "test_annotated_class_level_annotation_and_init_annotation",
    "test_annotated_class_level_jit_annotation",
    "test_annotated_empty_list",
    "test_annotated_empty_list_lowercase",
    "test_annotated_empty_dict",
    "test_annotated_empty_dict_lowercase",
    "test_annotated_empty_optional",
    "test_annotated_with_jit_empty_list",
    "test_annotated_with_jit_empty_list_lowercase",
    "test_annotated_with_jit_empty_dict",
    "test_annotated_with_jit_empty_dict_lowercase",
    "test_annotated_with_jit_empty_optional",
    "test_annotated_with_torch_jit_import",
]

NEEDS_DICT = "needs Dict (dicts branch)"
EMPTY_WARNING = "doesn't support instance-level annotations on empty non-base types"


def check_module_without_warnings(cls, args):
    """Scripting ``cls()`` warns nothing; scripted, saved and loaded, and eager modules agree
    on two calls, attributes included."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scripted = torch.jit.script(cls())
    eager = cls()
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    loaded = torch.jit.load(io.BytesIO(buffer.getvalue()))
    for _ in range(2):
        expected = eager(*args)
        same(scripted(*args), expected)
        same(loaded(*args), expected)
    same(scripted.x, eager.x)


def check_fails_with_warning(cls, message):
    """Scripting ``cls()`` warns that the instance-level annotation is not read, then fails
    at ``self.x = x`` with ``message``."""
    with pytest.raises(RuntimeError, match=message) as info:
        with pytest.warns(UserWarning, match=EMPTY_WARNING):
            torch.jit.script(cls())
    assert "self.x = x" in str(info.value)


def test_annotated_falsy_base_type():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: int = 0

        def forward(self, x: int):
            self.x = x
            return 1

    check_module_without_warnings(M, (1,))


def test_annotated_nonempty_container():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: List[int] = [1, 2, 3]

        def forward(self, x: List[int]):
            self.x = x
            return 1

    check_module_without_warnings(M, ([1, 2, 3],))


def test_annotated_empty_tensor():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: torch.Tensor = torch.empty(0)

        def forward(self, x: torch.Tensor):
            self.x = x
            return self.x

    check_module_without_warnings(M, (torch.rand(2, 3),))


def test_annotated_with_jit_attribute():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.Attribute([], List[int])

        def forward(self, x: List[int]):
            self.x = x
            return self.x

    check_module_without_warnings(M, ([1, 2, 3],))


class _ClassLevelOnly(torch.nn.Module):
    x: List[int]

    def __init__(self) -> None:
        super().__init__()
        self.x = []

    def forward(self, y: List[int]):
        self.x = y
        return self.x


def test_annotated_class_level_annotation_only():
    check_module_without_warnings(_ClassLevelOnly, ([1, 2, 3],))


class _ClassLevelAndInit(torch.nn.Module):
    x: List[int]

    def __init__(self) -> None:
        super().__init__()
        self.x: List[int] = []

    def forward(self, y: List[int]):
        self.x = y
        return self.x


def test_annotated_class_level_annotation_and_init_annotation():
    check_module_without_warnings(_ClassLevelAndInit, ([1, 2, 3],))


class _ClassLevelJitAnnotation(torch.nn.Module):
    x: List[int]

    def __init__(self) -> None:
        super().__init__()
        self.x: List[int] = torch.jit.annotate(List[int], [])

    def forward(self, y: List[int]):
        self.x = y
        return self.x


def test_annotated_class_level_jit_annotation():
    check_module_without_warnings(_ClassLevelJitAnnotation, ([1, 2, 3],))


def test_annotated_empty_list():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: List[int] = []

        def forward(self, x: List[int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_empty_list_lowercase():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: list[int] = []

        def forward(self, x: list[int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_empty_dict():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: Dict[str, int] = {}

        def forward(self, x: Dict[str, int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_empty_dict_lowercase():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: dict[str, int] = {}

        def forward(self, x: dict[str, int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_empty_optional():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x: Optional[str] = None

        def forward(self, x: Optional[str]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Wrong type for attribute assignment")


def test_annotated_with_jit_empty_list():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.annotate(List[int], [])

        def forward(self, x: List[int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_with_jit_empty_list_lowercase():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.annotate(list[int], [])

        def forward(self, x: list[int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_with_jit_empty_dict():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.annotate(Dict[str, int], {})

        def forward(self, x: Dict[str, int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_with_jit_empty_dict_lowercase():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.annotate(dict[str, int], {})

        def forward(self, x: dict[str, int]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Tried to set nonexistent attribute")


def test_annotated_with_jit_empty_optional():
    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = torch.jit.annotate(Optional[str], None)

        def forward(self, x: Optional[str]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Wrong type for attribute assignment")


def test_annotated_with_torch_jit_import():
    from minitorch_jit import jit

    class M(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.x = jit.annotate(Optional[str], None)

        def forward(self, x: Optional[str]):
            self.x = x
            return 1

    check_fails_with_warning(M, "Wrong type for attribute assignment")

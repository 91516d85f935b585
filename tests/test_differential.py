"""Every program of ``programs.PROGRAMS``, with the full pass pipeline and with no passes, on
its examples and on random values of the same kinds: identical results."""
import importlib
import inspect
import pkgutil

import pytest
from differential import assert_same_with_and_without_passes, random_like
from programs import PROGRAMS

import minitorch_jit.bench.programs as seed_programs


@pytest.mark.filterwarnings("ignore::minitorch_jit.TracerWarning")
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_full_pipeline_and_no_passes_agree(program):
    fn = program.build()
    for example in program.examples():
        assert_same_with_and_without_passes(fn, *example, fused_atol=program.fused_atol)
        for seed in range(2):
            assert_same_with_and_without_passes(fn, *random_like(example, seed), seed=seed,
                                                fused_atol=program.fused_atol)


# what the seed programs' modules define besides the programs
PROGRAM_HELPERS = {"lstm_inputs", "resnet18", "residual_block", "lenet"}


def test_every_seed_program_is_under_the_differential_test():
    defined = set()
    for info in pkgutil.iter_modules(seed_programs.__path__):
        module = importlib.import_module(f"{seed_programs.__name__}.{info.name}")
        defined |= {obj for name, obj in vars(module).items() if name not in PROGRAM_HELPERS
                    and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__}
    assert defined == {p.source for p in PROGRAMS if p.source is not None}

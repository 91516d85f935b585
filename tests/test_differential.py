"""Every program of ``programs.PROGRAMS``, with the full pass pipeline and with no passes, on
its examples and on random values of the same kinds: identical results."""
import pytest
from differential import assert_same_with_and_without_passes, random_like

from programs import PROGRAMS


@pytest.mark.filterwarnings("ignore::minitorch_jit.TracerWarning")
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_full_pipeline_and_no_passes_agree(program):
    fn = program.build()
    for example in program.examples():
        assert_same_with_and_without_passes(fn, *example)
        for seed in range(2):
            assert_same_with_and_without_passes(fn, *random_like(example, seed), seed=seed)

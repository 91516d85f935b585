"""The pass pipeline: the order passes run in, to a fixed point, with dumps and checks.

``run_pipeline(graph)`` runs ``OPTIMIZATIONS`` in order, again and again until a whole round
changes nothing (at most ``MAX_ROUNDS`` rounds), then each of ``LOWERINGS`` once: passes that
change the graph's form for code generation rather than simplify it (the fuser, whose
``prim::FusionGroup`` nodes need a fusion compiler to run). ``optimize(graph)`` stops before
the lowerings.

Environment:

- ``MINITORCH_JIT_DUMP=all`` prints the graph before the pipeline and after every pass that
  changed it, on stderr; ``MINITORCH_JIT_DUMP=peephole,fusion`` only after those passes.
- ``MINITORCH_JIT_VERIFY=1`` runs the verifier after every pass (the tests set it), so a
  pass that breaks the graph fails there, naming itself; passes that never settle are an
  error too (otherwise a logged warning).

The passes share one alias db (``alias_analysis.sharing``): a pass that changes the graph
drops it unless it is marked as keeping it sound (``@keeps_alias_db``), so a round that
changes nothing builds it once.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Callable, List, Optional, Tuple

from minitorch_jit.ir import Graph, VerifyError, verify

from .alias_analysis import invalidate, marked_keeps_alias_db, sharing
from .common_subexpression_elimination import common_subexpression_elimination
from .constant_propagation import constant_propagation
from .dead_code_elimination import dead_code_elimination
from .decomposition import decomposition
from .fusion import fuse
from .inlining import inlining
from .loop_unrolling import loop_unrolling
from .peephole import peephole
from .reduction_fusion import reduction_fusion
from .remove_mutation import remove_mutation
from .shape_propagation import shape_propagation
from .tuple_lowering import tuple_lowering
from .value_refinement import value_refinement

Pass = Callable[[Graph], bool]
# Adds facts to an optimized graph that only it shows are worth having; returns whether it did
Refine = Callable[[Graph], bool]

# Shape propagation comes first: the executor hands over graphs whose input types it has just
# specialized, and the other types only agree with them once propagated.
OPTIMIZATIONS: List[Tuple[str, Pass]] = [
    ("shape_propagation", shape_propagation),
    ("inlining", inlining),
    ("constant_propagation", constant_propagation),
    ("value_refinement", value_refinement),
    ("peephole", peephole),
    ("tuple_lowering", tuple_lowering),
    ("loop_unrolling", loop_unrolling),
    ("common_subexpression_elimination", common_subexpression_elimination),
    ("dead_code_elimination", dead_code_elimination),
]
LOWERINGS: List[Tuple[str, Pass]] = [
    ("remove_mutation", remove_mutation),
    ("decomposition", decomposition),
    ("reduction_fusion", reduction_fusion),
    ("fusion", fuse),
]

MAX_ROUNDS = 16

log = logging.getLogger("minitorch_jit")


def pass_names() -> List[str]:
    """The pipeline's passes in the order they run."""
    return [name for name, _ in OPTIMIZATIONS + LOWERINGS]


def _verifying() -> bool:
    return os.environ.get("MINITORCH_JIT_VERIFY", "") not in ("", "0")


def _dump_wanted(name: str) -> bool:
    wanted = os.environ.get("MINITORCH_JIT_DUMP", "")
    return bool(wanted) and (wanted == "all" or name in wanted.split(","))


def _run(name: str, fn: Pass, graph: Graph) -> bool:
    changed = fn(graph)
    if changed and not marked_keeps_alias_db(fn):
        invalidate(graph)
    if _verifying():
        try:
            verify(graph)
        except VerifyError as e:
            raise VerifyError(f"the graph is broken after pass {name}: {e}") from None
    if changed and _dump_wanted(name):
        sys.stderr.write(f"[minitorch_jit] after {name}:\n{graph}")
    return changed


def run_pipeline(graph: Graph, refine: Optional[Refine] = None) -> Graph:
    """Optimize ``graph`` in place (and return it): the optimizations to a fixed point (see
    :func:`optimize` for ``refine``), then the lowerings."""
    with sharing():
        optimize(graph, refine)
        for name, fn in LOWERINGS:
            _run(name, fn, graph)
    return graph


def optimize(graph: Graph, refine: Optional[Refine] = None) -> Graph:
    """Run the optimizations on ``graph`` in place to a fixed point (and return it).

    ``refine(graph)``, when given, is called once, when the optimizations first reach a fixed
    point: it may add facts that the optimized graph shows would fold more (the executor
    makes the input sizes it still reads known); when it says it changed the graph, the
    optimizations go on to a fixed point again. So a graph is specialized on what it reads
    after optimization in one run of the pipeline, not two."""
    if _dump_wanted("all"):
        sys.stderr.write(f"[minitorch_jit] before the pipeline:\n{graph}")
    with sharing():
        for _ in range(MAX_ROUNDS):
            changed = False
            for name, fn in OPTIMIZATIONS:
                changed |= _run(name, fn, graph)
            if not changed:
                if refine is None:
                    break
                changed, refine = refine(graph), None
                if not changed:
                    break
                if _dump_wanted("all"):
                    sys.stderr.write(f"[minitorch_jit] refined:\n{graph}")
        else:
            _not_settled()
    return graph


def _not_settled() -> None:
    # Correct but maybe not fully optimized: some pass keeps undoing another's work.
    message = f"the optimizations did not reach a fixed point in {MAX_ROUNDS} rounds"
    if _verifying():
        raise RuntimeError(message)
    log.warning(message)

"""The systems the bench runs each workload on: minitorch_jit eager, traced and scripted, plain
numpy, and the peers that are installed (numexpr, numba's ``@vectorize`` and hand-written
``prange`` loops, PyTorch eager, ``torch.jit.script``, ``torch.compile``).

A system prepares a workload once (tracing, scripting, compiling: that is what the compile
time measures, with the first call) into a :class:`Prepared` call. One that does not apply
to a workload raises :class:`~.workloads.NotApplicable`; a peer that is not installed has a
``missing`` reason.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import minitorch_jit
from minitorch_jit.export import ExportError, export_library
from minitorch_jit.export.loaded import Exported
from minitorch_jit.ir.types import TensorType

from . import numpy_forms
from .elementwise import numba_runner, numexpr_runner, numpy_runner
from .rebind import rebind
from .workloads import BenchError, NotApplicable, Workload


@dataclass
class Prepared:
    """``call()`` runs the workload once; ``arrays(result)`` turns what it returned into
    numpy arrays, to check against eager mode (outside the timed calls)."""
    call: Callable[[], Any]
    arrays: Callable[[Any], Tuple[np.ndarray, ...]]


def _outputs(result: Any) -> Tuple[Any, ...]:
    return result if isinstance(result, tuple) else (result,)


def _tensor_arrays(result: Any) -> Tuple[np.ndarray, ...]:
    """Tensors of minitorch_jit or PyTorch (both have ``.numpy()``) as arrays."""
    return tuple(np.asarray(t.numpy()) for t in _outputs(result))


def _numpy_arrays(result: Any) -> Tuple[np.ndarray, ...]:
    return tuple(np.asarray(a) for a in _outputs(result))


@dataclass
class System:
    name: str
    prepare: Callable[[Workload, Sequence[np.ndarray]], Prepared]
    module: Optional[str] = None        # the package a peer needs
    notes: List[str] = field(default_factory=list)  # what a reader of the results must know

    def missing(self) -> Optional[str]:
        """Why this system cannot run at all (its package does not import), or None."""
        return None if self.module is None else _import_error(self.module)


def describe_error(e: BaseException) -> str:
    """An exception in one line: its type and the first line of its message."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


@functools.lru_cache(maxsize=None)
def _import_error(module: str) -> Optional[str]:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as e:
        return f"not installed ({e})"
    except Exception as e:  # an installed package can fail to import too (a broken build)
        return f"does not import ({describe_error(e)})"
    return None


def use_threads(systems: Sequence[System], n: int) -> None:
    """Give the peers that are installed ``n`` threads each (numexpr, numba and PyTorch all
    spell it ``set_num_threads``, as minitorch_jit does)."""
    for module in sorted({s.module for s in systems if s.module and s.missing() is None}):
        importlib.import_module(module).set_num_threads(n)


# -- minitorch_jit ------------------------------------------------------------------------------


def train_step(lib: Any, workload: Workload, target: Any, args: Tuple[Any, ...]) -> Callable[[], Any]:
    """One training step of ``target`` with ``lib`` (minitorch_jit or PyTorch, same names):
    zero the gradients, the forward and its loss, backward, an SGD step with momentum. The
    learning rate is 0, so that every call computes the same loss and gradients (which the
    harness checks against eager mode's) while doing all the work of a step."""
    if workload.model:
        params = list(target.parameters())
        x, y = args

        def loss() -> Any:
            return lib.nn.functional.mse_loss(target(x), y)
    else:
        params = [args[i].requires_grad_() for i in workload.trainable]

        def loss() -> Any:
            return sum(o.sum() for o in _outputs(target(*args)))
    opt = lib.optim.SGD(params, lr=0.0, momentum=0.9)

    def call() -> Any:
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
        return (value.detach(),) + tuple(p.grad for p in params)
    return call


def backward_step(lib: Any, workload: Workload, target: Any, args: Tuple[Any, ...]) -> Callable[[], Any]:
    """Forward and backward of ``target`` with ``lib``: the outputs, and the gradients of the
    arguments in ``workload.trainable`` for a gradient of ones on every output."""
    wanted = [args[i].requires_grad_() for i in workload.trainable]

    def call() -> Any:
        outs = _outputs(target(*args))
        grads = lib.autograd.grad(outs, wanted, [lib.ones_like(o) for o in outs])
        return tuple(o.detach() for o in outs) + tuple(grads)
    return call


def _only_eager(workload: Workload, compiled: bool) -> None:
    """Training steps of the family train_step are timed in eager mode (the family backward
    has the compiled ones)."""
    if compiled and workload.train and workload.family == "train_step":
        raise NotApplicable("training steps of this family are timed in eager mode; the family backward "
                            "times compiled ones")


def _minitorch(compile_: Optional[Callable[[Any, Tuple[Any, ...]], Any]]) -> Callable[..., Prepared]:
    def prepare(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
        args = tuple(minitorch_jit.from_numpy(a) for a in inputs)
        fn = workload.target()
        _only_eager(workload, compile_ is not None)
        if compile_ is not None:
            fn = compile_(fn, args[:1] if workload.train and workload.model else args)  # a model takes x, not y
        if workload.train:
            return Prepared(train_step(minitorch_jit, workload, fn, args), _tensor_arrays)
        if workload.backward:
            return Prepared(backward_step(minitorch_jit, workload, fn, args), _tensor_arrays)

        def call() -> Any:
            with minitorch_jit.no_grad():  # inference, as PyTorch's runs under inference_mode
                return fn(*args)
        return Prepared(call, _tensor_arrays)
    return prepare


@contextlib.contextmanager
def _kernels_of_0_1_0() -> Iterator[None]:
    """Fusion groups compiled inside the block are built as minitorch_jit 0.1.0 built them:
    float32 tanh computing two branches and selecting one, sigmoid through the general exp
    (mathlib keeps both forms for this), no interleave hints, fresh outputs (no reuse of
    released buffers), in fusion kernels of their own (not those that script already compiled
    for the same groups)."""
    from minitorch_jit.codegen import buffers, launch
    from minitorch_jit.codegen.llvm.kernel import interleaving
    from minitorch_jit.codegen.llvm.mathlib import forms

    saved = launch._groups, buffers.POOL_MIN
    launch._groups, buffers.POOL_MIN = type(launch._groups)(), 1 << 62
    try:
        with forms(tanh="tanh_two_branch", sigmoid="sigmoid_exp"), interleaving(False):
            yield
    finally:
        launch._groups, buffers.POOL_MIN = saved


def _script_0_1_0(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
    if not workload.pointwise:
        raise NotApplicable("it measures the pointwise kernels of 0.1.0 against today's")
    # a copy of the function: script() keeps one compiled function per function object
    fn = minitorch_jit.script(rebind(workload.fn, {}))
    args = tuple(minitorch_jit.from_numpy(a) for a in inputs)

    def call() -> Any:
        with minitorch_jit.no_grad():
            return fn(*args)
    with _kernels_of_0_1_0():
        call()  # compiles the kernels (and fixes the launch's output allocation) as 0.1.0 did
    return Prepared(call, _tensor_arrays)
def _exported(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
    """The workload exported as a native library (a model traced, a function scripted),
    called through ctypes into preallocated outputs."""
    if workload.train or workload.backward:  # (timed as a forward, it was reported WRONG against eager's gradients)
        raise NotApplicable("the exported library runs inference only")
    args = tuple(minitorch_jit.from_numpy(a) for a in inputs)
    fn = workload.target()
    compiled = minitorch_jit.jit.trace(fn, args) if workload.model else minitorch_jit.script(fn)
    folder = tempfile.mkdtemp(prefix="minitorch_jit_bench_export_")
    types = [TensorType(a.dtype.name, (None,) * a.ndim) for a in inputs]
    try:
        export_library(compiled, os.path.join(folder, f"{workload.family}.so"), types)
    except ExportError as e:
        raise NotApplicable(f"not exported: {describe_error(e)}") from None
    library = Exported(os.path.join(folder, f"{workload.family}.so"))
    library.set_num_threads(minitorch_jit.get_num_threads())  # the budget script runs with (--threads)
    arrays = [np.ascontiguousarray(a) for a in inputs]
    outputs = [np.empty(shape, dtype) for dtype, shape in library.output_shapes(*arrays)]
    forward = library.bind(arrays, outputs)

    def call() -> Any:
        forward()
        return tuple(outputs)
    return Prepared(call, _numpy_arrays)


# -- PyTorch ------------------------------------------------------------------------------------


def _torch_target(workload: Workload) -> Any:
    """The workload's Python with ``torch``, ``nn`` and ``F`` bound to PyTorch's; a model is
    built by the same code and given minitorch_jit's weights."""
    import torch

    fn = rebind(workload.fn, {"torch": torch, "nn": torch.nn, "F": torch.nn.functional})
    if not workload.model:
        return fn
    model = fn()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in workload.parameters().items()})
    return model.eval()


def _torch(compile_: Optional[Callable[[Any], Any]]) -> Callable[..., Prepared]:
    def prepare(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
        import torch

        args = tuple(torch.from_numpy(a) for a in inputs)
        fn = _torch_target(workload)
        _only_eager(workload, compile_ is not None)
        if compile_ is not None:
            fn = compile_(fn)
        if workload.train:
            return Prepared(train_step(torch, workload, fn, args), _tensor_arrays)
        if workload.backward:
            return Prepared(backward_step(torch, workload, fn, args), _tensor_arrays)

        def call() -> Any:
            with torch.inference_mode():
                return fn(*args)
        return Prepared(call, _tensor_arrays)
    return prepare


def _torch_compile(fn: Any) -> Any:
    import torch
    return torch.compile(fn, dynamic=False)


def _jit_script(fn: Any) -> Any:
    import torch
    return torch.jit.script(fn)


# -- numexpr and numba -------------------------------------------------------------------------


def _elementwise(runner: Callable[..., Callable[[], Any]]) -> Callable[..., Prepared]:
    def prepare(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
        if not workload.pointwise:
            raise NotApplicable("it computes elementwise formulas; this workload has reductions or matrix products")
        return Prepared(runner(workload.fn, inputs), _numpy_arrays)
    return prepare


def _numba_loop(parallel: bool) -> Callable[..., Prepared]:
    def prepare(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
        from . import numba_loops

        if workload.family not in numba_loops.LOOPS:
            raise NotApplicable("no hand-written loop for this workload (they cover the pointwise ones)")
        return Prepared(numba_loops.runner(workload.family, inputs, parallel), _numpy_arrays)
    return prepare
def _numpy(workload: Workload, inputs: Sequence[np.ndarray]) -> Prepared:
    """numpy: the workload's own Python on arrays (pointwise ones), or its numpy form."""
    form = numpy_forms.FORMS.get(workload.family)
    if form is None:
        return _elementwise(numpy_runner)(workload, inputs)
    return Prepared(lambda: form(*inputs), _numpy_arrays)


REFERENCE = "eager"  # every output is checked against it, and speedups are over it
HEADLINE = "script"  # minitorch_jit's fused code: the system the tables are about
SCRIPT_0_1_0 = "script@0.1.0"


def all_systems() -> List[System]:
    """The systems in the order of the table's columns; eager mode first: it is the reference."""
    return [
        System(REFERENCE, _minitorch(None)),
        # script before trace: the two fuse the same subgraphs, and the first one compiles the
        # kernels (the second finds them in memory), so script's compile time is the cold one
        System(HEADLINE, _minitorch(lambda fn, args: minitorch_jit.script(fn))),
        System("trace", _minitorch(minitorch_jit.jit.trace)),
        System(SCRIPT_0_1_0, _script_0_1_0,
               notes=[f"{SCRIPT_0_1_0}: script with its kernels built as minitorch_jit 0.1.0 built them (a tanh that "
                      "computes two branches, sigmoid through the general exp, no interleave hints, a fresh array "
                      "for every output), in the same process"]),
        System("exported", _exported,
               notes=["exported: the model as a native library (python -m minitorch_jit export), called through "
                      "ctypes on preallocated outputs (descriptors built once), with the thread budget of script (its "
                      "GEMMs split rows across threads)"]),
        System("numpy", _numpy),
        System("numexpr", _elementwise(numexpr_runner), module="numexpr"),
        System("numba", _elementwise(numba_runner), module="numba"),
        System("numba.prange", _numba_loop(True), module="numba",
               notes=["numba.prange: a hand-written numba.njit(parallel=True) loop per pointwise workload; "
                      "numba.njit: the same loop, serial (numba's plain dispatcher)"]),
        System("numba.njit", _numba_loop(False), module="numba"),
        System("torch", _torch(None), module="torch"),
        System("torch.jit.script", _torch(_jit_script), module="torch",
               notes=["torch.jit.script runs with PyTorch's default settings, in which TorchScript does not fuse "
                      "on the CPU"]),
        System("torch.compile", _torch(_torch_compile), module="torch"),
    ]


def select_systems(systems: List[System], names: Optional[Sequence[str]]) -> List[System]:
    """Eager mode (the reference, first) and script (what the tables are about), and the
    systems named (all when none are)."""
    if not names:
        return systems
    known = [s.name for s in systems]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BenchError(f"no system named {', '.join(unknown)}; the systems are: {', '.join(known)}")
    return [s for s in systems if s.name in (REFERENCE, HEADLINE) or s.name in names]


def describe_versions(systems: Sequence[System]) -> Dict[str, str]:
    """The version of each peer package that imports."""
    versions: Dict[str, str] = {}
    for s in systems:
        if s.module and s.module not in versions and s.missing() is None:
            versions[s.module] = getattr(importlib.import_module(s.module), "__version__", "?")
    return versions

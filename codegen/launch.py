"""Running a fusion group: check the inputs, specialize, compile (cached), allocate the
outputs and launch the native kernel, on a thread pool when the output is big.

The call path is lean: a call whose inputs have the shapes, strides and dtypes of an earlier
call finds its prepared launch in a dict, allocates the outputs and makes one ctypes call
(the kernel reads the arrays' data pointers itself). Everything that could make native code
misbehave is decided in Python before the first such call: every input is an ndarray of a
supported dtype, shapes broadcast (or PyTorch's error is raised), the eager kernels accept
the dtypes (or their error is raised), strides are in whole elements, and the layout the
kernel was specialized on is the layout it gets. Leaner still, a compiled function's next call
hands the previous call's launch its Tensors as they are: the kernel checks natively that they
are Tensors (not requiring grad, in grad mode) whose arrays have its layout, and computes or
reports a miss (see kernel.check_layout). For the common launch (C-ordered outputs computed on
the calling thread) that whole call is one native function that CPython calls, which
allocates the outputs and returns them as Tensors (see native_call).

Whatever the kernel does not compute exactly as eager does, the group's eager kernels compute
(:func:`run_eagerly`, op by op on the same inputs): an error (a dtype the eager kernels
refuse, or a value error an element of the kernel reported), so that the error raised is the
one of the first failing op in program order, with eager's type and message; an int scalar
beyond int32's range (which eager wraps, compares exactly or refuses, op by op); and an
empty iteration space (whose ops may still see nonempty operands and raise).
"""
from __future__ import annotations

import ctypes
import logging
import math
import operator
import threading
from collections import OrderedDict
from time import perf_counter
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple

import numpy as np

from minitorch_jit.ir import registry
from minitorch_jit.ir.graph import Graph, Node, Value, note_source
from minitorch_jit.ir.printer import print_graph
from minitorch_jit.ir.types import KERNEL_DTYPES, TensorType, Type, type_of_constant

from . import buffers, native_call, threads
from .llvm import kernel as kernels
from .llvm.cache import KernelCache, default_cache
from .llvm.kernel import CHECK, NO_GRAD, RUNTIME, WRAPPED, WRAPPER_WORDS, ObjectLayout, ScalarArg, Spec, TensorArg
from .llvm.target import Loaded

log = logging.getLogger("minitorch_jit")

# an output to allocate: its shape in memory order, dtype, and the transpose that gives it the
# group's shape (None: C order, allocated as it is)
Output = Tuple[Tuple[int, ...], np.dtype, Optional[Tuple[int, ...]]]

SUPPORTED = {np.dtype(d): d for d in KERNEL_DTYPES}
# Kernels over fewer elements never split across threads (nor are they timed for the cost
# model, see codegen/threads.py): a pool round trip costs more than their whole work.
SPLIT_MIN = 1 << 12           # elements
CHUNK_ALIGN = 64              # chunk boundaries, in elements


class Chunking(NamedTuple):
    """How a launch's iteration space splits into one chunk per thread: boundaries at
    multiples of ``align``, chunks no shorter than ``least`` (fewer chunks where they would be).
    Four chunks per thread, taken by whichever thread was free, measured no faster on pointwise
    kernels (0.93-1.00x) and slower on blocked ones (0.80-0.91x: shorter column runs)."""
    align: int
    least: int


ELEMENTS = Chunking(CHUNK_ALIGN, CHUNK_ALIGN)  # a pointwise kernel's elements
MAX_LAUNCHES = 256            # prepared launches kept per kernel (one per input layout)
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1  # the runtime int scalars a kernel takes

# (the tuple of arrays, the layout words), both by address: the cheapest call ctypes makes;
# nonzero back when the kernel was asked to check the arrays' layout and it differs
_KERNEL_TYPE = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
MISS = object()  # what a checked launch returns for arrays of another layout


_WORD = ctypes.sizeof(ctypes.c_void_p)


def _field_offset(obj: Any, found: Callable[[int], bool]) -> int:
    """The offset of the first word of ``obj`` (after its reference count) that ``found``."""
    for off in range(_WORD, 96, _WORD):
        if found(id(obj) + off):
            return off
    raise RuntimeError("cannot locate CPython object fields for native kernels")


def pointer_to(target: int) -> Callable[[int], bool]:
    return lambda at: ctypes.c_void_p.from_address(at).value == target


def _probe_layout() -> ObjectLayout:
    """Where CPython keeps an object's type and a tuple's items, and numpy an array's data
    pointer, rank, shape, strides and dtype, found by looking, so that the kernel's reads are
    right on this interpreter and numpy build."""
    a = np.zeros((3, 5, 7), np.float32)[:, ::2]  # shape (3, 3, 7), strides (140, 56, 4)
    t = (a,)
    word = _WORD
    find = _field_offset

    def points_at(values: Tuple[int, ...]) -> Callable[[int], bool]:
        def check(at: int) -> bool:
            p = ctypes.c_void_p.from_address(at).value or 0
            return p != 0 and p % word == 0 and tuple((ctypes.c_int64 * len(values)).from_address(p)) == values
        return check

    data = find(a, pointer_to(a.ctypes.data))
    rank = data + word
    if ctypes.c_int32.from_address(id(a) + rank).value != a.ndim:
        raise RuntimeError("cannot locate numpy's array rank for native kernels")
    return ObjectLayout(tuple_items=find(t, pointer_to(id(a))), array_data=data, array_ndim=rank,
                        array_shape=find(a, points_at(a.shape)), array_strides=find(a, points_at(a.strides)),
                        array_dtype=find(a, pointer_to(id(a.dtype))), object_type=find(a, pointer_to(id(np.ndarray))))


LAYOUT = _probe_layout()

# What a kernel needs to take the objects that wrap arrays in place of them (see
# kernel.check_layout): the wrapper type's address, the offsets of its array and requires-grad
# slots, and the address of False. Zeros until register_wrapper: no object is taken then.
WRAPPER = [0] * WRAPPER_WORDS


def _unregistered(obj: Any) -> np.ndarray:
    raise RuntimeError("internal error: a kernel took wrapped arrays before register_wrapper")


_unwrap: Callable[[Any], np.ndarray] = _unregistered  # a wrapper's array


def register_wrapper(cls: type, array_slot: str, grad_slot: str, make: Callable[[np.ndarray], Any]) -> None:
    """Let :meth:`_Launch.attempt_wrapped` give kernels objects of ``cls`` (whose slot
    ``array_slot`` holds their ndarray and ``grad_slot`` whether they require grad) in place
    of arrays, and native entries (:mod:`.native_call`) return their outputs as ``make``
    wraps an array. The slots' offsets are found by looking, as :func:`_probe_layout` does."""
    obj: Any = object.__new__(cls)
    array, grad = object(), object()
    setattr(obj, array_slot, array)
    setattr(obj, grad_slot, grad)
    global _unwrap
    WRAPPER[:] = [id(cls), _field_offset(obj, pointer_to(id(array))), _field_offset(obj, pointer_to(id(grad))),
                  id(False)]
    _unwrap = operator.attrgetter(array_slot)
    native_call.register(LAYOUT.tuple_items, LAYOUT.array_data, cls, WRAPPER[1], make)


_groups_lock = threading.Lock()


def run_eagerly(graph: Graph, args: Sequence[Any]) -> Any:
    """The group computed by its ops' eager kernels, one by one in program order: what the
    unfused graph computes, or raises. Outputs are fresh arrays laid out as the eager kernels
    lay them out (as a kernel lays out its own)."""
    env: Dict[Any, Any] = dict(zip(graph.inputs, args))
    for node in graph.nodes:
        if node.kind == "prim::Constant":
            env[node.output] = node.output.constant
        else:
            try:
                result = registry.node_op(node).kernel(*[env[v] for v in node.inputs])
            except Exception as e:
                note_source(e, node.source)
                raise
            env.update(zip(node.outputs, result) if len(node.outputs) > 1 else ((node.output, result),))
    outs = tuple(np.array(env[v], order="K") for v in graph.outputs)
    return outs[0] if len(outs) == 1 else outs


class _EagerLaunch:
    """The launch of a layout no kernel computes (an empty iteration space, or dtypes some op
    refuses): the group's eager kernels."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def taking(self, positions: Sequence[int], n_args: int) -> Callable[..., Any]:
        return lambda *args: self(*[args[i] for i in positions])

    def __call__(self, *args: Any) -> Any:
        return run_eagerly(self.graph, args)


class _Launch:
    """A prepared call for one input layout: the kernel, the outputs to allocate, the layout
    words the kernel reads ([start, end, shape, strides, check, the inputs' own layout]) for
    the whole iteration space and, made when first wanted, for its chunks on n threads;
    ``eager`` computes the same call by the eager kernels (for what the kernel leaves to them).

    ``launch(*arrays)`` trusts that the arrays have the layout the launch was prepared for
    (its caller looked it up by that layout); ``launch.attempt(*arrays)`` lets the kernel check
    (see kernel.check_layout) and returns :data:`MISS` when they have another: the executor's
    fast path tries the launch of the previous call that way before computing any key.
    ``launch.attempt_wrapped(tensors, grad)`` does the same with the Tensors themselves, for a
    kernel that takes them (``wrapped``).

    A launch that may split (``numel`` at least :data:`SPLIT_MIN`, no output written by several
    iterations) times its first :data:`TIMED_CALLS` calls on one thread (the fastest is
    ``seconds``), then asks the cost model (codegen/threads.py) each call whether to split."""

    __slots__ = ("fn", "address", "library", "words", "check", "whole", "checked", "wrapped", "numel", "splits",
                 "chunking",
                 "seconds", "timed", "outputs", "pooled", "tensor_inputs", "pick", "scalar_inputs", "extra", "single",
                 "eager", "check_only", "native", "native_prepared")

    def __init__(self, fn: Any, library: Optional[Loaded], words: List[int], check: Tuple[List[int], List[Any]],
                 numel: int, chunking: Optional[Chunking], outputs: List[Output], tensor_inputs: Optional[List[int]],
                 scalar_inputs: List[Tuple[int, str]], extra: bool, eager: Callable[..., Any], wrapped: bool = False):
        self.fn = fn
        self.address: int = ctypes.cast(fn, ctypes.c_void_p).value or 0  # native workers call the kernel by address
        self.library = library  # keeps the kernel's code loaded while this launch may run it
        self.check = check  # the inputs' layout words, and the dtypes whose addresses they hold (kept alive)
        # kept alive here, read by address: the whole range unchecked, checked, then checked for
        # Tensors (any, or none requiring grad); then the same over an empty range (a check
        # alone, for calls that may split)
        flags = (0, CHECK, CHECK | WRAPPED, CHECK | WRAPPED | NO_GRAD)
        self.words = np.array([[0, end] + words + [flag] + WRAPPER + check[0] for end in (numel, 0) for flag in flags],
                              np.int64)
        self.whole = self.words[0].ctypes.data
        self.checked = self.words[1].ctypes.data
        self.check_only = self.words[len(flags)].ctypes.data - self.whole  # from a row to its empty-range one
        # the checked rows for Tensors, without and with grad mode on; None: the kernel takes arrays only
        self.wrapped = (self.words[2].ctypes.data, self.words[3].ctypes.data) if wrapped and not scalar_inputs \
            else None
        self.numel = numel
        # thread count -> (layout rows, (first row address, row stride, rows)); None: never splits
        self.splits: Optional[Dict[int, Tuple[np.ndarray, Tuple[int, int, int]]]] = {} if chunking else None
        self.chunking = chunking
        self.seconds = 0.0  # the fastest call on one thread
        self.timed = 0      # calls timed on one thread
        self.outputs = outputs
        # big outputs come from codegen/buffers.py's pool of released buffers
        self.pooled = any(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize >= buffers.POOL_MIN
                          for shape, dtype, _ in outputs)
        self.tensor_inputs = tensor_inputs  # positions of the arrays among the arguments; None: all, in order
        self.pick = _picker(tensor_inputs)
        self.scalar_inputs = scalar_inputs  # (position, how it is passed)
        self.extra = extra
        self.single = len(outputs) == 1
        self.eager = eager
        self.native: Optional[Callable[..., Any]] = None  # see prepare_native
        self.native_prepared = False

    def taking(self, positions: Sequence[int], n_args: int) -> "_Launch":
        """This launch reading its argument i from position ``positions[i]`` of an argument
        list of ``n_args`` (the arguments of a host function that is one call of the kernel)."""
        tensors = range(len(positions)) if self.tensor_inputs is None else self.tensor_inputs
        eager = self.eager
        n_words = len(self.words[0]) - 3 - WRAPPER_WORDS - len(self.check[0])
        scalar_inputs = [(positions[i], kind) for i, kind in self.scalar_inputs]
        tensor_inputs: Optional[List[int]] = [positions[i] for i in tensors]
        if tensor_inputs == list(range(n_args)) and not scalar_inputs:
            tensor_inputs = None  # every argument, in order: the call passes them on as they are
        return _Launch(self.fn, self.library, [int(w) for w in self.words[0, 2:2 + n_words]], self.check,
                       self.numel, self.chunking, self.outputs, tensor_inputs, scalar_inputs, self.extra,
                       lambda *args: eager(*[args[i] for i in positions]), self.wrapped is not None)

    def prepare_native(self) -> None:
        """Make ``native``, the whole call as one native function (see native_call), when every
        argument is one of the kernel's Tensors and its outputs are C-ordered, not pooled,
        computed on this thread and with no extra array, over fewer than :data:`SPLIT_MIN`
        elements (the kernel runs holding the GIL there, as numpy's small ufuncs do, where
        ctypes releases it: only for work too small to matter to other threads); None
        otherwise (attempt_wrapped is the lean call then). Made for the launches a compiled
        function calls again, not for every launch: the first one in a process compiles the
        native entry."""
        if self.native_prepared:
            return
        positions = range(len(self.check[1])) if self.tensor_inputs is None else self.tensor_inputs
        if self.wrapped is not None and sorted(positions) == list(range(len(positions))) \
                and all(axes is None for _, _, axes in self.outputs) and not self.pooled and not self.extra \
                and self.splits is None and self.numel < SPLIT_MIN:
            self.native = native_call.entry(self.address, self.wrapped[1],
                                            positions, [(shape, dtype) for shape, dtype, _ in self.outputs])
        self.native_prepared = True

    def chunks(self, n: int) -> Tuple[int, int, int]:
        """The layout rows of the chunks of the iteration space for ``n`` threads: the address
        of the first, the bytes from one to the next, and how many there are."""
        assert self.splits is not None and self.chunking is not None
        made = self.splits.get(n)
        if made is None:
            rest = list(self.words[0, 2:])
            rows = np.array([[start, end] + rest for start, end in _chunks(self.numel, n, self.chunking)], np.int64)
            made = self.splits[n] = (rows, (rows.ctypes.data, rows.strides[0], len(rows)))
        return made[1]

    def _run(self, packed: tuple) -> None:
        # the kernel reads the tuple by address: ``packed`` keeps it (and the arrays) alive
        if self.splits is None:
            self.fn(id(packed), self.whole)
            return
        n = threads.kernel_threads(self.seconds) if self.timed >= TIMED_CALLS else 1
        if n == 1:
            start = perf_counter()
            self.fn(id(packed), self.whole)
            end = perf_counter()
            threads.ran_alone(end)
            took = end - start
            if not self.timed or took < self.seconds:
                self.seconds = took
            self.timed += 1
            return
        threads.run_kernel(self.fn, self.address, id(packed), *self.chunks(n), self.seconds)

    def __call__(self, *args: Any) -> Any:
        return self._call(args, 0)

    def attempt(self, *args: Any) -> Any:
        """The call, if ``args`` have the layout this launch was prepared for; :data:`MISS`
        (having computed nothing) if not."""
        return self._call(args, self.checked)

    def attempt_wrapped(self, tensors: Tuple[Any, ...], grad: bool) -> Any:
        """:meth:`attempt` given the objects registered by :func:`register_wrapper` (Tensors)
        that wrap the arrays; :data:`MISS` also when one is not such an object, when ``grad``
        (grad mode is on) and one requires grad, and when the kernel reported a value error
        (the caller's other path computes the call again, and raises it)."""
        if self.wrapped is None:
            return MISS
        return self._call(tensors, self.wrapped[grad])

    def _call(self, args: Tuple[Any, ...], checked: int) -> Any:
        tensors = args if self.pick is None else self.pick(args)
        if len(tensors) != len(self.check[1]):  # the kernel would read items past the tuple
            if checked:
                return MISS
            raise RuntimeError(f"internal error: a fused kernel of {len(self.check[1])} tensors called with "
                               f"{len(tensors)}")
        extra = None
        if self.extra:
            extra = np.zeros(1 + len(self.scalar_inputs), np.int64)
            for k, (i, kind) in enumerate(self.scalar_inputs, 1):
                if kind == "float64":
                    extra[k:k + 1].view(np.float64)[0] = args[i]
                elif kind == "int64" and not INT32_MIN <= args[i] <= INT32_MAX:
                    return self.eager(*args)
                else:
                    extra[k] = args[i]
        if self.pooled:
            outs = tuple([_pooled(shape, dtype, axes) for shape, dtype, axes in self.outputs])
        elif self.single:
            shape, dtype, axes = self.outputs[0]
            outs = (np.empty(shape, dtype) if axes is None else np.empty(shape, dtype).transpose(axes),)
        else:
            outs = tuple([np.empty(shape, dtype) if axes is None else np.empty(shape, dtype).transpose(axes)
                          for shape, dtype, axes in self.outputs])
        packed = (*tensors, *outs, extra) if extra is not None else (*tensors, *outs)
        if checked and self.splits is None:
            # the kernel reads the tuple by address: ``packed`` keeps it (and the arrays) alive
            if self.fn(id(packed), checked):
                return MISS
        elif checked:
            # the kernel checks alone, then the work goes where the cost model says
            if self.fn(id(packed), checked + self.check_only):
                return MISS
            if checked != self.checked:  # Tensors: the unchecked chunks read arrays
                arrays = tuple(map(_unwrap, tensors))
                packed = (*arrays, *outs, extra) if extra is not None else (*arrays, *outs)
            self._run(packed)
        else:
            self._run(packed)
        if extra is not None and extra[0]:
            if checked and checked != self.checked:
                return MISS  # args are Tensors, which the eager kernels do not take
            self.eager(*args)  # raises the error of the first failing op
            raise RuntimeError(f"internal error: a fused kernel reported value errors {int(extra[0])} that its "
                               "eager kernels do not raise")
        return outs[0] if self.single else outs


def _picker(positions: Optional[List[int]]) -> Optional[Callable[[Tuple[Any, ...]], Tuple[Any, ...]]]:
    """The arguments at ``positions``, as a tuple, picked in C (a comprehension costs a
    microsecond a call); None: every argument, in order."""
    if positions is None:
        return None
    if len(positions) == 1:
        i = positions[0]
        return lambda args: (args[i],)
    return operator.itemgetter(*positions)


# Calls of a launch timed on one thread before the cost model is asked whether to split: the
# first one writes fresh output pages and reads cold caches (a 1M-element square5 took
# 1.1-1.5 ms where later calls take 0.3), and that time, kept as the single-thread cost,
# made every parallel run look early: the overhead measured 0 whatever the load, and kernels
# too small to pay for a split were split.
TIMED_CALLS = 3


def _pooled(shape: Tuple[int, ...], dtype: np.dtype, axes: Optional[Tuple[int, ...]]) -> np.ndarray:
    nbytes = math.prod(shape) * dtype.itemsize  # (np.prod takes microseconds on a tuple)
    out = buffers.empty(shape, dtype, nbytes) if nbytes >= buffers.POOL_MIN else np.empty(shape, dtype)
    return out if axes is None else out.transpose(axes)


class _SplitLaunch:
    """A group whose outputs do not share one iteration space: ``(c + b, c + d)`` for ``c``
    of shape (3, 1), ``b`` (1, 4) and ``d`` (1, 5), which the types cannot tell apart from
    ``d`` of shape (1, 4) when the plan is made. Each set of same-shaped outputs runs as its
    own compiled kernel (the pointwise ops they share are computed by each)."""

    def __init__(self, parts: Sequence[Tuple["FusedKernel", Tuple[int, ...]]], n_outputs: int):
        self.parts = parts
        self.n_outputs = n_outputs

    def taking(self, positions: Sequence[int], n_args: int) -> Callable[..., Any]:
        return lambda *args: self(*[args[i] for i in positions])

    def __call__(self, *args: Any) -> Any:
        outs: List[Any] = [None] * self.n_outputs
        for kernel, indices in self.parts:
            got = kernel(*args)
            for i, o in zip(indices, got if len(indices) > 1 else (got,)):
                outs[i] = o
        return outs[0] if self.n_outputs == 1 else tuple(outs)


def _by_shape(sizes: Sequence[Tuple[int, ...]]) -> List[Tuple[int, ...]]:
    """The positions of ``sizes``, grouped by equal sizes (in order of first appearance)."""
    groups: Dict[Tuple[int, ...], List[int]] = {}
    for i, s in enumerate(sizes):
        groups.setdefault(tuple(s), []).append(i)
    return [tuple(g) for g in groups.values()]


class FusedKernel:
    """The callable that host code calls for one ``prim::FusionGroup``: arrays and Python
    numbers in (in the subgraph's input order), the group's outputs out.

    The subgraph is typed (shape propagation gave every tensor value its dtype; sizes, when
    the types have them, are not relied on): the kernel computes those dtypes, so arrays of
    other dtypes than its inputs' are refused. Each new layout of the inputs has its sizes
    worked out and checked (by the ops' type rules, for PyTorch's broadcast errors)."""

    def __init__(self, graph: Graph, cache: Optional[KernelCache] = None):
        for v in list(graph.inputs) + [o for n in graph.nodes for o in n.outputs]:
            if isinstance(v.type, TensorType) and v.type.dtype is None:
                raise ValueError(f"fusion group value %{v.name or '?'} has no dtype: kernels take the dtypes of "
                                 "a typed graph (one that shape propagation has typed)")
        self.graph = graph
        self.cache = cache if cache is not None else default_cache()
        self.is_tensor = [isinstance(v.type, TensorType) for v in graph.inputs]
        self.out_dtypes = [v.type.dtype for v in graph.outputs]
        self._sources = _tensor_sources(graph)
        self._launches: "OrderedDict[tuple, _Launch]" = OrderedDict()
        self._kernels: Dict[Spec, Tuple[Loaded, Any, bool]] = {}
        self._wrapped: Dict[Spec, bool] = {}  # whether the kernel takes Tensors (Built.wrapped)
        self._checked: set = set()
        self._parts: Dict[Tuple[int, ...], "FusedKernel"] = {}
        self._lock = threading.Lock()
        self.compiles = 0

    def build(self, spec: Spec) -> kernels.Built:
        """The kernel of the group for ``spec`` (LLVM IR, not compiled yet)."""
        return kernels.build(self.graph, spec, LAYOUT)
    def __call__(self, *args: Any) -> Any:
        return self.launch(args)(*args)

    def launch(self, args: Sequence[Any]) -> _Launch:
        """The prepared launch for arguments laid out like ``args`` (prepared now if new)."""
        try:
            key = tuple([(a.shape, a.strides, a.dtype) if t else type(a) for a, t in zip(args, self.is_tensor)])
        except AttributeError:
            key = None
        launch = self._launches.get(key) if key is not None else None
        if launch is None:
            launch = self._prepare(args, key)
        return launch

    # -- the slow path: once per input layout -------------------------------------------------
    def _input_types(self, args: Sequence[Any]) -> List[Type]:
        """The types of ``args``, after checking they are what the kernel may be given: arrays
        of the graph's dtypes with whole-element strides, and Python numbers."""
        g = self.graph
        if len(args) != len(g.inputs):
            raise TypeError(f"fusion group takes {len(g.inputs)} inputs, got {len(args)}")
        types: List[Type] = []
        for i, (a, tensor) in enumerate(zip(args, self.is_tensor)):
            if tensor:
                if type(a) is not np.ndarray:
                    raise TypeError(f"fusion group input {i} must be an array, got {type(a).__name__}")
                if a.dtype not in SUPPORTED or not a.dtype.isnative:
                    raise TypeError(f"fusion group input {i} has unsupported dtype {a.dtype}")
                if SUPPORTED[a.dtype] != g.inputs[i].type.dtype:
                    raise TypeError(f"fusion group input {i} has dtype {a.dtype}, its graph says "
                                    f"{g.inputs[i].type.dtype}")
                if any(s % a.itemsize for s in a.strides):
                    raise TypeError(f"fusion group input {i} has strides {a.strides} that are not whole elements")
                types.append(TensorType(SUPPORTED[a.dtype], a.shape))
            else:
                if not isinstance(a, (bool, int, float)):
                    raise TypeError(f"fusion group input {i} must be a number, got {type(a).__name__}")
                types.append(type_of_constant(a))
        return types

    def _prepare(self, args: Sequence[Any], key: Optional[tuple]) -> _Launch:
        g = self.graph
        value_sizes = kernels.infer_sizes(g, self._input_types(args))  # raises PyTorch's broadcast error
        if not self._eager_accepts(args):
            # the eager kernels raise: the refusing op's error, or an earlier op's value error
            return self._keep(key, _EagerLaunch(g))

        tensors = [a for a, t in zip(args, self.is_tensor) if t]
        out_sizes = [value_sizes[v] for v in g.outputs]
        # inputs nothing reads take no part in the iteration space (and are never loaded)
        all_sizes = [s for v, s in value_sizes.items() if v.uses or v.node.kind != "prim::Param"]
        shape = _broadcast_shape(all_sizes)
        numel = int(np.prod(shape, dtype=np.int64)) if shape else (0 if shape is None else 1)
        if shape is None or (numel == 0 and any(0 not in s for s in out_sizes)):
            launch = _SplitLaunch([(self._part(indices), indices) for indices in _by_shape(out_sizes)], len(out_sizes))
        elif numel == 0:
            launch = _EagerLaunch(g)
        else:
            operands = [(a.shape, tuple(s // a.itemsize for s in a.strides)) if v.uses else ((), ())
                        for a, v in zip(tensors, [v for v, t in zip(g.inputs, self.is_tensor) if t])]
            # results laid out as eager lays them out (numpy's order "K": like the inputs they
            # are computed from that have their shape, when those agree), so strides and
            # view() behave alike
            outputs: List[Output] = []
            out_strides = []
            for v, s, d in zip(g.outputs, out_sizes, self.out_dtypes):
                order = _layout_order([args[i] for i in self._sources[v]], s)
                if order is not None:
                    perm = [i for i in range(len(s)) if i not in order] + list(order)
                    alloc = tuple(s[i] for i in perm)
                    at = {dim: k for k, dim in enumerate(perm)}
                    c = _contiguous_strides(alloc)
                    outputs.append((alloc, np.dtype(d), tuple(int(i) for i in np.argsort(perm))))
                    out_strides.append(tuple(c[at[dim]] for dim in range(len(s))))
                else:
                    outputs.append((s, np.dtype(d), None))
                    out_strides.append(_contiguous_strides(s))
            operands += list(zip(out_sizes, out_strides))
            dims, strides = _coalesce(shape, [_broadcast_strides(s, st, shape) for s, st in operands])
            spec_inputs = []
            k = 0
            for a, t in zip(args, self.is_tensor):
                if t:
                    spec_inputs.append(TensorArg(SUPPORTED[a.dtype], a.ndim == 0, _inner_kind(strides[k][-1])))
                    k += 1
                else:
                    spec_inputs.append(ScalarArg({bool: "bool", int: "int64", float: "float64"}[type(a)]))
            spec_outputs = tuple(TensorArg(d, not s, _inner_kind(strides[len(tensors) + j][-1]))
                                 for j, (s, d) in enumerate(zip(out_sizes, self.out_dtypes)))
            spec = Spec(len(dims), tuple(spec_inputs), spec_outputs)
            library, fn, extra = self._kernel(spec)
            # Outputs smaller than the iteration space are written by several iterations
            # (the same value); keep those launches on one thread.
            broadcast_out = any(0 in st for st in strides[len(tensors):])
            words = list(dims) + [s for st in strides for s in st]
            launch = self._new_launch(spec, fn, library, extra, tensors, numel,
                                      ELEMENTS if numel >= SPLIT_MIN and not broadcast_out else None, words, outputs)
        return self._keep(key, launch)

    def _new_launch(self, spec: Spec, fn: Any, library: Loaded, extra: bool, tensors: Sequence[np.ndarray],
                    numel: int, chunking: Optional[Chunking], words: List[int], outputs: List[Output]) -> _Launch:
        """The launch of kernel ``fn`` over [0, ``numel``) of its iteration space (elements, or a
        row kernel's rows) reading the layout ``words`` after the range; it may split across
        threads in ``chunking``'s chunks (None: never). Its check words are ``tensors``' own
        layout (see _Launch)."""
        tensor_inputs = None if all(self.is_tensor) else [i for i, t in enumerate(self.is_tensor) if t]
        scalars = [(i, s.dtype) for i, s in enumerate(spec.inputs) if isinstance(s, ScalarArg)]
        check = [w for a in tensors for w in [a.ndim, id(type(a)), id(a.dtype), *a.shape, *a.strides]]
        return _Launch(fn, library, words, (check, [a.dtype for a in tensors]), numel, chunking, outputs,
                       tensor_inputs, scalars, extra, _EagerLaunch(self.graph), self._wrapped.get(spec, False))

    def _keep(self, key: Optional[tuple], launch: Any) -> Any:
        if key is not None:
            with self._lock:
                self._launches[key] = launch
                while len(self._launches) > MAX_LAUNCHES:
                    self._launches.popitem(last=False)
        return launch

    def _part(self, indices: Tuple[int, ...]) -> "FusedKernel":
        """The kernel of this group's outputs ``indices`` alone (made once): the subgraph they
        need, with every input kept so that it takes the same arguments."""
        with self._lock:
            part = self._parts.get(indices)
            if part is None:
                g = self.graph.copy()
                for i in reversed(range(len(g.outputs))):
                    if i not in indices:
                        g.block.erase_output(i)
                for node in reversed(g.nodes):  # pure pointwise ops: what no output needs goes
                    if not any(o.uses for o in node.outputs):
                        node.destroy()
                part = self._parts[indices] = FusedKernel(g, self.cache)
            return part

    def _eager_accepts(self, args: Sequence[Any]) -> bool:
        """Whether the eager kernels accept these dtypes (and the group's constants), run once
        on empty inputs of them: an op may refuse them (``-`` on bools, bitwise ops on
        floats). The dtypes the kernels produce must be the ones the graph's types say, which
        the kernel computes."""
        sig = tuple((a.dtype, a.ndim == 0) if t else type(a) for a, t in zip(args, self.is_tensor))
        if sig in self._checked:
            return True
        env: Dict[Any, Any] = {}
        for v, a, t in zip(self.graph.inputs, args, self.is_tensor):
            # ones, not zeros: a 0-d input cannot be empty, and must not trip value checks
            # (an integer division by zero)
            env[v] = (np.ones((), a.dtype) if a.ndim == 0 else np.empty((0,) * a.ndim, a.dtype)) if t else a
        for node in self.graph.nodes:
            if node.kind == "prim::Constant":
                env[node.output] = node.output.constant
                continue
            op = registry.node_op(node)
            try:
                result = op.kernel(*[env[v] for v in node.inputs])
            except Exception:  # noqa: BLE001 - any refusal: the eager kernels will raise it on the real inputs
                return False
            # 0-d values go on as ones too: True + -1 is 0, and False // 0 would stop the check
            env[node.output] = np.ones((), result.dtype) if result.ndim == 0 else result
            expected = node.output.type.dtype
            if result.dtype.name != expected:
                raise RuntimeError(f"internal error: {node.kind} gives {result.dtype.name} eagerly but its type "
                                   f"rule says {expected}")
        self._checked.add(sig)
        return True

    def _kernel(self, spec: Spec) -> Tuple[Loaded, Any, bool]:
        """The loaded kernel for ``spec``, its entry point, and whether it takes the extra
        array."""
        with self._lock:
            hit = self._kernels.get(spec)
            if hit is None:
                built = self.build(spec)
                library = self.cache.load(built.text)
                hit = self._kernels[spec] = (library, _KERNEL_TYPE(library.address), built.extra)
                self._wrapped[spec] = built.wrapped
                self.compiles += 1
            return hit


def _broadcast_shape(shapes: Sequence[Tuple[int, ...]]) -> Optional[Tuple[int, ...]]:
    """The broadcast of ``shapes``, None if they do not broadcast (numpy's broadcast_shapes
    stops at 32 dimensions; arrays have up to 64)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for d, n in enumerate(s, ndim - len(s)):
            if n != 1:
                if out[d] not in (1, n):
                    return None
                out[d] = n
    return tuple(out)


def _tensor_sources(graph: Graph) -> Dict[Value, List[int]]:
    """For each output of a group, the positions of the tensor inputs it is computed from."""
    position = {v: i for i, v in enumerate(graph.inputs) if isinstance(v.type, TensorType)}
    sources: Dict[Value, Set[int]] = {v: {i} for v, i in position.items()}
    for node in graph.nodes:
        found = set().union(*(sources.get(v, set()) for v in node.inputs))
        for o in node.outputs:
            sources[o] = found
    return {v: sorted(sources.get(v, set())) for v in graph.outputs}


def _layout_order(arrays: Sequence[np.ndarray], shape: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    """The dims of size > 1, outermost first, in the order the arrays of exactly ``shape`` lay
    them out when they all agree on one other than C order; None for C order. That is how
    numpy's ufuncs (order "K"), and so the eager kernels, lay out their results: broadcast
    operands take no part, and operands that disagree give C order."""
    order = None
    for a in arrays:
        if a.shape != shape:
            continue
        dims = sorted((d for d in range(a.ndim) if a.shape[d] != 1), key=lambda d: -abs(a.strides[d]))
        if order is None:
            order = tuple(dims)  # (a stable sort: dims of equal strides keep C order)
        elif tuple(dims) != order:
            return None
    return None if order is None or list(order) == sorted(order) else order


def _contiguous_strides(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


def _broadcast_strides(shape: Tuple[int, ...], strides: Tuple[int, ...], to: Tuple[int, ...]) -> List[int]:
    """Element strides of an operand over the iteration shape: 0 where it is broadcast."""
    lead = len(to) - len(shape)
    return [0 if d < lead or shape[d - lead] == 1 else strides[d - lead] for d in range(len(to))]


def _coalesce(shape: Tuple[int, ...], strides: List[List[int]]) -> Tuple[List[int], List[List[int]]]:
    """Drop dimensions of size 1 and merge neighbours that every operand walks as one (as
    PyTorch's TensorIterator does), so contiguous operands become one flat loop."""
    keep = [d for d in range(len(shape)) if shape[d] != 1]
    dims = [shape[d] for d in keep]
    sts = [[s[d] for d in keep] for s in strides]
    out_dims: List[int] = []
    out_sts: List[List[int]] = [[] for _ in strides]
    for d in range(len(dims)):
        if out_dims and all(st[-1] == s[d] * dims[d] for st, s in zip(out_sts, sts)):
            out_dims[-1] *= dims[d]
            for st, s in zip(out_sts, sts):
                st[-1] = s[d]
        else:
            out_dims.append(dims[d])
            for st, s in zip(out_sts, sts):
                st.append(s[d])
    if not out_dims:
        return [1], [[0] for _ in strides]
    return out_dims, out_sts


def _inner_kind(stride: int) -> int:
    return stride if stride in (0, 1) else RUNTIME


def _chunks(numel: int, threads: int, chunking: Chunking) -> List[Tuple[int, int]]:
    """The chunks ``[start, end)`` of ``[0, numel)`` for ``threads`` threads, of sizes within
    two alignments of each other."""
    count = max(1, min(threads, numel // chunking.least, numel // chunking.align))
    starts = sorted({i * numel // count // chunking.align * chunking.align for i in range(count)})
    return list(zip(starts, starts[1:] + [numel]))


_groups: "OrderedDict[str, FusedKernel]" = OrderedDict()
MAX_GROUPS = 256  # FusedKernels kept for reuse by later plans (each holds its loaded kernels)


def compile_group(node: Node) -> FusedKernel:
    """The fusion compiler host code uses for ``prim::FusionGroup`` nodes.

    A kernel reads the shapes and strides of its arrays at each call, and its code depends
    on the ops, constants and dtypes of the group, never on the sizes the group's types may
    carry (the executor specializes some graphs on their input sizes). So groups are keyed by
    their text with tensor types reduced to dtypes, and groups that differ only in sizes share
    one FusedKernel, with its compiled kernels and prepared launches."""
    # groups with reductions run as row kernels (a module that imports this one)
    from .row_launch import RowKernel, has_rows
    graph = node.subgraph.copy()
    for v in list(graph.inputs) + [o for n in graph.nodes for o in n.outputs]:
        if isinstance(v.type, TensorType):
            v.type = TensorType(v.type.dtype)
    key = print_graph(graph)
    with _groups_lock:
        kernel = _groups.get(key)
        if kernel is None:
            kernel = _groups[key] = (RowKernel if has_rows(graph) else FusedKernel)(graph)
            while len(_groups) > MAX_GROUPS:
                _groups.popitem(last=False)
        else:
            _groups.move_to_end(key)
        return kernel

"""The host target: LLVM's target machine for this CPU, the optimization pipeline, and the
in-process JIT (ORC's LLJIT) that native kernels are linked into, each as a library of its
own that is unloaded when nothing holds it any more.

Kernels are compiled for the exact host CPU (its name and feature string, as LLVM detects
them), so the loop vectorizer uses its widest useful vectors: ymm registers on AVX2
machines. On AVX-512 machines LLVM's tuning prefers 256-bit vectors; ``-prefer-256-bit``
lifts that so loops use zmm registers there.
"""
from __future__ import annotations

import functools
import itertools
import threading
from typing import Optional

import llvmlite
import llvmlite.binding as llvm

OPT_LEVEL = 3

_lock = threading.RLock()
_machine: Optional[llvm.TargetMachine] = None
_jit: Optional[llvm.LLJIT] = None
_process: Optional[object] = None  # the library of the process's own symbols (libm's), kept alive
_names = itertools.count()  # a library's name may not be used again, even once it is unloaded


def _init() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


@functools.lru_cache(maxsize=None)
def host_cpu() -> str:
    _init()
    return llvm.get_host_cpu_name()


@functools.lru_cache(maxsize=None)
def host_features() -> str:
    """The host's feature string, with ``-prefer-256-bit`` where AVX-512 is present."""
    _init()
    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" in features.split(","):
        features += ",-prefer-256-bit"
    return features


@functools.lru_cache(maxsize=None)
def vector_bits() -> int:
    """The width of the vector registers loops use here: 512 with AVX-512, 256 with AVX."""
    features = host_features().split(",")
    return 512 if "+avx512f" in features else 256 if "+avx" in features else 128


@functools.lru_cache(maxsize=None)
def target_id() -> str:
    """What the machine code depends on besides the IR: part of every kernel cache key (asked
    of LLVM once per process)."""
    return (f"{llvm.get_process_triple()}|{host_cpu()}|{host_features()}|O{OPT_LEVEL}+vectorize|"
            f"llvmlite {llvmlite.__version__}|llvm {'.'.join(map(str, llvm.llvm_version_info))}")


def machine() -> llvm.TargetMachine:
    global _machine
    with _lock:
        if _machine is None:
            _init()
            target = llvm.Target.from_triple(llvm.get_process_triple())
            _machine = target.create_target_machine(cpu=host_cpu(), features=host_features(),
                                                    opt=OPT_LEVEL, jit=True)
        return _machine


def optimize(module: llvm.ModuleRef) -> None:
    """The O3 pipeline of the new pass manager, with loop and SLP vectorization."""
    pto = llvm.create_pipeline_tuning_options(speed_level=OPT_LEVEL)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    builder = llvm.create_pass_builder(machine(), pto)
    builder.getModulePassManager().run(module, builder)


def parse(ir_text: str) -> llvm.ModuleRef:
    _init()
    module = llvm.parse_assembly(ir_text)
    module.verify()
    return module


def compile_object(ir_text: str) -> bytes:
    """Optimized machine code for the module, as an object file."""
    module = parse(ir_text)
    optimize(module)
    return machine().emit_object(module)


def assembly(ir_text: str) -> str:
    """The optimized module as assembly, for inspecting what the vectorizer did."""
    module = parse(ir_text)
    optimize(module)
    return machine().emit_assembly(module)


class Loaded:
    """A kernel linked into the process: the address of its entry point, valid while this
    object lives (dropping the last reference unloads the library)."""

    __slots__ = ("address", "_tracker", "__weakref__")

    def __init__(self, tracker: object, address: int):
        self._tracker = tracker
        self.address = address


def load_object(obj: bytes, symbol: str) -> Loaded:
    """Link an object file into the process as a library of its own; ``symbol`` is its
    entry point."""
    global _jit, _process
    with _lock:
        if _jit is None:
            _init()
            _jit = llvm.create_lljit_compiler(machine())
            _process = llvm.JITLibraryBuilder().add_current_process().link(_jit, "process")
        try:
            tracker = llvm.JITLibraryBuilder().add_object_img(obj).add_jit_library("process") \
                .export_symbol(symbol).link(_jit, f"{symbol}#{next(_names)}")
        except RuntimeError as e:
            raise RuntimeError(f"native kernel {symbol} cannot be linked from its object file: {e}") from None
    address = tracker[symbol]
    if not address:
        raise RuntimeError(f"native kernel {symbol} is missing from its object file")
    return Loaded(tracker, address)

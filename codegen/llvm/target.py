"""The host target: LLVM's target machine for this CPU, the optimization pipeline, and the
one in-process JIT engine that native kernels are loaded into.

Kernels are compiled for the exact host CPU (its name and feature string, as LLVM detects
them), so the loop vectorizer uses its widest useful vectors: ymm registers on AVX2
machines. On AVX-512 machines LLVM's tuning prefers 256-bit vectors; ``-prefer-256-bit``
lifts that so loops use zmm registers there.
"""
from __future__ import annotations

import threading
from typing import Optional

import llvmlite
import llvmlite.binding as llvm

OPT_LEVEL = 3

_lock = threading.RLock()
_machine: Optional[llvm.TargetMachine] = None
_engine: Optional[llvm.ExecutionEngine] = None


def _init() -> None:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def host_cpu() -> str:
    _init()
    return llvm.get_host_cpu_name()


def host_features() -> str:
    """The host's feature string, with ``-prefer-256-bit`` where AVX-512 is present."""
    _init()
    features = llvm.get_host_cpu_features().flatten()
    if "+avx512f" in features.split(","):
        features += ",-prefer-256-bit"
    return features


def target_id() -> str:
    """What the machine code depends on besides the IR: part of every kernel cache key."""
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


def load_object(obj: bytes, symbol: str) -> int:
    """Link an object file into the process and return the address of ``symbol``."""
    global _engine
    with _lock:
        if _engine is None:
            _init()
            _engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine())
        _engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        _engine.finalize_object()
        address = _engine.get_function_address(symbol)
    if not address:
        raise RuntimeError(f"native kernel {symbol} is missing from its object file")
    return address


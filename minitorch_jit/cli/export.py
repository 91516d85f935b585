"""``python -m minitorch_jit export MODEL.mtj -o NAME.so``: a saved model as a native shared
library and its C header (see :mod:`minitorch_jit.export`)."""
from __future__ import annotations

import argparse
import os
from typing import List

import minitorch_jit as torch
from minitorch_jit.export import ExportError, abi, export_library
from minitorch_jit.ir.lexer import IRParseError
from minitorch_jit.ir.parser import parse_type_str
from minitorch_jit.ir.types import Type


def add_parser(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = subcommands.add_parser(
        "export", help="compile a saved model into a shared library with a C ABI (no Python at run time)",
        description="Load MODEL.mtj (a traced or scripted model saved with .save) and compile all of its forward "
                    "into NAME.so, which links only libc and libm, with NAME.h declaring its C functions and "
                    "mtj_tensor.h the tensor descriptor. Parameters are embedded in the library.")
    p.add_argument("model", metavar="MODEL.mtj")
    p.add_argument("-o", "--output", required=True, metavar="NAME.so",
                   help="the library to write; NAME prefixes its C functions and names the header")
    p.add_argument("--input-types", metavar='"Float(*, *); Float(*, 8)"',
                   help="the dtype and rank of each input, as IR types separated by ';' (needed when the saved "
                        "graph says only Tensor, as scripted code does); '*' leaves a size free")


def input_types(text: str) -> List[Type]:
    try:
        return [parse_type_str(part.strip()) for part in text.split(";")]
    except IRParseError as e:
        raise ExportError(f"--input-types: {e}") from None


def run(args: argparse.Namespace) -> int:
    model = torch.jit.load(args.model)
    types = input_types(args.input_types) if args.input_types else None
    header = export_library(model, args.output, types)
    print(f"wrote {args.output} and {header} (with {os.path.join(os.path.dirname(header), abi.TENSOR_HEADER)})")
    return 0

"""``python -m minitorch_jit`` (installed as ``minitorch-jit``): ``bench``, ``show`` and ``ops``,
and ``--version``."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .._version import __version__
from ..bench import command as bench
from ..bench.workloads import BenchError
from ..export import ExportError
from . import export, op_list, show


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m minitorch_jit",
                                     description="minitorch_jit from the command line: benchmark the JIT, show "
                                                 "what it makes of your functions, list the ops.")
    parser.add_argument("--version", action="version", version=f"minitorch_jit {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="{bench,show,ops,export}")
    bench.add_parser(subcommands)
    show.add_parser(subcommands)
    op_list.add_parser(subcommands)
    export.add_parser(subcommands)
    args = parser.parse_args(argv)
    try:
        if args.command == "bench":
            return bench.run(args, argv[1:])
        if args.command == "show":
            return show.run(args)
        if args.command == "export":
            return export.run(args)
        return op_list.run(args)
    except (BenchError, show.ShowError, ExportError) as e:
        parser.exit(2, f"{parser.prog} {args.command}: error: {e}\n")


"""``python -m minitorch_jit``: the command line of :mod:`minitorch_jit.cli.main`."""
import sys

from .cli.main import main

sys.exit(main())

import os
import sys

# Tests import the packages from this checkout, whatever is installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The verifier runs after every pass, so a pass that breaks a graph fails where it broke it.
os.environ.setdefault("MINITORCH_JIT_VERIFY", "1")

import minitorch_jit  # noqa: E402,F401  (fills the op registry)

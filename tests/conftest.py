import os
import sys

# Tests import the packages from this checkout, whatever is installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minitorch_jit  # noqa: E402,F401  (fills the op registry)

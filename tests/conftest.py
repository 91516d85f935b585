import os
import tempfile

# Tests import the installed package (`pip install -e .` or a wheel); nothing here puts the
# checkout on sys.path. Their kernel cache is a temporary directory, never the user's own.
os.environ.setdefault("MINITORCH_JIT_CACHE_DIR", tempfile.mkdtemp(prefix="minitorch_jit_test_cache_"))

# The verifier runs after every pass, so a pass that breaks a graph fails where it broke it.
os.environ.setdefault("MINITORCH_JIT_VERIFY", "1")

import minitorch_jit  # noqa: E402,F401  (fills the op registry)

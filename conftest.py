"""Root pytest configuration for the optional compiled engine.

``GEOINF_NO_NUMBA=1`` runs the suite as if numba were not installed (CI runs it both
ways without uninstalling anything); without numba the compiled kernel modules are not
collected for doctests.
"""

import os
import sys

if os.environ.get("GEOINF_NO_NUMBA") == "1":
    sys.modules["numba"] = None  # makes ``import numba`` raise ImportError

try:
    import numba  # noqa: F401
except ImportError:  # the compiled engine is optional ("geoinf[speedups]")
    collect_ignore = ["geoinf/_kernels"]

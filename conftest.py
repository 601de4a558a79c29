"""Root pytest configuration: skip doctest collection of optional compiled modules."""

try:
    import numba  # noqa: F401
except ImportError:  # the compiled engine is optional ("geoinf[speedups]")
    collect_ignore = ["geoinf/_numba_geodesic.py"]

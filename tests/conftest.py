import pytest
from click.testing import CliRunner

from geoinf import engine


@pytest.fixture
def runner():
    return CliRunner()


def _no_numba():
    raise ImportError("numba is hidden by the hide_numba fixture")


@pytest.fixture
def hide_numba(monkeypatch):
    """Return a function that makes the engine act as if numba were not installed.

    From the call to the end of the test, the compiled kernels cannot be loaded
    (``engine="auto"`` is pyproj, ``engine="numba"`` an InputError); afterwards the
    kernel table is loaded afresh.
    """
    def hide():
        monkeypatch.setattr(engine, "_import_kernels", _no_numba)
        engine.compiled_kernels.cache_clear()

    yield hide
    engine.compiled_kernels.cache_clear()


@pytest.fixture
def fresh_engine():
    """Clear the kernel table, as in a fresh process (and again after the test)."""
    engine.compiled_kernels.cache_clear()
    yield
    engine.compiled_kernels.cache_clear()


@pytest.fixture(scope="session")
def compiled_kernels_on_disk():
    """Compile (or load) the numba ring kernels once, before a test starts a subprocess.

    Large CLI jobs pick the compiled engine; subprocess tests time their signals
    (tests/test_interrupt.py), and with a cold cache their job would spend its first
    ~25 s compiling instead of writing. Without numba this does nothing.
    """
    from geoinf.rings import range_rings

    if engine.resolve_engine("auto") == "numba":  # a pole cap, an antimeridian split, a plain disc
        range_rings([24.41, 177.5, 0.0], [44.08, 64.73, -60.0], [5500, 500, 12000],
                    engine="numba")

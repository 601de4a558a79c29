import pytest
from click.testing import CliRunner


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def compiled_kernels_on_disk():
    """Compile (or load) the numba ring kernels once, before a test starts a subprocess.

    Large CLI jobs pick the compiled engine; subprocess tests time their signals
    (tests/test_interrupt.py), and with a cold cache their job would spend its first
    ~25 s compiling instead of writing. Without numba this does nothing.
    """
    from geoinf.geodesic import resolve_engine
    from geoinf.rings import range_rings

    if resolve_engine("auto") == "numba":  # a pole cap, an antimeridian split, a plain disc
        range_rings([24.41, 177.5, 0.0], [44.08, 64.73, -60.0], [5500, 500, 12000],
                    engine="numba")

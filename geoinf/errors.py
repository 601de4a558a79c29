"""Exception and warning classes: the one place geoinf defines them."""

__all__ = ["GeoinfError", "InputError", "DataError", "GeoinfWarning"]


class GeoinfError(Exception):
    """Base class of every error geoinf raises on purpose."""


class InputError(GeoinfError, ValueError):
    """A value from the user or a data table is malformed or out of range."""


class DataError(GeoinfError, OSError):
    """A bundled or given data file is missing or unreadable."""


class GeoinfWarning(UserWarning):
    """Reserved for results that are valid but degraded; no function of this version issues it.

    It stays in the public API (``geoinf.__all__``) so that warning filters written
    against it keep working.
    """

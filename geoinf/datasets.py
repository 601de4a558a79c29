"""Paths of the data files embedded with geoinf (``data/`` in the repository)."""

from __future__ import annotations

from pathlib import Path

from .errors import DataError

__all__ = ["data_dir", "get_path", "available"]


def data_dir() -> Path:
    """Return the directory holding the embedded data files.

    An installed wheel carries them in ``geoinf/data``; an editable install or a
    source checkout finds them in ``data/`` beside the package.

    Returns
    -------
    pathlib.Path
        The directory.

    Examples
    --------
    >>> data_dir().is_dir()
    True
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "data", here.parent / "data"):
        if candidate.is_dir():
            return candidate
    raise DataError(f"geoinf's data directory is missing (looked in {here / 'data'} "
                    f"and {here.parent / 'data'}); reinstall geoinf")


def available() -> list[str]:
    """Return the names of the embedded data files, sorted.

    Returns
    -------
    list of str
        File names that :func:`get_path` accepts.
    """
    return sorted(p.name for p in data_dir().iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix != ".md")


def get_path(name: str) -> Path:
    """Return the path of an embedded data file.

    Parameters
    ----------
    name : str
        File name, e.g. ``"sites.csv"``.

    Returns
    -------
    pathlib.Path
        Absolute path of the file.

    Raises
    ------
    DataError
        If there is no such file; the message lists the valid names.
    """
    path = data_dir() / name
    if not path.is_file():
        raise DataError(f"no embedded data file {name!r}; valid names: "
                        f"{', '.join(available()) or '(none)'}")
    return path

"""Atomic file output: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError

FRAME_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
                  ".parquet": "Parquet", ".csv": "CSV"}

__all__ = ["atomic_write", "check_writable", "write_frame", "FRAME_SUFFIXES"]


def check_writable(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that ``path`` may be written; return it as a Path.

    Raises
    ------
    InputError
        If the file exists and ``overwrite`` is false, or its directory is missing.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")
    if path.is_dir():
        raise InputError(f"{path} is a directory; expected a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"directory {parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path; on success rename it to ``path``, else remove it.

    The temporary file sits in the target's directory (so the rename is atomic on
    one file system) and keeps the target's suffix (so format drivers chosen by
    suffix work). An interrupted write leaves the old file untouched or no file.

    Parameters
    ----------
    path : str or os.PathLike
        Final path.
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file raises ``InputError``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = check_writable(path, overwrite=overwrite)
    # a fresh name in the target's directory, not created here: writers (GDAL drivers)
    # expect to create the file themselves
    while True:
        tmp = path.parent / f".{path.stem}.tmp-{secrets.token_hex(6)}{path.suffix}"
        if not tmp.exists():
            break
    try:
        yield tmp
        if not tmp.exists():
            raise InputError(f"nothing was written to {path}")
        if path.exists() and not overwrite:
            raise InputError(f"{path} appeared while writing; pass --overwrite to replace it")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_frame(frame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a (Geo)DataFrame atomically, the format chosen by the file suffix.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or pandas.DataFrame
        What to write. A DataFrame without geometry can only go to ``.csv`` or ``.parquet``.
    path : str or os.PathLike
        Output file: ``.geojson``/``.json``, ``.gpkg``, ``.parquet`` or ``.csv``
        (geometry as WKT).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        For an unknown suffix, an existing file without ``overwrite``, or a missing directory.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FRAME_SUFFIXES:
        raise InputError(f"{path}: unknown output format {suffix or '(no suffix)'!r}; "
                         f"expected one of {', '.join(FRAME_SUFFIXES)}")
    has_geometry = hasattr(frame, "geometry") and "geometry" in frame
    if not has_geometry and FRAME_SUFFIXES[suffix] in ("GeoJSON", "GPKG"):
        raise InputError(f"{path}: a table without geometry can be written as .csv or .parquet")
    with atomic_write(path, overwrite=overwrite) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".csv":
            out = frame.to_wkt() if has_geometry else frame
            out.to_csv(tmp, index=False)
        elif suffix == ".gpkg":
            frame.to_file(tmp, driver="GPKG", layer=Path(path).stem)
        else:
            _write_text_in_chunks(tmp, frame.to_json(drop_id=True))
    return Path(path)


def _write_text_in_chunks(path: Path, text: str, chunk: int = 1 << 20) -> None:
    """Write a long string in pieces, so an interrupt lands between pieces."""
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, len(text), chunk):
            handle.write(text[start:start + chunk])

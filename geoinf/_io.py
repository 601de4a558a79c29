"""File output: atomic writes that replace only regular files, and CSV that spreadsheets can't run.

Every file geoinf writes goes through :func:`atomic_write`: the data go to a temporary
file beside the target, which is renamed over it once complete. Only a regular file is
ever replaced (never a device, a FIFO, a socket or a directory), and never one of the
command's inputs. CSV text goes through :func:`spreadsheet_safe` and
:func:`comment_header`, so that no cell from a user's file is evaluated as a formula.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from .errors import DataError, GeoinfError, InputError

FRAME_SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
                  ".parquet": "Parquet", ".csv": "CSV"}

__all__ = ["atomic_write", "check_writable", "comment_header", "same_file", "spreadsheet_safe",
           "write_frame", "FRAME_SUFFIXES"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))
_SIDECARS = ("-journal", "-wal", "-shm")  # SQLite (GeoPackage) files beside a temporary
_REASON_CHARS = 300  # a driver's message is cut to this length in an error line


def check_writable(path: str | os.PathLike, *, overwrite: bool = False,
                   inputs: Iterable[object] = ()) -> Path:
    """Check that ``path`` may be written; return the file that writing it replaces.

    Only a regular file is replaced. A symlink is followed: writing through it
    replaces the file it points to (atomically, in that file's directory) and
    leaves the link itself in place; a symlink to a missing file or to anything
    but a regular file is refused.

    Parameters
    ----------
    path : str or os.PathLike
        The output path as given.
    overwrite : bool, default False
        Allow replacing an existing file.
    inputs : iterable, optional
        The paths the job reads (``None`` and names that are no file are ignored):
        the output may be none of them, whether by the same path, a symlink or a
        hard link.

    Returns
    -------
    pathlib.Path
        ``path`` itself, or for a symlink the file it points to.

    Raises
    ------
    InputError
        If ``path`` is one of ``inputs``, is not a regular file (or a symlink to
        one), exists and ``overwrite`` is false, or its directory is missing or
        not writable.

    Examples
    --------
    >>> check_writable("/dev/null", overwrite=True)
    Traceback (most recent call last):
    ...
    geoinf.errors.InputError: /dev/null is a character device, not a regular file; ...
    """
    path = Path(path)
    for source in inputs:
        if isinstance(source, (str, os.PathLike)) and os.path.isfile(source) \
                and same_file(path, source):
            raise InputError(f"{path} is the input file {source}; write the output to "
                             "another file")
    target, existing = _destination(path)
    if existing is not None and not overwrite:
        raise InputError(f"{path} exists; pass --overwrite (overwrite=True) to replace it")
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"directory {parent} is not writable")
    return target


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Return whether two paths name the same file (symlinks and hard links included).

    Paths that do not both exist are compared after resolving symlinks.

    Examples
    --------
    >>> same_file("/tmp/x.csv", "/tmp/../tmp/./x.csv")
    True
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _destination(path: Path) -> tuple[Path, os.stat_result | None]:
    """Return the file that writing ``path`` replaces and its status (``None``: a new file)."""
    try:
        status = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return path, None
    if not stat.S_ISLNK(status.st_mode):
        _require_regular(status, f"{path} is")
        return path, status
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{path} is a symlink to {target}, which does not exist; expected "
                         "a regular file or a new path") from None
    except OSError as err:  # a loop of links
        raise InputError(f"{path} is a symlink that cannot be followed "
                         f"({err.strerror})") from None
    _require_regular(status, f"{path} is a symlink to {target},")
    return target, status


def _require_regular(status: os.stat_result, what: str) -> None:
    for test, kind in _KINDS:
        if test(status.st_mode):
            raise InputError(f"{what} {kind}, not a regular file; geoinf replaces only "
                             "regular files")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, overwrite: bool = False,
                 inputs: Iterable[object] = ()) -> Iterator[Path]:
    """Yield a temporary path; on success rename it to ``path``, else remove it.

    The temporary file sits in the target's directory (so the rename is atomic on
    one file system) and keeps the suffix of ``path`` (so format drivers chosen by
    suffix work). An interrupted or failed write leaves the old file untouched or
    no file, and no temporary file. The new file keeps the old file's permission
    bits; a new file gets the usual ``0o666`` less the process umask, whatever mode
    its writer created it with. A symlink is written through (see
    :func:`check_writable`).

    Parameters
    ----------
    path : str or os.PathLike
        Final path.
    overwrite : bool, default False
        Replace an existing file; otherwise an existing file raises ``InputError``.
    inputs : iterable, optional
        Paths the job reads, which the output must not replace.

    Raises
    ------
    InputError
        As :func:`check_writable`, or if nothing was written.
    DataError
        If the system refuses the data (disk full, I/O error): one line naming ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    target = check_writable(path, overwrite=overwrite, inputs=inputs)
    # a fresh name in the target's directory, not created here: writers (GDAL drivers)
    # expect to create the file themselves
    while True:
        tmp = target.parent / f".{target.stem}.tmp-{secrets.token_hex(6)}{Path(path).suffix}"
        if not tmp.exists():
            break
    try:
        try:
            yield tmp
        except OSError as err:
            if isinstance(err, GeoinfError):
                raise
            raise DataError(f"{path}: could not be written ({_reason(err)})") from None
        if not tmp.exists():
            raise InputError(f"nothing was written to {path}")
        again, existing = _destination(Path(path))
        if again != target or (existing is not None and not overwrite):
            raise InputError(f"{path} appeared or changed while writing; nothing was replaced")
        os.chmod(tmp, stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in _SIDECARS)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _reason(err: BaseException) -> str:
    """One line from an OS or driver error, cut to a bounded length."""
    text = " ".join(str(getattr(err, "strerror", None) or err or type(err).__name__).split())
    return text if len(text) <= _REASON_CHARS else text[:_REASON_CHARS - 1] + "…"


def _umask() -> int:
    """Return the process umask (from /proc where it can be read without changing it)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere it can only be read by setting it, then restoring it
    os.umask(mask)
    return mask


def _driver_errors() -> tuple[type[BaseException], ...]:
    """Exception types a vector driver raises for a failed write (pyogrio's, if installed)."""
    try:
        from pyogrio.errors import DataLayerError, DataSourceError
    except ImportError:
        return ()
    return DataSourceError, DataLayerError


def write_frame(frame, path: str | os.PathLike, *, overwrite: bool = False,
                inputs: Iterable[object] = ()) -> Path:
    """Write a (Geo)DataFrame atomically, the format chosen by the file suffix.

    CSV text cells go through :func:`spreadsheet_safe`.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or pandas.DataFrame
        What to write. A DataFrame without geometry can only go to ``.csv`` or ``.parquet``.
    path : str or os.PathLike
        Output file: ``.geojson``/``.json``, ``.gpkg``, ``.parquet`` or ``.csv``
        (geometry as WKT).
    overwrite : bool, default False
        Replace an existing regular file (see :func:`atomic_write`).
    inputs : iterable, optional
        Paths the job reads, which the output must not replace.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        For an unknown suffix, a path that :func:`check_writable` refuses.
    DataError
        If the file system or the format driver fails (disk full): one line naming ``path``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FRAME_SUFFIXES:
        raise InputError(f"{path}: unknown output format {suffix or '(no suffix)'!r}; "
                         f"expected one of {', '.join(FRAME_SUFFIXES)}")
    has_geometry = hasattr(frame, "geometry") and "geometry" in frame
    if not has_geometry and FRAME_SUFFIXES[suffix] in ("GeoJSON", "GPKG"):
        raise InputError(f"{path}: a table without geometry can be written as .csv or .parquet")
    with atomic_write(path, overwrite=overwrite, inputs=inputs) as tmp:
        try:
            _write_format(frame, tmp, suffix, layer=Path(path).stem, has_geometry=has_geometry)
        except _driver_errors() as err:
            free = shutil.disk_usage(tmp.parent).free
            full = f"; {free:,} bytes free on its file system" if free < 1 << 20 else ""
            raise DataError(f"{path}: could not be written ({_reason(err)}{full})") from None
    return Path(path)


def _write_format(frame, tmp: Path, suffix: str, *, layer: str, has_geometry: bool) -> None:
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".csv":
        spreadsheet_safe(frame.to_wkt() if has_geometry else frame).to_csv(tmp, index=False)
    elif suffix == ".gpkg":
        frame.to_file(tmp, driver="GPKG", layer=layer)
    else:
        _write_text_in_chunks(tmp, frame.to_json(drop_id=True))


def _write_text_in_chunks(path: Path, text: str, chunk: int = 1 << 20) -> None:
    """Write a long string in pieces, so an interrupt lands between pieces."""
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, len(text), chunk):
            handle.write(text[start:start + chunk])


# --- CSV that a spreadsheet shows, never runs -----------------------------------------------

# OWASP "CSV Injection": a cell starting with = + - @, tab or carriage return may be taken
# for a formula; leading spaces are skipped too, as some importers trim them first
_FORMULA = re.compile(r"\s*[=+\-@]|[\t\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA_AFTER_COMMA = re.compile(r",(\s*)(?=[=+\-@\"])")


def _guard(value):
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with text a spreadsheet would evaluate made literal.

    A text cell (or column name) that starts with ``=``, ``+``, ``-`` or ``@``
    (after any spaces), or with a tab or carriage return, gets a leading ``'``
    (OWASP's advice against CSV injection), so that ``=HYPERLINK(…)`` shows as
    text. Numeric, boolean and date columns are never changed, negative numbers
    included; nor are numbers in a mixed column. The input frame is not modified.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself if nothing needed a guard, else a guarded copy.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"name": ["=1+1", "Berlin", "-x"], "lon": [-1.5, 13.4, 2.0]})
    >>> print(spreadsheet_safe(t).to_csv(index=False).strip())
    name,lon
    '=1+1,-1.5
    Berlin,13.4
    '-x,2.0
    """
    out = frame
    for column in frame.columns:
        values = frame[column]
        if (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
                or pd.api.types.is_datetime64_any_dtype(values)):
            continue
        guarded = values.map(_guard)
        if not guarded.equals(values):
            out = out.copy() if out is frame else out
            out[column] = guarded
    names = [_guard(c) for c in frame.columns]
    if names != list(frame.columns):
        out = out.copy() if out is frame else out
        out.columns = names
    return out


def comment_header(info: Mapping[str, object]) -> str:
    r"""Return ``# key: value`` lines for the top of a CSV, one line per non-empty value.

    Control characters (newline, carriage return, tab, escape, U+2028 …) are written
    as backslash escapes, so every entry stays on its line; a part of a line after a
    comma (a spreadsheet's next cell) that starts like a formula, or with a ``"`` that
    would open a quoted cell spanning lines, gets a ``'``.

    Parameters
    ----------
    info : mapping
        Keys and values; values that are ``None`` or ``""`` are left out.

    Returns
    -------
    str
        The header, each line ending in ``"\n"``.

    Examples
    --------
    >>> print(comment_header({"sites": "a\nb.csv", "note": "x,=1+1", "skip": None}), end="")
    # sites: a\nb.csv
    # note: x,'=1+1
    """
    lines = []
    for key, value in info.items():
        if value is None or value == "":
            continue
        line = _CONTROL.sub(_escape_control, f"# {key}: {value}")
        lines.append(_FORMULA_AFTER_COMMA.sub(r",\1'", line) + "\n")
    return "".join(lines)


def _escape_control(match: re.Match) -> str:
    return repr(match.group())[1:-1]

"""The row kernel of exposure surfaces: one chunk of raster rows, every candidate in range.

:func:`chunk_surface` sums, for every candidate of a lon/lat grid, the people of one chunk
of raster rows within each disc, by the **cell-centre rule** (a cell counts when its
centre is within range by exact ellipsoidal distance, WGS84).

A geodesic disc meets a raster row (a parallel) in the longitudes ``[lon0 - w, lon0 + w]``,
and ``w`` depends on the centre's latitude and the row, not on the centre's longitude. So
``w`` is solved once per (disc, candidate row, raster row) with
:func:`geoinf.row_intervals.half_widths_deg`, for the radius less and more
:data:`MARGIN_KM` (5 mm, above the 1 mm tolerance of the solve): the columns inside the
smaller width are surely in the disc, those outside the larger surely not, and the few
columns between are decided by an exact inverse (:func:`geoinf.engine.inverse`). Each
candidate then costs two look-ups per raster row in the row prefix sums; where the
candidate spacing is a whole number of raster columns, the look-ups of all candidates of a
row are two strided gathers (:func:`chunk_surface`'s fast path). Longitudes are taken
modulo 360° (discs across ±180° on a global raster); a row whose farthest point over the
pole is within range is counted whole (discs that contain a pole).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .engine import inverse
from .row_intervals import half_widths_deg, meridian_km

__all__ = ["MARGIN_KM", "chunk_surface"]

MARGIN_KM = 5e-6
"""Half-widths are solved for the radius less and more this (5 mm): between lies doubt."""
_QUARTER_KM = float(meridian_km(90.0))
_BATCH = 1 << 20  # (row pair x candidate) elements per vector pass: ~8 MB per array
_COMMENSURATE_TOL = 1e-9  # of a column: candidate spacing a whole number of raster columns


def chunk_surface(values: NDArray, row_lat: NDArray, row_west: NDArray, row_dlon: NDArray,
                  cand_lon: NDArray, cand_lat: NDArray, radii: NDArray, *,
                  row_first: NDArray | None = None, engine: str = "pyproj"
                  ) -> NDArray[np.float64]:
    """Return the people of one chunk of raster rows within each disc of each candidate.

    Parameters
    ----------
    values : ndarray, shape (rows, cols)
        People per cell of the chunk (0 where a cell is off the globe or missing).
    row_lat, row_west, row_dlon : ndarray, shape (rows,)
        Per row: latitude of the centres, longitude of the west edge, degrees per column
        (:class:`geoinf.raster_crs.RasterGrid`); rows with NaN latitude are skipped.
    cand_lon, cand_lat : ndarray
        Candidate longitudes (any) and latitudes: the candidates are their outer product.
    radii : ndarray
        Disc radii in km, > 0.
    row_first : ndarray, optional
        Per row, the first column on the globe (default 0: all of a lon/lat row); the
        columns from it span at most 360°.
    engine : {"pyproj", "numba"}
        Resolved geodesic engine.

    Returns
    -------
    ndarray, shape (len(radii), len(cand_lat), len(cand_lon))
        People per disc and candidate (cell-centre rule, exact).
    """
    h, w = values.shape
    out = np.zeros((radii.size, cand_lat.size, cand_lon.size))
    ok = np.flatnonzero(np.isfinite(row_lat))
    if ok.size == 0 or cand_lon.size == 0:
        return out
    prefix = np.zeros((h, w + 1))
    np.cumsum(values, axis=1, dtype=np.float64, out=prefix[:, 1:])
    m_row, m0 = meridian_km(row_lat[ok]), meridian_km(cand_lat)
    d0 = np.abs(m_row[None, None, :] - m0[None, :, None])
    e, i, k = np.nonzero(d0 <= radii[:, None, None] + MARGIN_KM)
    if e.size == 0:
        return out
    r = ok[k]
    first = np.zeros(h) if row_first is None else np.asarray(row_first, dtype=float)
    # the west edge of the first column on the globe: candidates are placed from there
    west = row_west + first * row_dlon
    pairs = _Pairs(e, i, r, cand_lat[i], row_lat[r], west[r], row_dlon[r], radii[e],
                   m0[i], m_row[k], engine, first[r])
    key = e * cand_lat.size + i  # pairs are sorted by (disc, candidate row)
    flat_out = out.reshape(-1, cand_lon.size)
    if not _shifted_sums(pairs, key, prefix, cand_lon, flat_out):
        step = max(1, _BATCH // cand_lon.size)
        for lo in range(0, e.size, step):
            sl = slice(lo, lo + step)
            _add_groups(flat_out, key[sl], pairs.sums(sl, prefix, cand_lon))
    return out


def _add_groups(flat_out: NDArray, key: NDArray, sums: NDArray) -> None:
    """Add the rows of ``sums`` into ``flat_out[key]`` (``key`` sorted: runs of equal keys)."""
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    flat_out[key[first]] += np.add.reduceat(sums, first, axis=0)


def _shifted_sums(pairs: _Pairs, key: NDArray, prefix: NDArray, cand_lon: NDArray,
                  flat_out: NDArray) -> bool:
    """Sum the pairs by shifting the first candidate's runs, where the grids allow; or False.

    Where all rows share one longitude mapping and the candidate spacing is a whole
    number ``m`` of columns, the runs of candidate ``j`` are those of the first shifted by
    ``j m`` columns (the disc and the grid move together: the same cells). The row prefix
    sums are then padded (zeros and row totals beyond the raster's edges, or continued
    periodically on a raster 360° wide) so that candidate ``j``'s look-up is element ``j``
    of a strided view: two gathers per row pair for all candidates.
    """
    n, width = cand_lon.size, prefix.shape[1] - 1
    live = np.flatnonzero(~pairs.full & (pairs.hp >= 0))
    west, dlon = pairs.west[live], pairs.dlon[live]
    first = pairs.first[live]
    if n < 2 or live.size == 0 or np.ptp(west) != 0 or np.ptp(dlon) != 0 or np.ptp(first) != 0:
        return False
    c0 = first[0] + ((cand_lon[0] - west[0]) % 360.0) / dlon[0] - 0.5
    c = c0 + (cand_lon - cand_lon[0]) / dlon[0]  # unwrapped: across ±180° too
    step = np.diff(c)
    m = round(step[0])
    if m < 1 or np.abs(step - m).max() > _COMMENSURATE_TOL:
        return False
    periodic = abs(width * dlon[0] - 360.0) < 1e-9
    span = (np.full(live.size, c.min()), np.full(live.size, c.max()))
    runs = pairs.runs(live, np.full((live.size, 1), c0), span, cand_lon[:1], width,
                      copies=(0.0,) if periodic else (-1.0, 0.0, 1.0))
    if list(runs) != [0.0]:  # a copy across ±180° on a raster less than 360° wide
        return False
    lo, hi = runs[0][0][:, 0], runs[0][1][:, 0] + 1
    if not periodic:  # beyond the edges every shifted look-up is the edge's: clamp
        lo, hi = (np.clip(x, -(n - 1) * m, width) for x in (lo, hi))
    pad_lo = max(0, -int(lo.min()))
    pad_hi = max(0, int(hi.max()) + (n - 1) * m - width)
    if pad_lo + pad_hi > 3 * (width + 1):
        return False  # memory: sum in batches instead
    # columns regrouped by their residue modulo m: candidate j's look-ups are contiguous
    padded = _padded(prefix, pad_lo, pad_hi + (-(width + 1 + pad_lo + pad_hi)) % m, periodic)
    q = padded.shape[1] // m
    by_residue = np.ascontiguousarray(padded.reshape(-1, q, m).transpose(0, 2, 1)).ravel()
    view = np.lib.stride_tricks.as_strided(by_residue, shape=(by_residue.size - n + 1, n),
                                           strides=(8, 8), writeable=False)

    def at(col):
        x = col + pad_lo
        return (pairs.r[live] * m + x % m) * q + x // m

    first, last = at(lo), at(hi)
    batch = max(1, _BATCH // n)
    for a in range(0, live.size, batch):
        sl = slice(a, a + batch)
        _add_groups(flat_out, key[live[sl]], view[last[sl]] - view[first[sl]])
    full = np.flatnonzero(pairs.full)
    if full.size:
        totals = np.bincount(key[full], weights=prefix[pairs.r[full], -1],
                             minlength=flat_out.shape[0])
        flat_out += totals[:, None]
    return True


def _padded(prefix: NDArray, pad_lo: int, pad_hi: int, periodic: bool) -> NDArray:
    """Return row prefix sums extended ``pad_lo`` columns west and ``pad_hi`` east."""
    h, w1 = prefix.shape
    width = w1 - 1
    out = np.empty((h, pad_lo + w1 + pad_hi))
    out[:, pad_lo:pad_lo + w1] = prefix
    total = prefix[:, -1:]
    if periodic:
        for x, sl in ((np.arange(-pad_lo, 0), slice(0, pad_lo)),
                      (np.arange(w1, w1 + pad_hi), slice(pad_lo + w1, None))):
            out[:, sl] = prefix[:, x % width] + (x // width)[None, :] * total
    else:
        out[:, :pad_lo] = 0.0
        out[:, pad_lo + w1:] = total
    return out


class _Pairs:
    """(disc, candidate row, raster row) triples and their half-widths, summed in batches."""

    def __init__(self, e, i, r, lat0, lat, west, dlon, radius, m0, m, engine, first):
        self.r, self.lat0, self.lat, self.west, self.dlon = r, lat0, lat, west, dlon
        self.first = first  # the column whose west edge is ``west``
        self.radius, self.engine = radius, engine
        dpi = np.minimum(2 * _QUARTER_KM - m0 - m, 2 * _QUARTER_KM + m0 + m)
        self.full = dpi <= radius  # the farthest point of the parallel is in: all of it
        part = ~self.full
        wm, wp = np.full(e.size, np.nan), np.full(e.size, np.nan)
        for out, sign in ((wm, -1.0), (wp, 1.0)):
            out[part] = half_widths_deg(lat0[part], radius[part] + sign * MARGIN_KM, lat[part],
                                        engine=engine)
        period = 360.0 / dlon
        cap = period / 2 * (1 - 1e-12)  # never the antipodal meridian: dpi > radius there
        self.hm = np.minimum(wm / dlon, cap)  # NaN: no column is surely in
        self.hp = np.where(np.isnan(wp), -1.0, np.minimum(wp / dlon, cap))  # -1: none may be
        self.period = period

    def sums(self, sl: slice, prefix: NDArray, cand_lon: NDArray) -> NDArray[np.float64]:
        """Return the people per (pair, candidate) of the pairs ``sl``, candidate by candidate."""
        r, dlon, west = self.r[sl], self.dlon[sl], self.west[sl]
        width = prefix.shape[1] - 1
        total = np.zeros((r.size, cand_lon.size))
        full = self.full[sl]
        total[full] = prefix[r[full], -1][:, None]
        live = np.flatnonzero(~full & (self.hp[sl] >= 0))
        if live.size == 0:
            return total
        # each candidate's fractional column, in the first period from the row's west edge
        c = self.first[sl][live, None] + ((cand_lon[None, :] - west[live, None]) % 360.0) \
            / dlon[live, None] - 0.5
        runs = self.runs(sl.start + live, c,
                         (c.min(axis=1), c.max(axis=1)), cand_lon, width)
        flat = prefix.ravel()
        base = (r[live] * (width + 1))[:, None]
        part = np.zeros((live.size, cand_lon.size))
        for lo, hi in runs.values():
            a = np.clip(lo, 0, width)
            b = np.maximum(np.clip(hi + 1, 0, width), a)
            part += flat[base + b] - flat[base + a]
        total[live] = part
        return total

    def runs(self, live, c, span, cand_lon, width, copies=(-1.0, 0.0, 1.0)
             ) -> dict[float, tuple[NDArray, NDArray]]:
        """Return the column runs (lo, hi inclusive) of each copy of the disc that meets the row.

        ``c`` (live pairs x candidates) is each candidate's fractional column, ``span`` its
        least and greatest value per pair (over every candidate the runs stand for); copies
        are one period (360°) apart.
        """
        idx = live
        hm, hp, period = self.hm[idx][:, None], self.hp[idx][:, None], self.period[idx][:, None]
        runs = {}
        for copy in copies:
            cc = c + copy * period
            shifted = copy * period[:, 0]
            if not ((span[1] + shifted + hp[:, 0] >= 0)
                    & (span[0] + shifted - hp[:, 0] <= width - 1)).any():
                continue
            fc = np.floor(cc)
            sure_lo = np.where(np.isnan(hm), fc + 1, np.ceil(cc - hm))
            sure_hi = np.where(np.isnan(hm), fc, np.floor(cc + hm))
            maybe_lo, maybe_hi = np.ceil(cc - hp), np.floor(cc + hp)
            lo = self._settle(idx, sure_lo, sure_lo - maybe_lo, -1, cand_lon)
            hi = self._settle(idx, sure_hi, maybe_hi - sure_hi, 1, cand_lon)
            runs[copy] = (lo.astype(np.intp), hi.astype(np.intp))
        return runs

    def _settle(self, idx, sure, n_doubt, direction, cand_lon) -> NDArray:
        """Extend a run's end by the doubtful columns beyond it that an exact inverse puts in.

        Distance grows with the longitude difference, so the columns in are the first ones.
        """
        n_doubt = np.maximum(n_doubt, 0).astype(np.intp)
        p, j = np.nonzero(n_doubt)
        if p.size == 0:
            return sure
        count = n_doubt[p, j]
        step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
        pp, jj = np.repeat(p, count), np.repeat(j, count)
        col = sure[pp, jj] + direction * step
        q = idx[pp]
        lon = self.west[q] + (col - self.first[q] + 0.5) * self.dlon[q]
        edge = self.radius[q] * 1000.0
        s = inverse(cand_lon[jj], self.lat0[q], lon, self.lat[q],
                    engine=self.engine, edge_m=edge)[2]
        inside = np.bincount(np.repeat(np.arange(p.size), count), weights=s <= edge,
                             minlength=p.size)
        out = sure.copy()
        out[p, j] += direction * inside.astype(np.intp)
        return out

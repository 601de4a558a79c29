"""Surfaces from DataArrays and on a dask.distributed cluster: the same numbers as in process."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

xr = pytest.importorskip("xarray")
rioxarray = pytest.importorskip("rioxarray")
distributed = pytest.importorskip("distributed")

from geoinf import InputError, dask_layers, exposure_table, raster_blocks  # noqa: E402
from geoinf.population_sums import raster_sums  # noqa: E402
from geoinf.raster_arrays import ArrayDataset  # noqa: E402
from geoinf.surface import exposure_surface  # noqa: E402

# discs around the North Pole and across ±180°, and an ordinary one
JOBS = {"pole-antimeridian": dict(bounds=(174, 80, 186, 90), resolution_deg=2.0),
        "europe": dict(bounds=(10, 40, 20, 50), resolution_deg=2.5)}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = np.random.default_rng(23).gamma(0.5, 100.0, (90, 180)).astype(np.float32)
    transform = from_origin(-180, 90, 2.0, 2.0)
    path = tmp_path_factory.mktemp("d") / "world.tif"
    with rasterio.open(path, "w", driver="GTiff", width=180, height=90, count=1,
                       dtype="float32", crs="EPSG:4326", transform=transform) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None, host="127.0.0.1") as c:
        yield c


def _surface(layer, job, **kw):
    return exposure_surface(layer, 2000, edges_km=(0, 800, 2000), **JOBS[job], **kw).values


@pytest.mark.parametrize("job", list(JOBS))
def test_chunked_array_equals_path_equals_in_process(world, job):
    reference = _surface(world, job, chunk_rows=90)
    arr = rioxarray.open_rasterio(world)
    for layer in (arr, arr.chunk({"y": 7, "x": -1}), arr.chunk({"y": 11, "x": 50})):
        np.testing.assert_allclose(_surface(layer, job), reference, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(_surface(world, job, chunk_rows=5), reference, rtol=1e-9)


@pytest.mark.parametrize("job", list(JOBS))
def test_a_local_cluster_gives_the_same_numbers(world, cluster, job):
    reference = _surface(world, job)
    with distributed.Client(cluster) as client:
        assert client.status == "running"
        for layer in (world, rioxarray.open_rasterio(world).chunk({"y": 9, "x": -1})):
            np.testing.assert_allclose(_surface(layer, job, chunk_rows=6), reference,
                                       rtol=1e-9, atol=1e-6)


def test_a_worker_killed_mid_job_gives_the_same_result(world, cluster):
    reference = _surface(world, "europe")
    killed = threading.Event()
    with distributed.Client(cluster) as client:
        victim = sorted(client.run(os.getpid).values())[0]

        def progress(done, total):
            if done == 1 and not killed.is_set():
                killed.set()
                os.kill(victim, signal.SIGKILL)  # its nanny starts another

        got = _surface(world, "europe", chunk_rows=1, progress=progress)
        client.wait_for_workers(2, timeout=60)
    assert killed.is_set()
    np.testing.assert_allclose(got, reference, rtol=1e-9, atol=1e-6)


def test_bad_arrays_are_one_clear_error(world):
    arr = rioxarray.open_rasterio(world)
    bare = xr.DataArray(arr.values[0], dims=("y", "x"))
    cases = [(bare, "no CRS"),
             (arr.chunk({"y": -1, "x": 30}), "chunked along its columns only"),
             (arr.where(arr.x > 0, -5.0), "not people per cell")]
    for layer, match in cases:
        with pytest.raises(InputError, match=match) as err:
            exposure_surface(layer, 500, bounds=(0, 0, 2, 2), resolution_deg=1)
        assert "\n" not in str(err.value)


def test_nodata_of_the_array_reads_as_nobody(world):
    arr = rioxarray.open_rasterio(world)
    holes = arr.where(arr.x > 0, -9999.0).rio.write_nodata(-9999.0)
    zeros = arr.where(arr.x > 0, 0.0)
    np.testing.assert_allclose(_surface(holes, "europe"), _surface(zeros, "europe"), rtol=1e-12)


# --- DataArrays wherever a raster path is accepted ------------------------------------------

SITES = pd.DataFrame({"id": ["edge", "pole", "date-line"], "lon": [-170.0, 20.0, 179.0],
                      "lat": [10.0, 86.0, -30.0]})


@pytest.fixture(scope="module")
def regional(tmp_path_factory):
    """A raster smaller than the discs (coverage < 1), in lon/lat."""
    data = np.random.default_rng(29).gamma(0.5, 100.0, (60, 90)).astype(np.float32)
    path = tmp_path_factory.mktemp("r") / "regional.tif"
    with rasterio.open(path, "w", driver="GTiff", width=90, height=60, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(-175, 30, 0.5, 0.5),
                       tiled=True, blockxsize=32, blockysize=32) as dst:
        dst.write(data, 1)
    return path


@pytest.mark.parametrize("by", [("site", "band"), ("site", "band", "country")])
def test_exposure_table_of_a_data_array_equals_its_file(world, regional, by):
    for path in (world, regional):
        reference = exposure_table(SITES, edges_km=(0, 900, 2500), layer=path, by=by)
        arr = rioxarray.open_rasterio(path)
        for layer in (arr, arr.chunk({"y": 7, "x": 40}), arr.isel(band=0).load()):
            got = exposure_table(SITES, edges_km=(0, 900, 2500), layer=layer, by=by)
            pd.testing.assert_frame_equal(got, reference, rtol=1e-9)
            assert got.attrs["provenance"]["layer"] == "DataArray"
    assert (reference["coverage"] < 1).any()  # the regional raster's extent is measured


def test_raster_sums_of_a_data_array_equal_its_file_to_1e9(world):
    """The unrounded sums: a numpy- and a dask-backed array read like the file."""
    annuli = pd.DataFrame({"lon": SITES["lon"], "lat": SITES["lat"], "inner_km": 0.0,
                           "outer_km": [900.0, 2500.0, 1700.0]})
    members = [np.array([0]), np.array([1]), np.array([2]), np.array([0, 1, 2])]
    reference = raster_sums(annuli, members, str(world), "count", False)
    arr = rioxarray.open_rasterio(world)
    for layer in (arr, arr.chunk({"y": 11, "x": -1})):
        got = raster_sums(annuli, members, layer, "count", False)
        np.testing.assert_allclose(got, reference, rtol=1e-9)
    assert reference.min() > 0


def test_a_mollweide_data_array_equals_its_file(tmp_path):
    data = np.random.default_rng(31).gamma(0.5, 100.0, (60, 120)).astype(np.float32)
    path = tmp_path / "moll.tif"
    with rasterio.open(path, "w", driver="GTiff", width=120, height=60, count=1,
                       dtype="float32", crs="ESRI:54009",
                       transform=from_origin(-18e6, 9e6, 300e3, 300e3)) as dst:
        dst.write(data, 1)
    sites = SITES.iloc[:2]
    reference = exposure_table(sites, edges_km=(0, 1500), layer=path, by=("site",))
    got = exposure_table(sites, edges_km=(0, 1500), layer=rioxarray.open_rasterio(path),
                         by=("site",))
    pd.testing.assert_frame_equal(got, reference, rtol=1e-9)


def test_a_data_array_without_crs_is_one_clear_error(world):
    bare = xr.DataArray(rioxarray.open_rasterio(world).values[0], dims=("y", "x"))
    for call in (lambda: exposure_table(SITES, edges_km=(0, 500), layer=bare),
                 lambda: exposure_table(SITES, edges_km=(0, 500), layer=bare.chunk(10))):
        with pytest.raises(InputError, match="DataArray: no CRS") as err:
            call()
        assert "\n" not in str(err.value)


def test_data_array_values_follow_the_file_rules(world):
    arr = rioxarray.open_rasterio(world)
    with pytest.raises(InputError, match="not people|-5") as err:
        exposure_table(SITES, edges_km=(0, 3000), layer=arr.where(arr.x > 0, -5.0))
    assert "\n" not in str(err.value)
    holes = arr.where(arr.x > 0, -9999.0).rio.write_nodata(-9999.0)
    zeros = arr.where(arr.x > 0, 0.0)
    a = exposure_table(SITES, edges_km=(0, 3000), layer=holes)
    b = exposure_table(SITES, edges_km=(0, 3000), layer=zeros)
    pd.testing.assert_frame_equal(a, b)


# --- tasks on a cluster: threads, granularity, scattered arrays, bounded reads ------------------

def test_a_task_on_a_worker_runs_numba_on_one_thread(cluster):
    pytest.importorskip("numba")
    if os.environ.get("GEOINF_NO_NUMBA"):
        pytest.skip("numba hidden")

    def threads():
        import numba
        outside = numba.get_num_threads()
        with dask_layers.worker_threads("numba"):
            inside = numba.get_num_threads()
        return outside, inside, numba.get_num_threads()

    with distributed.Client(cluster) as client:
        got = client.submit(threads, pure=False).result()
    assert got[1] == 1 and got[0] == got[2]  # restored after the task


def test_a_cluster_gets_several_row_chunks_per_thread(world, cluster):
    assert len(dask_layers.row_source(world).chunks) == 1  # in process: one chunk (16k cells)
    with distributed.Client(cluster):
        chunks = dask_layers.row_source(world).chunks
    assert len(chunks) >= dask_layers.TASKS_PER_THREAD * 2
    assert chunks[0][0] == 0 and chunks[-1][1] == 90
    assert all(a[1] == b[0] for a, b in zip(chunks[:-1], chunks[1:], strict=True))


def test_numpy_chunks_are_scattered_to_a_cluster(world, cluster, monkeypatch):
    reference = _surface(world, "europe")
    arr = rioxarray.open_rasterio(world).load()
    monkeypatch.setattr(dask_layers, "SCATTER_BYTES", 1)  # every array argument scattered
    with distributed.Client(cluster) as client:
        sent = []
        scatter = client.scatter
        monkeypatch.setattr(client, "scatter",
                            lambda a, **kw: sent.append(a) or scatter(a, **kw))
        got = _surface(arr, "europe", chunk_rows=10)
    np.testing.assert_allclose(got, reference, rtol=1e-9, atol=1e-6)
    chunks = [a for a in sent if a.shape == (10, 180)]  # the row chunks in range (22-68 N)
    assert len(chunks) == 3 and float(chunks[0].sum()) > 0


def test_each_surface_task_reads_only_its_own_rows(world, monkeypatch):
    reads = []
    real = dask_layers.chunk_values

    def spy(item, r0, r1, spec, cols=None):
        values = real(item, r0, r1, spec, cols)
        reads.append((r0, r1, values.shape))
        return values

    monkeypatch.setattr(dask_layers, "CHUNK_CELLS", 180 * 8)  # 8 rows of 180 cells per task
    monkeypatch.setattr(dask_layers, "chunk_values", spy)
    got = _surface(world, "europe")
    assert max(r1 - r0 for r0, r1, _ in reads) == 8
    assert all(shape == (r1 - r0, 180) for r0, r1, shape in reads)
    rows = sorted({(r0, r1) for r0, r1, _ in reads})
    assert all(a[1] <= b[0] for a, b in zip(rows[:-1], rows[1:], strict=True))  # disjoint
    monkeypatch.undo()
    np.testing.assert_allclose(got, _surface(world, "europe"), rtol=1e-9)


def test_a_table_of_a_dask_array_computes_only_the_chunks_near_its_discs(tmp_path, monkeypatch):
    """Windows are bounded (MAX_WINDOW_CELLS) and only the chunks they touch are computed."""
    data = np.random.default_rng(37).gamma(0.5, 10.0, (720, 1440)).astype(np.float32)
    arr = xr.DataArray(data, dims=("y", "x"), coords={"y": 90 - 0.25 * (np.arange(720) + 0.5),
                                                      "x": -180 + 0.25 * (np.arange(1440) + 0.5)})
    arr = arr.rio.write_crs("EPSG:4326").chunk({"y": 16, "x": 480})
    windows = []
    real = ArrayDataset.read

    def spy(self, indexes=1, *, window=None, out_dtype=None, masked=False):
        windows.append(window)
        return real(self, indexes, window=window, out_dtype=out_dtype, masked=masked)

    monkeypatch.setattr(ArrayDataset, "read", spy)
    site = pd.DataFrame({"id": ["a"], "lon": [20.0], "lat": [50.0]})
    got = exposure_table(site, edges_km=(0, 600), layer=arr, by=("site",))
    assert windows and None not in windows
    assert max(int(w.height) * int(w.width) for w in windows) <= raster_blocks.MAX_WINDOW_CELLS
    touched = {(r, c) for w in windows
               for r in range(int(w.row_off) // 16, (int(w.row_off + w.height) - 1) // 16 + 1)
               for c in range(int(w.col_off) // 480, (int(w.col_off + w.width) - 1) // 480 + 1)}
    assert len(touched) <= 16 * 1  # of 45 x 3 chunks: one band of 256 rows, one column chunk
    monkeypatch.undo()
    ref = exposure_table(site, edges_km=(0, 600), layer=arr.load(), by=("site",))
    pd.testing.assert_frame_equal(got, ref)

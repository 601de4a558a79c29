"""Surfaces from DataArrays and on a dask.distributed cluster: the same numbers as in process."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

xr = pytest.importorskip("xarray")
rioxarray = pytest.importorskip("rioxarray")
distributed = pytest.importorskip("distributed")

from geoinf import InputError  # noqa: E402
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

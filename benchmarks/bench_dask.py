"""A two-worker Dask cluster against the local process pool, on the same machine: what
running on Dask costs when one host would do (the overhead ratio, Dask / process pool).

    pytest benchmarks/bench_dask.py --benchmark-columns=min,median,max

Two groups, each with both contenders: the rotate + watermark + flatten chain over
five-page reports (real work per file), and a no-op over tiny files (scheduling cost
alone). The Dask side is a LocalCluster of two single-threaded worker processes with
nannies, driven through `cluster=` (the path `--dask ADDRESS` takes). The Dask benchmark
of each group runs after the process pool's and prints the ratio of their medians; it
is also stored in its extra_info as `overhead_ratio`.
"""

from __future__ import annotations

import pytest

from . import corpus
from .compare import CHAIN_OPERATIONS, batch_runner, verify_chain, verify_count
from .conftest import measure_in_fresh_folders

WORKERS = 2
CHAIN_FILES = 100
NOOP_FILES = 500
NOOP = [{"method": "rotate_pages", "params": {"degrees": 0}}]

_medians_s: dict[str, float] = {}
"""Each group's process-pool median, for the Dask benchmark's ratio."""


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _report_ratio(benchmark, group: str, dask_median_s: float | None) -> None:
    pool_median_s = _medians_s.get(group)
    if pool_median_s is None or dask_median_s is None:
        return  # run alone (-k), or untimed (--benchmark-disable): nothing to compare
    ratio = dask_median_s / pool_median_s
    benchmark.extra_info["overhead_ratio"] = round(ratio, 2)
    print(f"\n{group}: Dask {dask_median_s:.2f} s, process pool {pool_median_s:.2f} s, overhead ratio {ratio:.2f}x")


@pytest.mark.benchmark(group=f"chain on {CHAIN_FILES} reports, {WORKERS} workers")
def test_chain_process_pool(benchmark, tmp_path_factory):
    files = corpus.text_reports(CHAIN_FILES)
    run = batch_runner(files, CHAIN_OPERATIONS, parallel="process", max_workers=WORKERS)
    _medians_s["chain"] = measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_chain(CHAIN_FILES))


@pytest.mark.benchmark(group=f"chain on {CHAIN_FILES} reports, {WORKERS} workers")
def test_chain_dask(benchmark, tmp_path_factory, dask_client):
    files = corpus.text_reports(CHAIN_FILES)
    run = batch_runner(files, CHAIN_OPERATIONS, cluster=dask_client, max_workers=WORKERS)
    _report_ratio(benchmark, "chain", measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_chain(CHAIN_FILES)))


@pytest.mark.benchmark(group=f"no-op on {NOOP_FILES} tiny files, {WORKERS} workers")
def test_noop_process_pool(benchmark, tmp_path_factory):
    files = corpus.tiny_files(NOOP_FILES)
    run = batch_runner(files, NOOP, parallel="process", max_workers=WORKERS)
    _medians_s["no-op"] = measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_count(NOOP_FILES, degrees=0))


@pytest.mark.benchmark(group=f"no-op on {NOOP_FILES} tiny files, {WORKERS} workers")
def test_noop_dask(benchmark, tmp_path_factory, dask_client):
    files = corpus.tiny_files(NOOP_FILES)
    run = batch_runner(files, NOOP, cluster=dask_client, max_workers=WORKERS)
    _report_ratio(benchmark, "no-op", measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_count(NOOP_FILES, degrees=0)))

"""Whole batches, batchproc against the naive designs, grouped so pytest-benchmark shows
them side by side. `pytest benchmarks/bench_batch.py` (for the alternating comparison
with ratios and targets, use `python -m benchmarks.compare`)."""

from __future__ import annotations

import pytest

from . import baselines, corpus
from .compare import CHAIN_OPERATIONS, batch_runner, verify_chain, verify_count
from .conftest import measure_in_fresh_folders

CHAIN_FILES = 100
NOOP_FILES = 500


@pytest.mark.benchmark(group=f"chain: rotate + watermark + flatten, {CHAIN_FILES} reports")
def test_chain_batchproc_process_pool(benchmark, tmp_path_factory):
    files = corpus.text_reports(CHAIN_FILES)
    run = batch_runner(files, CHAIN_OPERATIONS, parallel="process", max_workers=2)
    measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_chain(CHAIN_FILES))


@pytest.mark.benchmark(group=f"chain: rotate + watermark + flatten, {CHAIN_FILES} reports")
def test_chain_naive_thread_pool(benchmark, tmp_path_factory):
    files = corpus.text_reports(CHAIN_FILES)
    run = lambda out: baselines.naive_thread_pool_chain(files, out)  # noqa: E731
    measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_chain(CHAIN_FILES))


@pytest.mark.benchmark(group=f"chain: rotate + watermark + flatten, {CHAIN_FILES} reports")
def test_chain_pypdf_loop(benchmark, tmp_path_factory):
    files = corpus.text_reports(CHAIN_FILES)
    run = lambda out: baselines.pypdf_loop_chain(files, out)  # noqa: E731
    measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_chain(CHAIN_FILES))


@pytest.mark.benchmark(group=f"no-op (rotate by 0), {NOOP_FILES} tiny files")
def test_noop_batchproc_process_pool(benchmark, tmp_path_factory):
    files = corpus.tiny_files(NOOP_FILES)
    run = batch_runner(files, [{"method": "rotate_pages", "params": {"degrees": 0}}], parallel="process", max_workers=2)
    measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_count(NOOP_FILES, degrees=0))


@pytest.mark.benchmark(group=f"no-op (rotate by 0), {NOOP_FILES} tiny files")
def test_noop_naive_thread_pool(benchmark, tmp_path_factory):
    files = corpus.tiny_files(NOOP_FILES)
    run = lambda out: baselines.naive_thread_pool_noop(files, out)  # noqa: E731
    measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify_count(NOOP_FILES, degrees=0))

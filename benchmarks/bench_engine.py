"""One document through the local engine, in this process: the per-file cost that every
batch pays, without any scheduling. `pytest benchmarks/bench_engine.py`"""

from __future__ import annotations

import pytest

from batchproc.engines.base import EngineSpec
from batchproc.engines.chain import run_pipeline
from batchproc.inputs import Source
from batchproc.pipeline import Pipeline

from . import corpus
from .compare import CHAIN_OPERATIONS


def _run_in(tmp_path_factory, pipeline: Pipeline, source: Source):
    def once():
        workdir = tmp_path_factory.mktemp("run")
        return run_pipeline(EngineSpec(), pipeline, source, workdir)

    return once


@pytest.mark.benchmark(group="engine, one file")
def test_rotate_tiny_file(benchmark, tmp_path_factory):
    pipeline = Pipeline.from_operations([{"method": "rotate_pages", "params": {"degrees": 90}}])
    artifacts = benchmark(_run_in(tmp_path_factory, pipeline, Source.from_user(corpus.tiny_files(1)[0])))
    assert len(artifacts) == 1


@pytest.mark.benchmark(group="engine, one file")
def test_chain_five_page_report(benchmark, tmp_path_factory):
    pipeline = Pipeline.from_operations(CHAIN_OPERATIONS)
    artifacts = benchmark(_run_in(tmp_path_factory, pipeline, Source.from_user(corpus.text_reports(1)[0])))
    assert len(artifacts) == 1


@pytest.mark.benchmark(group="pipeline validation")
def test_validate_chain_pipeline(benchmark):
    pipeline = benchmark(Pipeline.from_operations, CHAIN_OPERATIONS)
    assert len(pipeline.steps) == 3

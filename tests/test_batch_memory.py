"""The parent's memory stays flat over a large batch: inputs are consumed lazily and only
small records come back. Precise figures live in benchmarks/bench_runner.py."""

from __future__ import annotations

import psutil

from batchproc import Client
from tests.factories_batch import ROTATE_90, pdf_batch

COUNT = 2000


def test_parent_rss_stays_flat_over_thousands_of_files(tmp_path):
    src = pdf_batch(tmp_path / "in", 1)[0]
    inputs = (src for _ in range(COUNT))  # a generator: never listed
    me = psutil.Process()
    samples = {}
    ok = 0
    for n, record in enumerate(Client().iter_batch(inputs, ROTATE_90, tmp_path / "out", parallel="process", max_workers=2), 1):
        ok += record.ok
        if n in (500, COUNT):
            samples[n] = me.memory_info().rss
    assert ok == COUNT
    growth_mib = (samples[COUNT] - samples[500]) / (1 << 20)
    assert growth_mib < 25, f"parent RSS grew {growth_mib:.1f} MiB over {COUNT - 500} files"
    assert len(list((tmp_path / "out").glob("*.pdf"))) == COUNT

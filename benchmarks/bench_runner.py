"""The batch runner's own overhead: files/s for a near no-op (rotate by 90) over tiny
files, and the parent's peak RSS, at 100 / 1,000 / 10,000 files.

    pytest benchmarks/bench_runner.py --benchmark-columns=min,median,max

Each benchmark stores `files_per_s` and `parent_peak_rss_mib` (sampled in the parent's
progress callback) in its extra_info; targets: >= 500 files/s at 10,000 files on 2 cores,
parent peak RSS flat across sizes.
"""

from __future__ import annotations

import psutil
import pytest

from . import corpus

ROTATE = [{"method": "rotate_pages", "params": {"degrees": 90}}]


@pytest.mark.parametrize("count", [100, 1_000, 10_000])
@pytest.mark.parametrize("streaming", [False, True], ids=["batch_process", "iter_batch"])
def test_runner_noop_throughput_and_parent_memory(benchmark, tmp_path_factory, count, streaming):
    from batchproc import Client

    files = corpus.tiny_files(count)
    client = Client()
    me = psutil.Process()
    peak = [0]

    def sample(done, total):
        if done % 50 == 0:
            peak[0] = max(peak[0], me.memory_info().rss)

    def run(out):
        if streaming:
            for n, record in enumerate(client.iter_batch(iter(files), ROTATE, out, parallel="process", max_workers=2), 1):
                assert record.ok
                sample(n, None)
            return count
        result = client.batch_process(files, ROTATE, out, parallel="process", max_workers=2, progress_callback=sample)
        assert len(result.successful) == count
        return count

    def setup():
        return (tmp_path_factory.mktemp("out"),), {}

    rounds = 3 if count <= 1_000 else 1
    benchmark.pedantic(run, setup=setup, rounds=rounds, warmup_rounds=1 if count <= 1_000 else 0)
    if benchmark.stats is None:
        return  # --benchmark-disable: ran once, untimed
    benchmark.extra_info["files_per_s"] = round(count / benchmark.stats.stats.median, 1)
    benchmark.extra_info["parent_peak_rss_mib"] = round(peak[0] / (1 << 20), 1)
    print(f"\n{count} files, {'iter_batch' if streaming else 'batch_process'}: "
          f"{benchmark.extra_info['files_per_s']} files/s, parent peak RSS {benchmark.extra_info['parent_peak_rss_mib']} MiB")

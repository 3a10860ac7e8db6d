"""pytest-benchmark suites: `pytest benchmarks` (never part of a plain `pytest`, whose
testpaths is `tests`). Files here are named bench_*.py; this hook collects them."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP thrashes on 2 vCPUs


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def measure_in_fresh_folders(benchmark, tmp_path_factory, run, verify, *, rounds: int = 3) -> float | None:
    """Time `run(out_folder)` over `rounds`, each into a fresh folder (made untimed);
    verify the last round's outputs; return the median in seconds (None under
    --benchmark-disable, which runs it once, untimed)."""
    folders = []

    def setup():
        folders.append(tmp_path_factory.mktemp("out"))
        return (folders[-1],), {}

    benchmark.pedantic(run, setup=setup, rounds=rounds, warmup_rounds=1)
    verify(folders[-1])
    return benchmark.stats.stats.median if benchmark.stats else None

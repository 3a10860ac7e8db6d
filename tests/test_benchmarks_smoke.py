"""`python -m benchmarks.compare --quick` runs end to end on tiny sizes.

Proves the harness, the corpora, the baselines and their output checks work; asserts the
table's rows and that every contender ran and passed its output check — never a time.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import compare

EXPECTED_ROWS = {
    "chain": ["A", "B", "C"],
    "ocr": ["A", "B", "floor"],
    "pdfa": ["A", "B"],
    "scheduling": ["A@10", "A@20", "A@40"],
    "noop": ["A", "B"],
    "remote": ["w1", "w4", "w16"],
    "dask": ["A", "dask"],
}


@pytest.fixture
def bench_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "bench-corpus"  # shared by the tests of a session
    monkeypatch.setenv("BATCHPROC_BENCH_CACHE", str(cache))
    return cache


def run_quick(names: list[str], out) -> dict:
    results = compare.main(["--quick", "--only", ",".join(names), "--out", str(out)])
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(results))
    table = (out / "results.md").read_text()
    for name in names:
        rows = next(c for c in results["comparisons"] if c["name"] == name)["rows"]
        assert [row["key"] for row in rows] == EXPECTED_ROWS[name]
        for row in rows:
            assert f"| {name} | {row['key']}: " in table
            assert row["unavailable"] is None, f"{name} {row['key']}: {row['unavailable']}"
            assert row["verified"] and len(row["runs_s"]) == 1, f"{name} {row['key']} did not run"
    return results


def test_compare_quick_runs_cheap_comparisons(tmp_path, bench_cache):
    results = run_quick(["chain", "pdfa", "noop", "scheduling"], tmp_path)
    targets = [t["target"] for c in results["comparisons"] for t in c["targets"]]
    assert "B/A (time) >= 3" in targets and "parent peak RSS 40 / 20 <= 1.25" in targets
    scheduling = next(c for c in results["comparisons"] if c["name"] == "scheduling")
    for row in scheduling["rows"]:
        assert row["metrics"]["parent_peak_rss"] > 0 and row["metrics"]["total_peak_rss"] > 0


@pytest.mark.slow
def test_compare_quick_runs_ocr_remote_and_dask(tmp_path, bench_cache):
    run_quick(["ocr", "remote", "dask"], tmp_path)


def test_compare_rejects_an_unknown_comparison(tmp_path):
    with pytest.raises(SystemExit):
        compare.main(["--quick", "--only", "nope", "--out", str(tmp_path)])

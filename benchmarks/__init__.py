"""Benchmarks for batchproc, side by side with what users would run instead.

    python -m benchmarks.compare               # every comparison, full sizes (slow)
    python -m benchmarks.compare --only ocr    # one comparison
    python -m benchmarks.compare --quick       # tiny sizes: proves it runs, times mean nothing
    pytest benchmarks                          # the pytest-benchmark suites (bench_*.py)

`corpus` builds (and caches) the input files, `baselines` holds the contenders that are
not batchproc, `compare` runs them alternately and prints the table of medians and ratios.
"""

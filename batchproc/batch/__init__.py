"""The batch runner: maps one pipeline over many documents on an executor.

    runner       the wiring, top to bottom: iter_batch / collect (start here)
    worker       what runs in a worker: run_chunk, the same on every executor
    pools        serial, threads, our process pool (kill, restart), a caller's executor
    attribution  which input killed a worker, from exit codes and task markers
    tracking     the per-worker "I am on input N since T" marker files
    journal      the resume journal in output_dir
    naming       output_format checks, expansion, collisions
    retry        which errors are retried, and the backoff
    memory       the worker's RSS/parent watchdog, the parent's host-memory check
    options      BatchOptions: the checked settings and their defaults
    result       FileResult, BatchResult
    cluster      Dask: cluster= and a Dask client's executor
"""

from .result import BatchResult, FileResult

__all__ = ["BatchResult", "FileResult"]

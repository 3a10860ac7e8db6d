"""The batch runner: maps one pipeline over many documents on an executor."""

from .result import BatchResult, FileResult

__all__ = ["BatchResult", "FileResult"]

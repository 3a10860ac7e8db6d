"""batchproc: run one chain of document operations over many PDF and Office files.

    from batchproc import Client
    result = Client().batch_process(
        ["a.pdf", "b.docx"],
        operations=[{"method": "rotate_pages", "params": {"degrees": 90}},
                    {"method": "watermark_pdf", "params": {"text": "DRAFT"}}],
        output_dir="out",
    )
"""

from . import errors
from .batch import BatchResult, FileResult
from .client import Client
from .errors import BatchprocError, UnsupportedOperationError
from .pipeline import Pipeline

__all__ = [
    "Client",
    "Pipeline",
    "BatchResult",
    "FileResult",
    "BatchprocError",
    "UnsupportedOperationError",
    "errors",
]

"""The local engine: runs pipelines on this host with pikepdf and external programs."""

from .document import Document
from .engine import LocalEngine

__all__ = ["Document", "LocalEngine"]

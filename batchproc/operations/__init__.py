"""Document operations: one module per family, each registering its operations.

Importing a module of this package registers its operations in `registry.REGISTRY`;
`load_all()` imports every module once, so a new family needs no list to be edited.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from .registry import REGISTRY, REQUIRED, Operation, Param, get_operation, operation

__all__ = ["REGISTRY", "REQUIRED", "Operation", "Param", "get_operation", "operation", "load_all"]

EXTRA_OPERATIONS_ENV = "BATCHPROC_EXTRA_OPERATIONS"
"""Comma-separated modules that register more operations, imported by `load_all()` (the
batch runner passes it on to its workers). The tests' fault-injection operations use it."""

_loaded = False


def load_all() -> dict[str, Operation]:
    """Import every operation module (once), and any EXTRA_OPERATIONS_ENV modules; return
    the registry."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            if module.name not in ("registry", "checks"):
                importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True
    for name in filter(None, os.environ.get(EXTRA_OPERATIONS_ENV, "").split(",")):
        importlib.import_module(name.strip())
    return REGISTRY

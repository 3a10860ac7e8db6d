"""Document operations: one module per family, each registering its operations.

Importing a module of this package registers its operations in `registry.REGISTRY`;
`load_all()` imports every module once, so a new family needs no list to be edited.
"""

from __future__ import annotations

import importlib
import pkgutil

from .registry import REGISTRY, REQUIRED, Operation, Param, get_operation, operation

__all__ = ["REGISTRY", "REQUIRED", "Operation", "Param", "get_operation", "operation", "load_all"]

_loaded = False


def load_all() -> dict[str, Operation]:
    """Import every operation module (once) and return the registry."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            if module.name not in ("registry", "checks"):
                importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True
    return REGISTRY

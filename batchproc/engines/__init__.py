"""Engines: where a pipeline runs. `local` (this host) and `dws` (the Nutrient DWS API).

`create_engine(spec)` builds one; `engine_for(spec)` returns the per-process cached one,
so a pool worker keeps a warm engine (fonts, overlays, HTTP sessions) across files.
"""

from __future__ import annotations

from .base import Artifact, Engine, EngineSpec

__all__ = ["Artifact", "Engine", "EngineSpec", "create_engine", "engine_for"]

_cache: dict[EngineSpec, Engine] = {}


def create_engine(spec: EngineSpec) -> Engine:
    from ..errors import ValidationError

    if spec.name == "local":
        from .dws.options import OPTION_NAMES
        from .local import LocalEngine

        # A local spec also carries the dws options, for steps pinned to "dws" (engines.chain).
        return LocalEngine(**{k: v for k, v in spec.options.items() if k not in OPTION_NAMES})
    if spec.name == "dws":
        from .dws import DWSEngine

        return DWSEngine(**spec.options)
    raise ValidationError(f"unknown engine {spec.name!r}: use 'local' or 'dws'")


def engine_for(spec: EngineSpec) -> Engine:
    """The engine for `spec` in this process, built on first use and then reused."""
    key = EngineSpec(spec.name, _Frozen(spec.options))
    engine = _cache.get(key)
    if engine is None:
        engine = _cache[key] = create_engine(spec)
    return engine


class _Frozen(dict):
    """A hashable view of engine options, for the per-process cache key."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((k, repr(v)) for k, v in self.items())))

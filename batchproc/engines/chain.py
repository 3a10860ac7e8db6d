"""Run one pipeline on one document: the single entry point the Client and the batch
runner's workers call. It builds (once per process) the engine the spec names."""

from __future__ import annotations

from pathlib import Path

from ..inputs import Source
from ..pipeline import Pipeline
from . import engine_for
from .base import Artifact, EngineSpec


def run_pipeline(spec: EngineSpec, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
    """Apply `pipeline` to `source` on the engine `spec` names; artifacts land in `workdir`."""
    return engine_for(spec).run(pipeline, source, workdir)

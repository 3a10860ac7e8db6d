"""Run one pipeline on one document: the single entry point the Client and the batch
runner's workers call.

A step may pin itself to an engine (`"engine": "dws"`), so one pipeline can run CPU-bound
steps locally before and after remote ones. The pipeline is cut into segments of
consecutive steps with the same engine; each segment runs on its engine (built once per
process), and its single PDF is the next segment's input. So the whole chain of one file
runs in one worker, and consecutive remote steps fuse into one /build request.

The spec names the batch's engine and carries the options of every engine the pipeline
may use (e.g. `Client(api_key=...)` with a local batch that pins OCR to "dws"); each
engine receives only its own options.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnsupportedOperationError
from ..inputs import Source
from ..pipeline import Pipeline, Step
from . import engine_for
from .base import Artifact, EngineSpec


def run_pipeline(spec: EngineSpec, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
    """Apply `pipeline` to `source` on the engines its steps name; artifacts land in `workdir`."""
    segments = split_segments(pipeline, spec.name)
    if len(segments) == 1:
        name, _ = segments[0]
        return engine_for(spec_for(spec, name)).run(pipeline, source, workdir)
    password = pipeline.password
    artifacts: list[Artifact] = []
    for number, (name, steps) in enumerate(segments):
        if artifacts:
            if len(artifacts) != 1 or artifacts[0].ext != ".pdf":
                raise UnsupportedOperationError(
                    f"{steps[0].describe()}: in a mixed pipeline only the last engine's steps may "
                    "split the document or make non-PDF output"
                )
            source = Source(name=source.name, path=artifacts[0].path)
            password = None  # intermediate results are written unencrypted
        folder = workdir / f"segment-{number}-{name}"
        folder.mkdir()
        segment = Pipeline(steps=tuple(steps), password=password)
        artifacts = engine_for(spec_for(spec, name)).run(segment, source, folder)
    return artifacts


def split_segments(pipeline: Pipeline, default_engine: str) -> list[tuple[str, list[Step]]]:
    """Consecutive steps grouped by the engine that runs them."""
    segments: list[tuple[str, list[Step]]] = []
    for step in pipeline.steps:
        name = step.engine or default_engine
        if segments and segments[-1][0] == name:
            segments[-1][1].append(step)
        else:
            segments.append((name, [step]))
    return segments


def spec_for(spec: EngineSpec, name: str) -> EngineSpec:
    """The spec of engine `name` within `spec`: that engine's own options only."""
    from .dws.options import OPTION_NAMES

    if name == spec.name == "dws":
        return spec
    if name == "dws":
        return EngineSpec("dws", {k: v for k, v in spec.options.items() if k in OPTION_NAMES})
    if spec.name == "local":
        return EngineSpec("local", {k: v for k, v in spec.options.items() if k not in OPTION_NAMES})
    return EngineSpec(name)

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

import time
from pathlib import Path

from ..errors import BatchprocError, UnsupportedOperationError
from ..inputs import Source
from ..pipeline import Pipeline, Step
from . import engine_for
from .base import Artifact, EngineSpec

DIRECT_MAX_RETRIES = 2
"""Retries of a transient error for a single document run outside the batch runner."""


def run_pipeline(spec: EngineSpec, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
    """Apply `pipeline` to `source` on the engines its steps name; artifacts land in `workdir`."""
    try:
        segments = split_segments(pipeline, spec.name)
        if len(segments) == 1:
            return engine_for(spec_for(spec, segments[0][0])).run(pipeline, source, workdir)
        return _run_segments(spec, segments, pipeline.password, source, workdir)
    except BatchprocError as exc:
        raise exc.with_source(source.label)  # e.g. a dws engine that has no API key


def run_with_retries(
    spec: EngineSpec, pipeline: Pipeline, source: Source, workdir: Path, *, max_retries: int = DIRECT_MAX_RETRIES
) -> list[Artifact]:
    """`run_pipeline`, retrying transient errors (429, 502/503/504, network) with the batch
    runner's policy (batchproc.batch.retry: Retry-After, else jittered backoff).

    For callers outside the batch runner, which retries on its own: the Client's direct
    methods. Each attempt gets a fresh folder under `workdir`.
    """
    from ..batch.retry import backoff_delay_s, should_retry

    attempts = 0
    while True:
        attempts += 1
        folder = workdir / f"attempt-{attempts}"
        folder.mkdir()
        try:
            return run_pipeline(spec, pipeline, source, folder)
        except BatchprocError as exc:
            if not should_retry(exc, attempts, max_retries):
                raise
            time.sleep(backoff_delay_s(exc, attempts))


def _run_segments(spec: EngineSpec, segments: list[tuple[str, list[Step]]], password: str | None,
                  source: Source, workdir: Path) -> list[Artifact]:
    label = source.label
    artifacts: list[Artifact] = []
    for number, (name, steps) in enumerate(segments):
        if artifacts:  # one plain PDF: split_segments keeps the steps that make others last
            source = Source(name=source.name, path=artifacts[0].path)
            password = None  # intermediate results are written unencrypted
        folder = workdir / f"segment-{number}-{name}"
        folder.mkdir()
        segment = Pipeline(steps=tuple(steps), password=password)
        try:
            artifacts = engine_for(spec_for(spec, name)).run(segment, source, folder)
        except BatchprocError as exc:
            exc.source = label  # name the user's input, not an intermediate file
            raise
    return artifacts


def check_mixed_pipeline(spec: EngineSpec, pipeline: Pipeline) -> None:
    """Raise now what a mixed pipeline would raise for every file: a step in the wrong
    engine's group (see split_segments), or an engine the steps pin that cannot be built
    (a step pinned to "dws" with no API key: AuthenticationError)."""
    split_segments(pipeline, spec.name)
    for name in sorted({step.engine for step in pipeline.steps if step.engine and step.engine != spec.name}):
        engine_for(spec_for(spec, name))


def split_segments(pipeline: Pipeline, default_engine: str) -> list[tuple[str, list[Step]]]:
    """Consecutive steps grouped by the engine that runs them.

    Each group hands the next one a single plain PDF, so a step that splits the document,
    makes non-PDF output or encrypts it must be in the last group (UnsupportedOperationError).
    """
    segments: list[tuple[str, list[Step]]] = []
    for step in pipeline.steps:
        name = step.engine or default_engine
        if segments and segments[-1][0] == name:
            segments[-1][1].append(step)
        else:
            segments.append((name, [step]))
    for _, steps in segments[:-1]:
        for step in steps:
            if step.operation.kind != "edit" or step.operation.encrypts_output:
                raise UnsupportedOperationError(
                    f"{step.describe()}: in a mixed pipeline only the last engine's steps may split the "
                    "document, make non-PDF output or encrypt it; move this step after the other engine's steps"
                )
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

"""The engine contract: run one pipeline on one document.

An engine is the narrow seam between *what* to do (a Pipeline) and *where* it is done
(this host, the DWS API). The batch runner and the Client only ever call `run` and
`close`; an engine must be safe to create once per worker process and reuse for many
files (warm workers), and it is built in each worker from a picklable `EngineSpec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..inputs import Source
from ..pipeline import Pipeline


@dataclass(frozen=True)
class Artifact:
    """One output file an engine produced, in the work folder it was given.

    `suffix` is "" for the single output of a pipeline, or a distinguishing part
    ("_1", "_page2") when a pipeline makes several outputs from one input (split, images).
    `ext` is the output's extension with its dot (".pdf", ".png", ".txt", ".zip").
    """

    path: Path
    ext: str
    suffix: str = ""


class Engine(ABC):
    """Runs a whole pipeline on one document."""

    name: str

    @abstractmethod
    def run(self, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
        """Apply every step of `pipeline` to `source`; write outputs under `workdir`.

        `workdir` is an empty private folder on the same filesystem as the final
        output folder; the caller moves the artifacts into place and removes the rest.
        Raises only BatchprocError subclasses, each naming `source`.
        """

    def close(self) -> None:
        """Release pooled resources (HTTP sessions, helper processes)."""


@dataclass(frozen=True)
class EngineSpec:
    """A picklable recipe for an engine: what each worker builds its own engine from."""

    name: str = "local"
    options: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = {k: ("***" if "key" in k or "password" in k else v) for k, v in self.options.items()}
        return f"EngineSpec(name={self.name!r}, options={shown!r})"

    def build(self) -> Engine:
        from . import create_engine

        return create_engine(self)

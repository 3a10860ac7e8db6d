"""The Client: the user's face on pipelines, engines and the batch runner.

`Client()` runs on this host (the local engine). `Client(engine="dws", api_key=...)` runs
the same operations on the Nutrient DWS API. Every operation in the registry is also a
direct method with the names and parameters of the DWS Python client:

    client.rotate_pages("in.pdf", "out.pdf", degrees=90)
    data = client.watermark_pdf(open("in.pdf", "rb"), text="DRAFT")   # returns bytes

Direct methods are one-step pipelines; they are generated from the registry (one source
of truth for names, defaults and validation) unless a method with special inputs or
outputs is written out below.
"""

from __future__ import annotations

import inspect
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from .engines.base import Artifact, EngineSpec
from .engines.chain import run_pipeline
from .inputs import InputFile, Source
from .operations import load_all
from .operations.registry import Operation
from .outputs import commit
from .pipeline import Pipeline


class Client:
    """Entry point of batchproc. See the module docstring and README for examples.

    engine:   "local" (default; no account, no network) or "dws" (Nutrient DWS API).
    api_key:  for "dws"; defaults to the NUTRIENT_API_KEY environment variable.
    base_url: for "dws"; any server that speaks the DWS protocol.
    Other keyword arguments are passed to the engine (for example `timeout_s`).
    """

    def __init__(
        self,
        engine: str = "local",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        **engine_options: Any,
    ) -> None:
        options = dict(engine_options)
        if api_key is not None:
            options["api_key"] = api_key
        if base_url is not None:
            options["base_url"] = base_url
        self.engine_spec = EngineSpec(engine, options)
        self.engine_spec.build()  # validate the engine name and options now, not in a worker

    def __repr__(self) -> str:
        return f"Client(engine={self.engine_spec.name!r})"

    # -- one document ----------------------------------------------------------------------
    def process(
        self,
        input_file: InputFile,
        operations: list[dict[str, Any]],
        output_path: str | os.PathLike[str] | None = None,
        *,
        password: str | None = None,
    ) -> bytes | None:
        """Run a whole pipeline on one document; bytes, or None after writing `output_path`."""
        pipeline = Pipeline.from_operations(operations, password=password)
        return _single_output(self._run(pipeline, input_file, [output_path] if output_path else None))

    def _run(
        self,
        pipeline: Pipeline,
        input_file: InputFile,
        output_paths: list[str | os.PathLike[str]] | None,
    ) -> list[bytes] | list[Path]:
        """Run `pipeline` on one input in this process; write `output_paths` or return bytes."""
        source = Source.from_user(input_file)
        with tempfile.TemporaryDirectory(prefix="batchproc-") as tmp:
            artifacts = run_pipeline(self.engine_spec, pipeline, source, Path(tmp))
            if output_paths is None:
                return [a.path.read_bytes() for a in artifacts]
            return _write_outputs(artifacts, [Path(p) for p in output_paths], source.label)


def _write_outputs(artifacts: list[Artifact], paths: list[Path], label: str) -> list[Path]:
    from .errors import ValidationError

    if len(paths) != len(artifacts):
        raise ValidationError(
            f"{len(artifacts)} output(s) were produced but {len(paths)} output path(s) were given", source=label
        )
    return [commit(a.path, p, source=label) for a, p in zip(artifacts, paths)]


def _single_output(outputs: list[bytes] | list[Path]) -> bytes | None:
    first = outputs[0]
    return first if isinstance(first, bytes) else None


def _direct_method(operation: Operation) -> Callable[..., Any]:
    """A Client method running `operation` as a one-step pipeline, with a real signature."""
    required = [p for p in operation.params if p.required]
    optional = [p for p in operation.params if not p.required]
    P = inspect.Parameter
    parameters = [P("self", P.POSITIONAL_OR_KEYWORD), P("input_file", P.POSITIONAL_OR_KEYWORD)]
    parameters += [P(p.name, P.POSITIONAL_OR_KEYWORD) for p in required]
    parameters.append(P("output_path", P.POSITIONAL_OR_KEYWORD, default=None))
    parameters += [P(p.name, P.POSITIONAL_OR_KEYWORD, default=p.default) for p in optional]
    parameters.append(P("password", P.KEYWORD_ONLY, default=None))
    signature = inspect.Signature(parameters)

    def method(*args: Any, **kwargs: Any) -> bytes | None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        self: Client = values.pop("self")
        input_file = values.pop("input_file")
        output_path = values.pop("output_path")
        password = values.pop("password")
        pipeline = Pipeline.single(operation.method, values, password=password)
        return _single_output(self._run(pipeline, input_file, [output_path] if output_path else None))

    method.__name__ = method.__qualname__ = operation.method
    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__doc__ = operation.doc + "\n\nReturns the output bytes, or None after writing `output_path`."
    return method


def _add_direct_methods() -> None:
    for name, operation in load_all().items():
        if operation.kind == "edit" and name not in Client.__dict__:
            setattr(Client, name, _direct_method(operation))


_add_direct_methods()

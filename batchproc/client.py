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
import json
import os
import tempfile
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .batch.options import BatchOptions
from .batch.result import BatchResult, FileResult
from .batch.runner import collect as collect_results
from .batch.runner import iter_batch
from .engines.base import Artifact, EngineSpec
from .engines.chain import run_with_retries
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
    Other keyword arguments are passed to the engine (for "dws": `connect_timeout_s`,
    `read_timeout_s`). With engine="local", the dws options may be given too: they serve
    the steps a pipeline pins to the remote engine ({"method": ..., "engine": "dws"}).
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

    # -- many documents --------------------------------------------------------------------
    def batch_process(
        self,
        input_files: Iterable[InputFile],
        operations: list[dict[str, Any]],
        output_dir: str | os.PathLike[str] | None = None,
        output_format: str = "{name}_{index}{ext}",
        parallel: bool | str = True,
        max_workers: int = 4,
        continue_on_error: bool = True,
        progress_callback: Callable[[int, int | None], Any] | None = None,
        *,
        executor: Executor | None = None,
        cluster: Any = None,
        resume: bool = True,
        max_retries: int = 3,
        file_timeout: float | None = None,
        memory_limit: int | None = None,
        password: str | None = None,
        progress: bool = False,
    ) -> BatchResult:
        """Run one pipeline over many inputs; a thin loop over `iter_batch`.

        Everything is checked before any file is touched (operations, output_format,
        options, the API key of steps pinned to "dws"). `progress_callback(done, total)`
        is called in this process once per finished file, skipped ones included; `total`
        is len(input_files), or None when it has no length. `progress=True` shows a tqdm
        bar on stderr.

        Never raises for a file: each failure is in `result.failed` with its typed error
        naming the input. With continue_on_error=False the batch stops at the first
        failure (queued files are cancelled, running ones are reported) and RETURNS.
        On Ctrl-C or SIGTERM it stops cleanly and RETURNS the partial result with
        `interrupted=True` (use `iter_batch` to get KeyboardInterrupt instead).
        See `iter_batch` for the other arguments.
        """
        total = len(input_files) if hasattr(input_files, "__len__") else None  # type: ignore[arg-type]
        results = self.iter_batch(
            input_files, operations, output_dir, output_format, parallel, max_workers, continue_on_error,
            executor=executor, cluster=cluster, resume=resume, max_retries=max_retries, file_timeout=file_timeout,
            memory_limit=memory_limit, password=password,
        )
        return collect_results(results, total=total, progress_callback=progress_callback, progress=progress)

    def iter_batch(
        self,
        input_files: Iterable[InputFile],
        operations: list[dict[str, Any]],
        output_dir: str | os.PathLike[str] | None = None,
        output_format: str = "{name}_{index}{ext}",
        parallel: bool | str = True,
        max_workers: int = 4,
        continue_on_error: bool = True,
        *,
        executor: Executor | None = None,
        cluster: Any = None,
        resume: bool = True,
        max_retries: int = 3,
        file_timeout: float | None = None,
        memory_limit: int | None = None,
        password: str | None = None,
    ) -> Iterator[FileResult]:
        """Run one pipeline over many inputs, yielding each input's FileResult as it
        finishes (in order of completion; in input order when parallel=False).

        input_files:   paths, bytes or binary file objects; any iterable, consumed lazily
                       (about two work orders per worker are in flight at a time).
        output_dir:    where outputs go (atomic renames; a journal there makes re-runs
                       resume). Without it each FileResult.output holds the bytes.
        output_format: {name} (input name without extension), {index} (0-based position
                       in input_files), {ext} (the output's extension, ".pdf"); format
                       specs like {index:05d} work. Multi-output steps insert their suffix
                       ("_1", "_page2") before the extension. An input whose name collides
                       with an earlier one fails with OutputNameError before its work.
        parallel:      True (processes for the local engine, threads for "dws"), False (in
                       this thread, in order), "process" or "thread". `executor=` (any
                       concurrent.futures.Executor, e.g. a Dask client's get_executor())
                       overrides it.
        cluster:       run on a Dask cluster: its scheduler address ("tcp://host:8786") or
                       a distributed.Client. Workers need batchproc, the system programs,
                       and the inputs and output_dir at the same paths; max_workers sets
                       the window (about 2 orders per worker in flight): give it the
                       cluster's thread count. See batchproc.batch.cluster.
        resume:        with output_dir, skip inputs an earlier run of the same pipeline
                       finished (FileResult.skipped; a changed input is redone).
        max_retries:   retries of transient errors (rate limits, network, 502/503/504),
                       with exponential backoff and jitter, honouring Retry-After.
        file_timeout:  seconds per file; past it the file fails with FileTimeoutError (its
                       worker is killed in process mode; best effort with threads or a
                       custom executor; not enforced with parallel=False).
        memory_limit:  bytes of RSS per process worker (default min(available memory /
                       (workers + 1), 4 GiB), at least 512 MiB); past it the file fails
                       with MemoryLimitError and the worker is replaced. Process mode only.

        A worker that dies (segfault, os._exit, OOM kill) fails only the file it was on
        (WorkerCrashedError); other files it took down are re-run. On Ctrl-C or SIGTERM
        the generator stops the workers, keeps the journal consistent, removes its
        temporary files and RAISES KeyboardInterrupt; closing the generator early does
        the same clean-up.
        """
        options = BatchOptions.resolve(
            engine_name=self.engine_spec.name, parallel=parallel, max_workers=max_workers,
            continue_on_error=continue_on_error, executor=executor, resume=resume,
            max_retries=max_retries, file_timeout=file_timeout, memory_limit=memory_limit,
            cluster=cluster,
        )
        return iter_batch(
            self.engine_spec, input_files, operations, output_dir=output_dir,
            output_format=output_format, options=options, password=password,
        )

    # -- operations with several or non-PDF outputs ---------------------------------------
    def split_pdf(
        self,
        input_file: InputFile,
        page_ranges: list[dict[str, int]] | None = None,
        output_paths: list[str | os.PathLike[str]] | None = None,
        *,
        pages_per_file: int | None = None,
        password: str | None = None,
    ) -> list[bytes]:
        """One PDF per page range (default: the first page, as in the DWS client), or per
        `pages_per_file` pages. Returns the PDFs' bytes, or [] after writing `output_paths`
        (one path per part)."""
        params: dict[str, Any] = {"page_ranges": page_ranges, "pages_per_file": pages_per_file}
        pipeline = Pipeline.single("split_pdf", params, password=password)
        return _many_outputs(self._run(pipeline, input_file, list(output_paths) if output_paths else None))

    def merge_pdfs(
        self,
        input_files: list[InputFile],
        output_path: str | os.PathLike[str] | None = None,
        *,
        password: str | None = None,
    ) -> bytes | None:
        """One PDF of all `input_files` (at least two; paths or bytes, Office files and
        images converted), in order. Returns its bytes, or None after writing `output_path`."""
        from .errors import OperationError

        files = list(input_files)
        if len(files) < 2:
            raise OperationError(f"merge_pdfs needs at least 2 input files, got {len(files)}")
        pipeline = Pipeline.single("merge_pdfs", {"input_files": files[1:]}, password=password)
        return _single_output(self._run(pipeline, files[0], [output_path] if output_path else None))

    def convert_to_images(
        self,
        input_file: InputFile,
        output_dir: str | os.PathLike[str] | None = None,
        format: str = "png",
        pages: dict[str, int] | None = None,
        width: int | None = None,
        height: int | None = None,
        dpi: int | float = 150,
        *,
        password: str | None = None,
    ) -> list[bytes]:
        """Render pages to images, one per page. Returns their bytes, or [] after writing them
        to `output_dir` as <input name><_pageN>.<ext> (the suffix only when several pages)."""
        params = {"format": format, "pages": pages, "width": width, "height": height, "dpi": dpi}
        pipeline = Pipeline.single("convert_to_images", params, password=password)
        if output_dir is None:
            return _many_outputs(self._run(pipeline, input_file, None))
        source = Source.from_user(input_file)
        with tempfile.TemporaryDirectory(prefix="batchproc-") as tmp:
            artifacts = run_with_retries(self.engine_spec, pipeline, source, Path(tmp))
            targets = [Path(output_dir) / f"{source.stem}{a.suffix}{a.ext}" for a in artifacts]
            _write_outputs(artifacts, targets, source.label)
        return []

    def extract_text(
        self,
        input_file: InputFile,
        output_path: str | os.PathLike[str] | None = None,
        pages: dict[str, int] | None = None,
        output: str = "text",
        *,
        password: str | None = None,
    ) -> str | dict[str, Any] | None:
        """The text layer of the pages: a str (pages separated by form feeds) for
        output="text", a dict {"pages": [{"pageIndex", "plainText"}]} for output="json";
        None after writing `output_path`."""
        pipeline = Pipeline.single("extract_text", {"pages": pages, "output": output}, password=password)
        data = _single_output(self._run(pipeline, input_file, [output_path] if output_path else None))
        if data is None:
            return None
        return json.loads(data) if output == "json" else data.decode("utf-8")

    def add_page(
        self,
        input_file: InputFile,
        insert_index: int,
        page_count: int = 1,
        page_size: str | dict[str, float] = "A4",
        orientation: str = "portrait",
        output_path: str | os.PathLike[str] | None = None,
        *,
        password: str | None = None,
    ) -> bytes | None:
        """Insert blank pages (written out here: the DWS client puts output_path last for
        this method). Returns the output bytes, or None after writing `output_path`."""
        params = {"insert_index": insert_index, "page_count": page_count, "page_size": page_size,
                  "orientation": orientation}
        pipeline = Pipeline.single("add_page", params, password=password)
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
            artifacts = run_with_retries(self.engine_spec, pipeline, source, Path(tmp))
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


def _many_outputs(outputs: list[bytes] | list[Path]) -> list[bytes]:
    return [o for o in outputs if isinstance(o, bytes)]


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

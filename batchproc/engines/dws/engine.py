"""DWSEngine: runs a pipeline on a server that speaks the Nutrient DWS protocol.

Per document: compile the pipeline into requests (compile.py), send each with the
previous result as its input (transport.py), and turn the final results into artifacts.
"""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import formats
from ...errors import (
    BatchprocError,
    CorruptDocumentError,
    InputNotFoundError,
    UnsupportedOperationError,
    ValidationError,
)
from ...inputs import Source
from ...pipeline import Pipeline
from ..base import Artifact, Engine
from .compile import DOCUMENT, BuildRequest, PageCountNeeded, Plan, compile_pipeline
from .options import OPTION_NAMES, DWSOptions

if TYPE_CHECKING:
    from .transport import Upload

_counter = itertools.count()


class DWSEngine(Engine):
    """Sends each document's whole chain as few `/build` requests as possible.

    Options: api_key (default $NUTRIENT_API_KEY), base_url, connect_timeout_s,
    read_timeout_s. One connection pool per engine, i.e. per worker process.
    """

    name = "dws"

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(OPTION_NAMES))
        if unknown:
            raise ValidationError(f"unknown option(s) for the dws engine: {', '.join(unknown)}; "
                                  f"it takes {', '.join(OPTION_NAMES)}")
        self.options = DWSOptions.from_options(**options)
        from .transport import Transport

        self.transport = Transport(self.options)

    def __repr__(self) -> str:
        return f"DWSEngine(base_url={self.options.base_url!r})"

    def close(self) -> None:
        self.transport.close()

    def plan(self, pipeline: Pipeline, source: Source, workdir: Path) -> tuple[Plan, Upload]:
        """The requests for `source`, and the upload of the document they start from.

        A PDF is opened locally first (cheap): a damaged or locked file fails here, with
        the local engine's errors, before any request is paid for, and its page count
        is known. An Office or image input is sent as it is (the server converts it),
        unless a step addresses pages: then it is converted by a first request.
        """
        from .transport import Upload

        fmt = formats.sniff(source.head(), source.name, data=source.data, path=source.path)
        content = source.data if source.path is None else source.checked_path()
        document = Upload(source.name, _on_disk(content, workdir), fmt.mime)  # type: ignore[arg-type]
        count_pages = _page_counter(workdir)
        password = pipeline.password
        page_count = _pdf_page_count(document.content, password) if fmt.kind == "pdf" else None  # type: ignore[arg-type]
        try:
            return compile_pipeline(pipeline.steps, page_count=page_count, password=password,
                                    count_pages=count_pages), document
        except PageCountNeeded:
            if fmt.kind == "pdf":
                raise UnsupportedOperationError(
                    "the dws engine cannot address pages after merging a file whose page count is unknown"
                ) from None
        converted = workdir / f"dws-converted-{next(_counter)}.pdf"
        self.transport.build({"parts": [{"file": DOCUMENT}], "output": {"type": "pdf"}}, {DOCUMENT: document},
                             converted)
        return self.plan(Pipeline(pipeline.steps), Source(Path(source.name).stem + ".pdf", path=converted), workdir)

    def run(self, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
        try:
            plan, document = self.plan(pipeline, source, workdir)
            finals = self._send_all(plan.requests, document, workdir)
            return _artifacts(finals, workdir)
        except BatchprocError as exc:
            raise exc.with_source(source.label)

    def _send_all(self, requests: list[BuildRequest], document: Upload, workdir: Path) -> list[tuple[Path, BuildRequest]]:
        """Send `requests` on `document`, then each one's `then` on its result."""
        from .transport import Upload

        finals: list[tuple[Path, BuildRequest]] = []
        for request in requests:
            # A PDF result is named as one at once (no rename later); others are unpacked.
            target = workdir / f"dws-{next(_counter)}{'.pdf' if request.output_type in ('pdf', 'pdfa') else '.out'}"
            uploads = {DOCUMENT: document}
            uploads.update({name: _upload(name, value) for name, value in request.attachments.items()})
            self.transport.build(request.instructions, uploads, target)
            if request.then:
                finals += self._send_all(request.then, Upload(document.filename, target, "application/pdf"), workdir)
            else:
                finals.append((target, request))
        return finals


def _upload(name: str, value: Any) -> Upload:
    from .transport import Upload

    if isinstance(value, (bytes, bytearray)):
        return Upload(name, bytes(value))
    path = Path(value)
    if not path.is_file():
        raise InputNotFoundError(f"the file for part {name!r} does not exist: {path}")
    return Upload(path.name, path)


def _on_disk(content: Path | bytes, workdir: Path) -> Path:
    """`content` as a file: pikepdf and the multipart encoder both stream from files."""
    if isinstance(content, Path):
        return content
    path = workdir / f"dws-input-{next(_counter)}"
    path.write_bytes(content)
    return path


def _page_counter(workdir: Path):
    """count(file, password=None): the page count of a PDF (a path or bytes), read
    locally; None for other formats (Office files, images)."""

    def count(value: Any, *, password: str | None = None) -> int | None:
        path = _on_disk(value if isinstance(value, (bytes, bytearray)) else Path(value), workdir)
        if not path.is_file():
            raise InputNotFoundError(f"the file to merge does not exist: {path}")
        with path.open("rb") as fh:
            if b"%PDF-" not in fh.read(1024):
                return None
        return _pdf_page_count(path, password)

    return count


def _pdf_page_count(path: Path, password: str | None) -> int:
    """The page count of a PDF, opened with the local engine's guards and errors."""
    from ..local.document import open_pdf

    pdf = open_pdf(path, password=password, label=str(path))
    try:
        return len(pdf.pages)
    finally:
        pdf.close()


def _artifacts(finals: list[tuple[Path, BuildRequest]], workdir: Path) -> list[Artifact]:
    """Final results as artifacts: PDFs as they are, images one per page, text as .txt."""
    artifacts: list[Artifact] = []
    many = len(finals) > 1
    for number, (path, request) in enumerate(finals, start=1):
        suffix = f"_{number}" if many else ""
        if request.output_type == "image":
            artifacts += _image_artifacts(path, request.instructions["output"], suffix, workdir)
        elif request.output_type == "json-content":
            artifacts.append(_text_artifact(path, request.text or {}, suffix))
        else:  # "pdf" or "pdfa": compile.py emits no other output types
            artifacts.append(_renamed(path, ".pdf", suffix))
    return artifacts


def _renamed(path: Path, ext: str, suffix: str) -> Artifact:
    target = path.with_suffix(ext)
    if target != path:
        path.replace(target)
    return Artifact(target, ext, suffix)


def _image_artifacts(path: Path, output: dict[str, Any], suffix: str, workdir: Path) -> list[Artifact]:
    """One image per page, named "_page<N>" (N = 1-based page number) when several,
    as the local engine names them; the server sends several pages as a ZIP."""
    ext = ".jpg" if output["format"] in ("jpeg", "jpg") else f".{output['format']}"
    with path.open("rb") as fh:
        is_zip = fh.read(4) == b"PK\x03\x04"
    if not is_zip:
        return [_renamed(path, ext, suffix)]
    first_page = output["pages"]["start"] + 1
    folder = workdir / f"{path.stem}-pages"
    folder.mkdir()
    artifacts = []
    try:
        with zipfile.ZipFile(path) as zf:
            entries = sorted(zf.infolist(), key=lambda i: _entry_number(i.filename))
            for offset, info in enumerate(entries):
                target = folder / f"page-{first_page + offset}{ext}"
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(1 << 16):
                        out.write(chunk)
                artifacts.append(Artifact(target, ext, f"{suffix}_page{first_page + offset}"))
    except zipfile.BadZipFile as exc:
        raise CorruptDocumentError(f"the server's image archive is damaged: {exc}") from None
    path.unlink()
    return artifacts


def _entry_number(filename: str) -> int:
    stem = Path(filename).stem
    digits = "".join(ch for ch in stem if ch.isdigit())
    if not digits:
        raise CorruptDocumentError(f"the server's image archive holds an unexpected file {filename!r}")
    return int(digits)


def _text_artifact(path: Path, options: dict[str, Any], suffix: str) -> Artifact:
    """json-content → what extract_text writes locally: the asked pages' plain text,
    as .txt (pages separated by form feeds) or as {"pages": [{pageIndex, plainText}]}."""
    from ...operations.checks import resolve_range
    from ...operations.text import PAGE_SEPARATOR

    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        texts = {int(page["pageIndex"]): str(page.get("plainText", "")) for page in content["pages"]}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise CorruptDocumentError(f"the server's text output is not the expected JSON: {exc}") from None
    wanted = resolve_range(options.get("pages"), len(texts))
    path.unlink()
    if options.get("output") == "json":
        target = path.with_suffix(".json")
        body = {"pages": [{"pageIndex": i, "plainText": texts.get(i, "")} for i in wanted]}
        target.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        return Artifact(target, ".json", suffix)
    target = path.with_suffix(".txt")
    target.write_text(PAGE_SEPARATOR.join(texts.get(i, "") for i in wanted), encoding="utf-8")
    return Artifact(target, ".txt", suffix)

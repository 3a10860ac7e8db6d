"""LocalEngine: open once, apply every in-memory step on the open document, hand off to
external programs only where a step needs one, save once."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pikepdf

from ... import formats
from ...errors import BatchprocError, CorruptDocumentError, MemoryLimitError, OutputWriteError
from ...external import require
from ...inputs import Source
from ...pipeline import Pipeline
from ..base import Artifact, Engine
from . import guards
from .document import Document


class LocalEngine(Engine):
    """Runs every step on this host. No account, no network."""

    name = "local"

    def __init__(self) -> None:
        guards.set_decode_limits()  # process-wide: set before threads of this process use pikepdf

    def run(self, pipeline: Pipeline, source: Source, workdir: Path) -> list[Artifact]:
        docs: list[Document] = []
        try:
            docs = [Document(prepare_input(source, workdir), workdir, label=source.label, password=pipeline.password)]
            docs[0].peek()  # open and inspect the input before any step sees it
            artifacts: list[Artifact] = []
            for step in pipeline.steps:
                operation = step.operation
                for program in operation.requires:
                    require(program)
                if operation.kind == "edit":
                    for doc in docs:
                        operation.apply(doc, **step.params)
                elif operation.kind == "split":
                    docs = [part for doc in docs for part in operation.apply(doc, **step.params)]
                else:  # "output": always the last step (checked by Pipeline)
                    artifacts = [a for doc in docs for a in operation.apply(doc, **step.params)]
                    for doc in docs:
                        doc.close()
                    docs = []
            for number, doc in enumerate(docs, start=1):
                target = workdir / f"output-{number}.pdf"
                doc.save(target)
                artifacts.append(Artifact(target, ".pdf", f"_{number}" if len(docs) > 1 else ""))
            return artifacts
        except BatchprocError as exc:
            raise exc.with_source(source.label)
        except (pikepdf.PdfError, pikepdf.QpdfRuntimeError) as exc:  # qpdf on damaged structure
            if guards.is_limit_error(exc):
                raise guards.bomb_error("a stream").with_source(source.label) from None
            raise CorruptDocumentError(f"damaged PDF: {guards.first_line(exc)}", source=source.label) from None
        except RecursionError:
            raise CorruptDocumentError(
                "something nests too deeply or loops (the PDF's object references, or a step's data)",
                source=source.label,
            ) from None
        except MemoryError:
            raise MemoryLimitError("ran out of memory while processing this file", source=source.label) from None
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):
                raise OutputWriteError(f"could not write: {exc.strerror}", source=source.label) from None
            raise
        finally:
            for doc in docs:
                doc.close()


def prepare_input(source: Source, workdir: Path) -> Path:
    """A PDF file for `source` in `workdir`: copied or written out, converted if need be."""
    head = source.head()
    fmt = formats.sniff(head, source.name, data=source.data, path=source.path)
    if source.path is not None and fmt.kind == "pdf":
        return source.checked_path()  # opened read-only by pikepdf; never modified in place
    raw = workdir / f"input{source.suffix.lower() or '.bin'}"
    if source.data is not None:
        raw.write_bytes(source.data)
    else:
        shutil.copyfile(source.checked_path(), raw)
    if fmt.kind == "pdf":
        return raw
    from ...operations.convert import convert_file_to_pdf

    return convert_file_to_pdf(raw, fmt, workdir)

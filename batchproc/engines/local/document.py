"""The document the local engine works on while it runs a pipeline.

A `Document` is either an open `pikepdf.Pdf` (after in-memory steps) or a PDF file on
disk (after an external program wrote one). Steps ask for what they need:

    doc.pdf          the open pikepdf.Pdf, opened from the current file on first use;
    doc.file()       a path holding the current state, saved first if the Pdf is open;
    doc.replace(p)   after an external program wrote the new state to `p`.

So a chain of in-memory steps opens the file once and saves it once, and an external
step (OCR, PDF/A) costs exactly one save before it and one open after it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pikepdf

from ...errors import CorruptDocumentError, PasswordRequiredError

_counter = itertools.count()


class Document:
    """One PDF in the middle of a pipeline; see the module docstring."""

    def __init__(self, path: Path, workdir: Path, *, label: str, password: str | None = None) -> None:
        self._path = path
        self._pdf: pikepdf.Pdf | None = None
        self.workdir = workdir
        self.label = label
        self.password = password
        self.save_options: dict[str, Any] = {}
        """Extra keyword arguments for the final `Pdf.save` (encryption, linearize, ...)."""

    # -- state -------------------------------------------------------------------------
    @property
    def pdf(self) -> pikepdf.Pdf:
        if self._pdf is None:
            self._pdf = open_pdf(self._path, password=self.password, label=self.label)
        return self._pdf

    @property
    def is_open(self) -> bool:
        return self._pdf is not None

    def file(self) -> Path:
        """A PDF file holding the current state (saving the open Pdf first, if any)."""
        if self._pdf is not None:
            target = self.new_path()
            self._save(target, final=False)
            self._close_pdf()
            self._path = target
        return self._path

    def replace(self, path: Path) -> None:
        """Adopt `path` (written by an external program) as the current state."""
        self._close_pdf()
        self._path = path

    def new_path(self, ext: str = ".pdf") -> Path:
        """A fresh file name in the work folder."""
        return self.workdir / f"step-{next(_counter)}{ext}"

    def derive(self, pdf: pikepdf.Pdf) -> "Document":
        """A new Document around `pdf` (a split part), sharing this one's settings."""
        part = Document(self._path, self.workdir, label=self.label, password=self.password)
        part._pdf = pdf
        part.save_options = dict(self.save_options)
        return part

    # -- output ------------------------------------------------------------------------
    def save(self, target: Path) -> None:
        """Write the final state to `target` with `save_options` applied, and close."""
        if self._pdf is None and not self.save_options and self._path != target:
            # No in-memory step ran since the last external program: keep its file as is.
            self._path.replace(target)
        else:
            self._save(target, final=True)
        self.close()

    def close(self) -> None:
        self._close_pdf()

    def _save(self, target: Path, *, final: bool) -> None:
        options: dict[str, Any] = {"object_stream_mode": pikepdf.ObjectStreamMode.generate}
        if final:
            options.update(self.save_options)
        elif self.password:
            # Intermediate files are read back by our own steps and external programs:
            # keep them unencrypted; the final save re-applies any encryption asked for.
            options["encryption"] = False
        try:
            self.pdf.save(target, **options)
        except pikepdf.PdfError as exc:
            raise CorruptDocumentError(f"could not be written back: {exc}", source=self.label) from None

    def _close_pdf(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


def open_pdf(path: Path, *, password: str | None, label: str) -> pikepdf.Pdf:
    """Open a PDF with qpdf's recovery, mapping pikepdf's errors to ours."""
    try:
        pdf = pikepdf.open(path, password=password or "")
    except pikepdf.PasswordError:
        why = "a wrong password was given" if password else "it is encrypted and needs a password"
        raise PasswordRequiredError(f"cannot open the PDF: {why}", source=label) from None
    except pikepdf.PdfError as exc:
        raise CorruptDocumentError(f"damaged beyond repair: {_first_line(exc)}", source=label) from None
    except (ValueError, RecursionError) as exc:
        raise CorruptDocumentError(f"not a readable PDF: {_first_line(exc)}", source=label) from None
    try:
        page_count = len(pdf.pages)
    except (pikepdf.PdfError, RecursionError) as exc:
        pdf.close()
        raise CorruptDocumentError(f"its page tree is damaged: {_first_line(exc)}", source=label) from None
    if page_count == 0:
        pdf.close()
        raise CorruptDocumentError("the PDF has no pages", source=label)
    return pdf


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

"""The document the local engine works on while it runs a pipeline.

A `Document` is either an open `pikepdf.Pdf` (after in-memory steps) or a PDF file on
disk (after an external program wrote one). Steps ask for what they need:

    doc.pdf          the open pikepdf.Pdf, opened from the current file on first use,
                     for a step that changes it;
    doc.peek()       the same Pdf, for a step that only reads it;
    doc.file()       a path holding the current state, saved first if the Pdf was changed
                     (or the file still needs the input's password);
    doc.replace(p)   after an external program wrote the new state to `p`.

So a chain of in-memory steps opens the file once and saves it once, and an external
step (OCR, PDF/A) costs exactly one save before it and one open after it.

The first open of the input also inspects it (guards.inspect_input: decompression bombs
refused, damaged page content sealed); the engine opens every input before its first
step, so no step, and no external program, ever sees an uninspected file.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pikepdf

from ...errors import BatchprocError, CorruptDocumentError, InputNotFoundError, PasswordRequiredError
from . import guards

_counter = itertools.count()


class Document:
    """One PDF in the middle of a pipeline; see the module docstring."""

    def __init__(self, path: Path, workdir: Path, *, label: str, password: str | None = None) -> None:
        self._path = path
        self._pdf: pikepdf.Pdf | None = None
        self.workdir = workdir
        self.label = label
        self.password = password
        self._path_password = password
        """The password the current file needs: the input's, until a step writes a new
        (unencrypted) file."""
        self.save_options: dict[str, Any] = {}
        """Extra keyword arguments for the final `Pdf.save` (encryption, linearize, ...)."""
        self._modified = False
        """The open Pdf may differ from the current file: `file()` must save it."""
        self._inspected = False
        self._repaired = False
        """The input was damaged (qpdf repaired it, or its content was sealed): its output
        is read back before it counts as written (see verify_output)."""

    # -- state -------------------------------------------------------------------------
    @property
    def pdf(self) -> pikepdf.Pdf:
        """The open Pdf, for a step that changes it."""
        pdf = self.peek()
        self._modified = True
        return pdf

    def peek(self) -> pikepdf.Pdf:
        """The open Pdf, for reading only: unlike `pdf`, it does not make `file()` save."""
        if self._pdf is None:
            pdf = open_pdf(self._path, password=self._path_password, label=self.label)
            if not self._inspected:
                self._repaired = _inspect(pdf, self.label)
                self._modified = self._repaired  # a repaired input must be written anew
                self._inspected = True
            self._pdf = pdf
        return self._pdf

    @property
    def is_open(self) -> bool:
        return self._pdf is not None

    def file(self) -> Path:
        """A PDF file holding the current state (saving the open Pdf first, if any)."""
        if self._pdf is not None:
            if self._modified or self._path_password:
                target = self.new_path()
                self._save(target, final=False)
                self._path = target
                self._path_password = None
            self._close_pdf()
        return self._path

    def replace(self, path: Path) -> None:
        """Adopt `path` (written by an external program) as the current state."""
        self._close_pdf()
        self._path = path
        self._path_password = None

    def new_path(self, ext: str = ".pdf") -> Path:
        """A fresh file name in the work folder."""
        return self.workdir / f"step-{next(_counter)}{ext}"

    def derive(self, pdf: pikepdf.Pdf) -> "Document":
        """A new Document around `pdf` (a split part), sharing this one's settings."""
        part = Document(self._path, self.workdir, label=self.label, password=self.password)
        part._pdf = pdf
        part._modified = True
        part._path_password = self._path_password
        part._inspected = True
        part._repaired = self._repaired
        part.save_options = dict(self.save_options)
        return part

    # -- output ------------------------------------------------------------------------
    def save(self, target: Path) -> None:
        """Write the final state to `target` with `save_options` applied, and close."""
        if self._pdf is not None and not (self._modified or self._path_password or self.save_options):
            self._close_pdf()  # read, never changed: the current file is the output
        if self._pdf is None and not self.save_options and self._path != target:
            # No in-memory step ran since the last external program: keep its file as is,
            # moved when it is ours, copied when it is still the caller's input.
            if self._path.parent == self.workdir:
                self._path.replace(target)
            else:
                shutil.copyfile(self._path, target)
            return
        pages = len(self.pdf.pages)
        self._save(target, final=True)
        self.close()
        if self._repaired:
            verify_output(target, pages=pages, password=_output_password(self.save_options), label=self.label)

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
        except (pikepdf.PdfError, pikepdf.QpdfRuntimeError) as exc:
            raise CorruptDocumentError(
                f"could not be written back: {guards.first_line(exc)}", source=self.label
            ) from None

    def _close_pdf(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        self._modified = False


def open_pdf(path: Path, *, password: str | None, label: str) -> pikepdf.Pdf:
    """Open a PDF with qpdf's recovery (under guards' decode caps), mapping pikepdf's
    errors to ours. qpdf's warnings about the repair are left on the Pdf for the caller."""
    guards.set_decode_limits()
    try:
        pdf = pikepdf.open(path, password=password or "")
    except pikepdf.PasswordError:
        why = "a wrong password was given" if password else "it is encrypted and needs a password"
        raise PasswordRequiredError(f"cannot open the PDF: {why}", source=label) from None
    except (pikepdf.PdfError, pikepdf.QpdfRuntimeError) as exc:
        raise CorruptDocumentError(f"damaged beyond repair: {guards.first_line(exc)}", source=label) from None
    except RecursionError:
        raise CorruptDocumentError("object references nest too deeply or loop", source=label) from None
    except ValueError as exc:
        raise CorruptDocumentError(f"not a readable PDF: {guards.first_line(exc)}", source=label) from None
    except OSError as exc:
        raise InputNotFoundError(f"cannot be read: {exc.strerror or exc}", source=label) from None
    try:
        page_count = len(pdf.pages)
    except (pikepdf.PdfError, pikepdf.QpdfRuntimeError, RecursionError) as exc:
        pdf.close()
        raise CorruptDocumentError(f"its page tree is damaged: {guards.first_line(exc)}", source=label) from None
    if page_count == 0:
        pdf.close()
        raise CorruptDocumentError("the PDF has no pages: nothing to work on", source=label)
    return pdf


def verify_output(path: Path, *, pages: int, password: str, label: str) -> None:
    """Read a written output back, strictly (no recovery), and check its page count.

    The safety net under "never a silent success" for damaged inputs (clean ones skip it:
    about 15% of a small file's time): one that qpdf repaired in memory can still be
    written as a file no reader opens (a recovered trailer without /Size once made a
    cross-reference stream that nothing could read).
    """
    try:
        with pikepdf.open(path, password=password, attempt_recovery=False) as written:
            count = len(written.pages)
    except (pikepdf.PdfError, RecursionError) as exc:
        raise CorruptDocumentError(
            f"the output could not be read back (the input is damaged in a way the repair missed): "
            f"{guards.first_line(exc)}",
            source=label,
        ) from None
    if count != pages:
        raise CorruptDocumentError(f"the output has {count} page(s) instead of {pages}", source=label)


def _output_password(save_options: dict[str, Any]) -> str:
    encryption = save_options.get("encryption")
    if isinstance(encryption, pikepdf.Encryption):
        return encryption.owner or encryption.user
    return ""


def _inspect(pdf: pikepdf.Pdf, label: str) -> bool:
    """Run guards.inspect_input on a freshly opened input, closing it if that fails.
    True if the input was damaged: qpdf warned while opening it, or content was sealed."""
    repaired = bool(pdf.get_warnings())
    try:
        return guards.inspect_input(pdf) or repaired
    except BatchprocError as exc:
        pdf.close()
        raise exc.with_source(label)
    except RecursionError:
        pdf.close()
        raise CorruptDocumentError("object references nest too deeply or loop", source=label) from None

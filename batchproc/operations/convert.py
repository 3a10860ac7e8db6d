"""convert_to_pdf, and the implicit conversion the local engine applies to non-PDF inputs.

The engine calls `convert_file_to_pdf` for every input that is not a PDF (Office
documents through LibreOffice, images through img2pdf), so by the time any step runs the
document is a PDF. The `convert_to_pdf` step therefore has nothing left to do on the
local engine: it exists so `Client.convert_to_pdf` and pipelines naming it work as on DWS.
"""

from __future__ import annotations

from pathlib import Path

from .. import formats
from ..engines.local.document import Document
from ..errors import NotAPDFError, ResourceError
from ..external import libreoffice
from .registry import operation

# LibreOffice picks its import filter from the extension; the input's own name may lie
# (bytes inputs are called "document.pdf"), so the file is named after its sniffed type.
_OFFICE_EXTENSIONS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/rtf": ".rtf",
    "text/plain": ".txt",
}
_OLE_EXTENSIONS = (".doc", ".xls", ".ppt")
_TEXT_EXTENSIONS = (".txt", ".csv")


@operation(
    "convert_to_pdf",
    doc="Convert an Office document or an image to PDF (PDFs pass through unchanged). "
    "The local engine converts non-PDF inputs as it opens them, so this step only names the intent.",
)
def convert_to_pdf(doc: Document) -> None:
    """Nothing to do: the engine already converted the input when it opened it."""


def convert_file_to_pdf(raw: Path, fmt: formats.Format, workdir: Path) -> Path:
    """A PDF made from `raw` (an Office document or an image, as `fmt` says) in `workdir`."""
    if fmt.kind == "pdf":
        return raw
    if fmt.kind == "image":
        return _image_to_pdf(raw, workdir)
    if fmt.kind == "office":
        return _office_to_pdf(raw, fmt, workdir)
    raise NotAPDFError(f"cannot convert a {fmt.mime} file to PDF")


def _office_to_pdf(raw: Path, fmt: formats.Format, workdir: Path) -> Path:
    suffix = raw.suffix.lower()
    if fmt.mime == "application/x-ole-storage":
        extension = suffix if suffix in _OLE_EXTENSIONS else ".doc"
    elif fmt.mime == "text/plain":
        extension = suffix if suffix in _TEXT_EXTENSIONS else ".txt"
    else:
        extension = _OFFICE_EXTENSIONS.get(fmt.mime, suffix)
    folder = workdir / "office"
    folder.mkdir(exist_ok=True)
    named = folder / f"document{extension}"
    raw.replace(named)
    return libreoffice.convert_to_pdf(input_path=named, outdir=folder)


def _image_to_pdf(raw: Path, workdir: Path) -> Path:
    """One page per image frame, lossless (img2pdf embeds JPEG/PNG/TIFF data as it is).

    Images with an alpha channel, which PDF pages cannot take as is, are composited on
    white first (each frame re-encoded losslessly as PNG).
    """
    import img2pdf
    from PIL import Image

    target = workdir / "image.pdf"
    try:
        try:
            target.write_bytes(img2pdf.convert(str(raw), rotation=img2pdf.Rotation.ifvalid))
        except img2pdf.AlphaChannelError:
            target.write_bytes(img2pdf.convert(_flattened_frames(raw), rotation=img2pdf.Rotation.ifvalid))
    except Image.DecompressionBombError as exc:
        raise ResourceError(f"the image is too large to convert safely: {exc}") from None
    except (img2pdf.ImageOpenError, OSError, ValueError) as exc:
        raise NotAPDFError(f"the image cannot be converted to PDF: {exc}") from None
    return target


def _flattened_frames(raw: Path) -> list[bytes]:
    import io

    from PIL import Image, ImageSequence

    frames = []
    with Image.open(raw) as image:
        dpi = image.info.get("dpi")
        for frame in ImageSequence.Iterator(image):
            rgba = frame.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            buf = io.BytesIO()
            flat.save(buf, format="PNG", **({"dpi": dpi} if dpi else {}))
            frames.append(buf.getvalue())
    return frames

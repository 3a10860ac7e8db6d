"""Bad, damaged, hostile and huge inputs, built at run time in well under a second each.

Each builder writes `path` and returns it, so a test can say `bomb_pdf(tmp_path / "b.pdf")`.
`BAD_INPUTS` names every builder whose file must end in a typed error, with the error
class expected from the local engine; `GOOD_ODDITIES` (one page each, except the 5,000
of many_pages_pdf) those that must succeed and carry every operation's effect.
"""

from __future__ import annotations

import io
import os
import random
import zlib
from pathlib import Path
from typing import Callable

import pikepdf

from batchproc import errors
from tests.factories import encrypted_pdf, text_pdf, truncated_pdf

# -- not PDFs at all ------------------------------------------------------------------------


def zero_byte_pdf(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def random_bytes_pdf(path: Path, *, size: int = 4096, seed: int = 7) -> Path:
    """Random binary data named .pdf (seeded: the same bytes every run)."""
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def html_pdf(path: Path) -> Path:
    """An HTML error page saved under a .pdf name, as a failed download leaves behind."""
    path.write_bytes(b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
                     b"<body><h1>Not Found</h1></body></html>\n")
    return path


def truncated(path: Path) -> Path:
    truncated_pdf(path)
    return path


def encrypted(path: Path, *, password: str = "secret") -> Path:
    encrypted_pdf(path, password=password)
    return path


# -- damaged but repairable -------------------------------------------------------------------


def broken_xref_pdf(path: Path, *, pages: int = 1) -> Path:
    """A text PDF whose cross-reference table points at wrong offsets (qpdf rebuilds it)."""
    buf = io.BytesIO()
    with pikepdf.open(io.BytesIO(text_pdf(pages=pages, text="Repaired"))) as pdf:
        pdf.save(buf, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = buf.getvalue()
    start = data.rindex(b"\nxref") + 1
    table_end = data.index(b"trailer", start)
    table = data[start:table_end]
    # Shift every in-use entry's offset by 7 bytes: each now points into the middle of
    # an object, so a strict reader fails and only a reconstructing one succeeds.
    lines = []
    for line in table.split(b"\n"):
        if line.endswith(b" n ") or line.endswith(b" n"):
            offset = int(line[:10]) + 7
            line = b"%010d" % offset + line[10:]
        lines.append(line)
    path.write_bytes(data[:start] + b"\n".join(lines) + data[table_end:])
    return path


def trailerless_pdf(path: Path) -> Path:
    """A one-page PDF cut off after its page tree: no content stream, no cross-reference
    table, no trailer. qpdf rebuilds a trailer without /Size, which once made outputs
    written with object streams unreadable."""
    data = text_pdf(pages=1, text="Cut")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        contents = pdf.pages[0].obj.Contents.objgen[0]
    path.write_bytes(data[: data.index(b"\n%d 0 obj" % contents) + 2])
    return path


def unterminated_array_pdf(path: Path) -> Path:
    """One page whose content stream shows text and then ends inside an unterminated
    TJ array: anything appended after it (an overlay, a stamp) is swallowed by the array
    unless the content is sealed first."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Damaged"))) as pdf:
        page = pdf.pages[0]
        old = page.obj.Contents.read_bytes()
        page.obj.Contents = pdf.make_stream(old + b"\nBT /F1 12 Tf 72 600 Td [ (dangling) 120 (text")
        pdf.save(path)
    return path


def garbled_content_pdf(path: Path) -> Path:
    """A page whose content has more stray delimiters than qpdf's parser tolerates: it
    stops part-way, so the page cannot be rewritten faithfully."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Garbled"))) as pdf:
        page = pdf.pages[0]
        page.obj.Contents = pdf.make_stream(b"BT " + b") ] >> " * 40 + b"(lost) Tj ET")
        pdf.save(path)
    return path


def zero_pages_pdf(path: Path) -> Path:
    """A well-formed PDF whose page tree is empty: nothing to stamp or rotate."""
    with pikepdf.new() as pdf:
        pdf.save(path)
    return path


# -- hostile ------------------------------------------------------------------------------------


def zero_bomb_stream(inflated_bytes: int = 2 << 30) -> bytes:
    """A zlib stream of `inflated_bytes` zeros, about 1/1000 of that size, made in ~0.2 s.

    Compressing gigabytes would take many seconds, so one 16 MiB block is compressed
    after a full flush (which makes it independent of what came before), repeated, and
    closed with an empty final block and the Adler-32 of the whole.
    """
    chunk_size = 1 << 24
    count = max(1, inflated_bytes // chunk_size)
    chunk = bytes(chunk_size)
    compressor = zlib.compressobj(9)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    total = count * chunk_size
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zeros: a = 1, b = n mod 65521
    return first + block * (count - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def bomb_pdf(path: Path, *, inflated_bytes: int = 2 << 30, double: bool = False) -> Path:
    """A ~2 MB PDF whose page content stream inflates to `inflated_bytes` (2 GiB) of zeros;
    `double` compresses it once more (a few KB, two Flate filters)."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Bomb"))) as pdf:
        data = zero_bomb_stream(inflated_bytes)
        bomb = pikepdf.Stream(pdf, zlib.compress(data, 9) if double else data)
        bomb.Filter = pikepdf.Array([pikepdf.Name.FlateDecode] * 2) if double else pikepdf.Name.FlateDecode
        page = pdf.pages[0]
        page.obj.Contents = pikepdf.Array([page.obj.Contents, pdf.make_indirect(bomb)])
        pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)  # keep both layers
    return path


def deep_nesting_pdf(path: Path, *, depth: int = 20000) -> Path:
    """A page dictionary holding an array nested `depth` levels deep (written raw)."""
    data = text_pdf(pages=1, text="Nested")
    marker = b"/Type /Page"
    at = data.index(marker)
    nested = b"/Deep " + b"[" * depth + b"]" * depth + b" "
    path.write_bytes(data[:at] + nested + data[at:])
    return path


def cyclic_pages_pdf(path: Path) -> Path:
    """A page tree whose Kids include the Pages node itself."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Cyclic"))) as pdf:
        pdf.Root.Pages.Kids.append(pdf.Root.Pages)
        pdf.save(path)
    return path


def self_drawing_form_pdf(path: Path) -> Path:
    """A page that draws a form XObject which draws itself (a reference loop that
    renderers must cut, not follow)."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Loop"))) as pdf:
        form = pdf.make_stream(b"q 0.5 0 0 0.5 0 0 cm /Loop Do Q")
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = [0, 0, 100, 100]
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Loop=form))
        page = pdf.pages[0]
        page.obj.Resources.XObject = pikepdf.Dictionary(Loop=form)
        page.contents_add(b"q /Loop Do Q")
        pdf.save(path)
    return path


# -- huge but legitimate ----------------------------------------------------------------------


def many_pages_pdf(path: Path, *, pages: int = 5000) -> Path:
    """`pages` pages sharing one content stream (about 1 MB; built in ~1 s)."""
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Long"))) as pdf:
        template = pdf.pages[0].obj
        for _ in range(pages - 1):
            pdf.pages.append(pikepdf.Page(pdf.make_indirect(pikepdf.Dictionary(template))))
        pdf.save(path)
    return path


def huge_image_pdf(path: Path, *, side: int = 20000, text: bool = True) -> Path:
    """One letter page showing a `side` x `side` 1-bit image (400 Mpx; ~50 KB on disk),
    over a line of text, or alone (`text=False`: a "scan" that OCR must look at)."""
    row_bytes = (side + 7) // 8
    compressor = zlib.compressobj(9)
    row = b"\xff" * row_bytes
    parts = [compressor.compress(row) for _ in range(side)]
    parts.append(compressor.flush())
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Poster"))) as pdf:
        if not text:
            pdf.pages[0].obj.Contents = pdf.make_stream(b"")
        image = pikepdf.Stream(pdf, b"".join(parts))
        image.Type = pikepdf.Name.XObject
        image.Subtype = pikepdf.Name.Image
        image.Width = image.Height = side
        image.ColorSpace = pikepdf.Name.DeviceGray
        image.BitsPerComponent = 1
        image.Filter = pikepdf.Name.FlateDecode
        page = pdf.pages[0]
        page.obj.Resources.XObject = pikepdf.Dictionary(Im0=image)
        page.contents_add(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
        pdf.save(path)
    return path


# -- catalogue ----------------------------------------------------------------------------------

Builder = Callable[[Path], Path]

BAD_INPUTS: dict[str, tuple[Builder, type[errors.BatchprocError], str]] = {
    # name: (builder, expected error, a phrase the message must contain)
    "zero-byte": (zero_byte_pdf, errors.NotAPDFError, "empty"),
    "truncated": (truncated, errors.CorruptDocumentError, "damaged"),
    "random-bytes": (random_bytes_pdf, errors.NotAPDFError, "binary data"),
    "html": (html_pdf, errors.NotAPDFError, "HTML"),
    "encrypted-no-password": (encrypted, errors.PasswordRequiredError, "needs a password"),
    "bomb": (bomb_pdf, errors.CorruptDocumentError, "decompression bomb"),
    "deep-nesting": (deep_nesting_pdf, errors.CorruptDocumentError, "damaged beyond repair"),
    "cyclic-pages": (cyclic_pages_pdf, errors.CorruptDocumentError, "Loop detected"),
    "zero-pages": (zero_pages_pdf, errors.CorruptDocumentError, "no pages"),
    "garbled-content": (garbled_content_pdf, errors.CorruptDocumentError, "too many parse errors"),
}

GOOD_ODDITIES: dict[str, Builder] = {
    "broken-xref": broken_xref_pdf,
    "trailerless": trailerless_pdf,
    "many-pages": many_pages_pdf,
    "huge-image": huge_image_pdf,
    "self-drawing-form": self_drawing_form_pdf,
    "unterminated-array": unterminated_array_pdf,
}

ODD_NAMES = ["with spaces in it.pdf", "Überschrift – résumé 日本.pdf", "-leading-dash.pdf", "--help.pdf"]
"""Good files under names that trip up shells, argv parsers and encoders."""


def unreadable_file(path: Path) -> Path:
    """A good PDF with no read permission (only unreadable for a non-root user)."""
    text_pdf(path, pages=1)
    os.chmod(path, 0)
    return path


def bulky_pdf(path: Path, *, kib: int = 300, seed: int = 1) -> Path:
    """A one-page PDF carrying `kib` KiB of incompressible image data (fills disks fast)."""
    side = int((kib * 1024 / 3) ** 0.5)
    with pikepdf.open(io.BytesIO(text_pdf(pages=1, text="Bulky"))) as pdf:
        image = pikepdf.Stream(pdf, random.Random(seed).randbytes(side * side * 3))
        image.Type = pikepdf.Name.XObject
        image.Subtype = pikepdf.Name.Image
        image.Width = image.Height = side
        image.ColorSpace = pikepdf.Name.DeviceRGB
        image.BitsPerComponent = 8
        page = pdf.pages[0]
        page.obj.Resources.XObject = pikepdf.Dictionary(Im0=image)
        page.contents_add(b"q 200 0 0 200 72 300 cm /Im0 Do Q")
        pdf.save(path)
    return path


def zip_bomb_odt(path: Path, *, inflated_bytes: int = 1 << 30) -> Path:
    """An .odt whose "mimetype" entry (the first thing a sniffer reads) inflates to
    `inflated_bytes`; about 1 MB on disk."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("mimetype", "w", force_zip64=True) as entry:
            entry.write(b"application/vnd.oasis.opendocument.text")
            block = bytes(1 << 24)
            for _ in range(inflated_bytes // len(block)):
                entry.write(block)
    return path

"""Guards for hostile, damaged and huge inputs: checked before work, not discovered by it.

    set_decode_limits()       qpdf's process-wide caps on decoded stream sizes (once per
                              process; document.open_pdf calls it)
    inspect_input(pdf)        on the first open of an input: fail decompression bombs,
                              seal damaged page content so appended content stays visible
    check_images(page, ...)   before handing a page to a program that renders its
                              images at their own resolution (OCR)

Every guard raises a typed error naming the problem in plain words; the engine adds the
input's name. (Rendering with pdfium has its own pixel guard: operations/pdfium.py.)
"""

from __future__ import annotations

import zlib

import pikepdf

from ...errors import CorruptDocumentError, ResourceError

MAX_STREAM_BYTES = 256 * 1024 * 1024
"""The most one decoded stream may hold (qpdf's Flate/RunLength/predictor caps). A content
stream or font past this is a decompression bomb; a legitimate image this large is too
large for a worker anyway."""

MAX_IMAGE_PIXELS = 250_000_000
"""The largest image a page may show to a program that renders images at their own
resolution (Pillow's and OCRmyPDF's bomb guards use about this): 750 MB of RGB."""

MAX_FLATE_RATIO = 1032
"""Deflate's largest possible expansion (one 258-byte match per 2 bits, RFC 1951)."""

_SHRINKING_FILTERS = (pikepdf.Name.FlateDecode, pikepdf.Name.ASCII85Decode, pikepdf.Name.ASCIIHexDecode)
"""Flate, and the text encodings that make data smaller when decoded (reportlab's pair)."""
_STATE_OPERATORS = "q Q BT ET"
"""The operators that open or close a state, which sealed_contents asks qpdf for."""
_BARE_STATE_OPERATORS = frozenset(_STATE_OPERATORS.encode().split())
"""The same, as the lines they unparse to when they come back without operands (most do)."""
_SKIPPED_SUBTYPES = (pikepdf.Name.Image,)
_SKIPPED_TYPES = (pikepdf.Name.EmbeddedFile,)
_limits_set = False


def set_decode_limits() -> None:
    """Cap how much qpdf will inflate from one stream, for this whole process (idempotent).

    Without the cap, a 2 MB file can make pikepdf allocate gigabytes the moment a step
    reads, coalesces or parses a content stream.
    """
    global _limits_set
    if _limits_set:
        return
    pikepdf.settings.set_qpdf_limits(
        flate_max_memory=MAX_STREAM_BYTES,
        run_length_max_memory=MAX_STREAM_BYTES,
        png_max_memory=MAX_STREAM_BYTES,
        tiff_max_memory=MAX_STREAM_BYTES,
    )
    _limits_set = True


def is_limit_error(exc: BaseException) -> bool:
    """Whether a pikepdf error is one of qpdf's decode caps being hit."""
    return isinstance(exc, pikepdf.PdfError) and "memory limit exceeded" in str(exc)


def bomb_error(what: str) -> CorruptDocumentError:
    """The error for `what` ("stream 12 0 R", "a page's content") decoding past the cap."""
    return CorruptDocumentError(
        f"{what} inflates past {MAX_STREAM_BYTES // (1024 * 1024)} MB when decoded "
        "(a decompression bomb): refused"
    )


def inspect_input(pdf: pikepdf.Pdf) -> bool:
    """Check a freshly opened input before any step runs; True if page content was sealed.

    Decodes every stream except images and attachments (images are judged by their
    declared size when rendered; attachments are never decoded by our steps) under the
    qpdf caps, so a bomb fails here instead of inside Ghostscript or pdfium, which have no
    cap. Then seals every page's content (see `sealed_contents`).
    """
    set_decode_limits()
    if "/Size" not in pdf.trailer:
        # A trailer rebuilt by recovery may lack /Size; qpdf writes the right value only
        # when the key exists, and a cross-reference stream without it cannot be read.
        pdf.trailer.Size = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or "/Filter" not in obj:
            continue
        if obj.get("/Subtype") in _SKIPPED_SUBTYPES or obj.get("/Type") in _SKIPPED_TYPES:
            continue
        if _is_bomb(obj):
            raise bomb_error(f"stream {obj.objgen[0]} {obj.objgen[1]} R")
    changed = False
    replacements: dict[tuple, pikepdf.Stream | None] = {}
    for page in pdf.pages:
        key = _contents_key(page)  # pages often share one content stream: seal it once
        if key not in replacements:
            body = sealed_contents(pdf, page)
            replacements[key] = None if body is None else pdf.make_stream(body)
        if replacements[key] is not None:
            page.obj.Contents = replacements[key]
            changed = True
    return changed


def _is_bomb(stream: pikepdf.Stream) -> bool:
    """Whether `stream` decodes to more than MAX_STREAM_BYTES.

    Flate (alone, or after ASCII85/ASCIIHex, which shrink) cannot inflate more than
    MAX_FLATE_RATIO times its size, so small streams need no decoding at all; larger
    plain Flate is inflated here in 1 MB slices and thrown away (constant memory). Other
    filter chains are decoded by qpdf under its cap. Undecodable data (a bad filter, corrupt Flate) is not a bomb: qpdf
    recovers what it can, and the steps that need the stream report what they cannot.
    """
    found = stream.get("/Filter")
    filters = list(found) if isinstance(found, pikepdf.Array) else [found]
    if filters.count(pikepdf.Name.FlateDecode) == 1 and all(f in _SHRINKING_FILTERS for f in filters):
        raw = stream.read_raw_bytes()
        if len(raw) * MAX_FLATE_RATIO <= MAX_STREAM_BYTES:
            return False  # cannot reach the cap: no need to decode
        if filters == [pikepdf.Name.FlateDecode]:
            return _inflates_past(raw, MAX_STREAM_BYTES)
    try:
        stream.read_bytes()
    except pikepdf.PdfError as exc:
        return is_limit_error(exc)
    return False


def _inflates_past(data: bytes, limit: int) -> bool:
    inflater = zlib.decompressobj()
    total = 0
    try:
        while data and not inflater.eof:
            total += len(inflater.decompress(data, 1 << 20))
            if total > limit:
                return True
            data = inflater.unconsumed_tail
    except zlib.error:
        return False
    return False


def sealed_contents(pdf: pikepdf.Pdf, page: pikepdf.Page) -> bytes | None:
    """The sealed content of `page`, or None when it is already safe to append to.

    Content streams are concatenated when drawn, so a stream that ends inside an
    unterminated array, string or dictionary swallows whatever a step appends after it
    (an overlay or a stamp would silently vanish), and one that leaves a text object
    open turns an appended `Do` into an error. A damaged page is rewritten from the
    instructions qpdf could parse, with the open text object and graphics states closed.
    If qpdf gave up parsing before the end (too many errors), it cannot be rewritten
    faithfully and the document is refused. (qpdf's warnings are read, not its global
    limit counter: other threads' documents move that.)
    """
    contents = page.obj.get("/Contents")
    if contents is not None and not isinstance(contents, (pikepdf.Stream, pikepdf.Array)):
        return b""  # not content at all (a number, a name): readers draw nothing, and so do we
    pdf.get_warnings()  # drop older warnings: see only this parse's (they are per Pdf)
    try:
        # Only the operators that open or close a state come back to Python: the whole
        # stream is still tokenized (in C++), which is what finds the damage.
        states = pikepdf.parse_content_stream(page, operators=_STATE_OPERATORS)
        warnings = pdf.get_warnings()
        instructions = pikepdf.parse_content_stream(page) if warnings else None
    except (pikepdf.PdfError, pikepdf.QpdfRuntimeError, TypeError) as exc:
        # TypeError: an operand pikepdf cannot hold (an indirect reference inside content)
        if is_limit_error(exc):
            raise bomb_error("a page's content") from None
        raise CorruptDocumentError(f"a page's content cannot be read: {first_line(exc)}") from None
    if any("limits error" in warning for warning in warnings):  # qpdf gave up part-way
        raise CorruptDocumentError("a page's content is damaged beyond repair (too many parse errors)")
    closers = _closers(states)
    if instructions is None and not closers:
        return None
    body = pikepdf.unparse_content_stream(instructions) if instructions is not None else _raw_contents(page)
    pdf.get_warnings()
    return body + b"\n" + closers


def check_images(page: pikepdf.Page, *, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Refuse a page showing an image larger than `max_pixels` (OCR renders images at
    their own resolution, so a 20,000 x 20,000 image means a 400 Mpx bitmap)."""
    for name, image in _page_images(page):
        try:
            width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        except (TypeError, ValueError):
            raise CorruptDocumentError(f"image {name} has a malformed size") from None
        if width * height > max_pixels:
            raise ResourceError(
                f"image {name} is {width} x {height} pixels ({width * height / 1e6:.0f} Mpx), "
                f"over the limit of {max_pixels / 1e6:.0f} Mpx"
            )


def first_line(exc: BaseException) -> str:
    """The first line of a foreign error's message, without qpdf's leading file name."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    # qpdf prefixes "<file>: " or "<file> (object 3 0, offset 12): "; keep what follows.
    head, sep, tail = text.partition(": ")
    if sep and (head.endswith((".pdf", ".PDF", ")")) or "/" in head):
        return tail
    return text


def _closers(instructions) -> bytes:
    """Operators that close a text object and graphics states left open."""
    depth = 0
    in_text = False
    # One unparse in C++, then bytes: 3x faster than reading each instruction's operator.
    # Each instruction is one line ending with its operator (newlines in strings are
    # escaped), so an operand that looks like an operator, such as (Q), is never counted.
    for line in pikepdf.unparse_content_stream(instructions).split(b"\n"):
        op = line if line in _BARE_STATE_OPERATORS else line.rsplit(None, 1)[-1] if line.strip() else b""
        if op == b"q":
            depth += 1
        elif op == b"Q":
            depth = max(0, depth - 1)
        elif op == b"BT":
            in_text = True
        elif op == b"ET":
            in_text = False
    return (b"ET\n" if in_text else b"") + b"Q\n" * depth


def _raw_contents(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes() if contents is not None else b""


def _contents_key(page: pikepdf.Page) -> tuple:
    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return tuple(part.objgen if isinstance(part, pikepdf.Object) else part for part in contents)
    if isinstance(contents, pikepdf.Stream) and contents.is_indirect:
        return contents.objgen
    return ("page",) + page.obj.objgen


def _page_images(page: pikepdf.Page):
    """(name, image) for every image the page shows, through nested forms (loops cut)."""
    seen: set[tuple[int, int]] = set()
    pending = [page.obj.get("/Resources")]
    while pending:
        resources = pending.pop()
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        for name, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream):
                continue
            if xobject.is_indirect:
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
            subtype = xobject.get("/Subtype")
            if subtype == pikepdf.Name.Image:
                yield name, xobject
            elif subtype == pikepdf.Name.Form:
                pending.append(xobject.get("/Resources"))

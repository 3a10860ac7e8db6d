"""optimize_pdf: smaller files through image recompression, image removal and stream packing.

What each option does here:
  image_optimization_quality 1..4  recompress 8-bit RGB/gray/indexed images as JPEG
                                   (quality 90/80/65/50) and downsample them above
                                   -/300/200/150 dpi as displayed; an image is replaced only
                                   when the result is smaller;
  grayscale_images                 every image becomes DeviceGray (JPEG);
  grayscale_text / _graphics       text / vector colours become gray (grayscale.py);
  grayscale_form_fields / _annotations
                                   the appearance streams of form-field widgets / other
                                   annotations become gray (grayscale.py);
  disable_images                   images (XObjects and inline) are removed from the pages;
  linearize                        "fast web view" (pikepdf's linearized save).
Always: object streams, compressed (and re-compressed) streams, unused resources dropped.
mrc_compression (mixed raster content) is not available locally: UnsupportedOperationError.
(Ghostscript's -sColorConversionStrategy=Gray is not used for the grayscale options: it
converts everything at once, annotations included, and drops interactive forms.)

Unlike the DWS v1 client, which raises ValueError("No optimization is enabled") when no
flag is set, the step with only defaults is valid: it does what the DWS server does for
`optimize: {}` (quality 2 recompression plus packing), so a batch step needs no flag.
The bytes saved on images are logged at debug level (the final file size is known only
once the whole pipeline has been saved).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pikepdf

from ..engines.local.document import Document
from ..errors import UnsupportedOperationError
from .grayscale import grayscale_appearances, grayscale_content
from .registry import Param, operation

log = logging.getLogger(__name__)

JPEG_QUALITY = {1: 90, 2: 80, 3: 65, 4: 50}
MAX_IMAGE_DPI = {1: None, 2: 300, 3: 200, 4: 150}


def _quality(value: int) -> str | None:
    return None if value in JPEG_QUALITY else "must be 1, 2, 3 or 4 (4 = smallest file)"


@operation(
    "optimize_pdf",
    Param("grayscale_text", bool, default=False, doc="convert text colours to gray"),
    Param("grayscale_graphics", bool, default=False, doc="convert vector graphics colours to gray"),
    Param("grayscale_images", bool, default=False, doc="convert every image to grayscale"),
    Param("grayscale_form_fields", bool, default=False, doc="convert form fields' appearances to gray"),
    Param("grayscale_annotations", bool, default=False, doc="convert annotations' appearances to gray"),
    Param("disable_images", bool, default=False, doc="remove every image from the pages"),
    Param("mrc_compression", bool, default=False, doc="not supported by the local engine"),
    Param("image_optimization_quality", int, default=2, check=_quality,
          doc="1 (least optimisation, best quality) to 4 (smallest images)"),
    Param("linearize", bool, default=False, doc="write a linearized ('fast web view') PDF"),
    doc="Make the PDF smaller: recompress or remove images, convert colours to gray, pack objects, "
        "optionally linearize.",
)
def optimize_pdf(doc: Document, *, grayscale_text: bool, grayscale_graphics: bool, grayscale_images: bool,
                 grayscale_form_fields: bool, grayscale_annotations: bool, disable_images: bool,
                 mrc_compression: bool, image_optimization_quality: int, linearize: bool) -> None:
    if mrc_compression:
        raise UnsupportedOperationError(
            "optimize_pdf: mrc_compression cannot be done by the local engine; use the dws engine for it"
        )
    pdf = doc.pdf
    if grayscale_text or grayscale_graphics:
        grayscale_content(pdf, text=grayscale_text, graphics=grayscale_graphics)
    if grayscale_form_fields or grayscale_annotations:
        grayscale_appearances(pdf, widgets=grayscale_form_fields, others=grayscale_annotations)
    if disable_images:
        _remove_images(pdf)
    else:
        displayed = _displayed_sizes(pdf, forbid_inline=grayscale_images)
        saved = 0
        for image, size_pt in displayed.values():
            saved += _recompress(image, size_pt, image_optimization_quality, grayscale=grayscale_images)
        log.debug("optimize_pdf: %s: images shrank by %d bytes", doc.label, saved)
    pdf.remove_unreferenced_resources()
    doc.save_options.update(compress_streams=True, recompress_flate=True)
    if linearize:
        doc.save_options["linearize"] = True


@dataclass
class _Shown:
    """The largest size (points) at which an image is drawn."""

    width_pt: float = 0.0
    height_pt: float = 0.0


def _displayed_sizes(pdf: pikepdf.Pdf, *, forbid_inline: bool) -> dict[tuple[int, int], tuple[pikepdf.Object, _Shown]]:
    """Every image XObject the pages draw, with the largest size it is drawn at."""
    found: dict[tuple[int, int], tuple[pikepdf.Object, _Shown]] = {}

    def walk(container: pikepdf.Object, resources: pikepdf.Object, ctm: pikepdf.Matrix, seen: frozenset) -> None:
        stack = [ctm]
        xobjects = resources.get("/XObject", {}) if resources is not None else {}
        for operands, operator in pikepdf.parse_content_stream(container):
            op = str(operator)
            if op == "q":
                stack.append(stack[-1])
            elif op == "Q" and len(stack) > 1:
                stack.pop()
            elif op == "cm" and len(operands) == 6:
                stack[-1] = pikepdf.Matrix(*[float(v) for v in operands]) @ stack[-1]
            elif op == "INLINE IMAGE" and forbid_inline:
                raise UnsupportedOperationError("optimize_pdf: grayscale_images cannot convert inline images")
            elif op == "Do" and operands and operands[0] in xobjects:
                xobject = xobjects[operands[0]]
                subtype = xobject.get("/Subtype")
                if subtype == "/Image":
                    m = stack[-1]
                    shown = found.setdefault(xobject.objgen, (xobject, _Shown()))[1]
                    shown.width_pt = max(shown.width_pt, (m.a**2 + m.b**2) ** 0.5)
                    shown.height_pt = max(shown.height_pt, (m.c**2 + m.d**2) ** 0.5)
                elif subtype == "/Form" and xobject.objgen not in seen:
                    matrix = pikepdf.Matrix(*[float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])])
                    walk(xobject, xobject.get("/Resources", resources), matrix @ stack[-1], seen | {xobject.objgen})

    for page in pdf.pages:
        walk(page.obj, page.obj.get("/Resources"), pikepdf.Matrix(), frozenset())
    return found


def _recompress(image: pikepdf.Object, shown: _Shown, quality_level: int, *, grayscale: bool) -> int:
    """Replace `image` by a smaller (or gray) JPEG; the bytes saved."""
    from PIL import Image

    pdf_image = pikepdf.PdfImage(image)
    if pdf_image.image_mask:
        return 0  # a stencil mask: it has no colour of its own
    plain = pdf_image.bits_per_component == 8 and "/Decode" not in image and "/Mask" not in image
    if not grayscale and (not plain or pdf_image.mode not in ("RGB", "L", "P")):
        return 0
    try:
        pil = pdf_image.as_pil_image()
    except Exception as exc:  # pikepdf raises several types for undecodable images
        if grayscale:
            raise UnsupportedOperationError(f"optimize_pdf: cannot convert an image to grayscale: {exc}") from None
        return 0
    pil = pil.convert("L") if grayscale or pil.mode in ("L", "1", "LA") else pil.convert("RGB")
    max_dpi = MAX_IMAGE_DPI[quality_level]
    if max_dpi and shown.width_pt and shown.height_pt:
        target = (round(shown.width_pt / 72 * max_dpi), round(shown.height_pt / 72 * max_dpi))
        if target[0] < pil.width and target[1] < pil.height:
            pil = pil.resize((max(target[0], 1), max(target[1], 1)), Image.LANCZOS)
    out = io.BytesIO()
    pil.save(out, "JPEG", quality=JPEG_QUALITY[quality_level], optimize=True)
    before = len(image.read_raw_bytes())
    if not grayscale and len(out.getvalue()) >= before:
        return 0
    image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
    image.Width, image.Height = pil.width, pil.height
    image.BitsPerComponent = 8
    if grayscale or pil.mode == "L":
        image.ColorSpace = pikepdf.Name.DeviceGray
    elif pdf_image.mode != "RGB" or pdf_image.indexed:
        image.ColorSpace = pikepdf.Name.DeviceRGB
    for key in ("/DecodeParms", "/Decode", "/Mask"):
        if key in image:
            del image[key]
    return before - len(out.getvalue())


def _remove_images(pdf: pikepdf.Pdf) -> None:
    """Drop every image drawing operator (XObject `Do` and inline images) from pages and forms."""
    done: set[tuple[int, int]] = set()
    unused: list[tuple[pikepdf.Object, str]] = []  # (XObject dict, image name): removed at the end,
    # as pages may share one resource dictionary

    def strip(container: pikepdf.Object, resources: pikepdf.Object, is_page: bool) -> None:
        xobjects = resources.get("/XObject", pikepdf.Dictionary()) if resources is not None else pikepdf.Dictionary()
        images = {name for name, x in xobjects.items() if x.get("/Subtype") == "/Image"}
        unused.extend((xobjects, name) for name in images)
        kept = []
        for operands, operator in pikepdf.parse_content_stream(container):
            op = str(operator)
            if op == "INLINE IMAGE" or (op == "Do" and operands and str(operands[0]) in images):
                continue
            if op == "Do" and operands and str(operands[0]) in xobjects:
                form = xobjects[operands[0]]
                if form.get("/Subtype") == "/Form" and form.objgen not in done:
                    done.add(form.objgen)
                    strip(form, form.get("/Resources", resources), is_page=False)
            kept.append((operands, operator))
        data = pikepdf.unparse_content_stream(kept)
        if is_page:
            container.Contents = pdf.make_stream(data)
        else:
            container.write(data)

    for page in pdf.pages:
        strip(page.obj, page.obj.get("/Resources"), is_page=True)
    for xobjects, name in unused:
        if name in xobjects:
            del xobjects[name]

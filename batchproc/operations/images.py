"""Page images: render pages to PNG, JPEG or WebP with pdfium.

One image per page. A single rendered page is one output with the input's name; several
pages give one output per page, named with the suffix "_page<N>" (N = 1-based page number
in the document), e.g. report_page1.png, report_page2.png. Unlike the DWS API, which returns
a zip for several pages, there is no zip: in a batch each image is a file of its own.
"""

from __future__ import annotations

from ..engines.base import Artifact
from ..engines.local.document import Document
from .checks import page_range, resolve_range
from .pdfium import MAX_RENDER_PIXELS, open_pdfium, render_scale
from .registry import Param, operation

DEFAULT_DPI = 150
PIL_FORMATS = {"png": ("PNG", ".png"), "jpeg": ("JPEG", ".jpg"), "jpg": ("JPEG", ".jpg"), "webp": ("WEBP", ".webp")}


def _positive(value: int | float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _one_size(params: dict) -> str | None:
    if params["width"] is not None and params["height"] is not None:
        return "give width or height, not both: the other side follows the page's aspect ratio"
    if (params["width"] is not None or params["height"] is not None) and params["dpi"] not in (None, DEFAULT_DPI):
        return "give exactly one of width, height and dpi"
    return None


@operation(
    "convert_to_images",
    Param("format", str, default="png", choices=tuple(PIL_FORMATS), doc="image format"),
    Param("pages", dict, default=None, check=page_range,
          doc='a page range {"start": s, "end": e} (inclusive, negatives from the end); every page when omitted'),
    Param("width", int, default=None, check=_positive, doc="image width in pixels (height follows the page)"),
    Param("height", int, default=None, check=_positive, doc="image height in pixels (width follows the page)"),
    Param("dpi", (int, float), default=DEFAULT_DPI, check=_positive,
          doc="resolution, used when neither width nor height is given"),
    doc="Render pages to images: one image per page (see the module docstring for names). "
        f"A page whose image would pass {MAX_RENDER_PIXELS // 1_000_000} million pixels fails with a ResourceError.",
    kind="output",
    check=_one_size,
)
def convert_to_images(
    doc: Document, *, format: str, pages: dict | None, width: int | None, height: int | None, dpi: float | None
) -> list[Artifact]:
    pil_format, ext = PIL_FORMATS[format]
    artifacts = []
    with open_pdfium(doc) as pdf:
        pdf.init_forms()  # so that form fields are drawn, as the DWS API does
        indexes = resolve_range(pages, len(pdf))
        for index in indexes:
            page = pdf[index]
            width_pt, height_pt = page.get_size()  # as displayed: /Rotate applied
            if width is not None:
                scale = width / width_pt
            elif height is not None:
                scale = height / height_pt
            else:
                scale = (dpi or DEFAULT_DPI) / 72
            scale = render_scale(width_pt, height_pt, scale, what=f"page {index + 1}")
            image = page.render(scale=scale, draw_annots=True).to_pil()
            page.close()
            if pil_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            target = doc.new_path(ext)
            image.save(target, pil_format)
            suffix = f"_page{index + 1}" if len(indexes) > 1 else ""
            artifacts.append(Artifact(target, ext, suffix))
    return artifacts

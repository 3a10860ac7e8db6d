"""Builders for the tests of redaction, optimize, security, metadata, structure,
annotation import, images and text (see tests/factories.py for the shared ones)."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from tests.factories import delivered

SECRET_LINES = [
    "Customer: Jane Roe",
    "SSN 123-45-6789 on file",
    "Mail jane.roe@example.com today",
    "Public summary stays readable",
]


def photo(width: int = 1200, height: int = 900, *, seed: int = 1):
    """A colourful, noisy RGB Pillow image (compresses badly, like a photograph)."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.effect_noise((width, height), 60).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse([x, y, x + rng.randrange(50, 300), y + rng.randrange(50, 300)],
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return image


def image_pdf(path: Path | None = None, *, pages: int = 1, pixels: tuple[int, int] = (1200, 900),
              text: str = "Figure page") -> bytes:
    """Each page: a caption line and a colour photo drawn 300 x 225 pt (losslessly stored)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 14)
        c.drawString(72, 720, f"{text} {n}")
        c.drawImage(ImageReader(photo(*pixels, seed=n)), 72, 400, width=300, height=225)
        c.showPage()
    c.save()
    return delivered(buf.getvalue(), path)


def secrets_pdf(path: Path | None = None, *, pages: int = 2, with_image: bool = False) -> bytes:
    """Page 1 holds SECRET_LINES (names, an SSN, an e-mail); other pages hold plain text.

    With `with_image`, page 1 also shows a white-and-blue photo at (300, 300)-(500, 450).
    """
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 14)
        if n == 1:
            for i, line in enumerate(SECRET_LINES):
                c.drawString(72, 720 - 30 * i, line)
            if with_image:
                from PIL import Image

                c.drawImage(ImageReader(Image.new("RGB", (200, 150), (0, 0, 255))), 300, 300, width=200, height=150)
        else:
            c.drawString(72, 720, f"Appendix page {n}, call 555-0100 never")
        c.showPage()
    c.save()
    return delivered(buf.getvalue(), path)


def form_pdf(path: Path | None = None) -> bytes:
    """One page with an AcroForm: text field "name", checkbox "agree", choice "colour"."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, "Application form")
    c.acroForm.textfield(name="name", x=72, y=650, width=250, height=24, value="")
    c.acroForm.checkbox(name="agree", x=72, y=600, size=18, checked=False, buttonStyle="check")
    c.acroForm.choice(name="colour", x=72, y=540, width=120, height=24, value="red",
                      options=["red", "green", "blue"])
    c.showPage()
    c.save()
    return delivered(buf.getvalue(), path)


def annotations_of(data: bytes, page: int = 0) -> list[pikepdf.Dictionary]:
    """The annotation dictionaries of one page (read from a copy that stays open)."""
    pdf = pikepdf.open(io.BytesIO(data))
    return list(pdf.pages[page].obj.get("/Annots", []))


def rendered_pixel(data: bytes, x_pt: float, y_pt: float, *, page: int = 0, password: str | None = None,
                   forms: bool = False):
    """The RGB colour pdfium renders at PDF point (x_pt, y_pt) of an unrotated page, at 72 dpi
    (with form fields drawn when `forms`)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data, password=password)
    try:
        if forms:
            doc.init_forms()
        pg = doc[page]
        height = pg.get_height()
        image = pg.render(scale=1, draw_annots=True).to_pil().convert("RGB")
        return image.getpixel((int(x_pt), int(height - y_pt)))
    finally:
        doc.close()


def unmeasured_font_pdf(path: Path | None = None, *, pages: int = 2) -> bytes:
    """secrets_pdf whose font claims to be a non-standard font without glyph widths: viewers
    substitute a font, but nobody can know the glyph positions exactly."""
    pdf = pikepdf.open(io.BytesIO(secrets_pdf(pages=pages)))
    for page in pdf.pages:
        for font in page.obj.Resources.Font.values():
            font.BaseFont = pikepdf.Name("/Mystery-Sans")
    buf = io.BytesIO()
    pdf.save(buf)
    return delivered(buf.getvalue(), path)


def kerned_text_pdf(path: Path | None = None) -> bytes:
    """One page of standard-14 Helvetica text shown with TJ kerning, character and word
    spacing, horizontal scaling, a leading and the ' operator: glyph positions depend on
    all of them."""
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                              Encoding=pikepdf.Name.WinAnsiEncoding)
    content = (b"BT /F1 12 Tf 1.5 Tc 4 Tw 110 Tz 14 TL 72 700 Td "
               b"[(Secret) -250 ( code 42 )120(tail)] TJ (Second line with code 7) ' ET")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)), Contents=pdf.make_stream(content))
    pdf.pages.append(pikepdf.Page(page))
    buf = io.BytesIO()
    pdf.save(buf)
    return delivered(buf.getvalue(), path)


def shared_form_pdf(path: Path | None = None, *, pages: int = 2) -> bytes:
    """Every page draws one shared form XObject holding a text line with an SSN and a
    shared blue image, placed at (50, 100) by the page's matrix."""
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                              Encoding=pikepdf.Name.WinAnsiEncoding)
    image = pdf.make_stream(b"\x00\x00\xff" * 100, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                            Width=10, Height=10, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    form = pdf.make_stream(
        b"BT /F1 12 Tf 20 400 Td (Inside form SSN 123-45-6789 end) Tj ET q 100 0 0 50 20 300 cm /Im1 Do Q",
        Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 500, 600],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im1=image)))
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fx=form))
    for _ in range(pages):
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
                                  Contents=pdf.make_stream(b"q 1 0 0 1 50 100 cm /Fx Do Q"))
        pdf.pages.append(pikepdf.Page(page))
    buf = io.BytesIO()
    pdf.save(buf)
    return delivered(buf.getvalue(), path)


def colour_page_pdf(path: Path | None = None) -> bytes:
    """Red text at (72, 700), a blue filled rectangle (72, 500)-(272, 600), a green-outlined
    rectangle (300, 500)-(500, 600) drawn by a form XObject, and a filled orange square
    annotation (400, 100)-(500, 200)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.setFillColorRGB(1, 0, 0)
    c.setFont("Helvetica-Bold", 36)
    c.drawString(72, 700, "RED HEADLINE")
    c.setFillColorRGB(0, 0, 1)
    c.rect(72, 500, 200, 100, stroke=0, fill=1)
    c.beginForm("frame")
    c.setStrokeColorRGB(0, 0.6, 0)
    c.setLineWidth(8)
    c.rect(300, 500, 200, 100, stroke=1, fill=0)
    c.endForm()
    c.doForm("frame")
    c.showPage()
    c.save()
    pdf = pikepdf.open(io.BytesIO(buf.getvalue()))
    appearance = pdf.make_stream(b"1 0.5 0 rg 400 100 100 100 re f", Type=pikepdf.Name.XObject,
                                 Subtype=pikepdf.Name.Form, BBox=[400, 100, 500, 200])
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[400, 100, 500, 200], F=4,
        AP=pikepdf.Dictionary(N=appearance)))]))
    out = io.BytesIO()
    pdf.save(out)
    return delivered(out.getvalue(), path)

"""Test documents for the core operations (watermark, flatten, OCR, PDF/A, convert, merge)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from tests.factories import delivered

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def annotated_pdf(path: Path | None = None) -> bytes:
    """Two pages. Page 1: FreeText "note-1" (appearance shows "Sticky remark") and Square
    "box-2" (appearance shows "Boxed words"). Page 2: a text form field "name" holding
    "Alice Example" and a checkbox."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.drawString(72, 720, "Annotated page")
    c.showPage()
    c.drawString(72, 720, "Form page")
    c.acroForm.textfield(name="name", value="Alice Example", x=72, y=600, width=250, height=24)
    c.acroForm.checkbox(name="agree", x=72, y=550, checked=True)
    c.showPage()
    c.save()
    pdf = pikepdf.open(io.BytesIO(buf.getvalue()))
    page = pdf.pages[0]
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    annots = [
        _annotation(pdf, font, Name.FreeText, "note-1", [72, 500, 272, 530], "Sticky remark"),
        _annotation(pdf, font, Name.Square, "box-2", [72, 400, 272, 430], "Boxed words"),
    ]
    page.obj.Annots = pdf.make_indirect(Array(annots))
    return delivered(pdf, path)


def _annotation(pdf, font, subtype, nm, rect, text) -> pikepdf.Object:
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    appearance = pdf.make_stream(
        f"q 0 0 1 RG 0.5 0.5 {width - 1} {height - 1} re S Q BT /Helv 12 Tf 4 9 Td ({text}) Tj ET".encode()
    )
    appearance.Type = Name.XObject
    appearance.Subtype = Name.Form
    appearance.BBox = [0, 0, width, height]
    appearance.Resources = Dictionary(Font=Dictionary(Helv=font))
    annot = Dictionary(
        Type=Name.Annot, Subtype=subtype, NM=pikepdf.String(nm), Rect=rect, F=4,
        Contents=pikepdf.String(text), AP=Dictionary(N=appearance),
    )
    if subtype == Name.FreeText:
        annot.DA = pikepdf.String("/Helv 12 Tf 0 g")
    return pdf.make_indirect(annot)


def scanned_pdf(
    path: Path | None = None, *, lines: list[str], dpi: int = 300, rotate: int = 0, with_drawing: bool = False,
    image_format: str = "PNG", mode: str = "L", stored_sideways: bool = False,
) -> bytes:
    """One letter-size page holding only an image (no text layer) of `lines`, at `dpi`.

    Line n starts 1 inch from the left and 1 + 0.6 n inches from the top of the image.
    `with_drawing` adds a small vector rectangle, so the page is no longer a bare scan.
    `image_format` and `mode` choose how the scan is stored (PNG or JPEG; L, RGB or 1).
    `stored_sideways` stores the image turned a quarter counter-clockwise, as scanners
    do; add `rotate=90` to make the page read upright again.
    """
    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.5 * dpi), int(11 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(DEJAVU, size=int(dpi * 0.3))
    for number, line in enumerate(lines):
        draw.text((dpi, dpi + number * int(dpi * 0.6)), line, font=font, fill=0)
    if stored_sideways:
        image = image.rotate(90, expand=True)
    png = io.BytesIO()
    image.convert(mode).save(png, format=image_format, dpi=(dpi, dpi))
    import img2pdf

    data = img2pdf.convert(png.getvalue())
    if rotate or with_drawing:
        pdf = pikepdf.open(io.BytesIO(data))
        for page in pdf.pages:
            page.rotate(rotate, relative=True)
            if with_drawing:
                page.contents_add(pdf.make_stream(b"q 0 0 1 RG 20 20 40 40 re S Q"))
        data = delivered(pdf)
    return delivered(data, path)


def png_image(path: Path | None = None, *, size=(120, 60), alpha: bool = False, color=(200, 30, 30)) -> bytes:
    """A small PNG (with an alpha channel if asked)."""
    from PIL import Image

    mode, fill = ("RGBA", color + (128,)) if alpha else ("RGB", color)
    buf = io.BytesIO()
    Image.new(mode, size, fill).save(buf, format="PNG")
    return delivered(buf.getvalue(), path)


def multi_frame_tiff(path: Path, *, frames: int = 3) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (200, 100), (40 * n, 80, 120)) for n in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:])
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/{main}" ContentType="{type}"/>{extra}
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main}"/>
</Relationships>"""


def docx_bytes(paragraphs: list[str], *, page_breaks: bool = False) -> bytes:
    """A minimal hand-written DOCX: one paragraph per string (a page break before each
    paragraph after the first, if asked)."""
    body = []
    for number, text in enumerate(paragraphs):
        run = f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'
        if page_breaks and number:
            run = '<w:r><w:br w:type="page"/></w:r>' + run
        body.append(f"<w:p>{run}</w:p>")
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{''.join(body)}</w:body></w:document>"
    )
    main = "word/document.xml"
    ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    return _zip({
        "[Content_Types].xml": _CONTENT_TYPES.format(main=main, type=ctype, extra=""),
        "_rels/.rels": _ROOT_RELS.format(main=main),
        main: document,
    })


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """A minimal hand-written XLSX with one sheet of inline-string cells."""
    cells = []
    for r, row in enumerate(rows, start=1):
        cols = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{value}</t></is></c>' for c, value in enumerate(row)
        )
        cells.append(f'<row r="{r}">{cols}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    )
    main = "xl/workbook.xml"
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return _zip({
        "[Content_Types].xml": _CONTENT_TYPES.format(
            main=main,
            type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            extra=f'\n<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}"/>',
        ),
        "_rels/.rels": _ROOT_RELS.format(main=main),
        main: workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/worksheets/sheet1.xml": sheet,
    })


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def fonts_of(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font dictionary reachable from the pages' resources (through forms)."""
    fonts, seen = [], set()
    pending = [page.obj.get("/Resources") for page in pdf.pages]
    while pending:
        resources = pending.pop()
        if not isinstance(resources, Dictionary):
            continue
        for font in (resources.get("/Font") or {}).values():
            key = font.objgen if font.is_indirect else id(font)
            if key not in seen:
                seen.add(key)
                fonts.append(font)
        for xobject in (resources.get("/XObject") or {}).values():
            key = xobject.objgen if xobject.is_indirect else id(xobject)
            if xobject.get("/Subtype") == Name.Form and key not in seen:
                seen.add(key)
                pending.append(xobject.get("/Resources"))
    return fonts


def is_embedded(font: pikepdf.Dictionary) -> bool:
    """Whether a font's program is embedded (simple fonts or the descendant of a Type0)."""
    if font.get("/Subtype") == Name.Type0:
        font = font.DescendantFonts[0]
    if font.get("/Subtype") == Name.Type3:
        return True
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def damaged_content_pdf(path: Path | None = None) -> bytes:
    """One page whose content stream ends inside an unterminated array (shows "Hello")."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (Hello) Tj ET\nBT /F1 12 Tf 72 600 Td [(Broken) 10 (arr")
    return delivered(pdf, path)


def with_outline(data: bytes, titles: list[str]) -> bytes:
    """`data` with one top-level bookmark per title, bookmark n pointing at page n."""
    pdf = pikepdf.open(io.BytesIO(data))
    with pdf.open_outline() as outline:
        outline.root.extend(pikepdf.OutlineItem(title, number) for number, title in enumerate(titles))
    return delivered(pdf)


def view_box(pdf_bytes: bytes, needle: str, page_index: int = 0) -> tuple[tuple[float, float, float, float], tuple[float, float]]:
    """Bounding box (left, bottom, right, top) of the text `needle` on a page, in the
    coordinates the reader sees (CropBox turned by /Rotate), and that view's size."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_bytes)
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        start = text.index(needle)
        boxes = [textpage.get_charbox(i) for i in range(start, start + len(needle)) if not text[i].isspace()]
        rotation = page.get_rotation()
        x0, y0, x1, y1 = page.get_cropbox()
        points = []
        for left, bottom, right, top in boxes:
            for x, y in ((left, bottom), (right, top)):
                points.append(_to_view(x, y, rotation, x0, y0, x1, y1))
        size = (y1 - y0, x1 - x0) if rotation in (90, 270) else (x1 - x0, y1 - y0)
    finally:
        document.close()
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys)), size


def _to_view(x, y, rotation, x0, y0, x1, y1):
    if rotation == 90:
        return y - y0, x1 - x
    if rotation == 180:
        return x1 - x, y1 - y
    if rotation == 270:
        return y1 - y, x - x0
    return x - x0, y - y0

"""Sample documents for `batchproc demo`, generated on the spot (nothing binary is shipped).

    generate(folder) writes
      documents/report-NNN.pdf   text reports of 1-4 pages; every fourth carries a review
                                 annotation (with an appearance, so flattening keeps it)
      documents/application-form.pdf   a filled AcroForm (text fields and a checkbox)
      documents/memo.docx, budget.xlsx Office files, written as minimal OOXML packages
                                 (no LibreOffice or python-docx needed to make them)
      scans/scanned-letter.pdf   an image-only page, scanned sideways: rotate, then OCR

The content is deterministic (a fixed seed), so two runs write the same documents.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from html import escape as _html_escape
from pathlib import Path

DEPARTMENTS = ("Finance", "Operations", "Sales", "Legal", "Research", "Support", "Logistics", "Marketing")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
SENTENCES = (
    "Revenue grew steadily across every region during the quarter.",
    "Operating costs stayed within the approved budget.",
    "The team closed three long-running projects ahead of schedule.",
    "Customer satisfaction rose by four points compared with last year.",
    "Two suppliers were replaced after the annual review.",
    "Hiring remains the main risk for the coming quarter.",
    "The quick brown fox jumps over the lazy dog.",
    "All figures are preliminary until the audit is complete.",
)
LETTER_LINES = (
    "Dear Customer,",
    "",
    "Thank you for your letter of March 3.",
    "We have reviewed your account and confirm",
    "that the invoice was paid in full.",
    "",
    "Kind regards,",
    "The Billing Team",
)
_FIXED_DATE = (2024, 1, 1, 0, 0, 0)
"""Dates written into the samples, so that the same samples are the same bytes."""


@dataclass
class SampleSet:
    """The files `generate` wrote, by the folder they are in."""

    documents: list[Path] = field(default_factory=list)
    scans: list[Path] = field(default_factory=list)


def generate(folder: Path, *, reports: int = 40, seed: int = 7) -> SampleSet:
    """Write the sample documents under `folder` (see the module docstring)."""
    rng = random.Random(seed)
    documents, scans = folder / "documents", folder / "scans"
    documents.mkdir(parents=True, exist_ok=True)
    scans.mkdir(parents=True, exist_ok=True)
    samples = SampleSet()
    for number in range(1, reports + 1):
        path = documents / f"report-{number:03d}.pdf"
        path.write_bytes(report_pdf(number, rng, annotated=number % 4 == 0))
        samples.documents.append(path)
    for name, data in (
        ("application-form.pdf", form_pdf()),
        ("memo.docx", memo_docx()),
        ("budget.xlsx", budget_xlsx()),
    ):
        (documents / name).write_bytes(data)
        samples.documents.append(documents / name)
    scan = scans / "scanned-letter.pdf"
    scan.write_bytes(scanned_pdf(rng))
    samples.scans.append(scan)
    return samples


def report_pdf(number: int, rng: random.Random, *, annotated: bool = False) -> bytes:
    """A born-digital report of 1-4 pages with a heading, paragraphs and a small table."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    department, quarter = DEPARTMENTS[number % len(DEPARTMENTS)], QUARTERS[number % len(QUARTERS)]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setTitle(f"{department} report {quarter} #{number}")
    pages = rng.randint(1, 4)
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 18)
        c.drawString(56, 780, f"{department} report {quarter} - No. {number}")
        c.setFont("Helvetica", 11)
        y = 740
        for _ in range(rng.randint(8, 14)):
            c.drawString(56, y, rng.choice(SENTENCES))
            y -= 18
        y -= 12
        for row in range(4):
            cells = ["Item", "Budget", "Actual"] if row == 0 else [
                f"Line {row}", f"{rng.randint(10, 99) * 100:,}", f"{rng.randint(10, 99) * 100:,}"
            ]
            for column, cell in enumerate(cells):
                c.drawString(56 + column * 140, y, cell)
            y -= 16
        c.setFont("Helvetica", 9)
        c.drawString(56, 40, f"Page {page} of {pages}")
        c.showPage()
    c.save()
    data = buf.getvalue()
    return _with_review_note(data) if annotated else data


def _with_review_note(data: bytes) -> bytes:
    """`data` with a "Reviewed" FreeText annotation on page 1 that has an appearance stream."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        rect = [400, 780, 540, 810]
        appearance = pdf.make_stream(
            b"1 0.9 0.6 rg 0 0 140 30 re f 0.6 0 0 RG 1 w 0.5 0.5 139 29 re S "
            b"BT 0.6 0 0 rg /Helv 12 Tf 10 10 Td (Reviewed - OK) Tj ET"
        )
        appearance.Type, appearance.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        appearance.BBox = [0, 0, 140, 30]
        appearance.Resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(Helv=pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            ))
        )
        note = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FreeText, Rect=rect,
            Contents=pikepdf.String("Reviewed - OK"), DA=pikepdf.String("0.6 0 0 rg /Helv 12 Tf"),
            F=4, AP=pikepdf.Dictionary(N=appearance),
        ))
        page = pdf.pages[0].obj
        page.Annots = pdf.make_indirect(pikepdf.Array([note]))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def form_pdf() -> bytes:
    """A one-page application form with filled text fields and a ticked checkbox."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setFont("Helvetica-Bold", 18)
    c.drawString(56, 780, "Application form")
    c.setFont("Helvetica", 12)
    fields = (("applicant", "Name", "Jane Doe"), ("email", "E-mail", "jane.doe@example.com"),
              ("department", "Department", "Research"))
    y = 720
    for name, label, value in fields:
        c.drawString(56, y + 6, label)
        c.acroForm.textfield(name=name, value=value, x=180, y=y, width=260, height=22, borderWidth=1,
                             fontName="Helvetica", fontSize=11)
        y -= 40
    c.drawString(56, y + 6, "I agree to the terms")
    c.acroForm.checkbox(name="agree", checked=True, x=180, y=y, size=18)
    c.showPage()
    c.save()
    return buf.getvalue()


def memo_docx() -> bytes:
    """A Word document (OOXML): a title and a few paragraphs."""
    paragraphs = [("Internal memo", True)] + [(s, False) for s in SENTENCES[:5]]
    body = "".join(
        "<w:p><w:r>" + ("<w:rPr><w:b/><w:sz w:val=\"36\"/></w:rPr>" if bold else "")
        + f"<w:t xml:space=\"preserve\">{escape(text)}</w:t></w:r></w:p>"
        for text, bold in paragraphs
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    return _ooxml_package(
        main_part="word/document.xml",
        main_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        parts={"word/document.xml": document},
    )


def budget_xlsx() -> bytes:
    """An Excel workbook (OOXML): one sheet with a small budget table."""
    rows = [("Item", "Budget", "Actual")] + [
        (department, 1000 * (n + 2), 950 * (n + 2)) for n, department in enumerate(DEPARTMENTS[:6])
    ]
    cells = []
    for r, row in enumerate(rows, start=1):
        xml = []
        for col, value in zip("ABC", row):
            ref = f"{col}{r}"
            if isinstance(value, str):
                xml.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                xml.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(xml)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{main}" xmlns:r="{rel}">'
        '<sheets><sheet name="Budget" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{main}">'
        f'<sheetData>{"".join(cells)}</sheetData></worksheet>'
    )
    workbook_rels = _relationships(
        [("rId1", f"{rel}/worksheet", "worksheets/sheet1.xml")]
    )
    return _ooxml_package(
        main_part="xl/workbook.xml",
        main_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        parts={"xl/workbook.xml": workbook, "xl/worksheets/sheet1.xml": sheet, "xl/_rels/workbook.xml.rels": workbook_rels},
        overrides={"/xl/worksheets/sheet1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"},
    )


def _ooxml_package(*, main_part: str, main_type: str, parts: dict[str, str],
                   overrides: dict[str, str] | None = None) -> bytes:
    """A minimal OOXML zip: content types, the package relationship, and `parts`."""
    all_overrides = {f"/{main_part}": main_type, **(overrides or {})}
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in all_overrides.items())
        + "</Types>"
    )
    package_rels = _relationships([(
        "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument", main_part
    )])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in {"[Content_Types].xml": content_types, "_rels/.rels": package_rels, **parts}.items():
            zf.writestr(zipfile.ZipInfo(name, _FIXED_DATE), text)
    return buf.getvalue()


def escape(text: str) -> str:
    """`text` safe inside an XML element (&, < and > escaped)."""
    return _html_escape(text, quote=False)


def _relationships(entries: list[tuple[str, str, str]]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{target}"/>' for i, t, target in entries)
        + "</Relationships>"
    )


def scanned_pdf(rng: random.Random, *, dpi: int = 200) -> bytes:
    """An image-only A4 page of typed text with scanner speckle, lying on its side (the
    page needs a 90 degree clockwise turn to read), and no text layer."""
    import reportlab  # ships the Vera fonts
    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 238)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), size=dpi // 5)
    y = dpi
    for line in LETTER_LINES:
        draw.text((dpi, y), line, fill=25, font=font)
        y += dpi // 3
    for _ in range(width * height // 2000):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.point((x, y), fill=rng.choice((90, 140, 180)))
    sideways = image.rotate(90, expand=True)
    buf = io.BytesIO()
    fixed = datetime(*_FIXED_DATE).timetuple()
    sideways.save(buf, "PDF", resolution=dpi, creationDate=fixed, modDate=fixed)
    return buf.getvalue()

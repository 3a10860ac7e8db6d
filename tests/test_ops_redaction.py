"""create_redactions_* and apply_redactions on the local engine."""

from __future__ import annotations

import inspect
import io
import re

import pikepdf
import pypdf
import pypdfium2 as pdfium
import pytest
from pdfminer.high_level import extract_text as pdfminer_text

from batchproc import Client, errors
from batchproc.operations.redaction import PRESETS
from tests.factories import encrypted_pdf, page_texts
from tests.factories_rest import kerned_text_pdf, rendered_pixel, secrets_pdf, shared_form_pdf, unmeasured_font_pdf

SSN, EMAIL = "123-45-6789", "jane.roe@example.com"


def every_text(data: bytes) -> str:
    """All extractable text, by three independent tools."""
    pdfium = "\n".join(page_texts(data))
    miner = pdfminer_text(io.BytesIO(data))
    pypdf_text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return "\n".join([pdfium, miner, pypdf_text])


def redact_annotations(data: bytes, page: int = 0) -> list[dict]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            {"rect": [float(v) for v in a.Rect], "quads": [float(v) for v in a.get("/QuadPoints", [])],
             "fill": [float(v) for v in a.get("/IC", [])]}
            for a in pdf.pages[page].obj.get("/Annots", []) if a.Subtype == "/Redact"
        ]


def test_create_redactions_text_marks_every_match_without_removing_anything():
    src = secrets_pdf()
    out = Client().create_redactions_text(src, SSN, appearance_fill_color="#ff0000")
    [mark] = redact_annotations(out)
    left, bottom, right, top = mark["rect"]
    assert 90 < left < 130 and 680 < bottom < top < 710 and right - left > 60  # over "123-45-6789" on line 2
    assert len(mark["quads"]) == 8 and mark["fill"] == [1.0, 0.0, 0.0]
    assert SSN in every_text(out)  # only marked


def test_case_sensitivity_defaults_follow_the_dws_v1_client():
    src = secrets_pdf()
    assert redact_annotations(Client().create_redactions_text(src, "JANE ROE")) == []  # text: case-sensitive
    assert len(redact_annotations(Client().create_redactions_regex(src, r"JANE\s+ROE"))) == 1  # regex: not


@pytest.mark.parametrize(
    "preset, sample, expected",
    [
        ("social-security-number", "id 123-45-6789 x", "123-45-6789"),
        ("email-address", "mail a.b+c@d-e.org now", "a.b+c@d-e.org"),
        ("credit-card-number", "card 4111 1111 1111 1111 ok", "4111 1111 1111 1111"),
        ("date", "on 12/31/2026 and", "12/31/2026"),
        ("time", "at 10:45:00 PM sharp", "10:45:00 PM"),
        ("international-phone-number", "call +44 20 7946 0958", "+44 20 7946 0958"),
        ("north-american-phone-number", "call (555) 010-0199 now", "(555) 010-0199"),
        ("ipv4", "host 192.168.0.1/24 up", "192.168.0.1/24"),
        ("ipv6", "host 2001:db8::ff00:42:8329 up", "2001:db8::ff00:42:8329"),
        ("mac-address", "nic 00:1A:2b:3C:4d:5E on", "00:1A:2b:3C:4d:5E"),
        ("url", "see https://example.com/a?b=1.", "https://example.com/a?b=1"),
        ("us-zip-code", "zip 94103-1234 ca", "94103-1234"),
        ("vin", "car 1HGCM82633A004352 red", "1HGCM82633A004352"),
    ],
)
def test_every_preset_finds_its_kind(preset, sample, expected):
    assert re.search(PRESETS[preset], sample).group(0) == expected


def test_create_then_apply_in_one_pipeline_removes_the_matches_and_keeps_the_rest_as_text():
    src = secrets_pdf(pages=2)
    out = Client().process(src, [
        {"method": "create_redactions_preset", "params": {"preset": "social-security-number"}},
        {"method": "create_redactions_preset", "params": {"preset": "email-address"}},
        {"method": "apply_redactions"},
    ])
    text = every_text(out)
    assert SSN not in text and EMAIL not in text and "6789" not in text and "example.com" not in text
    page = page_texts(out)[0]
    for kept in ("Customer: Jane Roe", "SSN", "on file", "Mail", "today", "Public summary stays readable"):
        assert kept in page  # the rest of the redacted page is still real text
    assert "Appendix page 2" in page_texts(out)[1]
    assert redact_annotations(out) == []  # the marks are consumed
    assert rendered_pixel(out, 150, 695) == (0, 0, 0)  # a black box where the SSN was
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert pdf.pages[0].get_images() == {}  # not rasterised


def test_pages_whose_glyph_positions_are_unknown_are_rasterised_instead():
    out = Client().process(unmeasured_font_pdf(pages=2), [
        {"method": "create_redactions_text", "params": {"text": SSN}},
        {"method": "apply_redactions"},
    ])
    assert SSN not in every_text(out)
    assert page_texts(out)[0].strip() == ""  # page 1 is now one image ...
    assert "Appendix page 2" in page_texts(out)[1]  # ... page 2 is untouched
    with pikepdf.open(io.BytesIO(out)) as pdf:
        [image] = pdf.pages[0].get_images().values()
        pixels = pikepdf.PdfImage(image).as_pil_image()
    assert abs(pixels.width - 1275) <= 1 and abs(pixels.height - 1650) <= 1  # 150 dpi
    assert rendered_pixel(out, 150, 695) == (0, 0, 0)
    dark = [rendered_pixel(out, x, 632) for x in range(72, 200, 2)]
    assert min(sum(p) for p in dark) < 200  # the rest of the page is still visible


def test_apply_blanks_images_under_the_box_and_honours_fill_and_overlay_from_instant_json():
    src = secrets_pdf(pages=1, with_image=True)
    instant = {"format": "https://pspdfkit.com/instant-json/v1", "annotations": [{
        "v": 2, "type": "pspdfkit/markup/redaction", "pageIndex": 0, "bbox": [320, 362, 80, 50],
        "fillColor": "#00FF00", "overlayText": "REDACTED",
    }]}
    out = Client().process(src, [
        {"method": "apply_instant_json", "params": {"instant_json": instant}},
        {"method": "apply_redactions"},
    ])
    assert rendered_pixel(out, 330, 395) == (0, 255, 0)  # the green box replaced the blue image there
    assert rendered_pixel(out, 450, 320) == (0, 0, 255)  # the image elsewhere stays
    with pikepdf.open(io.BytesIO(out)) as pdf:
        page = pdf.pages[0]
        assert b"REDACTED" in page.Contents.read_bytes()
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]
        [image] = images  # a blanked copy replaced the original, which is not in the file any more
        pixels = pikepdf.PdfImage(image).as_pil_image()  # 200 x 150 px drawn at (300, 300)-(500, 450)
        assert pixels.getpixel((360 - 300, 450 - 405)) == (0, 255, 0)
        assert pixels.getpixel((450 - 300, 450 - 320)) == (0, 0, 255)
    assert "Public summary stays readable" in page_texts(out)[0]


@pytest.mark.parametrize("builder", [secrets_pdf, unmeasured_font_pdf], ids=["rewritten", "rasterised"])
def test_redaction_on_a_rotated_page_lands_on_the_right_spot(builder):
    rotated = io.BytesIO()
    with pikepdf.open(io.BytesIO(builder(pages=1))) as pdf:
        pdf.pages[0].rotate(90, relative=False)
        pdf.save(rotated)
    out = Client().process(rotated.getvalue(), [
        {"method": "create_redactions_text", "params": {"text": SSN}},
        {"method": "apply_redactions"},
    ])
    assert SSN not in every_text(out)
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert int(pdf.pages[0].Rotate) == 90
    doc = pdfium.PdfDocument(out)
    shown = doc[0].render(scale=1).to_pil().convert("RGB")  # as displayed: turned clockwise
    doc.close()
    assert shown.size == (792, 612)
    assert shown.getpixel((695, 150)) == (0, 0, 0)  # user space (150, 695) turned by 90 degrees


def test_include_annotations_redacts_matching_comments():
    marked = Client().apply_xfdf(secrets_pdf(pages=1), (
        "<xfdf><annots><text page='0' rect='500,500,520,520'><contents>SSN is 123-45-6789</contents></text>"
        "<text page='0' rect='500,100,520,120'><contents>harmless</contents></text></annots></xfdf>"))
    out = Client().process(marked, [
        {"method": "create_redactions_text", "params": {"text": SSN, "include_annotations": True}},
        {"method": "apply_redactions"},
    ])
    with pikepdf.open(io.BytesIO(out)) as pdf:
        contents = [str(a.get("/Contents", "")) for a in pdf.pages[0].Annots]
    assert contents == ["harmless"]


def test_apply_without_marks_changes_nothing_and_bad_params_fail_early():
    out = Client().apply_redactions(secrets_pdf(pages=1))
    assert SSN in page_texts(out)[0]
    with pytest.raises(errors.OperationError, match="not a valid regular expression"):
        Client().create_redactions_regex(secrets_pdf(pages=1), "(")
    with pytest.raises(errors.OperationError, match="#ff0000"):
        Client().create_redactions_text(secrets_pdf(pages=1), "x", appearance_fill_color="red")
    with pytest.raises(errors.OperationError, match="is not one of"):
        Client().create_redactions_preset(secrets_pdf(pages=1), "passport")


def test_redaction_over_a_batch_in_worker_processes(tmp_path):
    inputs = []
    for n in range(3):
        path = tmp_path / f"record{n}.pdf"
        secrets_pdf(path, pages=2)
        inputs.append(path)
    result = Client().batch_process(inputs, [
        {"method": "create_redactions_preset", "params": {"preset": "social-security-number"}},
        {"method": "create_redactions_preset", "params": {"preset": "north-american-phone-number"}},
        {"method": "create_redactions_text", "params": {"text": "jane.roe@example.com"}},
        {"method": "apply_redactions"},
    ], output_dir=tmp_path / "out", parallel="process", max_workers=2)
    assert result.failed == [] and len(result.successful) == 3
    for _, path in result.successful:
        text = every_text(path.read_bytes())
        assert SSN not in text and EMAIL not in text
        assert "Appendix page 2, call 555-0100" in text  # no area code: not a phone number, page kept


def char_boxes(data: bytes, needle: str) -> list[tuple[float, ...]]:
    """pdfium's boxes of the characters of the first occurrence of `needle` on page 1."""
    doc = pdfium.PdfDocument(data)
    try:
        textpage = doc[0].get_textpage()
        start = textpage.get_text_range().index(needle)
        return [tuple(round(v, 2) for v in textpage.get_charbox(i)) for i in range(start, start + len(needle))]
    finally:
        doc.close()


def test_removed_glyphs_leave_the_others_exactly_where_they_were():
    src = kerned_text_pdf()
    before = {word: char_boxes(src, word) for word in ("Secret", "42", "tail", "Second line with", "7")}
    out = Client().process(src, [
        {"method": "create_redactions_text", "params": {"text": "code"}},
        {"method": "apply_redactions"},
    ])
    assert "code" not in every_text(out)
    assert {word: char_boxes(out, word) for word in before} == before


def test_text_and_images_inside_a_shared_form_are_redacted_on_one_page_only():
    src = shared_form_pdf(pages=2)
    ssn = char_boxes(src, SSN)
    xfdf = (
        "<xfdf><annots>"
        f"<redact page='0' rect='{ssn[0][0]},{ssn[0][1]},{ssn[-1][2]},{ssn[-1][3]}' interior-color='#000000'/>"
        "<redact page='0' rect='100,410,140,440' interior-color='#ff0000'/>"  # over the image at (70, 400)-(170, 450)
        "</annots></xfdf>"
    )
    out = Client().process(src, [{"method": "apply_xfdf", "params": {"xfdf": xfdf}}, {"method": "apply_redactions"}])
    first, second = page_texts(out)
    assert SSN not in first and "Inside form SSN" in first and "end" in first
    assert SSN in second  # the other page shares the form, untouched
    assert rendered_pixel(out, 120, 425, page=0) == (255, 0, 0)
    assert rendered_pixel(out, 120, 425, page=1) == (0, 0, 255)
    assert rendered_pixel(out, 160, 425, page=0) == (0, 0, 255)  # the rest of the image stays
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert len(pdf.pages[0].Resources.XObject) == 1  # only the page's redacted copy of the form


@pytest.mark.parametrize(
    "method, expected",
    [
        ("create_redactions_preset", ["preset", "output_path", "include_annotations"]),
        ("create_redactions_regex", ["pattern", "output_path", "case_sensitive", "include_annotations"]),
        ("create_redactions_text", ["text", "output_path", "case_sensitive", "include_annotations"]),
        ("apply_redactions", ["output_path"]),
    ],
)
def test_direct_methods_take_the_dws_client_parameters_in_order(method, expected):
    params = list(inspect.signature(getattr(Client, method)).parameters)
    assert params[:2] == ["self", "input_file"] and params[2:2 + len(expected)] == expected
    if method != "apply_redactions":
        assert params[-3:] == ["appearance_fill_color", "appearance_stroke_color", "password"]


def test_redaction_of_an_encrypted_input_opened_with_its_password():
    out = Client().process(encrypted_pdf(password="pw", pages=2), [
        {"method": "create_redactions_text", "params": {"text": "quick brown fox"}},
        {"method": "apply_redactions"},
    ], password="pw")
    texts = page_texts(out)
    assert all("quick brown fox" not in t and "jumps over the lazy dog" in t for t in texts)

"""apply_instant_json and apply_xfdf on the local engine."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import text_pdf
from tests.factories_rest import form_pdf, rendered_pixel

FORMAT = "https://pspdfkit.com/instant-json/v1"
PAGE_HEIGHT = 792  # letter


def annotation(data: bytes, subtype: str) -> dict:
    """The first annotation of `subtype` on page 0, as plain Python values."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for annot in pdf.pages[0].obj.get("/Annots", []):
            if annot.Subtype == subtype:
                return {
                    "rect": [round(float(v), 1) for v in annot.Rect],
                    "has_appearance": "/AP" in annot and "/N" in annot.AP,
                    "contents": str(annot.get("/Contents", "")),
                    "dict": {str(k): repr(v) for k, v in annot.items()},
                }
    raise AssertionError(f"no {subtype} annotation")


def field_values(data: bytes) -> dict[str, str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {str(f.T): str(f.get("/V")) for f in pdf.Root.AcroForm.Fields}


INSTANT = {
    "format": FORMAT,
    "annotations": [
        {"v": 2, "type": "pspdfkit/markup/highlight", "pageIndex": 0, "bbox": [72, 60, 200, 20],
         "rects": [[72, 60, 200, 20]], "color": "#FFFF00", "opacity": 1},
        {"v": 1, "type": "pspdfkit/ink", "pageIndex": 0, "bbox": [100, 300, 100, 100], "lineWidth": 4,
         "lines": {"points": [[[100, 300], [200, 400]]], "intensities": [[1, 1]]}, "strokeColor": "#0000FF"},
        {"v": 2, "type": "pspdfkit/note", "pageIndex": 0, "bbox": [500, 50, 24, 24],
         "text": {"format": "plain", "value": "Check this"}},
        {"v": 2, "type": "pspdfkit/text", "pageIndex": 0, "bbox": [300, 500, 200, 40], "fontSize": 14,
         "text": {"format": "xhtml", "value": "<p>Free <b>text</b></p>"}, "fontColor": "#FF0000"},
        {"v": 2, "type": "pspdfkit/shape/rectangle", "pageIndex": 0, "bbox": [50, 600, 100, 50],
         "strokeColor": "#00FF00", "fillColor": "#00FF00", "strokeWidth": 2},
        {"v": 2, "type": "pspdfkit/shape/ellipse", "pageIndex": 0, "bbox": [200, 600, 100, 50],
         "strokeColor": "#FF00FF", "strokeWidth": 2},
        {"v": 2, "type": "pspdfkit/shape/line", "pageIndex": 0, "bbox": [300, 650, 100, 100],
         "startPoint": [300, 650], "endPoint": [400, 750], "strokeColor": "#000000", "strokeWidth": 3},
        {"v": 2, "type": "pspdfkit/stamp", "pageIndex": 0, "bbox": [400, 100, 150, 50], "stampType": "Approved"},
        {"v": 2, "type": "pspdfkit/link", "pageIndex": 0, "bbox": [72, 80, 100, 20],
         "action": {"type": "uri", "uri": "https://example.com"}},
    ],
}


def test_instant_json_annotations_land_with_converted_rects_and_appearances():
    out = Client().apply_instant_json(text_pdf(pages=1), INSTANT)
    highlight = annotation(out, "/Highlight")
    assert highlight["rect"] == [72, PAGE_HEIGHT - 80, 272, PAGE_HEIGHT - 60] and highlight["has_appearance"]
    ink = annotation(out, "/Ink")
    assert ink["rect"] == [100, 392, 200, 492] and "/InkList" in ink["dict"]
    assert annotation(out, "/Text")["contents"] == "Check this"
    assert annotation(out, "/FreeText")["contents"] == "Free text"
    for subtype in ("/Square", "/Circle", "/Line", "/Stamp"):
        assert annotation(out, subtype)["has_appearance"]
    assert "https://example.com" in annotation(out, "/Link")["dict"]["/A"]
    # the appearances are really drawn: the filled green rectangle and the yellow highlight
    assert rendered_pixel(out, 100, PAGE_HEIGHT - 625) == (0, 255, 0)
    r, g, b = rendered_pixel(out, 260, PAGE_HEIGHT - 70)
    assert r > 200 and g > 200 and b < 60


def test_instant_json_from_a_path_bytes_or_text_and_form_values(tmp_path):
    data = {"format": FORMAT, "formFieldValues": [
        {"v": 1, "type": "pspdfkit/form-field-value", "name": "name", "value": "Jane Roe"},
        {"v": 1, "type": "pspdfkit/form-field-value", "name": "agree", "value": ["Yes"]},
        {"v": 1, "type": "pspdfkit/form-field-value", "name": "colour", "value": "blue"},
    ]}
    path = tmp_path / "values.json"
    path.write_text(json.dumps(data))
    for given in (path, str(path), json.dumps(data), json.dumps(data).encode()):
        out = Client().apply_instant_json(form_pdf(), given)
        assert field_values(out) == {"name": "Jane Roe", "agree": "/Yes", "colour": "blue"}
    with pikepdf.open(io.BytesIO(out)) as pdf:
        widget = next(f for f in pdf.Root.AcroForm.Fields if f.T == "name")
        assert b"Jane Roe" in widget.AP.N.read_bytes()  # an appearance was generated


@pytest.mark.parametrize(
    "data, error, message",
    [
        ({"format": FORMAT, "annotations": [{"v": 2, "type": "pspdfkit/widget", "pageIndex": 0, "bbox": [0, 0, 1, 1]}]},
         errors.UnsupportedOperationError, "'pspdfkit/widget' is not supported"),
        ({"format": FORMAT, "bookmarks": [{"name": "x"}]}, errors.UnsupportedOperationError, "bookmarks"),
        ({"format": FORMAT, "annotations": [{"v": 2, "type": "pspdfkit/ink", "pageIndex": 0}]},
         errors.ValidationError, "malformed"),
        ({"format": FORMAT, "annotations": [{"v": 2, "type": "pspdfkit/note", "pageIndex": 7, "bbox": [0, 0, 9, 9]}]},
         errors.ValidationError, "outside the document"),
        ({"format": FORMAT, "formFieldValues": [{"name": "nope", "value": "x"}]}, errors.DocumentError, "no form"),
        ("https://example.com/a.json", errors.UnsupportedOperationError, "does not download"),
    ],
)
def test_instant_json_errors_are_typed_and_name_the_problem(data, error, message):
    with pytest.raises(error, match=message):
        Client().apply_instant_json(text_pdf(pages=1), data)


def test_instant_json_bad_values_fail_before_work(tmp_path):
    with pytest.raises(errors.OperationError, match="no such file"):
        Client().apply_instant_json(text_pdf(pages=1), tmp_path / "missing.json")
    with pytest.raises(errors.OperationError, match="format"):
        Client().apply_instant_json(text_pdf(pages=1), {"annotations": []})


XFDF = """<?xml version="1.0" encoding="UTF-8"?>
<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve"><annots>
<highlight page="0" rect="72,712,272,732" color="#FFFF00" title="Ann" coords="72,732,272,732,72,712,272,712"/>
<ink page="0" rect="100,100,200,200" color="#0000FF" width="3"><inklist><gesture>100,100;150,180;200,120</gesture></inklist></ink>
<text page="0" rect="500,700,520,720" icon="Note"><contents>hello</contents></text>
<freetext page="0" rect="300,300,500,340" defaultappearance="0 0 1 rg /Helv 14 Tf"><contents>XFDF text</contents></freetext>
<square page="0" rect="50,50,100,100" color="#FF0000" width="2"/>
<circle page="0" rect="150,50,200,100" color="#FF0000" interior-color="#00FF00"/>
<line page="0" rect="250,50,300,100" start="250,50" end="300,100" color="#000000"/>
<stamp page="0" rect="400,600,550,650" icon="Approved"/>
<link page="0" rect="72,600,172,620"><OnActivation><Action><URI Name="https://example.org"/></Action></OnActivation></link>
</annots><fields><field name="name"><value>Joe</value></field><field name="agree"><value>Yes</value></field></fields></xfdf>"""


def test_xfdf_annotations_and_fields():
    out = Client().apply_xfdf(form_pdf(), XFDF.encode())
    highlight = annotation(out, "/Highlight")
    assert highlight["rect"] == [72, 712, 272, 732] and highlight["has_appearance"]
    assert "Ann" in highlight["dict"]["/T"]
    assert annotation(out, "/Ink")["rect"] == [100, 100, 200, 200]
    assert annotation(out, "/FreeText")["contents"] == "XFDF text"
    assert "https://example.org" in annotation(out, "/Link")["dict"]["/A"]
    assert rendered_pixel(out, 175, 75) == (0, 255, 0)  # the filled circle is drawn
    assert field_values(out)["name"] == "Joe" and field_values(out)["agree"] == "/Yes"


@pytest.mark.parametrize(
    "xml, error, message",
    [
        ("<xfdf><annots><polygon page='0' rect='0,0,1,1'/></annots></xfdf>", errors.UnsupportedOperationError, "<polygon>"),
        ("<xfdf><annots><square page='0'/></annots></xfdf>", errors.ValidationError, "malformed"),
        ("<xfdf><annots>", errors.ValidationError, "not well-formed"),
        ("<notxfdf/>", errors.ValidationError, "not <xfdf>"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><xfdf>&b;</xfdf>',
         errors.ValidationError, "unsafe XML"),
    ],
)
def test_xfdf_errors_are_typed(xml, error, message):
    with pytest.raises(error, match=message):
        Client().apply_xfdf(text_pdf(pages=1), xml)


def test_annotation_import_over_a_batch(tmp_path):
    xfdf = tmp_path / "marks.xfdf"
    xfdf.write_text(XFDF.replace("<fields><field name=\"name\"><value>Joe</value></field>"
                                 "<field name=\"agree\"><value>Yes</value></field></fields>", ""))
    inputs = [text_pdf(pages=1, text=f"Doc{n}") for n in range(3)]
    result = Client().batch_process(inputs, [
        {"method": "apply_xfdf", "params": {"xfdf": str(xfdf)}},
        {"method": "apply_instant_json", "params": {"instant_json": INSTANT}},
    ], parallel=False)
    assert result.failed == [] and len(result.successful) == 3
    for _, data in result.successful:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert len(pdf.pages[0].Annots) == 18

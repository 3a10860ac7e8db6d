import io
import re

import pikepdf
import pikepdf.pdfa
import pytest

from batchproc import Client, Pipeline, errors
from tests.factories import page_texts, text_pdf
from tests.factories_core import fonts_of, is_embedded, scanned_pdf


def check_pdfa(data: bytes, conformance: str) -> None:
    """Assert `data` is valid PDF/A at `conformance` (level U: valid B plus the U claim)."""
    part, level = conformance[5], conformance[6]
    if part == "1":  # PDF 1.4 has neither object streams nor cross-reference streams
        assert b"/ObjStm" not in data and not re.search(rb"/Type\s*/XRef\b", data)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if part == "1":
            assert pdf.pdf_version <= "1.4"
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == part
        assert meta["pdfaid:conformance"] == level.upper()
        assert len(pdf.Root.OutputIntents) == 1
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        fonts = fonts_of(pdf)
        assert all(is_embedded(font) for font in fonts)
        if level == "u":
            # Unicode via a ToUnicode CMap, or a standard encoding PDF/A accepts in its stead.
            standard = ("/WinAnsiEncoding", "/MacRomanEncoding", "/StandardEncoding")
            assert all("/ToUnicode" in font or font.get("/Encoding") in standard for font in fonts)
            with pdf.open_metadata(set_pikepdf_as_editor=False) as edit:
                edit["pdfaid:conformance"] = "B"  # pikepdf's checker knows level B only
        report = pikepdf.pdfa.check(pdf, f"{part}b")
        assert report.violations == (), report.summary()


@pytest.mark.parametrize("conformance", ["pdfa-1b", "pdfa-2b", "pdfa-2u", "pdfa-3b", "pdfa-3u"])
def test_born_digital_document_becomes_valid_pdfa_and_keeps_its_text(conformance):
    src = text_pdf(pages=2)
    out = Client().convert_to_pdfa(src, conformance=conformance)
    check_pdfa(out, conformance)
    assert page_texts(out) == page_texts(src)


def test_default_conformance_is_2b():
    check_pdfa(Client().convert_to_pdfa(text_pdf(pages=1)), "pdfa-2b")


def test_image_only_document_takes_the_in_memory_path():
    src = scanned_pdf(lines=["archive"], dpi=100)
    out = Client().convert_to_pdfa(src, conformance="pdfa-2b")
    check_pdfa(out, "pdfa-2b")
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert "Ghostscript" not in str(pdf.docinfo.get("/Producer", ""))


def test_watermark_then_pdfa_stays_valid_and_keeps_the_mark():
    out = Client().process(
        text_pdf(pages=2),
        [
            {"method": "watermark_pdf", "params": {"text": "ARCHIVED", "opacity": 0.5}},
            {"method": "convert_to_pdfa", "params": {"conformance": "pdfa-2b"}},
        ],
    )
    check_pdfa(out, "pdfa-2b")
    assert all("ARCHIVED" in text for text in page_texts(out))


@pytest.mark.parametrize("conformance", ["pdfa-1a", "pdfa-2a", "pdfa-3a"])
def test_accessible_levels_are_refused(conformance):
    with pytest.raises(errors.UnsupportedOperationError, match=conformance):
        Client().convert_to_pdfa(text_pdf(pages=1), conformance=conformance)


def test_pdfa1_without_rasterization_refuses_transparency():
    marked = Client().watermark_pdf(text_pdf(pages=1), text="SEE THROUGH", opacity=0.5)
    with pytest.raises(errors.UnsupportedOperationError, match="transparency"):
        Client().convert_to_pdfa(marked, conformance="pdfa-1b", rasterization=False)


def test_unknown_conformance_fails_validation():
    with pytest.raises(errors.OperationError, match="'conformance'"):
        Pipeline.from_operations([{"method": "convert_to_pdfa", "params": {"conformance": "pdfa-4"}}])


def test_pdfa1_without_rasterization_converts_opaque_documents():
    out = Client().convert_to_pdfa(text_pdf(pages=1), conformance="pdfa-1b", rasterization=False)
    check_pdfa(out, "pdfa-1b")


def test_vectorization_off_is_refused_rather_than_ignored():
    with pytest.raises(errors.UnsupportedOperationError, match="vectorization"):
        Client().convert_to_pdfa(text_pdf(pages=1), vectorization=False)

import io

import pikepdf
import pytest

from batchproc import Client, Pipeline, errors
from batchproc.operations.ocr import tesseract_codes
from tests.factories import page_texts, text_pdf
from tests.factories_core import scanned_pdf

ENGLISH = "The invoice total is ready"
SPANISH = "El informe anual de la empresa"


def words(text: str) -> set[str]:
    return set(text.lower().split())


def image_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sum(1 for page in pdf.pages for _ in page.get_images())


def test_scanned_page_gets_an_invisible_text_layer_in_two_languages():
    src = scanned_pdf(lines=[ENGLISH, SPANISH])
    assert page_texts(src) == [""]
    out = Client().ocr_pdf(src, language=["english", "spanish"])
    found = words(page_texts(out)[0])
    assert {"invoice", "total", "ready"} <= found
    assert {"informe", "anual", "empresa"} <= found
    assert image_count(out) == image_count(src) == 1  # the scan is kept as it was


def test_language_given_as_a_code_or_a_plus_string():
    src = scanned_pdf(lines=[SPANISH])
    for language in ("spa", "eng+spa"):
        assert {"informe", "empresa"} <= words(page_texts(Client().ocr_pdf(src, language=language))[0])


def test_rotated_scan_is_read_and_the_layer_lies_over_the_image():
    src = scanned_pdf(lines=["Rotated scanned words here"], rotate=90)
    out = Client().ocr_pdf(src)
    assert {"rotated", "scanned", "words"} <= words(page_texts(out)[0])
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert int(pdf.pages[0].Rotate) == 90


def test_pages_with_text_are_kept_and_image_pages_are_read_in_a_mixed_document():
    client = Client()
    mixed = client.merge_pdfs([text_pdf(pages=1, text="Born digital"), scanned_pdf(lines=[ENGLISH])])
    out = client.ocr_pdf(mixed)
    first, second = page_texts(out)
    assert first == page_texts(mixed)[0]
    assert {"invoice", "total"} <= words(second)


def test_tesseract_codes_map_dws_names_and_aliases():
    assert tesseract_codes("english") == ["eng"]
    assert tesseract_codes(["german", "de", "fra"]) == ["deu", "fra"]
    assert tesseract_codes("chinese") == ["chi_sim"]
    assert tesseract_codes("eng+spa") == ["eng", "spa"]


@pytest.mark.parametrize("language, message", [("klingon", "'klingon' is not a known OCR language"), ([], "at least one"), (["eng", 3], "name or code")])
def test_bad_language_fails_validation(language, message):
    with pytest.raises(errors.OperationError, match=message):
        Pipeline.from_operations([{"method": "ocr_pdf", "params": {"language": language}}])


def test_missing_language_data_names_the_debian_package():
    with pytest.raises(errors.DependencyError, match="tesseract-ocr-jpn"):
        Client().ocr_pdf(scanned_pdf(lines=["x"], dpi=72), language="jpn")


def first_word_box(data: bytes, word: str) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of `word` in the page's user space (pdfium)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        textpage = document[0].get_textpage()
        start = textpage.get_text_range().index(word)
        boxes = [textpage.get_charbox(i) for i in range(start, start + len(word))]
    finally:
        document.close()
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)


@pytest.mark.parametrize("with_drawing", [False, True], ids=["bare-scan", "rendered"])
@pytest.mark.parametrize("rotate", [0, 90])
def test_text_layer_lies_over_the_words_it_was_read_from(with_drawing, rotate):
    src = scanned_pdf(lines=["Searchable layer words"], dpi=200, rotate=rotate, with_drawing=with_drawing)
    out = Client().ocr_pdf(src)
    left, bottom, right, top = first_word_box(out, "Searchable")
    # The image draws the line 1 inch from the left and about 1 inch from the top of the page.
    assert 65 < left < 85 and 680 < top < 725 and right - left > 100


@pytest.mark.parametrize("image_format, mode", [("JPEG", "L"), ("JPEG", "RGB"), ("PNG", "RGB"), ("PNG", "1")])
def test_scans_stored_in_any_common_way_are_read(image_format, mode):
    src = scanned_pdf(lines=[ENGLISH], dpi=200, image_format=image_format, mode=mode)
    assert {"invoice", "total", "ready"} <= words(page_texts(Client().ocr_pdf(src))[0])


@pytest.mark.parametrize("mode", ["L", "1"], ids=["gray", "black-and-white"])
@pytest.mark.parametrize("with_drawing", [False, True], ids=["bare-scan", "rendered"])
def test_scan_stored_sideways_and_turned_upright_by_rotate_is_read_upright(with_drawing, mode):
    src = scanned_pdf(lines=[ENGLISH], dpi=200, stored_sideways=True, rotate=90, with_drawing=with_drawing, mode=mode)
    assert {"invoice", "total", "ready"} <= words(page_texts(Client().ocr_pdf(src))[0])

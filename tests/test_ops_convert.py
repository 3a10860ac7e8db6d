import io

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import page_texts, text_pdf
from tests.factories_core import docx_bytes, multi_frame_tiff, png_image, xlsx_bytes


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [(float(p.mediabox[2]), float(p.mediabox[3])) for p in pdf.pages]


def test_docx_becomes_a_pdf_with_its_text_and_pages(tmp_path):
    src = tmp_path / "letter.docx"
    src.write_bytes(docx_bytes(["Hello from Word", "Second page words"], page_breaks=True))
    out = Client().convert_to_pdf(src)
    assert [t.strip() for t in page_texts(out)] == ["Hello from Word", "Second page words"]


def test_docx_given_as_bytes_is_recognised_by_content_not_name():
    out = Client().convert_to_pdf(docx_bytes(["Only bytes here"]))
    assert [t.strip() for t in page_texts(out)] == ["Only bytes here"]


def test_xlsx_becomes_a_pdf_with_its_cells():
    out = Client().convert_to_pdf(xlsx_bytes([["Region", "Sales"], ["North", "1200"]]))
    [text] = page_texts(out)
    assert "Region" in text and "North" in text and "1200" in text


def test_png_becomes_one_page_sized_to_the_image(tmp_path):
    src = tmp_path / "photo.png"
    png_image(src, size=(300, 150))
    out = Client().convert_to_pdf(src)
    [(width, height)] = page_sizes(out)
    assert width == pytest.approx(2 * height)
    with pikepdf.open(io.BytesIO(out)) as pdf:
        [image] = pdf.pages[0].get_images().values()
        assert (int(image.Width), int(image.Height)) == (300, 150)


def test_image_with_alpha_and_multi_frame_tiff(tmp_path):
    assert len(page_sizes(Client().convert_to_pdf(png_image(alpha=True)))) == 1
    tiff = tmp_path / "scan.tiff"
    multi_frame_tiff(tiff, frames=3)
    assert len(page_sizes(Client().convert_to_pdf(tiff))) == 3


def test_pdf_passes_through_unchanged_in_content():
    src = text_pdf(pages=2)
    assert page_texts(Client().convert_to_pdf(src)) == page_texts(src)


def test_office_input_is_converted_implicitly_before_other_steps():
    out = Client().rotate_pages(docx_bytes(["Rotated Word page"]), degrees=90)
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert [int(p.Rotate) for p in pdf.pages] == [90]
    assert "Rotated Word page" in page_texts(out)[0]


def test_unconvertible_input_is_not_a_pdf_error(tmp_path):
    src = tmp_path / "data.bin"
    src.write_bytes(b"\x00\x01\x02 binary junk" * 10)
    with pytest.raises(errors.NotAPDFError):
        Client().convert_to_pdf(src)


def test_damaged_office_file_is_an_external_tool_error(tmp_path):
    src = tmp_path / "broken.docx"
    src.write_bytes(docx_bytes(["x"])[:-40] + b"\x00" * 40)
    with pytest.raises((errors.ExternalToolError, errors.NotAPDFError)) as info:
        Client().convert_to_pdf(src)
    assert info.value.source == str(src)

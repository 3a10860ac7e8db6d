import io

import pikepdf
import pytest

from batchproc import Client, Pipeline, errors
from tests.factories import page_texts, text_pdf
from tests.factories_core import docx_bytes, png_image, with_outline


def first_lines(data: bytes) -> list[str]:
    return [text.split("\r\n")[0].strip() for text in page_texts(data)]


def test_merge_keeps_page_count_and_order(tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    text_pdf(a, pages=2, text="Alpha")
    text_pdf(b, pages=1, text="Bravo")
    out = Client().merge_pdfs([a, b, text_pdf(pages=2, text="Charlie")])
    assert first_lines(out) == ["Alpha page 1", "Alpha page 2", "Bravo page 1", "Charlie page 1", "Charlie page 2"]


def test_merge_writes_output_path(tmp_path):
    target = tmp_path / "merged.pdf"
    assert Client().merge_pdfs([text_pdf(pages=1, text="One"), text_pdf(pages=1, text="Two")], target) is None
    assert first_lines(target.read_bytes()) == ["One page 1", "Two page 1"]


def test_merge_step_appends_converted_office_and_image_files():
    out = Client().process(
        text_pdf(pages=1, text="Cover"),
        [{"method": "merge_pdfs", "params": {"input_files": [docx_bytes(["Appendix from Word"]), png_image()]}}],
    )
    assert first_lines(out) == ["Cover page 1", "Appendix from Word", ""]


def test_bookmarks_of_appended_documents_point_at_their_pages():
    first = with_outline(text_pdf(pages=2, text="Alpha"), ["Alpha start", "Alpha end"])
    second = with_outline(text_pdf(pages=2, text="Bravo"), ["Bravo start", "Bravo end"])
    out = Client().merge_pdfs([first, second])
    with pikepdf.open(io.BytesIO(out)) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
        with pdf.open_outline() as outline:
            found = [(item.title, pages[item.destination[0].objgen]) for item in outline.root]
    assert found == [("Alpha start", 0), ("Alpha end", 1), ("Bravo start", 2), ("Bravo end", 3)]


def test_merge_needs_two_files_and_valid_items():
    with pytest.raises(errors.OperationError, match="at least 2"):
        Client().merge_pdfs([text_pdf(pages=1)])
    with pytest.raises(errors.OperationError, match="input_files"):
        Pipeline.from_operations([{"method": "merge_pdfs", "params": {"input_files": [3]}}])
    with pytest.raises(errors.OperationError, match="needs parameter 'input_files'"):
        Pipeline.from_operations([{"method": "merge_pdfs"}])


def test_missing_appended_file_is_input_not_found(tmp_path):
    with pytest.raises(errors.InputNotFoundError):
        Client().merge_pdfs([text_pdf(pages=1), tmp_path / "gone.pdf"])

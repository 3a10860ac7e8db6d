"""split_pdf, duplicate_pdf_pages, delete_pdf_pages and add_page on the local engine."""

from __future__ import annotations

import io
import inspect

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import encrypted_pdf, page_texts, text_pdf


def first_lines(data: bytes) -> list[str]:
    return [text.splitlines()[0] if text else "" for text in page_texts(data)]


def media_boxes(data: bytes) -> list[list[float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [[round(float(v)) for v in page.mediabox] for page in pdf.pages]


def test_split_pdf_by_ranges_with_negative_and_open_ends():
    parts = Client().split_pdf(text_pdf(pages=5, text="P"), [{"start": 0, "end": 1}, {"start": -2}, {"start": 2, "end": 2}])
    assert [first_lines(p) for p in parts] == [["P page 1", "P page 2"], ["P page 4", "P page 5"], ["P page 3"]]


def test_split_pdf_default_is_the_first_page_like_the_dws_client():
    [part] = Client().split_pdf(text_pdf(pages=3, text="P"))
    assert first_lines(part) == ["P page 1"]


def test_split_pdf_pages_per_file_and_written_paths(tmp_path):
    paths = [tmp_path / f"part{n}.pdf" for n in range(3)]
    assert Client().split_pdf(text_pdf(pages=5, text="P"), output_paths=paths, pages_per_file=2) == []
    assert [first_lines(p.read_bytes()) for p in paths] == [["P page 1", "P page 2"], ["P page 3", "P page 4"], ["P page 5"]]


def test_split_pdf_keeps_document_info_and_checks_ranges():
    src = io.BytesIO()
    with pikepdf.open(io.BytesIO(text_pdf(pages=2))) as pdf:
        pdf.docinfo["/Title"] = "Annual"
        pdf.save(src)
    [part] = Client().split_pdf(src.getvalue(), [{"start": 1}])
    with pikepdf.open(io.BytesIO(part)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Annual" and len(pdf.pages) == 1
    with pytest.raises(errors.PageRangeError, match="out of range"):
        Client().split_pdf(text_pdf(pages=2), [{"start": 0, "end": 5}])
    with pytest.raises(errors.OperationError, match="not both"):
        Client().split_pdf(text_pdf(pages=2), [{"start": 0}], pages_per_file=1)
    with pytest.raises(errors.OperationError, match="at most 50"):
        Client().split_pdf(text_pdf(pages=2), [{"start": 0}] * 51)


def test_duplicate_pdf_pages_repeats_and_reorders():
    out = Client().duplicate_pdf_pages(text_pdf(pages=3, text="P"), [0, 0, -1, 1])
    assert first_lines(out) == ["P page 1", "P page 1", "P page 3", "P page 2"]
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert len({page.obj.objgen for page in pdf.pages}) == 4  # a page object appears once in the tree


def test_delete_pdf_pages_with_negative_and_repeated_indexes():
    out = Client().delete_pdf_pages(text_pdf(pages=4, text="P"), [0, -1, -1])
    assert first_lines(out) == ["P page 2", "P page 3"]


def test_delete_every_page_is_an_error():
    with pytest.raises(errors.PageRangeError, match="delete all 2 page"):
        Client().delete_pdf_pages(text_pdf(pages=2), [0, 1])


@pytest.mark.parametrize(
    "insert_index, expected",
    [(0, ["", "", "P page 1", "P page 2"]), (1, ["P page 1", "", "", "P page 2"]),
     (-1, ["P page 1", "P page 2", "", ""]), (2, ["P page 1", "P page 2", "", ""])],
)
def test_add_page_positions(insert_index, expected):
    out = Client().add_page(text_pdf(pages=2, text="P"), insert_index, 2)
    assert first_lines(out) == expected
    blank = expected.index("")
    assert media_boxes(out)[blank] == [0, 0, 595, 842]  # A4 portrait


def test_add_page_writes_output_path(tmp_path):
    target = tmp_path / "out.pdf"
    assert Client().add_page(text_pdf(pages=1), 0, output_path=target) is None
    assert len(media_boxes(target.read_bytes())) == 2


def test_add_page_sizes_and_orientation():
    out = Client().add_page(text_pdf(pages=1), -1, page_size="Legal", orientation="landscape")
    assert media_boxes(out)[1] == [0, 0, 1008, 612]
    out = Client().add_page(text_pdf(pages=1), 0, page_size={"width": 100, "height": 50})
    assert media_boxes(out)[0] == [0, 0, 142, 283]  # portrait: the short side is the width
    with pytest.raises(errors.PageRangeError, match="past the end"):
        Client().add_page(text_pdf(pages=1), 3)
    with pytest.raises(errors.OperationError, match="between 1 and 100"):
        Client().add_page(text_pdf(pages=1), 0, page_count=101)
    with pytest.raises(errors.OperationError, match="A0 to A8|must be one of"):
        Client().add_page(text_pdf(pages=1), 0, page_size="B5")


def test_direct_method_signatures_match_the_dws_client():
    assert list(inspect.signature(Client.add_page).parameters) == [
        "self", "input_file", "insert_index", "page_count", "page_size", "orientation", "output_path", "password"]
    assert list(inspect.signature(Client.delete_pdf_pages).parameters) == [
        "self", "input_file", "page_indexes", "output_path", "password"]
    assert list(inspect.signature(Client.split_pdf).parameters)[:4] == ["self", "input_file", "page_ranges", "output_paths"]


def test_structure_ops_over_a_batch(tmp_path):
    inputs = []
    for n in range(3):
        path = tmp_path / f"doc{n}.pdf"
        encrypted_pdf(path, password="pw", pages=3)
        inputs.append(path)
    result = Client().batch_process(inputs, [
        {"method": "delete_pdf_pages", "params": {"page_indexes": [0]}},
        {"method": "add_page", "params": {"insert_index": -1}},
        {"method": "split_pdf", "params": {"pages_per_file": 2}},
    ], output_dir=tmp_path / "out", password="pw", parallel=False)
    assert result.failed == [] and len(result.successful) == 3
    for _, paths in result.successful:
        assert [p.name[-6:] for p in paths] == ["_1.pdf", "_2.pdf"]
        assert first_lines(paths[0].read_bytes())[0] == "Quarterly report page 2"
        assert first_lines(paths[1].read_bytes()) == [""]  # the added blank page

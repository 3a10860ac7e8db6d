"""set_pdf_metadata and set_page_label on the local engine."""

from __future__ import annotations

import inspect
import io

import pikepdf
import pypdfium2 as pdfium
import pytest

from batchproc import Client, errors
from tests.factories import text_pdf


def info_and_xmp(data: bytes) -> tuple[dict, dict]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = {k: str(v) for k, v in pdf.docinfo.items()}
        meta = pdf.open_metadata()
        return info, {"title": meta.get("dc:title"), "creator": meta.get("dc:creator")}


def labels(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc.get_page_label(i) for i in range(len(doc))]
    finally:
        doc.close()


def test_set_pdf_metadata_writes_docinfo_and_xmp_in_sync():
    out = Client().set_pdf_metadata(text_pdf(pages=1), title="Budget 2027", author="Finance Team")
    info, xmp = info_and_xmp(out)
    assert info["/Title"] == "Budget 2027" and info["/Author"] == "Finance Team"
    assert xmp == {"title": "Budget 2027", "creator": ["Finance Team"]}


def test_set_pdf_metadata_leaves_the_other_field_alone_and_needs_one():
    first = Client().set_pdf_metadata(text_pdf(pages=1), title="Old", author="Keeper")
    out = Client().set_pdf_metadata(first, title="New")
    info, xmp = info_and_xmp(out)
    assert info["/Title"] == "New" and info["/Author"] == "Keeper" and xmp["title"] == "New"
    with pytest.raises(errors.OperationError, match="title, an author"):
        Client().set_pdf_metadata(text_pdf(pages=1))


def test_set_page_label_ranges_and_index_lists():
    out = Client().set_page_label(text_pdf(pages=5), [
        {"pages": {"start": 0, "end": 1}, "label": "Cover"},
        {"pages": [-1], "label": "Back"},
    ])
    assert labels(out) == ["Cover", "Cover", "3", "4", "Back"]


def test_set_page_label_keeps_existing_labels_elsewhere():
    first = Client().set_page_label(text_pdf(pages=4), [{"pages": {"start": 2}, "label": "Annex"}])
    out = Client().set_page_label(first, [{"pages": {"start": 0, "end": 0}, "label": "Title"}])
    assert labels(out) == ["Title", "2", "Annex", "Annex"]


@pytest.mark.parametrize(
    "labels_param, error, message",
    [
        ([{"pages": {"start": 0}}], errors.OperationError, "exactly 'pages' and 'label'"),
        ([{"pages": {"end": 1}, "label": "x"}], errors.OperationError, "needs a 'start'"),
        ([{"pages": {"start": 9}, "label": "x"}], errors.PageRangeError, "out of range"),
        ([], errors.OperationError, "non-empty"),
    ],
)
def test_set_page_label_bad_input(labels_param, error, message):
    with pytest.raises(error, match=message):
        Client().set_page_label(text_pdf(pages=2), labels_param)


def test_metadata_and_labels_over_a_batch(tmp_path):
    inputs = [text_pdf(pages=3, text=f"Doc{n}") for n in range(3)]
    result = Client().batch_process(inputs, [
        {"method": "set_pdf_metadata", "params": {"title": "Batch title", "author": "Bot"}},
        {"method": "set_page_label", "params": {"labels": [{"pages": [0], "label": "i"}]}},
    ], parallel=False)
    assert result.failed == [] and len(result.successful) == 3
    for _, data in result.successful:
        assert info_and_xmp(data)[0]["/Title"] == "Batch title"
        assert labels(data) == ["i", "2", "3"]


def test_direct_methods_take_the_dws_client_parameters_in_order():
    assert list(inspect.signature(Client.set_pdf_metadata).parameters) == [
        "self", "input_file", "output_path", "title", "author", "password"]
    assert list(inspect.signature(Client.set_page_label).parameters) == [
        "self", "input_file", "labels", "output_path", "password"]

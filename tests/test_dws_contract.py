"""One contract, both engines (STYLE 3): the same inputs give the same typed errors, each
naming the input, and the same results; the dws engine refuses bad inputs before it sends
anything."""

from __future__ import annotations

import io

import pikepdf
import pytest

from batchproc import Client, errors
from tests.dws_server.fixtures import API_KEY
from tests.factories import encrypted_pdf, page_texts, text_pdf, truncated_pdf


@pytest.fixture(params=["local", "dws"])
def client(request, dws_server) -> Client:
    if request.param == "local":
        return Client()
    return Client(engine="dws", api_key=API_KEY, base_url=dws_server.base_url)


@pytest.mark.parametrize(
    "builder, error",
    [
        (lambda p: p.write_bytes(b""), errors.NotAPDFError),
        (lambda p: p.write_bytes(b"<html><body>hi</body></html>"), errors.NotAPDFError),
        (lambda p: truncated_pdf(p), errors.CorruptDocumentError),
        (lambda p: encrypted_pdf(p), errors.PasswordRequiredError),
    ],
    ids=["empty", "html", "truncated", "encrypted"],
)
def test_bad_inputs_raise_the_same_typed_errors_and_send_nothing(client, dws_server, tmp_path, builder, error):
    src = tmp_path / "bad.pdf"
    builder(src)
    with pytest.raises(error) as info:
        client.rotate_pages(src, degrees=90)
    assert info.value.source == str(src)
    assert dws_server.received == []


def test_a_page_out_of_range_is_a_page_range_error(client, dws_server, tmp_path):
    src = tmp_path / "two.pdf"
    text_pdf(src, pages=2)
    with pytest.raises(errors.PageRangeError) as info:
        client.rotate_pages(src, degrees=90, page_indexes=[5])
    assert info.value.source == str(src) and "out of range" in str(info.value)
    assert dws_server.received == []


def test_missing_input_is_input_not_found(client):
    with pytest.raises(errors.InputNotFoundError):
        client.rotate_pages("/nonexistent/x.pdf", degrees=90)


def test_encrypted_input_opens_with_its_password(client, tmp_path):
    src = tmp_path / "locked.pdf"
    encrypted_pdf(src, password="pw", pages=2)
    out = client.rotate_pages(src, degrees=90, page_indexes=[1], password="pw")
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert [int(p.obj.get("/Rotate", 0)) for p in pdf.pages] == [0, 90]
    assert "Quarterly report page 2" in page_texts(out)[1]


def test_bytes_and_file_objects_are_inputs_too(client, tmp_path):
    data = text_pdf(pages=2)
    assert len(page_texts(client.delete_pdf_pages(data, page_indexes=[0]))) == 1
    assert len(page_texts(client.delete_pdf_pages(io.BytesIO(data), page_indexes=[1]))) == 1

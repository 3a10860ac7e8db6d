import inspect
import io
import pickle

import pikepdf
import pytest

import batchproc
from batchproc import Client, Pipeline, errors
from tests.factories import encrypted_pdf, text_pdf, truncated_pdf


def rotations(data: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


def test_rotate_pages_direct_method_rotates_only_the_asked_pages(tmp_path):
    src = tmp_path / "in.pdf"
    text_pdf(src, pages=3)
    out = Client().rotate_pages(src, degrees=90, page_indexes=[0, -1])
    assert rotations(out) == [90, 0, 90]


def test_direct_method_writes_output_path_and_returns_none(tmp_path):
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    text_pdf(src, pages=2)
    assert Client().rotate_pages(str(src), dst, degrees=180) is None
    assert rotations(dst.read_bytes()) == [180, 180]


def test_direct_method_signature_matches_dws_client():
    sig = inspect.signature(Client.rotate_pages)
    assert list(sig.parameters) == ["self", "input_file", "output_path", "degrees", "page_indexes", "password"]
    assert sig.parameters["degrees"].default == 0


@pytest.mark.parametrize(
    "operations, message",
    [
        ([{"method": "rotate_page"}], "did you mean 'rotate_pages'"),
        ([{"method": "rotate_pages", "params": {"degrees": 45}}], "step 0 (rotate_pages): rotate_pages parameter 'degrees'"),
        ([{"method": "rotate_pages", "params": {"degree": 90}}], "no parameter 'degree'"),
        ([{"method": "rotate_pages", "params": {"page_indexes": [0, "x"]}}], "only integers"),
        ([], "operations is empty"),
        ([{"method": "rotate_pages", "engine": "cloud"}], "engine must be one of"),
    ],
)
def test_bad_operations_fail_before_work_naming_step_and_param(operations, message):
    with pytest.raises(errors.OperationError) as info:
        Pipeline.from_operations(operations)
    assert message in str(info.value)


def test_out_of_range_page_is_a_page_range_error_naming_the_file(tmp_path):
    src = tmp_path / "two.pdf"
    text_pdf(src, pages=2)
    with pytest.raises(errors.PageRangeError) as info:
        Client().rotate_pages(src, degrees=90, page_indexes=[5])
    assert str(src) in str(info.value) and "out of range" in str(info.value)


@pytest.mark.parametrize(
    "builder, error",
    [
        (lambda p: p.write_bytes(b""), errors.NotAPDFError),
        (lambda p: p.write_bytes(b"<html><body>hi</body></html>"), errors.NotAPDFError),
        (lambda p: truncated_pdf(p), errors.CorruptDocumentError),
        (lambda p: encrypted_pdf(p), errors.PasswordRequiredError),
    ],
)
def test_bad_inputs_raise_typed_errors(tmp_path, builder, error):
    src = tmp_path / "bad.pdf"
    builder(src)
    with pytest.raises(error) as info:
        Client().rotate_pages(src, degrees=90)
    assert info.value.source == str(src)


def test_encrypted_input_opens_with_password_and_output_stays_encrypted_only_if_asked(tmp_path):
    src = tmp_path / "locked.pdf"
    encrypted_pdf(src, password="pw")
    out = Client().rotate_pages(src, degrees=90, password="pw")
    assert rotations(out) == [90, 90]


def test_missing_input_is_input_not_found():
    with pytest.raises(errors.InputNotFoundError):
        Client().rotate_pages("/nonexistent/x.pdf", degrees=90)


def test_every_error_pickles_with_its_details():
    for name in errors.__all__:
        cls = getattr(errors, name)
        exc = cls("boom", source="a.pdf")
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is cls and str(back) == "a.pdf: boom"
    rate = pickle.loads(pickle.dumps(errors.RateLimitedError("slow down", status=429, retry_after_s=3.0)))
    assert rate.retry_after_s == 3.0 and rate.transient
    assert errors.ServerError("x", status=503).transient and not errors.ServerError("x", status=500).transient


def test_public_surface_is_pinned():
    assert sorted(batchproc.__all__) == sorted(
        ["Client", "Pipeline", "BatchResult", "FileResult", "BatchprocError", "UnsupportedOperationError", "errors"]
    )


def test_encrypted_input_through_an_external_step_is_reopened_without_its_password(tmp_path, recwarn):
    """Intermediate files are written unencrypted; reopening them with the input's password
    would make pikepdf warn that no password was needed."""
    src = tmp_path / "locked.pdf"
    encrypted_pdf(src, password="pw")
    operations = [{"method": "rotate_pages", "params": {"degrees": 90}}, {"method": "convert_to_pdfa"}]
    out = Client().process(src, operations, password="pw")
    assert not [w for w in recwarn if "password" in str(w.message)]
    rotated_only = Client().rotate_pages(src, degrees=90, password="pw")
    assert looks_alike(out, rotated_only)  # Ghostscript bakes /Rotate in; the pages must look the same


def looks_alike(a: bytes, b: bytes) -> bool:
    """Whether the first pages of two PDFs render to nearly the same picture."""
    import pypdfium2 as pdfium
    from PIL import ImageChops

    pictures = []
    for data in (a, b):
        doc = pdfium.PdfDocument(data)
        pictures.append(doc[0].render(scale=0.5).to_pil().convert("L"))
        doc.close()
    if pictures[0].size != pictures[1].size:
        return False
    histogram = ImageChops.difference(*pictures).histogram()
    return sum(histogram[32:]) < 0.01 * sum(histogram)  # under 1% of pixels differ visibly


def test_document_saves_before_an_external_step_only_what_changed(tmp_path):
    from batchproc.engines.local.document import Document

    src = tmp_path / "in.pdf"
    text_pdf(src, pages=2)
    doc = Document(src, tmp_path, label=str(src))
    doc.peek()  # read only: the input file itself is the current state
    assert doc.file() == src
    doc.pdf.pages[0].rotate(90, relative=True)  # changed: the next file() writes it
    changed = doc.file()
    assert changed != src and rotations(changed.read_bytes()) == [90, 0]
    assert doc.file() == changed  # nothing changed since


def test_encrypted_input_is_decrypted_before_an_external_program_sees_it(tmp_path):
    from batchproc.engines.local.document import Document

    src = tmp_path / "locked.pdf"
    encrypted_pdf(src, password="pw")
    doc = Document(src, tmp_path, label=str(src), password="pw")
    doc.peek()
    plain = doc.file()
    assert plain != src
    with pikepdf.open(plain) as pdf:
        assert not pdf.is_encrypted

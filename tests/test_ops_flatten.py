import io

import pikepdf
import pytest

from batchproc import Client, Pipeline, errors
from tests.factories import page_texts
from tests.factories_core import annotated_pdf


def annotation_counts(data: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [len(page.obj.get("/Annots", [])) for page in pdf.pages]


def field_names(data: bytes) -> list[str] | None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        form = pdf.Root.get("/AcroForm")
        return None if form is None else sorted(str(f.T) for f in form.Fields)


def test_annotations_start_interactive_and_their_text_is_not_page_text():
    src = annotated_pdf()
    assert annotation_counts(src) == [2, 2] and field_names(src) == ["agree", "name"]
    assert page_texts(src) == ["Annotated page", "Form page"]


def test_flatten_all_draws_appearances_and_removes_annotations_and_form():
    out = Client().flatten_annotations(annotated_pdf())
    assert annotation_counts(out) == [0, 0]
    assert field_names(out) is None
    first, second = page_texts(out)
    assert "Sticky remark" in first and "Boxed words" in first
    assert "Alice Example" in second


def test_flatten_selected_by_name_keeps_the_others():
    out = Client().flatten_annotations(annotated_pdf(), annotation_ids=["note-1"])
    assert annotation_counts(out) == [1, 2]
    first, second = page_texts(out)
    assert "Sticky remark" in first and "Boxed words" not in first
    assert field_names(out) == ["agree", "name"]
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert str(pdf.pages[0].Annots[0].NM) == "box-2"


def test_flatten_selected_form_field_by_object_id_removes_only_that_field():
    src = annotated_pdf()
    with pikepdf.open(io.BytesIO(src)) as pdf:
        widget = next(a for a in pdf.pages[1].Annots if a.get("/T") == "name")
        object_id = widget.objgen[0]
    for given in (object_id, str(object_id)):
        out = Client().flatten_annotations(src, annotation_ids=[given])
        assert annotation_counts(out) == [2, 1]
        assert field_names(out) == ["agree"]
        assert "Alice Example" in page_texts(out)[1]


def test_unknown_ids_change_nothing():
    out = Client().flatten_annotations(annotated_pdf(), annotation_ids=["no-such-id"])
    assert annotation_counts(out) == [2, 2]


@pytest.mark.parametrize("ids, message", [([], "non-empty"), ([1.5], "strings or integers"), ("note-1", "expected list")])
def test_bad_annotation_ids_fail_validation(ids, message):
    with pytest.raises(errors.OperationError, match=message):
        Pipeline.from_operations([{"method": "flatten_annotations", "params": {"annotation_ids": ids}}])


def test_rotate_watermark_flatten_in_one_pipeline(tmp_path):
    target = tmp_path / "out.pdf"
    result = Client().process(
        annotated_pdf(),
        [
            {"method": "rotate_pages", "params": {"degrees": 90}},
            {"method": "watermark_pdf", "params": {"text": "INTERNAL", "opacity": 0.5}},
            {"method": "flatten_annotations"},
        ],
        target,
    )
    assert result is None
    data = target.read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert [int(p.Rotate) for p in pdf.pages] == [90, 90]
        assert "/AcroForm" not in pdf.Root
    assert annotation_counts(data) == [0, 0]
    first, second = page_texts(data)
    assert "INTERNAL" in first and "Sticky remark" in first and "Annotated page" in first
    assert "INTERNAL" in second and "Alice Example" in second

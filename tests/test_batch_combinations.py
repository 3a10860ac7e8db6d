"""Operation chains through the batch runner's process pool, each output opened and checked."""

from __future__ import annotations

import io

import pikepdf
import pytest

from batchproc import Client
from tests.factories import page_texts
from tests.factories_batch import pdf_batch, rotations


def pages(path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def title(path) -> str:
    with pikepdf.open(path) as pdf:
        return str(pdf.docinfo.get("/Title", ""))


ROTATE = {"method": "rotate_pages", "params": {"degrees": 90}}
WATERMARK = {"method": "watermark_pdf", "params": {"text": "CONFIDENTIAL", "opacity": 0.5}}
FLATTEN = {"method": "flatten_annotations", "params": {}}
METADATA = {"method": "set_pdf_metadata", "params": {"title": "Batch title"}}
DELETE_FIRST = {"method": "delete_pdf_pages", "params": {"page_indexes": [0]}}

CHAINS = {
    "rotate+watermark+flatten": (
        [ROTATE, WATERMARK, FLATTEN],
        lambda out: rotations(out) == [90, 90, 90] and all("CONFIDENTIAL" in t for t in page_texts(out)),
    ),
    "watermark+metadata": (
        [WATERMARK, METADATA],
        lambda out: title(out) == "Batch title" and "CONFIDENTIAL" in page_texts(out)[0],
    ),
    "delete+rotate": (
        [DELETE_FIRST, ROTATE],
        lambda out: rotations(out) == [90, 90] and "page 2" in page_texts(out)[0],
    ),
}


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_edit_chains(tmp_path, chain):
    operations, effect = CHAINS[chain]
    files = pdf_batch(tmp_path / "in", 4, pages=3)
    result = Client().batch_process(files, operations, tmp_path / "out", parallel="process", max_workers=2)
    assert result.failed == [] and len(result.successful) == 4
    assert all(effect(output) for _, output in result.successful)


def test_split_outputs_get_their_suffix_before_the_extension(tmp_path):
    files = pdf_batch(tmp_path / "in", 2, pages=3)
    out = tmp_path / "out"
    operations = [ROTATE, {"method": "split_pdf", "params": {"pages_per_file": 1}}]
    result = Client().batch_process(files, operations, out, parallel="process", max_workers=2)
    assert result.failed == []
    for source, outputs in result.successful:
        n = source.stem[3:]
        assert [p.name for p in outputs] == [f"{source.stem}_{n}_{k}.pdf" for k in (1, 2, 3)]
        assert [pages(p) for p in outputs] == [1, 1, 1] and rotations(outputs[0]) == [90]
    assert len(list(out.glob("*.pdf"))) == 6


def test_image_outputs_carry_their_own_extension(tmp_path):
    files = pdf_batch(tmp_path / "in", 2, pages=2)
    operations = [{"method": "convert_to_images", "params": {"format": "png", "dpi": 30}}]
    result = Client().batch_process(files, operations, tmp_path / "out", output_format="{name}{ext}")
    assert result.failed == []
    names = sorted(p.name for _, outputs in result.successful for p in outputs)
    assert all(name.endswith(".png") for name in names) and len(names) == 4
    assert all((tmp_path / "out" / name).read_bytes().startswith(b"\x89PNG") for name in names)


def test_office_input_output_takes_the_pdf_extension(tmp_path):
    from tests.factories_core import docx_bytes

    docx = tmp_path / "letter.docx"
    docx.write_bytes(docx_bytes(["Dear reader, this came from Word."]))
    pdfs = pdf_batch(tmp_path / "in", 1)
    result = Client().batch_process([docx, *pdfs], [ROTATE], tmp_path / "out", parallel="process", max_workers=2)
    assert result.failed == []
    outputs = {source.name: output for source, output in result.successful}
    assert outputs["letter.docx"].name == "letter_0.pdf"
    assert "Dear reader" in page_texts(outputs["letter.docx"])[0] and rotations(outputs["letter.docx"]) == [90]


def test_bytes_outputs_for_multi_output_pipelines_are_lists(tmp_path):
    files = pdf_batch(tmp_path / "in", 1, pages=2)
    result = Client().batch_process(files, [{"method": "split_pdf", "params": {"pages_per_file": 1}}], parallel="thread")
    [(_, outputs)] = result.successful
    assert isinstance(outputs, list) and [pages(io.BytesIO(o)) for o in outputs] == [1, 1]

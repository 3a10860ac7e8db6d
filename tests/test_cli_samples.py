"""The demo's sample documents (batchproc.samples): what each one is, checked by opening it."""

from __future__ import annotations

import pikepdf

from batchproc import formats, samples
from tests.factories import page_texts


def test_samples_are_the_documents_the_demo_promises(tmp_path):
    made = samples.generate(tmp_path, reports=8)
    names = sorted(p.name for p in made.documents)
    assert names == sorted([f"report-{n:03d}.pdf" for n in range(1, 9)]
                           + ["application-form.pdf", "memo.docx", "budget.xlsx"])
    assert [p.name for p in made.scans] == ["scanned-letter.pdf"]
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == names

    for path in made.documents:
        if path.name.startswith("report-"):
            texts = page_texts(path)
            assert 1 <= len(texts) <= 4 and "report" in texts[0] and f"Page 1 of {len(texts)}" in texts[0]


def test_every_fourth_report_carries_an_annotation_with_an_appearance(tmp_path):
    samples.generate(tmp_path, reports=4)
    for number in (1, 2, 3, 4):
        with pikepdf.open(tmp_path / "documents" / f"report-{number:03d}.pdf") as pdf:
            annots = pdf.pages[0].obj.get("/Annots", [])
            if number == 4:
                assert len(annots) == 1 and annots[0].Subtype == "/FreeText" and "/N" in annots[0].AP
            else:
                assert len(annots) == 0


def test_form_has_filled_fields(tmp_path):
    samples.generate(tmp_path, reports=1)
    with pikepdf.open(tmp_path / "documents" / "application-form.pdf") as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        assert set(fields) == {"applicant", "email", "department", "agree"}
        assert str(fields["applicant"].V) == "Jane Doe"
        assert fields["agree"].V != pikepdf.Name.Off


def test_office_samples_are_recognised_as_ooxml(tmp_path):
    samples.generate(tmp_path, reports=1)
    for name, kind in (("memo.docx", "wordprocessingml"), ("budget.xlsx", "spreadsheetml")):
        path = tmp_path / "documents" / name
        found = formats.sniff(path.read_bytes()[:2048], name, path=path)
        assert found.kind == "office" and kind in found.mime


def test_scan_is_one_sideways_image_page_without_text(tmp_path):
    samples.generate(tmp_path, reports=1)
    path = tmp_path / "scans" / "scanned-letter.pdf"
    assert page_texts(path) == [""]
    with pikepdf.open(path) as pdf:
        (page,) = pdf.pages
        assert len(page.get_images()) == 1
        assert float(page.mediabox[2]) > float(page.mediabox[3])  # landscape: the A4 letter lies on its side


def test_samples_are_deterministic(tmp_path):
    first = samples.generate(tmp_path / "a", reports=3)
    second = samples.generate(tmp_path / "b", reports=3)
    for one, two in zip(first.documents + first.scans, second.documents + second.scans):
        assert one.read_bytes() == two.read_bytes(), one.name

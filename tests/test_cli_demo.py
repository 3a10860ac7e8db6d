"""`batchproc demo`: samples generated, batched on the local engine, every output stamped."""

from __future__ import annotations

import pikepdf

from tests.factories import page_texts
from tests.factories_cli import batchproc, read_json_report


def test_demo_batches_the_samples_and_every_output_carries_the_watermark(tmp_path):
    result = batchproc("demo", "--dir", "demo", "--reports", "4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "$ batchproc run demo/samples/documents -o demo/results/documents" in result.stderr
    assert "7 succeeded, 0 failed" in result.stderr and "1 succeeded, 0 failed" in result.stderr

    documents = tmp_path / "demo" / "results" / "documents"
    names = sorted(p.name for p in documents.iterdir() if not p.name.startswith("."))
    assert names == ["application-form.pdf", "budget.pdf", "memo.pdf",
                     "report-001.pdf", "report-002.pdf", "report-003.pdf", "report-004.pdf"]
    for name in names:
        texts = page_texts(documents / name)
        assert texts and all("CONFIDENTIAL" in text for text in texts), name
    assert "Internal memo" in page_texts(documents / "memo.pdf")[0]  # the .docx, converted
    assert "Finance" in page_texts(documents / "budget.pdf")[0]  # the .xlsx, converted
    with pikepdf.open(documents / "application-form.pdf") as form:
        assert "/AcroForm" not in form.Root and "/Annots" not in form.pages[0].obj  # flattened
    assert "Jane Doe" in page_texts(documents / "application-form.pdf")[0]  # the field values stay visible
    with pikepdf.open(documents / "report-004.pdf") as report:
        assert "/Annots" not in report.pages[0].obj  # the review note is now page content
    assert "Reviewed - OK" in page_texts(documents / "report-004.pdf")[0]

    scan = tmp_path / "demo" / "results" / "scans" / "scanned-letter.pdf"
    with pikepdf.open(scan) as pdf:
        assert int(pdf.pages[0].obj.Rotate) == 90  # turned upright
    (text,) = page_texts(scan)
    assert "Billing Team" in text and "CONFIDENTIAL" in text  # OCR'd, then stamped

    for batch, count in (("documents", 7), ("scans", 1)):
        records = read_json_report(tmp_path / "demo" / f"report-{batch}.json")
        assert len(records) == count and {r["status"] for r in records} == {"ok"}

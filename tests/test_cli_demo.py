"""`batchproc demo`: samples generated, batched on the local engine, every output stamped.

The demo runs once per module (about ten seconds: LibreOffice and Tesseract); each test
checks one part of what it promised.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest

from tests.factories import page_texts
from tests.factories_cli import batchproc, read_json_report


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    folder = tmp_path_factory.mktemp("demo")
    return batchproc("demo", "--dir", "demo", "--reports", "4", cwd=folder), folder / "demo"


def test_demo_exits_0_shows_its_commands_and_writes_a_report_per_batch(demo):
    result, folder = demo
    assert result.returncode == 0, result.stderr
    assert "$ batchproc run demo/samples/documents -o demo/results/documents" in result.stderr
    assert "7 succeeded, 0 failed" in result.stderr and "1 succeeded, 0 failed" in result.stderr
    for batch, count in (("documents", 7), ("scans", 1)):
        records = read_json_report(folder / f"report-{batch}.json")
        assert len(records) == count and {r["status"] for r in records} == {"ok"}


def test_every_document_is_stamped_confidential_office_files_converted_and_forms_flattened(demo):
    _, folder = demo
    documents = folder / "results" / "documents"
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


def test_the_sideways_scan_is_turned_upright_read_and_stamped(demo):
    _, folder = demo
    scan = folder / "results" / "scans" / "scanned-letter.pdf"
    with pikepdf.open(scan) as pdf:
        assert int(pdf.pages[0].obj.Rotate) == 90  # turned upright
    (text,) = page_texts(scan)
    assert "CONFIDENTIAL" in text
    assert "Billing Team" in text  # OCR read the page as the reader sees it

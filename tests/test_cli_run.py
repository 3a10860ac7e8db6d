"""`batchproc run` processing real files: outputs, exit statuses, reports, resume, Ctrl-C.

Every test runs the real command in a subprocess and opens what it wrote.
"""

from __future__ import annotations

import csv
import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
import time

import pikepdf
import pytest

from batchproc.cli.args import build_parser, group_op_words
from batchproc.cli.main import batch_options
from tests.dws_server.fixtures import API_KEY
from tests.factories import encrypted_pdf, page_texts, text_pdf, truncated_pdf
from tests.factories_cli import (
    COMMAND, batchproc, command_env, pdf_folder, read_json_report, start_batchproc,
)


def rotations(path) -> list[int]:
    with pikepdf.open(path) as pdf:
        return [int(page.obj.get("/Rotate", 0)) for page in pdf.pages]


def first_page_text(path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        return doc[0].get_textpage().get_text_range()
    finally:
        doc.close()


@pytest.mark.parametrize("parallel", ["auto", "thread", "none"])
def test_run_applies_every_step_in_order_to_every_file(tmp_path, parallel):
    pdf_folder(tmp_path / "in", 3)
    result = batchproc("run", "in", "-o", "out", "--format", "{name}{ext}", "--parallel", parallel,
                       "--op", "rotate_pages", "degrees=90", "page_indexes=[0]",
                       "--op", "watermark_pdf", "text=CONFIDENTIAL", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["doc-00.pdf", "doc-01.pdf", "doc-02.pdf"]
    for n in range(3):
        output = tmp_path / "out" / f"doc-0{n}.pdf"
        assert rotations(output) == [90, 0]
        texts = page_texts(output)
        assert all("CONFIDENTIAL" in text for text in texts) and f"Document {n} page 2" in texts[1]
    assert "3 succeeded, 0 failed, 0 skipped as already done" in result.stderr
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal


def _mixed_batch(tmp_path):
    pdf_folder(tmp_path / "in", 2)
    encrypted_pdf(tmp_path / "in" / "locked.pdf", password="secret")
    truncated_pdf(tmp_path / "in" / "broken.pdf")


def test_failed_files_exit_1_with_a_json_report_record_per_file(tmp_path):
    _mixed_batch(tmp_path)
    result = batchproc("run", "in", "-o", "out", "--format", "{name}{ext}", "--report", "report.json",
                       "--op", "rotate_pages", "degrees=180", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    records = {r["input"]: r for r in read_json_report(tmp_path / "report.json")}
    assert set(records) == {"in/doc-00.pdf", "in/doc-01.pdf", "in/locked.pdf", "in/broken.pdf"}
    ok = records["in/doc-00.pdf"]
    assert ok["status"] == "ok" and ok["error_type"] is None and ok["attempts"] == 1 and ok["seconds"] >= 0
    assert ok["output"] == str(tmp_path / "out" / "doc-00.pdf") and rotations(ok["output"]) == [180, 180]
    locked = records["in/locked.pdf"]
    assert (locked["status"], locked["error_type"], locked["output"]) == ("failed", "PasswordRequiredError", None)
    assert "password" in locked["error_message"]
    assert records["in/broken.pdf"]["error_type"] == "CorruptDocumentError"
    assert not (tmp_path / "out" / "locked.pdf").exists() and not (tmp_path / "out" / "broken.pdf").exists()
    assert "failed: in/locked.pdf: PasswordRequiredError" in result.stderr
    assert "2 succeeded, 2 failed" in result.stderr
    assert "failed by error type:" in result.stderr and "CorruptDocumentError 1" in result.stderr


def test_password_from_the_environment_and_a_csv_report(tmp_path):
    _mixed_batch(tmp_path)
    result = batchproc("run", "in", "-o", "out", "--format", "{name}{ext}", "--report", "report.csv",
                       "--op", "rotate_pages", "degrees=90", cwd=tmp_path, env=command_env(BATCHPROC_PASSWORD="secret"))
    assert result.returncode == 1
    with open(tmp_path / "report.csv", newline="") as fh:
        rows = {row["input"]: row for row in csv.DictReader(fh)}
    assert list(next(iter(rows.values()))) == ["input", "output", "status", "error_type", "error_message",
                                               "attempts", "seconds"]
    assert rows["in/locked.pdf"]["status"] == "ok" and rotations(rows["in/locked.pdf"]["output"]) == [90, 90]
    assert rows["in/broken.pdf"]["status"] == "failed" and rows["in/broken.pdf"]["error_type"] == "CorruptDocumentError"
    assert rows["in/doc-00.pdf"]["error_message"] == "" and float(rows["in/doc-00.pdf"]["seconds"]) >= 0


def test_a_second_run_skips_finished_files_unless_no_resume(tmp_path):
    pdf_folder(tmp_path / "in", 3)
    args = ["run", "in", "-o", "out", "--report", "report.json", "--op", "rotate_pages", "degrees=90"]
    assert batchproc(*args, cwd=tmp_path).returncode == 0
    again = batchproc(*args, cwd=tmp_path)
    assert again.returncode == 0
    assert [r["status"] for r in read_json_report(tmp_path / "report.json")] == ["skipped"] * 3
    assert "0 succeeded, 0 failed, 3 skipped as already done" in again.stderr
    redo = batchproc(*args, "--no-resume", cwd=tmp_path)
    assert redo.returncode == 0
    assert [r["status"] for r in read_json_report(tmp_path / "report.json")] == ["ok"] * 3
    assert all(rotations(p) == [90, 90] for p in (tmp_path / "out").glob("*.pdf"))


def test_dry_run_after_a_run_shows_what_resuming_would_skip_and_writes_nothing(tmp_path):
    paths = pdf_folder(tmp_path / "in", 3)
    args = ["run", "in", "-o", "out", "--op", "rotate_pages", "degrees=90"]
    assert batchproc(*args, cwd=tmp_path).returncode == 0
    text_pdf(paths[1], pages=3, text="Changed")  # a changed input is done again
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    dry = batchproc(*args, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    plans = {line.split(" -> ")[0]: line.split(" -> ")[1] for line in dry.stdout.splitlines() if " -> " in line}
    assert plans["in/doc-00.pdf"].startswith("skipped, done already: out/doc-00_")
    assert plans["in/doc-02.pdf"].startswith("skipped, done already: out/doc-02_")
    assert plans["in/doc-01.pdf"].startswith("out/doc-01_")
    assert "1 of 3 file(s) would be processed into out, 2 skipped as done already" in dry.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    fresh = batchproc(*args, "--dry-run", "--no-resume", cwd=tmp_path)
    assert "3 of 3 file(s) would be processed" in fresh.stderr and "skipped" not in fresh.stdout


def test_stop_on_error_stops_at_the_first_failure(tmp_path):
    truncated_pdf(tmp_path / "a-broken.pdf")
    pdf_folder(tmp_path / "in", 4)
    result = batchproc("run", "a-broken.pdf", "in", "-o", "out", "--parallel", "none", "--stop-on-error",
                       "--report", "report.json", "--op", "rotate_pages", "degrees=90", cwd=tmp_path)
    assert result.returncode == 1
    records = read_json_report(tmp_path / "report.json")
    assert [r["status"] for r in records] == ["failed"]
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert "stopped at the first failure" in result.stderr


def test_timeout_and_memory_limit_reach_the_runner(tmp_path):
    text_pdf(tmp_path / "slow.pdf", pages=1)
    text_pdf(tmp_path / "greedy.pdf", pages=1)
    env = command_env(BATCHPROC_EXTRA_OPERATIONS="tests.fault_ops")
    timed = batchproc("run", "slow.pdf", "-o", "out", "--timeout", "1", "--retries", "0", "--report", "timed.json",
                      "--op", "fault_hang", "name_contains=slow", "seconds=60", cwd=tmp_path, env=env)
    (record,) = read_json_report(tmp_path / "timed.json")
    assert timed.returncode == 1 and record["error_type"] == "FileTimeoutError"
    squeezed = batchproc("run", "greedy.pdf", "-o", "out", "--memory-limit", "250M", "--report", "squeezed.json",
                         "--op", "fault_eat_memory", "name_contains=greedy", "megabytes=400", cwd=tmp_path, env=env)
    (record,) = read_json_report(tmp_path / "squeezed.json")
    assert squeezed.returncode == 1 and record["error_type"] == "MemoryLimitError"
    assert "250 MiB" in record["error_message"]


def test_every_runner_option_is_passed_on():
    argv = ["run", "in", "-o", "out", "--op", "rotate_pages", "-j", "3", "--parallel", "thread", "--no-resume",
            "--stop-on-error", "--retries", "5", "--timeout", "2.5", "--memory-limit", "1.5G", "--format",
            "{index:04d}{ext}", "--password", "pw", "--dask", "tcp://127.0.0.1:8786"]
    args = build_parser().parse_args(group_op_words(argv))
    assert batch_options(args, "pw") == {
        "parallel": "thread", "max_workers": 3, "resume": False, "continue_on_error": False, "max_retries": 5,
        "file_timeout": 2.5, "memory_limit": 3 << 29, "output_format": "{index:04d}{ext}", "password": "pw",
        "cluster": "tcp://127.0.0.1:8786",
    }
    defaults = batch_options(build_parser().parse_args(["run", "in", "-o", "out"]), None)
    assert defaults == {"parallel": True, "resume": True, "continue_on_error": True, "file_timeout": None,
                        "memory_limit": None, "output_format": "{name}_{index}{ext}", "password": None,
                        "cluster": None}
    assert batch_options(build_parser().parse_args(["run", "in", "-o", "o", "--parallel", "none"]), None)[
        "parallel"] is False


def test_verbose_names_each_file_and_quiet_says_nothing_on_success(tmp_path):
    pdf_folder(tmp_path / "in", 2)
    verbose = batchproc("run", "in", "-o", "out", "-v", "--format", "{name}{ext}", "--op", "rotate_pages", cwd=tmp_path)
    assert verbose.returncode == 0
    assert f"ok: in/doc-01.pdf -> {tmp_path / 'out' / 'doc-01.pdf'}" in verbose.stderr
    quiet = batchproc("run", "in", "-o", "out2", "-q", "--op", "rotate_pages", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
    assert len(list((tmp_path / "out2").glob("*.pdf"))) == 2


def test_the_output_folder_and_report_inside_an_input_folder_are_not_processed(tmp_path):
    pdf_folder(tmp_path / "in", 2)
    args = ["run", "in", "-r", "-o", "in/out", "--report", "in/report.csv", "--op", "rotate_pages", "degrees=90"]
    assert batchproc(*args, cwd=tmp_path).returncode == 0
    again = batchproc(*args, "--no-resume", cwd=tmp_path)
    assert again.returncode == 0 and "2 succeeded, 0 failed" in again.stderr
    with open(tmp_path / "in" / "report.csv", newline="") as fh:
        assert sorted(row["input"] for row in csv.DictReader(fh)) == ["in/doc-00.pdf", "in/doc-01.pdf"]
    assert len(list((tmp_path / "in" / "out").glob("*.pdf"))) == 2


def test_progress_bar_is_drawn_on_a_terminal(tmp_path):
    pdf_folder(tmp_path / "in", 3)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 x 100 characters
    try:
        child = subprocess.Popen([*COMMAND, "run", "in", "-o", "out", "--op", "rotate_pages", "degrees=90"],
                                 cwd=tmp_path, env=command_env(), stderr=follower,
                                 stdout=subprocess.DEVNULL)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert child.wait(timeout=120) == 0
    finally:
        os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "3/3" in text and "failed=0" in text and ("file/s" in text or "s/file" in text)
    assert "3 succeeded, 0 failed" in text


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path):
    pdf_folder(tmp_path / "in", 6)
    text_pdf(tmp_path / "in" / "hang-here.pdf", pages=1)  # its step hangs: Ctrl-C comes while it runs
    env = command_env(BATCHPROC_EXTRA_OPERATIONS="tests.fault_ops")
    args = ["run", "in", "-o", "out", "--format", "{name}{ext}", "-j", "2", "--report", "report.json",
            "--op", "rotate_pages", "degrees=90", "--op", "fault_hang", "name_contains=hang", "seconds=120"]

    child = start_batchproc(*args, cwd=tmp_path, env=env)
    report = tmp_path / "report.json"
    deadline = time.monotonic() + 120
    while not (report.exists() and report.read_text().count('"status"') >= 2):
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()[1]
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C on a terminal does: the whole process group
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "run the same command again to resume" in stderr and "batchproc: interrupted" in stderr
    first = read_json_report(report)  # a complete JSON list even after Ctrl-C
    assert 2 <= len(first) <= 6 and all(r["status"] == "ok" for r in first)
    assert not (tmp_path / "out" / ".batchproc-work").exists()

    (tmp_path / "in" / "hang-here.pdf").rename(tmp_path / "in" / "resumed.pdf")  # no longer hangs
    second = batchproc(*args, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    records = read_json_report(report)
    assert len(records) == 7
    assert {r["input"] for r in records if r["status"] == "skipped"} >= {r["input"] for r in first}
    outputs = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert outputs == sorted([f"doc-0{n}.pdf" for n in range(6)] + ["resumed.pdf"])  # each exactly once
    assert all(set(rotations(tmp_path / "out" / name)) == {90} for name in outputs)


def test_dws_engine_and_a_step_pinned_to_dws(tmp_path, dws_server):
    pdf_folder(tmp_path / "in", 2)
    env = command_env(NUTRIENT_API_KEY=API_KEY)
    remote = batchproc("run", "in", "-o", "remote", "--format", "{name}{ext}", "--engine", "dws",
                       "--base-url", dws_server.base_url, "--op", "rotate_pages", "degrees=90", cwd=tmp_path, env=env)
    assert remote.returncode == 0, remote.stderr
    assert sorted(r.document for r in dws_server.received) == ["doc-00.pdf", "doc-01.pdf"]
    assert all(rotations(p) == [90, 90] for p in (tmp_path / "remote").glob("*.pdf"))

    dws_server.reset()
    mixed = batchproc("run", "in", "-o", "mixed", "--format", "{name}{ext}", "--base-url", dws_server.base_url,
                      "--op", "rotate_pages", "degrees=180", "--op", "watermark_pdf@dws", "text=REMOTE",
                      cwd=tmp_path, env=env)
    assert mixed.returncode == 0, mixed.stderr
    assert len(dws_server.received) == 2
    for path in (tmp_path / "mixed").glob("*.pdf"):
        assert rotations(path) == [180, 180] and "REMOTE" in first_page_text(path)


def test_dws_engine_without_an_api_key_is_a_usage_error(tmp_path):
    pdf_folder(tmp_path / "in", 1)
    result = batchproc("run", "in", "-o", "out", "--engine", "dws", "--op", "rotate_pages", cwd=tmp_path)
    assert result.returncode == 2
    assert "needs an API key" in result.stderr and "NUTRIENT_API_KEY" in result.stderr


def test_a_step_pinned_to_dws_without_an_api_key_is_a_usage_error(tmp_path):
    pdf_folder(tmp_path / "in", 2)
    result = batchproc("run", "in", "-o", "out", "--report", "report.json",
                       "--op", "rotate_pages", "--op", "watermark_pdf@dws", "text=REMOTE", cwd=tmp_path)
    assert result.returncode == 2
    assert "needs an API key" in result.stderr and "NUTRIENT_API_KEY" in result.stderr
    assert not list((tmp_path / "out").glob("*.pdf")) and not (tmp_path / "report.json").exists()


@pytest.mark.dask
def test_dask_runs_the_batch_on_a_cluster(tmp_path):
    import distributed
    from tests.dask_cluster import DaskProcesses

    pdf_folder(tmp_path / "in", 3)
    (tmp_path / "dask").mkdir()
    cluster = DaskProcesses(tmp_path / "dask").start(workers=1)
    try:
        result = batchproc("run", "in", "-o", "out", "--format", "{name}{ext}", "--dask", cluster.address,
                           "-j", "1", "--op", "rotate_pages", "degrees=270", cwd=tmp_path)
        with distributed.Client(cluster.address, set_as_default=False) as client:
            prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        unreachable = batchproc("run", "in", "-o", "out2", "--dask", "tcp://127.0.0.1:9", "--op", "rotate_pages",
                                cwd=tmp_path)
    finally:
        cluster.close()
    assert result.returncode == 0, result.stderr
    assert prefixes == ["run_on_dask_worker"]  # the files' tasks ran on the cluster
    assert unreachable.returncode == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in unreachable.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["doc-00.pdf", "doc-01.pdf", "doc-02.pdf"]
    assert all(rotations(p) == [270, 270] for p in (tmp_path / "out").glob("*.pdf"))


def test_file_names_from_stdin(tmp_path):
    pdf_folder(tmp_path / "in", 3)
    names = "in/doc-02.pdf\nin/doc-00.pdf\n\n"
    planned = batchproc("run", "-", "-o", "out", "--dry-run", "--op", "rotate_pages", cwd=tmp_path, stdin=names)
    assert planned.returncode == 0, planned.stderr
    assert [line for line in planned.stdout.splitlines() if " -> " in line] == [
        "in/doc-02.pdf -> out/doc-02_0.pdf", "in/doc-00.pdf -> out/doc-00_1.pdf"]
    done = batchproc("run", "-", "-o", "out", "--op", "rotate_pages", "degrees=90", cwd=tmp_path, stdin=names)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["doc-00_1.pdf", "doc-02_0.pdf"]
    assert rotations(tmp_path / "out" / "doc-02_0.pdf") == [90, 90]


def test_a_split_step_reports_every_output_of_an_input(tmp_path):
    pdf_folder(tmp_path / "in", 1, pages=3)
    args = ["run", "in", "-o", "out", "--format", "{name}{ext}", "--op", "split_pdf", "pages_per_file=2"]
    assert batchproc(*args, "--report", "report.json", cwd=tmp_path).returncode == 0
    (record,) = read_json_report(tmp_path / "report.json")
    parts = [str(tmp_path / "out" / "doc-00_1.pdf"), str(tmp_path / "out" / "doc-00_2.pdf")]
    assert record["output"] == parts
    assert [len(rotations(p)) for p in parts] == [2, 1]
    assert batchproc(*args, "--no-resume", "--report", "report.csv", cwd=tmp_path).returncode == 0
    with open(tmp_path / "report.csv", newline="") as fh:
        (row,) = csv.DictReader(fh)
    assert row["output"] == "; ".join(parts)

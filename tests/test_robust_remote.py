"""The remote engine under a storm: 429s and 503s (with and without Retry-After), dropped
connections and slow answers from the local DWS test server. Every file is done within
the retry budget, Retry-After is honoured, and the API key shows up nowhere."""

from __future__ import annotations

import io
import logging
import os
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pikepdf
import pytest

from batchproc import Client, errors
from tests.dws_server.fixtures import API_KEY
from tests.dws_server.server import Fault
from tests.factories import text_pdf

ROTATE = [{"method": "rotate_pages", "params": {"degrees": 90}}]
STORM = [
    [Fault.status_code(429, retry_after="0"), Fault.status_code(503)],
    [Fault.drop()],
    [Fault.slow(2), Fault.status_code(502)],
    [Fault.status_code(503, retry_after="1"), Fault.status_code(429), Fault.drop()],
    [],
]
"""Fault sequences dealt round-robin to the files: at most 3 each, the default max_retries."""


def remote(server, **options) -> Client:
    return Client(engine="dws", api_key=API_KEY, base_url=server.base_url, read_timeout_s=1, **options)


def rotation(data: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


@pytest.fixture
def request_times(dws_server):
    """{document name: [monotonic time of each request]}, recorded as the server sees them."""
    entries = []
    record = dws_server._record

    def timed(received):
        entries.append((time.monotonic(), received))  # .document is filled in after this
        record(received)

    def by_document() -> dict[str, list[float]]:
        grouped: dict[str, list[float]] = defaultdict(list)
        for when, received in entries:
            grouped[received.document].append(when)
        return grouped

    dws_server._record = timed
    yield by_document
    del dws_server._record  # back to the class's method


def test_storm_of_faults_every_file_done_once_within_the_retry_budget(dws_server, tmp_path):
    files = []
    for n in range(15):
        files.append(tmp_path / f"s{n:02d}.pdf")
        text_pdf(files[-1], pages=1)
        if STORM[n % len(STORM)]:
            dws_server.inject(*STORM[n % len(STORM)], file=files[-1].name)
    records = list(remote(dws_server).iter_batch(files, ROTATE, output_dir=tmp_path / "out", max_workers=4))
    assert [r.error for r in records if not r.ok] == []
    by_name = {Path(r.input).name: r for r in records}
    for n, path in enumerate(files):
        faults = len(STORM[n % len(STORM)])
        assert by_name[path.name].attempts == faults + 1, path.name
        assert dws_server.count(path.name) == faults + 1, path.name
        assert rotation(by_name[path.name].output.read_bytes()) == [90]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == \
        sorted(f"{p.stem}_{n}.pdf" for n, p in enumerate(files))


def test_retry_after_is_honoured_between_attempts(dws_server, tmp_path, request_times):
    path = tmp_path / "patient.pdf"
    text_pdf(path, pages=1)
    dws_server.inject(Fault.status_code(429, retry_after="2"), Fault.status_code(503, retry_after="1"), file=path.name)
    (record,) = list(remote(dws_server).iter_batch([path], ROTATE, parallel=False))
    assert record.ok and record.attempts == 3
    first, second, third = request_times()[path.name]
    assert second - first >= 1.9 and third - second >= 0.9


def test_a_file_past_the_retry_budget_fails_alone_with_the_last_transient_error(dws_server, tmp_path):
    doomed, fine = tmp_path / "doomed.pdf", tmp_path / "fine.pdf"
    text_pdf(doomed, pages=1)
    text_pdf(fine, pages=1)
    dws_server.inject(*[Fault.status_code(503, retry_after="0")] * 3, file=doomed.name)
    records = {Path(r.input).name: r for r in remote(dws_server).iter_batch(
        [doomed, fine], ROTATE, max_workers=2, max_retries=2)}
    assert isinstance(records["doomed.pdf"].error, errors.ServerError)
    assert records["doomed.pdf"].error.status == 503 and records["doomed.pdf"].attempts == 3
    assert records["fine.pdf"].ok and rotation(records["fine.pdf"].output) == [90]


def test_api_key_never_appears_in_batch_results_errors_or_logs(dws_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    files = []
    for n in range(4):
        files.append(tmp_path / f"k{n}.pdf")
        text_pdf(files[-1], pages=1)
    dws_server.inject(*[Fault.status_code(503, retry_after="0")] * 2, file="k0.pdf")
    dws_server.inject(Fault.status_code(500), file="k1.pdf")
    dws_server.inject(Fault.status_code(422), file="k2.pdf")
    out = tmp_path / "out"
    client = remote(dws_server)
    result = client.batch_process(files, ROTATE, output_dir=out, max_workers=2, max_retries=1)
    assert len(result.failed) == 3
    seen = [repr(client), repr(result), caplog.text]
    for _, exc in result.failed:
        seen += [str(exc), repr(exc), repr(vars(exc)), pickle.dumps(exc).hex()]
    seen += [p.read_bytes().hex() for p in out.iterdir() if p.is_file()]  # journal and outputs
    assert not [text for text in seen if API_KEY in text or API_KEY.encode().hex() in text]


def test_api_key_never_appears_in_the_cli_output_or_its_report(dws_server, tmp_path):
    files = []
    for n in range(3):
        files.append(tmp_path / f"c{n}.pdf")
        text_pdf(files[-1], pages=1)
    dws_server.inject(Fault.status_code(500), file="c0.pdf")
    dws_server.inject(Fault.status_code(403), file="c1.pdf")
    report = tmp_path / "report.json"
    env = dict(os.environ, NUTRIENT_API_KEY=API_KEY)
    done = subprocess.run(
        [sys.executable, "-m", "batchproc", "run", *map(str, files), "-o", str(tmp_path / "out"), "-v",
         "--engine", "dws", "--base-url", dws_server.base_url, "--report", str(report),
         "--op", "rotate_pages", "degrees=90"],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode != 0 and "c0.pdf" in done.stdout + done.stderr  # the failures are reported
    for text in (done.stdout, done.stderr, report.read_text()):
        assert API_KEY not in text

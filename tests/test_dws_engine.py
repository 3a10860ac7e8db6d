"""The dws engine against a real HTTP server speaking the DWS protocol (tests/dws_server):
same outputs as the local engine, one request per file when the chain fuses, typed errors
for every status, faults survived by the batch runner, mixed local/remote chains, and an
API key that never leaks."""

from __future__ import annotations

import email.utils
import io
import json
import logging
import pickle
import time

import pikepdf
import pytest

from batchproc import Client, Pipeline, errors
from batchproc.batch.retry import backoff_delay_s, should_retry
from batchproc.engines import EngineSpec, engine_for
from batchproc.engines.chain import run_pipeline
from batchproc.engines.dws import DWSEngine
from batchproc.engines.dws.transport import Transport, Upload
from batchproc.inputs import Source
from tests.dws_server import Fault
from tests.dws_server.fixtures import API_KEY
from tests.factories import page_texts, text_pdf
from tests.factories_batch import pdf_batch


def remote(server, **options) -> Client:
    return Client(engine="dws", api_key=API_KEY, base_url=server.base_url, **options)


def run_once(server, src, tmp_path, operations=None, **options):
    """One attempt on the dws engine, with no retries (the seam the batch runner calls)."""
    spec = EngineSpec("dws", {"api_key": API_KEY, "base_url": server.base_url, **options})
    pipeline = Pipeline.from_operations(operations or [op("rotate_pages", degrees=90)])
    folder = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    return run_pipeline(spec, pipeline, Source.from_user(src), folder)


def rotations(data: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]


def sizes(data: bytes) -> list[tuple[float, float]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [(round(float(p.mediabox[2])), round(float(p.mediabox[3]))) for p in pdf.pages]


def op(method: str, **params):
    return {"method": method, "params": params}


EQUIVALENT_PIPELINES = [
    pytest.param([op("rotate_pages", degrees=90, page_indexes=[0, 2]), op("watermark_pdf", text="DRAFT"),
                  op("set_pdf_metadata", title="Quarterly")], 1, id="rotate-some+watermark+metadata"),
    pytest.param([op("delete_pdf_pages", page_indexes=[1]), op("duplicate_pdf_pages", page_indexes=[0, -1, 0]),
                  op("add_page", insert_index=1, page_size="Letter")], 1, id="page-structure"),
    pytest.param([op("watermark_pdf", text="DRAFT"), op("delete_pdf_pages", page_indexes=[0])], 2,
                 id="page-edit-after-action"),
    pytest.param([op("rotate_pages", degrees=180), op("password_protect_pdf", user_password="u", owner_password="o")],
                 1, id="password"),
    pytest.param([op("set_page_label", labels=[{"pages": {"start": 0, "end": 1}, "label": "Intro"}])], 1,
                 id="labels"),
    pytest.param([op("set_page_label", labels=[{"pages": [1], "label": "Body"}]), op("watermark_pdf", text="X"),
                  op("delete_pdf_pages", page_indexes=[0])], 2, id="labels-then-page-edit"),
]


@pytest.mark.parametrize("operations, requests", EQUIVALENT_PIPELINES)
def test_remote_output_equals_local_output_in_the_fused_number_of_requests(dws_server, tmp_path, operations, requests):
    src = tmp_path / "report.pdf"
    text_pdf(src, pages=3)
    password = "u" if any(o["method"] == "password_protect_pdf" for o in operations) else None
    local, dws = Client().process(src, operations), remote(dws_server).process(src, operations)
    assert dws_server.count("report.pdf") == requests
    assert all(r.status == 200 for r in dws_server.received)
    with pikepdf.open(io.BytesIO(local), password=password or "") as a, \
            pikepdf.open(io.BytesIO(dws), password=password or "") as b:
        assert len(a.pages) == len(b.pages)
        assert [p.obj.get("/Rotate", 0) for p in a.pages] == [p.obj.get("/Rotate", 0) for p in b.pages]
        assert a.is_encrypted == b.is_encrypted
        assert a.docinfo.get("/Title") == b.docinfo.get("/Title")
        assert [p.label for p in a.pages] == [p.label for p in b.pages]
    if password is None:
        assert page_texts(local) == page_texts(dws)
        assert sizes(local) == sizes(dws)


def test_split_returns_one_pdf_per_range_with_one_request_each(dws_server, tmp_path):
    src = tmp_path / "book.pdf"
    text_pdf(src, pages=4, text="Book")
    parts = remote(dws_server).split_pdf(src, [{"start": 0, "end": 0}, {"start": 1}])
    assert dws_server.count("book.pdf") == 2
    assert [len(page_texts(p)) for p in parts] == [1, 3]
    assert page_texts(parts[1])[0].startswith("Book page 2")


def test_images_come_back_one_per_page_named_like_the_local_engine(dws_server, tmp_path):
    src = tmp_path / "deck.pdf"
    text_pdf(src, pages=3)
    pipeline = Pipeline.single("convert_to_images", {"format": "png", "pages": {"start": 1}, "dpi": 30})
    spec = EngineSpec("dws", {"api_key": API_KEY, "base_url": dws_server.base_url})
    (tmp_path / "r").mkdir()
    (tmp_path / "l").mkdir()
    artifacts = run_pipeline(spec, pipeline, Source.from_user(src), tmp_path / "r")
    expected = run_pipeline(EngineSpec("local"), pipeline, Source.from_user(src), tmp_path / "l")
    assert [(a.suffix, a.ext) for a in artifacts] == [(a.suffix, a.ext) for a in expected] == [
        ("_page2", ".png"), ("_page3", ".png")]
    assert all(a.path.read_bytes().startswith(b"\x89PNG") for a in artifacts)


@pytest.mark.parametrize("output", ["text", "json"])
def test_extract_text_matches_the_local_engine(dws_server, tmp_path, output):
    src = tmp_path / "memo.pdf"
    text_pdf(src, pages=3, text="Memo")
    local = Client().extract_text(src, pages={"start": 1}, output=output)
    assert remote(dws_server).extract_text(src, pages={"start": 1}, output=output) == local
    assert dws_server.count("memo.pdf") == 1


def test_an_image_input_is_converted_remotely_before_pages_are_addressed(dws_server, tmp_path):
    from PIL import Image

    src = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(src)
    out = remote(dws_server).duplicate_pdf_pages(src, page_indexes=[0, 0, 0])
    assert len(sizes(out)) == 3
    assert dws_server.count("scan.png") == 1 and dws_server.count("scan.pdf") == 1


def test_merge_and_an_image_watermark_upload_their_files_as_named_parts(dws_server, tmp_path):
    from PIL import Image

    first, second, logo = tmp_path / "first.pdf", tmp_path / "second.pdf", tmp_path / "logo.png"
    text_pdf(first, pages=2, text="First")
    text_pdf(second, pages=1, text="Second")
    Image.new("RGB", (60, 30), "red").save(logo)
    operations = [op("merge_pdfs", input_files=[str(second), logo.read_bytes()]),
                  op("watermark_pdf", image_file=str(logo), opacity=0.5)]
    out = remote(dws_server).process(first, operations)
    (request,) = dws_server.received
    assert request.filenames == {"document": "first.pdf", "file": "second.pdf", "file_2": "file_2",
                                 "watermark": "logo.png"}
    assert request.instructions["parts"] == [{"file": "document"}, {"file": "file"}, {"file": "file_2"}]
    assert request.instructions["actions"][0]["image"] == "watermark"
    texts = page_texts(out)
    assert len(texts) == 4 and texts[2].startswith("Second page 1")
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert all(page.get_images() for page in pdf.pages)  # the mark is on every page


# -- statuses and failures -------------------------------------------------------------------

@pytest.mark.parametrize(
    "fault, error, transient, retry_after_s",
    [
        (Fault.status_code(401), errors.AuthenticationError, False, None),
        (Fault.status_code(403), errors.AuthenticationError, False, None),
        (Fault.status_code(402), errors.PaymentRequiredError, False, None),
        (Fault.status_code(413), errors.PayloadTooLargeError, False, None),
        (Fault.status_code(422), errors.APIValidationError, False, None),
        (Fault.status_code(429, retry_after="7"), errors.RateLimitedError, True, 7.0),
        (Fault.status_code(500), errors.ServerError, False, None),
        (Fault.status_code(503, retry_after="2"), errors.ServerError, True, 2.0),
        (Fault.status_code(504), errors.ServerError, True, None),
    ],
)
def test_statuses_map_to_typed_errors_with_status_and_request_id(dws_server, tmp_path, fault, error, transient,
                                                                  retry_after_s):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    dws_server.inject(fault)
    with pytest.raises(error) as info:
        run_once(dws_server, src, tmp_path)
    exc = info.value
    assert type(exc) is error
    assert exc.status == fault.status and exc.request_id.startswith("req-")
    assert exc.transient is transient and exc.retry_after_s == retry_after_s
    assert exc.source == str(src)
    assert dws_server.count("a.pdf") == 1
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.status, back.request_id) == (error, exc.status, exc.request_id)


def test_retry_after_as_an_http_date(dws_server, tmp_path):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    dws_server.inject(Fault.status_code(429, retry_after=when))
    with pytest.raises(errors.RateLimitedError) as info:
        run_once(dws_server, src, tmp_path)
    assert 25 <= info.value.retry_after_s <= 31


def test_schema_rejection_carries_the_servers_failing_paths(dws_server, tmp_path):
    transport = Transport(DWSEngine(api_key=API_KEY, base_url=dws_server.base_url).options)
    with pytest.raises(errors.APIValidationError) as info:
        transport.build({"parts": [{"file": "document", "pages": {"start": 0, "stop": 1}}]},
                        {"document": Upload("a.pdf", text_pdf(pages=1))}, tmp_path / "out.pdf")
    assert info.value.status == 400
    assert {"path": "$.instructions.parts[0].pages.stop", "details": "unknown key (not in the DWS schema)"} in \
        info.value.failing_paths
    assert "$.instructions.parts[0].pages.stop" in str(info.value)


def test_a_page_out_of_range_on_the_server_is_a_validation_error(dws_server, tmp_path):
    transport = Transport(DWSEngine(api_key=API_KEY, base_url=dws_server.base_url).options)
    with pytest.raises(errors.APIValidationError) as info:
        transport.build({"parts": [{"file": "document", "pages": {"start": 2, "end": 2}}]},
                        {"document": Upload("a.pdf", text_pdf(pages=2))}, tmp_path / "out.pdf")
    assert info.value.failing_paths[0]["path"] == "$.instructions.parts[0].pages.start"


@pytest.mark.parametrize("fault", [Fault.slow(3), Fault.drop()], ids=["read-timeout", "dropped-mid-body"])
def test_timeouts_and_dropped_connections_are_transient_network_errors(dws_server, tmp_path, fault):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    dws_server.inject(fault)
    with pytest.raises(errors.NetworkError) as info:
        run_once(dws_server, src, tmp_path, read_timeout_s=1)
    assert info.value.transient and info.value.status is None
    assert info.value.__context__ is None  # requests' exception stays behind (it does not pickle)


def test_connection_refused_is_a_network_error(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = EngineSpec("dws", {"api_key": "k", "base_url": f"http://127.0.0.1:{port}"})
    with pytest.raises(errors.NetworkError):
        run_pipeline(spec, Pipeline.single("rotate_pages", {"degrees": 90}), Source.from_user(text_pdf(pages=1)),
                     tmp_path)


def test_a_simple_retry_loop_with_the_runners_policy_survives_every_transient_fault(dws_server, tmp_path):
    src = tmp_path / "flaky.pdf"
    text_pdf(src, pages=2)
    dws_server.inject(Fault.status_code(429, retry_after="0"), Fault.status_code(503), Fault.drop(),
                      Fault.slow(2), file="flaky.pdf")
    spec = EngineSpec("dws", {"api_key": API_KEY, "base_url": dws_server.base_url, "read_timeout_s": 1})
    pipeline = Pipeline.single("rotate_pages", {"degrees": 90})
    attempts = 0
    while True:
        attempts += 1
        folder = tmp_path / f"try-{attempts}"
        folder.mkdir()
        try:
            artifacts = run_pipeline(spec, pipeline, Source.from_user(src), folder)
            break
        except errors.BatchprocError as exc:
            assert should_retry(exc, attempts, max_retries=5), exc
            time.sleep(min(backoff_delay_s(exc, attempts), 0.2))
    assert attempts == 5
    assert rotations(artifacts[0].path.read_bytes()) == [90, 90]


def test_batch_over_the_remote_engine_processes_each_file_once_despite_faults(dws_server, tmp_path):
    files = []
    for i in range(6):
        files.append(tmp_path / f"f{i}.pdf")
        text_pdf(files[-1], pages=2)
    dws_server.inject(Fault.status_code(429, retry_after="0"), Fault.status_code(503), file="f0.pdf")
    dws_server.inject(Fault.drop(), file="f1.pdf")
    dws_server.inject(Fault.slow(2), file="f2.pdf")
    operations = [op("rotate_pages", degrees=90, page_indexes=[0]), op("watermark_pdf", text="X")]
    result = remote(dws_server, read_timeout_s=1).batch_process(
        files, operations, output_dir=tmp_path / "out", max_workers=3)
    assert result.failed == [] and len(result.successful) == 6
    served = [sum(1 for r in dws_server.received if r.document == f.name and r.status == 200 and r.fault is None)
              for f in files]
    assert served == [1] * 6
    assert [dws_server.count(f.name) for f in files] == [3, 2, 2, 1, 1, 1]
    for _, out in result.successful:
        assert rotations(out.read_bytes()) == [90, 0]


def test_direct_methods_retry_transient_errors_a_bounded_number_of_times(dws_server, tmp_path):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    dws_server.inject(Fault.status_code(429, retry_after="0"), Fault.status_code(503, retry_after="0"))
    assert rotations(remote(dws_server).rotate_pages(src, degrees=90)) == [90]
    assert dws_server.count("a.pdf") == 3
    dws_server.reset()
    dws_server.inject(*[Fault.status_code(503, retry_after="0")] * 3)
    with pytest.raises(errors.ServerError):
        remote(dws_server).rotate_pages(src, degrees=90)
    assert dws_server.count("a.pdf") == 3
    dws_server.reset()
    dws_server.inject(Fault.status_code(401))
    with pytest.raises(errors.AuthenticationError):
        remote(dws_server).rotate_pages(src, degrees=90)
    assert dws_server.count("a.pdf") == 1


def test_a_wrong_key_fails_fast_without_retries(dws_server, tmp_path):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    client = Client(engine="dws", api_key="wrong-key", base_url=dws_server.base_url)
    result = client.batch_process([src], [op("rotate_pages", degrees=90)], parallel=False, max_retries=5)
    (_, exc), = result.failed
    assert isinstance(exc, errors.AuthenticationError) and exc.status == 401
    assert len(dws_server.received) == 1


def test_missing_key_fails_when_the_client_is_made(monkeypatch):
    monkeypatch.delenv("NUTRIENT_API_KEY", raising=False)
    with pytest.raises(errors.AuthenticationError, match="NUTRIENT_API_KEY"):
        Client(engine="dws")


def test_key_from_the_environment(dws_server, monkeypatch, tmp_path):
    monkeypatch.setenv("NUTRIENT_API_KEY", API_KEY)
    assert rotations(Client(engine="dws", base_url=dws_server.base_url).rotate_pages(text_pdf(pages=1), degrees=90)) \
        == [90]
    assert dws_server.received[-1].user_agent.startswith("batchproc/")


def test_the_key_never_appears_in_reprs_errors_or_logs(dws_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    client = remote(dws_server, read_timeout_s=1)
    seen = [repr(client), repr(client.engine_spec), str(client.engine_spec)]
    engine = engine_for(EngineSpec("dws", {"api_key": API_KEY, "base_url": dws_server.base_url}))
    seen += [repr(engine), repr(engine.options), repr(engine.transport), repr(engine.transport._pool), str(vars(engine.transport).keys())]
    for fault in (Fault.status_code(401), Fault.status_code(503), Fault.slow(2), Fault.drop()):
        dws_server.inject(fault)
        with pytest.raises(errors.APIError) as info:
            run_once(dws_server, src, tmp_path, read_timeout_s=1)
        seen += [str(info.value), repr(info.value), repr(info.value.details), pickle.dumps(info.value).hex()]
    mixed = Client(api_key=API_KEY, base_url=dws_server.base_url)
    seen += [repr(mixed), repr(mixed.engine_spec)]
    seen.append(caplog.text)
    assert not [text for text in seen if API_KEY in text or API_KEY.encode().hex() in text]
    assert '"POST /build HTTP/1.1" 401' in caplog.text  # the HTTP layer's debug log was captured


def test_engine_options_are_validated(dws_server):
    with pytest.raises(errors.ValidationError, match="timeout_s"):
        Client(engine="dws", api_key="k", timeout_s=5)
    with pytest.raises(errors.ValidationError, match="read_timeout_s"):
        Client(engine="dws", api_key="k", read_timeout_s=0)


# -- mixed pipelines -------------------------------------------------------------------------

def test_local_remote_local_chain_runs_remote_steps_in_one_request(dws_server, tmp_path):
    src = tmp_path / "mixed.pdf"
    text_pdf(src, pages=3)
    operations = [
        op("rotate_pages", degrees=90, page_indexes=[0]),
        {**op("delete_pdf_pages", page_indexes=[2]), "engine": "dws"},
        {**op("watermark_pdf", text="REMOTE"), "engine": "dws"},
        op("set_pdf_metadata", title="Mixed"),
    ]
    out = Client(api_key=API_KEY, base_url=dws_server.base_url).process(src, operations)
    (request,) = dws_server.received
    assert request.instructions == {
        "parts": [{"file": "document", "pages": {"start": 0, "end": 1}}],
        "actions": [{"type": "watermark", "text": "REMOTE", "width": {"value": 200, "unit": "pt"},
                     "height": {"value": 100, "unit": "pt"}, "rotation": 0, "opacity": 1.0,
                     "fontFamily": "Helvetica", "fontColor": "#000000"}],
        "output": {"type": "pdf"},
    }
    assert rotations(out) == [90, 0]
    assert all("REMOTE" in text for text in page_texts(out))
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Mixed"


def test_a_remote_step_in_a_local_batch_without_a_key_fails_naming_the_file(monkeypatch, tmp_path):
    monkeypatch.delenv("NUTRIENT_API_KEY", raising=False)
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=1)
    with pytest.raises(errors.AuthenticationError) as info:
        Client().process(src, [{**op("rotate_pages", degrees=90), "engine": "dws"}])
    assert info.value.source == str(src)


def test_a_remote_step_in_a_local_batch_without_a_key_stops_the_batch_before_any_work(monkeypatch, tmp_path):
    monkeypatch.delenv("NUTRIENT_API_KEY", raising=False)
    files = pdf_batch(tmp_path / "in", 3)
    operations = [op("rotate_pages", degrees=90), {**op("rotate_pages", degrees=90), "engine": "dws"}]
    with pytest.raises(errors.AuthenticationError, match="NUTRIENT_API_KEY"):
        Client().batch_process(files, operations, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_only_the_last_segment_may_split(dws_server, tmp_path):
    src = tmp_path / "a.pdf"
    text_pdf(src, pages=2)
    operations = [{**op("split_pdf", pages_per_file=1), "engine": "dws"}, op("rotate_pages", degrees=90)]
    with pytest.raises(errors.UnsupportedOperationError, match="last engine"):
        Client(api_key=API_KEY, base_url=dws_server.base_url).process(src, operations)


def test_encrypting_before_another_engine_is_refused_before_any_work(dws_server, tmp_path):
    files = pdf_batch(tmp_path / "in", 2)
    operations = [op("password_protect_pdf", user_password="pw"), {**op("rotate_pages", degrees=90), "engine": "dws"}]
    client = Client(api_key=API_KEY, base_url=dws_server.base_url)
    with pytest.raises(errors.UnsupportedOperationError, match="step 0 .*encrypt it"):
        client.batch_process(files, operations, tmp_path / "out")
    assert dws_server.received == [] and not (tmp_path / "out").exists()


def test_encrypting_after_the_remote_steps_encrypts_the_output(dws_server, tmp_path):
    files = pdf_batch(tmp_path / "in", 2)
    operations = [{**op("rotate_pages", degrees=90), "engine": "dws"}, op("password_protect_pdf", user_password="pw")]
    result = Client(api_key=API_KEY, base_url=dws_server.base_url).batch_process(files, operations, tmp_path / "out")
    assert result.failed == [] and len(dws_server.received) == 2
    for _, output in result.successful:
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(output)
        with pikepdf.open(output, password="pw") as pdf:
            assert pdf.is_encrypted and [int(page.obj.get("/Rotate", 0)) for page in pdf.pages] == [90]


def test_ocr_remote_matches_local_text(dws_server, tmp_path):
    from tests.factories_core import scanned_pdf

    src = tmp_path / "scan.pdf"
    scanned_pdf(src, lines=["HELLO OCR WORLD"], dpi=150)
    out = remote(dws_server).ocr_pdf(src, language="english")
    assert "HELLO" in page_texts(out)[0].upper()
    assert json.loads(json.dumps(dws_server.received[-1].instructions))["actions"] == [
        {"type": "ocr", "language": "english"}]


STREAMING_CLIENT = """
import resource, sys
from pathlib import Path
from batchproc.engines.dws.options import DWSOptions
from batchproc.engines.dws.transport import Transport, Upload
base_url, key, src, dst = sys.argv[1:]
transport = Transport(DWSOptions.from_options(api_key=key, base_url=base_url))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
transport.build({"parts": [{"file": "document"}], "output": {"type": "pdf"}},
                {"document": Upload("big.pdf", Path(src), "application/pdf")}, Path(dst))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_uploads_and_downloads_stream_instead_of_holding_the_file_in_memory(dws_server, tmp_path):
    import os
    import subprocess
    import sys

    big, out = tmp_path / "big.pdf", tmp_path / "out.pdf"
    size = 24 << 20
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        image = pikepdf.Stream(pdf, os.urandom(size), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                               Width=size // 4096, Height=4096, ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
        pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        pdf.save(big, compress_streams=False)
    done = subprocess.run([sys.executable, "-c", STREAMING_CLIENT, dws_server.base_url, API_KEY, str(big), str(out)],
                          capture_output=True, text=True, timeout=300, check=True)
    growth_kib = int(done.stdout.strip())
    assert out.stat().st_size > size  # the whole file went up and came back
    assert growth_kib < (size >> 10) // 4, f"the client's peak memory grew by {growth_kib} KiB"


def test_proxy_environment_is_read_once_when_the_transport_is_made(monkeypatch):
    from batchproc.engines.dws.options import DWSOptions
    from batchproc.engines.dws.transport import Transport

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    remote = Transport(DWSOptions(api_key="k"))
    assert remote.proxy == "http://proxy.example:3128"
    assert remote._pool.proxy.host == "proxy.example"  # every request goes through it
    local = Transport(DWSOptions(api_key="k", base_url="https://internal.example"))
    assert local.proxy is None and local._pool.proxy is None


def test_ca_bundle_environment_is_honoured_as_requests_reads_it(monkeypatch, tmp_path):
    from batchproc.engines.dws.options import DWSOptions
    from batchproc.engines.dws.transport import Transport

    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not read until a TLS connection is made")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert Transport(DWSOptions(api_key="k"))._pool.connection_pool_kw["ca_certs"] == str(bundle)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path))
    assert Transport(DWSOptions(api_key="k"))._pool.connection_pool_kw["ca_cert_dir"] == str(tmp_path)

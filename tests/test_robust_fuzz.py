"""Fuzzing with hypothesis the parts that read untrusted text: operation lists and their
params, output_format, Instant JSON and XFDF input, and the remote engine's response
parsing. Every input gives a result or a BatchprocError, never another exception.

Examples are derandomized (the same ones every run: the suite never flakes); run with
`--hypothesis-seed=random` and `HYPOTHESIS_PROFILE=deep` locally to search further.
"""

from __future__ import annotations

import io
import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from urllib3.response import HTTPResponse

from batchproc import BatchprocError, Client, Pipeline, errors
from batchproc.batch.naming import OutputNamer
from batchproc.engines.base import Artifact
from batchproc.operations import load_all
from tests.factories import text_pdf

settings.register_profile(
    "robust", derandomize=True, deadline=None, max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("deep", deadline=None, max_examples=3000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "robust"))

REGISTRY = load_all()
METHODS = sorted(REGISTRY)
PARAM_NAMES = sorted({p.name for op in REGISTRY.values() for p in op.params})

json_scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
param_values = json_values | st.binary(max_size=20) | st.sampled_from(
    [[0, -1], {"start": 0, "end": -1}, "#ff0000", "center", 90, "eng", "pdf", "png", [{"start": 0}]]
)


def call_is_typed(fn, *args, **kwargs):
    """Run fn; a BatchprocError is a fine answer, anything else fails the test."""
    try:
        return fn(*args, **kwargs)
    except BatchprocError as exc:
        assert str(exc)  # it says something
        return exc


# -- operation lists ------------------------------------------------------------------------------


@given(json_values | st.lists(json_values, max_size=4))
def test_any_json_as_operations_is_a_pipeline_or_an_operation_error(operations):
    outcome = call_is_typed(Pipeline.from_operations, operations)
    assert isinstance(outcome, (Pipeline, errors.OperationError))


step = st.fixed_dictionaries(
    {"method": st.sampled_from(METHODS)},
    optional={
        "params": st.dictionaries(st.sampled_from(PARAM_NAMES), param_values, max_size=4),
        "engine": st.sampled_from(["local", "dws", "cloud", None]),
    },
)


@given(st.lists(step, min_size=1, max_size=4), st.none() | st.text(max_size=8) | st.integers())
def test_real_methods_with_any_params_validate_or_fail_naming_the_step(operations, password):
    outcome = call_is_typed(Pipeline.from_operations, operations, password=password)
    if isinstance(outcome, Pipeline):
        assert len(outcome.steps) == len(operations)
        assert len(outcome.fingerprint()) == 16
    else:
        assert isinstance(outcome, errors.OperationError)
        assert "step" in outcome.message or "password" in outcome.message or "operations" in outcome.message


# -- output_format ----------------------------------------------------------------------------------

format_text = st.text(alphabet=string.ascii_letters + string.digits + "{}!:<>^=+-.,_/\\%$ ~#\x00é", max_size=24)
format_pieces = st.lists(
    st.sampled_from(["{name}", "{index}", "{ext}", "{index:05d}", "{name!r}", "{0}", "{}", "{index:>{name}}",
                     "..", "/", "{name.__class__}", "{index[0]}", "{index:99999}", "{", "}", "_"]) | format_text,
    max_size=5,
).map("".join)


@given(format_pieces, st.text(max_size=20), st.integers(0, 10**9))
def test_output_format_is_refused_or_expands_to_one_plain_file_name(output_format, name, index):
    namer = call_is_typed(OutputNamer, output_format)
    if isinstance(namer, BatchprocError):
        assert isinstance(namer, errors.OutputNameError)
        return
    expansion = call_is_typed(namer.claim, name=name, index=index)
    if isinstance(expansion, BatchprocError):
        assert isinstance(expansion, errors.OutputNameError)
        return
    from batchproc.batch.naming import final_name

    final = final_name(expansion, Artifact(Path("x"), ".pdf"))
    assert final and "/" not in final and "\x00" not in final and final not in (".", "..")
    assert len(final.encode("utf-8", "surrogateescape")) <= 255, "longer than a file name may be"


# -- Instant JSON and XFDF ----------------------------------------------------------------------------

INSTANT_TYPES = ["pspdfkit/markup/highlight", "pspdfkit/ink", "pspdfkit/note", "pspdfkit/text",
                 "pspdfkit/shape/rectangle", "pspdfkit/shape/ellipse", "pspdfkit/shape/line",
                 "pspdfkit/stamp", "pspdfkit/link", "pspdfkit/markup/redaction", "pspdfkit/unknown"]
numbers = st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
annotation = st.fixed_dictionaries(
    {"type": st.sampled_from(INSTANT_TYPES) | json_scalars},
    optional={
        "pageIndex": st.integers(-3, 5) | json_scalars,
        "bbox": st.lists(numbers, max_size=5) | json_values,
        "rects": st.lists(st.lists(numbers, max_size=5), max_size=3) | json_values,
        "lines": json_values | st.fixed_dictionaries({"points": st.lists(st.lists(st.lists(numbers, max_size=3), max_size=3), max_size=2)}),
        "text": json_values | st.fixed_dictionaries({"format": st.sampled_from(["plain", "xhtml", "x"]), "value": json_values}),
        "color": st.sampled_from(["#ff0000", "#FFF", "red", ""]) | json_values,
        "opacity": numbers | json_scalars,
        "strokeWidth": numbers | json_scalars,
        "startPoint": st.lists(numbers, max_size=3) | json_values,
        "endPoint": st.lists(numbers, max_size=3) | json_values,
        "action": json_values | st.fixed_dictionaries({"type": st.sampled_from(["uri", "goTo"]), "uri": json_values, "pageIndex": json_values}),
        "v": st.integers(0, 3) | json_scalars,
    },
)
instant_docs = st.fixed_dictionaries(
    {"format": st.sampled_from(["https://pspdfkit.com/instant-json/v1", "nope"]) | json_scalars},
    optional={
        "annotations": st.lists(annotation | json_values, max_size=3) | json_values,
        "formFieldValues": st.lists(st.fixed_dictionaries({"name": json_scalars}, optional={"value": json_values}), max_size=2) | json_values,
        "formFields": json_values,
    },
)

SMALL_PDF = text_pdf(pages=2)


def run_local(method: str, params: dict) -> object:
    return call_is_typed(Client().process, SMALL_PDF, [{"method": method, "params": params}])


@given(instant_docs)
def test_any_instant_json_document_is_applied_or_refused(document):
    outcome = run_local("apply_instant_json", {"instant_json": document})
    assert isinstance(outcome, (bytes, BatchprocError))


@given(st.text(max_size=200).map(lambda t: "{" + t) | st.binary(max_size=200))
def test_any_instant_json_text_is_applied_or_refused(raw):
    outcome = run_local("apply_instant_json", {"instant_json": raw})
    assert isinstance(outcome, (bytes, BatchprocError))


def test_deeply_nested_instant_json_is_refused_not_a_recursion_error():
    outcome = run_local("apply_instant_json", {"instant_json": "{" + '"a":[' * 50000})
    assert isinstance(outcome, BatchprocError)


XFDF_TAGS = ["highlight", "ink", "text", "freetext", "square", "circle", "line", "stamp", "link", "redact", "bogus"]
xfdf_attr = st.sampled_from(["page", "rect", "color", "opacity", "coords", "width", "start", "end", "title", "name", "flags"])
xfdf_value = st.text(alphabet="0123456789.,-# eE+abcdefxyzNaInf", max_size=30)


@st.composite
def xfdf_documents(draw):
    annots = []
    for _ in range(draw(st.integers(0, 3))):
        tag = draw(st.sampled_from(XFDF_TAGS))
        attrs = " ".join(f'{k}="{v}"' for k, v in draw(st.dictionaries(xfdf_attr, xfdf_value, max_size=6)).items())
        inner = draw(st.sampled_from(["", "<contents>hi</contents>", "<gesture>1,2;3,4</gesture>",
                                      "<inklist><gesture>0,0;10,10</gesture></inklist>", "<contents-richtext><body/></contents-richtext>"]))
        annots.append(f"<{tag} {attrs}>{inner}</{tag}>")
    fields = "".join(
        f'<field name="{draw(st.text(alphabet=string.ascii_letters + ".", max_size=8))}"><value>{draw(xfdf_value)}</value></field>'
        for _ in range(draw(st.integers(0, 2)))
    )
    root = draw(st.sampled_from(["xfdf", "XFDF", "x:xfdf"]))
    ns = ' xmlns="http://ns.adobe.com/xfdf/"' if draw(st.booleans()) else ""
    return f"<{root}{ns}><annots>{''.join(annots)}</annots><fields>{fields}</fields></{root}>"


@given(xfdf_documents() | st.text(max_size=200).map(lambda t: "<" + t) | st.binary(max_size=100))
def test_any_xfdf_is_applied_or_refused(document):
    outcome = run_local("apply_xfdf", {"xfdf": document})
    assert isinstance(outcome, (bytes, BatchprocError))


def test_xml_entity_bomb_in_xfdf_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
            + ']><xfdf><annots><text page="0" rect="0,0,10,10"><contents>&i;</contents></text></annots></xfdf>')
    outcome = run_local("apply_xfdf", {"xfdf": bomb})
    assert isinstance(outcome, errors.ValidationError)


# -- the remote engine's response parsing ---------------------------------------------------------------

header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40)


def make_response(status: int, body: bytes, headers: dict[str, str]) -> HTTPResponse:
    """A response as urllib3 builds it from the wire (streamed, body not read yet)."""
    return HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False, reason="Reason")


json_bodies = json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=60) | st.fixed_dictionaries(
    {}, optional={"details": json_values, "message": json_values, "requestId": json_values,
                  "failingPaths": json_values | st.lists(st.dictionaries(st.sampled_from(["path", "details"]), json_values), max_size=3)},
).map(lambda v: json.dumps(v).encode())


@given(st.integers(100, 599), json_bodies, st.dictionaries(st.sampled_from(["Retry-After", "X-Request-Id", "Content-Type"]), header_text, max_size=3))
@example(400, b'{"failingPaths": 5}', {})
@example(429, b"{}", {"Retry-After": "\u00b2"})
def test_any_error_response_maps_to_an_api_error(status, body, headers):
    from batchproc.engines.dws.transport import error_from_response

    error = call_is_typed(error_from_response, make_response(status, body, headers))
    assert isinstance(error, errors.APIError) and error.status == status
    retry = getattr(error, "retry_after_s", None)
    assert retry is None or 0 <= retry < float("inf")


@given(header_text)
@example("\u00b2")  # str.isdigit() says yes, float() says no
@example("9" * 400)  # float() says inf: the batch would wait forever
@example("Wed, 21 Oct 99999 07:28:00 GMT")
def test_any_retry_after_header_is_a_finite_delay_or_none(value):
    from batchproc.engines.dws.transport import retry_after_s

    delay = call_is_typed(retry_after_s, value)
    assert delay is None or (isinstance(delay, float) and 0 <= delay < float("inf"))


@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()) | st.fixed_dictionaries(
    {"pages": st.lists(st.fixed_dictionaries({"pageIndex": json_values}, optional={"plainText": json_values}), max_size=3) | json_values}
).map(lambda v: json.dumps(v).encode()))
def test_any_text_output_from_the_server_is_read_or_refused(tmp_path_factory, body):
    from batchproc.engines.dws.engine import _text_artifact

    path = tmp_path_factory.mktemp("dws") / "result.bin"
    path.write_bytes(body)
    outcome = call_is_typed(_text_artifact, path, {"pages": None, "output": "text"}, "")
    assert isinstance(outcome, (Artifact, errors.CorruptDocumentError, errors.PageRangeError))


def test_deeply_nested_text_output_from_the_server_is_refused(tmp_path):
    from batchproc.engines.dws.engine import _text_artifact

    path = tmp_path / "result.bin"
    path.write_bytes(b'{"pages":' + b"[" * 100000)
    assert isinstance(call_is_typed(_text_artifact, path, {"pages": None}, ""), errors.CorruptDocumentError)


@pytest.mark.parametrize("names", [["a.png"], ["page-1.png", "../../evil-2.png"], ["page-1.png", "/abs-2.png"]])
def test_server_image_archive_entries_cannot_escape_the_work_folder(tmp_path, names):
    import zipfile

    from batchproc.engines.dws.engine import _image_artifacts

    work = tmp_path / "work"
    work.mkdir()
    path = work / "result.bin"
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, b"\x89PNG\r\n\x1a\n")
    outcome = call_is_typed(_image_artifacts, path, {"format": "png", "pages": {"start": 0, "end": -1}}, "", work)
    if not isinstance(outcome, BatchprocError):
        assert all(a.path.resolve().is_relative_to(work.resolve()) for a in outcome)
    assert {p.name for p in tmp_path.iterdir()} == {"work"}


# -- damaged PDFs through the local engine ------------------------------------------------------------

FUZZ_SOURCE = text_pdf(pages=2, text="Fuzzed")
STAMP = [{"method": "rotate_pages", "params": {"degrees": 90}},
         {"method": "watermark_pdf", "params": {"text": "STAMPED", "font_size": 20}}]


@st.composite
def damaged_pdfs(draw):
    """The source PDF with a few bytes overwritten, cut out or inserted, or truncated."""
    data = bytearray(FUZZ_SOURCE)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["overwrite", "delete", "insert", "truncate"]))
        chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"[", b"(", b"<<", b"endstream", b"%%EOF", b"obj"]))
        if how == "overwrite":
            data[at:at + len(chunk)] = chunk
        elif how == "delete":
            del data[at:at + len(chunk)]
        elif how == "insert":
            data[at:at] = chunk
        else:
            del data[max(at, 16):]
    return bytes(data)


@given(damaged_pdfs())
def test_damaged_pdf_is_refused_or_carries_every_operations_effect(data):
    """Never a silent success: an output must show the rotation and the stamp on every page."""
    from tests.factories import page_texts

    outcome = call_is_typed(Client().process, data, STAMP)
    if isinstance(outcome, BatchprocError):
        return
    import pikepdf

    with pikepdf.open(io.BytesIO(outcome)) as pdf:
        rotations = [int(p.obj.get("/Rotate", 0)) % 360 for p in pdf.pages]
    # The source's pages have /Rotate 0; a mutation may have changed the digit, so the
    # rotation only has to be a quarter turn plus a multiple of 90 it did not have.
    assert rotations and all(r in (90, 180, 270, 0) for r in rotations)
    assert rotations != [0] * len(rotations) or "/Rotate" not in data.decode("latin-1")
    assert all("STAMPED" in text for text in page_texts(outcome))

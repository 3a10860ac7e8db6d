"""The dws engine's planner: exact instructions for each operation, and how chains fuse.

No server and no engine run here (pikepdf tests/test_jobbuilder.py style): each case
compiles a pipeline and compares the /build instructions with the dict expected. Every
compiled instruction set is also checked against the test server's strict schema, so a
key the protocol does not define fails here first.
"""

from __future__ import annotations

import pytest

from batchproc import Pipeline, errors
from batchproc.engines.dws.compile import (
    DOCUMENT,
    RULES,
    UNSUPPORTED_REMOTELY,
    PageCountNeeded,
    compile_pipeline,
)
from batchproc.operations import load_all
from tests.dws_server import schema

PDF = {"type": "pdf"}
WHOLE = {"file": DOCUMENT}


def plan(operations, pages: int | None = 3, **kwargs):
    return compile_pipeline(Pipeline.from_operations(operations).steps, page_count=pages, **kwargs)


def instructions(operations, pages: int | None = 3, **kwargs) -> dict:
    """The one request `operations` compile to (asserting there is exactly one)."""
    compiled = plan(operations, pages, **kwargs)
    assert compiled.count() == 1, [r.instructions for r in compiled.requests]
    request = compiled.requests[0]
    assert schema.problems(request.instructions, {DOCUMENT, *request.attachments}) == []
    return request.instructions


def op(method: str, **params):
    return {"method": method, "params": params}


def rot(by: int) -> list:
    return [{"type": "rotate", "rotateBy": by}]


def span(start: int, end: int, **extra) -> dict:
    return {"file": DOCUMENT, "pages": {"start": start, "end": end}, **extra}


WATERMARK_TEXT = {
    "type": "watermark", "text": "DRAFT",
    "width": {"value": 200, "unit": "pt"}, "height": {"value": 100, "unit": "pt"},
    "rotation": 0, "opacity": 1.0, "fontFamily": "Helvetica", "fontColor": "#000000",
}

CASES = [
    pytest.param([op("rotate_pages", degrees=90)],
                 {"parts": [{**WHOLE, "actions": rot(90)}], "output": PDF}, id="rotate-all"),
    pytest.param([op("rotate_pages", degrees=-90, page_indexes=[0, -1])],
                 {"parts": [span(0, 0, actions=rot(270)), span(1, 1), span(2, 2, actions=rot(270))],
                  "output": PDF}, id="rotate-some-negative"),
    pytest.param([op("rotate_pages", degrees=0)], {"parts": [WHOLE], "output": PDF}, id="rotate-zero-is-no-op"),
    pytest.param([op("rotate_pages", degrees=90, page_indexes=[1]), op("rotate_pages", degrees=270, page_indexes=[1])],
                 {"parts": [WHOLE], "output": PDF}, id="rotations-cancel"),
    pytest.param([op("delete_pdf_pages", page_indexes=[1])],
                 {"parts": [span(0, 0), span(2, 2)], "output": PDF}, id="delete"),
    pytest.param([op("duplicate_pdf_pages", page_indexes=[0, 0, 2])],
                 {"parts": [span(0, 0), span(0, 0), span(2, 2)], "output": PDF}, id="duplicate"),
    pytest.param([op("add_page", insert_index=1, page_count=2, page_size="Letter", orientation="landscape")],
                 {"parts": [span(0, 0), {"page": "new", "pageCount": 2,
                                         "layout": {"size": "Letter", "orientation": "landscape"}}, span(1, 2)],
                  "output": PDF}, id="add-page"),
    pytest.param([op("add_page", insert_index=-1, page_size={"width": 100, "height": 50})],
                 {"parts": [WHOLE, {"page": "new", "pageCount": 1,
                                    "layout": {"size": {"width": 100, "height": 50}, "orientation": "portrait"}}],
                  "output": PDF}, id="add-page-custom-size"),
    pytest.param([op("watermark_pdf", text="DRAFT")],
                 {"parts": [WHOLE], "actions": [WATERMARK_TEXT], "output": PDF}, id="watermark-text"),
    pytest.param([op("watermark_pdf", text="DRAFT", position="top-right", rotation=45, opacity=0.5, font_size=30,
                     font_color="#ff0000", font_family="Courier")],
                 {"parts": [WHOLE], "actions": [{
                     **WATERMARK_TEXT, "top": {"value": 0, "unit": "pt"}, "right": {"value": 0, "unit": "pt"},
                     "rotation": 45, "opacity": 0.5, "fontFamily": "Courier", "fontColor": "#ff0000", "fontSize": 30}],
                  "output": PDF}, id="watermark-text-styled"),
    pytest.param([op("watermark_pdf", image_url="https://example.test/logo.png", position="bottom-center")],
                 {"parts": [WHOLE], "actions": [{
                     "type": "watermark", "image": {"url": "https://example.test/logo.png"},
                     "width": {"value": 200, "unit": "pt"}, "height": {"value": 100, "unit": "pt"},
                     "bottom": {"value": 0, "unit": "pt"}, "rotation": 0, "opacity": 1.0}],
                  "output": PDF}, id="watermark-image-url"),
    pytest.param([op("set_pdf_metadata", title="Report", author="Ana")],
                 {"parts": [WHOLE], "output": {"type": "pdf", "metadata": {"title": "Report", "author": "Ana"}}},
                 id="metadata"),
    pytest.param([op("password_protect_pdf", user_password="u", owner_password="o", permissions=["printing"])],
                 {"parts": [WHOLE], "output": {"type": "pdf", "user_password": "u", "owner_password": "o",
                                               "user_permissions": ["printing"]}}, id="password"),
    pytest.param([op("password_protect_pdf", user_password="u")],
                 {"parts": [WHOLE], "output": {"type": "pdf", "user_password": "u", "owner_password": "u",
                                               "user_permissions": list(schema.PERMISSIONS)}},
                 id="password-defaults-every-permission"),
    pytest.param([op("set_page_label", labels=[{"pages": {"start": 0, "end": 1}, "label": "Intro"},
                                               {"pages": [2], "label": "Body"}])],
                 {"parts": [WHOLE], "output": {"type": "pdf", "labels": [
                     {"pages": {"start": 0, "end": 1}, "label": "Intro"}, {"pages": [2], "label": "Body"}]}},
                 id="page-labels"),
    pytest.param([op("convert_to_images", format="jpeg", width=300)],
                 {"parts": [WHOLE], "output": {"type": "image", "format": "jpeg",
                                               "pages": {"start": 0, "end": -1}, "width": 300}}, id="images"),
    pytest.param([op("convert_to_images", pages={"start": -2})],
                 {"parts": [WHOLE], "output": {"type": "image", "format": "png",
                                               "pages": {"start": 1, "end": 2}, "dpi": 150}}, id="images-range"),
    pytest.param([op("extract_text", pages={"start": 1})],
                 {"parts": [WHOLE], "output": {"type": "json-content", "plainText": True, "tables": False}},
                 id="extract-text"),
    pytest.param([op("convert_to_pdf")], {"parts": [WHOLE], "output": PDF}, id="convert-to-pdf-is-implicit"),
    pytest.param([op("flatten_annotations")],
                 {"parts": [WHOLE], "actions": [{"type": "flatten"}], "output": PDF}, id="flatten"),
    pytest.param([op("flatten_annotations", annotation_ids=["a1", 7])],
                 {"parts": [WHOLE], "actions": [{"type": "flatten", "annotationIds": ["a1", 7]}], "output": PDF},
                 id="flatten-some"),
    pytest.param([op("ocr_pdf", language="en")],
                 {"parts": [WHOLE], "actions": [{"type": "ocr", "language": "english"}], "output": PDF}, id="ocr"),
    pytest.param([op("ocr_pdf", language=["eng", "deu"])],
                 {"parts": [WHOLE], "actions": [{"type": "ocr", "language": ["eng", "deu"]}], "output": PDF},
                 id="ocr-languages"),
    pytest.param([op("convert_to_pdfa", conformance="pdfa-1b")],
                 {"parts": [WHOLE], "output": {"type": "pdfa", "conformance": "pdfa-1b",
                                               "vectorization": True, "rasterization": True}}, id="pdfa"),
    pytest.param([op("optimize_pdf", grayscale_images=True, linearize=True)],
                 {"parts": [WHOLE], "output": {"type": "pdf", "optimize": {
                     "grayscaleText": False, "grayscaleGraphics": False, "grayscaleImages": True,
                     "grayscaleFormFields": False, "grayscaleAnnotations": False, "disableImages": False,
                     "mrcCompression": False, "imageOptimizationQuality": 2, "linearize": True}}}, id="optimize"),
    pytest.param([op("apply_redactions")],
                 {"parts": [WHOLE], "actions": [{"type": "applyRedactions"}], "output": PDF}, id="apply-redactions"),
    pytest.param([op("create_redactions_preset", preset="email-address", appearance_fill_color="#000000")],
                 {"parts": [WHOLE], "actions": [{
                     "type": "createRedactions", "strategy": "preset",
                     "strategyOptions": {"preset": "email-address", "includeAnnotations": False},
                     "content": {"fillColor": "#000000"}}], "output": PDF}, id="redact-preset"),
    pytest.param([op("create_redactions_regex", pattern=r"\d+")],
                 {"parts": [WHOLE], "actions": [{
                     "type": "createRedactions", "strategy": "regex",
                     "strategyOptions": {"regex": r"\d+", "caseSensitive": False, "includeAnnotations": False}}],
                  "output": PDF}, id="redact-regex"),
    pytest.param([op("create_redactions_text", text="secret", appearance_stroke_color="#ff0000")],
                 {"parts": [WHOLE], "actions": [{
                     "type": "createRedactions", "strategy": "text",
                     "strategyOptions": {"text": "secret", "caseSensitive": True, "includeAnnotations": False},
                     "content": {"outlineColor": "#ff0000"}}], "output": PDF}, id="redact-text"),
    pytest.param([op("apply_instant_json", instant_json="https://example.test/a.json")],
                 {"parts": [WHOLE], "actions": [{"type": "applyInstantJson",
                                                 "file": {"url": "https://example.test/a.json"}}],
                  "output": PDF}, id="instant-json-url"),
]


@pytest.mark.parametrize("operations, expected", CASES)
def test_each_operation_compiles_to_exact_instructions(operations, expected):
    assert instructions(operations) == expected


def test_file_parameters_become_named_parts(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    request = plan([op("watermark_pdf", image_file=str(logo))]).requests[0]
    assert request.instructions["actions"][0]["image"] == "watermark"
    assert request.attachments == {"watermark": str(logo)}


def test_the_headline_chain_is_one_request():
    ops = [op("rotate_pages", degrees=90, page_indexes=[0]), op("ocr_pdf", language="english"),
           op("watermark_pdf", text="DRAFT"), op("flatten_annotations"), op("convert_to_pdfa")]
    assert instructions(ops) == {
        "parts": [span(0, 0, actions=rot(90)), span(1, 2)],
        "actions": [{"type": "ocr", "language": "english"}, WATERMARK_TEXT, {"type": "flatten"}],
        "output": {"type": "pdfa", "conformance": "pdfa-2b", "vectorization": True, "rasterization": True},
    }


def test_password_and_metadata_are_deferred_to_the_final_request():
    ops = [op("password_protect_pdf", user_password="u", permissions=[]), op("set_pdf_metadata", title="T"),
           op("watermark_pdf", text="DRAFT"), op("set_pdf_metadata", author="A")]
    assert instructions(ops) == {
        "parts": [WHOLE], "actions": [WATERMARK_TEXT],
        "output": {"type": "pdf", "user_password": "u", "owner_password": "u", "user_permissions": [],
                   "metadata": {"title": "T", "author": "A"}},
    }


def test_page_labels_are_deferred_past_later_page_edits():
    assert instructions([op("set_page_label", labels=[{"pages": [0], "label": "Cover"}]),
                         op("delete_pdf_pages", page_indexes=[2])]) == {
        "parts": [span(0, 1)], "output": {"type": "pdf", "labels": [{"pages": [0], "label": "Cover"}]}}


def test_a_page_edit_after_an_action_starts_a_new_request_on_the_result():
    compiled = plan([op("watermark_pdf", text="DRAFT"), op("delete_pdf_pages", page_indexes=[0]),
                     op("set_pdf_metadata", title="T")])
    assert compiled.count() == 2
    first, = compiled.requests
    second, = first.then
    assert first.instructions == {"parts": [WHOLE], "actions": [WATERMARK_TEXT], "output": PDF}
    assert second.instructions == {"parts": [span(1, 2)], "output": {"type": "pdf", "metadata": {"title": "T"}}}


def test_an_action_after_optimize_starts_a_new_request():
    compiled = plan([op("optimize_pdf", grayscale_images=True), op("watermark_pdf", text="DRAFT")])
    first, = compiled.requests
    assert "optimize" in first.instructions["output"] and "actions" not in first.instructions
    assert [r.instructions for r in first.then] == [{"parts": [WHOLE], "actions": [WATERMARK_TEXT], "output": PDF}]


def test_split_makes_one_request_per_range_and_later_steps_fuse_into_each():
    compiled = plan([op("rotate_pages", degrees=90, page_indexes=[0]), op("password_protect_pdf", user_password="u"),
                     op("split_pdf", page_ranges=[{"start": 0, "end": 1}, {"start": 2}]),
                     op("watermark_pdf", text="DRAFT")], pages=3)
    assert compiled.count() == 2
    protected = {"type": "pdf", "user_password": "u", "owner_password": "u",
                 "user_permissions": list(schema.PERMISSIONS)}
    assert [r.instructions for r in compiled.requests] == [
        {"parts": [span(0, 0, actions=rot(90)), span(1, 1)], "actions": [WATERMARK_TEXT], "output": protected},
        {"parts": [span(2, 2)], "actions": [WATERMARK_TEXT], "output": protected},
    ]


def test_split_by_pages_per_file():
    compiled = plan([op("split_pdf", pages_per_file=2)], pages=5)
    assert [r.instructions["parts"] for r in compiled.requests] == [[span(0, 1)], [span(2, 3)], [span(4, 4)]]


def test_split_after_an_action_splits_the_result():
    compiled = plan([op("watermark_pdf", text="DRAFT"), op("split_pdf", page_ranges=[{"start": 0, "end": 0}])])
    assert compiled.count() == 2 and [r.instructions["parts"] for r in compiled.final_requests()] == [[span(0, 0)]]


def test_extract_text_keeps_the_asked_pages_for_the_engine():
    request = plan([op("extract_text", pages={"start": 1}, output="json")]).requests[0]
    assert request.text == {"pages": {"start": 1}, "output": "json"}


def test_unknown_page_count_compiles_whole_document_steps_without_it():
    assert instructions([op("rotate_pages", degrees=180), op("watermark_pdf", text="DRAFT")], pages=None) == {
        "parts": [WHOLE], "actions": rot(180) + [WATERMARK_TEXT], "output": PDF}
    with pytest.raises(PageCountNeeded):
        plan([op("delete_pdf_pages", page_indexes=[0])], pages=None)


def test_input_password_goes_on_the_document_part_of_the_first_request_only():
    compiled = plan([op("watermark_pdf", text="DRAFT"), op("delete_pdf_pages", page_indexes=[0])], password="pw")
    assert compiled.requests[0].instructions["parts"] == [{"file": DOCUMENT, "password": "pw"}]
    assert compiled.requests[0].then[0].instructions["parts"] == [span(1, 2)]


@pytest.mark.parametrize(
    "operations, message",
    [
        ([op("ocr_pdf", language="eng+deu_frak")], "OCR language 'deu_frak'"),
        ([op("rotate_pages", degrees=90, page_indexes=[3])], "out of range"),
        ([op("delete_pdf_pages", page_indexes=[0, 1, 2])], "empty document"),
    ],
)
def test_what_dws_cannot_do_fails_before_any_request(operations, message):
    Pipeline.from_operations(operations)  # valid here: only the remote engine refuses it
    with pytest.raises((errors.UnsupportedOperationError, errors.PageRangeError)) as info:
        plan(operations)
    assert message in str(info.value)


def test_every_registry_operation_compiles_or_is_declared_unsupported():
    # Operations that test modules register (fault injection) are not batchproc's.
    registry = {m: o for m, o in load_all().items() if o.apply.__module__.startswith("batchproc.")}
    unaccounted = sorted(set(registry) - set(RULES) - set(UNSUPPORTED_REMOTELY))
    assert unaccounted == [], f"add a compile rule (or an UNSUPPORTED_REMOTELY entry) for {unaccounted}"
    for method, rule in RULES.items():
        if method in registry:
            declared = {p.name for p in registry[method].params}
            assert rule.params == declared, f"{method}: compile rule params drifted from the registry"

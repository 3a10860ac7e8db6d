"""The published `nutrient-dws` client (v3, async httpx) against the same test server.

For each operation the official client and batchproc's dws engine run on the same file;
the server records both requests. The test shows (1) that the server's reading of the
protocol accepts what the official client sends (its schema check rejects unknown keys),
(2) that batchproc sends equivalent instructions (equal after normalising the harmless
differences: part names, whole-file ranges written out, a single part's actions at part
level versus top level, pdfa defaults spelled out), and (3) that the outputs agree.
"""

from __future__ import annotations

import asyncio
import copy
import io
from pathlib import Path
from typing import Any

import nutrient_dws
import pikepdf
import pytest

from batchproc import Client
from tests.dws_server.fixtures import API_KEY
from tests.factories import page_texts, text_pdf


PAGE_COUNTS = {"a.pdf": 3, "b.pdf": 2}


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    paths = {}
    for name, pages in PAGE_COUNTS.items():
        paths[name] = tmp_path / name
        text_pdf(paths[name], pages=pages, text=name)
    return paths


def canonical(received, page_counts: dict[str, int]) -> dict[str, Any]:
    """Instructions with file handles replaced by the uploaded filenames, ranges made
    absolute (and dropped when they cover the whole file), one part's actions hoisted to
    the top level, and the output's defaults spelled out."""
    instructions = copy.deepcopy(received.instructions)
    parts = []
    for part in instructions["parts"]:
        part["file"] = received.filenames[part["file"]]
        count = page_counts[part["file"]]
        if "pages" in part:
            start, end = part["pages"].get("start", 0) % count, part["pages"].get("end", -1) % count
            part["pages"] = {"start": start, "end": end}
            if (start, end) == (0, count - 1):
                del part["pages"]
        parts.append(part)
    actions = instructions.get("actions", [])
    if len(parts) == 1 and not actions:
        actions = parts[0].pop("actions", [])
    output = instructions.get("output", {"type": "pdf"})
    if output["type"] == "pdfa":
        output = {"conformance": "pdfa-1b", "vectorization": True, "rasterization": True, **output}
    return {"parts": parts, "actions": actions, "output": output}


def official(server, call) -> bytes:
    async def run() -> bytes:
        client = nutrient_dws.NutrientClient(api_key=API_KEY, base_url=server.base_url)
        result = await call(client)
        return bytes(result["buffer"])

    return asyncio.run(run())


def summary(data: bytes) -> tuple[int, list[int], list[str]]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        rotations = [int(p.obj.get("/Rotate", 0)) for p in pdf.pages]
    return len(rotations), rotations, [t.replace("\r\n", "\n") for t in page_texts(data)]


WATERMARK_STYLE = {"width": {"value": 200, "unit": "pt"}, "height": {"value": 100, "unit": "pt"},
                   "rotation": 0, "opacity": 1.0, "fontFamily": "Helvetica", "fontColor": "#000000"}

CASES = [
    pytest.param(lambda c, f: c.rotate(str(f["a.pdf"]), 90),
                 lambda c, f: c.rotate_pages(f["a.pdf"], degrees=90), "rotate_pages", id="rotate"),
    pytest.param(lambda c, f: c.rotate(str(f["a.pdf"]), 180, {"start": 1, "end": -1}),
                 lambda c, f: c.rotate_pages(f["a.pdf"], degrees=180, page_indexes=[1, 2]), "rotate_pages",
                 id="rotate-some-pages"),
    pytest.param(lambda c, f: c.watermark_text(str(f["a.pdf"]), "DRAFT", dict(WATERMARK_STYLE)),
                 lambda c, f: c.watermark_pdf(f["a.pdf"], text="DRAFT"), "watermark_pdf", id="watermark-text"),
    pytest.param(lambda c, f: c.flatten(str(f["a.pdf"])),
                 lambda c, f: c.flatten_annotations(f["a.pdf"]), "flatten_annotations", id="flatten"),
    pytest.param(lambda c, f: c.convert(str(f["a.pdf"]), "pdfa"),
                 lambda c, f: c.convert_to_pdfa(f["a.pdf"], conformance="pdfa-1b"), "convert_to_pdfa", id="pdfa"),
    pytest.param(lambda c, f: c.merge([str(f["a.pdf"]), str(f["b.pdf"])]),
                 lambda c, f: c.merge_pdfs([f["a.pdf"], f["b.pdf"]]), "merge_pdfs", id="merge"),
    pytest.param(lambda c, f: c.ocr(str(f["a.pdf"]), "english"),
                 lambda c, f: c.ocr_pdf(f["a.pdf"], language="english"), "ocr_pdf", id="ocr"),
]


@pytest.mark.parametrize("theirs, ours, method", CASES)
def test_official_client_and_batchproc_send_equivalent_instructions(dws_server, files, theirs, ours, method):
    their_output = official(dws_server, lambda client: theirs(client, files))
    (their_request,) = dws_server.received
    our_output = ours(Client(engine="dws", api_key=API_KEY, base_url=dws_server.base_url), files)
    their_request, our_request = dws_server.received
    assert their_request.status == our_request.status == 200
    assert their_request.user_agent.startswith("nutrient-dws/")
    assert our_request.user_agent.startswith("batchproc/")
    assert canonical(our_request, PAGE_COUNTS) == canonical(their_request, PAGE_COUNTS)
    assert summary(our_output) == summary(their_output)


def test_the_server_rejects_what_the_protocol_does_not_define(dws_server, files):
    """The v1 client's non-spec keys (here: rotate's pageIndexes) are refused with the
    failing path, which is what makes the equivalence above meaningful."""
    import requests

    with files["a.pdf"].open("rb") as fh:
        response = requests.post(
            f"{dws_server.base_url}/build",
            headers={"Authorization": f"Bearer {API_KEY}"},
            files={"file": ("a.pdf", fh, "application/pdf")},
            data={"instructions": '{"parts":[{"file":"file"}],"actions":[{"type":"rotate","rotateBy":90,'
                                  '"pageIndexes":[0]}]}'},
            timeout=30,
        )
    assert response.status_code == 400
    assert response.json()["failingPaths"] == [
        {"path": "$.instructions.actions[0].pageIndexes", "details": "unknown key (not in the DWS schema)"}]


def test_the_server_checks_the_token_before_the_body(dws_server):
    import requests

    response = requests.post(f"{dws_server.base_url}/build", headers={"Authorization": "Bearer nope"},
                             data=b"test", timeout=30)
    assert response.status_code == 401 and response.json()["status"] == 401

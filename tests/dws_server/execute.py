"""Carry out valid /build instructions with batchproc's LOCAL engine.

Parts are assembled with pikepdf (page ranges, blank pages, implicit conversion of
non-PDF inputs); part and top-level actions and the output options are translated back
into batchproc operations and run by `LocalEngine`. Problems in the request (a page out
of range, a parameter the local operation refuses) are `Rejected` (400 + failingPaths).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pikepdf

from batchproc import errors, formats
from batchproc.engines.local import LocalEngine
from batchproc.inputs import Source
from batchproc.operations import load_all
from batchproc.operations.checks import resolve_range
from batchproc.pipeline import Pipeline

POINTS_PER_MM = 72 / 25.4
PAGE_SIZES_MM = {
    "A0": (841, 1189), "A1": (594, 841), "A2": (420, 594), "A3": (297, 420), "A4": (210, 297),
    "A5": (148, 210), "A6": (105, 148), "A7": (74, 105), "A8": (52, 74),
    "Letter": (215.9, 279.4), "Legal": (215.9, 355.6),
}
MEDIA_TYPES = {
    "pdf": "application/pdf", "pdfa": "application/pdf",
    "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp",
}
POSITIONS = {
    ("top", "left"): "top-left", ("top", None): "top-center", ("top", "right"): "top-right",
    (None, None): "center", ("bottom", "left"): "bottom-left", ("bottom", None): "bottom-center",
    ("bottom", "right"): "bottom-right",
}


class Rejected(Exception):
    """The request cannot be carried out: answered with `status` and failingPaths."""

    def __init__(self, details: str, *, path: str | None = None, status: int = 400) -> None:
        super().__init__(details)
        self.details = details
        self.status = status
        self.failing_paths = [{"path": path, "details": details}] if path else []


def execute(instructions: dict[str, Any], files: dict[str, tuple[str, bytes]],
            password_header: str | None = None) -> tuple[bytes, str]:
    """Run valid `instructions` on the uploaded `files` (part name → (filename, bytes)).

    Returns the response body and its content type.
    """
    with tempfile.TemporaryDirectory(prefix="dws-server-") as tmp:
        return _execute(instructions, files, Path(tmp), password_header)


def _execute(instructions: dict[str, Any], files: dict[str, tuple[str, bytes]], workdir: Path,
             password_header: str | None) -> tuple[bytes, str]:
    assembled = workdir / "assembled.pdf"
    with pikepdf.new() as out:
        for i, part in enumerate(instructions["parts"]):
            path = f"$.instructions.parts[{i}]"
            part_pdf = _part(part, files, workdir / f"part-{i}", path, password_header)
            with pikepdf.open(part_pdf) as src:
                if i == 0:  # the document information of the first part is kept
                    out.docinfo = out.copy_foreign(src.docinfo)
                out.pages.extend(src.pages)
        out.save(assembled)
    operations = [_operation(a, files, assembled, f"$.instructions.actions[{i}]")
                  for i, a in enumerate(instructions.get("actions", []))]
    output = instructions.get("output", {"type": "pdf"})
    operations += _output_operations(output)
    if not operations:
        return assembled.read_bytes(), "application/pdf"
    artifacts = _run(operations, assembled, workdir / "run", "$.instructions")
    kind = output.get("type", "pdf")
    if kind == "image":
        if len(artifacts) == 1:
            return artifacts[0].path.read_bytes(), MEDIA_TYPES[output.get("format", "png")]
        body = io.BytesIO()
        with zipfile.ZipFile(body, "w") as zf:
            for n, artifact in enumerate(artifacts, start=1):
                zf.write(artifact.path, f"{n}{artifact.ext}")
        return body.getvalue(), "application/zip"
    if kind == "json-content":
        return artifacts[0].path.read_bytes(), "application/json"
    return artifacts[0].path.read_bytes(), "application/pdf"


def _run(operations: list[dict[str, Any]], pdf: Path, workdir: Path, path: str):
    workdir.mkdir()
    try:
        pipeline = Pipeline.from_operations(operations)
        return LocalEngine().run(pipeline, Source(name=pdf.name, path=pdf), workdir)
    except (errors.ValidationError, errors.DocumentError) as exc:
        raise Rejected(exc.message, path=path) from None


def _part(part: dict[str, Any], files: dict[str, tuple[str, bytes]], folder: Path, path: str,
          password_header: str | None) -> Path:
    folder.mkdir()
    target = folder / "part.pdf"
    if part.get("page") == "new":
        _blank_pages(part, target)
    else:
        name, data = _file(part["file"], files, f"{path}.file")
        raw = folder / f"input{Path(name).suffix or '.bin'}"
        raw.write_bytes(data)
        fmt = formats.sniff(data[:2048], name, data=data)
        if fmt.kind != "pdf":
            from batchproc.operations.convert import convert_file_to_pdf

            raw = convert_file_to_pdf(raw, fmt, folder)
        try:
            src = pikepdf.open(raw, password=part.get("password") or password_header or "")
        except pikepdf.PasswordError:
            raise Rejected("the PDF needs a password", path=f"{path}.password") from None
        with src:
            count = len(src.pages)
            selected = list(src.pages)
            if "pages" in part:
                for key in ("start", "end"):
                    index = part["pages"].get(key, 0 if key == "start" else -1)
                    if not -count <= index < count:
                        raise Rejected(f"index {index} is out of range in document with {count} pages",
                                       path=f"{path}.pages.{key}")
                selected = [src.pages[i] for i in resolve_range(part["pages"], count)]
            with pikepdf.new() as out:
                out.docinfo = out.copy_foreign(src.docinfo)
                out.pages.extend(selected)
                out.save(target)
    actions = part.get("actions", [])
    if not actions:
        return target
    operations = [_operation(a, files, target, f"{path}.actions[{i}]") for i, a in enumerate(actions)]
    return _run(operations, target, folder / "run", f"{path}.actions")[0].path


def _blank_pages(part: dict[str, Any], target: Path) -> None:
    layout = part.get("layout", {})
    size = layout.get("size", "A4")
    w_mm, h_mm = PAGE_SIZES_MM[size] if isinstance(size, str) else (size["width"], size["height"])
    short, long = sorted((w_mm * POINTS_PER_MM, h_mm * POINTS_PER_MM))
    width, height = (long, short) if layout.get("orientation") == "landscape" else (short, long)
    with pikepdf.new() as pdf:
        for _ in range(part.get("pageCount", 1)):
            pdf.add_blank_page(page_size=(round(width, 2), round(height, 2)))
        pdf.save(target)


def _file(handle: Any, files: dict[str, tuple[str, bytes]], path: str) -> tuple[str, bytes]:
    if isinstance(handle, dict):
        raise Rejected("URL inputs are not fetched by this server", path=f"{path}.url")
    return files[handle]


def _operation(action: dict[str, Any], files: dict[str, tuple[str, bytes]], pdf: Path, path: str) -> dict[str, Any]:
    """The batchproc operation for one action."""
    kind = action["type"]
    if kind == "rotate":
        return _op("rotate_pages", degrees=action["rotateBy"])
    if kind == "ocr":
        return _op("ocr_pdf", language=action["language"])
    if kind == "flatten":
        return _op("flatten_annotations", annotation_ids=action.get("annotationIds"))
    if kind == "applyRedactions":
        return _op("apply_redactions")
    if kind == "applyInstantJson":
        return _op("apply_instant_json", instant_json=_file(action["file"], files, f"{path}.file")[1])
    if kind == "applyXfdf":
        if "ignorePageRotation" in action or "richTextEnabled" in action:
            raise Rejected("XFDF options are not supported by this server", path=path)
        return _op("apply_xfdf", xfdf=_file(action["file"], files, f"{path}.file")[1])
    if kind == "createRedactions":
        return _redactions(action, path)
    return _watermark(action, files, pdf, path)


def _redactions(action: dict[str, Any], path: str) -> dict[str, Any]:
    options = dict(action["strategyOptions"])
    strategy = action["strategy"]
    if "start" in options or "limit" in options:
        raise Rejected("searching part of the pages is not supported by this server", path=f"{path}.strategyOptions")
    params: dict[str, Any] = {"include_annotations": options.get("includeAnnotations", True)}
    value_key = {"preset": "preset", "regex": "pattern", "text": "text"}[strategy]
    params[value_key] = options[strategy]
    if strategy != "preset":
        params["case_sensitive"] = options.get("caseSensitive", strategy == "regex")
    content = action.get("content", {})
    if set(content) - {"fillColor", "outlineColor"}:
        raise Rejected("only fillColor and outlineColor are supported by this server", path=f"{path}.content")
    if "fillColor" in content:
        params["appearance_fill_color"] = content["fillColor"]
    if "outlineColor" in content:
        params["appearance_stroke_color"] = content["outlineColor"]
    return _op(f"create_redactions_{strategy}", **params)


def _watermark(action: dict[str, Any], files: dict[str, tuple[str, bytes]], pdf: Path, path: str) -> dict[str, Any]:
    if "fontStyle" in action:
        raise Rejected("fontStyle is not supported by this server", path=f"{path}.fontStyle")
    with pikepdf.open(pdf) as doc:
        box = doc.pages[0].mediabox
        page_w, page_h = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    params: dict[str, Any] = {
        "width": _points(action["width"], page_w),
        "height": _points(action["height"], page_h),
        "opacity": action.get("opacity", 1.0),
        "rotation": action.get("rotation", 0),
    }
    for key in ("top", "right", "bottom", "left"):
        if key in action and _points(action[key], page_w) != 0:
            raise Rejected("only offsets of 0 (an edge) are supported by this server", path=f"{path}.{key}")
    vertical = "top" if "top" in action else "bottom" if "bottom" in action else None
    horizontal = "left" if "left" in action else "right" if "right" in action else None
    params["position"] = POSITIONS[(vertical, horizontal)]
    if "text" in action:
        params["text"] = action["text"]
        params["font_family"] = action.get("fontFamily", "Helvetica")
        params["font_color"] = action.get("fontColor", "#000000")
        if "fontSize" in action:
            params["font_size"] = action["fontSize"]
    else:
        params["image_file"] = _file(action["image"], files, f"{path}.image")[1]
    return _op("watermark_pdf", **params)


def _points(dimension: dict[str, Any], whole: float) -> float:
    value = float(dimension["value"])
    return value if dimension["unit"] == "pt" else whole * value / 100


def _output_operations(output: dict[str, Any]) -> list[dict[str, Any]]:
    ops = []
    if "labels" in output:
        ops.append(_op("set_page_label", labels=output["labels"]))
    if "metadata" in output:
        ops.append(_op("set_pdf_metadata", **{k: v for k, v in output["metadata"].items() if v is not None}))
    if "optimize" in output:
        ops.append(_op("optimize_pdf", **{_snake(k): v for k, v in output["optimize"].items()}))
    kind = output.get("type", "pdf")
    if kind == "pdfa":
        ops.append(_op("convert_to_pdfa", conformance=output.get("conformance", "pdfa-1b"),  # the protocol's default
                       vectorization=output.get("vectorization", True), rasterization=output.get("rasterization", True)))
    elif kind == "image":
        size = {k: output[k] for k in ("width", "height", "dpi") if k in output}
        ops.append(_op("convert_to_images", format=output.get("format", "png"),
                       pages=output.get("pages"), **size))
    elif kind == "json-content":
        if output.get("structuredText") or output.get("keyValuePairs") or output.get("tables", True):
            raise Rejected("only plainText json-content is supported by this server", path="$.instructions.output")
        ops.append(_op("extract_text", output="json"))
    elif kind != "pdf":
        raise Rejected(f"output type {kind} is not supported by this server", path="$.instructions.output.type")
    if "user_password" in output or "owner_password" in output:
        ops.append(_op("password_protect_pdf", user_password=output.get("user_password"),
                       owner_password=output.get("owner_password"), permissions=output.get("user_permissions")))
    return ops


def _op(method: str, **params: Any) -> dict[str, Any]:
    if method not in load_all():
        raise Rejected(f"{method} is not available in this batchproc build", status=501)
    return {"method": method, "params": params}


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)


def json_error(status: int, details: str, request_id: str, failing_paths: list[dict[str, str]]) -> bytes:
    return json.dumps({"details": details, "status": status, "requestId": request_id,
                       "failingPaths": failing_paths}).encode()

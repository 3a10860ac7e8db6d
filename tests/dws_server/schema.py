"""Strict validation of /build instructions against the protocol's schema (DWS-PROTOCOL §3).

Unlike the hosted API, unknown keys are REJECTED: the tests use this server to prove that
clients send only fields the specification defines. `problems(instructions, uploaded)`
returns HostedErrorResponse failingPaths ([{"path", "details"}]), empty when valid.
"""

from __future__ import annotations

from typing import Any

PAGE_SIZES = ("A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "Letter", "Legal")
PERMISSIONS = (
    "printing", "modification", "extract", "annotations_and_forms", "fill_forms",
    "extract_accessibility", "assemble", "print_high_quality",
)
CONFORMANCES = ("pdfa-1a", "pdfa-1b", "pdfa-2a", "pdfa-2u", "pdfa-2b", "pdfa-3a", "pdfa-3u")
OPTIMIZE_KEYS = {
    "grayscaleText": bool, "grayscaleGraphics": bool, "grayscaleImages": bool, "grayscaleFormFields": bool,
    "grayscaleAnnotations": bool, "disableImages": bool, "mrcCompression": bool, "linearize": bool,
    "imageOptimizationQuality": int,
}
PRESETS = (
    "credit-card-number", "date", "email-address", "international-phone-number", "ipv4", "ipv6",
    "mac-address", "north-american-phone-number", "social-security-number", "time", "url",
    "us-zip-code", "vin",
)
STRATEGY_KEYS = {
    "preset": ("preset", {"preset", "includeAnnotations", "start", "limit"}),
    "regex": ("regex", {"regex", "includeAnnotations", "caseSensitive", "start", "limit"}),
    "text": ("text", {"text", "includeAnnotations", "caseSensitive", "start", "limit"}),
}
CONTENT_KEYS = {"outlineColor", "fillColor", "overlayText", "repeatOverlayText", "color", "rotation", "note"}
OUTPUT_TYPES = ("pdf", "pdfa", "pdfua", "image", "json-content", "docx", "xlsx", "pptx", "html", "markdown")
BASE_PDF_KEYS = {"metadata", "labels", "user_password", "owner_password", "user_permissions", "optimize"}
NUMBER = (int, float)


class _Checker:
    def __init__(self, uploaded: set[str]) -> None:
        self.uploaded = uploaded
        self.found: list[dict[str, str]] = []

    def fail(self, path: str, details: str) -> None:
        self.found.append({"path": path, "details": details})

    def obj(self, value: Any, path: str, allowed: set[str], required: tuple[str, ...] = ()) -> bool:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return False
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", "unknown key (not in the DWS schema)")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}", "is required")
        return True

    def typed(self, value: Any, path: str, types: Any, what: str) -> bool:
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(path, f"must be {what}")
            return False
        if not isinstance(value, types):
            self.fail(path, f"must be {what}")
            return False
        return True

    def choice(self, value: Any, path: str, choices: tuple[Any, ...]) -> None:
        if value not in choices:
            self.fail(path, f"must be one of {', '.join(map(str, choices))}")

    def handle(self, value: Any, path: str) -> None:
        if isinstance(value, str):
            if value not in self.uploaded:
                self.fail(path, f"no multipart part named {value!r}")
        elif self.obj(value, path, {"url", "sha256"}, ("url",)):
            self.typed(value.get("url"), f"{path}.url", str, "a URL string")

    def page_range(self, value: Any, path: str) -> None:
        if self.obj(value, path, {"start", "end"}):
            for key in ("start", "end"):
                if key in value:
                    self.typed(value[key], f"{path}.{key}", int, "an integer page index")

    def layout(self, value: Any, path: str) -> None:
        if not self.obj(value, path, {"orientation", "size", "margin"}):
            return
        if "orientation" in value:
            self.choice(value["orientation"], f"{path}.orientation", ("portrait", "landscape"))
        size = value.get("size")
        if isinstance(size, str):
            self.choice(size, f"{path}.size", PAGE_SIZES)
        elif size is not None and self.obj(size, f"{path}.size", {"width", "height"}, ("width", "height")):
            for key in ("width", "height"):
                if self.typed(size.get(key), f"{path}.size.{key}", NUMBER, "a number of mm") and size[key] < 1:
                    self.fail(f"{path}.size.{key}", "must be at least 1")
        if "margin" in value and self.obj(value["margin"], f"{path}.margin", {"left", "top", "right", "bottom"}):
            for key, number in value["margin"].items():
                self.typed(number, f"{path}.margin.{key}", NUMBER, "a number of mm")

    def part(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return
        if "file" in value:
            self.obj(value, path, {"file", "password", "pages", "layout", "content_type", "actions"})
            self.handle(value["file"], f"{path}.file")
            if "password" in value:
                self.typed(value["password"], f"{path}.password", str, "a string")
            if "pages" in value:
                self.page_range(value["pages"], f"{path}.pages")
        elif value.get("page") == "new":
            self.obj(value, path, {"page", "pageCount", "layout", "actions"})
            if "pageCount" in value and self.typed(value["pageCount"], f"{path}.pageCount", int, "an integer"):
                if value["pageCount"] < 1:
                    self.fail(f"{path}.pageCount", "must be at least 1")
        elif "html" in value or "document" in value:
            self.fail(path, "HTML and document parts are not supported by this server")
            return
        else:
            self.fail(path, "a part needs 'file', 'html', 'document' or 'page': 'new'")
            return
        if "layout" in value:
            self.layout(value["layout"], f"{path}.layout")
        if "actions" in value:
            self.actions(value["actions"], f"{path}.actions")

    def actions(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be an array")
            return
        for i, action in enumerate(value):
            self.action(action, f"{path}[{i}]")

    def action(self, a: Any, path: str) -> None:
        if not isinstance(a, dict) or "type" not in a:
            self.fail(path, "an action must be an object with a 'type'")
            return
        kind = a["type"]
        if kind == "rotate":
            if self.obj(a, path, {"type", "rotateBy"}, ("rotateBy",)):
                self.choice(a.get("rotateBy"), f"{path}.rotateBy", (90, 180, 270))
        elif kind == "ocr":
            if self.obj(a, path, {"type", "language"}, ("language",)):
                language = a.get("language")
                if not (isinstance(language, str) or (isinstance(language, list) and language)):
                    self.fail(f"{path}.language", "must be a language or a non-empty array of them")
        elif kind == "flatten":
            if self.obj(a, path, {"type", "annotationIds"}) and "annotationIds" in a:
                self.typed(a["annotationIds"], f"{path}.annotationIds", list, "an array")
        elif kind == "applyRedactions":
            self.obj(a, path, {"type"})
        elif kind == "applyInstantJson":
            if self.obj(a, path, {"type", "file"}, ("file",)) and "file" in a:
                self.handle(a["file"], f"{path}.file")
        elif kind == "applyXfdf":
            if self.obj(a, path, {"type", "file", "ignorePageRotation", "richTextEnabled"}, ("file",)) and "file" in a:
                self.handle(a["file"], f"{path}.file")
        elif kind == "createRedactions":
            self.redactions(a, path)
        elif kind == "watermark":
            self.watermark(a, path)
        else:
            self.fail(f"{path}.type", f"unknown action type {kind!r}")

    def redactions(self, a: dict[str, Any], path: str) -> None:
        if not self.obj(a, path, {"type", "strategy", "strategyOptions", "content"}, ("strategy", "strategyOptions")):
            return
        strategy = a.get("strategy")
        if strategy not in STRATEGY_KEYS:
            self.fail(f"{path}.strategy", "must be preset, regex or text")
            return
        required, allowed = STRATEGY_KEYS[strategy]
        options = a.get("strategyOptions")
        if self.obj(options, f"{path}.strategyOptions", allowed, (required,)) and strategy == "preset":
            self.choice(options.get("preset"), f"{path}.strategyOptions.preset", PRESETS)
        if "content" in a:
            self.obj(a["content"], f"{path}.content", CONTENT_KEYS)

    def watermark(self, a: dict[str, Any], path: str) -> None:
        allowed = {"type", "width", "height", "top", "right", "bottom", "left", "rotation", "opacity",
                   "text", "fontFamily", "fontSize", "fontColor", "fontStyle", "image"}
        if not self.obj(a, path, allowed, ("width", "height")):
            return
        if ("text" in a) == ("image" in a):
            self.fail(path, "a watermark needs exactly one of text and image")
        if "image" in a:
            self.handle(a["image"], f"{path}.image")
        for key in ("width", "height", "top", "right", "bottom", "left"):
            if key in a and self.obj(a[key], f"{path}.{key}", {"value", "unit"}, ("value", "unit")):
                self.typed(a[key].get("value"), f"{path}.{key}.value", NUMBER, "a number")
                self.choice(a[key].get("unit"), f"{path}.{key}.unit", ("pt", "%"))
        if "opacity" in a and self.typed(a["opacity"], f"{path}.opacity", NUMBER, "a number"):
            if not 0 <= a["opacity"] <= 1:
                self.fail(f"{path}.opacity", "must be between 0 and 1")
        if "rotation" in a:
            self.typed(a["rotation"], f"{path}.rotation", NUMBER, "a number")
        if "fontSize" in a:
            self.typed(a["fontSize"], f"{path}.fontSize", NUMBER, "a number")

    def output(self, o: Any, path: str) -> None:
        if not isinstance(o, dict):
            self.fail(path, "must be an object")
            return
        kind = o.get("type", "pdf")
        if kind not in OUTPUT_TYPES:
            self.fail(f"{path}.type", f"unknown output type {kind!r}")
            return
        extra = {
            "pdf": BASE_PDF_KEYS, "pdfua": BASE_PDF_KEYS,
            "pdfa": BASE_PDF_KEYS | {"conformance", "vectorization", "rasterization"},
            "image": {"format", "pages", "width", "height", "dpi"},
            "json-content": {"plainText", "structuredText", "keyValuePairs", "tables", "language"},
            "html": {"layout"},
        }.get(kind, set())
        self.obj(o, path, {"type"} | extra)
        if kind == "pdfa" and "conformance" in o:
            self.choice(o["conformance"], f"{path}.conformance", CONFORMANCES)
        if kind == "image":
            self.choice(o.get("format", "png"), f"{path}.format", ("png", "jpeg", "jpg", "webp"))
            if "pages" in o:
                self.page_range(o["pages"], f"{path}.pages")
            if sum(key in o for key in ("width", "height", "dpi")) != 1:
                self.fail(path, "give exactly one of width, height and dpi")
        if "metadata" in o:
            self.obj(o["metadata"], f"{path}.metadata", {"title", "author"})
        if "user_permissions" in o:
            for i, name in enumerate(o["user_permissions"]):
                self.choice(name, f"{path}.user_permissions[{i}]", PERMISSIONS)
        if "optimize" in o and self.obj(o["optimize"], f"{path}.optimize", set(OPTIMIZE_KEYS)):
            for key, value in o["optimize"].items():
                if key in OPTIMIZE_KEYS:
                    self.typed(value, f"{path}.optimize.{key}", OPTIMIZE_KEYS[key], OPTIMIZE_KEYS[key].__name__)
        for i, label in enumerate(o.get("labels", [])):
            where = f"{path}.labels[{i}]"
            if self.obj(label, where, {"pages", "label"}, ("pages", "label")) and isinstance(label.get("pages"), dict):
                self.page_range(label["pages"], f"{where}.pages")


def problems(instructions: Any, uploaded: set[str]) -> list[dict[str, str]]:
    """Every schema violation in `instructions`, as failingPaths."""
    check = _Checker(uploaded)
    root = "$.instructions"
    if not check.obj(instructions, root, {"parts", "actions", "output"}, ("parts",)):
        return check.found
    parts = instructions.get("parts")
    if not isinstance(parts, list) or not parts:
        check.fail(f"{root}.parts", "must be a non-empty array")
    else:
        for i, part in enumerate(parts):
            check.part(part, f"{root}.parts[{i}]")
    if "actions" in instructions:
        check.actions(instructions["actions"], f"{root}.actions")
    if "output" in instructions:
        check.output(instructions["output"], f"{root}.output")
    return check.found

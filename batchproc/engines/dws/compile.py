"""Compile a pipeline into as few DWS `/build` requests as the protocol allows.

This is a pure planner: no network, no engine. It needs the page count of the input (and
of merged files) only for steps that address pages, and it is given them.

One request is `parts` (the pages, assembled in order, each part with its own actions),
then top-level `actions` on the assembled document, then `output` options. So a chain
fuses into one request while it moves forward through those three levels:

    STRUCTURE   page edits (rotate some pages, delete, duplicate, add, merge, split)
                are kept as a list of pages and written out as parts;
    ACTIONS     whole-document actions (OCR, watermark, flatten, redactions, ...);
    SEALED      output options that later steps must not precede (PDF/A, optimize),
                and non-PDF outputs (images, text).

A step that needs an earlier level than the request has reached closes it: a new request
takes the previous result as its input. Split forks the chain: one request per range,
and the following steps fuse into each. Password protection, metadata and page labels
commute with every other step (labels name page indexes, which later steps do not
renumber, as in the local engine), so they are deferred to the final request of each
chain: intermediate results stay unencrypted and need no password.

A parameter that DWS cannot express faithfully raises UnsupportedOperationError here,
before any request is sent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ...errors import PageRangeError, UnsupportedOperationError
from ...operations.checks import resolve_page, resolve_range
from ...pipeline import Step

DOCUMENT = "document"
"""Part name of the document the pipeline runs on."""

STRUCTURE, ACTIONS, SEALED = 0, 1, 2

PDF_OUTPUTS = ("pdf", "pdfa")
PAGE_SIZES = ("A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "Letter", "Legal")
PERMISSIONS = (
    "printing", "modification", "extract", "annotations_and_forms", "fill_forms",
    "extract_accessibility", "assemble", "print_high_quality",
)
PDFA_CONFORMANCES = ("pdfa-1a", "pdfa-1b", "pdfa-2a", "pdfa-2u", "pdfa-2b", "pdfa-3a", "pdfa-3u")
IMAGE_FORMATS = ("png", "jpeg", "jpg", "webp")
OCR_LANGUAGES = frozenset(
    "afrikaans albanian arabic armenian azerbaijani basque belarusian bengali bosnian "
    "bulgarian catalan chinese croatian czech danish dutch english finnish french german "
    "indonesian italian malay norwegian polish portuguese serbian slovak slovenian spanish "
    "swedish turkish welsh "
    "afr amh ara asm aze bel ben bod bos bre bul cat ceb ces chr cos cym dan deu div dzo "
    "ell eng enm epo equ est eus fao fas fil fin fra frk frm fry gla gle glg grc guj hat "
    "heb hin hrv hun hye iku ind isl ita jav jpn kan kat kaz khm kir kmr kor kur lao lat "
    "lav lit ltz mal mar mkd mlt mon mri msa mya nep nld nor oci ori osd pan pol por pus "
    "que ron rus san sin slk slv snd sp1 spa sqi srp sun swa swe syr tam tat tel tgk tgl "
    "tha tir ton tur uig ukr urd uzb vie yid yor".split()
)
OCR_SHORT_CODES = {"en": "english", "de": "deu"}
"""The v1 client's two-letter aliases, mapped to values of the protocol's OcrLanguage enum."""
WATERMARK_MARGIN_PT = 0
"""Distance from the page edges of a watermark placed with a `position` other than center."""
WATERMARK_OFFSETS = {
    "top-left": ("top", "left"),
    "top-center": ("top",),
    "top-right": ("top", "right"),
    "center": (),
    "bottom-left": ("bottom", "left"),
    "bottom-center": ("bottom",),
    "bottom-right": ("bottom", "right"),
}


class PageCountNeeded(Exception):
    """Internal: a step addresses pages of a document whose page count is not known
    (a non-PDF input before conversion). The engine converts first and compiles again."""


@dataclass
class BuildRequest:
    """One `/build` request: its instructions and the files they name.

    The document itself is the part DOCUMENT (the pipeline's input for the first
    requests, the previous request's result after that). `attachments` maps other part
    names to the user's files (paths or bytes). `then` lists the requests that take this
    one's result as their input; a request with no `then` makes one final output.
    """

    instructions: dict[str, Any]
    attachments: dict[str, Any] = field(default_factory=dict)
    then: list["BuildRequest"] = field(default_factory=list)
    text: dict[str, Any] | None = None
    """For a json-content output: the extract_text params (`pages`, `output`) the engine
    applies to the server's JSON."""

    @property
    def output_type(self) -> str:
        return self.instructions["output"]["type"]


@dataclass
class Plan:
    """The requests to send for one document: each root takes the input document."""

    requests: list[BuildRequest]

    def count(self) -> int:
        """How many requests the plan sends in all."""

        def size(reqs: list[BuildRequest]) -> int:
            return sum(1 + size(r.then) for r in reqs)

        return size(self.requests)

    def final_requests(self) -> list[BuildRequest]:
        """The requests whose results are the outputs, in output order."""

        def leaves(reqs: list[BuildRequest]) -> Iterable[BuildRequest]:
            for r in reqs:
                yield from (leaves(r.then) if r.then else (r,))

        return list(leaves(self.requests))


@dataclass(frozen=True)
class _Page:
    """One page of the document being assembled: page `index` of part `source`, or a
    blank page (`source` None, with `layout`). `index` None stands for every page of a
    source whose page count is unknown."""

    source: str | None
    index: int | None
    rotate: int = 0
    layout: tuple[tuple[str, Any], ...] = ()


@dataclass
class _Draft:
    """A request being built."""

    pages: list[_Page] | None
    counts: dict[str | None, int | None]
    parent: BuildRequest | None
    password: str | None = None
    level: int = STRUCTURE
    actions: list[dict[str, Any]] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=lambda: {"type": "pdf"})
    attachments: dict[str, Any] = field(default_factory=dict)
    deferred: dict[str, Any] = field(default_factory=dict)
    text: dict[str, Any] | None = None

    def page_list(self) -> list[_Page]:
        if self.pages is None or any(p.index is None and p.source is not None for p in self.pages):
            raise PageCountNeeded()
        return self.pages


PageCounter = Callable[[Any], "int | None"]
"""Page count of a user file (path or bytes), or None when it is not a PDF."""


def compile_pipeline(
    steps: Iterable[Step],
    *,
    page_count: int | None,
    password: str | None = None,
    count_pages: PageCounter = lambda value: None,
) -> Plan:
    """The requests that run `steps` on a document of `page_count` pages (None: unknown).

    `password` opens the input; `count_pages` reads the page count of files that steps
    add (merge). Raises UnsupportedOperationError for a step DWS cannot do faithfully.
    """
    compiler = _Compiler(count_pages)
    pages = None if page_count is None else [_Page(DOCUMENT, i) for i in range(page_count)]
    drafts = [_Draft(pages=pages, counts={DOCUMENT: page_count}, parent=None, password=password)]
    for step in steps:
        rule = RULES.get(step.method)
        if rule is None:
            raise UnsupportedOperationError(f"{step.describe()}: the dws engine cannot run {step.method}")
        params = rule.checked(step)
        drafts = [new for draft in drafts for new in rule.compile(compiler, draft, params)]
    for draft in drafts:
        compiler.close(draft, final=True)
    return Plan(compiler.roots)


class _Compiler:
    def __init__(self, count_pages: PageCounter) -> None:
        self.count_pages = count_pages
        self.roots: list[BuildRequest] = []

    def at(self, draft: _Draft, level: int) -> _Draft:
        """`draft` if a step of `level` may still join it, else a new draft on its result."""
        if draft.level <= level:
            draft.level = max(draft.level, level)
            return draft
        return self.successor(draft, level)

    def successor(self, draft: _Draft, level: int) -> _Draft:
        request = self.close(draft, final=False)
        pages = None if draft.pages is None else [_Page(DOCUMENT, i) for i in range(len(draft.pages))]
        count = None if pages is None else len(pages)
        return _Draft(pages=pages, counts={DOCUMENT: count}, parent=request, level=level, deferred=draft.deferred)

    def close(self, draft: _Draft, *, final: bool) -> BuildRequest:
        instructions: dict[str, Any] = {"parts": _parts(draft)}
        if draft.actions:
            instructions["actions"] = draft.actions
        output = dict(draft.output)
        if final and output["type"] in PDF_OUTPUTS:
            output.update(_merged_deferred(draft.deferred))
        instructions["output"] = output
        request = BuildRequest(instructions, dict(draft.attachments), text=draft.text)
        (draft.parent.then if draft.parent is not None else self.roots).append(request)
        return request

    def attach(self, draft: _Draft, stem: str, value: Any) -> Any:
        """A FileHandle for a user file: {"url": ...} for an http(s) URL, else a new part."""
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return {"url": value}
        name, n = stem, 1
        while name in draft.attachments or name == DOCUMENT:
            n += 1
            name = f"{stem}_{n}"
        draft.attachments[name] = value
        return name


def _merged_deferred(deferred: dict[str, Any]) -> dict[str, Any]:
    out = dict(deferred)
    if "metadata" in out:
        out["metadata"] = dict(out["metadata"])
    if "labels" in out:
        out["labels"] = list(out["labels"])
    return out


def _parts(draft: _Draft) -> list[dict[str, Any]]:
    """The parts that assemble `draft.pages`: runs of consecutive pages of one source."""
    if draft.pages is None:
        return [_file_part(draft, DOCUMENT, None, None)]
    parts: list[dict[str, Any]] = []
    run: list[_Page] = []
    for page in draft.pages:
        if run and _continues(run[-1], page):
            run.append(page)
            continue
        if run:
            parts.append(_run_part(draft, run))
        run = [page]
    if run:
        parts.append(_run_part(draft, run))
    return parts


def _continues(prev: _Page, page: _Page) -> bool:
    if (prev.source, prev.rotate, prev.layout) != (page.source, page.rotate, page.layout):
        return False
    if page.source is None:
        return True
    return prev.index is not None and page.index == prev.index + 1


def _run_part(draft: _Draft, run: list[_Page]) -> dict[str, Any]:
    first = run[0]
    if first.source is None:
        part: dict[str, Any] = {"page": "new", "pageCount": len(run), "layout": dict(first.layout)}
    else:
        part = _file_part(draft, first.source, first.index, run[-1].index)
    if first.rotate:
        part["actions"] = [{"type": "rotate", "rotateBy": first.rotate}]
    return part


def _file_part(draft: _Draft, source: str, start: int | None, end: int | None) -> dict[str, Any]:
    part: dict[str, Any] = {"file": source}
    if source == DOCUMENT and draft.password:
        part["password"] = draft.password
    count = draft.counts.get(source)
    if start is not None and not (start == 0 and end == (count or 0) - 1):
        part["pages"] = {"start": start, "end": end}
    return part


# -- one rule per operation ------------------------------------------------------------------

Compile = Callable[[_Compiler, _Draft, dict[str, Any]], list[_Draft]]


@dataclass(frozen=True)
class Rule:
    """How one operation compiles: `params` are the parameters it expresses."""

    method: str
    params: frozenset[str]
    compile: Compile

    def checked(self, step: Step) -> dict[str, Any]:
        """The step's params; a parameter this rule cannot express must be unset."""
        from ...operations.registry import REQUIRED

        declared = {p.name: p for p in step.operation.params}
        for name, value in step.params.items():
            if name in self.params:
                continue
            default = declared[name].default if name in declared else REQUIRED
            if value is not None and value != default:
                raise UnsupportedOperationError(
                    f"{step.describe()}: the dws engine cannot express parameter {name!r} of {step.method}"
                )
        return dict(step.params)


RULES: dict[str, Rule] = {}

UNSUPPORTED_REMOTELY: dict[str, str] = {}
"""Registry operations the dws engine refuses, and why (checked by a drift test)."""


def rule(method: str, *params: str) -> Callable[[Compile], Compile]:
    def register(fn: Compile) -> Compile:
        RULES[method] = Rule(method, frozenset(params), fn)
        return fn

    return register


def _unsupported(step_what: str) -> UnsupportedOperationError:
    return UnsupportedOperationError(f"the dws engine cannot express {step_what}")


def _action(c: _Compiler, d: _Draft, action: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, ACTIONS)
    d.actions.append(action)
    return [d]


def _resolve(indexes: list[int], count: int) -> list[int]:
    return [resolve_page(i, count) for i in indexes]


@rule("rotate_pages", "degrees", "page_indexes")
def _rotate_pages(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    by = p["degrees"] % 360
    if by == 0:
        return [d]
    if p["page_indexes"] is None and (d.level > STRUCTURE or d.pages is None):
        return _action(c, d, {"type": "rotate", "rotateBy": by})
    d = c.at(d, STRUCTURE)
    pages = d.page_list()
    targets = range(len(pages)) if p["page_indexes"] is None else _resolve(p["page_indexes"], len(pages))
    for i in targets:
        pages[i] = dataclasses.replace(pages[i], rotate=(pages[i].rotate + by) % 360)
    return [d]


@rule("delete_pdf_pages", "page_indexes")
def _delete_pages(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, STRUCTURE)
    pages = d.page_list()
    gone = set(_resolve(p["page_indexes"], len(pages)))
    if len(gone) == len(pages):
        raise PageRangeError("deleting every page would leave an empty document")
    d.pages = [page for i, page in enumerate(pages) if i not in gone]
    return [d]


@rule("duplicate_pdf_pages", "page_indexes")
def _duplicate_pages(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, STRUCTURE)
    pages = d.page_list()
    d.pages = [pages[i] for i in _resolve(p["page_indexes"], len(pages))]
    return [d]


@rule("add_page", "insert_index", "page_count", "page_size", "orientation")
def _add_page(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    size = p["page_size"]
    if isinstance(size, str) and size not in PAGE_SIZES:
        raise _unsupported(f"page_size {size!r}; it knows {', '.join(PAGE_SIZES)} and {{width, height}} in mm")
    d = c.at(d, STRUCTURE)
    pages = d.page_list()
    at = p["insert_index"]
    if at == -1:
        at = len(pages)
    if not 0 <= at <= len(pages):
        raise PageRangeError(f"insert_index {p['insert_index']} is out of range in a document with {len(pages)} page(s)")
    layout = (("size", size if isinstance(size, str) else dict(size)), ("orientation", p["orientation"]))
    d.pages = pages[:at] + [_Page(None, None, layout=layout)] * p["page_count"] + pages[at:]
    return [d]


@rule("merge_pdfs", "input_files")
def _merge(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, STRUCTURE)
    pages = list(d.pages) if d.pages is not None else [_Page(DOCUMENT, None)]
    for value in p["input_files"]:
        name = c.attach(d, "file", value)
        if isinstance(name, dict):
            raise _unsupported("merging a URL: give the file itself")
        count = c.count_pages(value)
        d.counts[name] = count
        pages += [_Page(name, None)] if count is None else [_Page(name, i) for i in range(count)]
    d.pages = pages
    return [d]


@rule("split_pdf", "page_ranges", "pages_per_file")
def _split(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, STRUCTURE)
    pages = d.page_list()
    if p["pages_per_file"] is not None:
        size = p["pages_per_file"]
        ranges = [range(s, min(s + size, len(pages))) for s in range(0, len(pages), size)]
    else:
        ranges = [resolve_range(r, len(pages)) for r in p["page_ranges"] or [{"start": 0, "end": 0}]]
    forks = []
    for indexes in ranges:
        start, end = indexes[0], indexes[-1]
        forks.append(dataclasses.replace(
            d, pages=pages[start:end + 1], counts=dict(d.counts), attachments=dict(d.attachments),
            deferred=dict(d.deferred), actions=[], output=dict(d.output),
        ))
    return forks


@rule("watermark_pdf", "text", "image_url", "image_file", "width", "height", "opacity", "position",
      "rotation", "font_size", "font_color", "font_family")
def _watermark(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, ACTIONS)
    action: dict[str, Any] = {"type": "watermark"}
    if p["image_file"] is not None:
        action["image"] = c.attach(d, "watermark", p["image_file"])
    elif p["text"]:
        action["text"] = p["text"]
    elif p["image_url"]:
        action["image"] = {"url": p["image_url"]}
    action["width"] = {"value": p["width"], "unit": "pt"}
    action["height"] = {"value": p["height"], "unit": "pt"}
    for edge in WATERMARK_OFFSETS[p["position"]]:
        action[edge] = {"value": WATERMARK_MARGIN_PT, "unit": "pt"}
    action["rotation"] = p["rotation"]
    action["opacity"] = p["opacity"]
    if "text" in action:
        action["fontFamily"] = p["font_family"]
        action["fontColor"] = p["font_color"]
        if p["font_size"] is not None:
            action["fontSize"] = p["font_size"]
    return _action(c, d, action)


@rule("ocr_pdf", "language")
def _ocr(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    language = p["language"]
    names = language.split("+") if isinstance(language, str) else list(language)
    mapped = [OCR_SHORT_CODES.get(n.strip().lower(), n.strip().lower()) for n in names]
    unknown = [n for n, m in zip(names, mapped) if m not in OCR_LANGUAGES]
    if unknown:
        raise _unsupported(f"OCR language {unknown[0]!r}")
    return _action(c, d, {"type": "ocr", "language": mapped[0] if len(mapped) == 1 else mapped})


@rule("flatten_annotations", "annotation_ids")
def _flatten(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    action: dict[str, Any] = {"type": "flatten"}
    if p["annotation_ids"] is not None:
        action["annotationIds"] = list(p["annotation_ids"])
    return _action(c, d, action)


@rule("apply_redactions")
def _apply_redactions(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    return _action(c, d, {"type": "applyRedactions"})


def _create_redactions(strategy: str, value_key: str, value: Any, p: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {value_key: value}
    if "case_sensitive" in p:
        options["caseSensitive"] = p["case_sensitive"]
    options["includeAnnotations"] = p["include_annotations"]
    action: dict[str, Any] = {"type": "createRedactions", "strategy": strategy, "strategyOptions": options}
    content = {}
    if p["appearance_fill_color"] is not None:
        content["fillColor"] = p["appearance_fill_color"]
    if p["appearance_stroke_color"] is not None:
        content["outlineColor"] = p["appearance_stroke_color"]
    if content:
        action["content"] = content
    return action


_APPEARANCE = ("include_annotations", "appearance_fill_color", "appearance_stroke_color")


@rule("create_redactions_preset", "preset", *_APPEARANCE)
def _redact_preset(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    return _action(c, d, _create_redactions("preset", "preset", p["preset"], p))


@rule("create_redactions_regex", "pattern", "case_sensitive", *_APPEARANCE)
def _redact_regex(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    return _action(c, d, _create_redactions("regex", "regex", p["pattern"], p))


@rule("create_redactions_text", "text", "case_sensitive", *_APPEARANCE)
def _redact_text(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    return _action(c, d, _create_redactions("text", "text", p["text"], p))


@rule("apply_instant_json", "instant_json")
def _instant_json(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, ACTIONS)
    return _action(c, d, {"type": "applyInstantJson", "file": c.attach(d, "instant_json", p["instant_json"])})


@rule("apply_xfdf", "xfdf")
def _xfdf(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = c.at(d, ACTIONS)
    return _action(c, d, {"type": "applyXfdf", "file": c.attach(d, "xfdf", p["xfdf"])})


@rule("convert_to_pdf")
def _convert_to_pdf(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    return [d]  # every part is converted to PDF implicitly (protocol §3.1)


def _seal(c: _Compiler, d: _Draft, key: str) -> _Draft:
    """`d` ready for output option `key`: a new request if it is set already or the
    output is not a PDF."""
    if key in d.output or d.output["type"] not in PDF_OUTPUTS:
        d = c.successor(d, SEALED)
    d.level = SEALED
    return d


@rule("convert_to_pdfa", "conformance", "vectorization", "rasterization")
def _pdfa(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    if p["conformance"] not in PDFA_CONFORMANCES:
        raise _unsupported(f"PDF/A conformance {p['conformance']!r}")
    d = _seal(c, d, "conformance")
    d.output.update(type="pdfa", conformance=p["conformance"],
                    vectorization=p["vectorization"], rasterization=p["rasterization"])
    return [d]


_OPTIMIZE = (
    "grayscale_text", "grayscale_graphics", "grayscale_images", "grayscale_form_fields",
    "grayscale_annotations", "disable_images", "mrc_compression", "image_optimization_quality", "linearize",
)


@rule("optimize_pdf", *_OPTIMIZE)
def _optimize(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    d = _seal(c, d, "optimize")
    d.output["optimize"] = {_camel(name): p[name] for name in _OPTIMIZE}
    return [d]


@rule("set_page_label", "labels")
def _labels(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    """Deferred: labels name page indexes, which later steps do not renumber (as locally)."""
    d.deferred["labels"] = d.deferred.get("labels", []) + [
        {"pages": list(e["pages"]) if isinstance(e["pages"], list) else dict(e["pages"]), "label": e["label"]}
        for e in p["labels"]
    ]
    return [d]


@rule("password_protect_pdf", "user_password", "owner_password", "permissions")
def _password(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    unknown = [x for x in p["permissions"] or () if x not in PERMISSIONS]
    if unknown:
        raise _unsupported(f"permission {unknown[0]!r}")
    d.deferred.pop("user_password", None)
    if p["user_password"]:
        d.deferred["user_password"] = p["user_password"]
    d.deferred["owner_password"] = p["owner_password"] or p["user_password"]
    # No permissions given means every permission (as the local engine does), so say so.
    d.deferred["user_permissions"] = list(PERMISSIONS if p["permissions"] is None else p["permissions"])
    return [d]


@rule("set_pdf_metadata", "title", "author")
def _metadata(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    metadata = dict(d.deferred.get("metadata", {}))
    metadata.update({k: p[k] for k in ("title", "author") if p[k] is not None})
    d.deferred["metadata"] = metadata
    return [d]


@rule("convert_to_images", "format", "pages", "width", "height", "dpi")
def _images(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    if p["format"] not in IMAGE_FORMATS:
        raise _unsupported(f"image format {p['format']!r}")
    if d.level == SEALED:
        d = c.successor(d, SEALED)
    d.level = SEALED
    # Every page unless asked (the protocol's default is disputed: §4.2), with absolute
    # indexes so that the engine can name each image after its page.
    if p["pages"] is None:
        pages = {"start": 0, "end": -1}
    else:
        indexes = resolve_range(p["pages"], len(d.page_list()))
        pages = {"start": indexes[0], "end": indexes[-1]}
    d.output = {"type": "image", "format": p["format"], "pages": pages}
    if p["width"] is not None:
        d.output["width"] = p["width"]
    elif p["height"] is not None:
        d.output["height"] = p["height"]
    else:
        d.output["dpi"] = p["dpi"]
    return [d]


@rule("extract_text", "pages", "output")
def _extract_text(c: _Compiler, d: _Draft, p: dict[str, Any]) -> list[_Draft]:
    """The server extracts every page; the engine keeps `pages` and writes `output`."""
    if d.level == SEALED:
        d = c.successor(d, SEALED)
    d.level = SEALED
    d.output = {"type": "json-content", "plainText": True, "tables": False}
    d.text = {"pages": p["pages"], "output": p["output"]}
    return [d]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)

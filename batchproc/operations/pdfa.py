"""convert_to_pdfa: make the document an archival PDF/A-1b, 2b, 2u, 3b or 3u file.

Fast path: when the document only lacks PDF/A metadata, an output intent and the like
(fonts embedded, colours fine), pikepdf's `pdfa.prepare` repairs it in memory and the
final save writes it with the flavour's settings. Otherwise Ghostscript rewrites it
(fonts embedded, colours converted under an sRGB output intent), and the result is
checked with pikepdf's validator before it is accepted.

Level U also promises that all text maps to Unicode: the fonts are checked for it and
the XMP conformance is set to U. Level A (tagged, accessible structure) cannot be
produced honestly from untagged input, so pdfa-1a/2a/3a are refused.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Name

from ..engines.local.document import Document
from ..errors import ExternalToolError, UnsupportedOperationError
from ..external import ghostscript
from .registry import Param, operation

CONFORMANCES = ("pdfa-1a", "pdfa-1b", "pdfa-2a", "pdfa-2b", "pdfa-2u", "pdfa-3a", "pdfa-3b", "pdfa-3u")
_STANDARD_ENCODINGS = (Name.WinAnsiEncoding, Name.MacRomanEncoding, Name.StandardEncoding)
_NONE = Name("/None")


@operation(
    "convert_to_pdfa",
    Param("conformance", str, default="pdfa-2b", choices=CONFORMANCES,
          doc="PDF/A part and level; the accessible levels 1a/2a/3a are not supported locally"),
    Param("vectorization", bool, default=True, doc="keep vector content as vectors (always the case locally)"),
    Param("rasterization", bool, default=True,
          doc="allow content PDF/A cannot hold (PDF/A-1 transparency) to be rasterized"),
    doc="Convert the document to PDF/A for long-term archiving.",
    requires=("ghostscript",),
)
def convert_to_pdfa(doc: Document, *, conformance: str, vectorization: bool, rasterization: bool) -> None:
    import pikepdf.pdfa  # about 1 s to import: only where it is used

    part, level = int(conformance[5]), conformance[6]
    if level == "a":
        raise UnsupportedOperationError(
            f"convert_to_pdfa: {conformance} needs a tagged, accessible structure that cannot be "
            "produced faithfully from this document; use pdfa-1b, 2b, 2u, 3b or 3u"
        )
    if not vectorization:
        raise UnsupportedOperationError(
            "convert_to_pdfa: vectorization=False (turning vector content into images) is not supported locally"
        )
    flavour = f"{part}b"
    if not _prepared_in_memory(doc, flavour):
        if part == 1 and not rasterization and _uses_transparency(doc.peek()):
            raise UnsupportedOperationError(
                "convert_to_pdfa: PDF/A-1 allows no transparency and rasterization=False forbids flattening it"
            )
        pages = len(doc.peek().pages)
        target = doc.new_path()
        ghostscript.convert_to_pdfa(input_path=doc.file(), output_path=target, part=part)
        doc.replace(target)
        if len(doc.peek().pages) != pages:  # a page Ghostscript could not read must not just vanish
            raise ExternalToolError(f"Ghostscript's PDF/A output has {len(doc.peek().pages)} page(s) instead of {pages}")
        report = pikepdf.pdfa.check(doc.peek(), flavour)
        if not report.passed:
            raise ExternalToolError(f"Ghostscript's output is not valid PDF/A-{flavour}: {report.summary(3)}")
        doc.save_options.update(report.save_kwargs)
    if level == "u":
        _declare_unicode(doc.pdf, conformance)


def _prepared_in_memory(doc: Document, flavour: str) -> bool:
    """Try the fast path: repair metadata in memory; True if the document now passes."""
    import pikepdf.pdfa

    if not all(_embedded(font) for font in _fonts(doc.peek())):
        return False
    pdf = doc.pdf
    pikepdf.pdfa.prepare(pdf, flavour)
    report = pikepdf.pdfa.check(pdf, flavour)
    if not report.passed:
        return False
    doc.save_options.update(report.save_kwargs)
    return True


def _declare_unicode(pdf: pikepdf.Pdf, conformance: str) -> None:
    """Set XMP conformance U after checking every font maps its text to Unicode."""
    for font in _fonts(pdf):
        if not _maps_to_unicode(font):
            raise UnsupportedOperationError(
                f"convert_to_pdfa: {conformance} needs Unicode for all text, but font "
                f"{font.get(Name.BaseFont, '(unnamed)')} has no Unicode mapping"
            )
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:conformance"] = "U"


def _maps_to_unicode(font: pikepdf.Dictionary) -> bool:
    if Name.ToUnicode in font:
        return True
    if font.get(Name.Subtype) in (Name.Type0, Name.Type3):
        return False
    encoding = font.get(Name.Encoding)
    if isinstance(encoding, pikepdf.Dictionary):
        encoding = encoding.get(Name.BaseEncoding)
    return encoding in _STANDARD_ENCODINGS and not _symbolic(font)


def _symbolic(font: pikepdf.Dictionary) -> bool:
    descriptor = font.get(Name.FontDescriptor)
    return descriptor is not None and bool(int(descriptor.get(Name.Flags, 0)) & 4)


def _embedded(font: pikepdf.Dictionary) -> bool:
    if font.get(Name.Subtype) == Name.Type3:
        return True
    if font.get(Name.Subtype) == Name.Type0:
        font = font.DescendantFonts[0]
    descriptor = font.get(Name.FontDescriptor)
    return descriptor is not None and any(k in descriptor for k in (Name.FontFile, Name.FontFile2, Name.FontFile3))


def _fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every font the pages use, through nested forms and annotation appearances."""
    fonts: dict[tuple, pikepdf.Dictionary] = {}
    for resources in _all_resources(pdf):
        font_dict = resources.get(Name.Font)
        if isinstance(font_dict, pikepdf.Dictionary):
            for font in font_dict.values():
                if isinstance(font, pikepdf.Dictionary):
                    fonts.setdefault(font.objgen if font.is_indirect else (id(font),), font)
    return list(fonts.values())


def _uses_transparency(pdf: pikepdf.Pdf) -> bool:
    for resources in _all_resources(pdf):
        states = resources.get(Name.ExtGState)
        if isinstance(states, pikepdf.Dictionary):
            for state in states.values():
                if any(_number(state.get(key), 1.0) < 1 for key in (Name.ca, Name.CA)):
                    return True
                if state.get(Name.SMask, _NONE) != _NONE:
                    return True
        xobjects = resources.get(Name.XObject)
        if isinstance(xobjects, pikepdf.Dictionary):
            if any(Name.SMask in x or Name.Group in x for x in xobjects.values() if isinstance(x, pikepdf.Stream)):
                return True
    return False


def _number(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _all_resources(pdf: pikepdf.Pdf):
    """Every resource dictionary of the pages, their forms and their annotations' appearances."""
    seen: set[tuple] = set()
    pending = []
    for page in pdf.pages:
        pending.append(page.obj.get(Name.Resources))
        for annot in page.obj.get(Name.Annots) or []:
            appearances = annot.get(Name.AP)
            for stream in _appearance_streams(appearances):
                pending.append(stream.get(Name.Resources))
    while pending:
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        key = resources.objgen if resources.is_indirect else (id(resources),)
        if resources.is_indirect and key in seen:
            continue
        seen.add(key)
        yield resources
        xobjects = resources.get(Name.XObject)
        if isinstance(xobjects, pikepdf.Dictionary):
            for xobject in xobjects.values():
                if isinstance(xobject, pikepdf.Stream) and xobject.get(Name.Subtype) == Name.Form:
                    if xobject.is_indirect and xobject.objgen in seen:
                        continue
                    if xobject.is_indirect:
                        seen.add(xobject.objgen)
                    pending.append(xobject.get(Name.Resources))


def _appearance_streams(appearances):
    if not isinstance(appearances, pikepdf.Dictionary):
        return
    for value in appearances.values():
        if isinstance(value, pikepdf.Stream):
            yield value
        elif isinstance(value, pikepdf.Dictionary):
            yield from (v for v in value.values() if isinstance(v, pikepdf.Stream))

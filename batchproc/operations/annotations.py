"""flatten_annotations: draw annotations and form fields into the page content, then remove them.

Without ids, qpdf flattens everything (form fields get appearance streams first, and the
emptied AcroForm is removed). With ids, only the annotations named are flattened: an id
is an annotation's /NM name (Instant JSON ids) or its PDF object number (`pdfObjectId`),
as an int or a string of digits; ids a document does not have are ignored. Flattened
form fields leave the AcroForm too.
"""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array, Name

from ..engines.local.document import Document
from ..engines.local.overlay import Overlay
from ..errors import UnsupportedOperationError
from .registry import Param, operation

HIDDEN = int(pikepdf.AnnotationFlag.hidden) | int(pikepdf.AnnotationFlag.invisible)
_NO_APPEARANCE_NEEDED = (Name.Link, Name.Popup)


def _id_list(value: Any) -> str | None:
    if not value:
        return "must be a non-empty list of annotation ids (strings or integers)"
    if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return "must contain only strings or integers"
    return None


@operation(
    "flatten_annotations",
    Param("annotation_ids", list, default=None, check=_id_list,
          doc="ids (/NM names or PDF object numbers) of the annotations to flatten; all when omitted"),
    doc="Flatten annotations and form fields into the page content, so they can no longer be edited.",
)
def flatten_annotations(doc: Document, *, annotation_ids: list[str | int] | None) -> None:
    pdf = doc.pdf
    if Name.AcroForm in pdf.Root:
        pdf.generate_appearance_streams()
    if annotation_ids is None:
        pdf.flatten_annotations("all")
        return
    wanted = {str(i) for i in annotation_ids}
    overlay = Overlay(pdf)
    for page in pdf.pages:
        _flatten_selected(overlay, page, wanted)


def _flatten_selected(overlay: Overlay, page: pikepdf.Page, wanted: set[str]) -> None:
    """Flatten the annotations of `page` named in `wanted` (ids absent from it are ignored)."""
    pdf = overlay.pdf
    annots = page.obj.get(Name.Annots)
    if not isinstance(annots, Array):
        return
    rotation = int(page.obj.get(Name.Rotate, 0)) % 360
    kept, drawn = [], []
    for annot in annots:
        ids = _ids(annot)
        if not ids & wanted:
            kept.append(annot)
            continue
        annotation = pikepdf.Annotation(annot)
        if not int(annot.get(Name.F, 0)) & HIDDEN:
            appearance = annotation.get_appearance_stream(Name.N)
            if appearance is not None:
                name = page.add_resource(appearance, Name.XObject, prefix="BpFlat")
                drawn.append(annotation.get_page_content_for_appearance(name, rotation, 0, HIDDEN))
            elif annot.get(Name.Subtype) not in _NO_APPEARANCE_NEEDED:
                raise UnsupportedOperationError(
                    f"flatten_annotations: annotation {sorted(ids & wanted)[0]} "
                    f"({annot.get(Name.Subtype)}) has no appearance stream to draw"
                )
        if annot.get(Name.Subtype) == Name.Widget:
            _remove_field(pdf, annot)
    if drawn:
        overlay.append(page, b"".join(drawn))
    if len(kept) != len(annots):
        page.obj.Annots = Array(kept)


def _ids(annot: pikepdf.Object) -> set[str]:
    ids = set()
    name = annot.get(Name.NM)
    if name is not None:
        ids.add(str(name))
    if annot.is_indirect:
        ids.add(str(annot.objgen[0]))
    return ids


def _remove_field(pdf: pikepdf.Pdf, widget: pikepdf.Object) -> None:
    """Take a flattened widget out of the form; drop fields left without widgets."""
    acroform = pdf.Root.get(Name.AcroForm)
    if acroform is None:
        return
    node = widget
    while node is not None:
        parent = node.get(Name.Parent)
        siblings = parent.get(Name.Kids) if parent is not None else acroform.get(Name.Fields)
        if isinstance(siblings, Array):
            remaining = [kid for kid in siblings if not _same(kid, node)]
            if parent is not None:
                parent.Kids = Array(remaining)
            else:
                acroform.Fields = Array(remaining)
            if remaining:
                return
        node = parent
    if not acroform.get(Name.Fields):
        del pdf.Root[Name.AcroForm]


def _same(a: pikepdf.Object, b: pikepdf.Object) -> bool:
    if a.is_indirect and b.is_indirect:
        return a.objgen == b.objgen
    return a is b

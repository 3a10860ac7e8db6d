"""Filling AcroForm fields by their fully qualified names, with generated appearances.

Shared by apply_instant_json (formFieldValues) and apply_xfdf (<fields>).
"""

from __future__ import annotations

from typing import Any, Mapping

import pikepdf

from ..errors import DocumentError, UnsupportedOperationError

OFF_VALUES = (None, False, "", "Off", "off", "No", "no", "false")


def fill_fields(pdf: pikepdf.Pdf, values: Mapping[str, Any]) -> None:
    """Set each named field to its value: text for text and choice fields, an export value
    (or a boolean) for checkboxes, an option name for radio groups."""
    if not values:
        return
    from pikepdf.form import (
        CheckboxField,
        ChoiceField,
        DefaultAppearanceStreamGenerator,
        Form,
        RadioButtonGroup,
        TextField,
    )

    if "/AcroForm" not in pdf.Root:
        raise DocumentError(f"the data fills form fields ({', '.join(list(values)[:3])}) but the PDF has no form")
    form = Form(pdf, DefaultAppearanceStreamGenerator)
    for name, value in values.items():
        try:
            field = form[name]
        except KeyError:
            raise DocumentError(f"the PDF has no form field named {name!r}") from None
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            if isinstance(field, CheckboxField):
                field.checked = value not in OFF_VALUES
            elif isinstance(field, (RadioButtonGroup, ChoiceField)):
                field.value = None if value in OFF_VALUES else str(value)
            elif isinstance(field, TextField):
                field.value = "" if value is None else str(value)
            else:
                raise UnsupportedOperationError(f"cannot fill form field {name!r} ({type(field).__name__})")
        except (ValueError, KeyError, NotImplementedError, pikepdf.PdfError) as exc:
            raise DocumentError(f"cannot set form field {name!r} to {value!r}: {exc}") from None

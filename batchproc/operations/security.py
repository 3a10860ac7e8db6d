"""Password protection: AES-256 encryption with DWS permission names."""

from __future__ import annotations

from typing import Any

import pikepdf

from ..engines.local.document import Document
from .registry import Param, operation

PERMISSIONS: dict[str, str] = {
    "printing": "print_lowres",
    "print_high_quality": "print_highres",
    "modification": "modify_other",
    "extract": "extract",
    "extract_accessibility": "accessibility",
    "annotations_and_forms": "modify_annotation",
    "fill_forms": "modify_form",
    "assemble": "modify_assembly",
}
"""DWS `user_permissions` names -> pikepdf.Permissions fields."""


def _permission_names(value: Any) -> str | None:
    unknown = [p for p in value if p not in PERMISSIONS]
    if unknown:
        return f"unknown permission(s) {unknown}; known: {', '.join(PERMISSIONS)}"
    return None


def _a_password(params: dict) -> str | None:
    if not params["user_password"] and not params["owner_password"]:
        return "give a user_password, an owner_password, or both"
    return None


@operation(
    "password_protect_pdf",
    Param("user_password", str, default=None, doc="password to open the document (none: anyone can open it)"),
    Param("owner_password", str, default=None, doc="password for full access; defaults to the user password"),
    Param("permissions", list, default=None, check=_permission_names,
          doc=f"what the user password allows: any of {', '.join(PERMISSIONS)}; "
              "everything when omitted, nothing when []"),
    doc="Encrypt the output with AES-256 (PDF 2.0 / R6). Applied when the output is written, "
        "so it may come anywhere in a pipeline.",
    check=_a_password,
    encrypts_output=True,
)
def password_protect_pdf(
    doc: Document, *, user_password: str | None, owner_password: str | None, permissions: list[str] | None
) -> None:
    if permissions is None:
        allow = pikepdf.Permissions(**{field: True for field in PERMISSIONS.values()})
    else:
        granted = {PERMISSIONS[name] for name in permissions}
        allow = pikepdf.Permissions(**{field: field in granted for field in PERMISSIONS.values()})
    doc.save_options["encryption"] = pikepdf.Encryption(
        user=user_password or "", owner=owner_password or user_password or "", R=6, allow=allow
    )

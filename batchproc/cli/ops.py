"""`batchproc ops`: the operation registry as text, in the words `--op` takes.

Defaults and choices are shown as JSON, the way `--op` reads values.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from ..operations import load_all
from ..operations.registry import Operation, Param, get_operation

KIND_NOTES = {
    "edit": "",
    "split": " (makes several PDFs per input)",
    "output": " (makes non-PDF output; must be the last step)",
}


def describe_all() -> str:
    """Every operation, alphabetically, with its parameters."""
    return "\n\n".join(describe(operation) for _, operation in sorted(load_all().items()))


def describe_one(method: str) -> str:
    """One operation; OperationError (suggesting the closest name) for an unknown one."""
    return describe(get_operation(method, where="operation"), example=True)


def describe(operation: Operation, *, example: bool = False) -> str:
    lines = [f"{operation.method}{KIND_NOTES[operation.kind]}"]
    lines += textwrap.wrap(operation.doc, width=88, initial_indent="    ", subsequent_indent="    ")
    if operation.requires:
        lines.append(f"    runs locally with: {', '.join(operation.requires)}")
    width = max((len(p.name) for p in operation.params), default=0)
    for param in operation.params:
        lines.append(f"  {param.name.ljust(width)}  {_spec(param)}")
        if param.doc:
            lines += textwrap.wrap(param.doc, width=88, initial_indent=" " * (width + 4),
                                   subsequent_indent=" " * (width + 4))
    if not operation.params:
        lines.append("  (no parameters)")
    if example:
        lines += ["", "  batchproc run INPUT... -o OUT_DIR --op " + _example(operation)]
    return "\n".join(lines)


def _spec(param: Param) -> str:
    parts = [param.type_names()]
    parts.append("required" if param.required else f"default {json_text(param.default)}")
    if param.choices is not None:
        parts.append("one of " + ", ".join(json_text(c) for c in param.choices))
    return "; ".join(parts)


def _example(operation: Operation) -> str:
    words = [operation.method]
    for param in operation.params:
        if param.required:
            value = param.choices[0] if param.choices else f"<{param.type_names()}>"
            words.append(f"{param.name}={value if isinstance(value, str) else json_text(value)}")
    return " ".join(words)


def json_text(value: Any) -> str:
    """`value` as `--op` would take it (JSON), or its repr when JSON cannot say it."""
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)

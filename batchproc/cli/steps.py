"""The pipeline a command line names: `--op` groups or a `--pipeline` file.

Both give the Python API's operations list, `[{"method": ..., "params": {...}}, ...]`,
which `Pipeline.from_operations` then validates like any other caller's.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ..errors import OperationError, ValidationError
from ..operations import load_all
from ..operations.registry import Param


def operations_from_args(op_groups: list[list[str]], pipeline_file: str | None) -> list[dict[str, Any]]:
    """The operations list from `--op` groups or a `--pipeline` file (exactly one of them)."""
    if op_groups and pipeline_file:
        raise ValidationError("give the steps either as --op options or as a --pipeline file, not both")
    if pipeline_file:
        return read_pipeline_file(Path(pipeline_file))
    if not op_groups:
        raise ValidationError("no operations: add --op METHOD [KEY=VALUE ...] or --pipeline FILE "
                              "(`batchproc ops` lists the operations)")
    return [operation_from_words(number, group) for number, group in enumerate(op_groups)]


def operation_from_words(index: int, words: list[str]) -> dict[str, Any]:
    """One step from `["METHOD[@ENGINE]", "KEY=VALUE", ...]`."""
    method, _, engine = words[0].partition("@")
    where = f"step {index} ({method})"
    if not method:
        raise OperationError(f"step {index}: --op needs a METHOD, got {words[0]!r}")
    params: dict[str, Any] = {}
    for word in words[1:]:
        key, _, raw = word.partition("=")
        if key in params:
            raise OperationError(f"{where}: parameter {key!r} is given twice")
        params[key] = parse_value(raw, _param(method, key))
    spec: dict[str, Any] = {"method": method, "params": params}
    if engine:
        spec["engine"] = engine
    return spec


def parse_value(raw: str, param: Param | None) -> Any:
    """`raw` read as JSON when it parses, else as text.

    When the parameter is known and takes text but the JSON reading does not fit it
    (text=2024, label=null for a required string), the text is kept as typed.
    """
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if param is not None and param.problem(value) is not None and param.problem(raw) is None:
        return raw
    return value


def read_pipeline_file(path: Path) -> list[dict[str, Any]]:
    """Steps from a JSON file (a list, or {"operations": [...]}) or a TOML file ([[operations]])."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read the pipeline file {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"the pipeline file {path} is not valid {_kind(path)}: {exc}") from None
    if isinstance(data, dict) and set(data) == {"operations"}:
        data = data["operations"]
    if not isinstance(data, list):
        raise ValidationError(
            f"the pipeline file {path} must hold a list of steps "
            + ("as [[operations]] tables" if path.suffix.lower() == ".toml" else 'or {"operations": [...]}')
        )
    return data


def _param(method: str, key: str) -> Param | None:
    operation = load_all().get(method)
    return operation.param_index.get(key) if operation is not None else None


def _kind(path: Path) -> str:
    return "TOML" if path.suffix.lower() == ".toml" else "JSON"

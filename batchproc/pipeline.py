"""A pipeline is data: a validated list of operation steps.

`Pipeline.from_operations([{"method": "rotate_pages", "params": {"degrees": 90}}, ...])`
checks every step against the operation registry before any file is touched, fills in
defaults, and raises one `OperationError` naming the step, the method and the parameter.
A Pipeline is immutable and picklable: it is shipped as is to pool and Dask workers.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from stat import S_ISREG
from typing import Any, Iterable, Mapping

from .errors import OperationError
from .operations.registry import Operation, get_operation

ENGINE_NAMES = ("local", "dws")


@dataclass(frozen=True)
class Step:
    """One validated operation: `params` holds every parameter, defaults included.

    `engine` is None to run on the batch's engine, or "local"/"dws" to pin the step to
    one engine (a mixed pipeline).
    """

    index: int
    method: str
    params: Mapping[str, Any]
    engine: str | None = None

    @property
    def operation(self) -> Operation:
        return get_operation(self.method)

    def describe(self) -> str:
        return f"step {self.index} ({self.method})"


@dataclass(frozen=True)
class Pipeline:
    """The validated steps, plus the password used to open encrypted inputs.

    The password is not part of `fingerprint()` and never shown in `repr()`.
    """

    steps: tuple[Step, ...]
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_operations(
        cls, operations: Iterable[Mapping[str, Any]], *, password: str | None = None
    ) -> "Pipeline":
        if isinstance(operations, (str, bytes, Mapping)) or not isinstance(operations, Iterable):
            raise OperationError(
                "operations must be a list of {'method': ..., 'params': {...}} objects, "
                f"got {type(operations).__name__}"
            )
        steps: list[Step] = []
        for index, spec in enumerate(operations):
            steps.append(_validate_step(index, spec))
        if not steps:
            raise OperationError("operations is empty: give at least one step")
        for step in steps[:-1]:
            if step.operation.kind == "output":
                raise OperationError(
                    f"{step.describe()}: {step.method} produces non-PDF output, so it must be the last step"
                )
        if password is not None and not isinstance(password, str):
            raise OperationError(f"password must be a string, got {type(password).__name__}")
        return cls(steps=tuple(steps), password=password)

    @classmethod
    def single(cls, method: str, params: Mapping[str, Any], *, password: str | None = None) -> "Pipeline":
        return cls.from_operations([{"method": method, "params": dict(params)}], password=password)

    def fingerprint(self) -> str:
        """A stable hash of the steps: a changed pipeline redoes resumed work. A file a
        step names by path (a watermark image, documents to merge) counts by its path,
        size and mtime, so replacing it changes the pipeline too."""
        canonical = json.dumps(
            [[s.method, _canonical(_with_file_stats(s)), s.engine] for s in self.steps],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def kind(self) -> str:
        """'split' or 'output' if some step makes several or non-PDF outputs, else 'edit'."""
        kinds = {s.operation.kind for s in self.steps}
        return "output" if "output" in kinds else "split" if "split" in kinds else "edit"

    def to_operations(self) -> list[dict[str, Any]]:
        """The pipeline as the operation dicts it was made from (defaults filled in)."""
        out = []
        for s in self.steps:
            spec: dict[str, Any] = {"method": s.method, "params": dict(s.params)}
            if s.engine:
                spec["engine"] = s.engine
            out.append(spec)
        return out


def _validate_step(index: int, spec: Any) -> Step:
    where = f"step {index}"
    if not isinstance(spec, Mapping):
        raise OperationError(f"{where}: expected an object with 'method' and 'params', got {type(spec).__name__}")
    unknown = set(spec) - {"method", "params", "engine"}
    if unknown:
        raise OperationError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: method, params, engine")
    method = spec.get("method")
    if not isinstance(method, str):
        raise OperationError(f"{where}: 'method' must be a string naming an operation")
    where = f"step {index} ({method})"
    operation = get_operation(method, where)
    params = spec.get("params", {})
    if params is None:
        params = {}
    full = operation.validate(dict(params) if isinstance(params, Mapping) else params, where)
    engine = spec.get("engine")
    if engine is not None and engine not in ENGINE_NAMES:
        raise OperationError(f"{where}: engine must be one of {', '.join(ENGINE_NAMES)}, got {engine!r}")
    return Step(index=index, method=method, params=full, engine=engine)


def _with_file_stats(step: Step) -> dict[str, Any]:
    """The step's params, each value of a parameter that names files paired with the
    stat of every file it names."""
    params = dict(step.params)
    for name, param in step.operation.param_index.items():
        value = params.get(name)
        if param.names_files and value is not None:
            params[name] = [_file_stat(v) for v in value] if isinstance(value, list) else _file_stat(value)
    return params


def _file_stat(value: Any) -> Any:
    """[path, size, mtime] for a path naming a regular file; other values (bytes, inline
    text, a URL, a path this process cannot see) as they are."""
    if not isinstance(value, (str, os.PathLike)):
        return value
    try:
        stat = os.stat(value)
    except (OSError, ValueError):  # ValueError: a NUL in inline text
        return value
    return [os.fspath(value), stat.st_size, stat.st_mtime_ns] if S_ISREG(stat.st_mode) else value


def _canonical(value: Any) -> Any:
    """JSON-able stand-in for a parameter value, for fingerprints."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value

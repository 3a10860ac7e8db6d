"""The operation registry: every operation a user can name, with its parameter schema.

An operation is declared once, next to its local implementation:

    @operation(
        "rotate_pages",
        Param("degrees", int, default=0, choices=(0, 90, 180, 270, -90, -180, -270)),
        Param("page_indexes", list, default=None, check=page_index_list),
        doc="Rotate pages clockwise by `degrees` ...",
    )
    def rotate_pages(doc: Document, *, degrees: int, page_indexes: list[int] | None) -> None:
        ...

The registry is the single source of truth for method names, parameter names, types and
defaults: `Pipeline` validation, the `Client` direct methods, `batchproc ops` and the
remote engine's compiler all read it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from ..errors import OperationError


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default of a parameter that has no default."""

ParamCheck = Callable[[Any], "str | None"]
"""Returns a plain-words problem with the value, or None when it is fine."""


@dataclass(frozen=True)
class Param:
    """One parameter of an operation.

    `types` are the Python types a value may have after JSON decoding (`int` also accepts
    no `bool`; `float` accepts `int`). None is always accepted when the default is None.
    `names_files`: the value may name files by path (one, or a list): each named file's
    size and mtime join the pipeline's fingerprint, so a resumed batch redoes its work
    when such a file was replaced.
    """

    name: str
    types: type | tuple[type, ...]
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    check: ParamCheck | None = None
    doc: str = ""
    names_files: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def type_names(self) -> str:
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        return " | ".join(t.__name__ for t in types)

    def problem(self, value: Any) -> str | None:
        """Why `value` is not acceptable for this parameter, or None."""
        if value is None and self.default is None:
            return None
        types = self.types if isinstance(self.types, tuple) else (self.types,)
        if isinstance(value, bool) and bool not in types:
            return f"expected {self.type_names()}, got bool {value!r}"
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            pass
        elif not isinstance(value, types):
            return f"expected {self.type_names()}, got {type(value).__name__} {_short(value)}"
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            return f"{_short(value)} is not one of {allowed}"
        if self.check is not None:
            return self.check(value)
        return None


OperationKind = Literal["edit", "split", "output"]


@dataclass(frozen=True)
class Operation:
    """A named document operation and its local implementation.

    kind:
      "edit"   apply(doc, **params) changes the document in place and returns None;
      "split"  apply(doc, **params) returns a list of Documents (one output file each);
      "output" apply(doc, **params) returns a list of Artifacts (images, text, ...);
               an "output" step must be the last step of a pipeline.
    requires: names of external programs the local implementation runs (see
              batchproc.external), checked once per worker with a clear DependencyError.
    check:    a cross-parameter check on the complete, defaulted params dict.
    encrypts_output: the step encrypts the document when it is saved, so in a mixed
              pipeline it must run on the last engine (the next one could not open it).
    """

    method: str
    apply: Callable[..., Any]
    params: tuple[Param, ...]
    doc: str
    kind: OperationKind = "edit"
    requires: tuple[str, ...] = ()
    check: Callable[[dict[str, Any]], "str | None"] | None = None
    encrypts_output: bool = False
    param_index: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})

    def validate(self, params: dict[str, Any], where: str) -> dict[str, Any]:
        """Return `params` with defaults filled in, or raise OperationError naming `where`."""
        if not isinstance(params, dict):
            raise OperationError(f"{where}: 'params' must be an object, got {type(params).__name__}")
        unknown = [name for name in params if name not in self.param_index]
        if unknown:
            name = unknown[0]
            hint = _closest(name, self.param_index)
            raise OperationError(
                f"{where}: {self.method} has no parameter {name!r}{hint}; "
                f"its parameters are: {', '.join(self.param_index) or '(none)'}"
            )
        full: dict[str, Any] = {}
        for param in self.params:
            if param.name in params:
                value = params[param.name]
            elif param.required:
                raise OperationError(f"{where}: {self.method} needs parameter {param.name!r}")
            else:
                value = param.default
            problem = param.problem(value)
            if problem:
                raise OperationError(f"{where}: {self.method} parameter {param.name!r}: {problem}")
            full[param.name] = value
        if self.check is not None:
            problem = self.check(full)
            if problem:
                raise OperationError(f"{where}: {self.method}: {problem}")
        return full


REGISTRY: dict[str, Operation] = {}


def operation(
    method: str,
    *params: Param,
    doc: str,
    kind: OperationKind = "edit",
    requires: tuple[str, ...] = (),
    check: Callable[[dict[str, Any]], "str | None"] | None = None,
    encrypts_output: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the local implementation of `method`."""

    def register(apply: Callable[..., Any]) -> Callable[..., Any]:
        if method in REGISTRY:
            raise RuntimeError(f"operation {method!r} registered twice")
        REGISTRY[method] = Operation(
            method=method, apply=apply, params=params, doc=doc, kind=kind, requires=requires, check=check,
            encrypts_output=encrypts_output,
        )
        return apply

    return register


def get_operation(method: str, where: str = "operation") -> Operation:
    """The registered operation called `method`, or an OperationError suggesting the closest."""
    from . import load_all

    load_all()
    try:
        return REGISTRY[method]
    except KeyError:
        hint = _closest(method, REGISTRY)
        raise OperationError(f"{where}: unknown method {method!r}{hint}") from None


def _closest(name: str, names) -> str:
    close = difflib.get_close_matches(str(name), list(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

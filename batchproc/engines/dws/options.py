"""The DWS engine's options, with their units in their names and their defaults.

An `EngineSpec` carries the union of the options of the engines a pipeline may use: a
local batch whose pipeline pins some steps to "dws" (a mixed pipeline) carries the DWS
options too, and each engine receives only its own (`engines.chain`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ...errors import AuthenticationError, ValidationError

DEFAULT_BASE_URL = "https://api.nutrient.io"
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_READ_TIMEOUT_S = 300.0
API_KEY_ENV = "NUTRIENT_API_KEY"

OPTION_NAMES = ("api_key", "base_url", "connect_timeout_s", "read_timeout_s")


@dataclass(frozen=True)
class DWSOptions:
    """How to reach a server that speaks the DWS protocol. The key never shows in repr."""

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S

    @classmethod
    def from_options(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    ) -> "DWSOptions":
        """Options from engine arguments; the key falls back to $NUTRIENT_API_KEY."""
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise AuthenticationError(
                f"the dws engine needs an API key: pass api_key=... or set {API_KEY_ENV}"
            )
        if not isinstance(key, str):
            raise ValidationError(f"api_key must be a string, got {type(key).__name__}")
        url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValidationError(f"base_url must start with http:// or https://, got {url!r}")
        for name, value in (("connect_timeout_s", connect_timeout_s), ("read_timeout_s", read_timeout_s)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValidationError(f"{name} must be a positive number of seconds, got {value!r}")
        return cls(key, url, float(connect_timeout_s), float(read_timeout_s))

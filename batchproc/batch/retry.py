"""Retry policy for transient errors, decided in the parent.

Errors whose `transient` flag is set (rate limits, network errors, 502/503/504) are
retried up to `max_retries` times; every other error is final. The wait before attempt
n+1 is the server's Retry-After when it sent one, else "full jitter" exponential backoff:
uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**(n-1))).
"""

from __future__ import annotations

import random

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


def should_retry(error: BaseException, attempts: int, max_retries: int) -> bool:
    """True if `error`, after `attempts` tries, deserves another one."""
    return bool(getattr(error, "transient", False)) and attempts <= max_retries


def backoff_delay_s(error: BaseException, attempts: int) -> float:
    """Seconds to wait before the next try, after `attempts` tries ended in `error`."""
    retry_after = getattr(error, "retry_after_s", None)
    if isinstance(retry_after, (int, float)) and retry_after >= 0:
        return float(retry_after)
    return random.uniform(0.0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempts - 1)))

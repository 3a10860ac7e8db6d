"""The dws engine: the Nutrient DWS Processor API (`POST /build`) over requests.

    compile.py    pipeline → the fewest /build requests (pure; no network)
    transport.py  one requests.Session; streamed multipart up, streamed body down;
                  HTTP statuses and network failures → batchproc.errors
    engine.py     DWSEngine.run: plan, send, unpack the results into artifacts
"""

from .engine import DWSEngine
from .options import OPTION_NAMES, DWSOptions

__all__ = ["DWSEngine", "DWSOptions", "OPTION_NAMES"]

"""The dws engine: the Nutrient DWS Processor API (`POST /build`) over urllib3.

    compile.py    pipeline → the fewest /build requests (pure; no network)
    transport.py  one urllib3 pool; streamed multipart up, streamed body down;
                  HTTP statuses and network failures → batchproc.errors
    engine.py     DWSEngine.run: plan, send, unpack the results into artifacts
"""

from .engine import DWSEngine
from .options import OPTION_NAMES, DWSOptions

__all__ = ["DWSEngine", "DWSOptions", "OPTION_NAMES"]

"""Ghostscript (`gs`): PDF/A conversion with the pdfwrite device.

The PDF/A definition (Ghostscript's PDFA_def.ps: the output intent and its ICC profile)
is passed inline with `-c`, so no file is written. Ghostscript 10 runs in SAFER mode, so
it must be allowed to read the profile (`--permit-file-read`); the profile is the sRGB
(ICC v2) one pikepdf ships, valid for every PDF/A part.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import ExternalToolError
from . import require

DEFAULT_TIMEOUT_S = 600.0

_PDFA_DEF = """/ICCProfile ({icc}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} <<
  /Type /OutputIntent
  /S /GTS_PDFA1
  /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB)
  /Info (sRGB IEC61966-2.1)
>> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


def srgb_profile() -> Path:
    """The sRGB ICC profile (version 2, so PDF/A-1 accepts it) shipped with pikepdf."""
    import pikepdf

    return Path(pikepdf.__file__).parent / "pdfa" / "data" / "sRGB.icc"


def _pdfa_definition() -> str:
    icc = str(srgb_profile()).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return _PDFA_DEF.format(icc=icc)


def convert_to_pdfa(*, input_path: Path, output_path: Path, part: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Rewrite `input_path` as PDF/A-`part` (1, 2 or 3, level B) into `output_path`.

    Colours are converted to RGB under an sRGB output intent and every font is embedded.
    Raises ExternalToolError when Ghostscript fails or writes nothing.
    """
    gs = require("ghostscript")
    argv = [
        gs, "-q", "-dBATCH", "-dNOPAUSE", "-dNOINTERPOLATE",
        f"-dPDFA={part}", "-dPDFACompatibilityPolicy=1",
        "-sDEVICE=pdfwrite", "-sColorConversionStrategy=RGB", "-sProcessColorModel=DeviceRGB",
        "-dAutoRotatePages=/None",  # keep every page as the reader saw it (the default turns pages to upright text)
        f"--permit-file-read={srgb_profile().parent}/",
        "-sOutputFile=" + str(output_path).replace("%", "%%"),
        "-c", _pdfa_definition(), "-f", str(input_path),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ExternalToolError(f"Ghostscript PDF/A conversion ran longer than {timeout_s:.0f} s") from None
    if done.returncode != 0 or not output_path.is_file() or output_path.stat().st_size == 0:
        raise ExternalToolError(
            f"Ghostscript PDF/A conversion failed (exit {done.returncode}): {_tail(done.stderr or done.stdout)}"
        )


def _tail(output: bytes, lines: int = 5) -> str:
    text = output.decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "no message"

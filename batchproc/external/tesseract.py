"""Tesseract: recognise text in page images, written as a text-only (invisible) PDF.

`OMP_THREAD_LIMIT=1` is set for every run: on small hosts Tesseract's OpenMP threads
thrash (about 6x slower on 2 vCPUs), and batch workers already use every core.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from ..errors import DependencyError, ExternalToolError
from . import dies_with_this_thread, require

TIMEOUT_PER_PAGE_S = 180.0


@functools.cache
def installed_languages() -> frozenset[str]:
    """The language codes whose trained data Tesseract finds (`tesseract --list-langs`)."""
    done = subprocess.run(
        [require("tesseract"), "--list-langs"], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise ExternalToolError(f"tesseract --list-langs failed: {done.stderr.strip() or done.stdout.strip()}")
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:] if line.strip())


def require_languages(codes: list[str]) -> None:
    """DependencyError naming the Debian package of the first language not installed."""
    available = installed_languages()
    for code in codes:
        if code not in available:
            package = "tesseract-ocr-" + code.lower().replace("_", "-")
            raise DependencyError(
                f"OCR language {code!r} is not installed for Tesseract: install it with 'apt-get install {package}'"
            )


def text_layer_pdf(*, images: list[Path], output_base: Path, languages: list[str], dpi: int) -> Path:
    """OCR `images` (one per page, in order) into one PDF of invisible text; returns its path.

    Each page of the result measures the image's size at `dpi`, so it lays over the page
    the image was rendered from. One Tesseract run per call: the language model loads once.
    """
    tesseract = require("tesseract")
    if len(images) == 1:
        image_arg = str(images[0])
    else:
        listing = output_base.with_suffix(".txt")
        listing.write_text("".join(f"{p}\n" for p in images), encoding="utf-8")
        image_arg = str(listing)
    argv = [
        *dies_with_this_thread(), tesseract, image_arg, str(output_base),
        "-l", "+".join(languages), "--dpi", str(dpi),
        "-c", "textonly_pdf=1", "pdf",
    ]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    timeout_s = TIMEOUT_PER_PAGE_S * len(images)
    try:
        done = subprocess.run(argv, capture_output=True, env=env, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ExternalToolError(f"Tesseract ran longer than {timeout_s:.0f} s on {len(images)} page(s)") from None
    output = output_base.with_suffix(".pdf")
    if done.returncode != 0 or not output.is_file():
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExternalToolError(f"Tesseract failed (exit {done.returncode}): {' | '.join(message[-3:]) or 'no message'}")
    return output

"""LibreOffice (`soffice --headless`): convert Office documents to PDF.

Each process uses its own LibreOffice profile (`-env:UserInstallation`): instances that
share one fail silently. The profile is created on the first conversion and reused, so
later conversions in a warm worker skip LibreOffice's first-start set-up.
"""

from __future__ import annotations

import functools
import multiprocessing.util
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import ExternalToolError
from . import group_dies_with_this_thread, require

DEFAULT_TIMEOUT_S = 180.0


@functools.cache
def _profile_dir(pid: int) -> Path:
    """This process's private LibreOffice profile (keyed by pid: forked workers get their own).

    Removed when the process exits: multiprocessing's finalizers run in pool workers too,
    which end with os._exit and so never run atexit handlers.
    """
    folder = Path(tempfile.mkdtemp(prefix="batchproc-lo-"))
    multiprocessing.util.Finalize(None, shutil.rmtree, args=(folder, True), exitpriority=10)
    return folder


def convert_to_pdf(*, input_path: Path, outdir: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> Path:
    """Convert `input_path` to `<outdir>/<stem>.pdf` and return that path.

    LibreOffice chooses its import filter from the file's extension and content, so the
    extension must match the content. Raises ExternalToolError on failure or timeout.
    """
    soffice = require("libreoffice")
    profile = _profile_dir(os.getpid())
    argv = [
        *group_dies_with_this_thread(),
        soffice, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to", "pdf", "--outdir", str(outdir), str(input_path),
    ]
    # A session of its own, so a timeout (or the worker's death) stops soffice.bin and its
    # helpers together.
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise ExternalToolError(f"LibreOffice conversion ran longer than {timeout_s:.0f} s") from None
    output = outdir / (input_path.stem + ".pdf")
    if process.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
        message = (stderr or stdout).decode("utf-8", "replace").strip().splitlines()
        raise ExternalToolError(
            f"LibreOffice could not convert the document to PDF (exit {process.returncode}): "
            f"{' | '.join(message[-3:]) or 'no output was written'}"
        )
    return output

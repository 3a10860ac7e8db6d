"""Ghostscript (`gs`): PDF/A conversion with the pdfwrite device, in a warm process.

Starting Ghostscript costs about 55 ms, more than converting a three-page text file. So
each thread keeps one Ghostscript running (`_Server`) and hands it one document after
another through its interactive executive on stdin: switching `/OutputFile` closes the
previous document and starts a fresh one, so no document state is shared, but the
interpreter and its font cache stay warm (measured here: ~29 ms per three-page file
instead of ~100 ms). A server serves one PDF/A part and one work folder (a batch worker
keeps its folder for the whole batch); it is replaced when either changes, after a
failure or a timeout, and after MAX_JOBS documents. It ends with its thread, or when our
process ends (its stdin closes).

Ghostscript runs in SAFER mode, allowed to read and write only that work folder (an
input from elsewhere is linked into it) and to read the sRGB profile. The PDF/A
definition (Ghostscript's PDFA_def.ps: the output intent and its ICC profile, pikepdf's
sRGB ICC v2, valid for every PDF/A part) is sent inline with each document.
"""

from __future__ import annotations

import os
import secrets
import select
import subprocess
import threading
import time
import weakref
from pathlib import Path

from ..errors import ExternalToolError
from . import dies_with_this_thread, require

DEFAULT_TIMEOUT_S = 600.0
MAX_JOBS = 500
"""Documents one Ghostscript converts before it is replaced (bounds any slow leak)."""

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


def convert_to_pdfa(*, input_path: Path, output_path: Path, part: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Rewrite `input_path` as PDF/A-`part` (1, 2 or 3, level B) into `output_path`.

    Colours are converted to RGB under an sRGB output intent and every font is embedded.
    Raises ExternalToolError when Ghostscript fails, runs past `timeout_s`, or writes nothing.
    """
    folder = Path(output_path).parent
    server = getattr(_local, "server", None)
    if server is None or not server.serves(part, folder):
        if server is not None:
            server.close()
        server = _local.server = _Server(part, folder)
    try:
        server.convert(Path(input_path), Path(output_path), timeout_s)
    except ExternalToolError:
        server.close()  # a failed interpreter may hold state: the next document gets a fresh one
        _local.server = None
        raise


_local = threading.local()


class _Server:
    """One Ghostscript process converting documents in `folder` to PDF/A-`part`, one at a time."""

    def __init__(self, part: int, folder: Path) -> None:
        self.part = part
        self.folder = folder
        self.jobs = 0
        self._token = secrets.token_hex(8)
        """Ends each job's output: a document cannot forge it."""
        argv = [
            *dies_with_this_thread(), require("ghostscript"), "-q", "-dNOPAUSE", "-dNOPROMPT", "-dNOINTERPOLATE",
            f"-dPDFA={part}", "-dPDFACompatibilityPolicy=1",
            "-sDEVICE=pdfwrite", "-sColorConversionStrategy=RGB", "-sProcessColorModel=DeviceRGB",
            "-dAutoRotatePages=/None",  # keep every page as the reader saw it (the default turns pages to upright text)
            f"--permit-file-read={srgb_profile().parent}/",
            f"--permit-file-read={folder}/", f"--permit-file-write={folder}/",
            "-sOutputFile=" + str(self._idle).replace("%", "%%"),
        ]  # fmt: skip
        try:
            self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as exc:
            raise ExternalToolError(f"Ghostscript could not be started: {exc}") from None
        self._owner = os.getpid()
        self._finalizer = weakref.finalize(self, _stop, self._process, self._owner)

    @property
    def _idle(self) -> Path:
        """Where Ghostscript writes between documents (an empty file)."""
        return self.folder / "gs-idle.pdf"

    def serves(self, part: int, folder: Path) -> bool:
        """Whether this server can take the next document: same part and folder, alive, not
        worn out, and ours (a forked child must not talk to its parent's server)."""
        return (
            (self.part, self.folder) == (part, folder)
            and self._owner == os.getpid()
            and self._process.poll() is None
            and self.jobs < MAX_JOBS
        )

    def convert(self, input_path: Path, output_path: Path, timeout_s: float) -> None:
        self.jobs += 1
        source = input_path
        if input_path.parent != self.folder:  # Ghostscript may read only its folder
            source = self.folder / "gs-input.pdf"
            source.unlink(missing_ok=True)
            source.symlink_to(input_path.resolve())
        # One job: open the output, declare PDF/A, run the input, then switch to the idle
        # file, which finishes writing the output. `stopped` catches a failure.
        job = (
            f"{{ << /OutputFile {_ps_string(output_path, output=True)} >> setpagedevice\n{_pdfa_definition()}\n"
            f"{_ps_string(source)} run }} stopped\n"
            f"<< /OutputFile {_ps_string(self._idle, output=True)} >> setpagedevice\n"
            f"{{ (\\n{self._token} failed\\n) }} {{ (\\n{self._token} done\\n) }} ifelse print flush\n"
        )
        try:
            output = self._run(job.encode(), timeout_s)
        finally:
            if source != input_path:
                source.unlink(missing_ok=True)
        if f"{self._token} done" not in output or not output_path.is_file() or output_path.stat().st_size == 0:
            said = _tail(output.replace(self._token, ""))
            raise ExternalToolError(f"Ghostscript PDF/A conversion failed: {said}")

    def _run(self, job: bytes, timeout_s: float) -> str:
        """Send `job`; the interpreter's output up to and including our end marker."""
        try:
            self._process.stdin.write(job)
            self._process.stdin.flush()
        except OSError:
            raise ExternalToolError(f"Ghostscript stopped unexpectedly (exit {self._process.poll()})") from None
        deadline = time.monotonic() + timeout_s
        output = b""
        ends = (f"\n{self._token} done\n".encode(), f"\n{self._token} failed\n".encode())
        stdout = self._process.stdout.fileno()
        while not any(end in output for end in ends):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stdout], [], [], left)[0]:
                raise ExternalToolError(f"Ghostscript PDF/A conversion ran longer than {timeout_s:.0f} s")
            chunk = os.read(stdout, 65536)
            if not chunk:
                said = _tail(output.decode("utf-8", "replace"))
                raise ExternalToolError(f"Ghostscript stopped unexpectedly (exit {self._process.wait()}): {said}")
            output += chunk
        return output.decode("utf-8", "replace")

    def close(self) -> None:
        self._finalizer()


def _stop(process: subprocess.Popen, owner: int) -> None:
    """End a server: closing stdin ends an idle Ghostscript; a busy or stuck one is killed.
    In a forked child, the parent's server is left alone."""
    if os.getpid() != owner:
        return
    try:
        process.stdin.close()
        process.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
    process.stdout.close()


def _pdfa_definition() -> str:
    return _PDFA_DEF.format(icc=_ps_string(srgb_profile())[1:-1])


def _ps_string(path: Path, *, output: bool = False) -> str:
    """`path` as a PostScript string literal; for an /OutputFile, % doubled (a lone % is
    a page-number template there)."""
    text = str(path).replace("%", "%%") if output else str(path)
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _tail(output: str, lines: int = 5) -> str:
    text = [line for line in output.strip().splitlines() if line.strip()]
    return " | ".join(text[-lines:]) or "no message"

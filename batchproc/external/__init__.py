"""External programs the local engine runs: one module per program (ghostscript,
tesseract, libreoffice), each building argv lists and turning the program's failures into
our typed errors on the spot. `require(name)` checks once per process that a program is
installed and names the Debian package to install when it is not.
"""

from __future__ import annotations

import functools
import shutil

from ..errors import DependencyError

# program name -> (executable, Debian package that provides it)
PROGRAMS: dict[str, tuple[str, str]] = {
    "ghostscript": ("gs", "ghostscript"),
    "tesseract": ("tesseract", "tesseract-ocr"),
    "libreoffice": ("soffice", "libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui"),
    "qpdf": ("qpdf", "qpdf"),
}


@functools.cache
def require(program: str) -> str:
    """The path of `program`'s executable, or DependencyError saying what to install."""
    executable, package = PROGRAMS[program]
    found = shutil.which(executable)
    if found is None:
        raise DependencyError(
            f"{program} is not installed (no '{executable}' on PATH): install it with "
            f"'apt-get install {package}', or run the project's set-up (bash .ci/setup)"
        )
    return found


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def dies_with_this_thread() -> list[str]:
    """An argv prefix making the program SIGKILLed when the thread that started it ends
    (Linux's parent-death signal; util-linux's setpriv is on every Debian): a worker killed
    for a timeout must not leave a program running on the file that hung it."""
    setpriv = _setpriv()
    return [setpriv, "--pdeathsig", "KILL"] if setpriv else []


def group_dies_with_this_thread() -> list[str]:
    """`dies_with_this_thread` for a program whose work happens in processes it forks,
    which the parent-death signal does not reach (LibreOffice: soffice execs oosplash,
    which forks soffice.bin). A shell gets the signal as SIGTERM, traps it, and SIGKILLs
    its whole process group. Start the program with start_new_session=True, so that group
    is the program's own."""
    setpriv = _setpriv()
    if setpriv is None:
        return []
    return [setpriv, "--pdeathsig", "TERM", "/bin/sh", "-c", 'trap "kill -s KILL 0" TERM; "$@" & wait $!', "sh"]

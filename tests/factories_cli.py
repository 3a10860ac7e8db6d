"""Running the real `batchproc` command, and small input folders for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.factories import text_pdf

REPO = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "batchproc"]


def command_env(**extra: str) -> dict[str, str]:
    """The environment of a child `batchproc`: importable from any folder, no stray password."""
    env = {k: v for k, v in os.environ.items() if k not in ("BATCHPROC_PASSWORD", "NUTRIENT_API_KEY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def batchproc(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "",
              timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `batchproc ARGS` in `cwd` (with `stdin` as its input) and return its exit status
    and captured output."""
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=env or command_env(), input=stdin, capture_output=True, text=True,
        timeout=timeout,
    )


def start_batchproc(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `batchproc ARGS` in its own process group with Ctrl-C enabled.

    Background children of a non-interactive shell inherit SIGINT ignored, and Python
    keeps it ignored; restoring the default first lets Python install its handler, as an
    interactive terminal would.
    """
    return subprocess.Popen(
        [*COMMAND, *args], cwd=cwd, env=env or command_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def pdf_folder(folder: Path, count: int, *, pages: int = 2) -> list[Path]:
    """`count` text PDFs named doc-00.pdf, doc-01.pdf, ... in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"doc-{n:02d}.pdf"
        text_pdf(path, pages=pages, text=f"Document {n}")
        paths.append(path)
    return paths


def read_json_report(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))

"""`batchproc demo`: the main job on generated samples, on this machine.

It writes sample documents (see batchproc.samples) to DIR/samples, then runs two
`batchproc run` commands, printed before they run so they can be copied:

    documents  reports, a form and Office files (converted implicitly): flatten the
               annotations and form fields, stamp CONFIDENTIAL on every page
    scans      a page scanned sideways: turn it upright, OCR it, stamp CONFIDENTIAL

Outputs go to DIR/results/<batch>, a JSON report per batch to DIR/report-<batch>.json.
Every demo run processes everything again (--no-resume), so it always shows real work.
"""

from __future__ import annotations

import shlex
import sys
from argparse import Namespace
from pathlib import Path
from typing import Callable

from .. import samples

WATERMARK = ["watermark_pdf", "text=CONFIDENTIAL", "font_color=#c00000", "opacity=0.35", "rotation=45",
             "width=440", "height=110"]
PIPELINES = {
    "documents": [["flatten_annotations"], WATERMARK],
    "scans": [["rotate_pages", "degrees=90"], ["ocr_pdf", "language=english"], WATERMARK],
}


def run_demo(args: Namespace, *, run: Callable[[list[str]], int]) -> int:
    """Generate the samples and run the demo batches through `run` (the CLI's main).
    Returns the worst exit status of the batches."""
    folder = Path(args.dir)
    _say(args, f"Generating sample documents in {folder / 'samples'} ...")
    samples.generate(folder / "samples", reports=args.reports)
    status = 0
    for batch, steps in PIPELINES.items():
        argv = batch_argv(folder, batch, steps, args)
        _say(args, f"\n$ batchproc {shlex.join(argv)}")
        status = max(status, run(argv))
        if status == 130:
            return status
    _say(args, f"\nDone: the results are in {folder / 'results'}; each page now carries a CONFIDENTIAL stamp.")
    return status


def batch_argv(folder: Path, batch: str, steps: list[list[str]], args: Namespace) -> list[str]:
    """The `batchproc run` arguments of one demo batch."""
    argv = [
        "run", str(folder / "samples" / batch),
        "-o", str(folder / "results" / batch),
        "--format", "{name}{ext}",
        "--no-resume",
        "--report", str(folder / f"report-{batch}.json"),
    ]
    for step in steps:
        argv += ["--op", *step]
    if args.workers is not None:
        argv += ["--workers", str(args.workers)]
    if args.verbosity:
        argv.append("--quiet" if args.verbosity < 0 else "--verbose")
    return argv


def _say(args: Namespace, message: str) -> None:
    if args.verbosity >= 0:
        print(message, file=sys.stderr)

"""The argument parser of `batchproc`, and the value types its options read.

`--op METHOD [KEY=VALUE ...]` takes a variable number of words, which argparse cannot
tell apart from the positional inputs; `group_op_words` first folds each `--op` and the
KEY=VALUE words after it into one argument, so inputs may come before or after the steps.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Sequence

from ..batch.options import DEFAULT_MAX_RETRIES, DEFAULT_MAX_WORKERS

PASSWORD_ENV = "BATCHPROC_PASSWORD"
API_KEY_ENV = "NUTRIENT_API_KEY"

_PARAM_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

RUN_EXAMPLES = """\
examples:
  batchproc run scans/ -r -o out --op rotate_pages degrees=90 --op watermark_pdf text=DRAFT
  batchproc run 'inbox/*.pdf' -o out --op ocr_pdf@dws language=english --report report.csv
  batchproc run a.pdf b.docx -o out --pipeline steps.json --dry-run
  find archive -name '*.pdf' -mtime -7 | batchproc run - -o out --op optimize_pdf

--op values are read as JSON when they parse (degrees=90, opacity=0.5, page_indexes=[0,2],
flag=true), else as text (text=DRAFT). Quote them for the shell: text='Top secret'.
A step runs on the batch's --engine unless it names one: --op ocr_pdf@dws. The words
after --op that look like KEY=VALUE belong to the step; put `--` before an input whose
name looks like one.
--pipeline reads the Python API's list, [{"method": ..., "params": {...}}, ...], from a
.json file, or from a .toml file as [[operations]] tables.

An interrupted run (Ctrl-C) is resumed by running the same command again: files already
finished are skipped. The input password may come from $BATCHPROC_PASSWORD instead of
--password, which other users can see in `ps`. The DWS API key comes from $NUTRIENT_API_KEY.

exit status: 0 all files succeeded, 1 some files failed, 2 usage or validation error
(nothing processed), 130 interrupted.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="batchproc",
        description="Run one chain of document operations over many PDF and Office files.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(commands)
    _add_ops(commands)
    _add_demo(commands)
    return parser


def _add_run(commands) -> None:
    run = commands.add_parser(
        "run",
        help="process files, folders and globs through a pipeline of operations",
        description="Process every INPUT through the same pipeline of operations, writing one\n"
        "output per input (several for split and image steps) into OUT_DIR.",
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    io = run.add_argument_group("inputs and outputs")
    io.add_argument("inputs", nargs="+", metavar="INPUT",
                    help="a file, a folder (its documents; with -r also its subfolders), a quoted glob, "
                    "or - to read file names from stdin, one a line")
    io.add_argument("-o", "--output-dir", required=True, metavar="OUT_DIR",
                    help="folder for the outputs (created if missing); also holds the resume journal")
    io.add_argument("-r", "--recursive", action="store_true", help="descend into the subfolders of folder INPUTs")
    io.add_argument("--format", dest="output_format", metavar="TEMPLATE", default="{name}_{index}{ext}",
                    help="output file names: {name} (input name without extension), {index} "
                    "(position in the batch, in the order the inputs are found), {ext} (output "
                    "extension); default %(default)s")

    ops = run.add_argument_group("operations (give --op steps or one --pipeline file)")
    ops.add_argument("--op", dest="op_groups", action="append", type=_op_group, default=[],
                     metavar="METHOD[@ENGINE] [KEY=VALUE ...]",
                     help="one step; repeat for a chain, applied in order (see `batchproc ops`)")
    ops.add_argument("--pipeline", metavar="FILE", help="read the steps from a JSON or TOML file")
    ops.add_argument("--password", help=f"password of encrypted inputs (or set ${PASSWORD_ENV})")

    run_options = run.add_argument_group("execution")
    run_options.add_argument("-j", "--workers", type=_positive_int, metavar="N",
                             help=f"files processed at once (default: {DEFAULT_MAX_WORKERS})")
    run_options.add_argument("--parallel", choices=("auto", "process", "thread", "none"), default="auto",
                             help="processes, threads, or none (one file after another in this "
                             "process); auto: processes for local work, threads for remote (default)")
    run_options.add_argument("--dask", metavar="ADDRESS",
                             help="run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786); "
                             "workers need batchproc and the inputs and OUT_DIR at the same paths; "
                             "set -j to the cluster's thread count")
    run_options.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                             help="skip files a previous run of the same pipeline finished (default: on)")
    run_options.add_argument("--stop-on-error", action="store_true",
                             help="stop at the first failed file instead of going on with the rest")
    run_options.add_argument("--retries", type=_non_negative_int, metavar="N",
                             help=f"retries of a file after a transient error (default: {DEFAULT_MAX_RETRIES})")
    run_options.add_argument("--timeout", dest="timeout_s", type=_positive_float, metavar="SECONDS",
                             help="fail a file that takes longer than this")
    run_options.add_argument("--memory-limit", dest="memory_limit_bytes", type=parse_size, metavar="SIZE",
                             help="fail a file whose worker grows past this resident memory, e.g. 512M, 2G")
    run_options.add_argument("--dry-run", action="store_true",
                             help="validate the pipeline and list the planned outputs; process nothing")

    engine = run.add_argument_group("engine")
    engine.add_argument("--engine", choices=("local", "dws"), default="local",
                        help=f"local: this machine (default); dws: the Nutrient DWS API (key from ${API_KEY_ENV})")
    engine.add_argument("--base-url", metavar="URL", help="DWS server to talk to (default: api.nutrient.io)")

    out = run.add_argument_group("reporting")
    out.add_argument("--report", metavar="FILE",
                     help="write one record per file as it finishes: CSV if FILE ends in .csv, else JSON")
    _add_verbosity(out)


def _add_ops(commands) -> None:
    ops = commands.add_parser(
        "ops",
        help="list the operations and their parameters",
        description="List every operation with its parameters, types and defaults, or show one.",
        allow_abbrev=False,
    )
    ops.add_argument("method", nargs="?", metavar="METHOD", help="show only this operation")


def _add_demo(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="generate sample documents and batch them on the local engine",
        description="Generate sample documents (text reports, Office files, a scan, a form) in "
        "DIR/samples and process them on this machine into DIR/results, with a progress bar "
        "and a summary.",
        allow_abbrev=False,
    )
    demo.add_argument("--dir", default="demo-output", help="where to put samples and results (default: %(default)s)")
    demo.add_argument("--reports", type=_positive_int, default=40, metavar="N",
                      help="how many text reports to generate (default: %(default)s)")
    demo.add_argument("-j", "--workers", type=_positive_int, metavar="N",
                      help=f"files processed at once (default: {DEFAULT_MAX_WORKERS})")
    _add_verbosity(demo)


def _add_verbosity(group) -> None:
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=0,
                          help="no progress bar and no summary; only failures")
    loudness.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                          help="also name every finished file")


def group_op_words(argv: Sequence[str]) -> list[str]:
    """Fold every `--op METHOD KEY=VALUE ...` into `--op <JSON list of its words>`.

    A word belongs to the step while it looks like KEY=VALUE (KEY an identifier); the
    first other word (an input, an option) ends it. After `--` nothing is folded.
    """
    out: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        if (word == "--op" and i + 1 < len(words)) or word.startswith("--op="):
            if word == "--op":
                group, i = [words[i + 1]], i + 2
            else:
                group, i = [word[len("--op="):]], i + 1
            while i < len(words) and _PARAM_WORD.match(words[i]):
                group.append(words[i])
                i += 1
            out += ["--op", json.dumps(group)]
            continue
        out.append(word)
        i += 1
    return out


def _op_group(text: str) -> list[str]:
    try:
        group = json.loads(text)
    except json.JSONDecodeError:
        group = None
    if not isinstance(group, list) or not group or not all(isinstance(w, str) for w in group):
        raise argparse.ArgumentTypeError(f"expected METHOD [KEY=VALUE ...], got {text!r}")
    return group


def parse_size(text: str) -> int:
    """Bytes from '512M', '2G', '1.5GiB', '1048576' (binary units: 1K = 1024 bytes)."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size such as 512M or 2G, got {text!r}")
    number, unit = match.groups()
    size = int(float(number) * _SIZE_FACTORS[unit.upper()])
    if size <= 0:
        raise argparse.ArgumentTypeError(f"a size must be more than 0, got {text!r}")
    return size


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("batchproc")
    except PackageNotFoundError:
        return "unknown"

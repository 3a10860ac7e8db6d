"""`batchproc`: the command line entry point. `main(argv)` returns the exit status.

Exit statuses belong here alone (`exit_status_of` is the one place an exception becomes
one): 0 every file succeeded, 1 some files failed, 2 usage or validation error (nothing
was processed), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import tempfile
from argparse import Namespace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..batch.journal import journal_key, outputs_present, read_finished
from ..batch.naming import EXT_MARK, OutputNamer, check_format
from ..batch.result import FileResult
from ..client import Client
from ..errors import AuthenticationError, BatchprocError, OutputNameError, ValidationError
from ..inputs import Source
from ..pipeline import Pipeline, Step
from . import inputs, ops, steps
from .args import PASSWORD_ENV, build_parser, group_op_words
from .demo import run_demo
from .progress import Progress
from .report import ReportWriter

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(group_op_words(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # argparse: --help and --version (0), usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return exit_status_of(COMMANDS[args.command], args)


def exit_status_of(command: Callable[[Namespace], int], args: Namespace) -> int:
    """Run `command`, turning the exceptions that escape it into an exit status and a message."""
    try:
        return command(args)
    except ValidationError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("batchproc: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BatchprocError as exc:
        _error(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILED
    except BrokenPipeError:
        # stdout was closed early (`batchproc ops | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def run_command(args: Namespace) -> int:
    """`batchproc run`: validate everything, then stream the batch through the runner."""
    operations = steps.operations_from_args(args.op_groups, args.pipeline)
    password = args.password or os.environ.get(PASSWORD_ENV) or None
    pipeline = Pipeline.from_operations(operations, password=password)
    inputs.check_arguments(args.inputs)
    check_format(args.output_format)
    output_dir = Path(args.output_dir)
    if args.dry_run:
        return dry_run(args, pipeline, output_dir)
    prepare_output_dir(output_dir)
    engine_options = {"base_url": args.base_url} if args.base_url else {}
    leave_out = [output_dir] + ([Path(args.report)] if args.report else [])
    sources = inputs.iter_inputs(args.inputs, recursive=args.recursive, leave_out=leave_out)
    try:
        client = Client(args.engine, **engine_options)
        results = client.iter_batch(sources, operations, output_dir, **batch_options(args, password))
    except AuthenticationError as exc:  # no API key (the engine's, or a step pinned to dws): a usage error
        raise ValidationError(exc.message) from None
    report = ReportWriter(Path(args.report)) if args.report else None
    progress = Progress(verbosity=args.verbosity)
    progress.count_in_background(
        lambda: inputs.count_inputs(args.inputs, recursive=args.recursive, leave_out=leave_out)
    )
    try:
        follow(results, progress, report)
    except KeyboardInterrupt:
        progress.say(progress.tally.summary())
        progress.say("stopped: run the same command again to resume; finished files will be skipped"
                     if args.resume else "stopped: with --no-resume, the next run starts over")
        raise
    progress.say(progress.tally.summary() + (f"\nreport: {args.report}" if args.report else ""))
    if progress.tally.failures and args.stop_on_error:
        progress.say("stopped at the first failure (--stop-on-error); the files not reached were not processed")
    return EXIT_FAILED if progress.tally.failures else EXIT_OK


def follow(results: Iterator[FileResult], progress: Progress, report: ReportWriter | None) -> None:
    """Record each file's result as it finishes; close the bar and the report however it ends."""
    try:
        for result in results:
            if report is not None:
                report.write(result)
            progress.update(result)
    finally:
        progress.close()
        if report is not None:
            report.close()


def batch_options(args: Namespace, password: str | None) -> dict[str, Any]:
    """The runner's keyword arguments for what the command line set; the runner's own
    defaults apply to the rest."""
    options: dict[str, Any] = {
        "parallel": {"auto": True, "none": False}.get(args.parallel, args.parallel),
        "continue_on_error": not args.stop_on_error,
        "resume": args.resume,
        "password": password,
        "file_timeout": args.timeout_s,
        "memory_limit": args.memory_limit_bytes,
        "output_format": args.output_format,
        "cluster": args.dask,
    }
    if args.workers is not None:
        options["max_workers"] = args.workers
    if args.retries is not None:
        options["max_retries"] = args.retries
    return options


def dry_run(args: Namespace, pipeline: Pipeline, output_dir: Path) -> int:
    """List each input and the output name it would get, or that a resumed run would skip
    it (its outputs are done already); write nothing. Exit status 1 when some inputs would
    fail for their output name (a collision)."""
    namer = OutputNamer(args.output_format)
    ext = {"edit": ".pdf", "split": "_*.pdf", "output": "*"}[pipeline.kind]  # * : named by the step
    finished = read_finished(output_dir) if args.resume and output_dir.is_dir() else {}
    fingerprint = pipeline.fingerprint()
    for step in pipeline.steps:
        print(f"step {step.index}: {describe_step(step)}")
    count = collisions = skipped = 0
    leave_out = [output_dir] + ([Path(args.report)] if args.report else [])
    for index, path in enumerate(inputs.iter_inputs(args.inputs, recursive=args.recursive, leave_out=leave_out)):
        count += 1
        source = Source.from_user(path)
        try:
            expansion = namer.claim(name=source.stem, index=index)
        except OutputNameError as exc:
            collisions += 1
            print(f"{path} -> would fail: {exc.message}")
            continue
        done = finished.get(journal_key(source.identity(), fingerprint, expansion)) if finished else None
        if done and outputs_present(done, output_dir):
            skipped += 1
            print(f"{path} -> skipped, done already: {', '.join(str(output_dir / name) for name in done)}")
            continue
        print(f"{path} -> {output_dir / expansion.replace(EXT_MARK, ext)}")
    print(f"dry run: {count - skipped - collisions} of {count} file(s) would be processed into {output_dir}"
          + (f", {skipped} skipped as done already" if skipped else "")
          + (f", {collisions} would fail for their output name" if collisions else "")
          + "; nothing was written", file=sys.stderr)
    return EXIT_FAILED if collisions else EXIT_OK


def describe_step(step: Step) -> str:
    """A validated step in `--op` words, showing the parameters that differ from their defaults."""
    words = [step.method + (f"@{step.engine}" if step.engine else "")]
    defaults = {p.name: p.default for p in step.operation.params}
    words += [f"{k}={ops.json_text(v)}" for k, v in step.params.items() if v != defaults[k]]
    return " ".join(words)


def prepare_output_dir(folder: Path) -> None:
    """Create `folder` if needed and prove it writable, or raise ValidationError saying why."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except FileExistsError:
        raise ValidationError(f"output folder {folder}: exists and is not a folder") from None
    except OSError as exc:
        raise ValidationError(f"output folder {folder}: cannot write there: {exc.strerror or exc}") from None


def ops_command(args: Namespace) -> int:
    """`batchproc ops [METHOD]`."""
    print(ops.describe_one(args.method) if args.method else ops.describe_all())
    return EXIT_OK


def demo_command(args: Namespace) -> int:
    """`batchproc demo`."""
    return run_demo(args, run=main)


def _error(message: str) -> None:
    print(f"batchproc: error: {message}", file=sys.stderr)


COMMANDS: dict[str, Callable[[Namespace], int]] = {
    "run": run_command,
    "ops": ops_command,
    "demo": demo_command,
}

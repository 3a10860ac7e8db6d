"""Side-by-side comparisons: batchproc against what users would run instead.

    python -m benchmarks.compare [--only chain,ocr] [--quick] [--rounds 3] [--out DIR]

Each comparison runs in a process of its own and runs its contenders ALTERNATELY
(A B C A B C ... for `--rounds` rounds), each run into a fresh output folder, and
verifies every run's outputs outside the timed part (a broken contender fails loudly
instead of looking fast). It prints a table of median seconds, files/s and each
contender's time relative to A, then the targets, and writes the same as `results.json`
and `results.md` in `--out`. A contender that fails a run or its output check leaves
the rotation and is listed as FAILED, with the reason.

`--quick` uses tiny sizes and no warm-up runs: it proves the script runs; its times
mean nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import baselines, corpus

MB = 1024 * 1024

# -- the model ---------------------------------------------------------------------------------
RunFn = Callable[[Path], "dict[str, float] | None"]
"""Runs a contender into an output folder; may return metrics ("seconds" overrides the
wall-clock time the harness measured, for runs timed inside a subprocess)."""

VerifyFn = Callable[[Path], str]
"""Checks a run's output folder; returns a short note, raises AssertionError when wrong."""


@dataclass
class Contender:
    """One way of doing a comparison's job, and what its timed runs measured.

    `unavailable` says why it left the rotation (it FAILED a run or its output check);
    `note` is the verifier's summary of its last run.
    """

    key: str
    label: str
    files: int
    run: RunFn
    verify: VerifyFn
    unavailable: str | None = None
    seconds: list[float] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)
    note: str = ""

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def median_metric(self, name: str) -> float | None:
        values = [m[name] for m in self.metrics if name in m]
        return statistics.median(values) if values else None


@dataclass
class Target:
    """`value(contenders)` is compared with `threshold` (≥ unless `at_most`)."""

    text: str
    value: Callable[[dict[str, Contender]], float | None]
    threshold: float
    at_most: bool = False

    def evaluate(self, contenders: dict[str, Contender]) -> tuple[float | None, bool | None]:
        try:
            value = self.value(contenders)
        except (TypeError, ZeroDivisionError):  # a median is missing: n/a
            value = None
        if value is None:
            return None, None
        return value, (value <= self.threshold if self.at_most else value >= self.threshold)


@dataclass
class Comparison:
    name: str
    title: str
    contenders: list[Contender]
    targets: list[Target]
    close: Callable[[], None] = lambda: None
    warmup: bool = True
    """Run each contender once, untimed, before the rounds (off where runs are long or
    each run starts fresh processes anyway)."""


def time_ratio(slow: str, fast: str) -> Callable[[dict[str, Contender]], float | None]:
    """median time of `slow` / median time of `fast` (how many times faster `fast` is)."""
    return lambda c: c[slow].median_s / c[fast].median_s


# -- batchproc side ----------------------------------------------------------------------------
CHAIN_OPERATIONS = [
    {"method": "rotate_pages", "params": {"degrees": 90}},
    {"method": "watermark_pdf", "params": {"text": baselines.WATERMARK_TEXT}},
    {"method": "flatten_annotations", "params": {}},
]
OCR_OPERATIONS = [{"method": "ocr_pdf", "params": {"language": baselines.OCR_LANGUAGES}}]
PDFA_OPERATIONS = [{"method": "convert_to_pdfa", "params": {"conformance": "pdfa-2b"}}]


def batch_runner(files: list[Path], operations: list[dict], *, client=None, **options: Any) -> RunFn:
    """A RunFn calling `Client.batch_process(files, operations, out, **options)`."""

    def run(output_dir: Path) -> None:
        from batchproc import Client

        result = (client or Client()).batch_process(files, operations, output_dir, **options)
        if result.failed:
            raise AssertionError(f"{len(result.failed)} file(s) failed, first: {result.failed[0][1]!r}")
        assert len(result.successful) == len(files), f"{len(result.successful)} results for {len(files)} files"

    return run


def process_pool(files: list[Path], operations: list[dict]) -> RunFn:
    return batch_runner(files, operations, parallel="process", max_workers=2)


# -- verification ------------------------------------------------------------------------------
def outputs(folder: Path, expected: int) -> list[Path]:
    found = sorted(folder.glob("*.pdf"))
    assert len(found) == expected, f"{len(found)} output PDFs in {folder}, expected {expected}"
    return found


def page_texts(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def verify_chain(count: int) -> VerifyFn:
    """Every output: 5 pages at /Rotate 90, no annotations left; the first and last also
    show the watermark text and the flattened annotation's text on page 1."""
    import pikepdf

    def verify(folder: Path) -> str:
        found = outputs(folder, count)
        for path in found:
            with pikepdf.open(path) as pdf:
                assert len(pdf.pages) == 5, f"{path.name}: {len(pdf.pages)} pages"
                rotations = {int(page.obj.get("/Rotate", 0)) % 360 for page in pdf.pages}
                assert rotations == {90}, f"{path.name}: rotations {rotations}"
                assert not any(page.obj.get("/Annots") for page in pdf.pages), f"{path.name}: annotations remain"
        for path in {found[0], found[-1]}:
            text = page_texts(path)[0]
            for word in (baselines.WATERMARK_TEXT, corpus.ANNOTATION_TEXT):
                assert word in text.replace("\r", "").replace("\n", ""), f"{path.name}: no {word!r} on page 1"
        return f"{count}/{count} rotated, flattened; watermark + flattened text seen"

    return verify


OCR_WORDS = {"eng": ("quarterly", "revenue", "budget", "customer"), "spa": ("trimestral", "ingresos", "presupuesto", "clientes")}


def verify_ocr(count: int) -> VerifyFn:
    """Every output has a text layer holding at least 3 of 4 key words of its language."""

    def verify(folder: Path) -> str:
        for path in outputs(folder, count):
            language = "spa" if "-spa" in path.name else "eng"
            text = " ".join(page_texts(path)).lower()
            hits = [w for w in OCR_WORDS[language] if w in text]
            assert len(hits) >= 3, f"{path.name}: OCR text lacks {language} words (found {hits}): {text[:200]!r}"
        return f"{count}/{count} searchable, eng/spa words found"

    return verify


def verify_pdfa(count: int) -> VerifyFn:
    """Every output passes pikepdf.pdfa.check(pdf, "2b") and keeps its text extractable."""
    import pikepdf
    import pikepdf.pdfa

    def verify(folder: Path) -> str:
        for path in outputs(folder, count):
            with pikepdf.open(path) as pdf:
                violations = pikepdf.pdfa.check(pdf, "2b").violations
            assert not violations, f"{path.name}: PDF/A-2b violations: {list(violations)[:3]}"
            assert "Report" in page_texts(path)[0], f"{path.name}: text not extractable"
        return f"{count}/{count} PDF/A-2b clean (pikepdf.pdfa.check), text extractable"

    return verify


def verify_count(count: int, degrees: int | None = None) -> VerifyFn:
    import pikepdf

    def verify(folder: Path) -> str:
        found = outputs(folder, count)
        if degrees is not None:
            for path in {found[0], found[-1]}:
                with pikepdf.open(path) as pdf:
                    rotation = int(pdf.pages[0].obj.get("/Rotate", 0))
                assert rotation == degrees, f"{path.name}: /Rotate {rotation}, expected {degrees}"
        return f"{count}/{count} written"

    return verify


# -- the comparisons ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    chain: int = 1000
    ocr: int = 12
    pdfa: int = 50
    scheduling: tuple[int, ...] = (100, 1000, 10000)
    noop: int = 1000
    remote: int = 320
    dask: int = 200


FULL = Sizes()
QUICK = Sizes(chain=4, ocr=2, pdfa=2, scheduling=(10, 20, 40), noop=6, remote=6, dask=4)


def chain_comparison(sizes: Sizes) -> Comparison:
    files = corpus.text_reports(sizes.chain)
    n = len(files)
    verify = verify_chain(n)
    return Comparison(
        "chain",
        f"rotate 90 + text watermark + flatten, {n} five-page reports",
        [
            Contender("A", "batchproc batch_process, process pool, 2 workers", n,
                      process_pool(files, CHAIN_OPERATIONS), verify),
            Contender("B", "ThreadPoolExecutor(4), one direct method per op, bytes", n,
                      lambda out: baselines.naive_thread_pool_chain(files, out), verify),
            Contender("C", "sequential pypdf + reportlab loop", n,
                      lambda out: baselines.pypdf_loop_chain(files, out), verify),
        ],
        [Target("B/A (time) >= 3", time_ratio("B", "A"), 3.0), Target("C/A (time) >= 4", time_ratio("C", "A"), 4.0)],
    )  # fmt: skip


def ocr_comparison(sizes: Sizes) -> Comparison:
    files = corpus.scanned_pages(sizes.ocr)
    n = len(files)
    verify = verify_ocr(n)
    return Comparison(
        "ocr",
        f"OCR eng+spa, {n} scanned one-page 300-dpi files",
        [
            Contender("A", "batchproc batch_process ocr_pdf, process pool, 2 workers", n,
                      process_pool(files, OCR_OPERATIONS), verify),
            Contender("B", "parallel -j2 ocrmypdf --jobs 1 -l eng+spa", n,
                      lambda out: baselines.ocrmypdf_parallel(files, out), verify),
            Contender("floor", "bare tesseract CLI (pdf), OMP_THREAD_LIMIT=1, 2 at a time", n,
                      lambda out: baselines.tesseract_floor([corpus.scan_image(f) for f in files], out), verify),
        ],
        [Target("B/A (time) >= 1.3", time_ratio("B", "A"), 1.3),
         Target("A/floor (time) <= 1.25", time_ratio("A", "floor"), 1.25, at_most=True)],
        warmup=False,
    )  # fmt: skip


def pdfa_comparison(sizes: Sizes) -> Comparison:
    files = corpus.plain_texts(sizes.pdfa)
    n = len(files)
    verify = verify_pdfa(n)
    return Comparison(
        "pdfa",
        f"PDF/A-2b, {n} three-page text files",
        [
            Contender("A", "batchproc batch_process convert_to_pdfa pdfa-2b, 2 workers", n,
                      process_pool(files, PDFA_OPERATIONS), verify),
            Contender("B", "parallel -j2 gs -dPDFA=2 ... (direct Ghostscript)", n,
                      lambda out: baselines.ghostscript_pdfa_parallel(files, out), verify),
        ],
        [Target("A throughput / B throughput >= 0.9", time_ratio("B", "A"), 0.9)],
    )  # fmt: skip


def scheduling_comparison(sizes: Sizes) -> Comparison:
    """Rotate 0→90 over tiny files, each size in a fresh process (see benchmarks.probe)."""
    contenders = []
    for count in sizes.scheduling:
        corpus.tiny_files(count)  # build the cache here, outside the probe's timing
        contenders.append(
            Contender(f"A@{count}", f"batchproc, rotate 90, {count} tiny files, fresh process", count,
                      probe_runner(count), verify_count(count, degrees=90))
        )  # fmt: skip
    small, large = sizes.scheduling[-2], sizes.scheduling[-1]
    return Comparison(
        "scheduling",
        "scheduling overhead: rotate 0→90 over tiny files; parent/total peak RSS per size",
        contenders,
        [
            Target(f"files/s at {large} >= 500", lambda c: large / c[f"A@{large}"].median_s, 500.0),
            Target(
                f"parent peak RSS {large} / {small} <= 1.25",
                lambda c: c[f"A@{large}"].median_metric("parent_peak_rss") / c[f"A@{small}"].median_metric("parent_peak_rss"),
                1.25,
                at_most=True,
            ),
        ],
        warmup=False,
    )


def probe_runner(count: int, degrees: int = 90) -> RunFn:
    def run(output_dir: Path) -> dict[str, float]:
        command = [sys.executable, "-m", "benchmarks.probe", "--count", str(count),
                   "--degrees", str(degrees), "--out", str(output_dir)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0:
            raise AssertionError(f"probe failed ({done.returncode}): {done.stderr[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        return {k: float(report[k]) for k in ("seconds", "parent_peak_rss", "total_peak_rss")}

    return run


def noop_comparison(sizes: Sizes) -> Comparison:
    files = corpus.tiny_files(sizes.noop)
    n = len(files)
    verify = verify_count(n, degrees=0)
    operations = [{"method": "rotate_pages", "params": {"degrees": 0}}]
    return Comparison(
        "noop",
        f"no-op-like step (rotate by 0), {n} tiny files",
        [
            Contender("A", "batchproc batch_process, process pool, 2 workers", n,
                      process_pool(files, operations), verify),
            Contender("B", "ThreadPoolExecutor(4) calling client.rotate_pages(bytes)", n,
                      lambda out: baselines.naive_thread_pool_noop(files, out), verify),
        ],
        [],  # issue 3 asks for the numbers, with no target
    )  # fmt: skip


def dask_comparison(sizes: Sizes) -> Comparison:
    files = corpus.text_reports(sizes.dask)
    n = len(files)
    verify = verify_chain(n)
    from dask.distributed import Client as DaskClient, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    dask = DaskClient(cluster)

    def run_dask(out: Path) -> None:
        batch_runner(files, CHAIN_OPERATIONS, executor=dask.get_executor())(out)

    def close() -> None:
        dask.close()
        cluster.close()

    return Comparison(
        "dask",
        f"two-worker Dask LocalCluster vs the local process pool, chain on {n} reports",
        [
            Contender("A", "batchproc, local process pool, 2 workers", n,
                      process_pool(files, CHAIN_OPERATIONS), verify),
            Contender("dask", "batchproc, executor=dask_client.get_executor(), 2 workers", n,
                      run_dask, verify),
        ],
        [],  # issue 6 asks for the overhead ratio (the "time vs 1st row" column), no target
        close,
    )  # fmt: skip


REMOTE_LATENCY_MS = 50
REMOTE_WORKERS = (1, 4, 16)


def remote_comparison(sizes: Sizes) -> Comparison:
    """Thread workers against the tests' DWS server (own process) adding 50 ms per request,
    in echo mode (see benchmarks.remote_server: the client's scaling, not the server's)."""
    from batchproc import Client

    from .remote_server import API_KEY, serving

    files = corpus.tiny_files(sizes.remote)
    n = len(files)
    operations = [{"method": "rotate_pages", "params": {"degrees": 90}}]
    server = contextlib.ExitStack()
    url = server.enter_context(serving(REMOTE_LATENCY_MS, echo=True))
    client = Client(engine="dws", api_key=API_KEY, base_url=url)
    contenders = [
        Contender(f"w{workers}", f"batchproc dws engine, parallel=True, max_workers={workers}", n,
                  batch_runner(files, operations, client=client, parallel=True, max_workers=workers),
                  verify_count(n))
        for workers in REMOTE_WORKERS
    ]  # fmt: skip
    first = REMOTE_WORKERS[0]
    return Comparison(
        "remote",
        f"remote engine, test server (echo mode) adding {REMOTE_LATENCY_MS} ms per request, {n} tiny files",
        contenders,
        [
            Target(f"speed-up w{w}/w{first} >= {0.8 * w / first:g} (0.8 x linear)", time_ratio(f"w{first}", f"w{w}"),
                   0.8 * w / first)
            for w in REMOTE_WORKERS[1:]
        ],
        server.close,
    )  # fmt: skip


COMPARISONS: dict[str, Callable[[Sizes], Comparison]] = {
    "chain": chain_comparison,
    "ocr": ocr_comparison,
    "pdfa": pdfa_comparison,
    "scheduling": scheduling_comparison,
    "noop": noop_comparison,
    "remote": remote_comparison,
    "dask": dask_comparison,
}


# -- the harness -------------------------------------------------------------------------------
def run_comparison(
    comparison: Comparison, rounds: int, scratch: Path, log: Callable[[str], None], *, warmup: bool = True
) -> None:
    """Run the available contenders alternately for `rounds` rounds, verifying each run.

    A contender whose run raises or whose output fails verification is marked failed
    (with the reason, shown in the table) and leaves the rotation; the others go on."""
    ready = [c for c in comparison.contenders if c.unavailable is None]
    if warmup and comparison.warmup:  # untimed: imports, page cache, first-use costs
        for contender in list(ready):
            _attempt(contender, ready, scratch / f"warmup-{contender.key}", timed=False, log=log)
    for round_number in range(1, rounds + 1):
        for contender in list(ready):
            if _attempt(contender, ready, scratch / f"r{round_number}-{contender.key}", timed=True, log=log):
                log(f"  round {round_number} {contender.key:>8}: {contender.seconds[-1]:8.3f} s")


def _attempt(contender: Contender, ready: list[Contender], folder: Path, *, timed: bool, log) -> bool:
    try:
        contender.note = _run_once(contender, folder, timed=timed)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure of a contender is reported, not fatal
        contender.unavailable = f"FAILED: {type(exc).__name__}: {str(exc)[:300]}"
        ready.remove(contender)
        log(f"  {contender.key}: {contender.unavailable}")
        return False


def _run_once(contender: Contender, folder: Path, *, timed: bool) -> str:
    folder.mkdir(parents=True)
    try:
        start = time.perf_counter()
        metrics = dict(contender.run(folder) or {})
        seconds = metrics.pop("seconds", time.perf_counter() - start)
        note = contender.verify(folder)
        if timed:
            contender.seconds.append(seconds)
            contender.metrics.append(metrics)
        return note
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def results_of(comparison: Comparison) -> dict[str, Any]:
    """One comparison's rows and targets, as results.json holds them."""
    by_key = {c.key: c for c in comparison.contenders}
    base = comparison.contenders[0]  # A, or the smallest size / fewest workers
    rows = []
    for c in comparison.contenders:
        median = c.median_s
        ratio = median / base.median_s if median and base.median_s else None
        rows.append({
            "key": c.key, "label": c.label, "files": c.files, "runs_s": c.seconds,
            "median_s": median, "files_per_s": c.files / median if median else None, "time_vs_first": ratio,
            "metrics": {name: c.median_metric(name) for name in sorted({k for m in c.metrics for k in m})},
            "verified": c.note, "unavailable": c.unavailable,
        })  # fmt: skip
    targets = []
    for target in comparison.targets:
        value, met = target.evaluate(by_key)
        targets.append({"target": target.text, "value": value, "met": met})
    return {"name": comparison.name, "title": comparison.title, "rows": rows, "targets": targets}


def run_named(name: str, sizes: Sizes, rounds: int, scratch: Path, *, quick: bool) -> dict[str, Any]:
    """Build and run one comparison in this process; its results_of."""
    log(f"{name}: building corpus and contenders")
    comparison = COMPARISONS[name](sizes)
    try:
        log(f"{name}: {comparison.title}")
        run_comparison(comparison, rounds, scratch / name, log, warmup=not quick)
    finally:
        comparison.close()
    return results_of(comparison)


def run_in_fresh_process(name: str, rounds: int, scratch: Path, *, quick: bool) -> dict[str, Any]:
    """Run one comparison in a child process, as a user's batch runs in its own: nothing
    an earlier comparison left in this process (its heap, warm engines, caches) weighs on
    it. Measured here: the remote 16-worker ratio came out ~10% lower after the other
    comparisons had run in the same process than alone."""
    out = scratch / f"{name}-results"
    command = [sys.executable, "-m", "benchmarks.compare", "--only", name, "--rounds", str(rounds), "--out", str(out)]
    command += ["--quick"] if quick else []
    done = subprocess.run(command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"the {name} comparison failed (exit code {done.returncode}); see its log above")
    (comparison,) = json.loads((out / "results.json").read_text())["comparisons"]
    return comparison


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Generated {results['generated_utc']} on {results['host']['cpus']} CPUs, "
        f"Python {results['host']['python']}, {results['rounds']} alternating round(s)"
        f"{' (QUICK sizes: times mean nothing)' if results['quick'] else ''}; "
        f"load average at the end {', '.join(f'{x:.2f}' for x in results['host']['load_average'])}.",
        "",
        "| comparison | contender | files | median s | files/s | time vs 1st row | notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for comparison in results["comparisons"]:
        for row in comparison["rows"]:
            notes = row["unavailable"] and f"n/a: {row['unavailable']}" or row["verified"]
            extra = ", ".join(f"{k.replace('_rss', ' RSS')} {v / MB:.0f} MB" for k, v in row["metrics"].items() if "rss" in k)
            notes = f"{notes}; {extra}" if extra else notes
            lines.append(
                f"| {comparison['name']} | {row['key']}: {row['label']} | {row['files']} | {_num(row['median_s'], 3)} "
                f"| {_num(row['files_per_s'], 1)} | {_num(row['time_vs_first'], 2)} | {notes} |"
            )
    lines += ["", "| comparison | target | measured | met |", "|---|---|---:|---|"]
    for comparison in results["comparisons"]:
        for target in comparison["targets"]:
            met = {True: "yes", False: "**MISSED**", None: "n/a"}[target["met"]]
            lines.append(f"| {comparison['name']} | {target['target']} | {_num(target['value'], 2)} | {met} |")
    return "\n".join(lines) + "\n"


def _num(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(COMPARISONS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that everything runs")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 3; 1 with --quick)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"), help="folder for results.json/.md")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(COMPARISONS)
    unknown = [n for n in names if n not in COMPARISONS]
    if unknown:
        parser.error(f"unknown comparison(s) {unknown}; choose from {', '.join(COMPARISONS)}")
    rounds = args.rounds or (1 if args.quick else 3)
    sizes = QUICK if args.quick else FULL
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract's OpenMP thrashes on 2 vCPUs

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="batchproc-compare-") as scratch:
        if len(names) == 1:
            comparisons = [run_named(names[0], sizes, rounds, Path(scratch), quick=args.quick)]
        else:
            comparisons = [run_in_fresh_process(name, rounds, Path(scratch), quick=args.quick) for name in names]
    results = {
        "generated_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": os.getloadavg()},
        "rounds": rounds,
        "quick": args.quick,
        "wall_seconds": round(time.time() - started, 1),
        "comparisons": comparisons,
    }
    text = markdown(results)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(text)
    return results


if __name__ == "__main__":
    main()

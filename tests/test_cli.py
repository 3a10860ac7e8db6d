"""The `batchproc` command without processing: help, `ops`, `--dry-run`, usage errors (exit 2).

Every test runs the real command in a subprocess, except the pure parsing helpers at the end.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from batchproc.cli.args import group_op_words, parse_size
from batchproc.cli.inputs import count_inputs, iter_inputs
from batchproc.cli.steps import operation_from_words
from batchproc.operations import load_all
from tests.factories_cli import batchproc, command_env, pdf_folder


def test_help_lists_the_commands_and_run_help_explains_ops_and_exit_statuses(tmp_path):
    top = batchproc("--help", cwd=tmp_path)
    assert top.returncode == 0
    for command in ("run", "ops", "demo"):
        assert command in top.stdout
    run = batchproc("run", "--help", cwd=tmp_path)
    assert run.returncode == 0
    for words in ("--op METHOD[@ENGINE] [KEY=VALUE ...]", "--pipeline FILE", "--dry-run", "--memory-limit SIZE",
                  "--resume, --no-resume", "$BATCHPROC_PASSWORD", "$NUTRIENT_API_KEY", "130 interrupted"):
        assert words in run.stdout, words
    assert batchproc("demo", "--help", cwd=tmp_path).returncode == 0


def test_version_and_no_command(tmp_path):
    version = batchproc("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("batchproc ")
    bare = batchproc(cwd=tmp_path)
    assert bare.returncode == 2 and "COMMAND" in bare.stderr


def test_ops_lists_every_registered_operation_with_types_and_defaults(tmp_path):
    listing = batchproc("ops", cwd=tmp_path)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    headings = [line.split()[0] for line in lines if line and not line[0].isspace()]
    assert headings == sorted(load_all())
    for method, operation in load_all().items():
        for param in operation.params:
            assert any(line.split()[:1] == [param.name] and param.type_names() in line
                       for line in lines), (method, param.name)
    assert any("degrees" in line and "int; default 0; one of 0, 90, 180, 270" in line for line in lines)


def test_ops_method_shows_one_operation_with_an_example(tmp_path):
    one = batchproc("ops", "rotate_pages", cwd=tmp_path)
    assert one.returncode == 0
    assert one.stdout.splitlines()[0] == "rotate_pages"
    assert "page_indexes  list; default null" in one.stdout
    assert "batchproc run INPUT... -o OUT_DIR --op rotate_pages" in one.stdout
    assert "watermark_pdf" not in one.stdout


def test_ops_unknown_method_suggests_the_closest(tmp_path):
    result = batchproc("ops", "rotate_page", cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean 'rotate_pages'" in result.stderr and result.stdout == ""


def test_dry_run_lists_planned_outputs_and_writes_nothing(tmp_path):
    pdf_folder(tmp_path / "in", 3)
    (tmp_path / "in" / "notes.json").write_text("{}")  # not a document: left out
    (tmp_path / "in" / ".hidden.pdf").write_bytes(b"")  # hidden: left out
    result = batchproc("run", "in", "-o", "out", "--dry-run", "--format", "{name}-done{ext}",
                       "--op", "rotate_pages", "degrees=90", "page_indexes=[0,-1]", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "step 0: rotate_pages degrees=90 page_indexes=[0, -1]" in result.stdout
    planned = sorted(line for line in result.stdout.splitlines() if " -> " in line)
    assert planned == [f"in/doc-0{n}.pdf -> out/doc-0{n}-done.pdf" for n in range(3)]
    assert "3 file(s) would be processed" in result.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_walks_subfolders_only_with_r_and_expands_globs(tmp_path):
    pdf_folder(tmp_path / "in", 1)
    pdf_folder(tmp_path / "in" / "sub", 2)

    def planned(*args):
        result = batchproc("run", *args, "-o", "out", "--dry-run", "--op", "rotate_pages", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return sorted(line.split(" -> ")[0] for line in result.stdout.splitlines() if " -> " in line)

    assert planned("in") == ["in/doc-00.pdf"]
    assert planned("in", "-r") == ["in/doc-00.pdf", "in/sub/doc-00.pdf", "in/sub/doc-01.pdf"]
    assert planned("in/**/doc-01.pdf") == ["in/sub/doc-01.pdf"]


def test_steps_may_come_before_the_inputs_and_values_are_read_as_json_else_text(tmp_path):
    pdf_folder(tmp_path, 1)
    result = batchproc("run", "--op", "watermark_pdf", "text=2024", "opacity=0.5", "font_color=#ff0000",
                       "--op", "rotate_pages", "degrees=180", "doc-00.pdf", "-o", "out", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'step 0: watermark_pdf text="2024" opacity=0.5 font_color="#ff0000"' in result.stdout
    assert "step 1: rotate_pages degrees=180" in result.stdout


@pytest.mark.parametrize("suffix, text", [
    (".json", json.dumps([{"method": "rotate_pages", "params": {"degrees": 270}},
                          {"method": "watermark_pdf", "params": {"text": "DRAFT"}}])),
    (".json", json.dumps({"operations": [{"method": "rotate_pages", "params": {"degrees": 270}},
                                         {"method": "watermark_pdf", "params": {"text": "DRAFT"}}]})),
    (".toml", '[[operations]]\nmethod = "rotate_pages"\nparams = { degrees = 270 }\n\n'
              '[[operations]]\nmethod = "watermark_pdf"\nparams = { text = "DRAFT" }\n'),
])
def test_pipeline_file_in_json_or_toml(tmp_path, suffix, text):
    pdf_folder(tmp_path, 1)
    (tmp_path / f"steps{suffix}").write_text(text)
    result = batchproc("run", "doc-00.pdf", "-o", "out", "--pipeline", f"steps{suffix}", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "step 0: rotate_pages degrees=270" in result.stdout
    assert 'step 1: watermark_pdf text="DRAFT"' in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--op", "rotate_page", "degrees=90"], "unknown method 'rotate_page' (did you mean 'rotate_pages'?)"),
    (["--op", "rotate_pages", "degrees=45"], "step 0 (rotate_pages): rotate_pages parameter 'degrees': 45 is not one of"),
    (["--op", "rotate_pages", "degree=90"], "has no parameter 'degree' (did you mean 'degrees'?)"),
    (["--op", "rotate_pages", "degrees=90", "degrees=180"], "parameter 'degrees' is given twice"),
    (["--op", "rotate_pages@cloud"], "engine must be one of local, dws"),
    ([], "no operations: add --op"),
    (["--op", "rotate_pages", "--pipeline", "steps.json"], "not both"),
    (["--pipeline", "missing.json"], "cannot read the pipeline file missing.json"),
    (["--pipeline", "broken.json"], "is not valid JSON"),
    (["--op", "rotate_pages", "--format", "{nam}{ext}"], "unknown field {nam}"),
    (["--op", "rotate_pages", "--format", "../{name}{ext}"], "would leave output_dir"),
    (["--op", "rotate_pages", "--memory-limit", "2Q"], "expected a size such as 512M"),
    (["--op", "rotate_pages", "--workers", "0"], "must be at least 1"),
    (["--op", "rotate_pages", "--parallel", "gpu"], "invalid choice: 'gpu'"),
])
def test_bad_pipeline_or_options_exit_2_before_any_work(tmp_path, args, message):
    pdf_folder(tmp_path, 1)
    (tmp_path / "broken.json").write_text("[{")
    (tmp_path / "steps.json").write_text("[]")
    result = batchproc("run", "doc-00.pdf", "-o", "out", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inputs, output, message", [
    (["missing.pdf"], "out", "input missing.pdf: no such file or folder"),
    (["nothing/*.pdf"], "out", "input nothing/*.pdf: the pattern matches no files"),
    (["doc-00.pdf"], "doc-00.pdf/out", "output folder doc-00.pdf/out: cannot write there: Not a directory"),
    (["doc-00.pdf"], "doc-00.pdf", "output folder doc-00.pdf: exists and is not a folder"),
])
def test_missing_inputs_and_unusable_output_folders_exit_2(tmp_path, inputs, output, message):
    pdf_folder(tmp_path, 1)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = batchproc("run", *inputs, "-o", output, "--op", "rotate_pages", "degrees=90", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unwritable_report_exits_2(tmp_path):
    pdf_folder(tmp_path, 1)
    result = batchproc("run", "doc-00.pdf", "-o", "out", "--op", "rotate_pages", "degrees=90",
                       "--report", "doc-00.pdf/report.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write the report doc-00.pdf/report.json" in result.stderr


def test_password_option_and_environment_variable_are_accepted_for_dry_run(tmp_path):
    pdf_folder(tmp_path, 1)
    result = batchproc("run", "doc-00.pdf", "-o", "out", "--op", "rotate_pages", "--dry-run", cwd=tmp_path,
                       env=command_env(BATCHPROC_PASSWORD="pw"))
    assert result.returncode == 0 and "pw" not in result.stdout + result.stderr


# -- the parsing helpers, in process ----------------------------------------------------------


def test_op_words_are_grouped_until_a_word_that_is_not_key_value():
    argv = ["run", "--op", "rotate_pages", "degrees=90", "a=b.pdf", "in.pdf", "--op=watermark_pdf", "text=x y",
            "--", "--op", "k=v"]
    assert group_op_words(argv) == [
        "run", "--op", '["rotate_pages", "degrees=90", "a=b.pdf"]', "in.pdf",
        "--op", '["watermark_pdf", "text=x y"]', "--", "--op", "k=v",
    ]


def test_operation_words_become_an_operation_dict():
    assert operation_from_words(0, ["ocr_pdf@dws", "language=english"]) == {
        "method": "ocr_pdf", "params": {"language": "english"}, "engine": "dws"}
    assert operation_from_words(0, ["rotate_pages", "page_indexes=[0,2]", "degrees=90"])["params"] == {
        "page_indexes": [0, 2], "degrees": 90}
    assert operation_from_words(0, ["watermark_pdf", "text=null", "opacity=1"])["params"] == {
        "text": None, "opacity": 1}


@pytest.mark.parametrize("text, size", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29),
                                        ("64k", 64 << 10), ("1048576", 1 << 20), ("2 GB", 2 << 30)])
def test_sizes(text, size):
    assert parse_size(text) == size


def test_dry_run_names_inputs_whose_output_names_collide(tmp_path):
    pdf_folder(tmp_path / "a", 1)
    pdf_folder(tmp_path / "b", 1)
    result = batchproc("run", "a", "b", "-o", "out", "--format", "{name}{ext}", "--dry-run",
                       "--op", "rotate_pages", cwd=tmp_path)
    assert result.returncode == 1
    assert "a/doc-00.pdf -> out/doc-00.pdf" in result.stdout
    assert "b/doc-00.pdf -> would fail: output name 'doc-00{ext}' is already used" in result.stdout
    assert "1 would fail for their output name" in result.stderr


def test_the_installed_console_script_runs_from_any_folder(tmp_path):
    script = Path(sys.executable).parent / "batchproc"
    assert script.exists(), "run `bash .ci/setup` (pip install -e .) to install the batchproc command"
    result = subprocess.run([str(script), "ops", "rotate_pages"], cwd=tmp_path, capture_output=True, text=True,
                            env={k: v for k, v in command_env().items() if k != "PYTHONPATH"}, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("rotate_pages")


def test_inputs_are_enumerated_lazily_leaving_out_hidden_and_other_files_the_output_folder_and_report(tmp_path):
    pdf_folder(tmp_path / "in", 2)
    pdf_folder(tmp_path / "in" / "out", 1)  # the output folder of an earlier run
    pdf_folder(tmp_path / "in" / ".cache", 1)
    (tmp_path / "in" / "scan.TIFF").write_bytes(b"II*\x00")
    (tmp_path / "in" / "notes.md").write_text("# notes")
    (tmp_path / "in" / "report.csv").write_text("input,output\n")  # the report of an earlier run
    (tmp_path / "in" / "data.csv").write_text("a,b\n")  # a document LibreOffice converts
    leave_out = [tmp_path / "in" / "out", tmp_path / "in" / "report.csv"]
    found = iter_inputs([str(tmp_path / "in")], recursive=True, leave_out=leave_out)
    assert inspect.isgenerator(found)
    assert sorted(p.name for p in found) == ["data.csv", "doc-00.pdf", "doc-01.pdf", "scan.TIFF"]
    assert count_inputs([str(tmp_path / "in")], recursive=True, leave_out=leave_out) == 4
    assert count_inputs([str(tmp_path / "in")], recursive=True) == 6

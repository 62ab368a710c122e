"""Progress bars for the CLI, and the library's logging staying handler-free."""

import io
import logging

from pipeline.cli.progress import ProgressBars, setup_cli_logging
from tests.conftest import SAMPLES


def test_bars_draw_one_bar_per_phase_with_counts_and_rate():
    stream = io.StringIO()
    with ProgressBars(stream=stream, enabled=True) as progress:
        for done in (2, 5, 9):
            progress("clean", done, None)
        progress("dedup", 3, 3)
    out = stream.getvalue()
    assert "clean" in out and "dedup" in out
    assert "9 docs" in out  # last cumulative count of the first phase, not a sum of updates
    assert "3/3" in out  # a known total is shown as done/total
    assert "docs/s" in out


def test_quiet_and_not_a_terminal_draw_nothing():
    for bars in (ProgressBars(stream=io.StringIO(), enabled=True, quiet=True), ProgressBars(stream=io.StringIO())):
        bars("clean", 4, 10)
        bars.close()
        assert bars.stream.getvalue() == ""


def test_library_adds_no_logging_handlers(tmp_path):
    from pipeline.engine.run import run

    root_before = list(logging.getLogger().handlers)
    run([SAMPLES], tmp_path / "out")
    # Only the conventional NullHandler on the package logger (pipeline/__init__.py); nothing
    # that prints: output format and destination are the application's choice.
    names = [n for n in logging.root.manager.loggerDict if n.startswith("pipeline")]
    assert "pipeline" in names
    for name in names:
        printing = [h for h in logging.getLogger(name).handlers if not isinstance(h, logging.NullHandler)]
        assert printing == [], name
    assert logging.getLogger().handlers == root_before


def test_cli_logging_routes_warnings_to_stderr(capsys):
    handler = setup_cli_logging()
    try:
        logging.getLogger("pipeline.test").warning("disk almost full")
        logging.getLogger("pipeline.test").info("not shown")
    finally:
        logging.getLogger().removeHandler(handler)
    err = capsys.readouterr().err
    assert "WARNING pipeline.test: disk almost full" in err and "not shown" not in err


def test_bars_have_a_total_from_the_counted_inputs_and_a_row_per_stage(tmp_path):
    from pipeline.engine.run import run

    stream = io.StringIO()
    bars = ProgressBars(stream=stream, enabled=True)
    with bars:
        result = run([SAMPLES], tmp_path / "out", progress=bars)
    out = stream.getvalue()
    n = result.manifest["counts"]["input_documents"]
    assert bars.total == n  # counted before any work: one document per file here
    assert f"{n}/{n}" in out and "reading" in out  # a total, hence a percentage and an ETA
    for stage in ("decode", "boilerplate", "quality"):
        assert f"  {stage}" in out  # a row per stage
    assert "dedup" in out and "dedup   : 0 docs" not in out


def test_count_inputs_counts_documents_per_format(tmp_path):
    import gzip

    from pipeline.io.readers import count_inputs, resolve_inputs

    (tmp_path / "a.txt").write_text("x")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as f:
        f.write('{"text": "a"}\n\n{"text": "b"}\n{"text": "c"}\n')
    c = count_inputs(resolve_inputs([tmp_path]))
    assert (c.files, c.documents) == (2, 4) and c.bytes > 0 and c.kinds == {"jsonl": 1, "text": 1}


def test_count_inputs_on_bad_input_opens_nothing_it_should_not(tmp_path):
    """Entries the run reports instead of reading (a FIFO, a broken link) count as one row each
    and are neither opened nor stat'ed; a .json array is not counted ahead; a JSONL line is
    counted without holding it (chunks), BOM and blank lines as the reader sees them."""
    import os

    from pipeline.io.readers import count_inputs, resolve_inputs

    (tmp_path / "a.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "a"}\n\n  \n{"text": "' + b"x" * (3 << 20) + b'"}\n{"text": "c"}')
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink(tmp_path / "missing", tmp_path / "broken.txt")
    c = count_inputs(resolve_inputs([tmp_path]))  # would block on the FIFO or raise on the link
    assert (c.files, c.documents) == (3, 5) and c.kinds == {"error": 2, "jsonl": 1}
    (tmp_path / "b.json").write_text('[{"text": "a"},\n {"text": "b"}]')
    assert count_inputs(resolve_inputs([tmp_path])).documents is None


def test_verbosity_levels_and_third_party_loggers(capsys):
    for args, info_shown in (((False, 0), False), ((False, 1), True), ((True, 0), True)):
        handler = setup_cli_logging(*args)
        try:
            logging.getLogger("pipeline.engine.run").info("reading 3 files")
            # Ray's loggers follow the same level (once Ray is imported they print through
            # Ray's own handler, so the level is what we can check here).
            ray_info = logging.getLogger("ray").isEnabledFor(logging.INFO)
        finally:
            logging.getLogger().removeHandler(handler)
        err = capsys.readouterr().err
        assert ("reading 3 files" in err) is info_shown and ray_info is info_shown
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("pipeline").setLevel(logging.NOTSET)


def test_cli_run_in_process_leaves_no_log_handler_behind():
    """A command run inside another program (click's CliRunner here) removes its log handler
    when it ends: the library's later warnings do not keep printing to that program's stderr."""
    from click.testing import CliRunner

    from pipeline.cli.main import main

    before = list(logging.getLogger().handlers)
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "boilerplate" in result.output
    assert logging.getLogger().handlers == before

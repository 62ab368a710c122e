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

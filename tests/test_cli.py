import os

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import FIXTURES, SAMPLES


def test_run_stats_diff_roundtrip(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "accounting ok" in r.output
    r = CliRunner().invoke(main, ["stats", str(out)])
    assert r.exit_code == 0 and "boilerplate" in r.output and "kept" in r.output
    r = CliRunner().invoke(main, ["diff", str(out), "001_cbb55a347cb20141", "--stage", "spam"])
    assert r.exit_code == 0, r.output
    assert "- buy cipro online" in r.output and "[spam:" in r.output
    # Second run into the same folder refuses without --overwrite, works with it.
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out)])
    assert r.exit_code != 0 and "--overwrite" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out), "--overwrite", "-q"])
    assert r.exit_code == 0, r.output


def test_missing_input_is_one_line_error(tmp_path):
    r = CliRunner().invoke(main, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert r.exit_code != 0
    assert "no such file or folder" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_bad_config_key_is_one_line_error(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("dedup:\n  treshold: 0.7\n")
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--config", str(cfg)])
    assert r.exit_code != 0 and "did you mean 'dedup.threshold'" in r.output


def test_overwrite_never_deletes_foreign_files(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "my_notes.txt").write_text("precious")
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out), "--overwrite"])
    assert r.exit_code != 0 and "refusing" in r.output
    assert (out / "my_notes.txt").read_text() == "precious"


def test_apply_single_stage_from_stdin():
    r = CliRunner().invoke(main, ["apply", "fix_encoding"], input="CafÃ© au lait is served here every morning.".encode())
    assert r.exit_code == 0 and "Café au lait" in r.output


def test_stats_separators_one_prefix_bytes_and_no_color(tmp_path, monkeypatch):
    from pipeline.cli.stats import render_stats
    from pipeline.cli.style import want_color

    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out), "-q"]).exit_code == 0
    r = CliRunner().invoke(main, ["stats", str(out)])
    assert r.exit_code == 0 and "\x1b[" not in r.output  # not a terminal: no colour
    assert "boilerplate: boilerplate:" not in r.output and "bytes" in r.output and "characters" in r.output
    assert "  boilerplate\n" in r.output
    manifest = {"stages": {"decode": dict(docs_in=1, docs_out=1, docs_modified=0, docs_dropped=0, chars_in=31459508,
                                          chars_out=31293976, chars_removed=165532, seconds=0.1, reasons={})},
                "counts": dict(input_documents=1, kept=1, duplicates=0, rejected=0), "accounting": {"ok": True}}
    text = render_stats(manifest, color=True)
    assert "31,459,508" in text and "\x1b[" in text and "165,532" not in text
    monkeypatch.setenv("NO_COLOR", "1")
    assert want_color(None) is False and want_color(True) is True
    r = CliRunner().invoke(main, ["stats", str(out), "--color"])
    assert "\x1b[" in r.output


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_with_examples_and_every_option_has_help():
    for path, cmd in _commands(main):
        r = CliRunner().invoke(main, [*path, "--help"])
        assert r.exit_code == 0, path
        assert "Example" in r.output, f"{' '.join(path)} --help has no examples"
        for p in cmd.params:
            if p.param_type_name == "option" and p.name not in ("help",):
                assert p.help, f"{' '.join(path)} {p.opts[0]} has no help"


def test_writing_commands_share_out_overwrite_quiet_workers():
    for name in ("run", "dedup"):
        opts = {o for p in main.commands[name].params for o in p.opts}
        assert {"--out", "-o", "--overwrite", "--quiet", "-q", "--workers", "-w"} <= opts, name


def test_overwrite_and_resume_together_are_refused(tmp_path):
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--overwrite", "--resume"])
    assert r.exit_code == 2 and "exclude each other" in r.output
    assert not (tmp_path / "o").exists()


def test_quiet_keeps_the_summary_unless_twice(tmp_path):
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "-q"])
    assert r.exit_code == 0 and "accounting ok" in r.output
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--overwrite", "-q", "-q"])
    assert r.exit_code == 0 and r.output == ""


def test_limit_and_dry_run(tmp_path):
    import json

    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "d"), "--dry-run", "--limit", "4"])
    assert r.exit_code == 0, r.output
    assert "documents: 4 (--limit 4)" in r.output and "shards:" in r.output and "stages:   decode, extract" in r.output
    assert not (tmp_path / "d").exists()  # nothing written
    out = tmp_path / "l"
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(out), "--limit", "4", "-q"])
    assert r.exit_code == 0 and r.output.startswith("4 documents")
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["input_documents"] == 4 and m["accounting"]["ok"] and m["config"]["run"]["limit"] == 4


def test_against_with_the_shared_options_limit_and_dry_run(tmp_path):
    """--against (issue 11) beside the shared options: the dry run checks the earlier index as
    the run would, a limited run is deduplicated against it, the summary says so."""
    first = tmp_path / "first"
    assert CliRunner().invoke(main, ["run", str(SAMPLES), "-o", str(first), "-q", "-q"]).exit_code == 0
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "-o", str(tmp_path / "d"), "--against", str(tmp_path / "nope"), "--dry-run"])
    assert r.exit_code == 1 and "no dedup index" in r.output and not (tmp_path / "d").exists()
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "-o", str(tmp_path / "d"), "--against", str(first), "--dry-run"])
    assert r.exit_code == 0 and f"against:  {first}" in r.output and not (tmp_path / "d").exists()
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "-o", str(tmp_path / "later"), "--against", str(first), "--limit", "3", "-q", "-w", "2"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("3 documents: 0 kept, 3 duplicates (3 of earlier runs' documents)")
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "-o", str(tmp_path / "r"), "--against", str(first), "--engine", "ray"])
    assert r.exit_code == 2 and "--engine local only" in r.output


def test_config_by_name_and_config_show(tmp_path):
    import yaml

    from pipeline.config import load_config, parse_config

    r = CliRunner().invoke(main, ["config", "show", "--config", "news"])
    assert r.exit_code == 0
    assert "# Worker processes" in r.output and "workers: 2  # changed from the default" in r.output
    assert parse_config(yaml.safe_load(r.output), "shown") == load_config("news")
    r = CliRunner().invoke(main, ["config", "show"])
    assert "changed from the default" not in r.output
    r = CliRunner().invoke(main, ["config", "show", "--config", "newz"])
    assert r.exit_code == 1 and "shipped: default, news" in r.output
    r = CliRunner().invoke(main, ["config", "list"])
    assert "news" in r.output and "default" in r.output


def test_apply_reads_what_run_reads(tmp_path):
    import gzip
    import shutil

    page = FIXTURES / "aeb" / "0dd1357045727799a447563fd8851f4ebe79f042073ea16991a9b67aa595f81a.html.gz"
    shutil.copy(page, tmp_path / "page.html.gz")
    r = CliRunner().invoke(main, ["apply", "extract", str(tmp_path / "page.html.gz")])
    assert r.exit_code == 0 and "binary" not in r.output and len(r.stdout) > 200
    with gzip.open(tmp_path / "two.jsonl.gz", "wt") as f:
        f.write('{"id": "a", "text": "First article about the harbour and the council budget debate."}\n'
                '{"id": "b", "text": "Second article about the harbour."}\n')
    r = CliRunner().invoke(main, ["apply", "fix_encoding", str(tmp_path / "two.jsonl.gz")])
    assert r.exit_code == 0 and "== a" in r.output and "== b" in r.output


@pytest.mark.slow
def test_ray_engine_output_follows_our_verbosity(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("ray")
    exe = str(Path(sys.executable).with_name("pipeline"))
    r = subprocess.run([exe, "run", str(SAMPLES), "--out", str(tmp_path / "r"), "--engine", "ray", "-q", "-q"],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "RAY_ADDRESS": ""})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout == "" and r.stderr == "", (r.stdout[-1000:], r.stderr[-1000:])  # no INFO lines from Ray

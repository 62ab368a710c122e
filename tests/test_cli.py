from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import SAMPLES


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

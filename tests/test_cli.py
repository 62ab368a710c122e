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

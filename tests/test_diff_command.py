"""`pipeline diff OUT ID`: a unified diff per stage, a reason beside each removed line."""

import re

import pytest
from click.testing import CliRunner

from pipeline.cli.report import diff_command
from pipeline.report.history import load_history
from tests.test_report_support import SPAM_REASON, edited_run  # noqa: F401  (fixture)

CIPRO = "buy cipro online https://www.3-dmed.com/wp-content/uploads/2022/08/png/cipro.html no prescription pharmacy"


def invoke(*args):
    return CliRunner().invoke(diff_command, [str(a) for a in args])


def test_spam_line_shown_removed_with_reason_and_line_numbers(edited_run):
    r = invoke(edited_run, "001_cbb55a347cb20141", "--stage", "spam")
    assert r.exit_code == 0, r.output
    removed = [ln for ln in r.output.splitlines() if ln.startswith("- ")]
    # The spam line, with its reason and score; the stage also takes the blank line after it.
    assert removed[0].startswith(f"- {CIPRO}   [{SPAM_REASON}") and " score=" in removed[0]
    assert all(ln.strip() == "-" for ln in removed[1:])
    # Line numbers count in the text the spam stage saw (after boilerplate took "351"); with 2
    # lines of context the hunk starts 2 lines above the spam line.
    before_spam = next(st.before for st in load_history(edited_run, "001_cbb55a347cb20141").steps if st.stage == "spam")
    n = before_spam.split("\n").index(CIPRO) + 1
    assert f"@@ -{n - 2}," in r.output
    assert "  He also stated that the relation with the American-led international coalition will continue." in r.output
    assert "boilerplate" not in r.output  # only the stage asked for


def test_plain_when_piped_coloured_when_asked(edited_run):
    plain = invoke(edited_run, "001_cbb55a347cb20141")
    assert plain.exit_code == 0 and "\x1b[" not in plain.output
    coloured = invoke(edited_run, "001_cbb55a347cb20141", "--color")
    assert "\x1b[31m- buy cipro online" in coloured.output
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.output) == plain.output


def _apply_unified(before: str, stage_out: str) -> str:
    """Apply the hunks of one stage's section to `before`, checking context and removed lines."""
    src = before.split("\n")
    if before.endswith("\n"):
        src = src[:-1]
    result, pos = [], 0
    hunk = re.compile(r"@@ -(\d+),(\d+) \+(\d+),(\d+) @@")
    for line in stage_out.splitlines():
        m = hunk.fullmatch(line)
        if m:
            start = int(m.group(1)) - 1
            result.extend(src[pos:start])
            pos = start
        elif line.startswith("- "):
            text = line[2:].rsplit("   [", 1)[0]
            assert src[pos] == text, (pos, src[pos], text)
            pos += 1
        elif line.startswith("+ "):
            result.append(line[2:])
        elif line.startswith("  "):
            assert src[pos] == line[2:], (pos, src[pos], line)
            result.append(src[pos])
            pos += 1
    result.extend(src[pos:])
    return "\n".join(result)


@pytest.mark.parametrize("context", [0, 1, 3])
def test_each_stage_diff_applies_to_its_input_and_gives_its_output(edited_run, context):
    ids = ["001_cbb55a347cb20141", "002_d01ca79ddeb7fd57", "004_6557ed33d5c9a9db", "007_mojibake_festival"]
    checked = 0
    for doc_id in ids:
        h = load_history(edited_run, doc_id)
        for step in h.steps:
            if step.stage in ("extract", "decode") or step.after is None:
                continue
            r = invoke(edited_run, doc_id, "--stage", step.stage, "-U", context)
            assert r.exit_code == 0, r.output
            got = _apply_unified(step.before, r.output)
            assert got.rstrip("\n") == step.after.rstrip("\n"), (doc_id, step.stage)
            checked += 1
    assert checked >= 3  # spam on 001, boilerplate on 004, fix_encoding on 007


def test_dropped_documents_say_by_whom_and_why(edited_run):
    r = invoke(edited_run, "010_near_copy_of_002")
    assert r.exit_code == 0, r.output
    assert "dropped the document: dedup:near_duplicate | of 002_d01ca79ddeb7fd57" in r.output
    assert "result: duplicate by dedup" in r.output
    r = invoke(edited_run, "011_too_short")
    assert "result: rejected by quality" in r.output


def test_bad_stage_and_unknown_id_are_one_line_errors(edited_run):
    r = invoke(edited_run, "001_cbb55a347cb20141", "--stage", "spamm")
    assert r.exit_code == 2 and "unknown stage 'spamm'" in r.output
    r = invoke(edited_run, "no_such_doc")
    assert r.exit_code == 1 and "no document with id 'no_such_doc'" in r.output and "Traceback" not in r.output


def test_untouched_stage_says_so(edited_run):
    r = invoke(edited_run, "000_e2e47744eb601a7f", "--stage", "spam")
    assert r.exit_code == 0 and "=== spam: no edits" in r.output

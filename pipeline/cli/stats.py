"""`pipeline stats OUT`: the funnel of a finished run and every removal reason, for a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.errors import one_line_errors
from pipeline.cli.style import Painter, want_color
from pipeline.io.layout import read_manifest


def _short(stage: str, reason: str) -> str:
    """'boilerplate:duplicate' under the 'boilerplate' heading -> 'duplicate' (one prefix only)."""
    return reason[len(stage) + 1 :] if reason.startswith(stage + ":") else reason


def render_stats(manifest: dict, color: bool = False) -> str:
    paint = Painter(color)
    stages = manifest["stages"]
    lines = []
    header = (f"{'stage':<16}{'docs in':>10}{'out':>10}{'changed':>10}{'dropped':>10}"
              f"{'chars in':>14}{'chars out':>14}{'removed':>14}{'sec':>8}")
    lines.append(paint(header, bold=True))
    lines.append("-" * len(header))
    for name, s in stages.items():
        removed = f"{s['chars_removed']:>14,}"
        if name == "decode":
            removed = f"{'bytes->chars':>14}"
        dropped = f"{s['docs_dropped']:>10,}"
        if s["docs_dropped"]:
            dropped = paint(dropped, fg="red")
        lines.append(f"{name:<16}{s['docs_in']:>10,}{s['docs_out']:>10,}{s['docs_modified']:>10,}{dropped}"
                     f"{s['chars_in']:>14,}{s['chars_out']:>14,}{removed}{s['seconds']:>8.2f}")
    if "decode" in stages:
        d = stages["decode"]
        lines.append(paint(f"decode reads {d['chars_in']:,} bytes and writes {d['chars_out']:,} characters: "
                           "a multi-byte character counts once, so the difference is not removed text.", dim=True))
    c = manifest["counts"]
    ok = manifest["accounting"]["ok"]
    lines.append("")
    lines.append(f"{c['input_documents']:,} in = {paint(format(c['kept'], ','), fg='green')} kept + "
                 f"{c['duplicates']:,} duplicates + {paint(format(c['rejected'], ','), fg='red' if c['rejected'] else None)} rejected"
                 f"  ({paint('ok', fg='green') if ok else paint('MISMATCH', fg='red', bold=True)})")
    # read: documents rejected before the first stage (unreadable, no text field, ...)
    read = c.get("read_reasons") or {}
    by_stage = ([("read", read)] if read else []) + [(name, s["reasons"]) for name, s in stages.items() if s["reasons"]]
    if by_stage:
        lines.append("")
        lines.append(paint("reasons (edits, or dropped documents):", bold=True))
        width = max(len(f"{n:,}") for _, r in by_stage for n in r.values())
        for name, reasons in by_stage:
            lines.append(f"  {paint(name, bold=True)}")
            for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"    {n:>{width},}  {_short(name, r)}")
    return "\n".join(lines)


@click.command("stats")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts and per-stage stats as JSON.")
@click.option("--color/--no-color", default=None, help="Colour output (default: on a terminal, unless NO_COLOR is set).")
@one_line_errors
def stats_command(out: Path, as_json: bool, color: bool | None) -> None:
    """The funnel of a finished run: documents and characters in and out of each stage, and
    every removal reason with its count (grouped by stage).

    Decode's input is counted in bytes and its output in characters; every later stage counts
    characters.

    \b
    Examples:
      pipeline stats outputs/samples
      pipeline stats outputs/samples --json | jq '.stages.boilerplate.reasons'
      NO_COLOR=1 pipeline stats outputs/samples
    """
    manifest = read_manifest(out)
    if as_json:
        click.echo(json.dumps({"counts": manifest["counts"], "stages": manifest["stages"]}, indent=2))
        return
    use = want_color(color)
    click.echo(render_stats(manifest, use), color=use)

"""Terminal colour for the command line: on a terminal unless NO_COLOR is set (https://no-color.org),
or as forced by a command's --color/--no-color."""

from __future__ import annotations

import os
import sys

import click


def want_color(flag: bool | None, stream=None) -> bool:
    """--color/--no-color wins; otherwise colour only on a terminal and never with NO_COLOR set."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, **style) -> str:
        return click.style(text, **style) if self.enabled else text

"""One-line errors for every click command: library errors become `click.ClickException`s,
and `pipeline --debug` shows the traceback instead."""

from __future__ import annotations

import functools
import signal

import click

from pipeline.errors import PipelineError


def one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:
            root = ctx.find_root().obj
            if root and root.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # disk full, unwritable or vanished folders: one line, with --debug a traceback
            root = ctx.find_root().obj
            if root and root.get("debug"):
                raise
            from pipeline.io.safety import describe_os_error

            raise click.ClickException(describe_os_error(exc)) from None
        except KeyboardInterrupt:
            # any further Ctrl-C while we exit is ignored: one clean line, never a traceback
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise click.ClickException("interrupted; rerun with --resume to continue") from None

    return wrapper

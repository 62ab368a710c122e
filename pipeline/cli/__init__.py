"""Every `pipeline` command, the one error mapping and the logging set-up of the command line."""

from pipeline.cli.main import main

__all__ = ["main"]

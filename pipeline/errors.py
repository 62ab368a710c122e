"""The exceptions the library raises on purpose; the CLI turns each into one clear line."""

from __future__ import annotations


class PipelineError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(PipelineError):
    """A config file is missing, malformed or has an unknown or mistyped key."""


class InputError(PipelineError):
    """An input path is missing, unreadable or of an unknown kind (raised before work starts)."""


class OutputError(PipelineError):
    """The output folder cannot be used (exists without --overwrite, not writable...)."""

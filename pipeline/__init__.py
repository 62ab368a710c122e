"""Text cleaning and near-duplicate detection for news and web corpora.

The stages are usable one document at a time (`Decoder().apply(raw)`, `Boilerplate().apply(doc)`)
or all together with `run()`. The library only adds a NullHandler to its logger.
"""

import logging

from pipeline.config import PipelineConfig, load_config
from pipeline.core.document import Document, Edit, Outcome, RawDocument
from pipeline.errors import ConfigError, InputError, OutputError, PipelineError

logging.getLogger(__name__).addHandler(logging.NullHandler())

from pipeline.engine.chain import CleanResult, Cleaner  # noqa: E402  (after the handler)
from pipeline.engine.run import run  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "CleanResult",
    "Cleaner",
    "ConfigError",
    "Document",
    "Edit",
    "InputError",
    "Outcome",
    "OutputError",
    "PipelineConfig",
    "PipelineError",
    "RawDocument",
    "load_config",
    "run",
]

"""Connecting the Ray engine to Ray: the optional import of the extra, then joining a running
cluster (or starting a local one), with failures raised as RayEngineError."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipeline.errors import PipelineError

log = logging.getLogger("pipeline.engine.ray.driver")  # the name these messages always had


class RayEngineError(PipelineError):
    """Ray is missing or the cluster cannot be reached."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise RayEngineError("the Ray engine needs the ray extra: pip install 'newsclean-pipeline[ray]'") from None
    return ray


def connect(ray, address: str | None) -> bool:
    """Connect or start Ray; True when this call initialised Ray (and so must shut it down)."""
    if ray.is_initialized():  # the caller's own connection: use it, and leave it open
        if address is not None:
            log.warning("Ray is already initialised in this process; using that connection, not %s", address)
        return False
    import pipeline

    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is not None:
        kwargs.update(address=address)
        # Ship this package's code to the cluster (its dependencies must be installed there)
        # as a runtime_env py_module, so nodes run exactly the driver's version.
        if os.environ.get("PIPELINE_RAY_SHIP_CODE", "1") != "0":  # 0: the cluster has it installed
            kwargs["runtime_env"] = {"py_modules": [str(Path(pipeline.__file__).parent)]}
        kwargs.pop("include_dashboard")
    try:
        ray.init(**kwargs)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise RayEngineError(f"cannot connect to Ray at {address or 'a new local cluster'}: {exc}") from None
    return True

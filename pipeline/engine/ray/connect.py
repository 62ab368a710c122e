"""Connecting the Ray engine to Ray: the optional import of the extra, then joining a running
cluster (or starting a local one), with failures raised as RayEngineError."""

from __future__ import annotations

import contextlib
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


def quiet_ray_logs() -> int:
    """Ray's console output follows the verbosity of our own `pipeline` logger (which the CLI
    sets from -v/--debug): at the default level only Ray's errors reach the terminal; with -v its
    INFO lines too. Environment variables a user set (RAY_BACKEND_LOG_LEVEL, RAY_DATA_LOG_LEVEL)
    win. Returns the level applied to Ray's Python loggers."""
    ours = logging.getLogger("pipeline").getEffectiveLevel()
    level = ours if ours <= logging.INFO else logging.ERROR
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "info" if level <= logging.INFO else "fatal")  # C++ core worker lines
    for name in ("ray", "ray.data"):
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.level or logging.WARNING, level) if level <= logging.INFO else level)
        for h in logger.handlers:  # Ray Data's own console handler (it does not propagate)
            if not isinstance(h, logging.FileHandler) and type(h).__name__ != "SessionFileHandler":
                h.setLevel(level)
    return level


@contextlib.contextmanager
def _native_stderr_muted(mute: bool):
    """Ray's native core prints a line or two on the process's stderr while it starts (e.g.
    "Set ray log level from environment variable"), below Python logging: muted at the default
    verbosity, only for the duration of ray.init (failures still raise)."""
    if not mute:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no real fd 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def connect(ray, address: str | None) -> bool:
    """Connect or start Ray; True when this call initialised Ray (and so must shut it down)."""
    level = quiet_ray_logs()
    if ray.is_initialized():  # the caller's own connection: use it, and leave it open
        if address is not None:
            log.warning("Ray is already initialised in this process; using that connection, not %s", address)
        return False
    import pipeline

    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False,
                    "logging_level": logging.getLogger("ray").getEffectiveLevel()}
    if address is not None:
        kwargs.update(address=address)
        # Ship this package's code to the cluster (its dependencies must be installed there)
        # as a runtime_env py_module, so nodes run exactly the driver's version.
        if os.environ.get("PIPELINE_RAY_SHIP_CODE", "1") != "0":  # 0: the cluster has it installed
            kwargs["runtime_env"] = {"py_modules": [str(Path(pipeline.__file__).parent)]}
        kwargs.pop("include_dashboard")
    try:
        with _native_stderr_muted(level > logging.INFO):
            ray.init(**kwargs)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise RayEngineError(f"cannot connect to Ray at {address or 'a new local cluster'}: {exc}") from None
    import ray.data  # noqa: F401  (configures Ray Data's loggers; quieten them after)

    quiet_ray_logs()
    return True

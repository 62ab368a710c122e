"""`run`: the one entry point of a whole run, on either engine.

Both engines get the same plan, layout and inputs and differ only in how they schedule the
shards (`local.execute`: a process pool; `ray.driver.execute`: Ray Data); OUT is prepared before
and the scratch folder removed after, here, once.
"""

from __future__ import annotations

import functools
from dataclasses import replace
import logging
import shutil
import time
from pathlib import Path
from typing import Literal

from pipeline.config import PipelineConfig
from pipeline.core.registry import Registry
from pipeline.engine import local
from pipeline.engine.local import Progress, RunResult, prepare_output
from pipeline.engine.plan import Plan
from pipeline.io.readers import count_inputs, resolve_inputs

Engine = Literal["local", "ray"]
log = logging.getLogger(__name__)


def run(
    inputs: list[str | Path],
    out: str | Path,
    config: PipelineConfig | None = None,
    *,
    registry: Registry | None = None,
    engine: Engine = "local",
    address: str | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Run the whole pipeline on files/folders into `out`; returns the manifest.

    `registry` replaces the default stages (e.g. with one more stage). `engine="ray"` runs on a
    Ray cluster: `address` "host:port" (or "auto"), else RAY_ADDRESS, else a local Ray for this
    run; OUT must then be storage every node can read and write."""
    plan = Plan.of(config, registry)
    execute = _engine(engine, address)  # a missing Ray extra fails before any work
    # Ray workers resolve paths on their own nodes: they get OUT as an absolute path.
    layout = plan.layout(Path(out).absolute() if engine == "ray" else Path(out))
    files = resolve_inputs(list(inputs))  # raises InputError before any work
    prepare_output(layout, overwrite, resume)
    count = count_inputs(files)
    if plan.config.run.limit is not None and (count.documents is None or count.documents > plan.config.run.limit):
        count = replace(count, documents=plan.config.run.limit)
    log.info("reading %s files, %s bytes (%s), %s documents; stages: %s; engine %s, %d workers",
             f"{count.files:,}", f"{count.bytes:,}", ", ".join(f"{n} {k}" for k, n in count.kinds.items()),
             "?" if count.documents is None else f"{count.documents:,}", ", ".join(plan.names), engine, plan.config.run.workers)
    start = getattr(progress, "start", None)
    if start is not None:
        start(count, plan)  # totals for the bars and ETA, and the stages for their rows
    t0 = time.perf_counter()
    summaries, manifest = execute(plan, layout, files, resume, progress)
    c = manifest["counts"]
    log.info("done in %.1f s: %s documents, %s kept, %s duplicates, %s rejected", time.perf_counter() - t0,
             f"{c['input_documents']:,}", f"{c['kept']:,}", f"{c['duplicates']:,}", f"{c['rejected']:,}")
    if manifest["accounting"]["ok"] and not plan.config.run.keep_work:
        shutil.rmtree(layout.work, ignore_errors=True)  # shard scratch; only --resume needs it
    return RunResult(layout.out, manifest, summaries)


def _engine(engine: Engine, address: str | None):
    if engine == "local":
        return local.execute
    from pipeline.engine.ray import driver
    from pipeline.engine.ray.connect import import_ray  # Ray itself is imported only here

    import_ray()
    return functools.partial(driver.execute, address=address)

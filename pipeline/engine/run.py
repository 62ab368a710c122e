"""`run`: the one entry point of a whole run, on either engine.

Both engines get the same plan, layout and inputs and differ only in how they schedule the
shards (`local.execute`: a process pool; `ray.driver.execute`: Ray Data). Here, once, for both:
OUT is checked against the inputs and config, locked for the whole run (`OutLock`), prepared
before and its scratch folder removed after; operational failures (disk full, unwritable
folders, a corrupt `_work` on --resume) become one-line errors.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal, Sequence

from pipeline.config import PipelineConfig
from pipeline.core.registry import Registry
from pipeline.engine import local
from pipeline.engine.local import Progress, RunResult, check_against, prepare_output
from pipeline.engine.plan import Plan
from pipeline.errors import InputError, OutputError
from pipeline.io.readers import count_inputs, resolve_inputs
from pipeline.io.safety import OutLock, check_run_paths, operational_errors
from pipeline.io.storage import as_path, is_remote, rmtree

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
    against: Sequence[str | Path] = (),
) -> RunResult:
    """Run the whole pipeline on files/folders into `out`; returns the manifest.

    `registry` replaces the default stages (e.g. with one more stage). `engine="ray"` runs on a
    Ray cluster: `address` "host:port" (or "auto"), else RAY_ADDRESS, else a local Ray for this
    run; OUT must then be storage every node can read and write. `against`: earlier runs'
    folders (local engine); documents that duplicate what those runs kept are removed too."""
    plan = Plan.of(config, registry)
    against = [str(a) for a in against]
    if against and engine != "local":
        raise InputError("--against is supported by the local engine only")
    execute = _engine(engine, address, against)  # a missing Ray extra fails before any work
    # Ray workers resolve paths on their own nodes: they get OUT as an absolute path.
    out = as_path(out)  # a local Path, or a UPath for a URL (s3://...): pipeline.io.storage
    if is_remote(out) and out.protocol in ("http", "https"):
        raise OutputError(f"{out}: http(s):// is read-only; choose a folder or a writable URL (s3://, gs://, ...) for --out")
    layout = plan.layout(out.absolute() if engine == "ray" and not is_remote(out) else out)
    files = resolve_inputs(list(inputs))  # raises InputError before any work
    check_run_paths(layout.out, list(inputs), plan.config)  # OUT vs inputs, dedup.tmp_dir: before any work too
    check_against(layout, against, plan.config)  # a missing or incompatible earlier index, too
    with OutLock(layout), operational_errors(layout, resume):
        prepare_output(layout, overwrite, resume)
        count = count_inputs(files)
        if plan.config.run.limit is not None and (count.documents is None or count.documents > plan.config.run.limit):
            count = replace(count, documents=plan.config.run.limit)
        log.info("reading %s files, %s bytes (%s), %s documents; stages: %s; engine %s, %d workers%s",
                 f"{count.files:,}", f"{count.bytes:,}", ", ".join(f"{n} {k}" for k, n in count.kinds.items()),
                 "?" if count.documents is None else f"{count.documents:,}", ", ".join(plan.names), engine,
                 plan.config.run.workers, f"; against {', '.join(against)}" if against else "")
        start = getattr(progress, "start", None)
        if start is not None:
            start(count, plan)  # totals for the bars and ETA, and the stages for their rows
        t0 = time.perf_counter()
        summaries, manifest = execute(plan, layout, files, resume, progress)
        c = manifest["counts"]
        log.info("done in %.1f s: %s documents, %s kept, %s duplicates, %s rejected", time.perf_counter() - t0,
                 f"{c['input_documents']:,}", f"{c['kept']:,}", f"{c['duplicates']:,}", f"{c['rejected']:,}")
        if manifest["accounting"]["ok"] and not plan.config.run.keep_work:
            rmtree(layout.work)  # shard scratch; only --resume needs it
    return RunResult(layout.out, manifest, summaries)


def _engine(engine: Engine, address: str | None, against: Sequence[str]):
    if engine == "local":
        return functools.partial(local.execute, against=against)
    from pipeline.engine.ray import driver
    from pipeline.engine.ray.connect import import_ray  # Ray itself is imported only here

    import_ray()
    return functools.partial(driver.execute, address=address)

"""The default-config stage chain the evaluation runs, and trafilatura alone beside it.

Stages are built once per process from `PipelineConfig()` defaults (optionally with section
overrides), exactly as the pipeline builds them. CPU time is `time.process_time()` of the
calling process, measured per page for trafilatura alone and for our whole chain.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

from pipeline.config import PipelineConfig
from pipeline.core.document import Document, RawDocument
from pipeline.stages.boilerplate import Boilerplate
from pipeline.stages.decode import Decoder
from pipeline.stages.extract import Extract
from pipeline.stages.fix_encoding import FixEncoding
from pipeline.stages.quality import QualityFilter
from pipeline.stages.spam import Spam


@dataclass
class Chain:
    config: PipelineConfig

    def __post_init__(self) -> None:
        c = self.config
        self.decode = Decoder(c.decode)
        self.extract = Extract(c.extract)
        self.fix = FixEncoding(c.fix_encoding)
        self.boilerplate = Boilerplate(c.boilerplate)
        self.spam = Spam(c.spam)
        self.quality = QualityFilter(c.quality)

    def text_stages(self, doc: Document) -> dict:
        """fix_encoding -> boilerplate -> spam -> quality on a text document.
        Returns the text after each step ('' once dropped) and the quality verdict."""
        out = {"fixed": "", "cleaned": "", "final": "", "dropped": None}
        o = self.fix.apply(doc)
        if o.doc is None:
            out["dropped"] = o.reason
            return out
        out["fixed"] = o.doc.text
        for stage in (self.boilerplate, self.spam):
            o = stage.apply(o.doc)
            if o.doc is None:
                out["dropped"] = o.reason
                return out
        out["cleaned"] = o.doc.text
        q = self.quality.apply(o.doc)
        out["dropped"] = q.reason
        out["final"] = q.doc.text if q.doc is not None else ""
        return out

    def run_raw(self, raw: RawDocument) -> dict:
        """decode -> extract -> text stages."""
        o = self.decode.apply(raw)
        if o.doc is None:
            return {"fixed": "", "cleaned": "", "final": "", "dropped": o.reason}
        o = self.extract.apply(o.doc)
        if o.doc is None:
            return {"fixed": "", "cleaned": "", "final": "", "dropped": o.reason}
        return self.text_stages(o.doc)

    def trafilatura_alone(self, data: bytes, url: str | None) -> str:
        import trafilatura

        c = self.config.extract
        return trafilatura.extract(
            data, url=url, output_format="txt", include_tables=c.include_tables,
            include_comments=c.include_comments, favor_precision=c.favor_precision,
            favor_recall=c.favor_recall, no_fallback=c.no_fallback, deduplicate=False,
        ) or ""


_CHAINS: dict[str, Chain] = {}


def chain_for(overrides: dict | None = None) -> Chain:
    key = repr(sorted((overrides or {}).items()))
    if key not in _CHAINS:
        cfg = PipelineConfig().with_overrides(**overrides) if overrides else PipelineConfig()
        chain = Chain(cfg)
        # Warm up both paths (imports, lazy trafilatura/lxml/ftfy state) so no page pays for it.
        html = b"<html><body><article><p>" + b"Warm up sentence with enough words to extract. " * 20 + b"</p></article></body></html>"
        chain.trafilatura_alone(html, None)
        chain.run_raw(RawDocument(id="warmup", source="warmup", data=html, format="html"))
        _CHAINS[key] = chain
    return _CHAINS[key]


def run_page(args: tuple[dict, dict | None]) -> dict:
    """Worker: one HTML page through trafilatura alone and through our chain, CPU-timed.
    The order of the two alternates by page so warm caches favour neither."""
    from benchmarks.datasets import read_html

    page, overrides = args
    chain = chain_for(overrides)
    data = read_html(page["path"])
    raw = RawDocument(id=page["id"], source=page["set"], data=data, format="html", url=page.get("url"))

    def traf():
        t0 = time.process_time()
        text = chain.trafilatura_alone(data, page.get("url"))
        return text, time.process_time() - t0

    def ours():
        t0 = time.process_time()
        res = chain.run_raw(raw)
        return res, time.process_time() - t0

    if zlib.crc32(page["id"].encode()) % 2:
        (t_text, t_cpu), (res, o_cpu) = traf(), ours()
    else:
        (res, o_cpu), (t_text, t_cpu) = ours(), traf()
    return {**{k: v for k, v in page.items() if k != "path"}, "traf": t_text, "traf_cpu": t_cpu,
            "ours_cpu": o_cpu, **res}

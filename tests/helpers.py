"""Helpers shared by several test modules, and a small stage the tests register with the
pipeline without touching any of its modules.

Importable by Ray workers too (the Ray test puts the repository on their PYTHONPATH), so the
stage pickles by reference like the pipeline's own stages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from pipeline.core.document import Document, Edit, Outcome, RawDocument, apply_edits
from pipeline.core.registry import Registry, StageSpec, default_registry
from pipeline.stages.decode import Decoder


def seed(prefix: str) -> str:
    """The text of the seed article samples/<prefix>_*.txt."""
    from tests.conftest import SAMPLES

    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def lines_of(text: str) -> list[str]:
    """The non-blank lines of a text, stripped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def insert_paragraph(text: str, at: int, paragraph: str) -> str:
    """`text` with `paragraph` inserted before its paragraph number `at` (blank-line separated)."""
    paras = text.split("\n\n")
    return "\n\n".join(paras[:at] + [paragraph] + paras[at:])


def apply_replayable(stage, text: str, **doc) -> Outcome:
    """Apply a line stage to one text, checking its edits replay to its output exactly."""
    out = stage.apply(Document(id="t", text=text, **doc))
    assert apply_edits(text, out.edits) == out.doc.text
    return out


def warc_bytes(records: list[tuple[str, bytes, str]], gzip: bool = False, fixed_ids: bool = False) -> bytes:
    """A WARC of HTTP responses (url, body, Content-Type); `fixed_ids`: record ids and dates
    from the position, so the bytes are reproducible (property tests)."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gzip)
    for i, (url, body, ctype) in enumerate(records):
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        fixed = {"WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{i:012d}>", "WARC-Date": "2024-01-02T03:04:05Z"}
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers,
                                            warc_headers_dict=fixed if fixed_ids else None))
    return buf.getvalue()


def read_outputs(out: Path) -> dict:
    """The corpus (id, text), duplicates and rejected rows of a run, in a stable order."""
    corpus = pq.read_table(out / "corpus").sort_by("id")
    return {
        "corpus": list(zip(corpus.column("id").to_pylist(), corpus.column("text").to_pylist())),
        "duplicates": pq.read_table(out / "duplicates.parquet").to_pylist(),
        "rejected": sorted(pq.read_table(out / "rejected.parquet").to_pylist(), key=lambda r: r["id"]),
    }


def rejected_by_id(out: Path) -> dict[str, dict]:
    return {r["id"]: r for r in pq.read_table(out / "rejected.parquet").to_pylist()}


class StripMarkerConfig(BaseModel):
    """The one setting of the test stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    marker: str = "[[sponsored]]"


class StripMarker:
    """A test stage: removes every line that starts with the marker."""

    name = "strip_marker"
    version = "strip_marker_v1"

    def __init__(self, config: StripMarkerConfig | None = None) -> None:
        self.config = config or StripMarkerConfig()

    def apply(self, doc: Document) -> Outcome:
        edits, pos = [], 0
        for line in doc.text.splitlines(keepends=True):
            if line.startswith(self.config.marker):
                edits.append(Edit(pos, pos + len(line), line, "strip_marker:marked", 1.0))
            pos += len(line)
        return Outcome.keep(doc.with_text(apply_edits(doc.text, edits)), edits) if edits else Outcome.keep(doc)


STRIP_MARKER = StageSpec("strip_marker", "strip_marker_v1", StripMarkerConfig, StripMarker)


def with_strip_marker() -> Registry:
    """The pipeline's stages plus the test stage after spam."""
    return default_registry().with_stage(STRIP_MARKER, after="spam")


class ExplodingDecoder(Decoder):
    """The real decoder, except that it raises on documents whose id starts with 'explode'."""

    def apply(self, raw: RawDocument) -> Outcome:
        if raw.id.startswith("explode"):
            raise RuntimeError("decoder bug on this input")
        return super().apply(raw)


def with_exploding_decoder() -> Registry:
    specs = default_registry().specs
    return Registry(tuple(replace(s, factory=ExplodingDecoder) if s.name == "decode" else s for s in specs))


def write_marked_inputs(folder: Path, samples: Path) -> Path:
    """samples/ plus two articles carrying marker lines, in a folder of their own."""
    import shutil

    shutil.copytree(samples, folder)
    bodies = (
        "The harbour council met on Tuesday to discuss the new ferry timetable for the winter months. " * 5,
        "Volunteers planted four hundred oak saplings along the river path over the long weekend. " * 5,
    )
    for i, body in enumerate(bodies):
        (folder / f"020_marked_{i}.txt").write_text(f"{body}\n[[sponsored]] The committee will publish its full report on the matter next spring, number {i}.\n\n{body}\n", encoding="utf-8")
    return folder


class LoseDocumentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lose: str = "lose_me"  # this document...
    into: str = "keep_me"  # ...leaves the stage under this other document's id


class LoseDocument:
    """A faulty stage: it hands one document on under another document's id, so one input id
    vanishes and another appears twice — what a buggy stage that loses a document looks like
    to the accounting check."""

    name = "lose_document"
    version = "lose_document_v1"

    def __init__(self, config: LoseDocumentConfig | None = None) -> None:
        self.config = config or LoseDocumentConfig()

    def apply(self, doc: Document) -> Outcome:
        return Outcome.keep(replace(doc, id=self.config.into) if doc.id == self.config.lose else doc)


LOSE_DOCUMENT = StageSpec("lose_document", "lose_document_v1", LoseDocumentConfig, LoseDocument)


def with_lost_document() -> Registry:
    """The pipeline's stages plus the faulty one after quality."""
    return default_registry().with_stage(LOSE_DOCUMENT, after="quality")


def write_articles(folder: Path, names: list[str]) -> Path:
    """One distinct, clean news article per name (name.txt): none is rejected or a duplicate."""
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["harbour ferry timetable", "river path saplings", "library opening hours", "school bus routes",
              "market square repairs", "tram depot extension", "bridge weight limit", "museum roof appeal"]
    for k, name in enumerate(names):
        topic = topics[k % len(topics)]
        body = " ".join(f"The council met on day {w} to discuss the {topic} and agreed on item {w * 7 + k} after a long debate." for w in range(1, 9))
        (folder / f"{name}.txt").write_text(f"{body}\n\nResidents of ward {k} asked about the {topic} again.\n", encoding="utf-8")
    return folder

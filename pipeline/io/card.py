"""The dataset card OUT/README.md: YAML front matter whose `configs:` tell Hugging Face
`datasets` (and the Hub viewer) which files form which table, so `load_dataset(OUT, "corpus")`
works on a folder that also holds stats, the dedup index and the report; then a short text.

A table without rows gets no config: `datasets` refuses a config whose files hold no data.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from pipeline.io.layout import RunLayout


@dataclass(frozen=True)
class Table:
    name: str
    data_files: str  # a path or glob relative to OUT
    rows: int
    what: str


def tables(layout: RunLayout, kept: int, duplicates: int, rejected: int, edits: int) -> list[Table]:
    return [
        Table("corpus", RunLayout.CORPUS_GLOB, kept, "the cleaned documents kept (id, text, source, url, title, date, ...)"),
        Table("duplicates", layout.duplicates.name, duplicates, "near-duplicates removed, each with the id it duplicates"),
        Table("rejected", layout.rejected.name, rejected, "documents rejected by a stage (or unreadable), with the reason"),
        Table("edits", RunLayout.EDITS_GLOB, edits, "every edit or drop of every stage, as spans of that stage's input"),
    ]


def render_card(layout: RunLayout, version: str, config_hash: str, counts: dict, n_edits: int) -> str:
    found = tables(layout, counts["kept"], counts["duplicates"], counts["rejected"], n_edits)
    configs = []
    for t in found:
        if t.rows:
            entry = {"config_name": t.name, "data_files": [{"split": "train", "path": t.data_files}]}
            configs.append({**entry, "default": True} if t.name == "corpus" else entry)
    front = yaml.safe_dump({"configs": configs}, sort_keys=False, allow_unicode=True)
    rows = "\n".join(f"| {t.name} | `{t.data_files}` | {t.rows:,} | {t.what} |" for t in found)
    return f"""---
{front}---

# newsclean output

Written by newsclean-pipeline {version}, config hash `{config_hash}` (also in every Parquet
file's key-value metadata: `newsclean.version`, `newsclean.config_hash`). The resolved config,
inputs, per-stage counts and the accounting check are in `manifest.json`.

{counts['input_documents']:,} input documents = {counts['kept']:,} kept + {counts['duplicates']:,} duplicates + {counts['rejected']:,} rejected.

| config | files | rows | what |
|---|---|---|---|
{rows}

A table without rows has no config here (and no files, or one schema-only file).

```python
from datasets import load_dataset

corpus = load_dataset("path/to/this/folder", "corpus", split="train")
```
"""

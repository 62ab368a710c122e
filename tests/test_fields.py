"""Field mapping of structured inputs (issue 14): --text-field / --id-field and the `input`
config section for JSONL, JSON arrays and Parquet, nested fields with a dot; a run where every
document is rejected at read fails with a one-line summary of the reasons, and `pipeline stats`
lists read-stage reasons."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.errors import ConfigError
from tests.conftest import SAMPLES

# Real article texts (the seed samples long enough to pass the quality stage).
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("00[0-4]_*.txt"))}


def _jsonl_rows() -> list[dict]:
    return [{"content": text, "meta": {"id": f"post-{i}", "lang": "en"}, "url": f"https://example.org/{i}"}
            for i, text in enumerate(TEXTS.values())]


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _corpus(out) -> dict[str, str]:
    t = pq.read_table(out / "corpus")
    return dict(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))


def test_jsonl_with_content_and_nested_id_via_cli_options(tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in _jsonl_rows()) + "\n", encoding="utf-8")
    r = _invoke("run", str(src), "--out", str(tmp_path / "o"), "-q", "--text-field", "content", "--id-field", "meta.id")
    assert r.exit_code == 0, r.output
    corpus = _corpus(tmp_path / "o")
    rejected = pq.read_table(tmp_path / "o" / "rejected.parquet").to_pylist()
    assert set(corpus) | {x["id"] for x in rejected} == {f"post-{i}" for i in range(len(TEXTS))}
    assert len(corpus) >= 3 and not [x for x in rejected if x["stage"] == "read"]
    # the text is the record's `content` (cleaned): its first sentence is there
    first = next(iter(TEXTS.values())).split("\n")[0][:40]
    assert any(first in t for t in corpus.values())
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["config"]["input"] == {"text_field": "content", "id_field": "meta.id"}


def test_without_the_field_option_every_document_is_rejected_and_the_run_fails(tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in _jsonl_rows()) + "\n", encoding="utf-8")
    out = tmp_path / "o"
    r = _invoke("run", str(src), "--out", str(out), "-q")
    assert r.exit_code == 1
    error = [ln for ln in r.output.splitlines() if ln.startswith("Error:")]
    assert len(error) == 1, r.output
    assert f"every one of the {len(TEXTS)} input documents was rejected at read" in error[0]
    assert f"read:record has no 'text' or 'html' field ({len(TEXTS)})" in error[0] and "--text-field" in error[0]
    # the outputs are still written (nothing is lost), and stats lists the read reasons
    assert len(pq.read_table(out / "rejected.parquet")) == len(TEXTS)
    r = _invoke("stats", str(out), "--no-color")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    at = lines.index("  read")
    assert lines[at + 1].split() == [str(len(TEXTS)), "record", "has", "no", "'text'", "or", "'html'", "field"]


def test_a_run_with_some_read_failures_still_succeeds(tmp_path):
    src = tmp_path / "mixed.jsonl"
    rows = [{"text": t} for t in TEXTS.values()] + [{"content": "no text field"}]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    r = _invoke("run", str(src), "--out", str(tmp_path / "o"), "-q")
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["counts"]["read_reasons"] == {
        "read:record has no 'text' or 'html' field": 1,
        "read:line N is not JSON (Expecting value)": 1,
    }


def test_parquet_with_a_struct_id_and_a_body_column_via_config(tmp_path):
    n = len(TEXTS)
    table = pa.table({
        "body": list(TEXTS.values()),
        "meta": pa.array([{"id": f"doc-{i}", "source": "wire"} for i in range(n)]),
        "text": ["decoy: not the body"] * n,  # present, but the config names `body`
    })
    src = tmp_path / "docs.parquet"
    pq.write_table(table, src)
    cfg = tmp_path / "fields.yaml"
    cfg.write_text("input:\n  text_field: body\n  id_field: meta.id\n")
    r = _invoke("run", str(src), "--out", str(tmp_path / "o"), "-q", "--config", str(cfg))
    assert r.exit_code == 0, r.output
    corpus = _corpus(tmp_path / "o")
    assert len(corpus) >= 3 and set(corpus) <= {f"doc-{i}" for i in range(n)}
    assert not any("decoy" in t for t in corpus.values())
    # a Parquet file without the named column is one rejected row naming the column
    r = _invoke("run", str(src), "--out", str(tmp_path / "o2"), "-q", "--text-field", "content")
    assert r.exit_code == 1 and "no 'content' or 'html' column" in r.output


def test_json_array_with_nested_text(tmp_path):
    src = tmp_path / "docs.json"
    src.write_text(json.dumps([{"doc": {"body": t, "key": k}} for k, t in TEXTS.items()]), encoding="utf-8")
    r = _invoke("run", str(src), "--out", str(tmp_path / "o"), "-q", "--text-field", "doc.body", "--id-field", "doc.key")
    assert r.exit_code == 0, r.output
    assert set(_corpus(tmp_path / "o")) <= set(TEXTS) and len(_corpus(tmp_path / "o")) >= 3


@pytest.mark.parametrize("yaml_text, message", [
    ("input:\n  text_feild: body\n", "unknown config key 'input.text_feild'; did you mean 'input.text_field'?"),
    ("input:\n  id_field: 'meta..id'\n", "config key 'input.id_field'"),
    ("input:\n  text_field: ''\n", "config key 'input.text_field'"),
])
def test_input_section_is_validated(tmp_path, yaml_text, message):
    p = tmp_path / "bad.yaml"
    p.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert message in str(err.value)
    r = CliRunner().invoke(main, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--config", str(p)])
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output

"""Which fields of a JSONL/JSON/Parquet record hold a document's text and id (config section
`input`, CLI `--text-field` / `--id-field`); a dot reaches into nested objects (`meta.id`)."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, field_validator


class InputConfig(BaseModel):
    """Field names of structured inputs (JSONL, JSON arrays, Parquet)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The field with the document text (a record's `html` field, when present, is used first).
    text_field: str = "text"
    # The field with the document id; a record without one gets `<file>:<line or row>`.
    id_field: str = "id"

    @field_validator("text_field", "id_field")
    @classmethod
    def _a_field_path(cls, value: str) -> str:
        if not value.strip() or any(not part.strip() for part in value.split(".")):
            raise ValueError("must be a field name, or names joined by dots for a nested field (meta.id)")
        return value


DEFAULT_INPUT = InputConfig()


def get_field(record: Mapping[str, Any], path: str) -> Any:
    """The value at `path` ("a.b.c": record["a"]["b"]["c"]); a key that itself holds the dots
    wins. None when any step is missing or not an object."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def top_level(path: str) -> str:
    """The column a (possibly nested) field lives in: 'meta.id' -> 'meta'."""
    return path.split(".", 1)[0]

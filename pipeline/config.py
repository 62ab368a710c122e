"""The run configuration: one explicit, validated object loaded from YAML (never a global).

Each stage owns its section's model; unknown or mistyped keys are errors that name the key and
the nearest valid one.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.dedup.config import DedupConfig
from pipeline.errors import ConfigError
from pipeline.io.fields import InputConfig
from pipeline.stages.boilerplate import BoilerplateConfig
from pipeline.stages.decode import DecodeConfig
from pipeline.stages.extract import ExtractConfig
from pipeline.stages.fix_encoding import FixEncodingConfig
from pipeline.stages.quality import QualityConfig
from pipeline.stages.repeated_lines import RepeatedLinesConfig
from pipeline.stages.spam import SpamConfig


class RunConfig(BaseModel):
    """How the work is split; none of these change the results."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Documents per shard: the unit of parallel work, of crash-safe output and of memory.
    shard_size: int = Field(2000, ge=1)
    # A shard also closes once its raw input reaches this many bytes, so HTML crawls (~100 KB
    # a page, ~50 ms of extraction each) still spread over the workers.
    shard_bytes: int = Field(8_000_000, ge=1)
    workers: int = Field(1, ge=1)
    # Rows per Parquet row group in corpus/ (readers stream by row group); a row group also
    # closes once its text reaches 64 MB, so readers never hold a huge one in memory.
    row_group_size: int = Field(10_000, ge=1)
    # corpus/ files close once they reach about this size (compressed): few large files load
    # fastest in datasets, DuckDB, Spark. Cut in the final ordered pass, so the files are the
    # same for any worker count and engine.
    target_file_mb: float = Field(128, gt=0)
    # Keep each document's decoded input text under stages/01_decode/ so diffs and the report
    # can show raw and clean side by side (costs about the corpus size again, compressed).
    store_input: bool = True
    # Keep OUT/_work (per-shard scratch: kept docs, sketches) after a successful run.
    keep_work: bool = False
    # Read only the first N documents (input order) for a quick look; null = all (--limit).
    limit: int | None = Field(None, ge=1)
    # Per-document budget of every stage: a document with more lines is rejected
    # (budget:too_many_lines) before the stage runs; news articles have hundreds of lines, and
    # a 10 MB text of millions of one-letter lines would take minutes and gigabytes.
    max_doc_lines: int = Field(100_000, ge=1)
    # ... and a stage that takes longer on one document rejects it (budget:timeout); 0 = no
    # limit. Generous: the slowest stage on a real 1 MB article takes a few seconds.
    max_stage_seconds: float = Field(120.0, ge=0)


class PipelineConfig(BaseModel):
    """Every tunable of a run. `configs/default.yaml` documents each one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: RunConfig = RunConfig()
    input: InputConfig = InputConfig()
    decode: DecodeConfig = DecodeConfig()
    extract: ExtractConfig = ExtractConfig()
    fix_encoding: FixEncodingConfig = FixEncodingConfig()
    boilerplate: BoilerplateConfig = BoilerplateConfig()
    spam: SpamConfig = SpamConfig()
    repeated_lines: RepeatedLinesConfig = RepeatedLinesConfig()
    quality: QualityConfig = QualityConfig()
    dedup: DedupConfig = DedupConfig()

    def with_overrides(self, **sections: dict[str, Any]) -> "PipelineConfig":
        """A copy with some keys of some sections replaced (validated like a file)."""
        data = self.model_dump()
        for section, values in sections.items():
            data.setdefault(section, {}).update(values)
        return parse_config(data, "<overrides>")


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        model = field.annotation
    return list(model.model_fields)


def _describe(err: dict, origin: str) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        known = _known_keys(PipelineConfig, loc)
        near = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{'.'.join(map(str, loc[:-1] + (near[0],)))}'?" if near else ""
        valid = f" (valid: {', '.join(known)})" if known and not near else ""
        return f"{origin}: unknown config key '{where}'{hint}{valid}"
    return f"{origin}: config key '{where}': {err['msg']} (got {err.get('input')!r})"


def render_config(config: PipelineConfig) -> str:
    """The effective config as YAML with the comments of the shipped default.yaml: every key,
    each with the value `config` has (a value that differs from the default is marked)."""
    default = PipelineConfig().model_dump(mode="json")
    values = config.model_dump(mode="json")
    out, section = [], None
    for line in (CONFIG_DIR / "default.yaml").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        key, sep, rest = stripped.partition(":")
        if indent == 0:
            section = key
            out.append(line)
        elif section in values and key in values[section]:
            value = values[section][key]
            text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
            if text.endswith("\n..."):
                text = text[: -len("\n...")]
            text = text.removesuffix("...").strip()
            mark = "  # changed from the default" if value != default.get(section, {}).get(key) else ""
            if not mark and " #" in rest:  # keep an inline comment of default.yaml (`# 0 = no limit`)
                mark = "  " + rest[rest.index(" #") :].strip()
            out.append(f"{' ' * indent}{key}: {text}{mark}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# Numbers beyond this are typos or overflow bait (`decode.max_bytes: 1e23`), never settings.
_MAX_NUMBER = 2**50


def _check_numbers(data: Any, origin: str, where: str = "") -> None:
    """Every number in the config is finite and of sane size (`.inf`, `.nan`, `1e23` are refused
    here, with the key, instead of failing on the first document)."""
    if isinstance(data, dict):
        for k, v in data.items():
            _check_numbers(v, origin, f"{where}.{k}" if where else str(k))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            _check_numbers(v, origin, f"{where}[{i}]")
    elif isinstance(data, float) and not math.isfinite(data):
        raise ConfigError(f"{origin}: config key '{where}': must be a finite number (got {data!r})")
    elif isinstance(data, (int, float)) and not isinstance(data, bool) and abs(data) > _MAX_NUMBER:
        raise ConfigError(f"{origin}: config key '{where}': {data!r} is too large (at most {_MAX_NUMBER})")


def _check_ranges(config: BaseModel, origin: str, where: str = "") -> None:
    """`min_X` <= `max_X` in every section (e.g. quality.min_words <= quality.max_words)."""
    for name in type(config).model_fields:
        value = getattr(config, name)
        key = f"{where}.{name}" if where else name
        if isinstance(value, BaseModel):
            _check_ranges(value, origin, key)
        elif name.startswith("min_"):
            other = "max_" + name[4:]
            hi = getattr(config, other, None)
            if isinstance(value, (int, float)) and isinstance(hi, (int, float)) and value > hi:
                peer = f"{where}.{other}" if where else other
                raise ConfigError(f"{origin}: config key '{key}' ({value}) is larger than '{peer}' ({hi})")


def parse_config(data: Any, origin: str = "<config>") -> PipelineConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of sections at the top level")
    _check_numbers(data, origin)
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(e, origin) for e in exc.errors())) from None
    _check_numbers(config.model_dump(), origin)  # also numbers YAML gave as strings ("1e23")
    _check_ranges(config, origin)
    return config


def config_hash(config: PipelineConfig) -> str:
    """A short hash of everything in the config that can change outputs (run.workers cannot):
    written into every output file and the dataset card, so files of different runs are told apart."""
    data = config.model_dump(mode="json")
    data["run"] = {**data["run"], "workers": None}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


CONFIG_DIR = Path(__file__).parent / "configs"  # shipped in the package; ./configs links here


def shipped_configs() -> list[str]:
    """Names of the configs shipped with the package (`--config news`)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def config_path(name_or_path: str | Path) -> Path:
    """A config file: an existing path, else a shipped config by name ('news', 'news.yaml')."""
    p = Path(name_or_path)
    if p.exists() or p.parent != Path("."):
        return p
    shipped = CONFIG_DIR / (p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml")
    if shipped.exists():
        return shipped
    raise ConfigError(f"{p}: no such config file, and no shipped config of that name (shipped: {', '.join(shipped_configs())})")


def load_config(path: str | Path | None = None) -> PipelineConfig:
    """Load and validate a YAML config (a path, or the name of a shipped config such as
    'news'); None gives the built-in defaults (= the shipped 'default')."""
    if path is None:
        return PipelineConfig()
    p = config_path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: config is not UTF-8 text") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{p}:{at} invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return parse_config(data, str(p))

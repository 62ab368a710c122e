from pathlib import Path

import pytest
import yaml

from pipeline.config import PipelineConfig, load_config, parse_config
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _keys(d, prefix=""):
    out = set()
    for k, v in d.items():
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= _keys(v, prefix + k + ".")
    return out


def test_default_yaml_documents_every_key_with_the_builtin_values():
    data = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    assert _keys(data) == _keys(PipelineConfig().model_dump())
    assert load_config(ROOT / "configs" / "default.yaml") == PipelineConfig()


def test_every_shipped_config_loads():
    for path in (ROOT / "configs").glob("*.yaml"):
        load_config(path)


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"dedup": {"treshold": 0.5}}, "did you mean 'dedup.threshold'"),
        ({"qualty": {}}, "did you mean 'quality'"),
        ({"quality": {"min_words": "many"}}, "quality.min_words"),
        ({"dedup": {"threshold": 1.5}}, "dedup.threshold"),
    ],
)
def test_bad_keys_and_values_name_the_key(data, expected):
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        parse_config(data, "my.yaml")


def test_bad_yaml_names_file_and_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("run:\n  workers: [1,\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: line \d+ invalid YAML"):
        load_config(p)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")


def test_configs_ship_in_the_package_and_load_by_name():
    import pipeline
    from pipeline.config import CONFIG_DIR, shipped_configs

    assert CONFIG_DIR.parent == Path(pipeline.__file__).parent  # package data, not the repo
    assert (ROOT / "configs").resolve() == CONFIG_DIR.resolve()  # one copy: configs/ links there
    assert shipped_configs() == ["default", "news"]
    assert load_config("news") == load_config(CONFIG_DIR / "news.yaml") == load_config("news.yaml")
    text = (ROOT / "pyproject.toml").read_text()
    assert '"pipeline" = ["configs/*.yaml"]' in text and 'license-files = ["LICENSE"]' in text
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")

"""Writing the resolved config: what is written reads back to the same config."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from siamkit.config import (
    ExperimentConfig,
    config_to_dict,
    config_to_toml,
    dump_toml,
    load_config,
    parse_config,
    save_config,
)
from siamkit.config.toml_io import tomllib

# TOML files are UTF-8, so strings never hold lone surrogates.
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
keys = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=10)
scalars = st.one_of(st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False, allow_infinity=False), text)
tables = st.dictionaries(keys, st.one_of(scalars, st.lists(scalars, max_size=3)),
                         max_size=4)


@given(st.dictionaries(keys, st.one_of(scalars, tables), max_size=5))
def test_dump_toml_round_trips(data):
    assert tomllib.loads(dump_toml(data)) == data


def test_saved_config_reloads_equal(tmp_path):
    cfg = parse_config({"name": "x \"quoted\"", "training": {"epochs": 2, "grad_clip": 0.5},
                        "encoder": {"name": "mlp", "args": {"hidden_dims": [8, 4]}},
                        "evaluation": {"far_targets": [0.1]}}, "exp.toml")
    toml_path, json_path = save_config(cfg, tmp_path)
    again = load_config(toml_path)
    assert again == cfg
    assert parse_config(json.loads(json_path.read_text()), "config.json") == cfg
    assert config_to_dict(cfg)["training"]["grad_clip"] == 0.5
    assert "grad_clip" not in config_to_dict(ExperimentConfig())["training"]  # None is left out
    assert config_to_toml(cfg).startswith("# siamkit experiment config, resolved from exp.toml")


def test_a_resolved_config_leaves_out_the_keys_of_other_sources(tmp_path):
    """An image-folder config's dry run showed name = "digits" (issue 18, item 7)."""
    from siamkit.config import config_to_dict, config_to_toml, parse_config

    folder = parse_config({"data": {"source": "image_folder", "path": str(tmp_path)}})
    data = config_to_dict(folder)["data"]
    assert data["source"] == "image_folder" and "name" not in data and "options" not in data
    assert "color" in data and 'name = "digits"' not in config_to_toml(folder)
    named = config_to_dict(parse_config({"data": {"name": "digits"}}))["data"]
    assert named["name"] == "digits" and "color" not in named and "on_error" not in named
    assert parse_config(config_to_dict(folder)) == folder  # what it leaves out is the default

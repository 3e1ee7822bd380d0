"""Config validation: every unknown key, wrong type and bad value is a ConfigError naming the file,
the section and the key; a valid file resolves to the documented defaults."""

from __future__ import annotations

import pytest

from siamkit.config import ExperimentConfig, load_config, parse_config
from siamkit.config.toml_io import tomllib
from siamkit.errors import ConfigError


def parse(text: str):
    return parse_config(tomllib.loads(text), "exp.toml")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    message = str(info.value)
    assert message.startswith("exp.toml:") and "\n" not in message
    return message


def test_empty_file_is_the_defaults():
    cfg = parse("")
    assert cfg == ExperimentConfig()
    assert (cfg.data.name, cfg.loss.name, cfg.training.epochs) == ("digits", "contrastive", 10)


def test_minimal_file():
    cfg = parse('[data]\nname = "mnist"\n[training]\nepochs = 3\n')
    assert cfg.data.name == "mnist" and cfg.training.epochs == 3 and cfg.training.lr == 1e-3


@pytest.mark.parametrize("text, expected", [
    ("[training]\nepoch = 3", "exp.toml: [training] unknown key 'epoch' (did you mean 'epochs'?)"),
    ("[trainig]\nepochs = 3", "exp.toml: unknown key 'trainig' (did you mean 'training'?)"),
    ("[data]\nfoo = 1", "exp.toml: [data] unknown key 'foo'; known keys: source, name,"),
    ("[encoder.args]\nx = 1\n[encoder.argz]\ny = 2", "[encoder] unknown key 'argz' (did you mean 'args'?)"),
])
def test_unknown_keys(text, expected):
    assert expected in error_of(text)


@pytest.mark.parametrize("text, expected", [
    ('[training]\nepochs = "3"', "[training] epochs: expected an integer, got '3' (a string)"),
    ("[training]\nepochs = 2.5", "[training] epochs: expected an integer, got 2.5 (a number)"),
    ("[training]\nepochs = true", "[training] epochs: expected an integer, got True (a boolean)"),
    ('[training]\nlr = "fast"', "[training] lr: expected a number"),
    ("[training]\nearly_stopping = 1", "[training] early_stopping: expected true or false"),
    ("[evaluation]\nretrieval_ks = [1, \"5\"]", "[evaluation] retrieval_ks: item 1: expected an integer"),
    ("[evaluation]\nretrieval_ks = 5", "[evaluation] retrieval_ks: expected a list of integers"),
    ("[data]\nimage_size = \"big\"", "[data] image_size: expected an integer or a list of integers"),
    ("[encoder]\nargs = 3", "[encoder] args: expected a table"),
    ("data = 3", "exp.toml: [data] expected a table, got 3 (an integer)"),
    ('[loss]\nname = "contrastiv"', "[loss] name: must be one of 'contrastive',"),
    ('[training]\noptimizer = "adamm"', "(did you mean 'adam'?)"),
])
def test_wrong_types(text, expected):
    assert expected in error_of(text)


@pytest.mark.parametrize("text, expected", [
    ("[training]\nlr = -0.1", "[training] lr: must be > 0, got -0.1"),
    ("[training]\nepochs = 0", "[training] epochs: must be >= 1, got 0"),
    ("[data]\nval_fraction = 1.5", "[data] val_fraction: must be between 0 and 1"),
    ("[data]\nval_fraction = 0.6\ntest_fraction = 0.5", "val_fraction + test_fraction must be below 1"),
    ('[data]\nsource = "image_folder"', "[data] path: source 'image_folder' needs path"),
    ('[data]\nimage_size = 28', "[data] image_size: does not apply to source 'dataset'"),
    ('[data]\nsource = "text_pairs"\npath = "p.csv"\nname = "mnist"', "[data] name: does not apply"),
    ("[batches]\nsamples_per_class = 1", "[batches] samples_per_class: must be >= 2"),
    ('[batches]\nkind = "labelled"', "[batches] kind: 'labelled' batches cannot train loss 'contrastive'"),
    ('[loss]\nname = "binary_cross_entropy"\n[model]\nhead = "none"', "[model] head: loss binary_cross_entropy"),
    ('[model]\nhead = "l1_sigmoid"', "[model] head: the l1_sigmoid head is trained only by"),
    ('[encoder]\nname = "transformer"', "[encoder] name: unknown encoder 'transformer'"),
    ('[encoder]\nname = "convnet"\nargs = {embeding_dim = 8}',
     "[encoder.args] unknown key 'embeding_dim' (did you mean 'embedding_dim'?)"),
    ("[evaluation]\ntarget_far = 0", "[evaluation] target_far: must be between 0 and 1"),
    ("[evaluation]\nn_way = 1", "[evaluation] n_way: must be >= 2"),
    ('[training]\nmonitor = "accuracy"', "[training] monitor: must be train_loss or a validation figure"),
    ('[training]\ndevice = "gpu"', "[training] device: must be auto, cpu, cuda"),
    ("[training]\nthreads = 0", "[training] threads: must be >= 1, got 0"),
])
def test_bad_values(text, expected):
    assert expected in error_of(text)


def test_loss_arguments_are_checked():
    assert "[loss.args] unknown key 'margn' (did you mean 'margin'?)" in error_of(
        '[loss]\nname = "contrastive"\nargs = {margn = 1.0}')
    cfg = parse('[loss]\nname = "batch_hard"\nargs = {margin = 0.2}\n[batches]\nkind = "labelled"')
    assert cfg.loss.args == {"margin": 0.2}


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[training\nepochs = 3\n")
    with pytest.raises(ConfigError, match=r"bad.toml: not valid TOML: .*line 1"):
        load_config(bad)
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not a text file"):
        load_config(binary)


def test_int_accepted_where_a_float_is_expected():
    cfg = parse("[training]\nlr = 1")
    assert cfg.training.lr == 1.0 and isinstance(cfg.training.lr, float)

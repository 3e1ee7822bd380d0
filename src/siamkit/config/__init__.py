"""Experiment configs: a TOML file, validated against a schema of dataclasses.

    cfg = siamkit.config.load_config("examples/mnist_contrastive.toml", ["training.epochs=3"])

Every unknown key, wrong type or out-of-range value is a :class:`~siamkit.errors.ConfigError` that
names the file, the section and the key (``exp.toml: [training] unknown key 'epoch' (did you mean
'epochs'?)``). See :mod:`siamkit.config.schema` for the sections, keys and defaults.
"""

from .checks import check_config
from .loading import (
                      config_from_json,
                      config_to_dict,
                      config_to_toml,
                      load_config,
                      parse_config,
                      save_config,
)
from .overrides import apply_overrides
from .schema import (
                      BatchConfig,
                      DataConfig,
                      EncoderConfig,
                      EvaluationConfig,
                      ExperimentConfig,
                      LossConfig,
                      ModelConfig,
                      TextConfig,
                      TrainingConfig,
)
from .toml_io import dump_toml, read_toml

__all__ = [
    "BatchConfig", "DataConfig", "EncoderConfig", "EvaluationConfig", "ExperimentConfig",
    "LossConfig", "ModelConfig", "TextConfig", "TrainingConfig", "apply_overrides",
    "check_config", "config_from_json", "config_to_dict", "config_to_toml", "dump_toml",
    "load_config", "parse_config", "read_toml", "save_config",
]

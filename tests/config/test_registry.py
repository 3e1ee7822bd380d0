"""The config's tables of losses and batch kinds agree with the classes and the trainer."""

from __future__ import annotations

import inspect

import siamkit.losses
from siamkit.config.registry import (
    ACCEPTS,
    DEFAULT_BATCH_KIND,
    LOSS_CLASSES,
    LOSS_INPUT_KINDS,
    loss_class,
)
from siamkit.config.schema import LossName
from siamkit.training import steps


def test_every_loss_name_maps_to_its_class_and_input_kind():
    assert set(LOSS_CLASSES) == set(LOSS_INPUT_KINDS) == set(LossName.__args__)
    for name in LOSS_CLASSES:
        assert loss_class(name).input_kind == LOSS_INPUT_KINDS[name], name


def test_every_siamkit_loss_has_a_config_name():
    classes = {obj for _, obj in inspect.getmembers(siamkit.losses, inspect.isclass)
               if issubclass(obj, siamkit.losses.SiamkitLoss) and obj is not siamkit.losses.SiamkitLoss}
    named = {loss_class(n) for n in LOSS_CLASSES}
    # MinedTripletLoss takes a loss and a miner object, which a TOML file cannot hold.
    assert classes - named == {siamkit.losses.MinedTripletLoss}


def test_batch_kind_tables_match_the_trainer():
    assert ACCEPTS == steps.ACCEPTS
    assert DEFAULT_BATCH_KIND == steps.DEFAULT_BATCH_KIND

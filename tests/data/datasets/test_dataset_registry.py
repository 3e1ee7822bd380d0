"""``load_dataset`` / ``list_datasets``: names, options, and errors that name the problem."""

from __future__ import annotations

import pytest

from siamkit.data import dataset_info, list_datasets, load_dataset
from siamkit.errors import ConfigError


def test_names():
    assert list_datasets() == ["digits", "fashion-mnist", "kjv-web", "mnist"]
    assert dataset_info("Fashion_MNIST").name == "fashion-mnist"


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown dataset 'cifar'.*digits, fashion-mnist"):
        load_dataset("cifar")


def test_unknown_option():
    with pytest.raises(ConfigError, match="unknown option\\(s\\) mirrors"):
        load_dataset("digits", mirrors=["x"])


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kjv-web"])
def test_val_needs_a_fraction(name, tmp_path):
    with pytest.raises(ConfigError, match="split='val' needs val_fraction"):
        load_dataset(name, "val", tmp_path)

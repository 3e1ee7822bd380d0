"""The config reads the registries: names are checked against them, batch kinds and heads follow a
loss's registered ``input_kind``, and a loss registered in one place (its file) is accepted by the
schema, built, listed by ``siamkit train --help`` and named in the error for an unknown loss."""

from __future__ import annotations

import pytest
import torch

from siamkit.batch_kinds import DATA_NEEDED, batch_kinds_for, losses_for
from siamkit.cli import main
from siamkit.config import DataConfig, parse_config
from siamkit.errors import ConfigError
from siamkit.experiment import load_splits
from siamkit.experiment.build import batch_kind, build_loss, head_name
from siamkit.losses import SiamkitLoss
from siamkit.registry import DISTANCES, ENCODERS, HEADS, LOSSES


def error_of(data: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data, "exp.toml")
    return str(info.value)


def test_batch_kinds_and_losses_follow_the_registered_input_kinds():
    for entry in LOSSES.entries():
        for kind in batch_kinds_for(entry["input_kind"]):
            assert entry.name in losses_for(kind)
    assert losses_for("labelled") == LOSSES.names(input_kind="labelled")
    on_pairs = losses_for(data="pairs")
    assert "hard_negative" in on_pairs and "batch_hard" not in on_pairs
    assert set(losses_for(data="labelled")) >= set(LOSSES.names(input_kind="labelled"))
    fed = {k for e in LOSSES.entries() for k in batch_kinds_for(e["input_kind"])}
    assert set(DATA_NEEDED) == fed


def test_every_registered_loss_is_a_valid_config_name():
    for name in LOSSES.names():
        kind = batch_kinds_for(LOSSES.entry(name)["input_kind"])[0]
        cfg = parse_config({"loss": {"name": name}, "batches": {"kind": kind}}, "exp.toml")
        # the sizes a loss with class weights takes from the data (ignored by the others)
        assert isinstance(build_loss(cfg, {"n_classes": 4, "embedding_dim": 8}), LOSSES.get(name))


def test_unknown_names_list_the_registry_and_suggest():
    msg = error_of({"loss": {"name": "batch_hrad"}})
    assert msg.startswith("exp.toml: [loss] name: must be one of 'contrastive', ")
    assert "(did you mean 'batch_hard'?)" in msg
    assert all(repr(n) in msg for n in LOSSES.names())
    msg = error_of({"model": {"distance": "manhatan"}})
    assert "[model] distance:" in msg and "(did you mean 'manhattan'?)" in msg
    assert all(repr(n) in msg for n in DISTANCES.names(model_distance=True))
    assert "'cosine_similarity'" not in msg  # a similarity, not a distance a model scores with
    msg = error_of({"model": {"head": "l1_sigmiod"}})
    assert "[model] head: must be one of 'auto', 'none', 'l1_sigmoid'" in msg
    assert "(did you mean 'l1_sigmoid'?)" in msg
    msg = error_of({"encoder": {"name": "mpl"}})
    assert "[encoder] name: unknown encoder 'mpl' (did you mean 'mlp'?); choose auto, " in msg
    assert all(n in msg for n in ENCODERS.names())


def test_the_auto_head_is_the_one_the_loss_trains():
    for name in LOSSES.names():
        kind = batch_kinds_for(LOSSES.entry(name)["input_kind"])[0]
        cfg = parse_config({"loss": {"name": name}, "batches": {"kind": kind}}, "exp.toml")
        trained = HEADS.names(output=LOSSES.entry(name)["input_kind"])
        assert head_name(cfg) == (trained[0] if trained else None)


class Throwaway(SiamkitLoss):
    """A throwaway loss registered by a test: mean squared paired distance of same pairs."""

    input_kind = "pair_distances"

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, d: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.weight * (y * d.pow(2)).mean()


@pytest.fixture
def throwaway():
    LOSSES.register("throwaway", input_kind="pair_distances", inputs="d [B], y [B]")(Throwaway)
    yield "throwaway"
    LOSSES.remove("throwaway")
    assert "throwaway" not in LOSSES


def test_a_new_loss_needs_only_its_own_registration(throwaway, capsys):
    # The schema accepts it, and build_loss builds it with its arguments.
    cfg = parse_config({"loss": {"name": "throwaway", "args": {"weight": 2.0}}}, "exp.toml")
    loss = build_loss(cfg)
    assert isinstance(loss, Throwaway) and loss.weight == 2.0
    # Its arguments are checked, and its batches follow its input kind.
    assert "unknown key 'wieght' (did you mean 'weight'?)" in error_of(
        {"loss": {"name": "throwaway", "args": {"wieght": 2.0}}})
    assert batch_kind(cfg, load_splits(DataConfig())) == "pairs"
    assert "throwaway" in losses_for("pairs") and "throwaway" in losses_for(data="labelled")
    # The CLI help lists it, and the error for an unknown name offers it.
    code = main(["train", "--help"])
    out = capsys.readouterr().out
    assert code == 0 and "throwaway" in out and "pair_distances" in out
    msg = error_of({"loss": {"name": "throwawy"}})
    assert "'throwaway'" in msg and "(did you mean 'throwaway'?)" in msg


def test_a_removed_loss_is_no_longer_accepted(throwaway):
    LOSSES.remove(throwaway)
    try:
        assert "(did you mean 'throwaway'?)" not in error_of({"loss": {"name": "throwaway"}})
    finally:
        LOSSES.register("throwaway", input_kind="pair_distances")(Throwaway)

"""The listings made from the registries: the README's tables are the current ones, and the CLI
help names every registered loss, encoder, distance and head."""

from __future__ import annotations

from pathlib import Path

from siamkit import catalog
from siamkit.registry import ENCODERS, HEADS, LOSSES, MINERS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_holds_the_current_tables():
    text = README.read_text(encoding="utf-8")
    assert catalog.updated(text) == text, "run: python -m siamkit.catalog README.md"


def test_markdown_has_a_row_per_loss_and_encoder():
    table = catalog.markdown()
    for name in LOSSES.names() + ENCODERS.names():
        assert f"| `{name}` |" in table


def test_help_listing_names_everything_a_config_can_use():
    text = catalog.help_listing()
    for name in LOSSES.names() + ENCODERS.names() + HEADS.names() + MINERS.names():
        assert name in text
    assert "[model] distance: euclidean" in text


def test_a_stale_block_is_replaced(tmp_path):
    stale = f"intro\n{catalog.START}\n| old |\n{catalog.END}\nrest\n"
    path = tmp_path / "README.md"
    path.write_text(stale)
    assert catalog.main([str(path)]) == 0
    assert path.read_text() == f"intro\n{catalog.START}\n{catalog.markdown()}\n{catalog.END}\nrest\n"

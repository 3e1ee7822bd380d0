"""The one registry mechanism (:mod:`siamkit.registry`): registering, aliases, lookups that name
the unknown word and suggest the closest, filtering by facts, and the docs table."""

from __future__ import annotations

import pytest

from siamkit.errors import ConfigError
from siamkit.registry import Registry, did_you_mean


def make() -> Registry:
    reg = Registry("widget", normalize=lambda n: n.lower().replace("_", "-"))

    @reg.register("round-thing", aliases=("disc",), shape="round")
    class Round:
        """A round widget.

        More text that is not the summary."""

    @reg.register("square", shape="square")
    def square() -> str:
        """Makes squares."""
        return "sq"

    return reg


def test_lookup_by_name_alias_and_normalized_spelling() -> None:
    reg = make()
    assert reg.get("round-thing") is reg.get("disc") is reg.get("Round_Thing")
    assert reg.get("square")() == "sq"
    assert reg.get("round-thing").registered_name == "round-thing"
    assert "disc" in reg and "Square" in reg and "triangle" not in reg and 3 not in reg


def test_unknown_name_names_it_suggests_and_lists() -> None:
    with pytest.raises(ConfigError) as err:
        make().get("squre", where="cfg.toml: [widget] name:")
    msg = str(err.value)
    assert msg.startswith("cfg.toml: [widget] name: unknown widget 'squre'")
    assert "(did you mean 'square'?)" in msg and "round-thing, square" in msg
    assert did_you_mean("zzzz", ["square"]) == ""


def test_names_entries_filter_and_summary() -> None:
    reg = make()
    assert reg.names() == ["round-thing", "square"]
    assert reg.names(aliases=True) == ["disc", "round-thing", "square"]
    assert reg.names(shape="round") == ["round-thing"]
    assert reg.names(shape=("round", "square")) == ["round-thing", "square"]
    assert reg.entry("disc").summary == "A round widget."
    assert reg.entry("square")["shape"] == "square" and reg.entry("square").get("x", 1) == 1
    assert list(reg) == reg.names() and len(reg) == 2


def test_a_taken_name_is_refused_but_reregistering_the_same_object_is_not() -> None:
    reg = make()
    obj = reg.get("square")
    reg.add("square", obj, shape="square")  # a module reload registers the same object again
    with pytest.raises(ConfigError, match="already registered"):
        reg.add("square", object())
    with pytest.raises(ConfigError, match="'disc' is already registered"):
        reg.add("other", object(), aliases=("disc",))
    reg.remove("round-thing")
    assert "disc" not in reg


def test_table_lists_every_entry_with_its_facts() -> None:
    table = make().table(("shape",))
    assert table.splitlines()[0] == "| name | shape | what it is |"
    assert "| `square` | square | Makes squares. |" in table
    assert "| `round-thing` | round | A round widget. |" in table


def test_builtin_modules_are_imported_on_first_lookup() -> None:
    reg = Registry("thing", modules=("json",))
    assert reg.names() == [] and reg._loaded

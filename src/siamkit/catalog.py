"""What siamkit has, read from the registries: the names ``siamkit train --help`` lists and the
README's tables of losses and encoders.

Nothing here is written by hand: a newly registered loss or encoder shows up in both. The README
block between :data:`START` and :data:`END` is rewritten with ``python -m siamkit.catalog
README.md`` (``--print`` shows it); a test fails when the README holds a stale copy.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .batch_kinds import batch_kinds_for
from .registry import ENCODERS, LOSSES, MINERS

START, END = "<!-- components:start -->", "<!-- components:end -->"


def _named_keys() -> list[tuple[str, list[str]]]:
    """``([section] key, accepted names)`` of every config key that names a component."""
    from .config.fields import name_choices
    from .config.schema import ExperimentConfig

    out = []
    for section in dataclasses.fields(ExperimentConfig):
        if not dataclasses.is_dataclass(section.default_factory):  # type: ignore[arg-type]
            continue
        for f in dataclasses.fields(section.default_factory):  # type: ignore[arg-type]
            if "registry" in f.metadata:
                out.append((f"[{section.name}] {f.name}", name_choices(f)))
    return out


def help_listing() -> str:
    """The names a config can use, for ``siamkit train --help``."""
    lines = ["names a config can use (from siamkit.registry):",
             "  [loss] name (input kind; batch kinds):"]
    width = max(len(n) for n in LOSSES.names())
    for e in LOSSES.entries():
        kinds = ", ".join(batch_kinds_for(e["input_kind"]))
        learns = f"; learns {e['learns']}, sized by the data" if e.get("learns") else ""
        lines.append(f"    {e.name:<{width}}  {e['input_kind']}; {kinds}{learns}")
    encoders = ", ".join(f"{e.name} ({e.get('modality', '?')})" for e in ENCODERS.entries())
    lines.append(f"  [encoder] name: auto, {encoders}")
    lines += [f"  {key}: {', '.join(names)}" for key, names in _named_keys()
              if key != "[loss] name"]
    lines.append(f"  [loss.args] miner (loss mined_triplet): {', '.join(MINERS.names())}")
    return "\n".join(lines)


def _cells(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown() -> str:
    """The README's tables of losses and encoders (Markdown)."""
    rows = [_cells("`[loss] name`", "class", "input kind", "batch kinds", "takes", "paper"),
            "|---|---|---|---|---|---|"]
    for e in LOSSES.entries():
        kinds = ", ".join(f"`{k}`" for k in batch_kinds_for(e["input_kind"]))
        takes = e.get("inputs", "")
        if e.get("learns"):  # trained with the model, sized from the data, not saved with it
            data = ", ".join(f"`{a}`" for a in e.get("data_args", ()))
            takes += f"; learns {e['learns']} ({data} from the data)"
        rows.append(_cells(f"`{e.name}`", f"`{e.obj.__name__}`", f"`{e['input_kind']}`", kinds,
                           takes, e.get("paper", "")))
    rows += ["", _cells("`[encoder] name`", "class", "reads", "returns", "from the data",
                        "what it is"), "|---|---|---|---|---|---|"]
    for e in ENCODERS.entries():
        auto = " (auto)" if e.get("auto") else ""
        data = ", ".join(f"`{a}`" for a in e.get("data_args", ()))
        rows.append(_cells(f"`{e.name}`", f"`{e.obj.__name__}`", f"{e.get('modality', '')}{auto}",
                           e.get("output", ""), data, e.summary))
    return "\n".join(rows)


def updated(text: str) -> str:
    """``text`` (a README) with the block between the markers replaced by :func:`markdown`."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{markdown()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m siamkit.catalog", description=__doc__)
    p.add_argument("readme", nargs="?", default="README.md")
    p.add_argument("--print", action="store_true", help="print the tables only")
    args = p.parse_args(argv)
    if args.print:
        print(markdown())
        return 0
    path = Path(args.readme)
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

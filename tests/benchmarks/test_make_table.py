"""The README's results table is generated from the committed benchmark JSON and kept in sync."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("make_table", ROOT / "benchmarks" / "make_table.py")
make_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_table)


def test_every_committed_result_is_tabulated():
    text = make_table.table()
    assert "not tabulated" not in text, text
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        if path.stem in make_table.TABLES:
            # the command that wrote it (a script of that name, or one run with its own --out)
            assert f"{make_table.TABLES[path.stem][1]}`" in text.split("Commands:")[1]


def test_readme_holds_the_current_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(make_table.START, 1)[1].split(make_table.END, 1)[0]
    assert block.strip() == make_table.table().strip(), (
        "README results table is stale: run `python benchmarks/make_table.py`")


def test_a_missing_benchmark_is_listed_not_dropped(tmp_path):
    (tmp_path / "anomaly.json").write_text(json.dumps(
        {"mean_auroc": {"siamese": 0.9, "pixels_knn": 0.8}}), encoding="utf-8")
    text = make_table.table(tmp_path)
    assert "| `benchmarks/tracking.py` | not run |" in text
    assert "| anomaly detection" in text and "0.900 (Siamese kNN)" in text


def test_a_missed_target_is_marked(tmp_path):
    (tmp_path / "anomaly.json").write_text(json.dumps(
        {"mean_auroc": {"siamese": 0.7, "pixels_knn": 0.8}}), encoding="utf-8")
    assert "**missed**" in make_table.table(tmp_path)

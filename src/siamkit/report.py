"""``report.html``: one self-contained page per training run (plots embedded as base64 PNG).

It shows the headline figures, the test verification metrics at the threshold chosen on validation
pairs, one-shot and retrieval figures when measured, the per-epoch history, the plots, the data and
model summaries, and the resolved config. It reads only what the run wrote (``metrics.json``,
``history.json``, ``config.toml``, ``plots/*.png``), so it can be rebuilt from a run folder with
:func:`write_report`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .version import __version__

PLOTS = (("loss.png", "Training and validation loss"), ("roc.png", "ROC curve (test pairs)"),
         ("score_histograms.png", "Scores of same and different test pairs, with the threshold"),
         ("threshold_sweep.png", "False accept and false reject rates by threshold"),
         ("embeddings.png", "Test embeddings in 2-D, coloured by class"))
_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}.sub{color:#666;margin-top:0}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ddd;padding:.3em .7em;text-align:left}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;gap:1em;flex-wrap:wrap}
.card{border:1px solid #ddd;border-radius:8px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.6em}.plots{display:flex;flex-wrap:wrap;gap:1em}
figure{margin:0;max-width:520px}figure img{max-width:100%;border:1px solid #eee}
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:.85em}"""


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    return str(value)


def _table(rows: list[tuple[str, Any]], head: tuple[str, str] = ("figure", "value")) -> str:
    body = "".join(f"<tr><td>{html.escape(k)}</td><td class=n>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in rows if v is not None)
    return f"<table><tr><th>{head[0]}</th><th>{head[1]}</th></tr>{body}</table>"


def _history_table(history: dict[str, Any]) -> str:
    epochs = history.get("epochs") or []
    if not epochs:
        return "<p>No epochs recorded.</p>"
    keys = [k for k in ("epoch", "train_loss", "val_loss", "val_roc_auc", "val_eer", "val_accuracy",
                        "val_triplet_accuracy", "val_recall_at_1", "val_spearman", "lr", "time_s")
            if any(k in e for e in epochs)]
    head = "".join(f"<th>{k}</th>" for k in keys)
    rows = "".join("<tr>" + "".join(f"<td class=n>{_fmt(e.get(k))}</td>" for k in keys) + "</tr>"
                   for e in epochs)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _image(path: Path, embed: bool) -> str:
    if embed:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"data:image/png;base64,{data}"
    return html.escape(path.name if path.parent.name != "plots" else f"plots/{path.name}")


def headline(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    """The few figures worth a glance: test accuracy, AUC, EER, one-shot, Recall@1."""
    test = metrics.get("test") or {}
    rows = [("test accuracy", test.get("accuracy")), ("test ROC AUC", test.get("roc_auc")),
            ("test EER", test.get("eer"))]
    shot = metrics.get("one_shot") or {}
    if shot.get("accuracy") is not None:
        rows.append((f"{shot.get('n_way')}-way {shot.get('k_shot')}-shot", shot["accuracy"]))
    ret = metrics.get("retrieval") or {}
    if ret.get("recall_at_1") is not None:
        rows.append(("Recall@1", ret["recall_at_1"]))
    return [(k, v) for k, v in rows if v is not None]


def _section_rows(metrics: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    test, val = metrics.get("test") or {}, metrics.get("validation") or {}
    info = (metrics.get("threshold") or {})
    sections = [("Threshold (chosen on validation pairs)", [
        ("threshold (same iff score >=)", info.get("value")), ("rule", info.get("rule")),
        ("target FAR", info.get("target_far")), ("chosen on", info.get("chosen_on")),
        ("validation accuracy", val.get("accuracy")), ("validation FAR", val.get("far")),
        ("validation FRR", val.get("frr"))])]
    if test:
        rows = [("pairs", test.get("pairs")), ("accuracy", test.get("accuracy")),
                ("ROC AUC", test.get("roc_auc")), ("EER", test.get("eer")),
                ("FAR", test.get("far")), ("FRR", test.get("frr")),
                ("precision", test.get("precision")), ("recall", test.get("recall")),
                ("F1", test.get("f1"))]
        rows += [(f"TAR at FAR <= {t['far_target']:g}", t.get("tar")) for t in test.get("tar_at_far", [])]
        for key, (lo, hi) in (test.get("ci95") or {}).items():
            rows.append((f"{key} 95% CI", f"[{lo:.4f}, {hi:.4f}]"))
        sections.append(("Test verification (at the validation threshold)", rows))
    shot = metrics.get("one_shot")
    if shot:
        ci = shot.get("ci95")
        sections.append(("One-shot (N-way K-shot episodes on the test data)", [
            ("episodes", f"{shot.get('n_way')}-way {shot.get('k_shot')}-shot, {shot.get('episodes')} episodes"
             if "accuracy" in shot else None),
            ("accuracy", shot.get("accuracy")),
            ("95% CI", f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else None),
            ("note", shot.get("note") or shot.get("skipped"))]))
    ret = metrics.get("retrieval")
    if ret:
        rows = [(k.replace("_", " "), v) for k, v in ret.items()
                if k.startswith(("recall_at", "precision_at", "r_precision", "map_at"))]
        rows += [("queries", ret.get("n_queries")), ("references", ret.get("n_references")),
                 ("task", ret.get("task")), ("note", ret.get("note"))]
        sections.append(("Retrieval (test set)", rows))
    return sections


def _shown(side: dict[str, Any]) -> str:
    if side.get("image", "").startswith("data:image/png;base64,"):
        return f"<img alt='' src='{html.escape(side['image'])}' style='width:56px'>"
    return html.escape(side.get("text", ""))


def _worst_pairs(worst: dict[str, Any] | None) -> list[str]:
    """The test pairs the model got most wrong at the threshold (evaluation/worst_pairs.py)."""
    if not worst:
        return []
    parts = []
    for key, title in (("false_accepts", "Worst false accepts (different pairs scored highest)"),
                       ("false_rejects", "Worst false rejects (same pairs scored lowest)")):
        rows = "".join(f"<tr><td class=n>{_fmt(p['score'])}</td><td>{_shown(p['a'])}</td>"
                       f"<td>{_shown(p['b'])}</td></tr>" for p in worst.get(key) or [])
        parts += [f"<h2>{title}</h2>", f"<table><tr><th>score</th><th>A</th><th>B</th></tr>{rows}"
                  f"</table>" if rows else "<p>None at the threshold.</p>"]
    return parts


def render_report(metrics: dict[str, Any], history: dict[str, Any], config_text: str,
                  plots_dir: Path, name: str = "siamkit run", embed_images: bool = True) -> str:
    """The HTML text of a report (see the module docstring)."""
    cards = "".join(f"<div class=card>{html.escape(k)}<b>{_fmt(v)}</b></div>"
                    for k, v in headline(metrics))
    made = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [f"<h1>{html.escape(name)}</h1>",
             f"<p class=sub>siamkit {__version__} &middot; {made}</p>",
             f"<div class=cards>{cards}</div>"]
    for title, rows in _section_rows(metrics):
        parts += [f"<h2>{html.escape(title)}</h2>", _table(rows)]
    parts += _worst_pairs((metrics.get("test") or {}).get("worst_pairs"))
    figures = [f"<figure><img alt='{html.escape(t)}' src='{_image(plots_dir / f, embed_images)}'>"
               f"<figcaption>{html.escape(t)}</figcaption></figure>"
               for f, t in PLOTS if (plots_dir / f).is_file()]
    parts += ["<h2>Plots</h2>", f"<div class=plots>{''.join(figures)}</div>",
              "<h2>Training</h2>", _table([(k, v) for k, v in (metrics.get("training") or {}).items()
                                           if not isinstance(v, (dict, list))]),
              _history_table(history)]
    for key, title in (("data", "Data"), ("model", "Model")):
        block = metrics.get(key) or {}
        rows = [(k, v if not isinstance(v, (dict, list)) else json.dumps(v)) for k, v in block.items()]
        parts += [f"<h2>{title}</h2>", _table(rows)]
    parts += ["<h2>Config</h2>", f"<pre>{html.escape(config_text)}</pre>"]
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(name)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")


def write_report(run_dir: str | Path, name: str | None = None, embed_images: bool = True) -> Path:
    """Write ``run_dir/report.html`` from the files of a run folder; return its path."""
    run_dir = Path(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    history_file = run_dir / "history.json"
    history = json.loads(history_file.read_text(encoding="utf-8")) if history_file.is_file() else {}
    config_file = run_dir / "config.toml"
    config_text = config_file.read_text(encoding="utf-8") if config_file.is_file() else ""
    text = render_report(metrics, history, config_text, run_dir / "plots",
                         name or metrics.get("name") or run_dir.name, embed_images)
    return atomic_write_text(run_dir / "report.html", text)

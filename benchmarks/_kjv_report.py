"""Reporting pieces of the kjv-web duplicate benchmark: machine state, throughput, the table."""

from __future__ import annotations

import os
import statistics
from typing import Any

import _machine


def machine_info() -> dict[str, Any]:
    """What the figures were measured on (:func:`_machine.machine_info`), with the 1-, 5- and
    15-minute load averages: how busy the machine was."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return _machine.machine_info() | {"load_average_1_5_15_min": list(load) if load else None}


def summarise_history(history: Any) -> dict[str, Any]:
    """Per-epoch figures plus the median epoch time and training throughput (pairs per second).

    A pair is two texts through the encoder, forward and backward."""
    epochs = [{k: e.get(k) for k in ("epoch", "train_loss", "val_loss", "val_recall_at_1",
                                     "lr", "time_s", "samples_per_s")} for e in history]
    times = [e["time_s"] for e in epochs if e["time_s"]]
    rates = [e["samples_per_s"] for e in epochs if e["samples_per_s"]]
    return {"epoch_time_s_median": statistics.median(times) if times else None,
            "train_pairs_per_s_median": statistics.median(rates) if rates else None,
            "train_pairs_per_s_best": max(rates) if rates else None, "history": epochs}


def _fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(result: dict[str, Any]) -> None:
    ours = result["siamkit"]
    rows = [(ours["method"], ours)] + [(name, peer) for name, peer in result["peers"].items()]
    print(f"\nkjv-web: retrieve the WEB verse of each KJV test verse among "
          f"{result['data']['retrieval_references']} (New Testament); classify duplicate pairs "
          f"at a threshold chosen on validation pairs")
    print(f"{'method':<40} {'R@1':>7} {'R@5':>7} {'acc':>7} {'AUC':>7}")
    for name, r in rows:
        print(f"{name:<40} {_fmt(r['recall_at_1']):>7} {_fmt(r['recall_at_5']):>7} "
              f"{_fmt(r['test_accuracy']):>7} {_fmt(r['test_roc_auc']):>7}")
    for name, r in result["quoted"].items():
        print(f"{name:<40} {_fmt(r['recall_at_1']):>7}")
    for name, ratio in result["ratios"].items():
        print(f"{name}: {ratio:.4f}")
    load = result["machine_at_start"]["load_average_1_5_15_min"]
    print(f"training: {ours['train_time_s'] / 60:.1f} min for {ours['epochs_run']} epochs "
          f"(best epoch {ours['best_epoch']}), median {_fmt(ours['epoch_time_s_median'], 1)} s "
          f"per epoch, {_fmt(ours['train_pairs_per_s_median'], 1)} pairs/s; "
          f"{result['machine_at_start']['torch_threads']} torch threads, load average at start "
          f"{load[0]:.1f}" if load else "")
    target = result["target"]
    print(f"target Recall@1 >= {target['recall_at_1']}: "
          f"{'met' if target['recall_met'] else 'NOT met'} ({_fmt(ours['recall_at_1'])})")
